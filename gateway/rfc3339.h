/*
 * rfc3339.h: RFC 3339 times in UTC <-> microseconds since the epoch. Pure.
 */
#ifndef RFC3339_H
#define RFC3339_H

#include <stdint.h>

/* Formats us as RFC 3339 UTC with microseconds, "2026-11-24T05:01:02.123456Z"
 * (27 characters); "invalid" for a time outside years 0..9999. buf must
 * hold 32 bytes; returns buf. */
char	*rfc3339_fmt(int64_t us, char buf[32]);
/* Parses RFC 3339 ("2026-11-24", "2026-11-24T05:01:02Z", fractional
 * seconds and offsets accepted). 0 on success, -1 if malformed. */
int	 rfc3339_parse(const char *s, int64_t *us);
/* Days in month m (1..12) of year y, proleptic Gregorian. */
int	 rfc3339_days_in_month(int y, int m);

#endif
