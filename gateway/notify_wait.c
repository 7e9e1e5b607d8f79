/*
 * notify_wait.c: how long a delivery keeps waiting for a family notice the
 * notifier gave up (see notify_wait.h). Pure: no I/O, no clock.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "notify_wait.h"
#include "retry.h"

int64_t
notify_wait_until(const struct retry_policy *p, int64_t created_us)
{
	int64_t	span = retry_span(p);

	return created_us > INT64_MAX - span ? INT64_MAX : created_us + span;
}

int64_t
notify_wait_created_by(const struct retry_policy *p, int64_t now_us)
{
	int64_t	span = retry_span(p);

	return now_us < INT64_MIN + span ? INT64_MIN : now_us - span;
}

enum notify_wait
notify_wait_decide(const struct retry_policy *p, const char *reason, int64_t created_us,
    int64_t now_us)
{
	/* Only a key not pinned is an operator's to put right while the
	 * delivery waits; every other give-up releases it at once. */
	if (reason == NULL || strcmp(reason, retry_fault_name(RETRY_FAULT_PIN)) != 0)
		return NOTIFY_WAIT_RELEASE;
	return now_us < notify_wait_until(p, created_us) ? NOTIFY_WAIT_KEEP : NOTIFY_WAIT_RELEASE;
}
