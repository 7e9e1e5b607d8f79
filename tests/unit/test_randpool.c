/*
 * test_randpool.c: gateway/randpool.c hands out bytes that do not repeat,
 * in any piece size, big draws included, and a forked child never hands
 * out the bytes its parent will (the pool is emptied in the child).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "randpool.h"

#define DRAWS	20000

static int
cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/* 20,000 draws of 16 bytes (the pool refills ~600 times): all distinct,
 * and no draw is all zeros (handed-out bytes are wiped in the pool). */
static void
test_draws_do_not_repeat(void **state)
{
	unsigned char	(*d)[16] = calloc(DRAWS, 16);
	static const unsigned char zero[16];

	(void)state;
	assert_non_null(d);
	for (int i = 0; i < DRAWS; i++) {
		assert_int_equal(randpool_bytes(d[i], 16), 0);
		assert_memory_not_equal(d[i], zero, 16);
	}
	qsort(d, DRAWS, 16, cmp16);
	for (int i = 1; i < DRAWS; i++)
		assert_memory_not_equal(d[i - 1], d[i], 16);
	free(d);
}

/* Odd sizes straddle refills; a draw bigger than a quarter of the pool
 * goes to RAND_bytes whole. */
static void
test_any_size(void **state)
{
	unsigned char	a[1000], b[1000];

	(void)state;
	for (size_t n = 1; n <= 200; n += 7) {
		assert_int_equal(randpool_bytes(a, n), 0);
		assert_int_equal(randpool_bytes(b, n), 0);
		if (n >= 8)
			assert_memory_not_equal(a, b, n);
	}
	assert_int_equal(randpool_bytes(a, sizeof(a)), 0);
	assert_int_equal(randpool_bytes(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(randpool_bytes(a, 0), 0);
}

/* Without the fork handler the child's first draw would be the parent's
 * next: the same pool, copied. */
static void
test_forked_child_does_not_repeat_the_parent(void **state)
{
	unsigned char	mine[16], theirs[16];
	int		fd[2], status;
	pid_t		pid;

	(void)state;
	assert_int_equal(randpool_bytes(mine, 16), 0);	/* the pool is full now */
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned char c[16];
		_exit(randpool_bytes(c, 16) == 0 && write(fd[1], c, 16) == 16 ? 0 : 1);
	}
	close(fd[1]);
	assert_int_equal(read(fd[0], theirs, 16), 16);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(randpool_bytes(mine, 16), 0);
	assert_memory_not_equal(mine, theirs, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draws_do_not_repeat),
		cmocka_unit_test(test_any_size),
		cmocka_unit_test(test_forked_child_does_not_repeat_the_parent),
	};
	return cmocka_run_group_tests_name("randpool", tests, NULL, NULL);
}
