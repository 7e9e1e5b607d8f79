/*
 * test_retention.c: the retention verdict (gateway/retention_rule.c), one
 * named test per rule, with the boundary instant on both sides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "retention.h"

#define DAY	RETENTION_DAY_US
#define NOW	(INT64_C(1790000000) * 1000000)

/* A table of periods: school 30 days, health 365; anything else unknown. */
static int
days(void *arg, const char *agency, const char *purpose)
{
	(void)arg;
	(void)purpose;
	if (strcmp(agency, "oakfield-primary") == 0)
		return 30;
	if (strcmp(agency, "health-visiting") == 0)
		return 365;
	return -1;
}

static void
test_record_within_retention_is_kept(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 10 * DAY } };
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 1, days, NULL, NOW, &until), RETENTION_KEEP);
	assert_true(until == NOW + 20 * DAY);
}

static void
test_record_past_retention_expires(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 31 * DAY } };

	(void)state;
	assert_int_equal(retention_verdict(a, 1, days, NULL, NOW, NULL), RETENTION_EXPIRED);
}

static void
test_retention_boundary_is_the_last_day_kept(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 30 * DAY } };

	(void)state;
	assert_int_equal(retention_verdict(a, 1, days, NULL, NOW, NULL), RETENTION_KEEP);
	assert_int_equal(retention_verdict(a, 1, days, NULL, NOW + 1, NULL), RETENTION_EXPIRED);
}

static void
test_one_record_within_retention_keeps_the_family(void **state)
{
	/* The school record is long past; the health record is not. */
	struct retention_anchor	a[] = {
		{ "oakfield-primary", "education_support", NOW - 200 * DAY },
		{ "health-visiting", "early_help", NOW - 200 * DAY },
	};
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 2, days, NULL, NOW, &until), RETENTION_KEEP);
	assert_true(until == NOW + 165 * DAY);
	assert_int_equal(retention_verdict(a, 2, days, NULL, NOW + 166 * DAY, NULL),
	    RETENTION_EXPIRED);
}

static void
test_live_consent_never_expires(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", RETENTION_FOREVER } };
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 1, days, NULL, NOW + 36500 * DAY, &until),
	    RETENTION_KEEP);
	assert_true(until == RETENTION_FOREVER);
}

static void
test_unknown_interest_keeps_the_family(void **state)
{
	struct retention_anchor	a[] = {
		{ "no-longer-a-profile", "anything", NOW - 5000 * DAY },
		{ "oakfield-primary", "education_support", NOW - 5000 * DAY },
	};

	(void)state;
	assert_int_equal(retention_verdict(a, 2, days, NULL, NOW, NULL), RETENTION_UNKNOWN);
}

static void
test_family_without_records_expires(void **state)
{
	(void)state;
	assert_int_equal(retention_verdict(NULL, 0, days, NULL, NOW, NULL), RETENTION_EXPIRED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_within_retention_is_kept),
		cmocka_unit_test(test_record_past_retention_expires),
		cmocka_unit_test(test_retention_boundary_is_the_last_day_kept),
		cmocka_unit_test(test_one_record_within_retention_keeps_the_family),
		cmocka_unit_test(test_live_consent_never_expires),
		cmocka_unit_test(test_unknown_interest_keeps_the_family),
		cmocka_unit_test(test_family_without_records_expires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
