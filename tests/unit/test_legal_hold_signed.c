/*
 * test_legal_hold_signed.c: which signed ledger entries release a
 * litigation hold (gateway/legal_hold_signed.c legal_hold_release_entry):
 * a trustee's or data-protection trustee's legal_hold.released, and
 * nothing else (not the placement, not a release written under another
 * role, not another action).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "legal_hold_signed.h"

static void
test_only_a_trustees_release_ends_a_litigation_hold(void **state)
{
	(void)state;
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "trustee"), 1);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "dp_trustee"), 1);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "staff"), 0);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "safeguarding_lead"), 0);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "auditor"), 0);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", "system"), 0);
	assert_int_equal(legal_hold_release_entry("legal_hold.released", NULL), 0);
}

static void
test_no_other_entry_ends_a_litigation_hold(void **state)
{
	(void)state;
	assert_int_equal(legal_hold_release_entry("legal_hold.placed", "trustee"), 0);
	assert_int_equal(legal_hold_release_entry("request.closed", "trustee"), 0);
	assert_int_equal(legal_hold_release_entry("legal_hold.released.x", "trustee"), 0);
	assert_int_equal(legal_hold_release_entry("", "trustee"), 0);
	assert_int_equal(legal_hold_release_entry(NULL, "trustee"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_only_a_trustees_release_ends_a_litigation_hold),
		cmocka_unit_test(test_no_other_entry_ends_a_litigation_hold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
