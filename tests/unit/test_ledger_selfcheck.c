/*
 * test_ledger_selfcheck.c: the background self-check (ledger_selfcheck.h).
 * Its verdict on a chunk read (selfcheck_first_bad, pure) names the entry
 * missing or edited; over a real store, writer and ledger the running
 * check raises the alarm for an entry whose columns were edited behind the
 * gateway's back (so that a *_signed check would not find it), for an
 * entry deleted and for a row inserted while nothing is appended; and once
 * the alarm is raised no stored entry is vouched for (ledger_leaf_signed:
 * -1).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "ledger.h"
#include "ledger_selfcheck.h"
#include "merkle.h"
#include "store.h"
#include "tamper.h"
#include "writer.h"

/* --- the pure verdict --- */

static void
rows_of(struct selfcheck_row *r, size_t n, int64_t first)
{
	memset(r, 0, n * sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		r[i].seq = first + (int64_t)i;
		r[i].leaf[0] = (unsigned char)i;
		r[i].stored[0] = (unsigned char)i;
		r[i].has_stored = 1;
	}
}

static void
test_chunk_as_the_tree_holds_it_is_good(void **state)
{
	struct selfcheck_row	r[8];
	const char		*what = NULL;

	(void)state;
	rows_of(r, 8, 257);
	assert_int_equal(selfcheck_first_bad(257, 8, r, 8, 1, &what), 0);
}

static void
test_a_seq_without_its_row_is_missing(void **state)
{
	struct selfcheck_row	r[8];
	const char		*what = NULL;

	(void)state;
	rows_of(r, 8, 1);
	/* Row 4 deleted: 1, 2, 3, 5, ... read. */
	memmove(&r[3], &r[4], 4 * sizeof(r[0]));
	assert_int_equal(selfcheck_first_bad(1, 8, r, 7, 0, &what), 4);
	assert_string_equal(what, "is missing");
	/* The chunk's last ones gone. */
	rows_of(r, 8, 1);
	assert_int_equal(selfcheck_first_bad(1, 8, r, 6, 0, &what), 7);
	assert_string_equal(what, "is missing");
	/* None at all. */
	assert_int_equal(selfcheck_first_bad(9, 8, r, 0, 0, &what), 9);
}

static void
test_edited_entry_is_the_one_whose_leaf_is_not_its_stored_one(void **state)
{
	struct selfcheck_row	r[8];
	const char		*what = NULL;

	(void)state;
	rows_of(r, 8, 513);
	r[5].leaf[1] = 0xff;		/* its columns changed, not its leaf_hash */
	assert_int_equal(selfcheck_first_bad(513, 8, r, 8, 0, &what), 518);
	assert_string_equal(what, "differs from the entry this gateway wrote");
	/* Its leaf_hash changed with it: the block is not the tree's, and
	 * only the chunk's first can be named. */
	r[5].stored[1] = 0xff;
	assert_int_equal(selfcheck_first_bad(513, 8, r, 8, 0, &what), 513);
	assert_non_null(strstr(what, "differs from the entry this gateway wrote"));
	/* A leaf_hash that is not 32 bytes. */
	rows_of(r, 8, 513);
	r[2].has_stored = 0;
	assert_int_equal(selfcheck_first_bad(513, 8, r, 8, 0, &what), 515);
}

/* --- over a real ledger --- */

struct fixture {
	char			 dir[64];
	struct store		*store;
	struct writer		*writer;
	struct ledger		*ledger;
	struct ledger_selfcheck	*sc;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[512];

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwselfcheck.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	f->ledger = ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err));
	assert_non_null(f->ledger);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	ledger_selfcheck_stop(f->sc);
	ledger_stop(f->ledger);
	writer_stop(f->writer);
	ledger_free(f->ledger);
	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

struct append_job {
	struct ledger	*ledger;
	int		 count;
};

static int
append_job(struct store_conn *c, void *arg)
{
	struct append_job	*j = arg;
	char			 obj[32];

	for (int i = 0; i < j->count; i++) {
		snprintf(obj, sizeof(obj), "obj-%d", i);
		struct ledger_entry e = { "staff:Test", "staff", "consent.withdrawn", "fam-p", obj,
		    NULL, NULL };
		if (ledger_append(j->ledger, c, &e, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

/* Entries past a complete block, so both kinds of chunk are checked. */
static void
fill(struct fixture *f, int n)
{
	struct append_job	j = { f->ledger, n };

	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
}

/* Waits (30 s at most: a sanitizer build on a loaded machine) for a full
 * pass after the call: passes grown by 2. 1 or 0. */
static int
passes_after(struct fixture *f)
{
	struct ledger_selfcheck_stats	st;
	struct timespec			ts = { 0, 20 * 1000 * 1000 };
	uint64_t			from;

	ledger_selfcheck_stats(f->sc, &st);
	from = st.passes;
	for (int i = 0; i < 1500; i++) {
		ledger_selfcheck_stats(f->sc, &st);
		if (st.passes >= from + 2)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int
alarm_within(struct fixture *f)
{
	struct timespec	ts = { 0, 20 * 1000 * 1000 };

	for (int i = 0; i < 1500 && !ledger_alarmed(f->ledger); i++)
		nanosleep(&ts, NULL);
	return ledger_alarmed(f->ledger);
}

static const char drop_update[] = "DROP TRIGGER ledger_entries_append_only_update;";
static const char drop_delete[] = "DROP TRIGGER ledger_entries_append_only_delete;";

static void
test_untouched_ledger_passes_and_counts(void **state)
{
	struct fixture			*f = *state;
	struct ledger_selfcheck_stats	 st;

	fill(f, 300);
	assert_non_null(f->sc = ledger_selfcheck_start(f->ledger, f->store, 1, 1000000));
	assert_true(passes_after(f));
	assert_false(ledger_alarmed(f->ledger));
	ledger_selfcheck_stats(f->sc, &st);
	assert_true(st.entries >= 2 * ledger_size(f->ledger) - 2);
	assert_true(st.age_s < 30);
}

/* The M2 attack: an entry moved to another object, so that a check finding
 * entries by their columns does not find it; in a complete block. */
static void
test_entry_moved_to_another_object_raises_the_alarm(void **state)
{
	struct fixture	*f = *state;
	char		 sql[256];

	fill(f, 300);
	assert_non_null(f->sc = ledger_selfcheck_start(f->ledger, f->store, 1, 1000000));
	assert_true(passes_after(f));
	assert_false(ledger_alarmed(f->ledger));
	snprintf(sql, sizeof(sql), "%s UPDATE ledger_entries SET object_id = 'elsewhere' "
	    "WHERE seq = 100;", drop_update);
	tamper(f->dir, sql);
	assert_true(alarm_within(f));
}

/* In the last, incomplete block too, with its leaf_hash column changed as
 * well. */
static void
test_entry_edited_with_its_leaf_hash_raises_the_alarm(void **state)
{
	struct fixture	*f = *state;
	char		 sql[512];

	fill(f, 300);
	assert_non_null(f->sc = ledger_selfcheck_start(f->ledger, f->store, 1, 1000000));
	assert_true(passes_after(f));
	snprintf(sql, sizeof(sql), "%s UPDATE ledger_entries SET leaf_hash = (SELECT leaf_hash "
	    "FROM ledger_entries WHERE seq = 281), object_id = (SELECT object_id FROM "
	    "ledger_entries WHERE seq = 281) WHERE seq = 280;", drop_update);
	tamper(f->dir, sql);
	assert_true(alarm_within(f));
}

static void
test_entry_deleted_raises_the_alarm(void **state)
{
	struct fixture	*f = *state;
	char		 sql[256];

	fill(f, 300);
	assert_non_null(f->sc = ledger_selfcheck_start(f->ledger, f->store, 1, 1000000));
	snprintf(sql, sizeof(sql), "%s DELETE FROM ledger_entries WHERE seq = 7;", drop_delete);
	tamper(f->dir, sql);
	assert_true(alarm_within(f));
}

/* Nothing appended after it: only the self-check's look at the tail. */
static void
test_row_inserted_while_nothing_is_appended_raises_the_alarm(void **state)
{
	struct fixture	*f = *state;
	char		 sql[512];

	fill(f, 3);
	assert_non_null(f->sc = ledger_selfcheck_start(f->ledger, f->store, 1, 1000000));
	assert_true(passes_after(f));
	assert_false(ledger_alarmed(f->ledger));
	snprintf(sql, sizeof(sql), "INSERT INTO ledger_entries (seq, time_us, actor, "
	    "actor_role, action, leaf_hash) VALUES (%llu, 1, 'staff:X', 'trustee', "
	    "'request.approved', zeroblob(32))",
	    (unsigned long long)ledger_size(f->ledger) + 1);
	tamper(f->dir, sql);
	assert_true(alarm_within(f));
}

/* With the alarm raised an entry as signed is vouched for no more (the
 * entries a check finds by their columns may not be all there are); one
 * that is not as signed is still not. */
static void
test_no_entry_is_vouched_for_while_the_alarm_is_raised(void **state)
{
	struct fixture	*f = *state;
	merkle_hash	 leaf, other;

	fill(f, 3);
	assert_int_equal(ledger_leaf_at(f->ledger, 3, 0, leaf), 0);
	memcpy(other, leaf, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, leaf, 0), 1);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, other, 0), 0);
	ledger_raise_alarm(f->ledger, 3, "differs from the entry this gateway wrote");
	assert_true(ledger_alarmed(f->ledger));
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, leaf, 0), -1);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, other, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chunk_as_the_tree_holds_it_is_good),
		cmocka_unit_test(test_a_seq_without_its_row_is_missing),
		cmocka_unit_test(test_edited_entry_is_the_one_whose_leaf_is_not_its_stored_one),
		cmocka_unit_test_setup_teardown(test_untouched_ledger_passes_and_counts, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_entry_moved_to_another_object_raises_the_alarm,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_edited_with_its_leaf_hash_raises_the_alarm,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_entry_deleted_raises_the_alarm, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_row_inserted_while_nothing_is_appended_raises_the_alarm, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_no_entry_is_vouched_for_while_the_alarm_is_raised, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
