/*
 * test_ledger.c: the running ledger over a real store and writer: entries
 * of a rolled-back job never enter the tree, concurrent appends get
 * consecutive numbers in group commits, proofs verify against the signed
 * checkpoint, a checkpoint follows new entries within a second, the
 * ledger refuses to open over entries that no longer match what it signed,
 * an older entry's block is read back and checked once (leafcache.h) while
 * its row is still checked against it at every question, and SQLite running out of memory on the writer thread, at each of its
 * allocations in turn, leaves the tree and the store in step. And what a
 * reader about to show a row does with its entry's answer
 * (ledger_entry_shown, gateway/ledger_shown.c): shown silently, never
 * shown, or not now, logged in the reader's words.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "head_guard.h"
#include "leafcache.h"
#include "ledger.h"
#include "ledger_verify.h"
#include "merkle.h"
#include "note.h"
#include "signer.h"
#include "store.h"
#include "tamper.h"
#include "writer.h"

struct fixture {
	char		 dir[64];
	struct store	*store;
	struct writer	*writer;
	struct ledger	*ledger;
};

static void
open_all(struct fixture *f)
{
	char	err[512];

	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	f->writer = writer_start(f->store);
	assert_non_null(f->writer);
	f->ledger = ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err));
	if (f->ledger == NULL)
		fprintf(stderr, "# ledger_open: %s\n", err);
	assert_non_null(f->ledger);
}

static void
close_all(struct fixture *f)
{
	ledger_stop(f->ledger);
	writer_stop(f->writer);
	ledger_free(f->ledger);
	store_close(f->store);
	f->ledger = NULL;
	f->writer = NULL;
	f->store = NULL;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwledger.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	open_all(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	if (f->ledger != NULL)
		close_all(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

struct append_job {
	struct ledger	*ledger;
	const char	*action;
	int		 count;
	int		 fail;		/* return non-zero after appending: roll back */
	int64_t		 seq[16];
	unsigned char	 leaf[32];
};

static int
append_job(struct store_conn *c, void *arg)
{
	struct append_job	*j = arg;

	for (int i = 0; i < j->count; i++) {
		struct ledger_entry e = { "staff:Test", "staff", j->action, NULL, "obj", NULL,
		    NULL };
		if (ledger_append(j->ledger, c, &e, &j->seq[i], j->leaf) != 0)
			return -1;
	}
	return j->fail ? 1 : 0;
}

/* What a query of one count answers. */
static int64_t
db_count_of(struct fixture *f, const char *sql)
{
	struct store_conn	*c = store_read_begin(f->store);
	sqlite3_stmt		*st;
	int64_t			 n = -1;

	assert_non_null(c);
	st = store_stmt(c, sql);
	assert_non_null(st);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	store_read_end(f->store, c);
	return n;
}

static int64_t
db_count(struct fixture *f)
{
	return db_count_of(f, "SELECT count(*) FROM ledger_entries");
}

/* ledger_head_write, wrapped for this binary (Makefile: --wrap): fails
 * while head_write_fails is set, as a full disk would. */
static int	head_write_fails;
int	__real_ledger_head_write(const char *, const char *, size_t);
int	__wrap_ledger_head_write(const char *, const char *, size_t);

int
__wrap_ledger_head_write(const char *path, const char *note, size_t len)
{
	if (head_write_fails) {
		errno = ENOSPC;
		return -1;
	}
	return __real_ledger_head_write(path, note, len);
}

static void
test_open_records_key_creation_and_start_and_signs(void **state)
{
	struct fixture	*f = *state;
	uint64_t	 size = 0;
	char		*note = ledger_checkpoint(f->ledger, &size, NULL);

	assert_non_null(note);
	assert_int_equal(size, 2);		/* ledger.key_created, gateway.started */
	assert_int_equal(ledger_size(f->ledger), 2);
	assert_int_equal(db_count(f), 2);
	free(note);
}

static void
test_rolled_back_entries_never_enter_the_tree(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 bad = { f->ledger, "record.read", 3, 1, { 0 }, { 0 } };
	struct append_job	 good = { f->ledger, "record.read", 1, 0, { 0 }, { 0 } };
	struct ledger_proof	 p;
	uint64_t		 before = ledger_size(f->ledger);

	assert_int_not_equal(writer_submit(f->writer, append_job, &bad), 0);
	assert_int_equal(ledger_size(f->ledger), before);
	assert_int_equal(db_count(f), (int64_t)before);
	/* The next entry takes the number the rolled-back one had. */
	assert_int_equal(writer_submit(f->writer, append_job, &good), 0);
	assert_int_equal(good.seq[0], bad.seq[0]);
	assert_int_equal(good.seq[0], (int64_t)before + 1);
	/* The tree has moved by the time the job is answered. */
	assert_int_equal(ledger_size(f->ledger), before + 1);
	assert_int_equal(ledger_inclusion(f->ledger, good.seq[0], before + 1, &p), 0);
	assert_memory_equal(p.leaf_hash, good.leaf, 32);
	assert_int_equal(merkle_verify_inclusion(p.leaf_index, p.tree_size, p.leaf_hash,
	    p.hashes, p.n, p.root), 0);
}

struct thread_arg {
	struct fixture	*f;
	int		 jobs;
};

static void *
appender(void *arg)
{
	struct thread_arg	*t = arg;

	for (int i = 0; i < t->jobs; i++) {
		struct append_job j = { t->f->ledger, "disclosure.allowed", 2, 0, { 0 }, { 0 } };
		if (writer_submit(t->f->writer, append_job, &j) != 0)
			return (void *)1;
		if (j.seq[1] != j.seq[0] + 1)
			return (void *)2;	/* one job's entries are consecutive */
	}
	return NULL;
}

static void
test_concurrent_appends_are_numbered_consecutively(void **state)
{
	struct fixture		*f = *state;
	pthread_t		 th[8];
	struct thread_arg	 ta = { f, 25 };
	uint64_t		 before = ledger_size(f->ledger);
	void			*rv;

	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&th[i], NULL, appender, &ta), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(th[i], &rv), 0);
		assert_null(rv);
	}
	assert_int_equal(ledger_size(f->ledger), before + 8 * 25 * 2);
	assert_int_equal(db_count(f), (int64_t)(before + 8 * 25 * 2));
}

/* The entry's time (ledger_entries.time_us). */
static int64_t
entry_time(struct fixture *f, int64_t seq)
{
	struct store_conn	*c = store_read_begin(f->store);
	sqlite3_stmt		*st;
	int64_t			 t = -1;

	assert_non_null(c);
	st = store_stmt(c, "SELECT time_us FROM ledger_entries WHERE seq = ?");
	assert_non_null(st);
	assert_int_equal(sqlite3_bind_int64(st, 1, seq), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	store_read_end(f->store, c);
	return t;
}

/* Signed within a second of the entry, as the checkpoint's signed time
 * says: the storing of the checkpoint and of ledger.head after the
 * signature (three syncs, slow on a loaded disk) is not the signer's
 * delay. That it is then shown is awaited with room (10 s). */
static void
test_checkpoint_follows_new_entries_within_a_second(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 1, 0, { 0 }, { 0 } };
	struct timespec		 t0, t1;
	uint64_t		 size = 0;
	char			*note = NULL;
	int64_t			 te;

	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++) {
		free(note);
		note = ledger_checkpoint(f->ledger, &size, NULL);
		if (size >= (uint64_t)j.seq[0])
			break;
		usleep(10000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(size >= (uint64_t)j.seq[0]);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 <= 10000);
	/* It verifies with the key on disk and its root is the tree's. */
	char pub[128], err[256];
	snprintf(pub, sizeof(pub), "%s/ledger.pub", f->dir);
	EVP_PKEY *k = signer_load_pub(pub, err, sizeof(err));
	assert_non_null(k);
	size_t tl;
	struct checkpoint cp;
	assert_int_equal(note_verify(note, strlen(note), LEDGER_ORIGIN, k, &tl), 0);
	assert_int_equal(checkpoint_parse(note, tl, &cp), 0);
	assert_int_equal(size, (uint64_t)j.seq[0]);	/* the first to cover it */
	te = entry_time(f, j.seq[0]);
	assert_true(te > 0 && cp.time_us >= te);
	assert_true(cp.time_us - te <= 1200000);
	struct ledger_proof p;
	assert_int_equal(ledger_inclusion(f->ledger, j.seq[0], 0, &p), 0);
	assert_int_equal(p.tree_size, cp.size);
	assert_memory_equal(p.root, cp.root, 32);
	EVP_PKEY_free(k);
	free(note);
}

static void
test_invalid_entries_are_refused(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "bad\naction", 1, 0, { 0 }, { 0 } };
	uint64_t		 before = ledger_size(f->ledger);

	assert_int_not_equal(writer_submit(f->writer, append_job, &j), 0);
	j.action = "";
	assert_int_not_equal(writer_submit(f->writer, append_job, &j), 0);
	assert_int_equal(ledger_size(f->ledger), before);
	/* And nothing is appended through a NULL ledger. */
	j.ledger = NULL;
	j.action = "record.read";
	assert_int_not_equal(writer_submit(f->writer, append_job, &j), 0);
}

static int
feed_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	return ledger_verify_entry(arg, r, leaf);
}

static int
feed_checkpoint(uint64_t size, const unsigned char *root, int64_t t, const char *note,
    size_t len, void *arg)
{
	(void)t;
	return ledger_verify_checkpoint(arg, note, len, (int64_t)size, root);
}

static void
test_reopen_extends_the_same_tree_and_verifies_offline(void **state)
{
	struct fixture			*f = *state;
	struct append_job		 j = { f->ledger, "record.read", 5, 0, { 0 }, { 0 } };
	struct ledger_proof		 p;
	uint64_t			 old_size = 0, new_size = 0;
	char				*old, *cur;

	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	close_all(f);		/* gateway.stopped + final checkpoint */
	open_all(f);		/* gateway.started, no new key */
	old = ledger_checkpoint(f->ledger, &old_size, NULL);
	assert_non_null(old);
	j.ledger = f->ledger;
	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	close_all(f);
	open_all(f);
	cur = ledger_checkpoint(f->ledger, &new_size, NULL);
	assert_non_null(cur);
	assert_true(new_size > old_size);
	assert_int_equal(ledger_consistency(f->ledger, old_size, new_size, &p), 0);
	assert_int_equal(merkle_verify_consistency(old_size, new_size, p.first_root, p.root,
	    p.hashes, p.n), 0);
	free(old);
	free(cur);
	close_all(f);

	/* The whole database verifies offline. */
	char db[128], pub[128], err[256];
	snprintf(db, sizeof(db), "%s/gateway.db", f->dir);
	snprintf(pub, sizeof(pub), "%s/ledger.pub", f->dir);
	EVP_PKEY *k = signer_load_pub(pub, err, sizeof(err));
	assert_non_null(k);
	struct ledger_db *l = store_ledger_db_open(db, err, sizeof(err));
	assert_non_null(l);
	struct ledger_verify *v = ledger_verify_new(k, LEDGER_ORIGIN, NULL, NULL);
	assert_non_null(v);
	struct ledger_verify_report rep;
	assert_int_equal(store_ledger_db_entries(l, feed_entry, v), 0);
	assert_int_equal(store_ledger_db_checkpoints(l, feed_checkpoint, v), 0);
	assert_int_equal(ledger_verify_finish(v, &rep), 0);
	assert_int_equal(rep.latest_size, new_size + 1);	/* + gateway.stopped */
	assert_int_equal(rep.uncovered, 0);
	store_ledger_db_close(l);
	ledger_verify_free(v);
	EVP_PKEY_free(k);
	open_all(f);
}

static void
test_refuses_to_open_over_a_changed_or_truncated_ledger(void **state)
{
	struct fixture	*f = *state;
	char		 err[512];
	struct ledger	*l;

	close_all(f);
	/* An entry's content edited behind the gateway's back (its stored leaf
	 * hash left alone) is caught at start-up, naming the entry. */
	tamper(f->dir, "DROP TRIGGER ledger_entries_append_only_update;"
	    "UPDATE ledger_entries SET actor = 'staff:Mallory' WHERE seq = 1");
	f->store = store_open(f->dir, err, sizeof(err));
	f->writer = writer_start(f->store);
	assert_null(ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "entry 1 does not match its leaf hash"));
	writer_stop(f->writer);
	store_close(f->store);

	tamper(f->dir, "DROP TRIGGER ledger_entries_append_only_delete;"
	    "DELETE FROM ledger_entries WHERE seq = (SELECT max(seq) FROM ledger_entries)");
	f->store = store_open(f->dir, err, sizeof(err));
	f->writer = writer_start(f->store);
	l = ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err));
	assert_null(l);
	assert_non_null(strstr(err, "entries were removed"));
	writer_stop(f->writer);
	store_close(f->store);
	f->store = NULL;
	f->writer = NULL;
}

/* Without ledger.head a store is trusted only when it has nothing signed
 * yet, or when the operator says the loss is intended (head_guard.h). */
static void
test_missing_head_is_made_only_for_a_new_store_or_when_accepted(void **state)
{
	(void)state;
	/* exists, signed_before, accepted */
	assert_int_equal(head_presence(1, 1, 0), HEAD_PRESENT);
	assert_int_equal(head_presence(1, 0, 1), HEAD_PRESENT);
	assert_int_equal(head_presence(0, 0, 0), HEAD_MAKE_FRESH);
	assert_int_equal(head_presence(0, 0, 1), HEAD_MAKE_FRESH);
	assert_int_equal(head_presence(0, 1, 0), HEAD_REFUSE);
	assert_int_equal(head_presence(0, 1, 1), HEAD_MAKE_ACCEPTED);
}

/* A store with signed checkpoints and no ledger.head (an older copy put in
 * place with the file deleted looks the same) is not opened, and no head is
 * made from it; accepted, the head is made from its newest checkpoint. */
static void
test_refuses_to_open_a_signed_store_without_its_head_unless_accepted(void **state)
{
	struct fixture	*f = *state;
	char		 err[1024], head[128];
	struct ledger	*l;

	close_all(f);
	snprintf(head, sizeof(head), "%s/ledger.head", f->dir);
	assert_int_equal(unlink(head), 0);
	f->store = store_open(f->dir, err, sizeof(err));
	f->writer = writer_start(f->store);
	assert_null(ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "ledger.head is missing, but the database holds signed "
	    "checkpoints"));
	assert_non_null(strstr(err, "--accept-missing-ledger-head"));
	assert_int_equal(access(head, F_OK), -1);
	assert_non_null(l = ledger_open(f->store, f->writer, f->dir, NULL, 1, err, sizeof(err)));
	f->ledger = l;
	assert_int_equal(access(head, F_OK), 0);
	close_all(f);
	open_all(f);	/* the head there again: no flag needed */
}

/* ledger.head is written before its checkpoint is stored, and a
 * checkpoint whose head could not be written is not stored: the store
 * never holds a checkpoint newer than the head, so no stop between the two
 * writes leaves what a rollback with the head deleted looks like, not even
 * at the very first checkpoint (which was refused at the next start). */
static void
test_a_checkpoint_is_stored_only_once_its_head_is_written(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 1, 0, { 0 }, { 0 } };
	const char		*count = "SELECT count(*) FROM ledger_checkpoints";
	char			 err[1024], cmd[128], head[128];
	int64_t			 n;

	/* Running: the stop's final checkpoint, its head not written. */
	n = db_count_of(f, count);
	head_write_fails = 1;
	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	ledger_stop(f->ledger);
	assert_int_equal(db_count_of(f, count), n);
	head_write_fails = 0;
	close_all(f);
	open_all(f);		/* the entries after the head: a crash's tail */
	assert_true(db_count_of(f, count) > n);

	/* A new store's first checkpoint, its head not written: not stored,
	 * and the next start is a new store's again. */
	close_all(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", f->dir);
	assert_int_equal(system(cmd), 0);
	snprintf(head, sizeof(head), "%s/ledger.head", f->dir);
	head_write_fails = 1;
	f->store = store_open(f->dir, err, sizeof(err));
	f->writer = writer_start(f->store);
	assert_null(ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot sign the first checkpoint"));
	assert_int_equal(db_count_of(f, count), 0);
	assert_int_equal(access(head, F_OK), -1);
	head_write_fails = 0;
	writer_stop(f->writer);
	store_close(f->store);
	open_all(f);
	assert_true(db_count_of(f, count) >= 1);
	assert_int_equal(access(head, F_OK), 0);
}

/* A row inserted into ledger_entries behind the gateway's back (the
 * triggers stop only UPDATE and DELETE) never enters the tree or a
 * checkpoint: the next append finds it, refuses and raises the alarm, and
 * the ledger will not open again while ledger.alarm says so. */
static void
test_a_row_it_did_not_write_is_never_signed(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 2, 0, { 0 }, { 0 } };
	uint64_t		 size, signed_n = 0;
	char			 err[512], sql[512], *note;

	assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	size = ledger_size(f->ledger);
	assert_false(ledger_alarmed(f->ledger));
	snprintf(sql, sizeof(sql), "INSERT INTO ledger_entries (seq, time_us, actor, "
	    "actor_role, action, leaf_hash) VALUES (%llu, 1, 'staff:X', 'trustee', "
	    "'request.approved', zeroblob(32))", (unsigned long long)size + 1);
	tamper(f->dir, sql);
	assert_int_not_equal(writer_submit(f->writer, append_job, &j), 0);
	assert_true(ledger_alarmed(f->ledger));
	assert_int_equal(ledger_size(f->ledger), size);
	assert_int_equal(db_count(f), (int64_t)size + 1);
	note = ledger_checkpoint(f->ledger, &signed_n, NULL);
	assert_true(signed_n <= size);
	free(note);
	close_all(f);		/* the stop is not recorded, nothing signed */
	f->store = store_open(f->dir, err, sizeof(err));
	f->writer = writer_start(f->store);
	assert_null(ledger_open(f->store, f->writer, f->dir, NULL, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "integrity alarm"));
	writer_stop(f->writer);
	store_close(f->store);
	f->store = NULL;
	f->writer = NULL;
}

/* Leaf hashes of complete blocks are not kept in memory: a proof reads its
 * block back from ledger_entries and checks it against the tree, so a leaf
 * hash changed in the database fails the proof instead of changing it. */
static void
test_proofs_read_old_leaves_back_and_refuse_a_changed_one(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 16, 0, { 0 }, { 0 } };
	struct ledger_proof	 p;
	uint64_t		 size;

	for (int i = 0; i < 40; i++)	/* 640 entries: blocks 0 and 1 complete */
		assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	size = ledger_size(f->ledger);
	assert_true(size >= 640 && size < 768);
	assert_true(ledger_tree_bytes(f->ledger) < size * MERKLE_HASH_LEN);
	assert_int_equal(ledger_inclusion(f->ledger, 3, size, &p), 0);
	assert_int_equal(merkle_verify_inclusion(p.leaf_index, p.tree_size, p.leaf_hash,
	    p.hashes, p.n, p.root), 0);
	assert_int_equal(ledger_consistency(f->ledger, 300, size, &p), 0);
	assert_int_equal(merkle_verify_consistency(300, size, p.first_root, p.root, p.hashes,
	    p.n), 0);

	tamper(f->dir, "DROP TRIGGER ledger_entries_append_only_update;"
	    "UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE seq = 3");
	assert_int_equal(ledger_inclusion(f->ledger, 3, size, &p), -1);
	assert_int_equal(ledger_inclusion(f->ledger, 200, size, &p), -1);	/* same block */
	assert_int_equal(ledger_consistency(f->ledger, 100, size, &p), -1);
	/* A proof that needs nothing from that block still verifies. */
	assert_int_equal(ledger_inclusion(f->ledger, 600, size, &p), 0);
	assert_int_equal(merkle_verify_inclusion(p.leaf_index, p.tree_size, p.leaf_hash,
	    p.hashes, p.n, p.root), 0);
}

/* The leaf an entry's row gives now (ledger_leaf_hash of the stored row),
 * as disclosure_signed.c recomputes it. */
struct row_leaf {
	unsigned char	leaf[32];
	unsigned char	stored[32];	/* the leaf_hash column */
	int		found;
};

static int
row_leaf_of(const struct ledger_record *r, const unsigned char *stored, void *arg)
{
	struct row_leaf	*rl = arg;

	rl->found++;
	if (stored != NULL)
		memcpy(rl->stored, stored, 32);
	return ledger_leaf_hash(NULL, r, rl->leaf) == 0 ? 0 : -1;
}

static void
row_leaf(struct fixture *f, int64_t seq, struct row_leaf *rl)
{
	struct store_conn	*c = store_read_begin(f->store);

	assert_non_null(c);
	memset(rl, 0, sizeof(*rl));
	assert_int_equal(store_ledger_entries(c, seq, seq, row_leaf_of, rl), 0);
	store_read_end(f->store, c);
	assert_int_equal(rl->found, 1);
}

/* Writes leaf into entry seq's leaf_hash column (its trigger dropped). */
static void
set_leaf_column(struct fixture *f, int64_t seq, const unsigned char leaf[32])
{
	char	sql[160];
	int	n;

	n = snprintf(sql, sizeof(sql), "UPDATE ledger_entries SET leaf_hash = X'");
	for (int i = 0; i < 32; i++)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, "%02X", leaf[i]);
	snprintf(sql + n, sizeof(sql) - (size_t)n, "' WHERE seq = %lld", (long long)seq);
	tamper(f->dir, sql);
}

static struct leafcache_stats
cache_stats(struct fixture *f)
{
	struct leafcache_stats	st;

	ledger_leaf_cache_stats(f->ledger, &st);
	return st;
}

/*
 * An older entry (a complete block, not the newest) is checked against its
 * block read back once and kept (leafcache.h); later questions about that
 * block take it from the cache. The row is still hashed and compared at
 * every question: an entry changed after its block was cached is refused.
 * A block not yet cached is still checked against the tree when read.
 */
static void
test_old_blocks_are_read_once_and_rows_still_checked(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 16, 0, { 0 }, { 0 } };
	struct leafcache_stats	 st;
	struct row_leaf		 rl, rl300;
	merkle_hash		*all, one;
	uint64_t		 size;

	for (int i = 0; i < 40; i++)	/* 640 entries: blocks 0 and 1 complete */
		assert_int_equal(writer_submit(f->writer, append_job, &j), 0);
	size = ledger_size(f->ledger);
	assert_true(size >= 640 && size < 768);
	st = cache_stats(f);
	assert_int_equal(st.hits + st.misses, 0);

	row_leaf(f, 3, &rl);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, rl.leaf, 0), 1);
	st = cache_stats(f);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.blocks, 1);
	assert_int_equal(ledger_leaf_signed(f->ledger, 200, rl.leaf, 0), 0);	/* another's */
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, rl.leaf, 0), 1);
	st = cache_stats(f);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 1);
	/* The newest block is the tree's memory, not the cache's. */
	row_leaf(f, (int64_t)size, &rl300);
	assert_int_equal(ledger_leaf_signed(f->ledger, (int64_t)size, rl300.leaf, 0), 1);
	assert_int_equal(cache_stats(f).hits + cache_stats(f).misses, 3);

	/* A block not cached yet is checked against the tree when read: a
	 * changed leaf_hash column in block 1 fails, and nothing is kept. */
	row_leaf(f, 300, &rl300);
	tamper(f->dir, "DROP TRIGGER ledger_entries_append_only_update;"
	    "UPDATE ledger_entries SET leaf_hash = zeroblob(32) WHERE seq = 300");
	assert_int_equal(ledger_leaves(f->ledger, 300, 1, &one), -1);
	assert_int_equal(cache_stats(f).blocks, 1);
	tamper(f->dir, "UPDATE ledger_entries SET leaf_hash = (SELECT leaf_hash FROM "
	    "ledger_entries WHERE seq = 299) WHERE seq = 300");	/* still not its own */
	assert_int_equal(ledger_leaf_signed(f->ledger, 300, rl300.leaf, 0), -1);
	set_leaf_column(f, 300, rl300.stored);

	/* Every leaf, across blocks 0 (cached), 1 (read now) and the newest,
	 * is the one the rows give. */
	assert_non_null(all = calloc(size, sizeof(*all)));
	assert_int_equal(ledger_leaves(f->ledger, 1, size, all), 0);
	for (uint64_t s = 1; s <= size; s += 1 + s % 7) {
		row_leaf(f, (int64_t)s, &rl300);
		assert_memory_equal(all[s - 1], rl300.leaf, 32);
	}
	assert_int_equal(ledger_leaves(f->ledger, 250, 20, all), 0);	/* 250..269 */
	row_leaf(f, 260, &rl300);
	assert_memory_equal(all[10], rl300.leaf, 32);
	free(all);
	st = cache_stats(f);
	assert_int_equal(st.blocks, 2);

	/* The row of entry 3, changed after its block was cached (another
	 * actor): the leaf it gives now is refused, from the cache. */
	tamper(f->dir, "UPDATE ledger_entries SET actor = 'staff:Someone Else' WHERE seq = 3");
	row_leaf(f, 3, &rl300);
	assert_memory_not_equal(rl300.leaf, rl.leaf, 32);
	st = cache_stats(f);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, rl300.leaf, 0), 0);
	assert_int_equal(cache_stats(f).hits, st.hits + 1);
	assert_int_equal(cache_stats(f).misses, st.misses);
	/* What the cache answers is the tree's leaf, never the leaf_hash
	 * column: that column edited to fit the changed row changes nothing. */
	set_leaf_column(f, 3, rl300.leaf);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, rl300.leaf, 0), 0);
	assert_int_equal(ledger_leaf_signed(f->ledger, 3, rl.leaf, 0), 1);
	/* Put back (the row as written): the teardown stops the ledger cleanly. */
	tamper(f->dir, "UPDATE ledger_entries SET actor = 'staff:Test' WHERE seq = 3");
	set_leaf_column(f, 3, rl.leaf);
	row_leaf(f, 3, &rl300);
	assert_memory_equal(rl300.leaf, rl.leaf, 32);
	assert_true(cache_stats(f).bytes < 3 * MERKLE_BLOCK * MERKLE_HASH_LEN);
}

/*
 * SQLite's allocations fail on demand (sqlite3_config(SQLITE_CONFIG_MALLOC)
 * in main): only while armed, only on the writer thread (named gw-writer),
 * the fail_at-th one counted from arming.
 */
static sqlite3_mem_methods	real_mem;
static atomic_int		oom_armed, oom_failed;
static atomic_ulong		oom_calls, oom_fail_at;
static _Thread_local int	on_writer = -1;

static int
oom_now(void)
{
	char	name[16] = "";

	if (!atomic_load(&oom_armed))
		return 0;
	if (on_writer < 0) {
		(void)prctl(PR_GET_NAME, name, 0, 0, 0);
		on_writer = strcmp(name, "gw-writer") == 0;
	}
	if (!on_writer)
		return 0;
	if (atomic_fetch_add(&oom_calls, 1) + 1 == atomic_load(&oom_fail_at)) {
		atomic_store(&oom_failed, 1);
		return 1;
	}
	return 0;
}

static void *
oom_malloc(int n)
{
	return oom_now() ? NULL : real_mem.xMalloc(n);
}

static void *
oom_realloc(void *p, int n)
{
	return oom_now() ? NULL : real_mem.xRealloc(p, n);
}

/* Job fn on j with the writer's n-th SQLite allocation failing (0: none,
 * counting them in oom_calls); the job's result. */
static int
submit_with_oom(struct fixture *f, unsigned long n, writer_job_fn fn, struct append_job *j)
{
	int	rc;

	atomic_store(&oom_calls, 0);
	atomic_store(&oom_fail_at, n);
	atomic_store(&oom_failed, 0);
	atomic_store(&oom_armed, 1);
	rc = writer_submit(f->writer, fn, j);
	atomic_store(&oom_armed, 0);
	return rc;
}

static void
test_sqlite_out_of_memory_keeps_tree_and_store_in_step(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 2, 0, { 0 }, { 0 } };
	struct ledger_proof	 p;
	struct store_conn	*c;
	sqlite3_stmt		*st;
	unsigned long		 total, n, ok = 0, refused = 0;
	uint64_t		 size;
	int			 rc;

	assert_int_equal(submit_with_oom(f, 0, append_job, &j), 0);	/* count them */
	total = atomic_load(&oom_calls);
	assert_true(total > 0);
	for (n = 1; n <= total; n++) {
		size = ledger_size(f->ledger);
		rc = submit_with_oom(f, n, append_job, &j);
		if (rc == 0) {
			/* Kept whole: two consecutive entries. */
			assert_int_equal(j.seq[1], j.seq[0] + 1);
			ok++;
		} else {
			/* Kept nothing (the tree may lag a failed catch-up,
			 * never lead the store). */
			assert_true(ledger_size(f->ledger) <= size + 2);
			refused++;
		}
		assert_true((int64_t)ledger_size(f->ledger) <= db_count(f));
	}
	printf("# %lu SQLite allocations on the writer per job, each failing in turn: "
	    "%lu jobs refused, %lu kept whole\n", total, refused, ok);
	/* A clean commit lets a lagging tree catch up: then in step. */
	assert_int_equal(submit_with_oom(f, 0, append_job, &j), 0);
	size = ledger_size(f->ledger);
	assert_int_equal((int64_t)size, db_count(f));
	assert_int_equal(j.seq[1], (int64_t)size);
	assert_int_equal(ledger_inclusion(f->ledger, j.seq[1], size, &p), 0);
	assert_memory_equal(p.leaf_hash, j.leaf, 32);
	assert_int_equal(merkle_verify_inclusion(p.leaf_index, p.tree_size, p.leaf_hash,
	    p.hashes, p.n, p.root), 0);
	/* Numbers have no gaps, and the file is whole. */
	c = store_read_begin(f->store);
	assert_non_null(c);
	assert_non_null(st = store_stmt(c, "SELECT max(seq) = count(*) FROM ledger_entries"));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 1);
	sqlite3_reset(st);
	assert_non_null(st = store_stmt(c, "PRAGMA integrity_check"));
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_reset(st);
	store_read_end(f->store, c);
}

/* A tree left behind by a failed catch-up (the commit hook's read could
 * not begin: no free read connection and none could be opened; the job
 * kept) follows its committed entries within seconds on an idle gateway,
 * with no other commit to wake it: the checkpoint thread makes an empty
 * one. */
static void
test_tree_left_behind_catches_up_without_another_commit(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 2, 0, { 0 }, { 0 } };
	struct store_conn	*held[256];
	unsigned long		 total, n;
	int			 i, nheld = 0, lagged = 0;

	assert_int_equal(submit_with_oom(f, 0, append_job, &j), 0);	/* count them */
	total = atomic_load(&oom_calls);
	/* Every free read connection held, so the hook's catch-up must open
	 * one (allocations on the writer, which fail in turn); each it opens
	 * and frees is held before the next try. */
	while (nheld < 32)
		assert_non_null(held[nheld++] = store_read_begin(f->store));
	for (n = 1; n <= total + 40 && !lagged && nheld < 256; n++) {
		if (submit_with_oom(f, n, append_job, &j) == 0 &&
		    (int64_t)ledger_size(f->ledger) < db_count(f))
			lagged = 1;
		assert_non_null(held[nheld++] = store_read_begin(f->store));
	}
	for (i = 0; i < nheld; i++)
		store_read_end(f->store, held[i]);
	assert_true(lagged);
	for (i = 0; i < 50 && (int64_t)ledger_size(f->ledger) < db_count(f); i++)
		usleep(100000);
	assert_int_equal((int64_t)ledger_size(f->ledger), db_count(f));
}

/* A job that ignores its failures and writes on (no job should): when
 * SQLite has rolled the batch's transaction back under it, its later writes
 * must not commit on their own in autocommit mode. */
static int
careless_job(struct store_conn *c, void *arg)
{
	struct append_job	*j = arg;

	for (int i = 0; i < j->count; i++) {
		struct ledger_entry e = { "staff:Test", "staff", j->action, NULL, "obj", NULL,
		    NULL };
		(void)ledger_append(j->ledger, c, &e, &j->seq[i], j->leaf);
	}
	return 0;
}

static void
test_nothing_commits_outside_a_batch_sqlite_rolled_back(void **state)
{
	struct fixture		*f = *state;
	struct append_job	 j = { f->ledger, "record.read", 3, 0, { 0 }, { 0 } };
	unsigned long		 total, n, lost = 0;
	int64_t			 before;
	int			 rc;

	assert_int_equal(submit_with_oom(f, 0, careless_job, &j), 0);	/* count them */
	total = atomic_load(&oom_calls);
	for (n = 1; n <= total; n++) {
		before = db_count(f);
		if ((rc = submit_with_oom(f, n, careless_job, &j)) != 0) {
			/* Reported failed: nothing of it may be in the store. */
			assert_int_equal(db_count(f), before);
			lost++;
		}
	}
	printf("# careless job, %lu allocations failing in turn: %lu batches failed, "
	    "none left a write behind\n", total, lost);
	assert_true(lost > 0);
}

/* ledger_entry_shown (ledger_shown.c): a row with its own entry, as a
 * reader about to show it finds it. The entry names SHOWN_FAMILY and
 * obj_1 and carries digest; its seq. */
#define SHOWN_FAMILY	"aa11bb22"

struct row_entry_job {
	struct ledger		*ledger;
	const unsigned char	*digest;
	int64_t			 seq;
};

static int
row_entry_job(struct store_conn *c, void *arg)
{
	struct row_entry_job	*j = arg;
	struct ledger_entry	 e = { "staff:Test", "staff", "test.made", SHOWN_FAMILY, "obj_1",
				    NULL, j->digest };

	return ledger_append(j->ledger, c, &e, &j->seq, NULL);
}

static int64_t
row_entry(struct fixture *f, const unsigned char digest[32])
{
	struct row_entry_job	j = { f->ledger, digest, 0 };

	assert_int_equal(writer_submit(f->writer, row_entry_job, &j), 0);
	assert_true(j.seq > 0);
	return j.seq;
}

/* ledger_entry_shown() of the row "row_1" of obj_1 with this seq, action
 * and digest, on a read connection: its answer, and what it logged
 * (malloc'd) in *logged. */
static int
shown(struct fixture *f, int64_t seq, const char *action, const unsigned char *digest,
    unsigned wait_ms, const char *verb, char **logged)
{
	struct store_conn	*c;
	char			 path[96];
	FILE			*fp;
	long			 n;
	int			 fd, saved, rc;

	snprintf(path, sizeof(path), "%s/stderr.log", f->dir);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
	assert_non_null(c = store_read_begin(f->store));
	rc = ledger_entry_shown(f->ledger, c, seq, action, "obj_1", SHOWN_FAMILY, digest,
	    wait_ms, "test row", "row_1", verb);
	store_read_end(f->store, c);
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_non_null(fp = fopen(path, "r"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) >= 0);
	rewind(fp);
	assert_non_null(*logged = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(*logged, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return rc;
}

static void
test_a_row_as_its_entry_signed_it_is_shown_without_a_word(void **state)
{
	struct fixture	*f = *state;
	unsigned char	 digest[32];
	int64_t		 seq;
	char		*logged;

	memset(digest, 0x5a, sizeof(digest));
	seq = row_entry(f, digest);
	assert_int_equal(shown(f, seq, "test.made", digest, 0, "shown", &logged), 0);
	assert_string_equal(logged, "");
	free(logged);
}

static void
test_a_row_its_entry_does_not_vouch_for_is_never_shown_and_said_so(void **state)
{
	struct fixture	*f = *state;
	unsigned char	 digest[32], other[32];
	char		 want[160], *logged;
	int64_t		 seq;

	memset(digest, 0x5a, sizeof(digest));
	seq = row_entry(f, digest);
	snprintf(want, sizeof(want), "test row row_1 does not match ledger entry #%lld (what its "
	    "ledger entry signed): not served\n", (long long)seq);
	/* the row changed (its digest), in the reader's words */
	memcpy(other, digest, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(shown(f, seq, "test.made", other, 0, "served", &logged), 1);
	assert_non_null(strstr(logged, want));
	free(logged);
	/* another action's entry */
	assert_int_equal(shown(f, seq, "test.other", digest, 0, "served", &logged), 1);
	assert_non_null(strstr(logged, want));
	free(logged);
	/* the reader found no entry can be the row's: the ledger is not asked */
	assert_int_equal(shown(f, seq, NULL, NULL, 0, "served", &logged), 1);
	assert_non_null(strstr(logged, want));
	free(logged);
	/* no entry at its seq */
	assert_int_equal(shown(f, 0, "test.made", digest, 0, "shown", &logged), 1);
	assert_non_null(strstr(logged, "test row row_1 does not match ledger entry #0 (what its "
	    "ledger entry signed): not shown\n"));
	free(logged);
}

/* An entry committed (here: put in the database behind the gateway's back
 * as the next seq, before anything else is appended) and not in the tree:
 * not a forgery yet, so the row is not shown now, and that is said. */
static void
test_a_row_whose_entry_is_not_in_the_tree_yet_is_not_shown_now(void **state)
{
	struct fixture	*f = *state;
	unsigned char	 digest[32];
	char		 sql[512], hex[65], want[160], *logged;
	int64_t		 next;

	memset(digest, 0x5a, sizeof(digest));
	next = row_entry(f, digest) + 1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	snprintf(sql, sizeof(sql), "INSERT INTO ledger_entries (seq, time_us, actor, actor_role, "
	    "action, family_pseudonym, object_id, record_digest, leaf_hash) VALUES (%lld, 1, "
	    "'staff:Test', 'staff', 'test.made', '" SHOWN_FAMILY "', 'obj_1', X'%s', "
	    "zeroblob(32))", (long long)next, hex);
	tamper(f->dir, sql);
	assert_false(ledger_alarmed(f->ledger));
	assert_int_equal(shown(f, next, "test.made", digest, 20, "shown", &logged), -1);
	snprintf(want, sizeof(want), "test row row_1: ledger entry #%lld is not in the ledger's "
	    "tree yet; not shown now\n", (long long)next);
	assert_non_null(strstr(logged, want));
	free(logged);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_records_key_creation_and_start_and_signs,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_rolled_back_entries_never_enter_the_tree,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_appends_are_numbered_consecutively,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_follows_new_entries_within_a_second,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_entries_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_row_it_did_not_write_is_never_signed,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_extends_the_same_tree_and_verifies_offline,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_refuses_to_open_over_a_changed_or_truncated_ledger, setup, teardown),
		cmocka_unit_test(test_missing_head_is_made_only_for_a_new_store_or_when_accepted),
		cmocka_unit_test_setup_teardown(
		    test_refuses_to_open_a_signed_store_without_its_head_unless_accepted, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_checkpoint_is_stored_only_once_its_head_is_written, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_proofs_read_old_leaves_back_and_refuse_a_changed_one, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_old_blocks_are_read_once_and_rows_still_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_sqlite_out_of_memory_keeps_tree_and_store_in_step, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_tree_left_behind_catches_up_without_another_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_nothing_commits_outside_a_batch_sqlite_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_row_as_its_entry_signed_it_is_shown_without_a_word, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_row_its_entry_does_not_vouch_for_is_never_shown_and_said_so, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_row_whose_entry_is_not_in_the_tree_yet_is_not_shown_now, setup, teardown),
	};
	sqlite3_mem_methods	mem;

	/* Before SQLite's first use: its allocator, with failures on demand. */
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
		return 2;
	mem = real_mem;
	mem.xMalloc = oom_malloc;
	mem.xRealloc = oom_realloc;
	if (sqlite3_config(SQLITE_CONFIG_MALLOC, &mem) != SQLITE_OK)
		return 2;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
