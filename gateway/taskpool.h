/*
 * taskpool.h: a fixed set of threads running queued tasks in order of
 * arrival. http.c gives it the handlers that may block (on a commit, a
 * long read, a signed checkpoint), so the few libmicrohttpd threads that
 * read and write every connection never wait on the store.
 */
#ifndef TASKPOOL_H
#define TASKPOOL_H

struct taskpool;

typedef void (*task_fn)(void *arg);

/* Starts n threads named name (at most 15 characters, for top and perf).
 * NULL on error. */
struct taskpool	*taskpool_start(unsigned n, const char *name);
/* Queues fn(arg). 0 queued (it will run); -1 not (stopping, or out of
 * memory): the caller still owns arg. */
int		 taskpool_submit(struct taskpool *, task_fn fn, void *arg);
/* Runs every task already queued, then stops the threads and frees the pool. */
void		 taskpool_stop(struct taskpool *);

#endif
