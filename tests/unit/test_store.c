/*
 * test_store.c: the store's connections, migrations, time and id helpers,
 * the row helpers the store_*.c files share,
 * the writer's group commit (a failing job rolls back alone, every job of
 * a batch is durable when submit returns, every job of a batch that does
 * not commit is answered WRITER_LOST, what a job logs of what it did is
 * written only once its batch committed), and the vault's sealing (what
 * an unseal decrypted before its tag failed is wiped whole) and key cache
 * (families colliding in one set all cached; a destroyed key never served).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <sqlite3.h>

#include <openssl/sha.h>

#include "keycache.h"
#include "migrations.h"
#include "monowait.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "writer.h"

struct fixture {
	char		 dir[64];
	struct store	*store;
	struct writer	*writer;
	struct vault	*vault;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[256], key[128];
	FILE		*kf;

	snprintf(f->dir, sizeof(f->dir), "/tmp/gwstore.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	kf = fopen(key, "w");
	assert_non_null(kf);
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, kf);
	fclose(kf);
	chmod(key, 0600);
	f->vault = vault_open(key, err, sizeof(err));
	assert_non_null(f->vault);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	if (f->writer != NULL)
		writer_stop(f->writer);
	if (f->store != NULL)
		store_close(f->store);
	vault_free(f->vault);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_time_roundtrip(void **state)
{
	int64_t	us;
	char	buf[32];

	(void)state;
	assert_int_equal(store_time_parse("2026-11-24T05:01:02.123456Z", &us), 0);
	assert_string_equal(store_time_fmt(us, buf), "2026-11-24T05:01:02.123456Z");
	assert_int_equal(store_time_parse("2026-11-24", &us), 0);
	assert_string_equal(store_time_fmt(us, buf), "2026-11-24T00:00:00.000000Z");
	assert_int_equal(store_time_parse("2026-11-24T06:01:02+01:00", &us), 0);
	assert_string_equal(store_time_fmt(us, buf), "2026-11-24T05:01:02.000000Z");
}

static void
test_time_rejects_impossible_dates(void **state)
{
	int64_t	us;

	(void)state;
	assert_int_equal(store_time_parse("2026-02-29", &us), -1);
	assert_int_equal(store_time_parse("2024-02-29", &us), 0);
	assert_int_equal(store_time_parse("2026-13-01", &us), -1);
	assert_int_equal(store_time_parse("2026-11-24T25:00:00Z", &us), -1);
	assert_int_equal(store_time_parse("2026-11-24T05:00:00", &us), -1);
	assert_int_equal(store_time_parse("2026-11-24x", &us), -1);
	assert_int_equal(store_time_parse("", &us), -1);
	assert_int_equal(store_time_parse(NULL, &us), -1);
}

static void
test_ids_are_unique_and_prefixed(void **state)
{
	char	a[40], b[40];

	(void)state;
	store_new_id("con_", a, sizeof(a));
	store_new_id("con_", b, sizeof(b));
	assert_int_equal(strlen(a), 30);
	assert_memory_equal(a, "con_", 4);
	assert_string_not_equal(a, b);
}

/* The row helpers every store_*.c shares: NULL binds NULL and "" stays "";
 * a NULL column reads as NULL, or "" once copied; copies truncate. */
static void
test_row_helpers(void **state)
{
	sqlite3		*db;
	sqlite3_stmt	*st;
	char		 buf[4];

	(void)state;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT ?1 IS NULL, ?1", -1, &st, NULL), SQLITE_OK);

	assert_int_equal(store_bind_opt_text(st, 1, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	assert_null(store_col_text(st, 1));
	memset(buf, 'x', sizeof(buf));
	store_copy_text(buf, sizeof(buf), sqlite3_column_text(st, 1));
	assert_string_equal(buf, "");
	sqlite3_reset(st);

	assert_int_equal(store_bind_opt_text(st, 1, ""), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	assert_string_equal(store_col_text(st, 1), "");
	sqlite3_reset(st);

	assert_int_equal(store_bind_opt_text(st, 1, "abcdef"), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal(store_col_text(st, 1), "abcdef");
	store_copy_text(buf, sizeof(buf), sqlite3_column_text(st, 1));
	assert_string_equal(buf, "abc");
	memset(buf, 'x', sizeof(buf));
	store_copy_text(buf, 0, sqlite3_column_text(st, 1));	/* no room: untouched */
	assert_memory_equal(buf, "xxxx", 4);
	sqlite3_reset(st);

	/* Blobs and integers: NULL when absent or unset. */
	assert_int_equal(store_bind_opt_blob(st, 1, NULL, 0), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	assert_int_equal(store_bind_opt_blob(st, 1, (const unsigned char *)"\0\1", 2), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_bytes(st, 1), 2);
	assert_memory_equal(sqlite3_column_blob(st, 1), "\0\1", 2);
	sqlite3_reset(st);
	assert_int_equal(store_bind_opt_int(st, 1, -1, -1), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	assert_int_equal(store_bind_opt_int(st, 1, 0, -1), SQLITE_OK);	/* 0 is a value here */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 0);
	assert_int_equal(sqlite3_column_int64(st, 1), 0);
	sqlite3_reset(st);

	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* A bind that fails (here: a parameter the SQL lacks) is reported, not
 * stepped past: store_bind_failed() logs it and leaves the statement reset
 * with its bindings cleared, ready for its next use. */
static void
test_bind_failure_is_reported_and_the_statement_reusable(void **state)
{
	static const char	 sql[] = "SELECT ?1";
	struct fixture		*f = *state;
	struct store_conn	*c;
	sqlite3_stmt		*st;

	c = store_read_begin(f->store);
	assert_non_null(c);
	assert_non_null(st = store_stmt(c, sql));
	assert_int_equal(sqlite3_bind_text(st, 1, "kept", -1, SQLITE_STATIC), SQLITE_OK);
	assert_int_equal(sqlite3_bind_int(st, 2, 7), SQLITE_RANGE);
	assert_int_equal(store_bind_failed(c, st), -1);
	/* Bindings cleared: ?1 is NULL again, and the statement steps. */
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_type(st, 0), SQLITE_NULL);
	sqlite3_reset(st);
	assert_non_null(st = store_stmt(c, sql));
	assert_int_equal(sqlite3_bind_int(st, 1, 7), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 7);
	sqlite3_reset(st);
	store_read_end(f->store, c);
}

/* store_step_done(): 0 when the statement is done; otherwise -1 and one log
 * line with the label and SQLite's message, never a bound value; the
 * statement is reset either way. */
static void
test_step_done_logs_label_not_values(void **state)
{
	static const char	 ins[] = "INSERT INTO temp.step_t (v) VALUES (?)";
	static const char	 sel[] = "SELECT v FROM temp.step_t";
	static const char	 secret[] = "Jane Doe 1990-01-02";
	struct fixture		*f = *state;
	struct store_conn	*c;
	sqlite3_stmt		*st;
	char			 path[96], log[2048];
	FILE			*fp;
	size_t			 n;
	int			 fd, saved, rc;

	c = store_read_begin(f->store);
	assert_non_null(c);
	assert_int_equal(store_exec(c, "CREATE TEMP TABLE step_t (v TEXT UNIQUE)"), 0);

	assert_non_null(st = store_stmt(c, ins));
	assert_int_equal(store_bind_opt_text(st, 1, secret), SQLITE_OK);
	assert_int_equal(store_step_done(c, st, "insert step_t"), 0);

	/* The same value again: a UNIQUE failure, logged to stderr. */
	snprintf(path, sizeof(path), "%s/stderr.log", f->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_non_null(st = store_stmt(c, ins));
	assert_int_equal(store_bind_opt_text(st, 1, secret), SQLITE_OK);
	rc = store_step_done(c, st, "insert step_t");
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(rc, -1);
	/* Reset: the statement steps again from the start (and fails again). */
	assert_int_equal(sqlite3_step(st), SQLITE_CONSTRAINT);
	sqlite3_reset(st);

	assert_non_null(fp = fopen(path, "r"));
	n = fread(log, 1, sizeof(log) - 1, fp);
	fclose(fp);
	log[n] = '\0';
	assert_non_null(strstr(log, "insert step_t: UNIQUE constraint failed"));
	assert_null(strstr(log, "Jane"));
	assert_null(strstr(log, "1990"));

	/* A statement that returns a row is not "done": -1, and reset. */
	assert_non_null(st = store_stmt(c, sel));
	assert_int_equal(store_step_done(c, st, "select step_t"), -1);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	sqlite3_reset(st);
	store_read_end(f->store, c);
}

/* Ids are ULIDs: the first 10 chars carry the milliseconds, so a later id
 * sorts after an earlier one and the index keyed by it grows at one edge. */
static void
test_ids_sort_by_creation_time(void **state)
{
	static const char	 b32[] = "0123456789abcdefghjkmnpqrstvwxyz";
	char			 a[40], b[40];
	uint64_t		 ms = 0, now_ms;
	struct timespec		 pause = { 0, 2000000 };
	int			 i;

	(void)state;
	store_new_id("dsc_", a, sizeof(a));
	nanosleep(&pause, NULL);
	store_new_id("dsc_", b, sizeof(b));
	assert_true(strcmp(a, b) < 0);
	for (i = 0; i < 10; i++)
		ms = ms * 32 + (uint64_t)(strchr(b32, b[4 + i]) - b32);
	now_ms = (uint64_t)store_now_us() / 1000;
	assert_true(ms <= now_ms && now_ms - ms < 1000);
	for (i = 4; i < 30; i++)
		assert_non_null(strchr(b32, b[i]));
	assert_true(b[4] <= '7');
}

/* What GET /v1/requests lists of a withheld request: its id only when it is
 * one store_new_id could have made, never other text a changed column holds. */
static void
test_only_ids_shaped_as_ours_are_shaped(void **state)
{
	char	id[40];

	(void)state;
	store_new_id("req_", id, sizeof(id));
	assert_true(store_id_shaped("req_", id));
	assert_false(store_id_shaped("dsc_", id));
	assert_true(store_id_shaped("req_", "req_01m96zy06rdg6zkgsfq3bz2qd4"));
	assert_false(store_id_shaped("req_", "req_01m96zy06rdg6zkgsfq3bz2qd"));	/* short */
	assert_false(store_id_shaped("req_", "req_01m96zy06rdg6zkgsfq3bz2qd44"));	/* long */
	assert_false(store_id_shaped("req_", "req_01m96zy06rdg6zkgsfq3bz2qdu"));	/* no 'u' */
	assert_false(store_id_shaped("req_", "req_01M96ZY06RDG6ZKGSFQ3BZ2QD4"));
	assert_false(store_id_shaped("req_", "req_Ada Requestchild-M1"));
	assert_false(store_id_shaped("req_", ""));
}

struct insert_arg {
	const char	*id;
	int		 fail;
};

static int
insert_job(struct store_conn *c, void *arg)
{
	struct insert_arg	*a = arg;
	struct consent_row	 r = { 0 };

	snprintf(r.id, sizeof(r.id), "%s", a->id);
	snprintf(r.family_pseudonym, sizeof(r.family_pseudonym), "p");
	snprintf(r.agency_id, sizeof(r.agency_id), "a");
	snprintf(r.purpose, sizeof(r.purpose), "x");
	r.granted_us = 1;
	if (store_consent_insert(c, &r, "staff:t", (const unsigned char *)"e", 1) != 0)
		return -1;
	return a->fail ? 7 : 0;
}

static void
test_writer_failing_job_rolls_back_alone(void **state)
{
	struct fixture		*f = *state;
	struct insert_arg	 ok = { "c1", 0 }, bad = { "c2", 1 };
	struct store_conn	*c;
	struct consent_row	 r;

	assert_int_equal(writer_submit(f->writer, insert_job, &ok), 0);
	assert_int_equal(writer_submit(f->writer, insert_job, &bad), 7);
	c = store_read_begin(f->store);
	assert_int_equal(store_consent_get(c, "c1", &r), 0);
	assert_int_equal(store_consent_get(c, "c2", &r), 1);
	store_read_end(f->store, c);
}

static void
test_writer_duplicate_key_fails_job(void **state)
{
	struct fixture		*f = *state;
	struct insert_arg	 a = { "dup", 0 };

	assert_int_equal(writer_submit(f->writer, insert_job, &a), 0);
	assert_int_equal(writer_submit(f->writer, insert_job, &a), -1);
}

/* Job: *arg MiB of blob rows, ~1000 frames of 1 KiB pages each. */
static int
filler_job(struct store_conn *c, void *arg)
{
	int	n = *(int *)arg;

	if (sqlite3_exec(store_db(c), "CREATE TABLE IF NOT EXISTS filler (b BLOB)", NULL, NULL,
	    NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < n; i++)
		if (sqlite3_exec(store_db(c), "INSERT INTO filler VALUES (zeroblob(1048576))",
		    NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	return 0;
}

/* The writer's commits do not checkpoint; store_checkpoint.c's thread does,
 * so the database file fills while the writer goes on (it stayed at its
 * first page, the whole store in an ever-growing WAL, when that thread's
 * connection did not know it was in WAL mode). */
static void
test_checkpoints_move_the_log_into_the_database(void **state)
{
	struct fixture		*f = *state;
	struct stat		 st;
	struct timespec		 pause = { 0, 20000000 };
	char			 path[128];
	off_t			 before;
	int			 i, mib = 1;

	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_int_equal(stat(path, &st), 0);
	before = st.st_size;
	for (i = 0; i < 20; i++)	/* ~20,000 frames: past CKPT_FRAMES */
		assert_int_equal(writer_submit(f->writer, filler_job, &mib), 0);
	for (i = 0; i < 3000; i++) {	/* up to 60 s: a slow disk under load */
		assert_int_equal(stat(path, &st), 0);
		if (st.st_size > before + 1024 * 1024)
			break;
		nanosleep(&pause, NULL);
	}
	assert_true(st.st_size > before + 1024 * 1024);
}

/* writer_submit_async(): done comes once per job, after its batch is
 * durable (a fresh read sees the row), with the job's own return value; a
 * failing job is rolled back alone. */
struct async_done {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 calls, rc[3];
	struct store	*store;
	int		 visible[3];
};

struct async_arg {
	struct insert_arg	 ins;
	struct async_done	*d;
	int			 n;
};

static void
async_done_fn(void *arg, int rc)
{
	struct async_arg	*a = arg;
	struct store_conn	*c;
	struct consent_row	 r;

	/* Durable already: a read connection of its own sees the row. */
	c = store_read_begin(a->d->store);
	a->d->visible[a->n] = c != NULL && store_consent_get(c, a->ins.id, &r) == 0;
	store_read_end(a->d->store, c);
	pthread_mutex_lock(&a->d->lock);
	a->d->rc[a->n] = rc;
	a->d->calls++;
	pthread_cond_signal(&a->d->cond);
	pthread_mutex_unlock(&a->d->lock);
}

static int
async_job(struct store_conn *c, void *arg)
{
	return insert_job(c, &((struct async_arg *)arg)->ins);
}

static void
test_writer_async_done_after_durable(void **state)
{
	struct fixture		*f = *state;
	struct async_done	 d = { .store = f->store };
	struct async_arg	 a[3] = {
		{ { "as0", 0 }, &d, 0 }, { { "as1", 1 }, &d, 1 }, { { "as2", 0 }, &d, 2 } };
	int			 i;

	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(writer_submit_async(f->writer, async_job, &a[i], async_done_fn,
		    &a[i]), 0);
	pthread_mutex_lock(&d.lock);
	while (d.calls < 3)
		pthread_cond_wait(&d.cond, &d.lock);
	pthread_mutex_unlock(&d.lock);
	assert_int_equal(d.rc[0], 0);
	assert_int_equal(d.rc[1], 7);
	assert_int_equal(d.rc[2], 0);
	assert_int_equal(d.visible[0], 1);
	assert_int_equal(d.visible[1], 0);	/* rolled back alone */
	assert_int_equal(d.visible[2], 1);
	pthread_cond_destroy(&d.cond);
	pthread_mutex_destroy(&d.lock);
}

/*
 * A batch that does not commit is lost whole, and every job in it is
 * answered WRITER_LOST, never its own return value: a job later in the
 * batch saw an earlier one's write ("already done") and that write is
 * gone. Here the batch fails because its last job ends the transaction
 * under the writer (as a failed COMMIT does on a full disk); the first
 * job is held running so that the three others queue into one batch.
 */
struct lost_batch {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 running, go, calls;
	int		 rc[4];
	int		 seen;		/* job 2 found job 1's row */
};

struct lost_arg {
	struct lost_batch	*b;
	int			 n;
};

static int
lost_job(struct store_conn *c, void *arg)
{
	struct lost_arg		*a = arg;
	struct lost_batch	*b = a->b;
	struct insert_arg	 ins = { "lost1", 0 };
	struct consent_row	 r;

	switch (a->n) {
	case 0:		/* holds the writer until the others are queued */
		pthread_mutex_lock(&b->lock);
		b->running = 1;
		pthread_cond_broadcast(&b->cond);
		while (!b->go)
			pthread_cond_wait(&b->cond, &b->lock);
		pthread_mutex_unlock(&b->lock);
		return 0;
	case 1:		/* makes the change */
		return insert_job(c, &ins);
	case 2:		/* the same again: finds it made, fails alone */
		b->seen = store_consent_get(c, "lost1", &r) == 0;
		return b->seen ? -1 : insert_job(c, &ins);
	default:	/* the batch's transaction ends under the writer */
		return sqlite3_exec(store_db(c), "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ?
		    0 : 9;
	}
}

static void
lost_done(void *arg, int rc)
{
	struct lost_arg		*a = arg;

	pthread_mutex_lock(&a->b->lock);
	a->b->rc[a->n] = rc;
	a->b->calls++;
	pthread_cond_broadcast(&a->b->cond);
	pthread_mutex_unlock(&a->b->lock);
}

static void
test_writer_lost_batch_answers_every_job_lost(void **state)
{
	struct fixture		*f = *state;
	struct lost_batch	 b = { .running = 0 };
	struct lost_arg		 a[4] = { { &b, 0 }, { &b, 1 }, { &b, 2 }, { &b, 3 } };
	struct store_conn	*c;
	struct consent_row	 r;
	unsigned long		 lost;
	int			 i;

	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	assert_int_equal(writer_submit_async(f->writer, lost_job, &a[0], lost_done, &a[0]), 0);
	pthread_mutex_lock(&b.lock);
	while (!b.running)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	for (i = 1; i < 4; i++)
		assert_int_equal(writer_submit_async(f->writer, lost_job, &a[i], lost_done,
		    &a[i]), 0);
	pthread_mutex_lock(&b.lock);
	b.go = 1;
	pthread_cond_broadcast(&b.cond);
	while (b.calls < 4)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);
	assert_int_equal(b.rc[0], 0);		/* its own batch, committed */
	assert_int_equal(b.seen, 1);		/* "already done", in the lost batch */
	assert_int_equal(b.rc[1], WRITER_LOST);
	assert_int_equal(b.rc[2], WRITER_LOST);	/* not its own -1 */
	assert_int_equal(b.rc[3], WRITER_LOST);
	c = store_read_begin(f->store);
	assert_int_equal(store_consent_get(c, "lost1", &r), 1);	/* nothing kept */
	store_read_end(f->store, c);

	/* writer_submit() answers the same, and counts it for this thread. */
	lost = writer_lost_here();
	assert_int_equal(writer_submit(f->writer, lost_job, &a[3]), WRITER_LOST);
	assert_int_equal(writer_lost_here(), lost + 1);
	/* A job failing alone in a batch that commits keeps its answer. */
	assert_int_equal(writer_submit(f->writer, lost_job, &a[1]), 0);
	assert_int_equal(writer_submit(f->writer, lost_job, &a[2]), -1);
	assert_int_equal(writer_lost_here(), lost + 1);
	pthread_cond_destroy(&b.cond);
	pthread_mutex_destroy(&b.lock);
}

/* Finds nothing to change: fails alone, having written nothing. */
static int
nothing_job(struct store_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return -1;
}

/*
 * A batch that commits having written nothing (a job that found nothing
 * to change, the ledger's no-op job) says nothing of whether the store can
 * record: it leaves a run of failed batches as it is (GET /healthz stays
 * 503), and only a write that reaches the log ends it.
 */
static void
test_writer_empty_commit_does_not_end_a_run_of_failures(void **state)
{
	struct fixture		*f = *state;
	struct lost_batch	 b = { .running = 0 };
	struct lost_arg		 lose = { &b, 3 };
	struct insert_arg	 ins = { "empty1", 0 };
	struct writer_stats	 st;
	unsigned long		 failing;

	assert_int_equal(writer_submit(f->writer, lost_job, &lose), WRITER_LOST);
	writer_stats(f->writer, &st);
	assert_true(st.failing >= 1);
	failing = st.failing;
	assert_int_equal(writer_submit(f->writer, nothing_job, NULL), -1);
	writer_stats(f->writer, &st);
	assert_int_equal(st.failing, failing);
	assert_int_equal(writer_submit(f->writer, insert_job, &ins), 0);
	writer_stats(f->writer, &st);
	assert_int_equal(st.failing, 0);
}

/* A job that sleeps inside the batch, standing for the time a job takes. */
static int
slow_job(struct store_conn *c, void *arg)
{
	struct timespec	ts = { 0, *(long *)arg };

	(void)c;
	nanosleep(&ts, NULL);
	return 0;
}

/*
 * The writer's own time is accounted (gateway_writer_idle_seconds,
 * gateway_writer_commit_seconds): a wait with nothing queued is idle, a
 * job's time inside its batch is not, and a commit counts in commit.
 * Bounds only, never a speed: a sleep lasts at least what it asks, and the
 * idle time between two batches cannot exceed the time they took less the
 * second one's job.
 */
static void
test_writer_accounts_its_idle_and_commit_time(void **state)
{
	struct fixture		*f = *state;
	struct writer_stats	 a, b, c;
	struct insert_arg	 ins = { "timed1", 0 };
	struct timespec		 ts = { 0, 50 * 1000 * 1000 };
	long			 busy = 30 * 1000 * 1000;
	int64_t			 t1, t2;

	assert_int_equal(writer_submit(f->writer, insert_job, &ins), 0);
	writer_stats(f->writer, &a);
	assert_true(a.commit_us > 0);
	nanosleep(&ts, NULL);	/* the writer waits with nothing to do */
	t1 = monowait_now_us();
	assert_int_equal(writer_submit(f->writer, slow_job, &busy), 0);
	writer_stats(f->writer, &b);
	assert_true(b.idle_us - a.idle_us >= 25000);
	/* The next job's own 30 ms are not idle. */
	assert_int_equal(writer_submit(f->writer, slow_job, &busy), 0);
	writer_stats(f->writer, &c);
	t2 = monowait_now_us();
	assert_true((int64_t)(c.idle_us - b.idle_us) + 30000 <= t2 - t1);
	assert_true(c.commit_us >= b.commit_us);
}

/* writer_log(): how a job logs, then ends (0 kept, 7 rolled back alone, 9
 * its batch lost), and how many lines it logs. */
struct log_arg {
	const char	*tag;
	int		 end, lines;
};

static int
log_job(struct store_conn *c, void *arg)
{
	struct log_arg		*a = arg;
	struct insert_arg	 ins = { a->tag, 0 };
	int			 i;

	if (insert_job(c, &ins) != 0)
		return -1;
	for (i = 0; i < a->lines; i++)
		writer_log_info("%s line %d done", a->tag, i);
	if (a->end == 9)	/* the transaction ends under the writer: lost */
		return sqlite3_exec(store_db(c), "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ?
		    0 : 9;
	return a->end;
}

/*
 * What a job logs of what it did is written once its batch has committed,
 * never for a job rolled back alone nor for a lost batch (the log would
 * report a stop that never happened), and at most WRITER_LOG_LINES lines a
 * batch, the rest counted.
 */
static void
test_writer_logs_only_what_was_committed(void **state)
{
	struct fixture	*f = *state;
	struct log_arg	 kept = { "kept", 0, 1 }, undone = { "undone", 7, 1 },
			 lost = { "lost", 9, 1 }, many = { "many", 0, WRITER_LOG_LINES + 6 };
	char		 path[96], needle[64], *log;
	FILE		*fp;
	long		 len;
	int		 fd, saved;

	snprintf(path, sizeof(path), "%s/stderr.log", f->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_int_equal(writer_submit(f->writer, log_job, &kept), 0);
	assert_int_equal(writer_submit(f->writer, log_job, &undone), 7);
	assert_int_equal(writer_submit(f->writer, log_job, &lost), WRITER_LOST);
	assert_int_equal(writer_submit(f->writer, log_job, &many), 0);
	writer_log_info("outside line 0 done");	/* no batch running: at once */
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);

	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) > 0);
	rewind(fp);
	assert_non_null(log = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(log, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	assert_non_null(strstr(log, "kept line 0 done"));
	assert_null(strstr(log, "undone line"));
	assert_null(strstr(log, "lost line"));
	assert_non_null(strstr(log, "batch failed to commit"));
	snprintf(needle, sizeof(needle), "many line %d done", WRITER_LOG_LINES - 1);
	assert_non_null(strstr(log, needle));
	snprintf(needle, sizeof(needle), "many line %d done", WRITER_LOG_LINES);
	assert_null(strstr(log, needle));
	assert_non_null(strstr(log, "6 more line(s) of this batch not written"));
	assert_non_null(strstr(log, "outside line 0 done"));
	free(log);
}

/* A batch of many jobs, each logging a line (as every disclosure does):
 * gate_job holds the writer until they are all queued behind it. */
struct gate {
	pthread_mutex_t	 m;
	pthread_cond_t	 cv;
	int		 started, open;
	unsigned	 done, bad;	/* answered; of those, not 0 */
};

static int
gate_job(struct store_conn *c, void *arg)
{
	struct gate	*g = arg;

	(void)c;
	pthread_mutex_lock(&g->m);
	g->started = 1;
	pthread_cond_broadcast(&g->cv);
	while (!g->open)
		pthread_cond_wait(&g->cv, &g->m);
	pthread_mutex_unlock(&g->m);
	return 0;
}

struct line_arg {
	struct gate	*g;
	int		 i;
};

static int
line_job(struct store_conn *c, void *arg)
{
	struct line_arg	*a = arg;

	(void)c;
	writer_log_info("full line %d done", a->i);
	return 0;
}

static void
line_done(void *arg, int rc)
{
	struct gate	*g = arg;

	pthread_mutex_lock(&g->m);	/* the writer thread's: no assert here */
	g->done++;
	g->bad += rc != 0;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->m);
}

#define FULL_BATCH	200	/* more than 64 (the old bound), under MAX_BATCH */

/* Every job of one batch may log a line of what it did and every line is
 * written, in the jobs' order: the bound is above a batch's jobs (it was
 * 64 a batch, so a batch of more disclosures would have lost their lines
 * once those were written from the job). */
static void
test_writer_logs_a_line_for_every_job_of_a_big_batch(void **state)
{
	struct fixture	*f = *state;
	struct gate	 g = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0 };
	struct line_arg	 a[FULL_BATCH];
	char		 path[96], needle[64], *log, *at, *prev;
	FILE		*fp;
	long		 len;
	int		 fd, saved, i;

	snprintf(path, sizeof(path), "%s/stderr.log", f->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	assert_int_equal(writer_submit_async(f->writer, gate_job, &g, line_done, &g), 0);
	pthread_mutex_lock(&g.m);
	while (!g.started)
		pthread_cond_wait(&g.cv, &g.m);
	pthread_mutex_unlock(&g.m);
	for (i = 0; i < FULL_BATCH; i++) {	/* all queued behind the gate: one batch */
		a[i] = (struct line_arg){ &g, i };
		assert_int_equal(writer_submit_async(f->writer, line_job, &a[i], line_done, &g), 0);
	}
	pthread_mutex_lock(&g.m);
	g.open = 1;
	pthread_cond_broadcast(&g.cv);
	while (g.done < FULL_BATCH + 1)
		pthread_cond_wait(&g.cv, &g.m);
	pthread_mutex_unlock(&g.m);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(g.bad, 0);

	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((len = ftell(fp)) > 0);
	rewind(fp);
	assert_non_null(log = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(log, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	for (prev = log, i = 0; i < FULL_BATCH; i++) {
		snprintf(needle, sizeof(needle), "full line %d done\n", i);
		assert_non_null(at = strstr(log, needle));
		assert_true(at >= prev);	/* in the jobs' order */
		prev = at;
	}
	assert_null(strstr(log, "not written"));
	free(log);
}

/* sql run on db; the test fails with SQLite's message if it fails. */
static void
raw_exec(sqlite3 *db, const char *sql)
{
	char	*msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* The integer in the first column of sql's first row on db, -1 if none. */
static int
raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int		 v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* An integer read through SQLite's own VFS, on a connection of its own. */
static int
db_int(const char *path, const char *sql)
{
	sqlite3	*db;
	int	 v;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	v = raw_int(db, sql);
	sqlite3_close(db);
	return v;
}

/* One job of n consents: a commit of many frames. */
static int
many_job(struct store_conn *c, void *arg)
{
	struct insert_arg	 a = { NULL, 0 };
	char			 id[40];
	int			 i, n = *(int *)arg;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "many-%d", i);
		a.id = id;
		if (insert_job(c, &a) != 0)
			return -1;
	}
	return 0;
}

/* The log's header salt: it changes each time the log starts over. */
static uint64_t
wal_salt(const char *wal, off_t *size)
{
	unsigned char	h[8];
	struct stat	st;
	uint64_t	v = 0;
	int		fd = open(wal, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, h, sizeof(h), 16), (ssize_t)sizeof(h));
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	*size = st.st_size;
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

/* Under steady commits (4 MiB each, faster than the checkpointer copies)
 * the log still starts over from its beginning (the writer finishes a
 * checkpoint between batches) and its file stays bounded: past
 * CKPT_MAX_FRAMES (131072 frames of 1 KiB pages) the writer waits for the
 * checkpointer's pass and finishes, so the file holds at most that and one
 * more commit. */
static void
test_log_starts_over_under_steady_commits(void **state)
{
	struct fixture		*f = *state;
	char			 wal[160];
	uint64_t		 salt0;
	off_t			 size, max = 0;
	int			 restarts = 0, round, mib = 4;

	snprintf(wal, sizeof(wal), "%s/gateway.db-wal", f->dir);
	assert_int_equal(writer_submit(f->writer, filler_job, &mib), 0);
	salt0 = wal_salt(wal, &size);
	for (round = 1; round < 200 && restarts < 2; round++) {
		uint64_t salt;
		assert_int_equal(writer_submit(f->writer, filler_job, &mib), 0);
		salt = wal_salt(wal, &size);
		if (size > max)
			max = size;
		if (salt != salt0) {
			restarts++;
			salt0 = salt;
		}
	}
	fprintf(stderr, "# %d commits of %d MiB: %d restarts, log at most %lld bytes\n",
	    round, mib, restarts, (long long)max);
	assert_int_equal(restarts, 2);
	assert_true(max <= (off_t)(131072 + 4 * 1100) * (1024 + 24) + 32);
}

/* store_walbuf.c: store connections write the log through it; a commit is
 * in the file once writer_submit() returns, for a reader that does not use
 * it and across a crash of the process right after. */
static void
test_walbuf_commit_in_the_file_when_acknowledged(void **state)
{
	struct fixture		*f = *state;
	struct insert_arg	 a = { "wb-1", 0 };
	sqlite3			*wdb = store_db(store_write_conn(f->store));
	sqlite3_file		*dbf = NULL, *walf = NULL;
	char			 dir[160], path[192], err[256];
	pid_t			 pid;
	int			 status;

	assert_non_null(store_vfs());
	assert_int_equal(writer_submit(f->writer, insert_job, &a), 0);
	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_int_equal(db_int(path, "SELECT count(*) FROM consents WHERE id = 'wb-1'"), 1);
	/* The log goes through the buffering file methods, the database
	 * file through the default VFS's own. */
	assert_int_equal(sqlite3_file_control(wdb, "main", SQLITE_FCNTL_FILE_POINTER, &dbf),
	    SQLITE_OK);
	assert_int_equal(sqlite3_file_control(wdb, "main", SQLITE_FCNTL_JOURNAL_POINTER, &walf),
	    SQLITE_OK);
	assert_non_null(dbf);
	assert_non_null(walf);
	assert_non_null(walf->pMethods);
	assert_ptr_not_equal(walf->pMethods, dbf->pMethods);
	/* A commit of more than the buffer holds, and more than the unix VFS
	 * writes in one call (128 KiB): 3000 consents, ~1 MiB of frames. */
	assert_int_equal(writer_submit(f->writer, many_job, &(int){ 3000 }), 0);
	assert_int_equal(db_int(path, "SELECT count(*) FROM consents WHERE id = 'many-2999'"), 1);

	/* A process that dies right after its commit (no close, no flush at
	 * exit) leaves the commit in the log. */
	snprintf(dir, sizeof(dir), "%s/crash", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store	*s = store_open(dir, err, sizeof(err));
		struct writer	*w = s != NULL ? writer_start(s) : NULL;
		struct insert_arg b = { "wb-crash", 0 };

		_exit(w != NULL && writer_submit(w, insert_job, &b) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/gateway.db", dir);
	assert_int_equal(db_int(path, "SELECT count(*) FROM consents WHERE id = 'wb-crash'"), 1);
}

/* A commit is in the file before readers are shown it whatever the
 * connection's synchronous setting: under NORMAL no sync follows a commit,
 * and the log's buffer is handed down at the commit's last frame. */
static void
test_walbuf_commit_in_the_file_without_a_sync(void **state)
{
	struct fixture		*f = *state;
	struct store		*s;
	struct store_conn	*c;
	char			 dir[160], path[192], err[256];

	snprintf(dir, sizeof(dir), "%s/normal", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_non_null(s = store_open(dir, err, sizeof(err)));
	c = store_write_conn(s);
	assert_int_equal(store_exec(c, "PRAGMA synchronous=NORMAL"), 0);
	assert_int_equal(store_exec(c, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(store_exec(c, "INSERT INTO consents (id, family_pseudonym, agency_id, "
	    "purpose, evidence_ct, recorded_by, granted_us) VALUES ('wb-normal', 'aa', "
	    "'oakfield-primary', 'education_support', x'01', 'test', 1)"), 0);
	assert_int_equal(store_exec(c, "COMMIT"), 0);
	snprintf(path, sizeof(path), "%s/gateway.db", dir);
	assert_int_equal(db_int(path, "SELECT count(*) FROM consents WHERE id = 'wb-normal'"), 1);
	store_close(s);
}

struct thread_arg {
	struct writer	*w;
	int		 n;
	int		 failures;
};

static void *
submitter(void *p)
{
	struct thread_arg	*t = p;
	char			 id[40];
	struct insert_arg	 a = { id, 0 };
	int			 i;

	for (i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "t%d-%d", t->n, i);
		if (writer_submit(t->w, insert_job, &a) != 0)
			t->failures++;
	}
	return NULL;
}

static void
test_writer_group_commit_concurrent(void **state)
{
	struct fixture		*f = *state;
	pthread_t		 th[8];
	struct thread_arg	 ta[8];
	struct store_conn	*c;
	sqlite3_stmt		*st;
	int			 i;

	for (i = 0; i < 8; i++) {
		ta[i] = (struct thread_arg){ f->writer, i, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, submitter, &ta[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(ta[i].failures, 0);
	}
	c = store_read_begin(f->store);
	st = store_stmt(c, "SELECT count(*) FROM consents WHERE id LIKE 't%'");
	assert_non_null(st);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 400);
	store_read_end(f->store, c);
}

struct seal_arg {
	struct vault	*v;
	const char	*pseudonym;
	unsigned char	*ct;
	size_t		 ctlen;
	int		 rc;
};

static int
seal_job(struct store_conn *c, void *arg)
{
	struct seal_arg	*s = arg;

	s->rc = vault_seal(s->v, c, s->pseudonym, "child has asthma", 16, &s->ct, &s->ctlen);
	return s->rc;
}

static int
destroy_job(struct store_conn *c, void *arg)
{
	struct seal_arg	*s = arg;

	return vault_destroy(s->v, c, s->pseudonym, 1);
}

static void
test_vault_seal_unseal_and_destroy(void **state)
{
	struct fixture		*f = *state;
	struct seal_arg		 s = { f->vault, "pseud1", NULL, 0, -1 };
	struct store_conn	*c;
	char			*pt = NULL;
	size_t			 ptlen;

	assert_int_equal(writer_submit(f->writer, seal_job, &s), 0);
	assert_null(memmem(s.ct, s.ctlen, "asthma", 6));
	c = store_read_begin(f->store);
	assert_int_equal(vault_unseal(f->vault, c, "pseud1", s.ct, s.ctlen, &pt, &ptlen), 0);
	assert_string_equal(pt, "child has asthma");
	free(pt);
	/* bound to the family: another pseudonym cannot open it */
	assert_int_not_equal(vault_unseal(f->vault, c, "pseud2", s.ct, s.ctlen, &pt, &ptlen), 0);
	/* tampering is detected */
	s.ct[s.ctlen - 1] ^= 1;
	assert_int_equal(vault_unseal(f->vault, c, "pseud1", s.ct, s.ctlen, &pt, &ptlen), -1);
	s.ct[s.ctlen - 1] ^= 1;
	store_read_end(f->store, c);

	assert_int_equal(writer_submit(f->writer, destroy_job, &s), 0);
	c = store_read_begin(f->store);
	assert_int_equal(vault_unseal(f->vault, c, "pseud1", s.ct, s.ctlen, &pt, &ptlen), 1);
	store_read_end(f->store, c);
	free(s.ct);
	/* an erased family gets no new key */
	s.ct = NULL;
	assert_int_equal(writer_submit(f->writer, seal_job, &s), 1);
	free(s.ct);
}

/* What wipe_free() was given while observed (wipe.h). */
static size_t	wiped_big, wiped_dirty;

static void
wiped(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;

	if (n >= sizeof("child has asthma"))
		wiped_big++;
	for (i = 0; i < n; i++)
		if (b[i] != 0) {
			wiped_dirty++;
			break;
		}
}

/* AES-GCM decrypts before it checks the tag: when the tag fails, the
 * plaintext already written (a family's value) is wiped whole as its
 * buffer is freed, as every opened value is (wipe.h). */
static void
test_vault_tampered_unseal_wipes_what_it_decrypted(void **state)
{
	struct fixture		*f = *state;
	struct seal_arg		 s = { f->vault, "pseud1", NULL, 0, -1 };
	struct store_conn	*c;
	char			*pt = NULL;
	size_t			 ptlen;

	assert_int_equal(writer_submit(f->writer, seal_job, &s), 0);
	assert_non_null(c = store_read_begin(f->store));
	/* Once whole: the family key is cached, so that what is wiped
	 * below is the value alone, not also the unwrapped key. */
	assert_int_equal(vault_unseal(f->vault, c, "pseud1", s.ct, s.ctlen, &pt, &ptlen), 0);
	wipe_free(pt);
	pt = NULL;
	s.ct[s.ctlen - 1] ^= 1;
	wiped_big = wiped_dirty = 0;
	wipe_observe(wiped);
	assert_int_equal(vault_unseal(f->vault, c, "pseud1", s.ct, s.ctlen, &pt, &ptlen), -1);
	wipe_observe(NULL);
	store_read_end(f->store, c);
	assert_null(pt);
	assert_int_equal(wiped_big, 1);
	assert_int_equal(wiped_dirty, 0);
	free(s.ct);
}

/* Key status through a fresh read: 0 key, 1 destroyed, 2 none. */
static int
key_now(struct fixture *f, const char *pseudonym)
{
	struct store_conn	*c = store_read_begin(f->store);
	struct vault_key	 k;
	int			 rc;

	assert_non_null(c);
	rc = vault_key_get(f->vault, c, pseudonym, 0, &k);
	vault_key_clear(&k);
	store_read_end(f->store, c);
	return rc;
}

struct racing_read {
	struct fixture	*f;
	struct seal_arg	*s;
	int		 seen;		/* what a read during the job saw */
};

/* Destroys the key, then, before the batch commits, has a reader (which
 * still sees the key: the destruction is not committed) look it up. */
static int
destroy_then_read_job(struct store_conn *c, void *arg)
{
	struct racing_read	*r = arg;
	int			 rc = vault_destroy(r->s->v, c, r->s->pseudonym, 1);

	r->seen = key_now(r->f, r->s->pseudonym);
	return rc;
}

/*
 * The key cache never serves a key after its destruction has committed,
 * whichever way a read races it: a read between the destruction and its
 * commit, and a read in a transaction whose snapshot predates the commit,
 * both still see the key (correct for them) and must not cache it. And the
 * cache is really used: a key row blanked behind the vault's back (which
 * only a second process could do, and the data lock forbids) is still
 * served from it.
 */
static void
test_vault_key_cache_never_outlives_a_destruction(void **state)
{
	struct fixture		*f = *state;
	struct seal_arg		 a = { f->vault, "pseudA", NULL, 0, -1 };
	struct seal_arg		 b = { f->vault, "pseudB", NULL, 0, -1 };
	struct racing_read	 r = { f, &a, -1 };
	struct store_conn	*old;
	sqlite3_stmt		*st;
	struct vault_key	 k;
	char			 path[128];
	sqlite3			*h;

	writer_on_commit(f->writer, vault_committed, f->vault);
	assert_int_equal(writer_submit(f->writer, seal_job, &a), 0);
	assert_int_equal(writer_submit(f->writer, seal_job, &b), 0);
	assert_int_equal(key_now(f, "pseudA"), 0);	/* cached from here */
	assert_int_equal(key_now(f, "pseudB"), 0);
	assert_int_equal(key_now(f, ""), 2);	/* an empty slot is no one's key */

	/* Cached: a blanked row does not matter to it. */
	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	assert_int_equal(sqlite3_exec(h, "UPDATE family_keys SET wrapped_key = NULL, "
	    "destroyed_us = 1 WHERE pseudonym = 'pseudB'", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(key_now(f, "pseudB"), 0);

	/* A read between destruction and commit sees the key, caches nothing. */
	free(a.ct);
	assert_int_equal(writer_submit(f->writer, seal_job, &a), 0);
	assert_int_equal(key_now(f, "pseudA"), 0);
	free(a.ct);
	assert_int_equal(writer_submit(f->writer, destroy_then_read_job, &r), 0);
	assert_int_equal(r.seen, 0);
	assert_int_equal(key_now(f, "pseudA"), 1);

	/* A transaction begun before a destruction commits keeps seeing the
	 * key; it must not cache it either. */
	a.pseudonym = "pseudC";
	assert_int_equal(writer_submit(f->writer, seal_job, &a), 0);
	free(a.ct);
	old = store_read_begin(f->store);
	assert_int_equal(sqlite3_exec(store_db(old), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
	st = store_stmt(old, "SELECT count(*) FROM family_keys");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);	/* the snapshot starts here */
	sqlite3_reset(st);
	assert_int_equal(writer_submit(f->writer, destroy_job, &a), 0);
	assert_int_equal(vault_key_get(f->vault, old, "pseudC", 0, &k), 0);	/* as of its snapshot */
	vault_key_clear(&k);
	store_read_end(f->store, old);
	assert_int_equal(key_now(f, "pseudC"), 1);
	free(b.ct);
}

/* FNV-1a of a name, as the key cache hashes it. */
static uint32_t
fnv1a(const char *s)
{
	uint32_t	h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/*
 * Families whose names collide in the key cache are all cached at once:
 * KEYCACHE_WAYS pseudonyms with the same FNV-1a modulo 1024 (one slot of
 * the direct-mapped table this cache replaced, where each evicted the
 * last, and one set now) are each served from the cache (their rows
 * blanked behind the vault's back, as above, cannot answer), each with
 * its own key, also by vault_key_cached() without a connection; and
 * destroying one of them stops it being served at once, through either,
 * while the others stay.
 */
static void
test_vault_key_cache_serves_families_colliding_in_one_set(void **state)
{
	struct fixture		*f = *state;
	struct seal_arg		 s[KEYCACHE_WAYS];
	char			 names[KEYCACHE_WAYS][65], sql[256], path[128];
	struct vault_key	 k, kc;
	struct store_conn	*c;
	uint32_t		 slot = 0;
	unsigned		 n = 0, i;
	sqlite3			*h;

	writer_on_commit(f->writer, vault_committed, f->vault);
	for (i = 0; n < KEYCACHE_WAYS; i++) {
		snprintf(names[n], sizeof(names[n]), "%064x", i);
		if (n == 0)
			slot = fnv1a(names[0]) % 1024;
		else if (fnv1a(names[n]) % 1024 != slot)
			continue;
		assert_int_equal(keycache_set_of(names[n]), keycache_set_of(names[0]));
		s[n] = (struct seal_arg){ f->vault, names[n], NULL, 0, -1 };
		assert_int_equal(writer_submit(f->writer, seal_job, &s[n]), 0);
		n++;
	}
	for (i = 0; i < KEYCACHE_WAYS; i++)
		assert_int_equal(key_now(f, names[i]), 0);	/* each read once: cached */

	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	for (i = 1; i < KEYCACHE_WAYS; i++) {
		snprintf(sql, sizeof(sql), "UPDATE family_keys SET wrapped_key = NULL, "
		    "destroyed_us = 1 WHERE pseudonym = '%s'", names[i]);
		assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	sqlite3_close(h);
	assert_non_null(c = store_read_begin(f->store));
	for (i = 0; i < KEYCACHE_WAYS; i++) {
		char	*pt = NULL;
		size_t	 len;

		assert_int_equal(vault_unseal(f->vault, c, names[i], s[i].ct, s[i].ctlen,
		    &pt, &len), 0);
		assert_string_equal(pt, "child has asthma");	/* its own key */
		wipe_free(pt);
		assert_int_equal(vault_key_get(f->vault, c, names[i], 0, &k), 0);
		assert_int_equal(vault_key_cached(f->vault, names[i], &kc), 1);
		assert_true(vault_key_same(&k, &kc));
		vault_key_clear(&k);
		vault_key_clear(&kc);
	}
	store_read_end(f->store, c);

	/* Destroyed: never served again, the others still are. */
	assert_int_equal(writer_submit(f->writer, destroy_job, &s[0]), 0);
	assert_int_equal(vault_key_cached(f->vault, names[0], &kc), 0);
	assert_int_equal(key_now(f, names[0]), 1);
	assert_int_equal(vault_key_cached(f->vault, names[0], &kc), 0);
	for (i = 1; i < KEYCACHE_WAYS; i++)
		assert_int_equal(key_now(f, names[i]), 0);
	for (i = 0; i < KEYCACHE_WAYS; i++)
		free(s[i].ct);
}

static void
test_vault_pseudonym_is_keyed_and_stable(void **state)
{
	struct fixture	*f = *state;
	char		 a[65], b[65], c[65];

	vault_pseudonym(f->vault, "FAM-1", a);
	vault_pseudonym(f->vault, "FAM-1", b);
	vault_pseudonym(f->vault, "FAM-2", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 64);
	/* Known answer, computed outside OpenSSL (Python's hmac, RFC 5869 by
	 * hand): HMAC-SHA256 under HKDF-SHA256(master, salt
	 * "families-together-gateway", info "family pseudonym v1"). Every
	 * stored pseudonym depends on it never changing. */
	assert_string_equal(a, "e4ae297b817787ed6332a6e2842ccb008d3577d30ac432cd86df5b7f92f1c471");
}

/* An erasure's reason is kept only as this keyed digest: not the plain
 * SHA-256 a guessed reason could be confirmed against, and not the same
 * for one reason given for two families. */
static void
test_vault_erasure_reason_mac_is_keyed(void **state)
{
	struct fixture	*f = *state;
	unsigned char	 a[32], b[32], c[32], plain[32];
	char		 p1[65], p2[65], hex[65];
	size_t		 i;

	vault_pseudonym(f->vault, "FAM-1", p1);
	vault_pseudonym(f->vault, "FAM-2", p2);
	vault_erasure_reason_mac(f->vault, p1, "Family asked", a);
	vault_erasure_reason_mac(f->vault, p1, "Family asked", b);
	vault_erasure_reason_mac(f->vault, p2, "Family asked", c);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	SHA256((const unsigned char *)"Family asked", strlen("Family asked"), plain);
	assert_memory_not_equal(a, plain, 32);
	/* Known answer, computed outside OpenSSL (Python's hmac, RFC 5869 by
	 * hand): HMAC-SHA256 under HKDF-SHA256(master, salt
	 * "families-together-gateway", info "erasure reason v1") of the
	 * pseudonym's length (8 bytes, big-endian), the pseudonym and the
	 * reason. A restored copy's erasure marks are read under the same
	 * master key, so it must never change. */
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", a[i]);
	assert_string_equal(hex, "53470b715639912ff5434d3a0d5b7e557119ceca71928e0d683b5170988daa97");
}

/* An Idempotency-Key is kept as an HMAC under a key of its own, of its
 * parts with their lengths: parts split differently are different bytes. */
static void
test_vault_idempotency_mac_is_keyed_and_length_prefixed(void **state)
{
	struct fixture		*f = *state;
	unsigned char		 a[32], b[32], c[32], r[32];
	char			 hex[65], p1[65];
	size_t			 i;
	const struct vault_part	 k1[] = {
		{ "staff:Alex Morgan", 17 }, { "POST /v1/disclosures", 20 }, { "3f1c2a9e-uuid", 13 },
	};
	const struct vault_part	 k2[] = {
		{ "staff:Alex Morgan", 17 }, { "POST /v1/disclosures3", 21 }, { "f1c2a9e-uuid", 12 },
	};

	vault_idempotency_mac(f->vault, k1, 3, a);
	vault_idempotency_mac(f->vault, k1, 3, b);
	vault_idempotency_mac(f->vault, k2, 3, c);
	assert_memory_equal(a, b, 32);
	assert_memory_not_equal(a, c, 32);
	/* Not the erasure reason's key either. */
	vault_pseudonym(f->vault, "FAM-1", p1);
	vault_erasure_reason_mac(f->vault, p1, "3f1c2a9e-uuid", r);
	assert_memory_not_equal(a, r, 32);
	/* Known answer (Python's hmac, RFC 5869 by hand): HMAC-SHA256 under
	 * HKDF-SHA256(master, salt "families-together-gateway", info
	 * "idempotency key v1") of each part's length (8 bytes, big-endian)
	 * and the part. Rows kept over a restart are found under it. */
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", a[i]);
	assert_string_equal(hex, "e3b0120a03392e802dd607f0ae1185cd43df9e8be5edec29bf55bd252253c44c");
}

static void
test_vault_refuses_world_readable_key(void **state)
{
	struct fixture	*f = *state;
	char		 key[128], err[256];

	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	chmod(key, 0644);
	assert_null(vault_open(key, err, sizeof(err)));
	assert_non_null(strstr(err, "readable"));
	chmod(key, 0600);
}

/* Owned by another user (mode 0600 all the same): refused, as ledger.key
 * is; that user could read it, or replace it with a key of their own. */
static void
test_vault_refuses_a_key_file_another_user_owns(void **state)
{
	struct fixture	*f = *state;
	struct vault	*v;
	char		 key[128], err[256];

	if (geteuid() != 0)
		skip();		/* only root can give a file away */
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	assert_int_equal(chown(key, 65534, (gid_t)-1), 0);
	assert_null(vault_open(key, err, sizeof(err)));
	assert_non_null(strstr(err, "not owned"));
	assert_int_equal(chown(key, geteuid(), (gid_t)-1), 0);
	assert_non_null(v = vault_open(key, err, sizeof(err)));
	vault_free(v);
}

/* ---- migrations ---- */


static void
db_exec(const char *path, const char *sql)
{
	sqlite3	*db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	raw_exec(db, sql);
	sqlite3_close(db);
}

static int
top_migration(void)
{
	size_t	i;
	int	top = 0;

	for (i = 0; i < migrations_count; i++)
		if (migrations[i].version > top)
			top = migrations[i].version;
	return top;
}

static void
test_schema_migrations_records_every_migration_once(void **state)
{
	struct fixture	*f = *state;
	char		 path[128], err[256];

	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_int_equal(db_int(path, "SELECT count(*) FROM schema_migrations"),
	    (int)migrations_count);
	assert_int_equal(db_int(path, "PRAGMA user_version"), top_migration());
	/* Opening again applies nothing. */
	writer_stop(f->writer);
	f->writer = NULL;
	store_close(f->store);
	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	assert_int_equal(db_int(path, "SELECT count(*) FROM schema_migrations"),
	    (int)migrations_count);
}

static void
test_database_from_before_schema_migrations_is_adopted(void **state)
{
	struct fixture	*f = *state;
	char		 path[128], err[256];

	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	writer_stop(f->writer);
	f->writer = NULL;
	store_close(f->store);
	f->store = NULL;
	/* What an older build left: every table, user_version, no record. */
	db_exec(path, "DROP TABLE schema_migrations");
	f->store = store_open(f->dir, err, sizeof(err));
	if (f->store == NULL)
		fail_msg("store_open: %s", err);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	assert_int_equal(db_int(path, "SELECT count(*) FROM schema_migrations"),
	    (int)migrations_count);
	assert_int_equal(db_int(path, "PRAGMA user_version"), top_migration());
}

static void
test_migration_added_below_the_top_is_applied_to_an_older_database(void **state)
{
	struct fixture	*f = *state;
	char		 path[128], err[256];

	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	writer_stop(f->writer);
	f->writer = NULL;
	store_close(f->store);
	f->store = NULL;
	/* A database made before 011 existed: at the top user_version, with
	 * neither the table 011 makes nor the record of migrations. */
	db_exec(path, "DROP TABLE override_events; DROP TABLE schema_migrations");
	assert_int_equal(db_int(path,
	    "SELECT count(*) FROM sqlite_master WHERE name = 'override_events'"), 0);
	f->store = store_open(f->dir, err, sizeof(err));
	if (f->store == NULL)
		fail_msg("store_open: %s", err);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	assert_int_equal(db_int(path,
	    "SELECT count(*) FROM sqlite_master WHERE name = 'override_events'"), 1);
	assert_int_equal(db_int(path, "SELECT count(*) FROM schema_migrations WHERE version = 11"), 1);
	assert_int_equal(db_int(path, "PRAGMA user_version"), top_migration());
}

/* ---- 052: the state checks without IN lists ---- */

/* How many rows of EXPLAIN sql have the opcode op. */
static int
opcodes(sqlite3 *db, const char *sql, const char *op)
{
	sqlite3_stmt	*st;
	char		 explain[1024];
	int		 n = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1), op) == 0)
			n++;
	sqlite3_finalize(st);
	return n;
}

static const char *const	state_inserts[] = {
	"INSERT INTO notifications (disclosure_id, family_pseudonym, family_id_ct, state,"
	" created_us) VALUES ('dis_000', 'p', x'00', ?, 0)",
	"INSERT INTO deliveries (disclosure_id, agency_id, family_pseudonym, mode, state,"
	" created_us) VALUES ('dis_000', 'a', 'p', 'pull', ?, 0)",
	"INSERT INTO delivery_attempts (disclosure_id, attempt, kind, actor, started_us,"
	" finished_us, outcome) VALUES ('dis_000', 0, ?, 'system', 0, 0, 'read')",
	"INSERT INTO delivery_attempts (disclosure_id, attempt, kind, actor, started_us,"
	" finished_us, outcome) VALUES ('dis_000', 0, 'read', 'system', 0, 0, ?)",
};

/* A database the migrations before 052 made, holding notifications,
 * deliveries and attempts of every state, kind and outcome. */
static void
store_before_052(const char *dir)
{
	sqlite3	*db;
	char	 path[160], sql[160];
	size_t	 i;

	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/gateway.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	raw_exec(db, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
	    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	    " applied_us INTEGER NOT NULL) STRICT");
	for (i = 0; i < migrations_count; i++) {
		if (migrations[i].version >= 52)
			continue;
		raw_exec(db, migrations[i].sql);
		snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (%d, '%s', 0);"
		    "PRAGMA user_version=%d", migrations[i].version, migrations[i].name,
		    migrations[i].version);
		raw_exec(db, sql);
	}
	raw_exec(db,
	    "WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < 59)"
	    " INSERT INTO disclosures SELECT printf('dis_%03d', k), k, 'staff:x', 'staff',"
	    " 'oakfield-primary', 'education_support', printf('fam%d', k % 7), 'allowed',"
	    " 'allowed', 'a6', NULL, '[]', '[]', '[]', x'01', x'02', NULL, NULL, NULL, NULL,"
	    " x'03', k + 1, x'04' FROM n;"
	    "INSERT INTO notifications SELECT id, family_pseudonym, x'05',"
	    " CASE ledger_seq % 4 WHEN 0 THEN 'queued' WHEN 1 THEN 'held' WHEN 2 THEN 'sent'"
	    " ELSE 'failed' END, created_us, created_us + 5, NULL, NULL, ledger_seq % 3,"
	    " created_us + 7, CASE WHEN ledger_seq % 2 = 1 THEN 200 END, NULL FROM disclosures;"
	    "INSERT INTO deliveries (disclosure_id, agency_id, family_pseudonym, mode, state,"
	    " created_us, attempts, last_error, body_sha256, reads) SELECT id, agency_id,"
	    " family_pseudonym, CASE ledger_seq % 2 WHEN 0 THEN 'push' ELSE 'pull' END,"
	    " CASE ledger_seq % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'delivered' ELSE 'dead' END,"
	    " created_us, ledger_seq, CASE WHEN ledger_seq % 5 = 0 THEN 'timeout' END,"
	    " CASE WHEN ledger_seq % 3 = 1 THEN x'aa' END, ledger_seq % 4 FROM disclosures;"
	    "INSERT INTO delivery_attempts (disclosure_id, attempt, kind, actor, started_us,"
	    " finished_us, outcome) SELECT disclosure_id, k, CASE (created_us + k) % 4"
	    " WHEN 0 THEN 'push' WHEN 1 THEN 'read' WHEN 2 THEN 'ack' ELSE 'requeue' END,"
	    " 'system', created_us, created_us + 1, CASE (created_us + k) % 6 WHEN 0 THEN"
	    " 'delivered' WHEN 1 THEN 'retry' WHEN 2 THEN 'dead' WHEN 3 THEN 'read' WHEN 4"
	    " THEN 'acked' ELSE 'requeued' END FROM deliveries, (SELECT 1 AS k UNION ALL"
	    " SELECT 2)");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/*
 * 052 rebuilds notifications, deliveries and delivery_attempts with their
 * state checks as equalities: every row and index comes through unchanged,
 * foreign keys hold, a state outside the lists is still refused, and
 * writing a row no longer builds a temporary b-tree (the old schema's
 * inserts did: checked on the copy taken before).
 */
static void
test_state_checks_rebuilt_without_in_lists(void **state)
{
	static const char *const tables[] = { "notifications", "deliveries", "delivery_attempts" };
	struct fixture		*f = *state;
	struct store		*s;
	sqlite3			*db;
	sqlite3_stmt		*st;
	char			 dir[96], path[160], sql[1024], err[256];
	size_t			 i;

	snprintf(dir, sizeof(dir), "%s/old", f->dir);
	store_before_052(dir);
	snprintf(sql, sizeof(sql), "cp %s/gateway.db %s/before.db", dir, f->dir);
	assert_int_equal(system(sql), 0);

	if ((s = store_open(dir, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	store_close(s);

	snprintf(path, sizeof(path), "%s/gateway.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s/before.db' AS b", f->dir);
	raw_exec(db, sql);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM schema_migrations WHERE version = 52"), 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM delivery_attempts"), 120);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		/* The columns the table had before: later migrations may add
		 * some (057: delivery_attempts.ledger_seq). */
		char	cols[256];

		snprintf(sql, sizeof(sql), "SELECT group_concat(name, ',') FROM"
		    " pragma_table_info('%s', 'b')", tables[i]);
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		snprintf(cols, sizeof(cols), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM (SELECT %s FROM main.%s"
		    " EXCEPT SELECT * FROM b.%s)) + (SELECT count(*) FROM (SELECT * FROM b.%s"
		    " EXCEPT SELECT %s FROM main.%s)) + (SELECT count(*) FROM main.%s) -"
		    " (SELECT count(*) FROM b.%s)", cols, tables[i], tables[i], tables[i], cols,
		    tables[i], tables[i], tables[i]);
		assert_int_equal(raw_int(db, sql), 0);
		/* Every index the table had, the same (later ones may be added,
		 * or redefined by a later migration: 064 notifications_due, 065
		 * deliveries_inbox narrowed; both still there, see below). */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT name, sql FROM"
		    " main.sqlite_master WHERE type = 'index' AND tbl_name = '%s' AND name IN"
		    " (SELECT name FROM b.sqlite_master) AND name NOT IN"
		    " ('notifications_due', 'deliveries_inbox') EXCEPT"
		    " SELECT name, sql FROM b.sqlite_master WHERE type = 'index' AND"
		    " tbl_name = '%s')", tables[i], tables[i]);
		assert_int_equal(raw_int(db, sql), 0);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM b.sqlite_master WHERE"
		    " type = 'index' AND tbl_name = '%s'", tables[i]);
		assert_true(raw_int(db, sql) >= 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT name FROM"
		    " b.sqlite_master WHERE type = 'index' AND tbl_name = '%s' EXCEPT SELECT name"
		    " FROM main.sqlite_master WHERE type = 'index' AND tbl_name = '%s')",
		    tables[i], tables[i]);
		assert_int_equal(raw_int(db, sql), 0);
	}
	assert_int_equal(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%_new'"
	    " OR name LIKE '%_held'"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	assert_int_equal(raw_int(db, "SELECT integrity_check = 'ok' FROM pragma_integrity_check"),
	    1);
	raw_exec(db, "DETACH b; PRAGMA foreign_keys=ON");

	for (i = 0; i < sizeof(state_inserts) / sizeof(state_inserts[0]); i++) {
		assert_int_equal(opcodes(db, state_inserts[i], "OpenEphemeral"), 0);
		assert_int_equal(sqlite3_prepare_v2(db, state_inserts[i], -1, &st, NULL),
		    SQLITE_OK);
		sqlite3_bind_text(st, 1, "bogus", -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_CONSTRAINT);
		assert_int_equal(sqlite3_extended_errcode(db), SQLITE_CONSTRAINT_CHECK);
		sqlite3_finalize(st);
	}
	assert_int_equal(sqlite3_exec(db, "UPDATE deliveries SET state = 'gone'", NULL, NULL,
	    NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(db, "UPDATE notifications SET state = 'gone'", NULL, NULL,
	    NULL), SQLITE_CONSTRAINT);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM deliveries WHERE disclosure_id ="
	    " 'dis_001'", NULL, NULL, NULL), SQLITE_CONSTRAINT);	/* its attempts */
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	snprintf(path, sizeof(path), "%s/before.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (i = 0; i < sizeof(state_inserts) / sizeof(state_inserts[0]); i++)
		assert_true(opcodes(db, state_inserts[i], "OpenEphemeral") > 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_time_rejects_impossible_dates),
		cmocka_unit_test(test_ids_are_unique_and_prefixed),
		cmocka_unit_test(test_ids_sort_by_creation_time),
		cmocka_unit_test(test_only_ids_shaped_as_ours_are_shaped),
		cmocka_unit_test(test_row_helpers),
		cmocka_unit_test_setup_teardown(test_step_done_logs_label_not_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_failure_is_reported_and_the_statement_reusable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_failing_job_rolls_back_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_duplicate_key_fails_job, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoints_move_the_log_into_the_database, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_log_starts_over_under_steady_commits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_group_commit_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_async_done_after_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_lost_batch_answers_every_job_lost, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_accounts_its_idle_and_commit_time, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_writer_empty_commit_does_not_end_a_run_of_failures,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_logs_a_line_for_every_job_of_a_big_batch,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_logs_only_what_was_committed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walbuf_commit_in_the_file_when_acknowledged, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_walbuf_commit_in_the_file_without_a_sync, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_vault_seal_unseal_and_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_tampered_unseal_wipes_what_it_decrypted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_key_cache_never_outlives_a_destruction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_key_cache_serves_families_colliding_in_one_set,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_pseudonym_is_keyed_and_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_erasure_reason_mac_is_keyed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_vault_idempotency_mac_is_keyed_and_length_prefixed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_refuses_world_readable_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vault_refuses_a_key_file_another_user_owns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_migrations_records_every_migration_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_database_from_before_schema_migrations_is_adopted,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_migration_added_below_the_top_is_applied_to_an_older_database, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_checks_rebuilt_without_in_lists, setup,
		    teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
