/*
 * retention_rule.c: whether a family is past retention (retention.h). Pure:
 * no I/O header, no allocation; the profiles are reached through a
 * callback so that tests can hand it any table of periods. A refused
 * disclosure never reaches the callback: it has a period of its own.
 * erasure_verdict(): whether anything stops a family's key being destroyed.
 */
#include <stddef.h>
#include <stdint.h>

#include "retention.h"

enum retention_verdict
retention_verdict(const struct retention_anchor *a, size_t n,
    const struct retention_periods *p, int64_t as_of_us, int64_t *until_us)
{
	enum retention_verdict	v = RETENTION_EXPIRED;
	int64_t			until = INT64_MIN;
	size_t			i;
	int			d;

	for (i = 0; i < n; i++) {
		int64_t	end;

		/* A refusal is measured without looking at what it named. */
		if (a[i].refused)
			d = p->refusal_days >= 1 ? p->refusal_days : -1;
		else
			d = p->days(p->arg, a[i].agency_id, a[i].purpose);
		if (d < 0) {
			v = RETENTION_UNKNOWN;
			until = RETENTION_FOREVER;
			continue;
		}
		if (a[i].anchor_us >= RETENTION_FOREVER - (int64_t)d * RETENTION_DAY_US)
			end = RETENTION_FOREVER;
		else
			end = a[i].anchor_us + (int64_t)d * RETENTION_DAY_US;
		if (end > until)
			until = end;
		if (end >= as_of_us && v == RETENTION_EXPIRED)
			v = RETENTION_KEEP;
	}
	if (until_us != NULL)
		*until_us = n == 0 ? INT64_MIN : until;
	return v;
}

enum erasure_verdict
erasure_verdict(const struct erasure_obstacles *o)
{
	if (o->legal_hold)
		return ERASURE_LEGAL_HOLD;
	if (o->held_notices > 0 || o->undelivered > 0)
		return ERASURE_SAFEGUARDING;
	return ERASURE_ALLOWED;
}

const char *
erasure_verdict_code(enum erasure_verdict v)
{
	switch (v) {
	case ERASURE_LEGAL_HOLD:
		return "legal_hold";
	case ERASURE_SAFEGUARDING:
		return "safeguarding_in_progress";
	default:
		return NULL;
	}
}
