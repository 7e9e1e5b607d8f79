/*
 * test_config.c: gateway/config.c's parse_uint(), the one parser of every
 * numeric flag of gatewayd and gatewayctl: digits only, within the range,
 * and nothing that strtoul() would wrap into the range (a sign, a value
 * past ULONG_MAX) accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <limits.h>
#include <cmocka.h>

#include "gateway.h"

static void
test_numbers_in_range_accepted(void **state)
{
	unsigned long	n;

	(void)state;
	assert_int_equal(parse_uint("0", 10, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(parse_uint("10", 10, &n), 0);
	assert_int_equal(n, 10);
	assert_int_equal(parse_uint("007", 10, &n), 0);
	assert_int_equal(n, 7);
	assert_int_equal(parse_uint("604800000", 604800000UL, &n), 0);
	assert_int_equal(n, 604800000UL);
	assert_int_equal(parse_uint("18446744073709551615", ULONG_MAX, &n), 0);
	assert_true(n == ULONG_MAX);
}

static void
test_out_of_range_refused(void **state)
{
	unsigned long	n;

	(void)state;
	assert_int_equal(parse_uint("11", 10, &n), -1);
	assert_int_equal(parse_uint("604800001", 604800000UL, &n), -1);
	/* Past ULONG_MAX: ERANGE, never a wrapped value. */
	assert_int_equal(parse_uint("18446744073709551616", ULONG_MAX, &n), -1);
	assert_int_equal(parse_uint("99999999999999999999999", ULONG_MAX, &n), -1);
}

/* The wrap that --delivery-backoff had: its own strtoul() took
 * "18446744073709552" (x 1000 wraps to 384 us), and a sign. */
static void
test_signs_blanks_and_junk_refused(void **state)
{
	static const char *const bad[] = {
		"", "-1", "-0", "+1", " 1", "1 ", "\t1", "1x", "x", "0x10", "1e3", "1.0",
		"-18446744073709551615",	/* strtoul: 1 */
		"-18446744073709551606",	/* strtoul: 10 */
		"1:2",
	};
	unsigned long	n;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_uint(bad[i], ULONG_MAX, &n), -1);
	assert_int_equal(parse_uint("18446744073709552", 604800000UL, &n), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_in_range_accepted),
		cmocka_unit_test(test_out_of_range_refused),
		cmocka_unit_test(test_signs_blanks_and_junk_refused),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
