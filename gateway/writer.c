/*
 * writer.c: the single writer and its group commit.
 *
 * Request threads queue a job and sleep on their own condition variable.
 * The writer thread takes the whole queue as one batch: BEGIN IMMEDIATE,
 * each job inside a SAVEPOINT (a failing job is rolled back alone), COMMIT
 * (one fsync under synchronous=FULL), then the commit hooks, then it wakes
 * every job of the batch. So N concurrent disclosures cost one fsync, and a
 * reply is only ever sent for a job whose batch is on disk.
 *
 * A job queued with writer_submit_async() has no thread waiting for it:
 * its done function is called on the writer thread once its batch is
 * durable (or failed), after the commit hooks, outside the queue lock.
 * http.c uses it to suspend a connection instead of blocking a request
 * thread, so a few threads can keep many requests in one batch.
 *
 * A batch that does not commit is lost whole, and so is every job in it:
 * each is answered WRITER_LOST, never its own return value, whatever it
 * computed (writer.h). A job that failed alone, rolled back to its
 * savepoint in a batch that then committed, keeps its own return value: it
 * ran against the batch's writes before it, which did commit, so what it
 * found ("withdrawn already") is the committed state in the batch's order.
 *
 * So it is with what a job logs of what it did (writer_log()): the lines
 * are kept aside, dropped with the job's writes when it is rolled back to
 * its savepoint or its batch is lost, and written only once the batch has
 * committed. A line written from inside the job would say a delivery was
 * stopped that a failed commit left to go out.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "log.h"
#include "monowait.h"
#include "store.h"
#include "writer.h"

#define MAX_BATCH	512
#define MAX_HOOKS	8

/* writer_lost_here(): this thread's lost submissions. */
static _Thread_local unsigned long lost_here;

/* A line a job left for after its batch's commit (writer_log()). */
struct deferred_line {
	enum log_level	 level;
	const char	*func;		/* a __func__: static storage */
	char		 text[WRITER_LOG_LEN];
};

/* The running batch's lines, bounded: the writer thread's alone. */
struct deferred {
	struct deferred_line	 v[WRITER_LOG_LINES];
	size_t			 n;
	unsigned		 over;		/* past the bound: counted only */
	enum log_level		 over_level;	/* the highest of those */
};

/* On the writer thread while a batch's jobs run; NULL anywhere else. */
static _Thread_local struct deferred *deferring;

struct job {
	writer_job_fn	 fn;
	void		*arg;
	int		 rc;
	int		 done;
	pthread_cond_t	 cond;		/* writer_submit(): its waiter sleeps here */
	writer_done_fn	 done_fn;	/* writer_submit_async(): called, then the job freed */
	void		*done_arg;
	struct job	*next;
};

struct writer {
	struct store	*store;
	struct store_ckpt *ckpt;	/* checkpoints off this thread */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct job	*head, *tail;
	unsigned	 depth;
	int		 stopping;
	struct writer_stats st;		/* under lock */
	struct {
		writer_commit_fn	 fn;
		void			*arg;
	}		 hooks[MAX_HOOKS];
	size_t		 nhooks;
	struct deferred	 deferred;	/* the writer thread's */
};

/* Pages the write connection has written to the log so far. */
static int
pages_written(struct store_conn *c)
{
	int	cur = 0, hi = 0;

	(void)sqlite3_db_status(store_db(c), SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0);
	return cur;
}

/* Every job of the largest batch may log a line of what it did (a
 * disclosure its decision), and some more. */
_Static_assert(WRITER_LOG_LINES >= MAX_BATCH + 64, "a line for every job of a batch");

/* The batch committed: what its kept jobs logged is true now. Written
 * together (log.h log_lines: a write(2) per 4 KiB of whole lines, not one
 * per line), in the jobs' order, before any job's submitter is answered. */
static void
deferred_write(const struct deferred *d)
{
	struct log_lines	out = { .n = 0 };
	size_t			i;

	for (i = 0; i < d->n; i++)
		log_lines_add(&out, d->v[i].level, d->v[i].func, "%s", d->v[i].text);
	if (d->over > 0)
		log_lines_add(&out, d->over_level, __func__, "%u more line(s) of this batch not "
		    "written (at most %d a batch)", d->over, WRITER_LOG_LINES);
	log_lines_flush(&out);
}

/*
 * Runs one batch: BATCH_WROTE if it committed and wrote to the log,
 * BATCH_EMPTY if it committed having written nothing (such a commit says
 * nothing of whether the store can record: the ledger's no-op jobs commit
 * on a full disk too), BATCH_LOST if it was rolled back whole.
 */
enum { BATCH_LOST, BATCH_EMPTY, BATCH_WROTE };

static int
run_batch(struct writer *w, struct job *batch)
{
	struct store_conn	*c = store_write_conn(w->store);
	struct deferred		*d = &w->deferred, mark;
	struct job		*j;
	size_t			 i, nhooks;
	int			 ok, pages = pages_written(c);
	struct {
		writer_commit_fn	 fn;
		void			*arg;
	}			 hooks[MAX_HOOKS];

	/* The hook list may grow while batches run: copy it under the lock. */
	pthread_mutex_lock(&w->lock);
	nhooks = w->nhooks;
	memcpy(hooks, w->hooks, nhooks * sizeof(hooks[0]));
	pthread_mutex_unlock(&w->lock);

	d->n = 0;
	d->over = 0;
	d->over_level = LOG_DEBUG;
	deferring = d;
	ok = store_txn(c, "BEGIN IMMEDIATE") == 0;
	for (j = batch; ok && j != NULL; j = j->next) {
		if (store_txn(c, "SAVEPOINT job") == -1) {
			ok = 0;
			break;
		}
		mark.n = d->n;
		mark.over = d->over;
		mark.over_level = d->over_level;
		j->rc = j->fn(c, j->arg);
		if (j->rc != 0) {
			/* Its writes are undone: so is what it logged. */
			d->n = mark.n;
			d->over = mark.over;
			d->over_level = mark.over_level;
			if (store_txn(c, "ROLLBACK TO job") == -1)
				ok = 0;
		}
		if (store_txn(c, "RELEASE job") == -1)
			ok = 0;
	}
	deferring = NULL;
	if (ok) {
		int64_t	t0 = monowait_now_us();

		if (store_txn(c, "COMMIT") == -1)
			ok = 0;
		pthread_mutex_lock(&w->lock);
		w->st.commit_us += (uint64_t)(monowait_now_us() - t0);
		pthread_mutex_unlock(&w->lock);
	}
	if (!ok) {
		/* A COMMIT that failed on I/O has already rolled back. */
		if (!sqlite3_get_autocommit(store_db(c)))
			(void)store_txn(c, "ROLLBACK");
		/* Every job, those that failed alone too: what any of them
		 * found was found in this transaction, now gone. */
		for (j = batch; j != NULL; j = j->next)
			j->rc = WRITER_LOST;
		log_errx("batch failed to commit; every job in it reported as lost");
		if (d->n + d->over > 0)
			log_errx("the %zu line(s) its jobs would have logged of what they did "
			    "are not written: none of it was kept", d->n + d->over);
		return BATCH_LOST;
	}
	for (i = 0; i < nhooks; i++)
		hooks[i].fn(hooks[i].arg);
	deferred_write(d);
	return pages_written(c) != pages ? BATCH_WROTE : BATCH_EMPTY;
}

static void *
writer_main(void *arg)
{
	struct writer	*w = arg;
	struct job	*batch, *j, *next;
	unsigned	 n;
	int		 committed;
	int64_t		 t0;

	(void)prctl(PR_SET_NAME, "gw-writer", 0, 0, 0);	/* in top(1), perf, gdb */

	pthread_mutex_lock(&w->lock);
	for (;;) {
		t0 = monowait_now_us();
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		w->st.idle_us += (uint64_t)(monowait_now_us() - t0);
		if (w->head == NULL && w->stopping)
			break;
		/* Take up to MAX_BATCH jobs. */
		batch = w->head;
		j = batch;
		for (n = 1; n < MAX_BATCH && j->next != NULL; n++)
			j = j->next;
		w->head = j->next;
		if (w->head == NULL)
			w->tail = NULL;
		j->next = NULL;
		w->depth -= n;
		pthread_mutex_unlock(&w->lock);

		committed = run_batch(w, batch);

		/* Asynchronous jobs first, outside the lock: the waiters'
		 * jobs live on their stacks and go the moment done is set. */
		for (j = batch; j != NULL; j = j->next)
			if (j->done_fn != NULL)
				j->done_fn(j->done_arg, j->rc);
		pthread_mutex_lock(&w->lock);
		if (committed != BATCH_LOST) {
			w->st.batches++;
			w->st.jobs += n;
			/* Only a write that reached the log ends a run of
			 * failures (GET /healthz's probe write is one). */
			if (committed == BATCH_WROTE)
				w->st.failing = 0;
		} else {
			w->st.failed++;
			w->st.failing++;
		}
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			if (j->done_fn != NULL) {
				free(j);
				continue;
			}
			j->done = 1;
			pthread_cond_signal(&j->cond);
		}
		/* The replies are out: only the next batch waits for this. */
		pthread_mutex_unlock(&w->lock);
		store_ckpt_writer_idle(w->ckpt);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct writer *
writer_start(struct store *s)
{
	struct writer	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->store = s;
	w->ckpt = store_ckpt_start(s);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		store_ckpt_stop(w->ckpt);
		free(w);
		return NULL;
	}
	return w;
}

void
writer_on_commit(struct writer *w, writer_commit_fn fn, void *arg)
{
	pthread_mutex_lock(&w->lock);
	if (w->nhooks < MAX_HOOKS) {
		w->hooks[w->nhooks].fn = fn;
		w->hooks[w->nhooks].arg = arg;
		w->nhooks++;
	} else
		log_errx("too many commit hooks");
	pthread_mutex_unlock(&w->lock);
}

/* Queues j for the next batch, the lock held; -1 once stopping. */
static int
enqueue(struct writer *w, struct job *j)
{
	if (w->stopping)
		return -1;
	if (w->tail != NULL)
		w->tail->next = j;
	else
		w->head = j;
	w->tail = j;
	w->depth++;
	pthread_cond_signal(&w->wake);
	return 0;
}

int
writer_submit(struct writer *w, writer_job_fn fn, void *arg)
{
	struct job	j = { .fn = fn, .arg = arg, .rc = -1 };

	pthread_cond_init(&j.cond, NULL);
	pthread_mutex_lock(&w->lock);
	if (enqueue(w, &j) == -1) {
		pthread_mutex_unlock(&w->lock);
		pthread_cond_destroy(&j.cond);
		return -1;
	}
	while (!j.done)
		pthread_cond_wait(&j.cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&j.cond);
	if (j.rc == WRITER_LOST)
		lost_here++;
	return j.rc;
}

void
writer_log(enum log_level l, const char *func, const char *fmt, ...)
{
	struct deferred		*d = deferring;
	struct deferred_line	*x;
	char			 now[WRITER_LOG_LEN];
	va_list			 ap;

	va_start(ap, fmt);
	if (d == NULL) {		/* no batch running: nothing to wait for */
		(void)vsnprintf(now, sizeof(now), fmt, ap);
		log_msg(l, func, "%s", now);
	} else if (d->n == WRITER_LOG_LINES) {
		d->over++;
		if (l > d->over_level)
			d->over_level = l;
	} else {
		x = &d->v[d->n++];
		x->level = l;
		x->func = func;
		(void)vsnprintf(x->text, sizeof(x->text), fmt, ap);
	}
	va_end(ap);
}

int
writer_in_job(void)
{
	return deferring != NULL;
}

unsigned long
writer_lost_here(void)
{
	return lost_here;
}

int
writer_submit_async(struct writer *w, writer_job_fn fn, void *arg, writer_done_fn done,
    void *done_arg)
{
	struct job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return -1;
	j->fn = fn;
	j->arg = arg;
	j->rc = -1;
	j->done_fn = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&w->lock);
	if (enqueue(w, j) == -1) {
		pthread_mutex_unlock(&w->lock);
		free(j);
		return -1;
	}
	pthread_mutex_unlock(&w->lock);
	return 0;
}

unsigned
writer_queue_depth(struct writer *w)
{
	unsigned	d;

	pthread_mutex_lock(&w->lock);
	d = w->depth;
	pthread_mutex_unlock(&w->lock);
	return d;
}

void
writer_stats(struct writer *w, struct writer_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}

void
writer_stop(struct writer *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	store_ckpt_stop(w->ckpt);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
