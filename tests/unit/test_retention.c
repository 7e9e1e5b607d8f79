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

/* Refused disclosures: 90 days, whatever they named. */
static const struct retention_periods P = { .days = days, .refusal_days = 90 };

static void
test_record_within_retention_is_kept(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 10 * DAY, 0 } };
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 1, &P, NOW, &until), RETENTION_KEEP);
	assert_true(until == NOW + 20 * DAY);
}

static void
test_record_past_retention_expires(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 31 * DAY, 0 } };

	(void)state;
	assert_int_equal(retention_verdict(a, 1, &P, NOW, NULL), RETENTION_EXPIRED);
}

static void
test_retention_boundary_is_the_last_day_kept(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", NOW - 30 * DAY, 0 } };

	(void)state;
	assert_int_equal(retention_verdict(a, 1, &P, NOW, NULL), RETENTION_KEEP);
	assert_int_equal(retention_verdict(a, 1, &P, NOW + 1, NULL), RETENTION_EXPIRED);
}

static void
test_one_record_within_retention_keeps_the_family(void **state)
{
	/* The school record is long past; the health record is not. */
	struct retention_anchor	a[] = {
		{ "oakfield-primary", "education_support", NOW - 200 * DAY, 0 },
		{ "health-visiting", "early_help", NOW - 200 * DAY, 0 },
	};
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 2, &P, NOW, &until), RETENTION_KEEP);
	assert_true(until == NOW + 165 * DAY);
	assert_int_equal(retention_verdict(a, 2, &P, NOW + 166 * DAY, NULL),
	    RETENTION_EXPIRED);
}

/* A live consent (its anchor not yet known) keeps its family. No consent
 * stays live for good: each has an expiry, at most --consent-max-days after
 * it was given (test_consents test_consent_has_a_longest_life). */
static void
test_live_consent_keeps_the_family(void **state)
{
	struct retention_anchor	a[] = { { "oakfield-primary", "education_support", RETENTION_FOREVER, 0 } };
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 1, &P, NOW + 36500 * DAY, &until),
	    RETENTION_KEEP);
	assert_true(until == RETENTION_FOREVER);
}

static void
test_unknown_interest_keeps_the_family(void **state)
{
	struct retention_anchor	a[] = {
		{ "no-longer-a-profile", "anything", NOW - 5000 * DAY, 0 },
		{ "oakfield-primary", "education_support", NOW - 5000 * DAY, 0 },
	};

	(void)state;
	assert_int_equal(retention_verdict(a, 2, &P, NOW, NULL), RETENTION_UNKNOWN);
}

static void
test_family_without_records_expires(void **state)
{
	(void)state;
	assert_int_equal(retention_verdict(NULL, 0, &P, NOW, NULL), RETENTION_EXPIRED);
}

/* A refused disclosure shared nothing: the agency and purpose it named
 * (typed by staff, possibly a typo, possibly a profile since removed) do
 * not make the family unknown; the refusal period applies. */
static void
test_refused_disclosure_to_an_unknown_agency_expires(void **state)
{
	struct retention_anchor	a[] = {
		{ "oakfield-primary", "education_support", NOW - 31 * DAY, 0 },
		{ "oakfeld-primary", "education_support", NOW - 91 * DAY, 1 },
	};
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 2, &P, NOW, &until), RETENTION_EXPIRED);
	assert_true(until == NOW - DAY);
}

static void
test_refusal_period_is_the_same_whatever_the_agency_named(void **state)
{
	static const char	*agencies[] = { "oakfield-primary", "health-visiting",
				    "no-such-agency", "" };
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(agencies) / sizeof(agencies[0]); i++) {
		struct retention_anchor	a[] = { { agencies[i], "anything", NOW - 90 * DAY, 1 } };
		int64_t			until;

		assert_int_equal(retention_verdict(a, 1, &P, NOW, &until), RETENTION_KEEP);
		assert_true(until == NOW);
		assert_int_equal(retention_verdict(a, 1, &P, NOW + 1, NULL), RETENTION_EXPIRED);
	}
}

static void
test_refusal_within_its_period_keeps_the_family(void **state)
{
	/* The allowed school record is past; a later refusal is not yet. */
	struct retention_anchor	a[] = {
		{ "oakfield-primary", "education_support", NOW - 31 * DAY, 0 },
		{ "", "", NOW - 10 * DAY, 1 },
	};
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 2, &P, NOW, &until), RETENTION_KEEP);
	assert_true(until == NOW + 80 * DAY);
}

/* Unknown still fails closed for what was shared: an allowed disclosure
 * to an agency later removed from the profiles keeps the family, refusals
 * or not. */
static void
test_allowed_disclosure_to_a_removed_agency_keeps_the_family(void **state)
{
	struct retention_anchor	a[] = {
		{ "removed-agency", "education_support", NOW - 5000 * DAY, 0 },
		{ "", "", NOW - 5000 * DAY, 1 },
	};
	int64_t			until;

	(void)state;
	assert_int_equal(retention_verdict(a, 2, &P, NOW, &until), RETENTION_UNKNOWN);
	assert_true(until == RETENTION_FOREVER);
}

/* A refusal period below one day is a configuration mistake: keep. */
static void
test_refusal_without_a_period_keeps_the_family(void **state)
{
	struct retention_periods	p = P;
	struct retention_anchor		a[] = { { "", "", NOW - 5000 * DAY, 1 } };

	(void)state;
	p.refusal_days = 0;
	assert_int_equal(retention_verdict(a, 1, &p, NOW, NULL), RETENTION_UNKNOWN);
}

/* Erasure and expiry: a legal hold, then a safeguarding obligation still
 * being met, each stop the key's destruction; a legal hold is named first. */
static void
test_erasure_verdict(void **state)
{
	struct erasure_obstacles	o = { 0 };

	(void)state;
	assert_int_equal(erasure_verdict(&o), ERASURE_ALLOWED);
	assert_null(erasure_verdict_code(ERASURE_ALLOWED));
	o.held_notices = 1;
	assert_int_equal(erasure_verdict(&o), ERASURE_SAFEGUARDING);
	o.held_notices = 0;
	o.undelivered = 2;
	assert_int_equal(erasure_verdict(&o), ERASURE_SAFEGUARDING);
	assert_string_equal(erasure_verdict_code(ERASURE_SAFEGUARDING),
	    "safeguarding_in_progress");
	o.legal_hold = 1;
	assert_int_equal(erasure_verdict(&o), ERASURE_LEGAL_HOLD);
	assert_string_equal(erasure_verdict_code(ERASURE_LEGAL_HOLD), "legal_hold");
	o.undelivered = 0;
	assert_int_equal(erasure_verdict(&o), ERASURE_LEGAL_HOLD);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_within_retention_is_kept),
		cmocka_unit_test(test_record_past_retention_expires),
		cmocka_unit_test(test_retention_boundary_is_the_last_day_kept),
		cmocka_unit_test(test_one_record_within_retention_keeps_the_family),
		cmocka_unit_test(test_live_consent_keeps_the_family),
		cmocka_unit_test(test_unknown_interest_keeps_the_family),
		cmocka_unit_test(test_family_without_records_expires),
		cmocka_unit_test(test_refused_disclosure_to_an_unknown_agency_expires),
		cmocka_unit_test(test_refusal_period_is_the_same_whatever_the_agency_named),
		cmocka_unit_test(test_refusal_within_its_period_keeps_the_family),
		cmocka_unit_test(test_allowed_disclosure_to_a_removed_agency_keeps_the_family),
		cmocka_unit_test(test_refusal_without_a_period_keeps_the_family),
		cmocka_unit_test(test_erasure_verdict),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
