/*
 * test_ratelimit.c: gateway/ratelimit.c, the per-principal limit on reads
 * of families' records: bursts, the sustained rate, the wait it announces,
 * principals kept apart, and a full table that still limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "ratelimit.h"

#define SEC	INT64_C(1000000)

static void
test_burst_then_the_sustained_rate(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 5);	/* 1 a second, 5 at once */
	int64_t			 t = 1000 * SEC;
	unsigned		 ra = 0;

	(void)state;
	assert_non_null(rl);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "staff:A", t, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", t, &ra), 0);
	assert_int_equal(ra, 1);
	/* Half a second on: still none; a second on: one, and only one. */
	assert_int_equal(ratelimit_take(rl, "staff:A", t + SEC / 2, &ra), 0);
	assert_int_equal(ra, 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", t + SEC, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", t + SEC, &ra), 0);
	/* Sustained: one a second goes through indefinitely. */
	for (int i = 2; i < 100; i++)
		assert_int_equal(ratelimit_take(rl, "staff:A", t + i * SEC, &ra), 1);
	/* Idle long enough, the whole burst is back (and no more). */
	t += 1000 * SEC;
	for (int i = 0; i < 5; i++)
		assert_int_equal(ratelimit_take(rl, "staff:A", t, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", t, &ra), 0);
	ratelimit_free(rl);
}

static void
test_refusals_do_not_push_the_wait_further(void **state)
{
	struct ratelimit	*rl = ratelimit_new(6, 1);	/* one per 10 s */
	int64_t			 t = 50 * SEC;
	unsigned		 ra = 0;

	(void)state;
	assert_int_equal(ratelimit_take(rl, "k", t, &ra), 1);
	for (int i = 0; i < 1000; i++)	/* hammering while refused */
		assert_int_equal(ratelimit_take(rl, "k", t + SEC, &ra), 0);
	assert_int_equal(ra, 9);
	assert_int_equal(ratelimit_take(rl, "k", t + 10 * SEC, &ra), 1);
	ratelimit_free(rl);
}

static void
test_principals_are_limited_apart(void **state)
{
	struct ratelimit	*rl = ratelimit_new(60, 2);
	unsigned		 ra;
	char			 id[32];

	(void)state;
	assert_int_equal(ratelimit_take(rl, "staff:A", 0, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", 0, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:A", 0, &ra), 0);
	assert_int_equal(ratelimit_take(rl, "agency:police", 0, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "agency:police", 0, &ra), 1);
	/* Many others at once (past the table's 4096 slots): each still
	 * gets its burst, and A is still limited after them all. */
	for (int i = 0; i < 10000; i++) {
		snprintf(id, sizeof(id), "staff:P%d", i);
		assert_int_equal(ratelimit_take(rl, id, 0, &ra), 1);
	}
	assert_int_equal(ratelimit_take(rl, "staff:P9999", 0, &ra), 1);
	assert_int_equal(ratelimit_take(rl, "staff:P9999", 0, &ra), 0);
	ratelimit_free(rl);
}

static void
test_a_full_table_evicts_the_nearest_full_bucket(void **state)
{
	struct ratelimit	*rl = ratelimit_new(1, 2);	/* one a minute */
	unsigned		 ra;
	char			 id[32];
	int			 refused = 0;

	(void)state;
	/* Every principal empties its bucket: no slot is free, and a
	 * principal evicted starts afresh. Hammering keys in a full table
	 * must still refuse most of the third reads. */
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		(void)ratelimit_take(rl, id, 0, &ra);
		(void)ratelimit_take(rl, id, 0, &ra);
		refused += ratelimit_take(rl, id, 0, &ra) == 0;
	}
	assert_true(refused > 19000);
	ratelimit_free(rl);
}

static void
test_bad_parameters(void **state)
{
	(void)state;
	assert_null(ratelimit_new(0, 10));
	assert_null(ratelimit_new(10, 0));
	ratelimit_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_the_sustained_rate),
		cmocka_unit_test(test_refusals_do_not_push_the_wait_further),
		cmocka_unit_test(test_principals_are_limited_apart),
		cmocka_unit_test(test_a_full_table_evicts_the_nearest_full_bucket),
		cmocka_unit_test(test_bad_parameters),
	};

	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
