/*
 * ledger_selfcheck.c: the background re-reading of every stored ledger
 * entry against the tree (ledger_selfcheck.h). Owns the gw-selfcheck
 * thread, its pace and its counters; the verdict on a chunk read is
 * selfcheck_first_bad (pure), the tree's answer ledger_block_signed.
 *
 * A chunk is one block of the tree (MERKLE_BLOCK entries, the last one
 * shorter), read in one query on a pooled read connection held only for
 * it: 256 leaf hashes recomputed from the columns and 255 more to compare
 * the block with the tree's kept node, no read of the leaf_hash column
 * through the tree and nothing put in the leaf cache (the requests' own).
 * After each chunk the thread waits until its entries' share of a second
 * at max_per_s has passed, so its cost is bounded by the rate, not the
 * ledger's size.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sys/prctl.h>

#include "ledger.h"
#include "ledger_selfcheck.h"
#include "log.h"
#include "monowait.h"
#include "store.h"

struct ledger_selfcheck {
	struct ledger		*l;
	struct store		*store;
	int64_t			 interval_ns;
	unsigned		 max_per_s;

	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* monotonic (monowait.h): the stop */
	int			 stopping;
	pthread_t		 thread;

	/* Counters, under lock. */
	uint64_t		 passes, entries;
	int64_t			 last_pass_ns;	/* mono_ns of the last pass's end, or start */
};

static int64_t
mono_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t
selfcheck_first_bad(int64_t first, size_t n, const struct selfcheck_row *rows, size_t got,
    int block_is, const char **what)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (i >= got || rows[i].seq != first + (int64_t)i) {
			*what = "is missing";
			return first + (int64_t)i;
		}
	if (got != n) {
		*what = "was not written by this gateway";
		return first + (int64_t)n;
	}
	if (block_is == 1)
		return 0;
	*what = "differs from the entry this gateway wrote";
	for (i = 0; i < n; i++)
		if (!rows[i].has_stored || CRYPTO_memcmp(rows[i].leaf, rows[i].stored, 32) != 0)
			return rows[i].seq;
	*what = "(or one of the entries after it in its block of 256) differs from the entry "
	    "this gateway wrote, its stored leaf hash changed with it";
	return first;
}

/* One chunk as read (chunk_row). */
struct chunk {
	struct merkle_hasher	*hs;		/* the thread's own */
	struct selfcheck_row	*rows;
	size_t			 got, cap;
	int			 hash_failed;
};

static int
chunk_row(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct chunk		*ch = arg;
	struct selfcheck_row	*row;

	if (ch->got == ch->cap)
		return 1;	/* more rows than seqs asked for: cannot be */
	row = &ch->rows[ch->got++];
	row->seq = r->seq;
	if (ledger_leaf_hash(ch->hs, r, row->leaf) != 0) {
		ch->hash_failed = 1;
		return -1;
	}
	row->has_stored = leaf != NULL;
	if (leaf != NULL)
		memcpy(row->stored, leaf, 32);
	return 0;
}

/* Waits until deadline (mono_ns) or the stop. 1 stopping, else 0. Under
 * no lock. */
static int
wait_until(struct ledger_selfcheck *sc, int64_t deadline)
{
	struct timespec	ts;
	int		stop;

	pthread_mutex_lock(&sc->lock);
	while (!sc->stopping) {
		int64_t	now = mono_ns();

		if (now >= deadline)
			break;
		monowait_after(&ts, deadline - now);
		if (pthread_cond_timedwait(&sc->cond, &sc->lock, &ts) == ETIMEDOUT)
			break;
	}
	stop = sc->stopping;
	pthread_mutex_unlock(&sc->lock);
	return stop;
}

/*
 * Checks entries first .. first + n - 1 (one block, or the start of the
 * last). 0 as written; 1 the alarm was raised; -1 could not be checked now
 * (a read failed, or the tree moved past a block read short): tried again.
 */
static int
check_chunk(struct ledger_selfcheck *sc, struct chunk *ch, merkle_hash *leaves,
    int64_t first, size_t n)
{
	struct store_conn	*c;
	const char		*what = "";
	int64_t			 bad;
	int			 rc, block_is = 0;

	ch->got = 0;
	ch->hash_failed = 0;
	if ((c = store_read_begin(sc->store)) == NULL)
		return -1;
	rc = store_ledger_entries(c, first, first + (int64_t)n - 1, chunk_row, ch);
	store_read_end(sc->store, c);
	if (rc != 0 || ch->hash_failed)
		return -1;
	if (ch->got == n) {
		for (size_t i = 0; i < n; i++)
			memcpy(leaves[i], ch->rows[i].leaf, 32);
		if ((block_is = ledger_block_signed(sc->l, ch->hs, first, n, leaves)) == -1)
			return -1;
	}
	if ((bad = selfcheck_first_bad(first, n, ch->rows, ch->got, block_is, &what)) == 0)
		return 0;
	ledger_raise_alarm(sc->l, bad, what);
	return 1;
}

static void *
selfcheck_main(void *arg)
{
	struct ledger_selfcheck	*sc = arg;
	struct chunk		 ch = { 0 };
	merkle_hash		*leaves;
	int64_t			 pass_start, first, end, t0;
	size_t			 n;
	int			 rc, tries;

	(void)prctl(PR_SET_NAME, "gw-selfcheck", 0, 0, 0);	/* in top(1), perf, gdb */
	ch.rows = calloc(MERKLE_BLOCK, sizeof(*ch.rows));
	leaves = calloc(MERKLE_BLOCK, sizeof(*leaves));
	ch.cap = MERKLE_BLOCK;
	ch.hs = merkle_hasher_new();
	if (ch.rows == NULL || leaves == NULL || ch.hs == NULL) {
		log_errx("ledger self-check: out of memory; not running");
		goto out;
	}
	for (;;) {
		pass_start = mono_ns();
		end = (int64_t)ledger_size(sc->l);
		tries = 0;
		for (first = 1; first <= end && !ledger_alarmed(sc->l); ) {
			t0 = mono_ns();
			n = (size_t)(end - first + 1 < MERKLE_BLOCK ? end - first + 1 : MERKLE_BLOCK);
			if ((rc = check_chunk(sc, &ch, leaves, first, n)) == 1)
				break;
			if (rc == -1) {
				/* A read failed, or the tree completed the last
				 * block meanwhile: again, with the tree as it is
				 * now, a little later. */
				if (++tries == 10) {
					log_errx("ledger self-check: entries %lld..%lld could not be "
					    "read; the pass ends here", (long long)first,
					    (long long)first + (long long)n - 1);
					break;
				}
				end = (int64_t)ledger_size(sc->l);
				if (wait_until(sc, mono_ns() + 100000000LL))
					goto out;
				continue;
			}
			tries = 0;
			first += (int64_t)n;
			pthread_mutex_lock(&sc->lock);
			sc->entries += n;
			pthread_mutex_unlock(&sc->lock);
			/* The rate: these n entries' share of a second. */
			if (wait_until(sc, t0 + (int64_t)n * 1000000000LL / sc->max_per_s))
				goto out;
		}
		/* And rows past the tree: the newest must be the writer's. */
		if (first > end && !ledger_alarmed(sc->l) && ledger_check_tail(sc->l) == 0) {
			pthread_mutex_lock(&sc->lock);
			sc->passes++;
			sc->last_pass_ns = mono_ns();
			pthread_mutex_unlock(&sc->lock);
		}
		if (wait_until(sc, pass_start + sc->interval_ns))
			break;
	}
out:
	merkle_hasher_free(ch.hs);
	free(ch.rows);
	free(leaves);
	return NULL;
}

struct ledger_selfcheck *
ledger_selfcheck_start(struct ledger *l, struct store *store, unsigned interval_s,
    unsigned max_per_s)
{
	struct ledger_selfcheck	*sc;

	if (interval_s == 0 || max_per_s == 0 || (sc = calloc(1, sizeof(*sc))) == NULL) {
		log_errx("ledger self-check not started");
		return NULL;
	}
	sc->l = l;
	sc->store = store;
	sc->interval_ns = (int64_t)interval_s * 1000000000LL;
	sc->max_per_s = max_per_s;
	sc->last_pass_ns = mono_ns();
	if (pthread_mutex_init(&sc->lock, NULL) != 0) {
		free(sc);
		log_errx("ledger self-check not started");
		return NULL;
	}
	if (monowait_cond_init(&sc->cond) != 0) {
		pthread_mutex_destroy(&sc->lock);
		free(sc);
		log_errx("ledger self-check not started");
		return NULL;
	}
	if (pthread_create(&sc->thread, NULL, selfcheck_main, sc) != 0) {
		pthread_cond_destroy(&sc->cond);
		pthread_mutex_destroy(&sc->lock);
		free(sc);
		log_errx("ledger self-check: cannot start its thread");
		return NULL;
	}
	return sc;
}

void
ledger_selfcheck_stop(struct ledger_selfcheck *sc)
{
	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->lock);
	sc->stopping = 1;
	pthread_cond_signal(&sc->cond);
	pthread_mutex_unlock(&sc->lock);
	pthread_join(sc->thread, NULL);
	pthread_cond_destroy(&sc->cond);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

void
ledger_selfcheck_stats(struct ledger_selfcheck *sc, struct ledger_selfcheck_stats *st)
{
	pthread_mutex_lock(&sc->lock);
	st->passes = sc->passes;
	st->entries = sc->entries;
	st->age_s = (double)(mono_ns() - sc->last_pass_ns) / 1e9;
	pthread_mutex_unlock(&sc->lock);
}
