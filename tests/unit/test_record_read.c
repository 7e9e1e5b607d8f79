/*
 * test_record_read.c: the writer job that records a read of a family's
 * record (gateway/record_read.c) over a real store, writer, ledger and
 * vault: the row carries the reason sealed under the family key, the
 * ledger entry carries the row's digest; without the key the read is still
 * recorded, with no reason; a digest or insert that fails leaves neither
 * the row nor the entry (the job's transaction rolls back).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "gateway.h"
#include "ledger.h"
#include "principal.h"
#include "record_read.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

#define FAMILY	"aa11bb22"

struct fixture {
	char		 dir[64];
	struct gateway	 gw;
	struct principal who;
};

/* A reads table of the test's own, the shape of request_reads, digested
 * as request_reads rows are (store_request_read_digest). */
static int
t_insert(struct store_conn *c, const struct record_read_row *r)
{
	return store_record_read_insert(c, "INSERT INTO t_reads (id, object_id, family_pseudonym, "
	    "actor, actor_role, read_us, reason_ct, record_digest, ledger_seq) "
	    "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", "insert test read", r);
}

static int
t_digest_fails(const struct record_read_row *r, unsigned char out[32])
{
	(void)r;
	(void)out;
	return -1;
}

static int
t_insert_fails(struct store_conn *c, const struct record_read_row *r)
{
	(void)c;
	(void)r;
	return -1;
}

static int
create_table(struct store_conn *c, void *arg)
{
	(void)arg;
	return store_exec(c, "CREATE TABLE t_reads (id TEXT PRIMARY KEY, object_id TEXT NOT NULL, "
	    "family_pseudonym TEXT NOT NULL, actor TEXT NOT NULL, actor_role TEXT NOT NULL, "
	    "read_us INTEGER NOT NULL, reason_ct BLOB, record_digest BLOB NOT NULL, "
	    "ledger_seq INTEGER NOT NULL) STRICT");
}

static int
destroy_key(struct store_conn *c, void *arg)
{
	struct fixture	*f = arg;

	return vault_destroy(f->gw.vault, c, FAMILY, store_now_us()) == 0 ? 0 : -1;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[512], key[128];
	FILE		*kf;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwrread.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(f->gw.store = store_open(f->dir, err, sizeof(err)));
	assert_non_null(f->gw.writer = writer_start(f->gw.store));
	assert_non_null(f->gw.ledger = ledger_open(f->gw.store, f->gw.writer, f->dir, NULL, 0, err,
	    sizeof(err)));
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	assert_non_null(kf = fopen(key, "w"));
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, kf);
	fclose(kf);
	chmod(key, 0600);
	assert_non_null(f->gw.vault = vault_open(key, err, sizeof(err)));
	writer_on_commit(f->gw.writer, vault_committed, f->gw.vault);
	assert_int_equal(writer_submit(f->gw.writer, create_table, NULL), 0);
	f->who.role = ROLE_TRUSTEE;
	snprintf(f->who.id, sizeof(f->who.id), "trustee:Test Trustee");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	ledger_stop(f->gw.ledger);
	writer_stop(f->gw.writer);
	ledger_free(f->gw.ledger);
	vault_free(f->gw.vault);
	store_close(f->gw.store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
job_of(struct fixture *f, struct record_read *j, const char *id)
{
	memset(j, 0, sizeof(*j));
	j->gw = &f->gw;
	j->who = &f->who;
	j->action = "test.read";
	j->object_id = "obj_1";
	j->family_pseudonym = FAMILY;
	j->reason = "Checking the referral";
	j->digest = store_request_read_digest;
	j->insert = t_insert;
	snprintf(j->id, sizeof(j->id), "%s", id);
}

/* The t_reads row of id, as the job wrote it (reason_ct NULL when none),
 * and whether it is there. */
struct got {
	int		 found;
	struct record_read_row row;
	unsigned char	 ct[256];
	char		 idbuf[40], obj[40], fam[80], actor[160], role[32];
};

static int
got_row(sqlite3_stmt *st, struct got *g)
{
	const void	*b;
	int		 n;

	g->found = 1;
	snprintf(g->idbuf, sizeof(g->idbuf), "%s", sqlite3_column_text(st, 0));
	snprintf(g->obj, sizeof(g->obj), "%s", sqlite3_column_text(st, 1));
	snprintf(g->fam, sizeof(g->fam), "%s", sqlite3_column_text(st, 2));
	snprintf(g->actor, sizeof(g->actor), "%s", sqlite3_column_text(st, 3));
	snprintf(g->role, sizeof(g->role), "%s", sqlite3_column_text(st, 4));
	g->row.id = g->idbuf;
	g->row.object_id = g->obj;
	g->row.family_pseudonym = g->fam;
	g->row.actor = g->actor;
	g->row.actor_role = g->role;
	g->row.read_us = sqlite3_column_int64(st, 5);
	b = sqlite3_column_blob(st, 6);
	n = sqlite3_column_bytes(st, 6);
	if (b != NULL && n > 0 && (size_t)n <= sizeof(g->ct)) {
		memcpy(g->ct, b, (size_t)n);
		g->row.reason_ct = g->ct;
		g->row.reason_ctlen = (size_t)n;
	}
	memcpy(g->row.record_digest, sqlite3_column_blob(st, 7), 32);
	g->row.ledger_seq = sqlite3_column_int64(st, 8);
	return 0;
}

static void
read_row(struct fixture *f, const char *id, struct got *g)
{
	struct store_conn	*c;
	sqlite3_stmt		*st;

	memset(g, 0, sizeof(*g));
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_non_null(st = store_stmt(c, "SELECT id, object_id, family_pseudonym, actor, "
	    "actor_role, read_us, reason_ct, record_digest, ledger_seq FROM t_reads WHERE id = ?1"));
	assert_int_equal(sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		got_row(st, g);
	sqlite3_reset(st);
	store_read_end(f->gw.store, c);
}

/* The ledger entry of seq: its action, object and digest match. */
static void
assert_entry(struct fixture *f, int64_t seq, const char *action, const char *object,
    const unsigned char digest[32])
{
	struct store_conn	*c;
	sqlite3_stmt		*st;

	assert_non_null(c = store_read_begin(f->gw.store));
	assert_non_null(st = store_stmt(c, "SELECT action, object_id, family_pseudonym, actor, "
	    "record_digest FROM ledger_entries WHERE seq = ?1"));
	assert_int_equal(sqlite3_bind_int64(st, 1, seq), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), action);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), object);
	assert_string_equal((const char *)sqlite3_column_text(st, 2), FAMILY);
	assert_string_equal((const char *)sqlite3_column_text(st, 3), "trustee:Test Trustee");
	assert_int_equal(sqlite3_column_bytes(st, 4), 32);
	assert_memory_equal(sqlite3_column_blob(st, 4), digest, 32);
	sqlite3_reset(st);
	store_read_end(f->gw.store, c);
}

/* Whether s appears in b[0..n). */
static int
holds(const unsigned char *b, size_t n, const char *s)
{
	size_t	i, len = strlen(s);

	for (i = 0; i + len <= n; i++)
		if (memcmp(b + i, s, len) == 0)
			return 1;
	return 0;
}

static void
test_a_read_is_recorded_with_its_reason_sealed(void **state)
{
	struct fixture		*f = *state;
	struct record_read	 j;
	struct got		 g;
	struct store_conn	*c;
	unsigned char		 d[32];
	char			*pt = NULL;
	size_t			 ptlen = 0;
	uint64_t		 before = ledger_size(f->gw.ledger);

	job_of(f, &j, "trd_1");
	assert_int_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	assert_true(j.seq > 0);
	assert_true(j.read_us > 0);
	assert_int_equal(ledger_size(f->gw.ledger), before + 1);
	read_row(f, "trd_1", &g);
	assert_true(g.found);
	assert_string_equal(g.obj, "obj_1");
	assert_string_equal(g.role, "trustee");
	assert_int_equal(g.row.read_us, j.read_us);
	assert_int_equal(g.row.ledger_seq, j.seq);
	/* the digest is the row's, and the entry carries it */
	assert_non_null(g.row.reason_ct);
	assert_int_equal(store_request_read_digest(&g.row, d), 0);
	assert_memory_equal(d, g.row.record_digest, 32);
	assert_entry(f, j.seq, "test.read", "obj_1", d);
	/* the reason opens under the family key, and only there */
	assert_false(holds(g.ct, g.row.reason_ctlen, "Checking"));
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(vault_unseal(f->gw.vault, c, FAMILY, g.row.reason_ct,
	    g.row.reason_ctlen, &pt, &ptlen), 0);
	store_read_end(f->gw.store, c);
	assert_string_equal(pt, "Checking the referral");
	free(pt);
}

static void
test_without_the_family_key_the_read_is_recorded_without_a_reason(void **state)
{
	struct fixture		*f = *state;
	struct record_read	 j;
	struct got		 g;
	unsigned char		 d[32];

	job_of(f, &j, "trd_0");		/* makes the family's key */
	assert_int_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	assert_int_equal(writer_submit(f->gw.writer, destroy_key, f), 0);
	job_of(f, &j, "trd_2");
	assert_int_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	read_row(f, "trd_2", &g);
	assert_true(g.found);
	assert_null(g.row.reason_ct);
	assert_int_equal(store_request_read_digest(&g.row, d), 0);
	assert_memory_equal(d, g.row.record_digest, 32);
	assert_entry(f, j.seq, "test.read", "obj_1", d);
}

/* A failing digest or insert: the job fails, and its transaction leaves
 * neither the entry nor the row. */
static void
test_a_failed_step_leaves_neither_row_nor_entry(void **state)
{
	struct fixture		*f = *state;
	struct record_read	 j;
	struct got		 g;
	uint64_t		 before = ledger_size(f->gw.ledger);

	job_of(f, &j, "trd_3");
	j.digest = t_digest_fails;
	assert_int_not_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	read_row(f, "trd_3", &g);
	assert_false(g.found);
	assert_int_equal(ledger_size(f->gw.ledger), before);

	job_of(f, &j, "trd_4");
	j.insert = t_insert_fails;
	assert_int_not_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	read_row(f, "trd_4", &g);
	assert_false(g.found);
	assert_int_equal(ledger_size(f->gw.ledger), before);

	/* and the next read is recorded as usual */
	job_of(f, &j, "trd_5");
	assert_int_equal(writer_submit(f->gw.writer, record_read_job, &j), 0);
	assert_int_equal(ledger_size(f->gw.ledger), before + 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_read_is_recorded_with_its_reason_sealed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_without_the_family_key_the_read_is_recorded_without_a_reason,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_step_leaves_neither_row_nor_entry,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
