/*
 * test_hold_signed.c: which signed ledger entries release a held family
 * notification (gateway/hold_signed.c hold_release_entry): a safeguarding
 * lead's lift of the kind of hold the record has, and nothing else (not a
 * review, which keeps the hold; not the notifier's own entries; not a lift
 * written under another role); which disclosures were held at their
 * making (hold_made_held); and which entry a lift's or review's row is
 * checked against (hold_event_action).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hold_signed.h"
#include "store.h"

static void
test_only_a_safeguarding_leads_lift_releases_a_disclosures_hold(void **state)
{
	(void)state;
	assert_int_equal(hold_release_entry("override.lifted", "safeguarding_lead", 0), 1);
	assert_int_equal(hold_release_entry("notification.lifted", "safeguarding_lead", 0), 1);
	assert_int_equal(hold_release_entry("override.lifted", "staff", 0), 0);
	assert_int_equal(hold_release_entry("override.lifted", "system", 0), 0);
	assert_int_equal(hold_release_entry("notification.lifted", "operator", 0), 0);
}

static void
test_a_review_or_any_other_entry_keeps_the_hold(void **state)
{
	(void)state;
	assert_int_equal(hold_release_entry("override.reviewed", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("notification.reviewed", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("notification.held", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("notification.requeued", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("notification.sent", "system", 0), 0);
	assert_int_equal(hold_release_entry("override.lifted.x", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("", "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry(NULL, "safeguarding_lead", 0), 0);
	assert_int_equal(hold_release_entry("override.lifted", NULL, 0), 0);
}

static void
test_a_requests_hold_is_released_only_by_its_own_lift(void **state)
{
	(void)state;
	assert_int_equal(hold_release_entry("request.notification_lifted", "safeguarding_lead", 1), 1);
	assert_int_equal(hold_release_entry("request.notification_lifted", "trustee", 1), 0);
	/* A disclosure's lift does not release a request's hold, nor the
	 * other way round. */
	assert_int_equal(hold_release_entry("override.lifted", "safeguarding_lead", 1), 0);
	assert_int_equal(hold_release_entry("notification.lifted", "safeguarding_lead", 1), 0);
	assert_int_equal(hold_release_entry("request.notification_lifted", "safeguarding_lead", 0), 0);
}

/* A lift's or review's row is checked against the entry of its kind
 * (hold_event_signed): the same action the writer records for it. */
static void
test_a_hold_events_ledger_action_is_its_kind_on_its_kind_of_hold(void **state)
{
	(void)state;
	assert_string_equal(hold_event_action(1, "lifted"), "override.lifted");
	assert_string_equal(hold_event_action(1, "reviewed"), "override.reviewed");
	assert_string_equal(hold_event_action(0, "lifted"), "notification.lifted");
	assert_string_equal(hold_event_action(0, "reviewed"), "notification.reviewed");
	assert_null(hold_event_action(1, "held"));
	assert_null(hold_event_action(0, ""));
	assert_null(hold_event_action(0, "lifted "));
	assert_null(hold_event_action(1, NULL));
}

static void
test_an_override_or_a_notification_hold_makes_a_disclosure_held(void **state)
{
	struct disclosure_row	d = { 0 };
	unsigned char		ct[1] = { 0 };

	(void)state;
	assert_int_equal(hold_made_held(&d), 0);
	d.override_basis = "safeguarding_sch1_p18";
	assert_int_equal(hold_made_held(&d), 1);
	d.override_basis = NULL;
	d.hold_reason_ct = ct;
	assert_int_equal(hold_made_held(&d), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_a_safeguarding_leads_lift_releases_a_disclosures_hold),
		cmocka_unit_test(test_a_review_or_any_other_entry_keeps_the_hold),
		cmocka_unit_test(test_a_requests_hold_is_released_only_by_its_own_lift),
		cmocka_unit_test(test_an_override_or_a_notification_hold_makes_a_disclosure_held),
		cmocka_unit_test(test_a_hold_events_ledger_action_is_its_kind_on_its_kind_of_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
