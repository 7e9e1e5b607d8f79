/*
 * test_erasure_journal.c: gateway/erasure_journal.c, the file of erasures
 * made again on a restored copy: lines written are read back in order;
 * no journal is an empty one; a last line cut short by a crash is skipped
 * and said so; a damaged line anywhere else, a line that is not an
 * erasure, or a complete line holding a NUL byte, fails the walk; nothing but a
 * pseudonym and a ground code is ever written; a line appended after a
 * torn one starts a line of its own; an erasure ensured is appended once;
 * the set of a journal's pseudonyms says which erasures it lacks.
 * Withdrawals share the file: their lines round-trip, erasure lines
 * written before them still read, a torn withdrawal line is skipped and
 * cut like an erasure's, the erasure walk skips them, a withdrawal ensured
 * is appended once. A journal is made empty and private, an existing one
 * left as it is; a missing journal is made only for a store that holds
 * nothing, or when a new one is asked for, and stops the start otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "erasure_journal.h"
#include "journal_guard.h"

#define P1	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define P2	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define T0	INT64_C(1790000000000000)

struct seen {
	int	n;
	char	p[4][65];
	char	g[4][32];
	int64_t	at[4];
};

static int
collect(const char *p, int64_t at, const char *g, void *arg)
{
	struct seen	*s = arg;

	if (s->n >= 4)
		return -1;
	snprintf(s->p[s->n], sizeof(s->p[0]), "%s", p);
	snprintf(s->g[s->n], sizeof(s->g[0]), "%s", g);
	s->at[s->n++] = at;
	return 0;
}

static void
path_for(char *buf, size_t len)
{
	char	tmpl[] = "/tmp/gwjournal.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	snprintf(buf, len, "%s/erasures.journal", tmpl);
}

static void
cleanup(const char *path)
{
	char	dir[256];

	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

static void
test_lines_written_are_read_back_in_order(void **state)
{
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 0);	/* none yet: an empty journal */
	assert_int_equal(erasure_journal_append(path, P1, T0, "consent_withdrawn", 7, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_append(path, P2, T0 + 1000000, "objection", 9, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	assert_false(torn);
	assert_string_equal(s.p[0], P1);
	assert_string_equal(s.g[0], "consent_withdrawn");
	assert_true(s.at[0] == T0);
	assert_string_equal(s.p[1], P2);
	assert_true(s.at[1] == T0 + 1000000);
	cleanup(path);
}

static void
test_only_a_pseudonym_and_a_code_are_written(void **state)
{
	char	path[256], err[256];

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_append(path, "FAM-1", T0, "objection", 1, err,
	    sizeof(err)), -1);
	assert_int_equal(erasure_journal_append(path, P1, T0, "Mrs Smith asked", 1, err,
	    sizeof(err)), -1);
	assert_int_equal(access(path, F_OK), -1);
	cleanup(path);
}

static void
write_file(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_a_torn_last_line_is_skipped(void **state)
{
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	write_file(path, P1 " 2026-12-05T08:00:00.000000Z objection 3\n" P2 " 2026-12-0");
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_true(torn);
	cleanup(path);
}

static void
test_a_damaged_line_fails_the_walk(void **state)
{
	static const char *const bad[] = {
		P1 " 2026-12-05T08:00:00.000000Z objection\n",		/* no seq */
		P1 " yesterday objection 3\n",
		"FAM-1 2026-12-05T08:00:00.000000Z objection 3\n",
		P1 " 2026-12-05T08:00:00.000000Z Objection 3\n",
		P1 " 2026-12-05T08:00:00.000000Z objection 3 extra\n",
		P1 " 2026-12-05T08:00:00.000000Z objection -3\n",
		"\n",
	};
	char	path[256], err[256], text[512];
	size_t	i;
	int	torn;

	(void)state;
	path_for(path, sizeof(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct seen	s = { 0 };

		snprintf(text, sizeof(text), "%s 2026-12-05T08:00:00.000000Z objection 1\n%s"
		    "%s 2026-12-05T08:00:00.000000Z objection 2\n", P2, bad[i], P2);
		write_file(path, text);
		err[0] = '\0';
		assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "line 2"));
		assert_int_equal(s.n, 1);	/* what came before was read */
	}
	cleanup(path);
}

static void
test_a_line_appended_after_a_torn_one_starts_its_own(void **state)
{
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	write_file(path, P1 " 2026-12-05T08:00:00.000000Z objection 3\n" P2 " 2026-12-0");
	assert_int_equal(erasure_journal_append(path, P2, T0, "objection", 4, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_false(torn);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.p[1], P2);
	assert_true(s.at[1] == T0);
	/* A journal that is only a torn line. */
	write_file(path, P2 " 2026-12-0");
	assert_int_equal(erasure_journal_append(path, P1, T0, "objection", 5, err,
	    sizeof(err)), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_false(torn);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.p[0], P1);
	cleanup(path);
}

/* A complete line (ending in its newline) with a NUL byte inside is damage,
 * not a torn last line: the walk fails naming it (so gatewayd does not
 * start) rather than skipping its erasure, and nothing is appended after
 * it. */
static void
test_a_line_holding_a_nul_byte_fails_the_walk(void **state)
{
	static const char text[] = P1 " 2026-12-05T08:00:00.000000Z objection 3\n"
	    P2 " 2026-12-05T09:00:00.000000Z objec\0tion 40\n";
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn, appended;
	FILE		*f;

	(void)state;
	path_for(path, sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 1, f), sizeof(text) - 1);
	fclose(f);
	err[0] = '\0';
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), -1);
	assert_false(torn);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(s.n, 1);
	assert_int_equal(erasure_journal_ensure(path, P2, T0, "objection", 41, &appended, err,
	    sizeof(err)), -1);
	assert_false(appended);
	/* A last line without its newline is torn whatever it holds: a crash
	 * mid-append can leave NUL bytes where the data had not reached the
	 * disk. It is skipped, and cut before the next append. */
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, sizeof(text) - 2, f), sizeof(text) - 2);
	assert_int_equal(fwrite("\0\0\0\0", 1, 4, f), 4);
	fclose(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_true(torn);
	assert_int_equal(s.n, 1);
	assert_int_equal(erasure_journal_ensure(path, P2, T0, "objection", 41, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	memset(&s, 0, sizeof(s));
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_false(torn);
	assert_int_equal(s.n, 2);
	cleanup(path);
}

static void
test_an_erasure_ensured_is_appended_once(void **state)
{
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn, appended;

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_ensure(path, P1, T0, "objection", 3, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	assert_int_equal(erasure_journal_ensure(path, P1, T0, "objection", 3, &appended, err,
	    sizeof(err)), 0);
	assert_false(appended);
	assert_int_equal(erasure_journal_ensure(path, P2, T0, "objection", 4, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 2);
	/* A damaged journal is not appended to. */
	write_file(path, "not an erasure\n");
	assert_int_equal(erasure_journal_ensure(path, P1, T0, "objection", 3, &appended, err,
	    sizeof(err)), -1);
	assert_false(appended);
	cleanup(path);
}

static void
test_the_set_says_which_erasures_a_journal_lacks(void **state)
{
	struct erasure_journal_set	set = { 0 };

	(void)state;
	assert_false(erasure_journal_set_holds(&set, P1));
	assert_int_equal(erasure_journal_set_add(&set, P2), 0);
	assert_int_equal(erasure_journal_set_add(&set, P2), 0);
	assert_int_equal(erasure_journal_set_add(&set, "FAM-1"), -1);
	assert_true(erasure_journal_set_holds(&set, P2));	/* unsorted: searched */
	erasure_journal_set_sort(&set);
	assert_int_equal(set.n, 1);
	assert_true(erasure_journal_set_holds(&set, P2));
	assert_false(erasure_journal_set_holds(&set, P1));
	erasure_journal_set_free(&set);
}

#define C1	"con_01m94jj172cj4v6y7vsxqtns1q"
#define C2	"con_01m94jj172cj4v6y7vsxqtns2r"

struct lines {
	int	n;
	int	kind[4];
	char	p[4][65];
	char	c[4][40];
	int64_t	at[4], seq[4];
};

static int
collect_lines(const struct journal_line *l, void *arg)
{
	struct lines	*s = arg;

	if (s->n >= 4)
		return -1;
	s->kind[s->n] = l->kind;
	snprintf(s->p[s->n], sizeof(s->p[0]), "%s", l->pseudonym);
	snprintf(s->c[s->n], sizeof(s->c[0]), "%s",
	    l->kind == JOURNAL_WITHDRAWAL ? l->consent_id : "");
	s->at[s->n] = l->at_us;
	s->seq[s->n++] = l->seq;
	return 0;
}

static void
test_withdrawal_lines_round_trip_beside_erasures(void **state)
{
	struct lines	l = { 0 };
	struct seen	s = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_append(path, P1, T0, "objection", 7, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_append_withdrawal(path, C1, P2, T0 + 5, 8, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err, sizeof(err)),
	    0);
	assert_false(torn);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.kind[0], JOURNAL_ERASURE);
	assert_true(l.seq[0] == 7);
	assert_int_equal(l.kind[1], JOURNAL_WITHDRAWAL);
	assert_string_equal(l.c[1], C1);
	assert_string_equal(l.p[1], P2);
	assert_true(l.at[1] == T0 + 5);
	assert_true(l.seq[1] == 8);
	/* The erasure walk sees the erasure only. */
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.p[0], P1);
	cleanup(path);
}

static void
test_erasure_lines_from_before_withdrawals_still_read(void **state)
{
	struct lines	l = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	write_file(path, P1 " 2026-12-05T08:00:00.000000Z objection 3\n"
	    P2 " 2026-12-05T09:00:00.000000Z consent_withdrawn 4\n");
	assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err, sizeof(err)),
	    0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.kind[0], JOURNAL_ERASURE);
	assert_int_equal(l.kind[1], JOURNAL_ERASURE);
	assert_string_equal(l.p[1], P2);
	assert_true(l.seq[1] == 4);
	cleanup(path);
}

static void
test_a_withdrawal_holds_ids_only(void **state)
{
	char	path[256], err[256];

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_append_withdrawal(path, "Mrs Smith", P1, T0, 1, err,
	    sizeof(err)), -1);
	assert_int_equal(erasure_journal_append_withdrawal(path, "dsc_01m94jj172", P1, T0, 1,
	    err, sizeof(err)), -1);
	assert_int_equal(erasure_journal_append_withdrawal(path, C1, "FAM-1", T0, 1, err,
	    sizeof(err)), -1);
	assert_int_equal(access(path, F_OK), -1);
	cleanup(path);
}

static void
test_a_damaged_withdrawal_line_fails_the_walk(void **state)
{
	static const char *const bad[] = {
		"withdrawn " C1 " " P1 " 2026-12-05T08:00:00.000000Z\n",	/* no seq */
		"withdrawn " C1 " FAM-1 2026-12-05T08:00:00.000000Z 3\n",
		"withdrawn Mrs-Smith " P1 " 2026-12-05T08:00:00.000000Z 3\n",
		"withdrawn " C1 " " P1 " yesterday 3\n",
		"withdrawn " C1 " " P1 " 2026-12-05T08:00:00.000000Z 3 extra\n",
		"Withdrawn " C1 " " P1 " 2026-12-05T08:00:00.000000Z 3\n",
		"erased " C1 " " P1 " 2026-12-05T08:00:00.000000Z 3\n",
	};
	struct lines	l;
	char		path[256], err[256], text[512];
	size_t		i;
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&l, 0, sizeof(l));
		snprintf(text, sizeof(text), "withdrawn %s %s 2026-12-05T08:00:00.000000Z 1\n%s"
		    "%s 2026-12-05T08:00:00.000000Z objection 2\n", C2, P2, bad[i], P2);
		write_file(path, text);
		err[0] = '\0';
		assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "line 2 is not an erasure or a withdrawal"));
		assert_int_equal(l.n, 1);
	}
	cleanup(path);
}

static void
test_a_torn_withdrawal_line_is_skipped_and_cut(void **state)
{
	struct lines	l = { 0 };
	char		path[256], err[256];
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	write_file(path, P1 " 2026-12-05T08:00:00.000000Z objection 3\nwithdrawn " C1 " " P2
	    " 2026-12-0");
	assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err, sizeof(err)),
	    0);
	assert_true(torn);
	assert_int_equal(l.n, 1);
	/* The next append cuts it off and starts a line of its own. */
	assert_int_equal(erasure_journal_append_withdrawal(path, C1, P2, T0, 4, err,
	    sizeof(err)), 0);
	memset(&l, 0, sizeof(l));
	assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err, sizeof(err)),
	    0);
	assert_false(torn);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.kind[1], JOURNAL_WITHDRAWAL);
	assert_string_equal(l.c[1], C1);
	cleanup(path);
}

static void
test_a_withdrawal_ensured_is_appended_once(void **state)
{
	struct lines	l = { 0 };
	char		path[256], err[256];
	int		torn, appended;

	(void)state;
	path_for(path, sizeof(path));
	/* An erasure of the same family is not the consent's withdrawal. */
	assert_int_equal(erasure_journal_append(path, P1, T0, "objection", 2, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_ensure_withdrawal(path, C1, P1, T0, 3, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	assert_int_equal(erasure_journal_ensure_withdrawal(path, C1, P1, T0, 3, &appended, err,
	    sizeof(err)), 0);
	assert_false(appended);
	assert_int_equal(erasure_journal_ensure_withdrawal(path, C2, P1, T0, 4, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	/* Nor is a withdrawal the family's erasure. */
	assert_int_equal(erasure_journal_ensure(path, P2, T0, "objection", 5, &appended, err,
	    sizeof(err)), 0);
	assert_true(appended);
	assert_int_equal(erasure_journal_walk(path, collect_lines, &l, &torn, err, sizeof(err)),
	    0);
	assert_int_equal(l.n, 4);
	cleanup(path);
}

static void
test_the_set_says_which_withdrawals_a_journal_lacks(void **state)
{
	struct erasure_journal_set	set = { 0 };

	(void)state;
	assert_int_equal(erasure_journal_set_add_consent(&set, C2), 0);
	assert_int_equal(erasure_journal_set_add_consent(&set, "Mrs Smith"), -1);
	assert_int_equal(erasure_journal_set_add_consent(&set, P1), -1);
	erasure_journal_set_sort(&set);
	assert_true(erasure_journal_set_holds(&set, C2));
	assert_false(erasure_journal_set_holds(&set, C1));
	erasure_journal_set_free(&set);
}

static void
test_a_journal_made_is_empty_and_private_and_an_old_one_is_kept(void **state)
{
	char		path[256], err[256];
	struct stat	st;
	struct seen	s = { 0 };
	int		torn;

	(void)state;
	path_for(path, sizeof(path));
	assert_int_equal(erasure_journal_create(path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(erasure_journal_append(path, P1, T0, "objection", 7, err,
	    sizeof(err)), 0);
	assert_int_equal(erasure_journal_create(path, err, sizeof(err)), 0);
	assert_int_equal(erasure_journal_each(path, collect, &s, &torn, err, sizeof(err)), 0);
	assert_int_equal(s.n, 1);
	cleanup(path);
	assert_int_equal(erasure_journal_create("/nonexistent-dir/erasures.journal", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent-dir/erasures.journal"));
	/* A symbolic link to nothing is no journal made: said, not taken. */
	path_for(path, sizeof(path));
	assert_int_equal(symlink("/nonexistent-dir/target.journal", path), 0);
	assert_int_equal(erasure_journal_create(path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link to nothing"));
	cleanup(path);
}

static void
test_a_missing_journal_beside_records_stops_the_start(void **state)
{
	(void)state;
	/* exists, held, asked */
	assert_int_equal(journal_presence(1, 1, 0), JOURNAL_PRESENT);
	assert_int_equal(journal_presence(1, 0, 1), JOURNAL_PRESENT);
	assert_int_equal(journal_presence(0, 0, 0), JOURNAL_MAKE_FRESH);
	assert_int_equal(journal_presence(0, 0, 1), JOURNAL_MAKE_FRESH);
	assert_int_equal(journal_presence(0, 1, 0), JOURNAL_REFUSE);
	assert_int_equal(journal_presence(0, 1, 1), JOURNAL_MAKE_NEW);
}

static void
test_the_guard_makes_nothing_and_needs_no_database_for_a_new_store(void **state)
{
	char			path[256], dir[256], err[512];
	enum journal_presence	p;

	(void)state;
	path_for(path, sizeof(path));
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(journal_guard_check(path, dir, 0, &p, err, sizeof(err)), 0);
	assert_int_equal(p, JOURNAL_MAKE_FRESH);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(erasure_journal_create(path, err, sizeof(err)), 0);
	assert_int_equal(journal_guard_check(path, dir, 0, &p, err, sizeof(err)), 0);
	assert_int_equal(p, JOURNAL_PRESENT);
	assert_int_equal(journal_guard_same_disk(path, dir), 1);
	cleanup(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_written_are_read_back_in_order),
		cmocka_unit_test(test_only_a_pseudonym_and_a_code_are_written),
		cmocka_unit_test(test_a_torn_last_line_is_skipped),
		cmocka_unit_test(test_a_damaged_line_fails_the_walk),
		cmocka_unit_test(test_a_line_appended_after_a_torn_one_starts_its_own),
		cmocka_unit_test(test_a_line_holding_a_nul_byte_fails_the_walk),
		cmocka_unit_test(test_an_erasure_ensured_is_appended_once),
		cmocka_unit_test(test_the_set_says_which_erasures_a_journal_lacks),
		cmocka_unit_test(test_withdrawal_lines_round_trip_beside_erasures),
		cmocka_unit_test(test_erasure_lines_from_before_withdrawals_still_read),
		cmocka_unit_test(test_a_withdrawal_holds_ids_only),
		cmocka_unit_test(test_a_damaged_withdrawal_line_fails_the_walk),
		cmocka_unit_test(test_a_torn_withdrawal_line_is_skipped_and_cut),
		cmocka_unit_test(test_a_withdrawal_ensured_is_appended_once),
		cmocka_unit_test(test_the_set_says_which_withdrawals_a_journal_lacks),
		cmocka_unit_test(test_a_journal_made_is_empty_and_private_and_an_old_one_is_kept),
		cmocka_unit_test(test_a_missing_journal_beside_records_stops_the_start),
		cmocka_unit_test(test_the_guard_makes_nothing_and_needs_no_database_for_a_new_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
