/*
 * store_checkpoint.c: moves the write-ahead log into the database file on a
 * thread of its own, so the writer never stalls on a checkpoint.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses the
 * threshold, on the writer thread: every request of that batch waits for
 * thousands of page copies and an fsync of the database file. Here the
 * writer connection's WAL hook (which replaces the automatic checkpoint)
 * only counts frames and wakes this thread, which checkpoints PASSIVE
 * through a connection of its own while the writer goes on committing.
 * A passive checkpoint never blocks the writer, but under sustained load
 * it never finds the log fully copied at the instant the writer begins, so
 * the log would never start again from its beginning and would grow
 * without end. So once the log holds CKPT_RESTART_FRAMES, the writer runs
 * one passive checkpoint itself (store_ckpt_writer_idle(), after it has
 * handed its batch's replies out and before its next batch): this thread
 * has copied all but the last few frames, so it is short, and as no commit
 * can land during it the log is then wholly copied and the writer's next
 * transaction starts it over (unless a reader still holds frames: then on
 * a later try). Nothing here waits for a reader or holds the writer lock
 * for one. journal_size_limit trims the file after.
 * Durability is unchanged: each commit is still fsynced in the log
 * (synchronous=FULL), and a checkpoint fsyncs the log before copying.
 */
#define _GNU_SOURCE	/* sync_file_range(2) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "log.h"
#include "store.h"

/*
 * The checkpointer wakes when CKPT_FRAMES frames (16 MiB at 1 KiB pages)
 * have been appended since what it last copied, not at every commit past a
 * threshold: a page the writer rewrites at every commit (an index's right
 * edge, the b-tree interiors) is then copied once per 16000 frames rather
 * than once per batch (checkpoint CPU per disclosure under s1: 40 us at
 * every batch, 12-14 at 4000 frames, 8-9 at 16000), and fewer passes mean
 * fewer database fsyncs beside the writer's (s1's p99 9.2-9.3 ms at 16000
 * against 10.1-13.0 at 4000, alternating).
 *
 * Past CKPT_RESTART_FRAMES it runs pass after pass, so that it trails the
 * writer by little, and the writer finishes a checkpoint itself only once
 * at most CKPT_TAIL frames are left to copy: the batch waiting behind that
 * copy and its fsync of the database file waits a few milliseconds (1-12
 * measured under s1), not for thousands of pages (which had put s1's p99
 * at 22 ms). Those few milliseconds are still the slowest thing a batch
 * can meet, so they come once per 64 MiB of log rather than per 16 (s1's
 * p99 11 ms instead of 15-16, alternating), and after the replies of the
 * batch that crossed the mark have gone out, so only the next batch waits.
 * Should the checkpointer never get that close (a slow disk), the writer
 * finishes one anyway at CKPT_MAX_FRAMES, so the log stays bounded.
 */
#define CKPT_FRAMES		16000
#define CKPT_RESTART_FRAMES	65536	/* 64 MiB at 1 KiB pages: start the log over */
#define CKPT_TAIL		512
#define CKPT_MAX_FRAMES		(2 * CKPT_RESTART_FRAMES)
/* The file is trimmed back to this after a restart (SQLite keeps it). */
#define CKPT_SIZE_LIMIT		"83886080"

struct store_ckpt {
	sqlite3		*writer_db;
	struct store_conn *conn;	/* this thread's own connection */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	pthread_cond_t	 passed;	/* a pass ended */
	int		 running;	/* a pass is under way */
	int		 pending;
	int		 stopping;
	int		 copied;	/* frames of the log the last checkpoint copied */
	int		 finish;	/* the writer is to finish one: no new passes here */
	int		 forced;	/* ... at CKPT_MAX_FRAMES: it waits for the pass */
	int		 dbfd;	/* the database file, for start_writeback(); or -1 */
};

/* Runs on the writer thread after each commit, outside its transaction:
 * wakes the checkpointer; now and then asks the writer to finish one. */
static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_ckpt	*k = arg;
	int			 lag, finish;

	(void)db;
	(void)name;
	pthread_mutex_lock(&k->lock);
	if (frames < k->copied)
		k->copied = 0;		/* the log started over */
	lag = frames - k->copied;
	finish = frames >= CKPT_MAX_FRAMES || (frames >= CKPT_RESTART_FRAMES && lag <= CKPT_TAIL);
	if (finish)
		k->finish = 1;
	if (frames >= CKPT_MAX_FRAMES)
		k->forced = 1;
	/* Not when the writer is about to: they would take turns at BUSY. */
	if (!k->finish && !k->pending && (lag >= CKPT_FRAMES || frames >= CKPT_RESTART_FRAMES)) {
		k->pending = 1;
		pthread_cond_signal(&k->wake);
	}
	pthread_mutex_unlock(&k->lock);
	return SQLITE_OK;
}

void
store_ckpt_writer_idle(struct store_ckpt *k)
{
	int	finish, rc;

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	finish = k->finish;
	/* The log is as long as it may get: wait for the pass under way
	 * rather than let it grow by what commits meanwhile (backpressure
	 * for a disk slower than the writer). */
	while (finish && k->forced && k->running)
		pthread_cond_wait(&k->passed, &k->lock);
	pthread_mutex_unlock(&k->lock);
	if (!finish)
		return;
	/* SQLITE_BUSY while the checkpointer ends a pass (it starts no new
	 * one meanwhile): the writer tries again after its next batch. */
	rc = sqlite3_wal_checkpoint_v2(k->writer_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_BUSY) {
		pthread_mutex_lock(&k->lock);
		k->finish = k->forced = 0;
		pthread_cond_signal(&k->wake);	/* passes asked for meanwhile */
		pthread_mutex_unlock(&k->lock);
	}
}

/*
 * SQLite syncs the database file at the end of a checkpoint only when it
 * has copied the whole log; a pass that commits outran (the usual case
 * under load) leaves the pages it wrote dirty in the page cache, and the
 * writer's finishing checkpoint, which copies the rest of the log, synced
 * them all: on a store of 1,000,000 disclosures 26-36 ms every 64 MiB of
 * log, while the next batch waited (s1's p99.9 ~30 ms). So after each pass
 * this thread starts the writeback of what it wrote (sync_file_range
 * SYNC_FILE_RANGE_WRITE: started, not waited for), and the writer's sync
 * finds little left to write: 4-5 ms on that store, p99.9 12-14 ms (cpu.sh,
 * alternating; p99 and rate unchanged). Durability is SQLite's, unchanged:
 * this only starts early what a later fsync would have done. A full
 * fdatasync here instead held the disk for each pass's thousands of random
 * pages, and the writer's log syncs queued behind it: p99 11-14 ms.
 */
static void
start_writeback(struct store_ckpt *k)
{
	if (k->dbfd != -1 && sync_file_range(k->dbfd, 0, 0, SYNC_FILE_RANGE_WRITE) == -1)
		log_warnx("checkpoint: sync_file_range: %s", strerror(errno));
}

/* One checkpoint through this thread's connection: the frames it copied. */
static int
checkpoint(struct store_ckpt *k, int mode)
{
	sqlite3	*db = store_db(k->conn);
	int	 log = 0, done = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(db, NULL, mode, &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_errx("checkpoint: %s", sqlite3_errmsg(db));
	else if (rc == SQLITE_OK && log < 0)
		log_errx("checkpoint: the database is not in WAL mode");
	else if (rc == SQLITE_OK && done > 0)
		start_writeback(k);	/* what SQLite may have left: see above */
	return rc == SQLITE_OK && done > 0 ? done : 0;
}

static void *
ckpt_main(void *arg)
{
	struct store_ckpt	*k = arg;
	int			 done;

	(void)prctl(PR_SET_NAME, "gw-checkpoint", 0, 0, 0);	/* in top(1), perf, gdb */

	pthread_mutex_lock(&k->lock);
	for (;;) {
		while ((!k->pending || k->finish) && !k->stopping)
			pthread_cond_wait(&k->wake, &k->lock);
		if (k->stopping)
			break;
		k->running = 1;
		pthread_mutex_unlock(&k->lock);
		done = checkpoint(k, SQLITE_CHECKPOINT_PASSIVE);
		pthread_mutex_lock(&k->lock);
		/* Commits during the checkpoint re-arm it through the hook. */
		k->copied = done;
		k->pending = 0;
		k->running = 0;
		pthread_cond_broadcast(&k->passed);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

struct store_ckpt *
store_ckpt_start(struct store *s)
{
	struct store_ckpt	*k;
	sqlite3			*wdb = store_db(store_write_conn(s));
	char			 err[256];

	if (sqlite3_db_readonly(wdb, "main") == 1)
		return NULL;	/* a read-only tool: nothing to checkpoint */
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	/*
	 * Opened like the writer's connection, journal_mode=WAL included: a
	 * connection that has not yet looked at the database does not know it
	 * is in WAL mode, and a checkpoint through it is a silent no-op (log
	 * and done come back -1). Checkpoints here are passive: they never
	 * call the busy handler.
	 */
	if ((k->conn = store_conn_open(s, err, sizeof(err))) == NULL) {
		log_errx("checkpointer: %s", err);
		free(k);
		return NULL;
	}
	(void)sqlite3_exec(wdb, "PRAGMA journal_size_limit=" CKPT_SIZE_LIMIT, NULL, NULL, NULL);
	if ((k->dbfd = open(sqlite3_db_filename(wdb, "main"), O_RDONLY | O_CLOEXEC)) == -1)
		log_warnx("checkpointer: the database file: %s", strerror(errno));
	k->writer_db = wdb;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	pthread_cond_init(&k->passed, NULL);
	if (pthread_create(&k->thread, NULL, ckpt_main, k) != 0) {
		pthread_cond_destroy(&k->passed);
		pthread_cond_destroy(&k->wake);
		pthread_mutex_destroy(&k->lock);
		store_conn_close(k->conn);
		if (k->dbfd != -1)
			close(k->dbfd);
		free(k);
		return NULL;
	}
	/* From here the writer's commits no longer checkpoint themselves. */
	sqlite3_wal_hook(wdb, wal_hook, k);
	return k;
}

void
store_ckpt_stop(struct store_ckpt *k)
{
	if (k == NULL)
		return;
	pthread_mutex_lock(&k->lock);
	k->stopping = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	/* Back to SQLite's own checkpoint for whatever the writer does last. */
	sqlite3_wal_autocheckpoint(k->writer_db, 1000);
	checkpoint(k, SQLITE_CHECKPOINT_PASSIVE);
	store_conn_close(k->conn);
	if (k->dbfd != -1)
		close(k->dbfd);
	pthread_cond_destroy(&k->passed);
	pthread_cond_destroy(&k->wake);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
