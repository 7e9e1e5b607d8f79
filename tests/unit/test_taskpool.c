/*
 * test_taskpool.c: the handler pool (taskpool.c). Every task queued runs
 * exactly once, on the pool's threads, several at a time; stopping runs
 * what is queued and then refuses more; a pool of no threads is refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "taskpool.h"

struct counter {
	atomic_int	 runs;
	atomic_int	 running, most;
	pthread_t	 caller;
	atomic_int	 on_caller;
	atomic_int	 waited;
};

static void
count_task(void *arg)
{
	struct counter	*c = arg;
	struct timespec	 pause = { 0, 2000000 };	/* 2 ms: long enough to overlap */
	int		 now, most;

	if (pthread_equal(pthread_self(), c->caller))
		atomic_fetch_add(&c->on_caller, 1);
	now = atomic_fetch_add(&c->running, 1) + 1;
	most = atomic_load(&c->most);
	while (now > most && !atomic_compare_exchange_weak(&c->most, &most, now))
		;
	/* The first task waits (up to 10 s) for another to run beside it: on a
	 * loaded machine 2 ms may pass before a second thread is scheduled, and
	 * 40 tasks run one after another would not show several at once. A
	 * pool that runs one at a time still leaves most at 1. */
	if (atomic_exchange(&c->waited, 1) == 0)
		for (int i = 0; i < 5000 && atomic_load(&c->most) < 2; i++)
			nanosleep(&pause, NULL);
	nanosleep(&pause, NULL);
	atomic_fetch_sub(&c->running, 1);
	atomic_fetch_add(&c->runs, 1);
}

static void
test_every_task_runs_once_on_the_pool(void **state)
{
	struct taskpool	*p;
	struct counter	 c;
	int		 i;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.caller = pthread_self();
	p = taskpool_start(4, "test-pool");
	assert_non_null(p);
	for (i = 0; i < 40; i++)
		assert_int_equal(taskpool_submit(p, count_task, &c), 0);
	taskpool_stop(p);	/* runs what is queued first */
	assert_int_equal(atomic_load(&c.runs), 40);
	assert_int_equal(atomic_load(&c.on_caller), 0);
	assert_true(atomic_load(&c.most) > 1);	/* several at once */
	assert_true(atomic_load(&c.most) <= 4);
}

/* A task that queues another: the pool is usable from its own threads. */
struct chain {
	struct taskpool	*p;
	atomic_int	 left;
};

static void
chain_task(void *arg)
{
	struct chain	*ch = arg;

	if (atomic_fetch_sub(&ch->left, 1) > 1)
		(void)taskpool_submit(ch->p, chain_task, ch);
}

static void
test_task_may_queue_another(void **state)
{
	struct chain	ch;
	struct timespec	pause = { 0, 1000000 };
	int		i;

	(void)state;
	ch.p = taskpool_start(1, "test-chain");
	assert_non_null(ch.p);
	atomic_store(&ch.left, 10);
	assert_int_equal(taskpool_submit(ch.p, chain_task, &ch), 0);
	for (i = 0; i < 20000 && atomic_load(&ch.left) > 0; i++)	/* 20 s at least */
		nanosleep(&pause, NULL);
	assert_int_equal(atomic_load(&ch.left), 0);
	taskpool_stop(ch.p);
}

static void
test_no_threads_refused_and_stop_of_null_is_harmless(void **state)
{
	(void)state;
	assert_null(taskpool_start(0, "none"));
	taskpool_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_task_runs_once_on_the_pool),
		cmocka_unit_test(test_task_may_queue_another),
		cmocka_unit_test(test_no_threads_refused_and_stop_of_null_is_harmless),
	};
	return cmocka_run_group_tests_name("taskpool", tests, NULL, NULL);
}
