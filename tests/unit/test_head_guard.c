/*
 * test_head_guard.c: the decisions about ledger.head and its copy kept
 * outside the data directory (--ledger-head-copy, head_guard.h): when
 * either may be missing, which one rules when they differ, when one is
 * written again, and which paths are inside the data directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "head_guard.h"

/* Either file missing is judged as ledger.head missing alone: a store
 * with signed checkpoints is refused unless the operator accepts it. */
static void
test_a_missing_copy_is_judged_as_a_missing_head(void **state)
{
	(void)state;
	/* head_exists, copy_exists, signed_before, accepted */
	assert_int_equal(head_pair_presence(1, 1, 1, 0), HEAD_PRESENT);
	assert_int_equal(head_pair_presence(1, 1, 0, 0), HEAD_PRESENT);
	assert_int_equal(head_pair_presence(1, 0, 1, 0), HEAD_REFUSE);
	assert_int_equal(head_pair_presence(0, 1, 1, 0), HEAD_REFUSE);
	assert_int_equal(head_pair_presence(0, 0, 1, 0), HEAD_REFUSE);
	assert_int_equal(head_pair_presence(1, 0, 1, 1), HEAD_MAKE_ACCEPTED);
	assert_int_equal(head_pair_presence(0, 1, 1, 1), HEAD_MAKE_ACCEPTED);
	assert_int_equal(head_pair_presence(0, 0, 1, 1), HEAD_MAKE_ACCEPTED);
	/* A store that never signed a checkpoint: nothing was lost. */
	assert_int_equal(head_pair_presence(1, 0, 0, 0), HEAD_MAKE_FRESH);
	assert_int_equal(head_pair_presence(0, 1, 0, 0), HEAD_MAKE_FRESH);
	assert_int_equal(head_pair_presence(0, 0, 0, 0), HEAD_MAKE_FRESH);
}

/* Both checked against the store: the larger tree rules (the other was
 * left behind by a stop between the two writes), ledger.head on a tie;
 * one alone rules; none, none. */
static void
test_the_head_of_the_larger_tree_rules(void **state)
{
	(void)state;
	assert_int_equal(head_newer(1, 10, 1, 12), HEAD_WHICH_COPY);
	assert_int_equal(head_newer(1, 12, 1, 10), HEAD_WHICH_HEAD);
	assert_int_equal(head_newer(1, 12, 1, 12), HEAD_WHICH_HEAD);
	assert_int_equal(head_newer(1, 12, 0, 0), HEAD_WHICH_HEAD);
	assert_int_equal(head_newer(0, 0, 1, 3), HEAD_WHICH_COPY);
	assert_int_equal(head_newer(0, 0, 0, 0), HEAD_WHICH_NONE);
	/* A missing file's size says nothing. */
	assert_int_equal(head_newer(0, 99, 1, 3), HEAD_WHICH_COPY);
	assert_int_equal(head_newer(1, 3, 0, 99), HEAD_WHICH_HEAD);
}

/* A file is written again when it is missing or holds other bytes. */
static void
test_a_head_other_than_the_ruling_one_is_written_again(void **state)
{
	(void)state;
	assert_int_equal(head_needs_rewrite("abc\n", 4, "abc\n", 4), 0);
	assert_int_equal(head_needs_rewrite(NULL, 0, "abc\n", 4), 1);
	assert_int_equal(head_needs_rewrite("abd\n", 4, "abc\n", 4), 1);
	assert_int_equal(head_needs_rewrite("abc", 3, "abc\n", 4), 1);
	assert_int_equal(head_needs_rewrite("abc\nx", 5, "abc\n", 4), 1);
}

/* The copy may not be the data directory, nor anything beneath it; a
 * sibling whose name merely starts the same is outside. */
static void
test_a_copy_inside_the_data_directory_is_told(void **state)
{
	(void)state;
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/var/ledger.head"), 1);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/var/a/b/copy"), 1);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/var"), 1);
	assert_int_equal(head_copy_inside("/srv/gw/var/", "/srv/gw/var/copy"), 1);
	assert_int_equal(head_copy_inside("/", "/etc/gw/copy"), 1);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/var2/copy"), 0);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/va"), 0);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/srv/gw/head.copy"), 0);
	assert_int_equal(head_copy_inside("/srv/gw/var", "/etc/gw/ledger.head"), 0);
}

static void
test_the_copy_is_replaced_in_its_own_directory(void **state)
{
	char	d[16];

	(void)state;
	assert_int_equal(head_copy_dir("/etc/gw/ledger.head", d, sizeof(d)), 0);
	assert_string_equal(d, "/etc/gw");
	assert_int_equal(head_copy_dir("/copy", d, sizeof(d)), 0);
	assert_string_equal(d, "/");
	assert_int_equal(head_copy_dir("copy", d, sizeof(d)), 0);
	assert_string_equal(d, ".");
	assert_int_equal(head_copy_dir("keys/copy", d, sizeof(d)), 0);
	assert_string_equal(d, "keys");
	assert_int_equal(head_copy_dir("/a/very/long/directory/copy", d, sizeof(d)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_missing_copy_is_judged_as_a_missing_head),
		cmocka_unit_test(test_the_head_of_the_larger_tree_rules),
		cmocka_unit_test(test_a_head_other_than_the_ruling_one_is_written_again),
		cmocka_unit_test(test_a_copy_inside_the_data_directory_is_told),
		cmocka_unit_test(test_the_copy_is_replaced_in_its_own_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
