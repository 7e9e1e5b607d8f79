/*
 * test_retry.c: the delivery retry rules (gateway/retry.c): what is retried,
 * what is dead at once, the backoff ceiling and its cap, full jitter drawn
 * from the caller's source, Retry-After, the attempt limit, and the
 * schedule's whole span.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "retry.h"

#define SEC	INT64_C(1000000)
#define NOW	(INT64_C(1790000000) * SEC)

/* A scripted random source: returns the values in order, counts calls. */
struct script {
	uint64_t	values[8];
	unsigned	n, calls;
};

static uint64_t
scripted(void *arg)
{
	struct script *s = arg;

	assert_true(s->calls < s->n);
	return s->values[s->calls++];
}

static struct retry_policy
policy(void)
{
	struct retry_policy p = { .base_us = 1 * SEC, .cap_us = 60 * SEC,
	    .max_attempts = 5 };
	return p;
}

static void
test_2xx_is_success(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 200), RETRY_SUCCESS);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 201), RETRY_SUCCESS);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 204), RETRY_SUCCESS);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 299), RETRY_SUCCESS);
}

static void
test_5xx_retries(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 500), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 502), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 503), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 599), RETRY_TRANSIENT);
}

static void
test_408_and_429_retry(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 408), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 429), RETRY_TRANSIENT);
}

static void
test_other_4xx_is_permanent(void **state)
{
	static const long codes[] = { 400, 401, 403, 404, 405, 409, 410, 413,
	    415, 422, 499 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		assert_int_equal(retry_classify(RETRY_FAULT_NONE, codes[i]),
		    RETRY_PERMANENT);
}

static void
test_redirect_and_nonsense_status_are_permanent(void **state)
{
	(void)state;
	/* No redirect is followed: data goes only to the registered URL. */
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 301), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 307), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 100), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 0), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 600), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 199), RETRY_PERMANENT);
	assert_int_equal(retry_classify(RETRY_FAULT_NONE, 300), RETRY_PERMANENT);
}

static void
test_timeouts_and_connection_errors_retry(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(RETRY_FAULT_TIMEOUT, 0), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_CONNECT, 0), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_TLS, 0), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_PIN, 0), RETRY_TRANSIENT);
}

/* A push to an agency whose server's key is not one its profile pins (or a
 * notification to a webhook whose key is not one of --notify-pin): a dead
 * letter at once, not retried like a TLS failure; everything else as
 * retry_classify says. */
static void
test_pin_mismatch_of_an_agency_push_is_permanent(void **state)
{
	long	statuses[] = { 200, 307, 400, 408, 429, 503 };
	enum retry_fault faults[] = { RETRY_FAULT_TIMEOUT, RETRY_FAULT_CONNECT, RETRY_FAULT_TLS,
	    RETRY_FAULT_LOCAL };
	size_t	i;

	(void)state;
	assert_int_equal(retry_classify_push(RETRY_FAULT_PIN, 0), RETRY_PERMANENT);
	assert_int_equal(retry_classify_push(RETRY_FAULT_PIN, 200), RETRY_PERMANENT);
	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		assert_int_equal(retry_classify_push(RETRY_FAULT_NONE, statuses[i]),
		    retry_classify(RETRY_FAULT_NONE, statuses[i]));
	for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		assert_int_equal(retry_classify_push(faults[i], 0), retry_classify(faults[i], 0));
}

static void
test_transport_fault_ignores_status(void **state)
{
	(void)state;
	/* A status left over from a half-read reply does not count. */
	assert_int_equal(retry_classify(RETRY_FAULT_TIMEOUT, 200), RETRY_TRANSIENT);
	assert_int_equal(retry_classify(RETRY_FAULT_LOCAL, 200), RETRY_PERMANENT);
}

static void
test_local_error_is_permanent(void **state)
{
	(void)state;
	assert_int_equal(retry_classify(RETRY_FAULT_LOCAL, 0), RETRY_PERMANENT);
}

static void
test_fault_names(void **state)
{
	(void)state;
	assert_string_equal(retry_fault_name(RETRY_FAULT_NONE), "http_status");
	assert_string_equal(retry_fault_name(RETRY_FAULT_TIMEOUT), "timeout");
	assert_string_equal(retry_fault_name(RETRY_FAULT_CONNECT), "connect_failed");
	assert_string_equal(retry_fault_name(RETRY_FAULT_TLS), "tls_failed");
	assert_string_equal(retry_fault_name(RETRY_FAULT_PIN), "pin_mismatch");
	assert_string_equal(retry_fault_name(RETRY_FAULT_LOCAL), "local_error");
}

static void
test_ceiling_doubles_from_base(void **state)
{
	struct retry_policy p = policy();

	(void)state;
	assert_int_equal(retry_ceiling(&p, 1), 1 * SEC);
	assert_int_equal(retry_ceiling(&p, 2), 2 * SEC);
	assert_int_equal(retry_ceiling(&p, 3), 4 * SEC);
	assert_int_equal(retry_ceiling(&p, 4), 8 * SEC);
	assert_int_equal(retry_ceiling(&p, 6), 32 * SEC);
}

static void
test_ceiling_is_capped(void **state)
{
	struct retry_policy p = policy();

	(void)state;
	assert_int_equal(retry_ceiling(&p, 7), 60 * SEC);	/* 64 s > cap */
	assert_int_equal(retry_ceiling(&p, 100), 60 * SEC);
	/* Far past 2^63 us: no overflow, still the cap. */
	assert_int_equal(retry_ceiling(&p, 4000000000u), 60 * SEC);
	p.cap_us = INT64_MAX;
	assert_true(retry_ceiling(&p, 200) > 0);
}

static void
test_span_is_the_sum_of_the_waits_between_attempts(void **state)
{
	struct retry_policy	p = policy();
	int64_t			sum = 0;
	unsigned		i;

	(void)state;
	assert_int_equal(retry_span(&p), 15 * SEC);	/* 1 + 2 + 4 + 8 */
	for (i = 1; i < p.max_attempts; i++)
		sum += retry_ceiling(&p, i);
	assert_int_equal(retry_span(&p), sum);
	p.max_attempts = 9;	/* 1 + 2 + 4 + 8 + 16 + 32, then 60 + 60 */
	assert_int_equal(retry_span(&p), 183 * SEC);
	p.max_attempts = 1;	/* one attempt: no wait at all */
	assert_int_equal(retry_span(&p), 0);
}

static void
test_span_of_a_huge_policy_saturates(void **state)
{
	struct retry_policy	p = { .base_us = 1, .cap_us = INT64_MAX / 4,
	    .max_attempts = 4000000000u };

	(void)state;
	assert_int_equal(retry_span(&p), INT64_MAX);
	p.cap_us = 7 * 86400 * SEC;	/* many attempts at the cap, at once */
	assert_true(retry_span(&p) > 0);
}

static void
test_success_is_delivered_without_randomness(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .n = 0 };
	struct retry_decision d;

	(void)state;
	retry_decide(&p, 3, RETRY_SUCCESS, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_DELIVERED);
	assert_string_equal(d.reason, "delivered");
	assert_int_equal(s.calls, 0);
}

static void
test_permanent_is_dead_on_first_attempt(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .n = 0 };
	struct retry_decision d;

	(void)state;
	retry_decide(&p, 1, RETRY_PERMANENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_DEAD);
	assert_string_equal(d.reason, "permanent");
	assert_int_equal(s.calls, 0);
}

static void
test_full_jitter_spans_zero_to_ceiling(void **state)
{
	struct retry_policy p = policy();
	/* after attempt 3 the ceiling is 4 s: values map by mod (4 s + 1) */
	struct script s = { .values = { 0, 4 * SEC, 4 * SEC + 1, 2 * SEC },
	    .n = 4 };
	struct retry_decision d;

	(void)state;
	retry_decide(&p, 3, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_SCHEDULED);
	assert_string_equal(d.reason, "transient");
	assert_int_equal(d.next_us, NOW);		/* lower end: 0 */
	retry_decide(&p, 3, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW + 4 * SEC);	/* upper end inclusive */
	retry_decide(&p, 3, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW);		/* wraps, never beyond */
	retry_decide(&p, 3, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW + 2 * SEC);
	assert_int_equal(s.calls, 4);
}

static void
test_jitter_never_exceeds_cap(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .values = { UINT64_MAX, UINT64_MAX - 1 }, .n = 2 };
	struct retry_decision d;

	(void)state;
	p.max_attempts = 1000;
	retry_decide(&p, 50, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_SCHEDULED);
	assert_true(d.next_us >= NOW && d.next_us <= NOW + 60 * SEC);
	retry_decide(&p, 999, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_true(d.next_us >= NOW && d.next_us <= NOW + 60 * SEC);
}

static void
test_retry_after_is_a_floor(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .values = { 0, 3 * SEC }, .n = 2 };
	struct retry_decision d;

	(void)state;
	retry_decide(&p, 1, RETRY_TRANSIENT, NOW, 30 * SEC, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW + 30 * SEC);
	/* A longer jitter wins over a shorter Retry-After. */
	p.base_us = 4 * SEC;
	retry_decide(&p, 1, RETRY_TRANSIENT, NOW, 1 * SEC, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW + 3 * SEC);
}

static void
test_retry_after_is_capped(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .values = { 0 }, .n = 1 };
	struct retry_decision d;

	(void)state;
	retry_decide(&p, 1, RETRY_TRANSIENT, NOW, 3600 * SEC, scripted, &s, &d);
	assert_int_equal(d.next_us, NOW + 60 * SEC);
}

static void
test_dead_letter_after_attempt_limit(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .values = { 0, 0, 0, 0 }, .n = 4 };
	struct retry_decision d;
	unsigned a;

	(void)state;
	for (a = 1; a < p.max_attempts; a++) {
		retry_decide(&p, a, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
		assert_int_equal(d.verdict, RETRY_SCHEDULED);
	}
	retry_decide(&p, p.max_attempts, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_DEAD);
	assert_string_equal(d.reason, "attempts_exhausted");
	assert_int_equal(s.calls, 4);	/* no draw for the dead one */
}

static void
test_single_attempt_policy_dies_on_first_failure(void **state)
{
	struct retry_policy p = policy();
	struct script s = { .n = 0 };
	struct retry_decision d;

	(void)state;
	p.max_attempts = 1;
	retry_decide(&p, 1, RETRY_TRANSIENT, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_DEAD);
	/* ...but a success on that attempt is still delivered. */
	retry_decide(&p, 1, RETRY_SUCCESS, NOW, 0, scripted, &s, &d);
	assert_int_equal(d.verdict, RETRY_DELIVERED);
}

static void
test_policy_check(void **state)
{
	struct retry_policy p;

	(void)state;
	retry_policy_defaults(&p);
	assert_int_equal(retry_policy_check(&p), 0);
	assert_true(p.max_attempts > 1 && p.cap_us > p.base_us);
	p = policy();
	p.base_us = 0;
	assert_int_equal(retry_policy_check(&p), -1);
	p = policy();
	p.cap_us = p.base_us - 1;
	assert_int_equal(retry_policy_check(&p), -1);
	p = policy();
	p.max_attempts = 0;
	assert_int_equal(retry_policy_check(&p), -1);
	p = policy();
	p.cap_us = 8 * 86400 * SEC;
	assert_int_equal(retry_policy_check(&p), -1);
}

static void
test_retry_after_parse_delta_seconds(void **state)
{
	(void)state;
	assert_int_equal(retry_after_parse("120"), 120 * SEC);
	assert_int_equal(retry_after_parse(" 5 \r\n"), 5 * SEC);
	assert_int_equal(retry_after_parse("0"), 0);
}

static void
test_retry_after_parse_rejects_dates_and_garbage(void **state)
{
	(void)state;
	assert_int_equal(retry_after_parse(NULL), 0);
	assert_int_equal(retry_after_parse(""), 0);
	assert_int_equal(retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT"), 0);
	assert_int_equal(retry_after_parse("-5"), 0);
	assert_int_equal(retry_after_parse("12abc"), 0);
}

static void
test_retry_after_parse_clamps_to_a_day(void **state)
{
	(void)state;
	assert_int_equal(retry_after_parse("999999999999999999999999"), 86400 * SEC);
	assert_int_equal(retry_after_parse("86401"), 86400 * SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_2xx_is_success),
		cmocka_unit_test(test_5xx_retries),
		cmocka_unit_test(test_408_and_429_retry),
		cmocka_unit_test(test_other_4xx_is_permanent),
		cmocka_unit_test(test_redirect_and_nonsense_status_are_permanent),
		cmocka_unit_test(test_timeouts_and_connection_errors_retry),
		cmocka_unit_test(test_pin_mismatch_of_an_agency_push_is_permanent),
		cmocka_unit_test(test_transport_fault_ignores_status),
		cmocka_unit_test(test_local_error_is_permanent),
		cmocka_unit_test(test_fault_names),
		cmocka_unit_test(test_ceiling_doubles_from_base),
		cmocka_unit_test(test_ceiling_is_capped),
		cmocka_unit_test(test_span_is_the_sum_of_the_waits_between_attempts),
		cmocka_unit_test(test_span_of_a_huge_policy_saturates),
		cmocka_unit_test(test_success_is_delivered_without_randomness),
		cmocka_unit_test(test_permanent_is_dead_on_first_attempt),
		cmocka_unit_test(test_full_jitter_spans_zero_to_ceiling),
		cmocka_unit_test(test_jitter_never_exceeds_cap),
		cmocka_unit_test(test_retry_after_is_a_floor),
		cmocka_unit_test(test_retry_after_is_capped),
		cmocka_unit_test(test_dead_letter_after_attempt_limit),
		cmocka_unit_test(test_single_attempt_policy_dies_on_first_failure),
		cmocka_unit_test(test_policy_check),
		cmocka_unit_test(test_retry_after_parse_delta_seconds),
		cmocka_unit_test(test_retry_after_parse_rejects_dates_and_garbage),
		cmocka_unit_test(test_retry_after_parse_clamps_to_a_day),
	};

	return cmocka_run_group_tests_name("retry", tests, NULL, NULL);
}
