/*
 * test_notify_wait.c: how long a delivery keeps waiting for a family notice
 * the notifier gave up (gateway/notify_wait.c): for a pin_mismatch, the
 * retry schedule's whole span (retry_span, test_retry.c) from the
 * notification's creation; for any other give-up, not at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "notify_wait.h"
#include "retry.h"

#define SEC	INT64_C(1000000)
#define MADE	(INT64_C(1790000000) * SEC)

/* Waits of at most 1, 2, 4, 8, 10, 10 s between 7 attempts: 35 s. */
static struct retry_policy
policy(void)
{
	struct retry_policy p = { .base_us = 1 * SEC, .cap_us = 10 * SEC, .max_attempts = 7 };
	return p;
}

static void
test_pin_mismatch_keeps_the_delivery_waiting_within_the_span(void **state)
{
	struct retry_policy	p = policy();

	(void)state;
	assert_int_equal(notify_wait_until(&p, MADE), MADE + 35 * SEC);
	assert_int_equal(notify_wait_decide(&p, "pin_mismatch", MADE, MADE), NOTIFY_WAIT_KEEP);
	assert_int_equal(notify_wait_decide(&p, "pin_mismatch", MADE, MADE + 35 * SEC - 1),
	    NOTIFY_WAIT_KEEP);
}

static void
test_pin_mismatch_releases_the_delivery_past_the_span(void **state)
{
	struct retry_policy	p = policy();

	(void)state;
	assert_int_equal(notify_wait_decide(&p, "pin_mismatch", MADE, MADE + 35 * SEC),
	    NOTIFY_WAIT_RELEASE);
	assert_int_equal(notify_wait_decide(&p, "pin_mismatch", MADE, MADE + 86400 * SEC),
	    NOTIFY_WAIT_RELEASE);
	/* The sweep's cut-off says the same: made at or before it, over. */
	assert_int_equal(notify_wait_created_by(&p, MADE + 35 * SEC), MADE);
	assert_int_equal(notify_wait_created_by(&p, MADE + 35 * SEC - 1), MADE - 1);
}

static void
test_other_give_ups_release_the_delivery_at_once(void **state)
{
	struct retry_policy	p = policy();

	(void)state;
	assert_int_equal(notify_wait_decide(&p, "permanent", MADE, MADE), NOTIFY_WAIT_RELEASE);
	assert_int_equal(notify_wait_decide(&p, "attempts_exhausted", MADE, MADE),
	    NOTIFY_WAIT_RELEASE);
	assert_int_equal(notify_wait_decide(&p, "record_integrity_failed", MADE, MADE),
	    NOTIFY_WAIT_RELEASE);
	assert_int_equal(notify_wait_decide(&p, NULL, MADE, MADE), NOTIFY_WAIT_RELEASE);
	assert_int_equal(notify_wait_decide(&p, "pin_mismatch_", MADE, MADE), NOTIFY_WAIT_RELEASE);
}

static void
test_wait_ends_do_not_overflow(void **state)
{
	struct retry_policy	p = policy();

	(void)state;
	assert_int_equal(notify_wait_until(&p, INT64_MAX - 1), INT64_MAX);
	assert_int_equal(notify_wait_created_by(&p, INT64_MIN + 1), INT64_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_mismatch_keeps_the_delivery_waiting_within_the_span),
		cmocka_unit_test(test_pin_mismatch_releases_the_delivery_past_the_span),
		cmocka_unit_test(test_other_give_ups_release_the_delivery_at_once),
		cmocka_unit_test(test_wait_ends_do_not_overflow),
	};

	return cmocka_run_group_tests_name("notify_wait", tests, NULL, NULL);
}
