/*
 * writer.h: the single writer. Request threads hand it a job and wait; the
 * writer thread takes every job queued, runs them in one BEGIN IMMEDIATE
 * transaction (each inside its own SAVEPOINT, so one failing job rolls back
 * only itself), commits with one fsync (group commit), then wakes them all.
 * A job's effects are durable when writer_submit() returns 0.
 */
#ifndef WRITER_H
#define WRITER_H

#include <stdint.h>

#include "log.h"

struct store;
struct store_conn;
struct writer;

/* A job runs on the writer thread inside the batch transaction. Return 0 to
 * keep its writes, anything else to roll them back (that value is returned
 * by writer_submit). It must not block on anything but the store, and must
 * not return WRITER_LOST itself. */
typedef int (*writer_job_fn)(struct store_conn *, void *arg);
/*
 * What a job of a batch that did not commit (disk full, I/O error) is
 * answered, whatever it returned: nothing of the batch was kept. Whatever
 * the job wrote into its arg (an "already withdrawn" outcome, say) was
 * computed inside that rolled-back transaction, possibly from the writes of
 * an earlier job of the same batch (two identical requests: the second sees
 * the first's change), and must never be reported: the caller answers as
 * for a store that cannot record. Distinct from -1, which a job may return
 * itself with a meaningful outcome in a batch that did commit.
 */
#define WRITER_LOST	(-2)

/* Called on the writer thread once an asynchronous job's batch is durable,
 * with the job's return value (or WRITER_LOST if the batch failed). It
 * must be quick and must not submit to the writer. */
typedef void (*writer_done_fn)(void *done_arg, int rc);
/* Called on the writer thread after each successful commit (e.g. to move
 * the ledger's in-memory tree forward). */
typedef void (*writer_commit_fn)(void *arg);

/* Starts the writer thread over the store's write connection. NULL on error. */
struct writer	*writer_start(struct store *);
/* Registers a hook run after every committed batch. Call before traffic. */
void		 writer_on_commit(struct writer *, writer_commit_fn, void *arg);
/* Runs fn(conn, arg) in the next batch and waits until that batch is
 * durable. Returns fn's return value, WRITER_LOST if the batch failed to
 * commit (then nothing of the job was kept), or -1 if the writer is
 * stopping (fn was not run). */
int		 writer_submit(struct writer *, writer_job_fn fn, void *arg);
/* How many writer_submit() calls made on this thread were answered
 * WRITER_LOST, ever: http.c compares it before and after a handler, so
 * that no handler's reply can describe a batch that was rolled back. */
unsigned long	 writer_lost_here(void);
/* 1 on the writer thread while a batch's jobs run (inside a job), else 0. */
int		 writer_in_job(void);
/* Queues fn(conn, arg) for the next batch without waiting: done(done_arg,
 * rc) is called on the writer thread when that batch is durable or has
 * failed. 0 queued (done will be called exactly once); -1 not queued (out
 * of memory, or the writer is stopping: done will not be called). */
int		 writer_submit_async(struct writer *, writer_job_fn fn, void *arg,
		    writer_done_fn done, void *done_arg);
/*
 * A log line saying what a job did (a delivery stopped, rows moved), from
 * inside the job: written once the job's batch has committed, after the
 * commit hooks and before the job's submitter is answered, and never when
 * the job's writes are not kept (it returned non-zero and was rolled back
 * to its savepoint, or its whole batch was lost: the log must not report a
 * stop that never happened). On the writer thread, inside a job only;
 * anywhere else (no batch is running) the line is written at once. A batch
 * keeps at most WRITER_LOG_LINES lines of up to WRITER_LOG_LEN bytes (ids
 * and codes only, as every log line): past that only their count is
 * written, after the others, so a job that stops many deliveries names the
 * first and counts the rest. The bound leaves a line for every job of a
 * full batch (POST /v1/disclosures logs each decision so). A batch's lines
 * are written together, a write(2) per 4 KiB of whole lines (log_lines).
 */
#define WRITER_LOG_LINES	(512 + 64)	/* writer.c: one a job of the largest
						 * batch (MAX_BATCH), 64 more */
#define WRITER_LOG_LEN		256
void		 writer_log(enum log_level, const char *func, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
#define writer_log_info(...)	writer_log(LOG_INFO, __func__, __VA_ARGS__)
#define writer_log_warnx(...)	writer_log(LOG_WARN, __func__, __VA_ARGS__)
/* Jobs waiting for the next batch (a metrics gauge). */
unsigned	 writer_queue_depth(struct writer *);
struct writer_stats {
	uint64_t	batches;	/* committed since start */
	uint64_t	jobs;		/* in those: jobs / batches is the mean batch */
	uint64_t	failed;		/* batches whose commit failed (disk full, I/O
					 * error): rolled back whole, every job
					 * WRITER_LOST */
	unsigned	failing;	/* failed since the last commit that wrote
					 * to the log: 0 once one has (a commit of
					 * nothing proves nothing) */
	/* Where the writer thread's time went since start, in microseconds
	 * of the monotonic clock: waiting for a job (idle_us), in COMMIT
	 * (commit_us: the log's write and fsync), everything else being
	 * the batches' jobs and what follows a commit (hooks, replies).
	 * The writer is one thread every disclosure passes through, so
	 * 1 - idle / elapsed says how near it is to being the bottleneck. */
	uint64_t	idle_us;
	uint64_t	commit_us;
};
void		 writer_stats(struct writer *, struct writer_stats *);
/* Finishes every queued job, then stops the thread and frees the writer. */
void		 writer_stop(struct writer *);

#endif
