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

struct store;
struct store_conn;
struct writer;

/* A job runs on the writer thread inside the batch transaction. Return 0 to
 * keep its writes, anything else to roll them back (that value is returned
 * by writer_submit). It must not block on anything but the store. */
typedef int (*writer_job_fn)(struct store_conn *, void *arg);
/* Called on the writer thread once an asynchronous job's batch is durable,
 * with the job's return value (or -1 if the batch failed to commit). It
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
 * durable. Returns fn's return value, or -1 if the batch failed to commit
 * (then nothing of the job was kept) or the writer is stopping. */
int		 writer_submit(struct writer *, writer_job_fn fn, void *arg);
/* Queues fn(conn, arg) for the next batch without waiting: done(done_arg,
 * rc) is called on the writer thread when that batch is durable or has
 * failed. 0 queued (done will be called exactly once); -1 not queued (out
 * of memory, or the writer is stopping: done will not be called). */
int		 writer_submit_async(struct writer *, writer_job_fn fn, void *arg,
		    writer_done_fn done, void *done_arg);
/* Jobs waiting for the next batch (a metrics gauge). */
unsigned	 writer_queue_depth(struct writer *);
struct writer_stats {
	uint64_t	batches;	/* committed since start */
	uint64_t	jobs;		/* in those: jobs / batches is the mean batch */
	uint64_t	failed;		/* batches whose commit failed (disk full, I/O
					 * error): rolled back whole, every job -1 */
	unsigned	failing;	/* failed since the last commit: 0 when the
					 * newest batch committed */
};
void		 writer_stats(struct writer *, struct writer_stats *);
/* Finishes every queued job, then stops the thread and frees the writer. */
void		 writer_stop(struct writer *);

#endif
