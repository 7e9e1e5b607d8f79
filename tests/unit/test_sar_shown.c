/*
 * test_sar_shown.c: what the subject-access export shows of a family's
 * disclosure or request (gateway/sar_shown.c), decided from what was
 * signed: a refused attempt never; a share or request held at its making
 * only once a lift is signed; one not held always, whatever its
 * (unsigned) notification row says; a held one whose row alone says it was
 * lifted refuses the export.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sar_shown.h"

static void
test_a_refused_attempt_is_never_shown(void **state)
{
	(void)state;
	assert_int_equal(sar_shown(0, 0, 0, 0), SAR_LEFT_OUT);
	assert_int_equal(sar_shown(0, 1, 1, 1), SAR_LEFT_OUT);
	assert_int_equal(sar_shown(0, 0, 0, 1), SAR_LEFT_OUT);
}

static void
test_a_share_not_held_at_its_making_is_shown_whatever_its_row_says(void **state)
{
	(void)state;
	assert_int_equal(sar_shown(1, 0, 0, 0), SAR_SHOWN);
	assert_int_equal(sar_shown(1, 0, 0, 1), SAR_SHOWN);
}

static void
test_a_held_share_is_shown_only_once_its_lift_is_signed(void **state)
{
	(void)state;
	assert_int_equal(sar_shown(1, 1, 1, 1), SAR_SHOWN);
	assert_int_equal(sar_shown(1, 1, 1, 0), SAR_SHOWN);
	assert_int_equal(sar_shown(1, 1, 0, 0), SAR_LEFT_OUT);
}

static void
test_a_held_share_lifted_only_in_its_row_refuses_the_export(void **state)
{
	(void)state;
	assert_int_equal(sar_shown(1, 1, 0, 1), SAR_NOT_AS_SIGNED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_refused_attempt_is_never_shown),
		cmocka_unit_test(test_a_share_not_held_at_its_making_is_shown_whatever_its_row_says),
		cmocka_unit_test(test_a_held_share_is_shown_only_once_its_lift_is_signed),
		cmocka_unit_test(test_a_held_share_lifted_only_in_its_row_refuses_the_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
