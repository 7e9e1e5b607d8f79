/*
 * ratelimit.h: a rate limit per principal on the reads of families' records
 * (GET /v1/disclosures/{id}, GET /v1/consents/{id}, subject-access exports,
 * GET /v1/requests/{id}, witness statements, the agency inbox: the routes marked
 * ROUTE_FAMILY_READ). A stolen
 * certificate enumerating families is held to the sustained rate, and every
 * refusal is a 429 the operator sees in /metrics and the log, so that the
 * certificate can be revoked (SIGHUP re-reads the CRL) before much is read.
 * Disclosures and other writes are never limited here: a whole local
 * authority's referrals must get through at once, and what they share goes
 * to agencies under consent, not back to the caller.
 *
 * The Generic Cell Rate Algorithm (a token bucket kept as one time per
 * principal): per_min reads a minute sustained, up to burst at once. Pure
 * decision logic: the caller gives the time; no I/O.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* A limit of per_min a minute with bursts of up to burst (>= 1); NULL on
 * allocation failure. per_min 0 is refused (NULL): no limit is no table. */
struct ratelimit	*ratelimit_new(unsigned per_min, unsigned burst);
void			 ratelimit_free(struct ratelimit *);

/* One read by key (a principal's id) at now_us: 1 allowed; 0 refused, and
 * *retry_after_s set to the whole seconds until one would be (>= 1).
 * Thread-safe. */
int	ratelimit_take(struct ratelimit *, const char *key, int64_t now_us,
	    unsigned *retry_after_s);

#endif
