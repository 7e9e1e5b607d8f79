/*
 * taskpool.c: threads that run queued tasks (taskpool.h). One mutex, one
 * condition variable, a singly linked queue; a task is malloc'd when queued
 * and freed once run. Stopping refuses new tasks, lets the threads empty
 * the queue, and joins them.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "taskpool.h"

struct task {
	task_fn		 fn;
	void		*arg;
	struct task	*next;
};

struct taskpool {
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;
	struct task	*head, *tail;
	int		 stopping;
	unsigned	 n;
	char		 name[16];
	pthread_t	*threads;
};

static void *
taskpool_main(void *arg)
{
	struct taskpool	*p = arg;
	struct task	*t;

	(void)prctl(PR_SET_NAME, p->name, 0, 0, 0);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->head == NULL && !p->stopping)
			pthread_cond_wait(&p->wake, &p->lock);
		if ((t = p->head) == NULL)
			break;		/* stopping, and nothing left */
		if ((p->head = t->next) == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		t->fn(t->arg);
		free(t);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct taskpool *
taskpool_start(unsigned n, const char *name)
{
	struct taskpool	*p;
	unsigned	 i;

	if (n == 0 || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->threads = calloc(n, sizeof(*p->threads))) == NULL) {
		free(p);
		return NULL;
	}
	strncpy(p->name, name, sizeof(p->name) - 1);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->wake, NULL);
	for (i = 0; i < n; i++) {
		if (pthread_create(&p->threads[i], NULL, taskpool_main, p) != 0)
			break;
		p->n++;
	}
	if (p->n < n) {
		taskpool_stop(p);
		return NULL;
	}
	return p;
}

int
taskpool_submit(struct taskpool *p, task_fn fn, void *arg)
{
	struct task	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -1;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		free(t);
		return -1;
	}
	if (p->tail != NULL)
		p->tail->next = t;
	else
		p->head = t;
	p->tail = t;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
taskpool_stop(struct taskpool *p)
{
	unsigned	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p->threads);
	free(p);
}
