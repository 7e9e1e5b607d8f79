/*
 * notify_wait.h: how long an agency's delivery keeps waiting for its
 * family's notice once the notifier has given that notice up. Pure (no
 * I/O, no clock): the caller passes the notifier's retry policy, the
 * reason the notice was given up, when the notification was made and now.
 *
 * A notice given up is normally the end of telling the family first: the
 * delivery that waited for it goes at once. Not when the webhook presented
 * a key not one of --notify-pin (pin_mismatch): that is for an operator to
 * put right (a certificate changed, or someone else's server), and once
 * put right `gatewayctl notifications retry` sends the notice. So the
 * delivery keeps waiting for as long as the notice would have been retried
 * had the fault been a passing one (the retry schedule's whole span,
 * retry_span(), from the notification's creation), and only then goes
 * without it: the agency never waits for ever. A refusal by the webhook
 * (a 4xx), the attempt limit, a record not as signed: released at once, as
 * before. (An erased family's notice stops its delivery instead: notifier.c.)
 */
#ifndef NOTIFY_WAIT_H
#define NOTIFY_WAIT_H

#include <stdint.h>

#include "retry.h"

enum notify_wait {
	NOTIFY_WAIT_RELEASE,	/* the delivery goes now, without the notice */
	NOTIFY_WAIT_KEEP,	/* it keeps waiting (until notify_wait_until()) */
};

/* The latest a delivery waits for the notice of a notification made at
 * created_us: created_us plus the policy's retry_span() (saturating). */
int64_t			notify_wait_until(const struct retry_policy *, int64_t created_us);

/* The latest creation time whose wait is over at now_us: a delivery whose
 * notice was given up for pin_mismatch goes once its notification was made
 * at or before this (INT64_MIN when no wait can be over yet). */
int64_t			notify_wait_created_by(const struct retry_policy *, int64_t now_us);

/* After the notice of a notification made at created_us was given up at
 * now_us for reason (retry_decision's reason code; NULL as any other):
 * NOTIFY_WAIT_KEEP for pin_mismatch while now_us is before
 * notify_wait_until(), else NOTIFY_WAIT_RELEASE. */
enum notify_wait	notify_wait_decide(const struct retry_policy *, const char *reason,
			    int64_t created_us, int64_t now_us);

#endif
