/*
 * test_breach.c: the breach register's rules (gateway/breach.c), one named
 * test per rule, with the 72-hour boundary on both sides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "breach.h"

#define SEC	INT64_C(1000000)
#define HOUR	(3600 * SEC)
#define AWARE	(INT64_C(1790000000) * SEC)

/* A complete, acceptable decision: reported, people told. */
static struct breach_decision
good(void)
{
	return (struct breach_decision){
		.high_risk = 0, .report_to_regulator = 1,
		.regulator_reason = "Contact details of two families sent to the wrong agency.",
		.notify_individuals = 1,
		.individuals_reason = "Both families were phoned the same day." };
}

static void
test_deadline_is_72_hours_from_awareness(void **state)
{
	(void)state;
	assert_true(breach_deadline_us(AWARE) == AWARE + 72 * HOUR);
}

static void
test_overdue_only_when_undecided_past_deadline(void **state)
{
	(void)state;
	assert_false(breach_overdue(AWARE, 0, AWARE));
	assert_false(breach_overdue(AWARE, 0, AWARE + 72 * HOUR));	/* last instant in time */
	assert_true(breach_overdue(AWARE, 0, AWARE + 72 * HOUR + 1));
	assert_true(breach_overdue(AWARE, 0, AWARE + 30 * 24 * HOUR));
	assert_false(breach_overdue(AWARE, 1, AWARE + 72 * HOUR + 1));	/* decided */
}

static void
test_late_report_needs_delay_reason(void **state)
{
	struct breach_decision	d = good();
	const char		*msg = NULL;

	(void)state;
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + 72 * HOUR, &msg));
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + 72 * HOUR + 1, &msg),
	    "delay_reason_required");
	assert_non_null(msg);
	d.delay_reason = "   ";
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + 80 * HOUR, NULL),
	    "delay_reason_required");
	d.delay_reason = "The mis-sent letter was only found in the recipient's reply.";
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + 80 * HOUR, NULL));
}

static void
test_amendment_of_timely_report_needs_no_delay_reason(void **state)
{
	struct breach_decision	d = good();

	(void)state;
	/* Reported at 10 hours; amended a week later. */
	assert_null(breach_check_decision(&d, AWARE, AWARE + 10 * HOUR, AWARE + 10 * HOUR,
	    AWARE + 170 * HOUR, NULL));
	/* Reported late by an earlier decision: the amendment must say why too. */
	assert_string_equal(breach_check_decision(&d, AWARE, AWARE + 73 * HOUR,
	    AWARE + 73 * HOUR, AWARE + 170 * HOUR, NULL), "delay_reason_required");
	assert_true(breach_report_late(AWARE, AWARE + 73 * HOUR));
	assert_false(breach_report_late(AWARE, AWARE + 72 * HOUR));
}

/*
 * Art 33(1) gives 72 hours to assess a breach, whatever the answer: a
 * breach first decided later, even not to report it, is late and says why,
 * as a late report does. A breach first assessed in time stays so when a
 * later decision revises it; one first assessed late says why each time.
 */
static void
test_not_reporting_late_needs_delay_reason(void **state)
{
	struct breach_decision	d = good();
	const char		*msg = NULL;

	(void)state;
	d.report_to_regulator = 0;
	d.regulator_reason = "Sent to a colleague's work address; deleted unread, confirmed.";
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + 72 * HOUR, NULL));
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + 100 * HOUR, &msg),
	    "delay_reason_required");
	assert_non_null(msg);
	/* first assessed in time: a revision, again not reported, is not late */
	assert_null(breach_check_decision(&d, AWARE, 0, AWARE + 10 * HOUR, AWARE + 100 * HOUR,
	    NULL));
	/* first assessed late: the revision says why too */
	assert_string_equal(breach_check_decision(&d, AWARE, 0, AWARE + 80 * HOUR,
	    AWARE + 100 * HOUR, NULL), "delay_reason_required");
	d.delay_reason = "The breach was only assessed after the trustee's return.";
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + 100 * HOUR, NULL));
	/* what each decision is judged by */
	assert_true(breach_assessed_us(0, 0, 0, AWARE + 5) == AWARE + 5);
	assert_true(breach_assessed_us(0, 0, AWARE + 3, AWARE + 5) == AWARE + 3);
	assert_true(breach_assessed_us(1, 0, AWARE + 3, AWARE + 5) == AWARE + 5);
	assert_true(breach_assessed_us(1, AWARE + 4, AWARE + 3, AWARE + 5) == AWARE + 4);
}

static void
test_amendment_making_report_late_needs_delay_reason(void **state)
{
	const int64_t	reported = AWARE + 10 * HOUR;	/* in time */

	(void)state;
	/* awareness moved 70 hours earlier: the report is now 80 hours after it */
	assert_string_equal(breach_check_amendment(AWARE, AWARE - 70 * HOUR, reported, reported,
	    NULL), "delay_reason_required");
	assert_string_equal(breach_check_amendment(AWARE, AWARE - 70 * HOUR, reported, reported,
	    " "), "delay_reason_required");
	assert_null(breach_check_amendment(AWARE, AWARE - 70 * HOUR, reported, reported,
	    "Found the earlier alert only in the audit"));
	/* still in time, or no report, or awareness not moved earlier */
	assert_null(breach_check_amendment(AWARE, AWARE - 10 * HOUR, reported, reported, NULL));
	assert_null(breach_check_amendment(AWARE, AWARE - 70 * HOUR, 0, 0, NULL));
	assert_null(breach_check_amendment(AWARE, 0, reported, reported, NULL));
	assert_null(breach_check_amendment(AWARE, AWARE + HOUR, reported, reported, NULL));
	/* a decision not to report, in time, made late by the earlier awareness */
	assert_string_equal(breach_check_amendment(AWARE, AWARE - 70 * HOUR, AWARE + 10 * HOUR,
	    0, NULL), "delay_reason_required");
	assert_null(breach_check_amendment(AWARE, AWARE - 70 * HOUR, AWARE + 10 * HOUR, 0,
	    "The earlier alert sat in a shared inbox"));
	/* assessed at 10 hours and still in time, reported at 60 and now late */
	assert_string_equal(breach_check_amendment(AWARE, AWARE - 30 * HOUR, AWARE + 10 * HOUR,
	    AWARE + 60 * HOUR, NULL), "delay_reason_required");
	/* already late when decided (its delay reason was given then) */
	assert_null(breach_check_amendment(AWARE, AWARE - HOUR, AWARE + 80 * HOUR,
	    AWARE + 80 * HOUR, NULL));
}

static void
test_decision_needs_reasons(void **state)
{
	struct breach_decision	d = good();

	(void)state;
	d.regulator_reason = NULL;
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "reasons_required");
	d.regulator_reason = " \t";
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "reasons_required");
	d = good();
	d.individuals_reason = "";
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "reasons_required");
}

static void
test_high_risk_must_be_reported(void **state)
{
	struct breach_decision	d = good();

	(void)state;
	d.high_risk = 1;
	d.report_to_regulator = 0;
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "report_required");
	d.high_risk = 0;
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL));
}

static void
test_high_risk_not_notified_needs_art34_exception(void **state)
{
	struct breach_decision	d = good();

	(void)state;
	d.high_risk = 1;
	d.notify_individuals = 0;
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "art34_exception_required");
	d.art34_exception = "because_we_said_so";
	assert_string_equal(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL),
	    "art34_exception_required");
	d.art34_exception = "measures_render_unintelligible";
	d.individuals_reason = "The laptop's disk was encrypted and the key was not with it.";
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL));
	/* Telling them needs no exception; a lower risk needs none either. */
	d = good();
	d.high_risk = 1;
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL));
	d.high_risk = 0;
	d.notify_individuals = 0;
	assert_null(breach_check_decision(&d, AWARE, 0, 0, AWARE + HOUR, NULL));
}

static void
test_breach_facts_in_order(void **state)
{
	(void)state;
	assert_null(breach_check_facts(AWARE - HOUR, AWARE, AWARE + HOUR));
	assert_null(breach_check_facts(0, AWARE, AWARE));
	assert_string_equal(breach_check_facts(AWARE + 1, AWARE, AWARE + HOUR),
	    "aware_before_occurred");
	assert_string_equal(breach_check_facts(0, AWARE + 1, AWARE), "aware_in_future");
}

static void
test_enumerations(void **state)
{
	(void)state;
	assert_true(breach_is_type("availability"));
	assert_false(breach_is_type("theft"));
	assert_false(breach_is_type(NULL));
	assert_true(breach_is_art34_exception("disproportionate_effort"));
	assert_true(breach_is_art34_exception("subsequent_measures"));
	assert_false(breach_is_art34_exception(NULL));
}

/* "Without undue delay" (Art 34(1)): the people to be told are flagged 72
 * hours after the decision first said so, until a notice is recorded. */
static void
test_people_to_be_told_without_undue_delay(void **state)
{
	int64_t	decided = AWARE + 10 * HOUR;

	(void)state;
	assert_false(breach_notify_overdue(1, decided, 0, decided + 72 * HOUR));
	assert_true(breach_notify_overdue(1, decided, 0, decided + 72 * HOUR + 1));
	assert_false(breach_notify_overdue(1, decided, 1, decided + 30 * 24 * HOUR));	/* told */
	assert_false(breach_notify_overdue(0, 0, 0, decided + 30 * 24 * HOUR));	/* not to be told */
}

static void
test_notice_facts(void **state)
{
	int64_t	now = AWARE + 48 * HOUR;

	(void)state;
	assert_null(breach_check_notice(AWARE, AWARE, now));
	assert_null(breach_check_notice(AWARE, now, now));
	assert_string_equal(breach_check_notice(AWARE, AWARE - 1, now), "notified_before_aware");
	assert_string_equal(breach_check_notice(AWARE, now + 1, now), "notified_in_future");
	assert_true(breach_is_notice_method("letter"));
	assert_true(breach_is_notice_method("public_notice"));
	assert_false(breach_is_notice_method("pigeon"));
	assert_false(breach_is_notice_method(NULL));
}

/* A report to the regulator cannot be undone: once made, a later decision
 * reports too (its reported_at stays the first). */
static void
test_report_to_the_regulator_cannot_be_undone(void **state)
{
	struct breach_decision	d = good();
	const char		*msg = NULL;

	(void)state;
	assert_null(breach_check_revision(&d, AWARE + HOUR, 1, &msg));
	assert_null(msg);
	d.report_to_regulator = 0;
	assert_string_equal(breach_check_revision(&d, AWARE + HOUR, 1, &msg),
	    "breach_already_reported");
	assert_non_null(msg);
	d.high_risk = 0;
	d.notify_individuals = 1;
	assert_string_equal(breach_check_revision(&d, AWARE + HOUR, 0, NULL),
	    "breach_already_reported");
	/* never reported: deciding not to report is the trustee's call */
	assert_null(breach_check_revision(&d, 0, 1, NULL));
}

/* Withdrawing a decision to tell the people names an Art 34(3) exception,
 * whatever the risk now assessed. */
static void
test_withdrawing_telling_the_people_needs_art34_exception(void **state)
{
	struct breach_decision	d = good();

	(void)state;
	d.notify_individuals = 0;
	assert_string_equal(breach_check_revision(&d, AWARE + HOUR, 1, NULL),
	    "art34_exception_required");
	d.high_risk = 1;
	assert_string_equal(breach_check_revision(&d, AWARE + HOUR, 1, NULL),
	    "art34_exception_required");
	d.art34_exception = "because_we_said_so";
	assert_string_equal(breach_check_revision(&d, AWARE + HOUR, 1, NULL),
	    "art34_exception_required");
	d.art34_exception = "subsequent_measures";
	assert_null(breach_check_revision(&d, AWARE + HOUR, 1, NULL));
	/* not said before, or still to be told: nothing withdrawn */
	d = good();
	d.notify_individuals = 0;
	assert_null(breach_check_revision(&d, AWARE + HOUR, 0, NULL));
	d.notify_individuals = 1;
	assert_null(breach_check_revision(&d, AWARE + HOUR, 1, NULL));
}

/* After an amendment the breach still cannot have been known of before it
 * occurred: against the earliest awareness ever recorded, not the latest. */
static void
test_breach_cannot_be_known_before_it_occurred_after_an_amendment(void **state)
{
	int64_t	now = AWARE + 2 * HOUR;

	(void)state;
	/* aware moved later, occurred moved after the first awareness */
	assert_string_equal(breach_check_amended_facts(AWARE + HOUR, AWARE, AWARE + 90 * 60 * SEC,
	    now), "aware_before_occurred");
	/* occurred alone moved after the first awareness */
	assert_string_equal(breach_check_amended_facts(AWARE + 1, AWARE, 0, now),
	    "aware_before_occurred");
	/* awareness moved earlier than the occurrence */
	assert_string_equal(breach_check_amended_facts(AWARE - HOUR, AWARE, AWARE - 2 * HOUR,
	    now), "aware_before_occurred");
	/* an awareness in the future, even with an earlier one kept */
	assert_string_equal(breach_check_amended_facts(AWARE - HOUR, AWARE, now + 1, now),
	    "aware_in_future");
	assert_string_equal(breach_check_amended_facts(now + 1, AWARE, 0, now),
	    "aware_before_occurred");
	/* in order */
	assert_null(breach_check_amended_facts(AWARE - HOUR, AWARE, AWARE + HOUR, now));
	assert_null(breach_check_amended_facts(AWARE, AWARE, 0, now));
	assert_null(breach_check_amended_facts(AWARE - 3 * HOUR, AWARE, AWARE - 2 * HOUR, now));
	assert_null(breach_check_amended_facts(0, AWARE, AWARE + HOUR, now));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_is_72_hours_from_awareness),
		cmocka_unit_test(test_overdue_only_when_undecided_past_deadline),
		cmocka_unit_test(test_late_report_needs_delay_reason),
		cmocka_unit_test(test_amendment_of_timely_report_needs_no_delay_reason),
		cmocka_unit_test(test_not_reporting_late_needs_delay_reason),
		cmocka_unit_test(test_amendment_making_report_late_needs_delay_reason),
		cmocka_unit_test(test_decision_needs_reasons),
		cmocka_unit_test(test_high_risk_must_be_reported),
		cmocka_unit_test(test_high_risk_not_notified_needs_art34_exception),
		cmocka_unit_test(test_breach_facts_in_order),
		cmocka_unit_test(test_enumerations),
		cmocka_unit_test(test_people_to_be_told_without_undue_delay),
		cmocka_unit_test(test_notice_facts),
		cmocka_unit_test(test_report_to_the_regulator_cannot_be_undone),
		cmocka_unit_test(test_withdrawing_telling_the_people_needs_art34_exception),
		cmocka_unit_test(test_breach_cannot_be_known_before_it_occurred_after_an_amendment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
