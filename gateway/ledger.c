/*
 * ledger.c: the running ledger. Owns the in-memory Merkle tree over the
 * committed entries, the checkpoint thread and the signing key's public half.
 *
 * Appends happen inside writer jobs (ledger_append). The ledger signs only
 * what it wrote itself, never what it finds in the database: anyone who can
 * write gateway.db can INSERT a row (the triggers stop only UPDATE and
 * DELETE), with a correct leaf hash. So the writer thread keeps in memory
 * the newest entry in the tree (tail_seq, tail_leaf) and the leaf hashes it
 * appended since (pend: this batch's, seq tail_seq + 1 on); the next
 * sequence number is the one after them. Each append first reads the
 * database's newest row in its own transaction (no one else writes inside
 * it): it must be the tree's last entry or one appended earlier in the
 * batch, with the same leaf hash (a row a job rolled back to its savepoint
 * is gone again, and is forgotten). The tree never sees an entry before it
 * is committed: after each commit that appended something, the writer's
 * commit hook reads the new rows back from a read connection (committed
 * data only), checks each against the leaf hash appended under its number,
 * and appends the hashes kept in memory, before any job of the batch is
 * answered. So a proof can be asked for as soon as a reply names a sequence
 * number, and entries of one group commit get consecutive numbers.
 *
 * A row the gateway did not write (beyond what it appended, or with another
 * leaf hash, or one of its rows missing) raises the alarm (ledger_alarm):
 * it is logged (its sequence number only), written to DATA_DIR/ledger.alarm,
 * and from then on nothing is appended, no checkpoint is signed and
 * /healthz fails (ledger_alarmed), so no signature ever covers that row.
 * The gateway refuses to start while ledger.alarm exists: an operator
 * investigates (gatewayctl ledger verify lists the entries not signed),
 * removes the rows and then the file. Rows edited or deleted among those
 * already in the tree are found by the self-check (ledger_selfcheck.h),
 * which re-reads them all, block by block, against the tree
 * (ledger_block_signed) and asks the writer about the newest row
 * (ledger_check_tail); it raises the same alarm. While it is raised no
 * entry is vouched for (ledger_leaf_signed: -1 for one as signed), so
 * every *_signed check fails closed.
 *
 * The checkpoint thread signs the tree head (C2SP checkpoint) when entries
 * arrive: at once after a quiet spell, then at most once a second while they
 * keep coming, so no entry waits more than a second for a signature. Each
 * checkpoint is stored (durably, through the writer) before it is served.
 * The private key is read from disk for each signature and freed after
 * (signer.c). At start the tree is checked against the newest checkpoint
 * stored and against the newest one signed, kept outside the database
 * (ledger_head.h): if the stored entries no longer produce either signed
 * root, the gateway refuses to start rather than sign a history
 * inconsistent with its past. Entries after the newest signed checkpoint
 * are what a crash can leave (committed, not yet signed: at most about a
 * second of them) and are taken into the tree. But a clean stop records
 * "gateway.stopped" and then signs a final checkpoint covering it, and
 * nothing is written until the next start: when the newest signed
 * checkpoint ends on that entry, anything after it was put in the database
 * by someone else, and the gateway refuses to start rather than sign it.
 *
 * Questions about entries' signed leaves (ledger_leaves: a disclosure or a
 * consent read back, a witness statement) are answered from the tree's
 * memory for its last, incomplete block, and through the leaf cache
 * (leafcache.h) for complete ones: a block is read back and checked
 * against the tree once, then copied. The cache is the tree's and lives as
 * long; the tree is built once, at ledger_open, and only ever grows, so a
 * cached block never goes stale. Proofs read their blocks back each time.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <sys/prctl.h>

#include "durable.h"
#include "head_guard.h"
#include "leafcache.h"
#include "ledger.h"
#include "ledger_head.h"
#include "log.h"
#include "merkle.h"
#include "monowait.h"
#include "note.h"
#include "signer.h"
#include "store.h"
#include "writer.h"

#define CHECKPOINT_INTERVAL_NS	1000000000LL
/* Complete blocks of leaf hashes kept once read and checked (leafcache.h):
 * 8 KiB each. */
#define LEAF_CACHE_BLOCKS	64
#define LEDGER_ALARM_FILE	"ledger.alarm"

struct ledger {
	struct store		*store;
	struct writer		*writer;
	struct signer		*signer;
	char			 origin[NOTE_ORIGIN_MAX];
	char			 head_path[PATH_MAX];	/* DATA_DIR/ledger.head */
	char			 copy_path[PATH_MAX];	/* --ledger-head-copy, or "" */
	char			 alarm_path[PATH_MAX];	/* DATA_DIR/ledger.alarm */
	int			 accept_missing_head;	/* head_guard.h */

	/* Leaf hashes of new entries: ledger_append() runs in writer jobs,
	 * on the writer thread only, so one hasher serves (no fetch per entry);
	 * load() borrows it before any append can run. */
	struct merkle_hasher	*append_hs;

	/* What this gateway wrote: the tree's last entry and the leaf hashes
	 * appended after it (seq tail_seq + 1 on), not yet in the tree. Writer
	 * thread only (ledger_append, the commit hook); ledger_open's thread
	 * before the hook is registered, while it waits for the writer. */
	int64_t			 tail_seq;
	merkle_hash		 tail_leaf;
	merkle_hash		*pend;
	size_t			 npend, pend_cap;
	/* A row this gateway did not write was found: nothing more is
	 * appended or signed (ledger_alarm). */
	atomic_int		 alarm;

	/* The tree: changed by the writer thread (commit hook) only. */
	pthread_rwlock_t	 tree_lock;
	struct merkle_tree	*tree;
	/* Its complete blocks' leaf hashes as read back and checked
	 * (ledger_leaves): the tree's, made and freed with it. */
	struct leafcache	*leafcache;
	atomic_int		 dirty;		/* an append since the last hook */
	atomic_uint_fast64_t	 size;		/* merkle_tree_size(tree), lock-free */
	/* The newest entry's time (appended, perhaps not yet committed): a
	 * checkpoint is never dated before an entry it may cover. */
	atomic_int_fast64_t	 last_time;
	/* Moved by every consent.* entry appended, kept or rolled back
	 * (ledger_consent_epoch); unique to this ledger (consent_epoch_base). */
	atomic_uint_fast64_t	 consent_epoch;

	/* The newest signed, stored checkpoint. */
	pthread_mutex_t		 note_lock;
	char			*note;
	size_t			 note_len;
	uint64_t		 note_size;
	int64_t			 note_time;	/* its signed (or stored) time */

	/* Checkpoint thread. */
	pthread_mutex_t		 sign_lock;	/* one signature at a time */
	pthread_mutex_t		 cp_lock;
	pthread_cond_t		 cp_cond;
	int			 cp_stopping;
	int			 cp_idle;	/* waits for something new to sign */
	int			 cp_running;
	pthread_t		 cp_thread;
};

/*
 * Raises the alarm: the database holds, at seq, a ledger entry this gateway
 * did not write (or lacks one it did). Logged once, with no more than the
 * sequence number; kept in ledger.alarm so that a restart does not take
 * the row in either. Any thread.
 */
static void
ledger_alarm(struct ledger *l, int64_t seq, const char *what)
{
	char	msg[512];
	int	n;

	if (atomic_exchange(&l->alarm, 1) != 0)
		return;
	n = snprintf(msg, sizeof(msg), "ledger entry %lld in the database %s: it is "
	    "not signed; nothing is recorded or signed until an operator investigates "
	    "(gatewayctl ledger verify), removes what the gateway did not write and "
	    "removes %s\n", (long long)seq, what, l->alarm_path);
	log_errx("ALARM: ledger integrity: %.*s", n > 0 ? n - 1 : 0, msg);
	if (n > 0 && ledger_head_write(l->alarm_path, msg, strlen(msg)) != 0)
		log_errx("ALARM: %s not written: %s", l->alarm_path, strerror(errno));
}

int
ledger_alarmed(struct ledger *l)
{
	return l != NULL && atomic_load(&l->alarm);
}

void
ledger_raise_alarm(struct ledger *l, int64_t seq, const char *what)
{
	ledger_alarm(l, seq, what);
}

/*
 * The newest row in the database, read inside the batch's transaction,
 * where no one else writes: it must be the newest this gateway wrote, the
 * tree's last entry or one appended earlier in the batch, with the leaf
 * hash it was appended with. Appends after it (a job rolled back to its
 * savepoint, a batch that failed) are gone: forgotten. 0, or -1 alarmed.
 */
static int
check_tail(struct ledger *l, int64_t seq, const unsigned char leaf[32])
{
	const unsigned char	*want;
	int64_t			 k = seq - l->tail_seq;

	if (k < 0 || (uint64_t)k > l->npend) {
		ledger_alarm(l, k < 0 ? seq + 1 : l->tail_seq + (int64_t)l->npend + 1,
		    k < 0 ? "is missing" : "was not written by this gateway");
		return -1;
	}
	want = k > 0 ? l->pend[k - 1] : l->tail_seq > 0 ? l->tail_leaf : NULL;
	if (want != NULL && CRYPTO_memcmp(want, leaf, 32) != 0) {
		ledger_alarm(l, seq, "differs from the entry this gateway wrote");
		return -1;
	}
	l->npend = (size_t)k;
	return 0;
}

int
ledger_append(struct ledger *l, struct store_conn *c, const struct ledger_entry *e,
    int64_t *seq, unsigned char leaf_hash[32])
{
	struct ledger_record	r;
	unsigned char		leaf[32], tail[32];
	int64_t			last_seq, last_time;

	if (l == NULL || !ledger_entry_valid(e)) {
		log_errx("refusing an invalid ledger entry");
		return -1;
	}
	if (atomic_load(&l->alarm)) {
		log_errx("ledger entry not appended: the ledger integrity alarm is raised");
		return -1;
	}
	/* Before the entry is written: no answer remembered from before it
	 * (consent_signed.c) outlives it, nor its rollback. */
	if (strncmp(e->action, "consent.", 8) == 0)
		atomic_fetch_add(&l->consent_epoch, 1);
	if (store_ledger_tail(c, &last_seq, &last_time, tail) != 0)
		return -1;
	if (check_tail(l, last_seq, tail) != 0)
		return -1;
	if (l->npend == l->pend_cap) {
		size_t		 cap = l->pend_cap ? l->pend_cap * 2 : 64;
		merkle_hash	*p = realloc(l->pend, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		l->pend = p;
		l->pend_cap = cap;
	}
	r.seq = l->tail_seq + (int64_t)l->npend + 1;
	/* Times never go backwards in the ledger, even if the clock does. */
	r.time_us = store_now_us();
	if (r.time_us < last_time)
		r.time_us = last_time;
	atomic_store(&l->last_time, r.time_us);
	r.e = *e;
	if (ledger_leaf_hash(l->append_hs, &r, leaf) != 0 || store_ledger_insert(c, &r, leaf) != 0) {
		log_errx("cannot append ledger entry %lld", (long long)r.seq);
		return -1;
	}
	memcpy(l->pend[l->npend++], leaf, 32);
	atomic_store(&l->dirty, 1);
	if (seq != NULL)
		*seq = r.seq;
	if (leaf_hash != NULL)
		memcpy(leaf_hash, leaf, 32);
	return 0;
}

/* Whether a stored leaf is the one expected next (seq next, a hash there):
 * 0 and next moved on, or -1 (logged). */
static int
leaf_in_order(int64_t seq, const unsigned char *leaf, uint64_t *next)
{
	if (seq < 1 || (uint64_t)seq != *next || leaf == NULL) {
		log_errx("ledger entry %llu missing or damaged (found seq %lld)",
		    (unsigned long long)*next, (long long)seq);
		return -1;
	}
	(*next)++;
	return 0;
}

/* Leaf hashes read in seq order into the caller's array, which holds cap. */
struct leaves {
	uint64_t	 next;		/* seq expected next */
	merkle_hash	*h;
	size_t		 n, cap;
};

static int
collect_leaf(int64_t seq, const unsigned char *leaf, void *arg)
{
	struct leaves	*lv = arg;

	if (leaf_in_order(seq, leaf, &lv->next) != 0 || lv->n == lv->cap)
		return -1;
	memcpy(lv->h[lv->n++], leaf, 32);
	return 0;
}

/* At start: each stored leaf, in order, straight into the tree (a sourced
 * tree keeps about a quarter of a byte a leaf; a list of them all first
 * would take 32 to 64 bytes a leaf). */
struct load_leaves {
	struct merkle_tree	*tree;
	uint64_t		 next;		/* seq expected next */
	merkle_hash		 last;
	int			 oom;
};

static int
load_leaf(int64_t seq, const unsigned char *leaf, void *arg)
{
	struct load_leaves	*ll = arg;

	if (leaf_in_order(seq, leaf, &ll->next) != 0)
		return -1;
	if (merkle_tree_append(ll->tree, leaf) != 0) {
		ll->oom = 1;
		return -1;
	}
	memcpy(ll->last, leaf, 32);
	return 0;
}

/*
 * The tree's leaf source: leaves first .. first + n - 1 (seq first + 1 on),
 * read back from ledger_entries. Only committed leaves are ever in the tree
 * (catch_up appends after the commit), so a read begun now sees them all.
 * The tree checks what comes back against the block's kept hash.
 */
static int
read_leaves(void *arg, uint64_t first, size_t n, merkle_hash *out)
{
	struct ledger		*l = arg;
	struct leaves		 lv = { first + 1, out, 0, n };
	struct store_conn	*c;
	int			 rc;

	if ((c = store_read_begin(l->store)) == NULL)
		return -1;
	rc = store_ledger_leaves(c, (int64_t)first, (int64_t)n, collect_leaf, &lv);
	store_read_end(l->store, c);
	if (rc != 0 || lv.n != n) {
		log_errx("ledger entries %llu..%llu missing or damaged",
		    (unsigned long long)first + 1, (unsigned long long)(first + n));
		return -1;
	}
	return 0;
}

/* The committed rows past the tree, checked against what was appended. */
struct follow {
	struct ledger	*l;
	size_t		 n;		/* rows that are the gateway's own */
	int64_t		 bad;		/* the first that is not, or 0 */
};

static int
follow_leaf(int64_t seq, const unsigned char *leaf, void *arg)
{
	struct follow	*f = arg;
	struct ledger	*l = f->l;

	if (seq != l->tail_seq + 1 + (int64_t)f->n || f->n >= l->npend || leaf == NULL ||
	    CRYPTO_memcmp(leaf, l->pend[f->n], 32) != 0) {
		f->bad = seq;
		return -1;
	}
	f->n++;
	return 0;
}

/*
 * Moves the tree over the committed entries this gateway appended: the rows
 * past the tree are read back (committed data only) and must be, in order,
 * the leaf hashes kept in memory; the tree takes the kept hashes. Fewer rows
 * than kept: the rest were rolled back with their job. A row beyond them or
 * different raises the alarm and stays out. 0, or -1 (read error: the kept
 * hashes stay for the next try).
 *
 * Read on wc, the writer's connection, when called on the writer thread
 * between batches (the commit hook: no transaction open, so it reads what
 * is committed, by it or anyone, and its page cache already holds the
 * pages just written); on a pooled read connection when wc is NULL.
 */
static int
catch_up(struct ledger *l, struct store_conn *wc)
{
	struct follow		 f = { l, 0, 0 };
	struct store_conn	*c;
	size_t			 done;
	int			 rc = 0;

	if ((c = wc) == NULL && (c = store_read_begin(l->store)) == NULL)
		return -1;
	if (store_ledger_leaves(c, l->tail_seq, -1, follow_leaf, &f) != 0 && f.bad == 0)
		rc = -1;
	if (wc == NULL)
		store_read_end(l->store, c);
	if (rc != 0)
		return -1;
	if (f.bad != 0)
		ledger_alarm(l, f.bad, f.bad > l->tail_seq + (int64_t)l->npend ?
		    "was not written by this gateway" :
		    "differs from the entry this gateway wrote");
	pthread_rwlock_wrlock(&l->tree_lock);
	for (done = 0; done < f.n; done++)
		if (merkle_tree_append(l->tree, l->pend[done]) != 0)
			break;
	atomic_store(&l->size, merkle_tree_size(l->tree));
	pthread_rwlock_unlock(&l->tree_lock);
	if (done > 0) {
		l->tail_seq += (int64_t)done;
		memcpy(l->tail_leaf, l->pend[done - 1], 32);
	}
	if (done < f.n) {
		/* Out of memory: the rest waits for the next try. */
		memmove(l->pend, l->pend + done, (l->npend - done) * sizeof(*l->pend));
		l->npend -= done;
		return -1;
	}
	l->npend = 0;
	return 0;
}

/* Writer commit hook: move the tree forward over what was just committed. */
static void
on_commit(void *arg)
{
	struct ledger	*l = arg;

	if (!atomic_exchange(&l->dirty, 0) || atomic_load(&l->alarm))
		return;
	if (catch_up(l, store_write_conn(l->store)) != 0) {
		atomic_store(&l->dirty, 1);	/* try again after the next commit */
		log_errx("the ledger tree could not follow the committed entries");
		return;
	}
	/* Only a thread with nothing to sign needs waking: one waiting out
	 * the second between signatures signs what came meanwhile when the
	 * second is up (a wake per commit cost it a sleep per batch). */
	pthread_mutex_lock(&l->cp_lock);
	if (l->cp_idle)
		pthread_cond_signal(&l->cp_cond);
	pthread_mutex_unlock(&l->cp_lock);
}

struct cp_job {
	uint64_t		 size;
	const unsigned char	*root;
	int64_t			 time_us;
	const char		*note;
};

static int
store_cp_job(struct store_conn *c, void *arg)
{
	struct cp_job	*j = arg;

	return store_checkpoint_insert(c, j->size, j->root, j->time_us, j->note);
}

/* Signs and stores a checkpoint of the current tree unless one of that size
 * exists. 0 ok (or nothing to do), -1 error (logged). */
static int
sign_checkpoint(struct ledger *l)
{
	struct cp_job	 j;
	merkle_hash	 root;
	char		*body = NULL, *note = NULL, err[256];
	const char	*unwritten = NULL;
	uint64_t	 size;
	int64_t		 when, floor;
	int		 rc = -1;

	pthread_mutex_lock(&l->sign_lock);
	if (atomic_load(&l->alarm)) {
		log_errx("no checkpoint signed: the ledger integrity alarm is raised");
		goto out;
	}
	pthread_rwlock_rdlock(&l->tree_lock);
	size = merkle_tree_size(l->tree);
	if (merkle_tree_root(l->tree, size, root) != 0) {
		pthread_rwlock_unlock(&l->tree_lock);
		goto out;
	}
	pthread_rwlock_unlock(&l->tree_lock);
	pthread_mutex_lock(&l->note_lock);
	if (l->note != NULL && l->note_size == size) {
		pthread_mutex_unlock(&l->note_lock);
		rc = 0;
		goto out;
	}
	/* Signed at now, but never before an entry it covers or the checkpoint
	 * before it, even if the clock went back: entries' times never go
	 * backwards either (ledger_append), and a verifier checks both. */
	floor = l->note_time;
	pthread_mutex_unlock(&l->note_lock);
	when = store_now_us();
	if (when < floor)
		when = floor;
	if (when < atomic_load(&l->last_time))
		when = atomic_load(&l->last_time);
	if ((body = checkpoint_format(l->origin, size, root, when)) == NULL)
		goto out;
	if ((note = signer_sign_note(l->signer, body, strlen(body), err, sizeof(err))) == NULL) {
		log_errx("checkpoint at tree size %llu not signed: %s", (unsigned long long)size,
		    err);
		goto out;
	}
	/*
	 * The heads outside the database first, then the store: a stop
	 * between the two leaves a head the stored entries still extend (they
	 * are committed before the tree holds them), which starts. The other
	 * order could leave the first checkpoint stored and no ledger.head,
	 * which looks like a rollback with the file deleted and is refused
	 * (head_guard.h). A head not written: nothing stored either (tried
	 * again at the next signature), so the store never holds a checkpoint
	 * newer than the heads.
	 */
	if (ledger_head_write(l->head_path, note, strlen(note)) != 0)
		unwritten = l->head_path;
	else if (l->copy_path[0] != '\0' && ledger_head_write(l->copy_path, note,
	    strlen(note)) != 0)
		unwritten = l->copy_path;
	if (unwritten != NULL) {
		log_errx("checkpoint at tree size %llu not stored: %s not written: %s",
		    (unsigned long long)size, unwritten, strerror(errno));
		goto out;
	}
	j.size = size;
	j.root = root;
	j.time_us = when;
	j.note = note;
	if (writer_submit(l->writer, store_cp_job, &j) != 0) {
		log_errx("checkpoint at tree size %llu not stored", (unsigned long long)size);
		goto out;
	}
	pthread_mutex_lock(&l->note_lock);
	free(l->note);
	l->note = note;
	l->note_len = strlen(note);
	l->note_size = size;
	l->note_time = when;
	pthread_mutex_unlock(&l->note_lock);
	note = NULL;
	log_debug("checkpoint signed at tree size %llu", (unsigned long long)size);
	rc = 0;
out:
	pthread_mutex_unlock(&l->sign_lock);
	free(body);
	free(note);
	return rc;
}

static int64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint64_t
signed_size(struct ledger *l)
{
	uint64_t	n;

	pthread_mutex_lock(&l->note_lock);
	n = l->note ? l->note_size : 0;
	pthread_mutex_unlock(&l->note_lock);
	return n;
}

/* A job that writes nothing: its batch's commit runs the hooks. */
static int
noop_job(struct store_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

/* Signs while entries arrive: at once after a quiet spell, then at most one
 * signature a second, so an entry waits at most a second. */
static void *
checkpoint_main(void *arg)
{
	struct ledger	*l = arg;
	int64_t		 last = 0, now, due;
	struct timespec	 ts;
	int		 rc;

	(void)prctl(PR_SET_NAME, "gw-ledger", 0, 0, 0);	/* in top(1), perf, gdb */

	pthread_mutex_lock(&l->cp_lock);
	while (!l->cp_stopping) {
		if (atomic_load(&l->size) <= signed_size(l) || atomic_load(&l->alarm)) {
			/* Nothing new (or nothing to be signed any more): sleep
			 * until a commit hook says otherwise. */
			monowait_after(&ts, 1000000000LL);
			l->cp_idle = 1;
			rc = pthread_cond_timedwait(&l->cp_cond, &l->cp_lock, &ts);
			l->cp_idle = 0;
			if (rc == ETIMEDOUT && atomic_load(&l->dirty) && !atomic_load(&l->alarm)) {
				/* Committed entries the tree could not follow
				 * (on_commit's read failed) wait for a commit:
				 * an empty one, so that an idle gateway signs
				 * them within a second or two all the same. */
				pthread_mutex_unlock(&l->cp_lock);
				(void)writer_submit(l->writer, noop_job, NULL);
				pthread_mutex_lock(&l->cp_lock);
			}
			continue;
		}
		now = mono_ns();
		due = last + CHECKPOINT_INTERVAL_NS;
		if (last != 0 && now < due) {
			monowait_after(&ts, due - now);
			pthread_cond_timedwait(&l->cp_cond, &l->cp_lock, &ts);
			if (mono_ns() < due)
				continue;	/* woken early: recheck */
		}
		pthread_mutex_unlock(&l->cp_lock);
		(void)sign_checkpoint(l);
		last = mono_ns();
		pthread_mutex_lock(&l->cp_lock);
	}
	pthread_mutex_unlock(&l->cp_lock);
	return NULL;
}

struct system_job {
	struct ledger		*l;
	struct ledger_entry	 e[2];
	int			 n;
};


static int
system_job(struct store_conn *c, void *arg)
{
	struct system_job	*j = arg;

	for (int i = 0; i < j->n; i++)
		if (ledger_append(j->l, c, &j->e[i], NULL, NULL) != 0)
			return -1;
	return 0;
}

int
ledger_record_system(struct ledger *l, const char *action, const char *object_id,
    const char *reason, const unsigned char *record_digest)
{
	struct system_job	j = { .l = l, .n = 1 };

	j.e[0] = (struct ledger_entry){ "system", "system", action, NULL, object_id, reason,
	    record_digest };
	return writer_submit(l->writer, system_job, &j);
}

/* Writer job: the newest row, in the batch's transaction, must be the
 * newest this gateway wrote (check_tail, as before an append). */
static int
tail_job(struct store_conn *c, void *arg)
{
	struct ledger	*l = arg;
	unsigned char	 tail[32];
	int64_t		 seq, t;

	if (atomic_load(&l->alarm))
		return 0;
	if (store_ledger_tail(c, &seq, &t, tail) != 0)
		return -1;
	(void)check_tail(l, seq, tail);		/* raises the alarm itself */
	return 0;
}

int
ledger_check_tail(struct ledger *l)
{
	if (writer_submit(l->writer, tail_job, l) != 0)
		return -1;
	return atomic_load(&l->alarm) ? 1 : 0;
}

int
ledger_block_signed(struct ledger *l, struct merkle_hasher *hs, int64_t first, size_t n,
    const merkle_hash *leaves)
{
	int	rc;

	if (first < 1)
		return -1;
	pthread_rwlock_rdlock(&l->tree_lock);
	rc = merkle_tree_block_is(l->tree, hs, (uint64_t)first - 1, n, leaves);
	pthread_rwlock_unlock(&l->tree_lock);
	return rc;
}

struct content_check {
	struct merkle_hasher	*hs;
	int64_t			 bad_seq;
};

/* Recomputes an entry's leaf hash from its fields and compares it with the
 * stored one, so an entry edited behind the gateway's back is caught at
 * start-up, not only by an offline verify. */
static int
check_content(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct content_check	*cc = arg;
	merkle_hash		 h;

	if (leaf == NULL || ledger_leaf_hash(cc->hs, r, h) != 0 ||
	    CRYPTO_memcmp(h, leaf, 32) != 0) {
		cc->bad_seq = r->seq;
		return -1;
	}
	return 0;
}

/* One head file (ledger.head or its copy) read and checked: it must be a
 * checkpoint signed by this ledger's key that the loaded tree extends.
 * 0 with its bytes in *text (malloc'd; NULL when the file is missing) and
 * its tree size in *size, or -1 with a message in err. */
static int
read_head(struct ledger *l, const char *path, char **text, size_t *len, uint64_t *size,
    char *err, size_t errlen)
{
	struct checkpoint	 hp;
	merkle_hash		 root;
	uint64_t		 have = merkle_tree_size(l->tree);
	size_t			 tl = 0;
	char			*head;

	*text = NULL;
	*size = 0;
	if ((head = ledger_head_read(path, len)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "ledger: cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	if (note_verify(head, *len, l->origin, signer_pub(l->signer), &tl) != 0 ||
	    checkpoint_parse(head, tl, &hp) != 0)
		snprintf(err, errlen, "ledger: %s is not a checkpoint signed by ledger.key under "
		    "origin %s", path, l->origin);
	else if (hp.size > have)
		snprintf(err, errlen, "ledger: this gateway signed a checkpoint of %llu entries "
		    "(%s) but the database holds %llu: entries were removed, or an older copy "
		    "of the database is in place. If a backup was restored on purpose, keep "
		    "that file elsewhere (gatewayctl ledger verify --checkpoint FILE shows what "
		    "was lost) and remove it to start from the restored ledger",
		    (unsigned long long)hp.size, path, (unsigned long long)have);
	else if (merkle_tree_root(l->tree, hp.size, root) != 0)
		snprintf(err, errlen, "ledger: out of memory");
	else if (memcmp(root, hp.root, 32) != 0)
		snprintf(err, errlen, "ledger: the stored entries do not match the checkpoint "
		    "this gateway last signed (%s, tree size %llu): the ledger was rewritten; "
		    "run gatewayctl ledger verify --checkpoint %s", path,
		    (unsigned long long)hp.size, path);
	else {
		*text = head;
		*size = hp.size;
		return 0;
	}
	free(head);
	return -1;
}

/* Puts rule[0:rule_len] in path when it holds anything else (have, NULL:
 * missing), said as a warning naming both files' tree sizes. 0, or -1 with
 * a message in err. */
static int
rewrite_head(const char *path, const char *have, size_t have_len, uint64_t have_size,
    const char *rule, size_t rule_len, uint64_t rule_size, const char *from, char *err,
    size_t errlen)
{
	if (!head_needs_rewrite(have, have_len, rule, rule_len))
		return 0;
	if (ledger_head_write(path, rule, rule_len) != 0) {
		snprintf(err, errlen, "ledger: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	if (have != NULL)
		log_warnx("ledger: %s held the checkpoint of tree size %llu, %s that of %llu: "
		    "written again from it (a stop between the two writes)", path,
		    (unsigned long long)have_size, from, (unsigned long long)rule_size);
	else if (strcmp(from, "the store") != 0)
		log_warnx("ledger: %s was missing; made from %s (tree size %llu)", path, from,
		    (unsigned long long)rule_size);
	return 0;
}

/* The tree (loaded) must extend the newest checkpoint this gateway signed,
 * kept in ledger.head and, with --ledger-head-copy, in a copy outside the
 * data directory: each one there is checked (read_head). Either missing
 * (head_guard.h): a store with no checkpoint yet starts (a missing file is
 * made from the other, or written with the first checkpoint); one with
 * checkpoints is refused, unless the operator accepts the loss
 * (accept_missing_head), when a missing file is made from the other, or
 * both from the newest stored checkpoint, said as a warning. When both are
 * there and differ, the larger tree rules and the other is written again.
 * 0 with the ruling tree size in *head_size (0: none), or -1 with a
 * message in err. */
static int
check_head(struct ledger *l, uint64_t *head_size, char *err, size_t errlen)
{
	char		*h = NULL, *c = NULL;
	const char	*rule, *from;
	size_t		 hl = 0, cl = 0, rule_len;
	uint64_t	 hs = 0, cs = 0;
	int		 has_copy = l->copy_path[0] != '\0', rc = -1;

	*head_size = 0;
	if (read_head(l, l->head_path, &h, &hl, &hs, err, errlen) != 0 ||
	    (has_copy && read_head(l, l->copy_path, &c, &cl, &cs, err, errlen) != 0))
		goto out;
	switch (head_pair_presence(h != NULL, !has_copy || c != NULL, l->note != NULL,
	    l->accept_missing_head)) {
	case HEAD_REFUSE:
		head_guard_refusal(err, errlen, h == NULL ? l->head_path : l->copy_path,
		    l->note_size);
		goto out;
	case HEAD_MAKE_FRESH:
		if (h == NULL && c == NULL) {
			rc = 0;		/* written with the first checkpoint */
			goto out;
		}
		break;
	default:
		break;
	}
	switch (head_newer(h != NULL, hs, c != NULL, cs)) {
	case HEAD_WHICH_HEAD:
		rule = h, rule_len = hl, *head_size = hs, from = l->head_path;
		break;
	case HEAD_WHICH_COPY:
		rule = c, rule_len = cl, *head_size = cs, from = l->copy_path;
		break;
	default:	/* both missing, accepted */
		rule = l->note, rule_len = l->note_len, *head_size = l->note_size;
		from = "the store";
		log_warnx("ledger: %s%s%s %s missing; made from the newest stored checkpoint, "
		    "tree size %llu, trusted as --accept-missing-ledger-head says: a rollback "
		    "of the database to that size or earlier is not detected by this gateway "
		    "(a checkpoint kept elsewhere shows it: gatewayctl ledger verify "
		    "--checkpoint)", l->head_path, has_copy ? " and " : "", has_copy ?
		    l->copy_path : "", has_copy ? "were" : "was",
		    (unsigned long long)l->note_size);
		break;
	}
	if (rewrite_head(l->head_path, h, hl, hs, rule, rule_len, *head_size, from, err,
	    errlen) != 0 || (has_copy && rewrite_head(l->copy_path, c, cl, cs, rule, rule_len,
	    *head_size, from, err, errlen) != 0))
		goto out;
	rc = 0;
out:
	free(h);
	free(c);
	return rc;
}

static int
is_stop(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	(void)leaf;
	*(int *)arg = strcmp(r->e.actor, "system") == 0 &&
	    strcmp(r->e.action, "gateway.stopped") == 0;
	return 0;
}

/* Counts entries that are a bare "gateway.started" (ledger_open's, by the
 * system, about nothing); any other entry stops the count short. */
static int
is_bare_start(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	(void)leaf;
	if (strcmp(r->e.actor, "system") != 0 || strcmp(r->e.actor_role, "system") != 0 ||
	    strcmp(r->e.action, "gateway.started") != 0 || r->e.family_pseudonym != NULL ||
	    r->e.object_id != NULL || r->e.reason != NULL || r->e.record_digest != NULL)
		return 1;
	(*(int *)arg)++;
	return 0;
}

/* The latest time among the entries read (check_unsigned_tail). */
static int
latest_time(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	int64_t	*t = arg;

	(void)leaf;
	if (r->time_us > *t)
		*t = r->time_us;
	return 0;
}

/* How far after the clock an unsigned entry may be dated: entry times never
 * go backwards (ledger_append), so after the clock was stepped back the
 * gateway's own entries are dated a little ahead of it. */
#define TAIL_AHEAD_MAX_US	(10 * 60 * 1000000LL)

/*
 * Entries after the newest signed checkpoint (in the store or in
 * ledger.head, head_size): a crash leaves some, committed but not yet
 * signed, and they are taken in, unless one is dated more than
 * TAIL_AHEAD_MAX_US after the clock: no run of this gateway wrote that,
 * and taking it in would date every later entry and checkpoint after it.
 * A clean stop leaves none: it signs a final checkpoint over its
 * "gateway.stopped", and nothing is written until the next start. When the newest signed entry is that, whatever follows was
 * put in the database by someone else. 0, or -1 with a message in err.
 */
static int
check_unsigned_tail(struct ledger *l, uint64_t head_size, char *err, size_t errlen)
{
	struct store_conn	*c;
	uint64_t		 have = merkle_tree_size(l->tree), s = head_size;
	int64_t			 latest;
	int			 stopped = 0, starts, rc;

	if (l->note != NULL && l->note_size > s)
		s = l->note_size;
	if (s == 0 || s >= have)
		return 0;
	if ((c = store_read_begin(l->store)) == NULL) {
		snprintf(err, errlen, "ledger: no read connection");
		return -1;
	}
	rc = store_ledger_entries(c, (int64_t)s, (int64_t)s, is_stop, &stopped);
	store_read_end(l->store, c);
	if (rc != 0) {
		snprintf(err, errlen, "ledger: entry %llu unreadable", (unsigned long long)s);
		return -1;
	}
	if (stopped) {
		/* A start that died (or failed to sign) between recording
		 * "gateway.started" and signing its first checkpoint leaves
		 * that entry, and only that, after the stop: the gateway's own,
		 * and saying nothing of anyone (one forged looks the same and
		 * says no more), so it is taken in rather than leaving the
		 * gateway unable ever to start again. */
		if ((c = store_read_begin(l->store)) == NULL) {
			snprintf(err, errlen, "ledger: no read connection");
			return -1;
		}
		starts = 0;
		rc = store_ledger_entries(c, (int64_t)s + 1, (int64_t)have, is_bare_start,
		    &starts);
		store_read_end(l->store, c);
		if (rc == 0 && (uint64_t)starts == have - s) {
			log_warnx("ledger: %llu \"gateway.started\" entr%s after the last clean "
			    "stop taken in: a start that did not reach its first checkpoint",
			    (unsigned long long)starts, starts == 1 ? "y" : "ies");
			return 0;
		}
		snprintf(err, errlen, "ledger: entries %llu..%llu were put in the database "
		    "after the gateway stopped cleanly (its final checkpoint, tree size %llu, "
		    "covers the stop): this gateway did not write them and will not sign "
		    "them; run gatewayctl ledger verify, and remove them before starting",
		    (unsigned long long)s + 1, (unsigned long long)have,
		    (unsigned long long)s);
		return -1;
	}
	if ((c = store_read_begin(l->store)) == NULL) {
		snprintf(err, errlen, "ledger: no read connection");
		return -1;
	}
	latest = 0;
	rc = store_ledger_entries(c, (int64_t)s + 1, (int64_t)have, latest_time, &latest);
	store_read_end(l->store, c);
	if (rc != 0) {
		snprintf(err, errlen, "ledger: entries %llu..%llu unreadable",
		    (unsigned long long)s + 1, (unsigned long long)have);
		return -1;
	}
	if (latest > store_now_us() + TAIL_AHEAD_MAX_US) {
		snprintf(err, errlen, "ledger: entries %llu..%llu, after the newest signed "
		    "checkpoint, include one dated %lld s after this clock: this gateway did "
		    "not write it and will not sign it (its time would date every later entry); "
		    "check the clock, run gatewayctl ledger verify, and remove such entries "
		    "before starting", (unsigned long long)s + 1, (unsigned long long)have,
		    (long long)((latest - store_now_us()) / 1000000));
		return -1;
	}
	log_info("ledger: %llu entries after the newest signed checkpoint (tree size %llu) "
	    "taken in: the last run did not stop cleanly", (unsigned long long)(have - s),
	    (unsigned long long)s);
	return 0;
}

/* Rebuilds the tree from the database, recomputing every leaf from its
 * entry, and checks it against the newest stored checkpoint and the newest
 * signed one (check_head). 0, or -1 with a message in err. */
static int
load(struct ledger *l, char *err, size_t errlen)
{
	struct ledger_checkpoint_row	 cp = { 0 };
	struct checkpoint		 parsed;
	struct load_leaves		 lv = { .tree = l->tree, .next = 1 };
	/* No append runs yet: the append hasher is free for the check. */
	struct content_check		 content = { l->append_hs, 0 };
	struct store_conn		*c;
	merkle_hash			 root;
	size_t				 tl = 0, len;
	uint64_t			 head_size;
	int64_t				 tail_seq, tail_time;
	int				 rc, found;
	char				*alarm;

	/* An alarm raised before: not until an operator has looked. */
	if ((alarm = ledger_head_read(l->alarm_path, &len)) != NULL || errno != ENOENT) {
		if (alarm != NULL && len > 0 && alarm[len - 1] == '\n')
			alarm[len - 1] = '\0';
		snprintf(err, errlen, "ledger: the integrity alarm was raised (%s): %s",
		    l->alarm_path, alarm != NULL ? alarm : strerror(errno));
		free(alarm);
		return -1;
	}
	if ((c = store_read_begin(l->store)) == NULL) {
		snprintf(err, errlen, "ledger: no read connection");
		return -1;
	}
	rc = store_ledger_tail(c, &tail_seq, &tail_time, NULL);
	if (rc == 0)
		rc = store_ledger_leaves(c, 0, -1, load_leaf, &lv);
	found = rc == 0 ? store_checkpoint_latest(c, &cp) : -1;
	if (rc == 0 && found >= 0 &&
	    store_ledger_entries(c, 1, INT64_MAX, check_content, &content) != 0 &&
	    content.bad_seq == 0)
		rc = -1;	/* a read error, not a mismatch */
	store_read_end(l->store, c);
	if (lv.oom) {
		snprintf(err, errlen, "ledger: out of memory");
		goto fail;
	}
	if (rc != 0 || found < 0) {
		snprintf(err, errlen, "ledger: entries are missing or damaged (seq %llu); "
		    "run gatewayctl ledger verify", (unsigned long long)lv.next);
		goto fail;
	}
	atomic_store(&l->size, merkle_tree_size(l->tree));
	atomic_store(&l->last_time, tail_time);
	if (found == 0) {
		if (note_verify(cp.note, strlen(cp.note), l->origin, signer_pub(l->signer),
		    &tl) != 0 || checkpoint_parse(cp.note, tl, &parsed) != 0) {
			snprintf(err, errlen, "ledger: the newest checkpoint (tree size %llu) does "
			    "not verify with ledger.pub under origin %s", (unsigned long long)
			    cp.tree_size, l->origin);
			goto fail;
		}
		if (parsed.size > lv.next - 1) {
			snprintf(err, errlen, "ledger: the newest checkpoint covers %llu entries "
			    "but only %llu are stored: entries were removed",
			    (unsigned long long)parsed.size, (unsigned long long)(lv.next - 1));
			goto fail;
		}
		if (merkle_tree_root(l->tree, parsed.size, root) != 0 ||
		    memcmp(root, parsed.root, 32) != 0) {
			snprintf(err, errlen, "ledger: the stored entries do not match the newest "
			    "signed checkpoint (tree size %llu); run gatewayctl ledger verify",
			    (unsigned long long)parsed.size);
			goto fail;
		}
		l->note = cp.note;
		l->note_len = strlen(cp.note);
		l->note_size = parsed.size;
		/* Older checkpoints carry no signed time: their stored one. */
		l->note_time = parsed.time_us != 0 ? parsed.time_us : cp.time_us;
		cp.note = NULL;
	}
	if (content.bad_seq != 0) {
		snprintf(err, errlen, "ledger: entry %lld does not match its leaf hash: it was "
		    "changed after it was written; run gatewayctl ledger verify",
		    (long long)content.bad_seq);
		goto fail;
	}
	if (check_head(l, &head_size, err, errlen) != 0 ||
	    check_unsigned_tail(l, head_size, err, errlen) != 0)
		goto fail;
	/* What the gateway has written, as far as it will ever know. */
	l->tail_seq = (int64_t)(lv.next - 1);
	if (lv.next > 1)
		memcpy(l->tail_leaf, lv.last, 32);
	return 0;
fail:
	free(cp.note);
	return -1;
}

static void
free_all(struct ledger *l)
{
	merkle_tree_free(l->tree);
	leafcache_free(l->leafcache);
	merkle_hasher_free(l->append_hs);
	free(l->pend);
	signer_free(l->signer);
	free(l->note);
	pthread_cond_destroy(&l->cp_cond);
	pthread_mutex_destroy(&l->cp_lock);
	pthread_mutex_destroy(&l->sign_lock);
	pthread_mutex_destroy(&l->note_lock);
	pthread_rwlock_destroy(&l->tree_lock);
	free(l);
}

static atomic_uint_fast64_t consent_epoch_base;

struct ledger *
ledger_open(struct store *store, struct writer *writer, const char *data_dir,
    const char *origin, int accept_missing_head, char *err, size_t errlen)
{
	return ledger_open_copy(store, writer, data_dir, origin, accept_missing_head, NULL,
	    err, errlen);
}

struct ledger *
ledger_open_copy(struct store *store, struct writer *writer, const char *data_dir,
    const char *origin, int accept_missing_head, const char *head_copy, char *err,
    size_t errlen)
{
	struct ledger		*l;
	struct system_job	 j;
	unsigned char		 raw[32], digest[32];
	size_t			 rawlen = sizeof(raw);
	unsigned int		 dlen = 0;
	char			 keyid[32];
	int			 created = 0;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* No two ledgers of one process (the tests open several) share an
	 * epoch: each starts 2^32 past the last one's start. */
	atomic_init(&l->consent_epoch, atomic_fetch_add(&consent_epoch_base, UINT64_C(1) << 32));
	l->store = store;
	l->writer = writer;
	l->accept_missing_head = accept_missing_head;
	snprintf(l->origin, sizeof(l->origin), "%s", origin ? origin : LEDGER_ORIGIN);
	pthread_rwlock_init(&l->tree_lock, NULL);
	pthread_mutex_init(&l->note_lock, NULL);
	pthread_mutex_init(&l->sign_lock, NULL);
	pthread_mutex_init(&l->cp_lock, NULL);
	/* The checkpoint signer's waits run on the monotonic clock: a step of
	 * the wall clock neither stalls nor hurries it (monowait.h). */
	if (monowait_cond_init(&l->cp_cond) != 0) {
		pthread_mutex_destroy(&l->cp_lock);
		pthread_mutex_destroy(&l->sign_lock);
		pthread_mutex_destroy(&l->note_lock);
		pthread_rwlock_destroy(&l->tree_lock);
		free(l);
		snprintf(err, errlen, "ledger: cannot initialise the checkpoint signer's timer");
		return NULL;
	}
	/* Leaf hashes stay in ledger_entries, not in memory (merkle.h). */
	if ((l->tree = merkle_tree_new_sourced(&(struct merkle_leaf_source){ read_leaves,
	    l })) == NULL || (l->leafcache = leafcache_new(LEAF_CACHE_BLOCKS)) == NULL ||
	    (l->append_hs = merkle_hasher_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((l->signer = signer_open(data_dir, l->origin, &created, err, errlen)) == NULL)
		goto fail;
	if (snprintf(l->head_path, sizeof(l->head_path), "%s/%s", data_dir, LEDGER_HEAD_FILE) >=
	    (int)sizeof(l->head_path) || snprintf(l->alarm_path, sizeof(l->alarm_path),
	    "%s/%s", data_dir, LEDGER_ALARM_FILE) >= (int)sizeof(l->alarm_path)) {
		snprintf(err, errlen, "ledger: data directory path too long");
		goto fail;
	}
	if (head_copy != NULL && snprintf(l->copy_path, sizeof(l->copy_path), "%s",
	    head_copy) >= (int)sizeof(l->copy_path)) {
		snprintf(err, errlen, "ledger: --ledger-head-copy path too long");
		goto fail;
	}
	/* What a write of either file cut short by a crash left beside it. */
	(void)durable_replace_sweep(l->head_path);
	(void)durable_replace_sweep(l->alarm_path);
	if (head_copy != NULL)
		(void)durable_replace_sweep(l->copy_path);
	if (load(l, err, errlen) != 0)
		goto fail;

	/* Key events are entries too. */
	memset(&j, 0, sizeof(j));
	j.l = l;
	if (created) {
		if (EVP_PKEY_get_raw_public_key(signer_pub(l->signer), raw, &rawlen) != 1 ||
		    EVP_Digest(raw, rawlen, digest, &dlen, EVP_sha256(), NULL) != 1) {
			snprintf(err, errlen, "ledger: cannot digest the new public key");
			goto fail;
		}
		snprintf(keyid, sizeof(keyid), "ed25519:%08x", signer_key_id(l->signer));
		j.e[j.n++] = (struct ledger_entry){ "system", "system", "ledger.key_created",
		    NULL, keyid, NULL, digest };
	}
	j.e[j.n++] = (struct ledger_entry){ "system", "system", "gateway.started", NULL, NULL,
	    NULL, NULL };
	/* The commit hook is registered last, when nothing can fail any more;
	 * until then the tree catches up by hand. */
	if (writer_submit(writer, system_job, &j) != 0 || catch_up(l, NULL) != 0 ||
	    atomic_load(&l->alarm)) {
		snprintf(err, errlen, "ledger: cannot record the start%s",
		    atomic_load(&l->alarm) ? ": the ledger integrity alarm was raised" : "");
		goto fail;
	}
	if (sign_checkpoint(l) != 0) {
		snprintf(err, errlen, "ledger: cannot sign the first checkpoint");
		goto fail;
	}
	if (pthread_create(&l->cp_thread, NULL, checkpoint_main, l) != 0) {
		snprintf(err, errlen, "ledger: cannot start the checkpoint thread");
		goto fail;
	}
	l->cp_running = 1;
	writer_on_commit(writer, on_commit, l);
	/* Anything committed between the catch-up and the hook: */
	atomic_store(&l->dirty, 1);
	(void)writer_submit(writer, noop_job, NULL);
	log_info("ledger open: %llu entries, key ed25519:%08x%s",
	    (unsigned long long)atomic_load(&l->size), signer_key_id(l->signer),
	    created ? " (new)" : "");
	return l;
fail:
	free_all(l);
	return NULL;
}

void
ledger_stop(struct ledger *l)
{
	if (l == NULL)
		return;
	if (ledger_record_system(l, "gateway.stopped", NULL, NULL, NULL) != 0)
		log_errx("could not record the stop in the ledger");
	if (l->cp_running) {
		pthread_mutex_lock(&l->cp_lock);
		l->cp_stopping = 1;
		pthread_cond_signal(&l->cp_cond);
		pthread_mutex_unlock(&l->cp_lock);
		pthread_join(l->cp_thread, NULL);
		l->cp_running = 0;
	}
	if (sign_checkpoint(l) != 0)
		log_errx("no final checkpoint");
	else
		log_info("ledger closed at tree size %llu", (unsigned long long)signed_size(l));
}

void
ledger_free(struct ledger *l)
{
	if (l == NULL)
		return;
	if (l->cp_running) {
		pthread_mutex_lock(&l->cp_lock);
		l->cp_stopping = 1;
		pthread_cond_signal(&l->cp_cond);
		pthread_mutex_unlock(&l->cp_lock);
		pthread_join(l->cp_thread, NULL);
	}
	free_all(l);
}

uint64_t
ledger_size(struct ledger *l)
{
	return atomic_load(&l->size);
}

uint64_t
ledger_consent_epoch(struct ledger *l)
{
	return atomic_load(&l->consent_epoch);
}

size_t
ledger_tree_bytes(struct ledger *l)
{
	size_t	n;

	pthread_rwlock_rdlock(&l->tree_lock);
	n = merkle_tree_bytes(l->tree);
	pthread_rwlock_unlock(&l->tree_lock);
	return n;
}

char *
ledger_checkpoint(struct ledger *l, uint64_t *tree_size, size_t *len)
{
	char	*copy = NULL;

	pthread_mutex_lock(&l->note_lock);
	if (l->note != NULL && (copy = malloc(l->note_len + 1)) != NULL) {
		memcpy(copy, l->note, l->note_len + 1);
		if (tree_size != NULL)
			*tree_size = l->note_size;
		if (len != NULL)
			*len = l->note_len;
	}
	pthread_mutex_unlock(&l->note_lock);
	return copy;
}

struct signer *
ledger_signer(struct ledger *l)
{
	return l->signer;
}

const char *
ledger_pub_pem(struct ledger *l, size_t *len)
{
	return signer_pub_pem(l->signer, len);
}

int
ledger_inclusion(struct ledger *l, int64_t seq, uint64_t tree_size, struct ledger_proof *p)
{
	int	rc = -1;

	memset(p, 0, sizeof(*p));
	if (tree_size == 0 && (tree_size = signed_size(l)) == 0)
		return 1;
	pthread_rwlock_rdlock(&l->tree_lock);
	if (seq < 1 || tree_size > merkle_tree_size(l->tree) || (uint64_t)seq > tree_size) {
		rc = 1;
		goto out;
	}
	p->leaf_index = (uint64_t)seq - 1;
	p->tree_size = tree_size;
	if (merkle_tree_leaf(l->tree, p->leaf_index, p->leaf_hash) == 0 &&
	    merkle_tree_root(l->tree, tree_size, p->root) == 0 &&
	    merkle_tree_inclusion(l->tree, p->leaf_index, tree_size, p->hashes,
	    MERKLE_MAX_PROOF, &p->n) == 0)
		rc = 0;
	else
		log_errx("ledger: no inclusion proof for entry %lld: its stored leaf hashes "
		    "are unreadable or differ from the tree; run gatewayctl ledger verify",
		    (long long)seq);
out:
	pthread_rwlock_unlock(&l->tree_lock);
	return rc;
}

/*
 * Leaves from + 0 .. n - 1 of complete block b (from + n <= MERKLE_BLOCK):
 * from the leaf cache, or the whole block read back and checked against
 * the tree (merkle_tree_leaves) and kept there. Under the tree lock. 0 or
 * -1 (unreadable or changed).
 */
static int
block_leaves(struct ledger *l, uint64_t b, size_t from, size_t n, merkle_hash *out)
{
	merkle_hash	*blk;
	int		 rc;

	if (leafcache_get(l->leafcache, b, from, n, out))
		return 0;
	if ((blk = malloc(MERKLE_BLOCK * sizeof(*blk))) == NULL)
		return -1;
	if ((rc = merkle_tree_leaves(l->tree, b * MERKLE_BLOCK, MERKLE_BLOCK, blk)) == 0) {
		leafcache_put(l->leafcache, b, (const merkle_hash *)blk);
		memcpy(out, blk + from, n * sizeof(*out));
	}
	free(blk);
	return rc;
}

int
ledger_leaves(struct ledger *l, int64_t first, size_t n, merkle_hash *out)
{
	uint64_t	size, lo, b;
	size_t		i, k;
	int		rc = 0;

	pthread_rwlock_rdlock(&l->tree_lock);
	size = merkle_tree_size(l->tree);
	if (first < 1 || (uint64_t)first - 1 > size || n > size - ((uint64_t)first - 1)) {
		pthread_rwlock_unlock(&l->tree_lock);
		return 1;
	}
	/* Block by block: a complete one through the cache, the newest,
	 * incomplete one from the tree's memory. */
	for (i = 0; i < n && rc == 0; i += k) {
		lo = (uint64_t)first - 1 + i;
		b = lo / MERKLE_BLOCK;
		k = MERKLE_BLOCK - (size_t)(lo % MERKLE_BLOCK);
		if (k > n - i)
			k = n - i;
		if ((b + 1) * MERKLE_BLOCK <= size)
			rc = block_leaves(l, b, (size_t)(lo % MERKLE_BLOCK), k, out + i);
		else
			rc = merkle_tree_leaves(l->tree, lo, k, out + i);
	}
	if (rc != 0)
		log_errx("ledger: entries %lld..%lld: their stored leaf hashes are unreadable "
		    "or differ from the tree; run gatewayctl ledger verify", (long long)first,
		    (long long)first + (long long)n - 1);
	pthread_rwlock_unlock(&l->tree_lock);
	return rc;
}

void
ledger_leaf_cache_stats(struct ledger *l, struct leafcache_stats *st)
{
	leafcache_stats(l->leafcache, st);
}

int
ledger_leaf_at(struct ledger *l, int64_t seq, unsigned wait_ms, merkle_hash out)
{
	struct timespec	ts = { 0, 2 * 1000 * 1000 };
	unsigned	waited;
	int64_t		k;

	if (seq < 1)
		return 1;
	if (writer_in_job()) {
		/* The writer thread: the tree and the kept hashes are its own,
		 * and no hook can run while a job does. */
		if (seq <= l->tail_seq)
			return ledger_leaves(l, seq, 1, (merkle_hash *)out);
		k = seq - l->tail_seq;
		if ((uint64_t)k > l->npend)
			return 1;
		memcpy(out, l->pend[k - 1], 32);
		return 0;
	}
	for (waited = 0; (uint64_t)seq > ledger_size(l) && waited < wait_ms; waited += 2)
		nanosleep(&ts, NULL);
	return ledger_leaves(l, seq, 1, (merkle_hash *)out);
}

int
ledger_leaf_signed(struct ledger *l, int64_t seq, const merkle_hash leaf, unsigned wait_ms)
{
	merkle_hash	signed_leaf;
	int		rc;

	if ((rc = ledger_leaf_at(l, seq, wait_ms, signed_leaf)) == -1)
		return -1;
	/* Committed (the caller's read sees it) and still not in the tree:
	 * its commit hook has not run, or could not read it back (tried again
	 * after the next commit). Not yet a forgery: that raises the alarm. */
	if (rc == 1 && !writer_in_job() && (uint64_t)seq > ledger_size(l) && !ledger_alarmed(l))
		return 2;
	if (rc == 1 || CRYPTO_memcmp(leaf, signed_leaf, 32) != 0)
		return 0;
	/* As signed, but the database was found changed behind the
	 * gateway's back: what a caller found by its columns may not be all
	 * there is (an entry edited so that it is not found), so nothing is
	 * vouched for until an operator has looked. */
	return ledger_alarmed(l) ? -1 : 1;
}

/* What the stored entry at a seq says of a record (entry_names). */
struct entry_look {
	const char		*action, *object_id, *pseudonym;
	const unsigned char	*digest;
	int			 found;		/* entries at that seq */
	int			 names;		/* the record's, with its digest */
	merkle_hash		 leaf;		/* recomputed from the entry */
};

static int
same_text(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
entry_names(const struct ledger_record *r, const unsigned char *stored_leaf, void *arg)
{
	struct entry_look	*k = arg;

	(void)stored_leaf;	/* a column like the others: recomputed */
	k->found++;
	/* pseudonym NULL: an entry naming no family (the breach register's). */
	k->names = same_text(r->e.action, k->action) && same_text(r->e.object_id, k->object_id) &&
	    (k->pseudonym == NULL ? r->e.family_pseudonym == NULL :
	    same_text(r->e.family_pseudonym, k->pseudonym)) && r->e.record_digest != NULL &&
	    CRYPTO_memcmp(r->e.record_digest, k->digest, 32) == 0;
	return ledger_leaf_hash(NULL, r, k->leaf) == 0 ? 0 : -1;
}

int
ledger_entry_signed(struct ledger *l, struct store_conn *c, int64_t seq, const char *action,
    const char *object_id, const char *pseudonym, const unsigned char digest[32],
    unsigned wait_ms)
{
	struct entry_look	k = { action, object_id, pseudonym, digest, 0, 0, { 0 } };

	if (seq >= 1 && store_ledger_entries(c, seq, seq, entry_names, &k) != 0)
		return -1;
	if (k.found != 1 || !k.names)
		return 0;
	return ledger_leaf_signed(l, seq, k.leaf, wait_ms);
}

int
ledger_consistency(struct ledger *l, uint64_t size1, uint64_t size2, struct ledger_proof *p)
{
	int	rc = -1;

	memset(p, 0, sizeof(*p));
	if (size2 == 0 && (size2 = signed_size(l)) == 0)
		return 1;
	pthread_rwlock_rdlock(&l->tree_lock);
	if (size1 > size2 || size2 > merkle_tree_size(l->tree)) {
		rc = 1;
		goto out;
	}
	p->first_size = size1;
	p->tree_size = size2;
	if (merkle_tree_root(l->tree, size1, p->first_root) == 0 &&
	    merkle_tree_root(l->tree, size2, p->root) == 0 &&
	    merkle_tree_consistency(l->tree, size1, size2, p->hashes, MERKLE_MAX_PROOF,
	    &p->n) == 0)
		rc = 0;
	else
		log_errx("ledger: no consistency proof %llu..%llu: stored leaf hashes are "
		    "unreadable or differ from the tree; run gatewayctl ledger verify",
		    (unsigned long long)size1, (unsigned long long)size2);
out:
	pthread_rwlock_unlock(&l->tree_lock);
	return rc;
}
