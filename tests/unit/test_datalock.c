/*
 * test_datalock.c: the data directory's owner lock (datalock.c): one
 * holder at a time, and never written through a link planted in its place.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "datalock.h"

struct fixture {
	char	dir[64];
	char	lock[128];
	char	victim[128];
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwdatalock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->lock, sizeof(f->lock), "%s/gatewayd.lock", f->dir);
	snprintf(f->victim, sizeof(f->victim), "%s/victim", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	unlink(f->lock);
	unlink(f->victim);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
lock_is_held_by_one_at_a_time(void **state)
{
	struct fixture	*f = *state;
	char		 err[256];
	struct stat	 st;
	int		 a, b;

	a = datalock_acquire(f->dir, "first", err, sizeof(err));
	assert_true(a >= 0);
	assert_int_equal(stat(f->lock, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	b = datalock_acquire(f->dir, "second", err, sizeof(err));
	assert_int_equal(b, -1);
	assert_non_null(strstr(err, "is in use by pid"));
	assert_non_null(strstr(err, "(first)"));
	datalock_release(a);
	b = datalock_acquire(f->dir, "second", err, sizeof(err));
	assert_true(b >= 0);
	datalock_release(b);
}

/* A link planted where the lock goes (the directory writable by someone
 * else) is refused: the file it points to is neither truncated nor
 * written with the pid. */
static void
lock_never_written_through_a_link(void **state)
{
	struct fixture	*f = *state;
	char		 err[256], buf[64];
	ssize_t		 n;
	int		 fd;

	fd = open(f->victim, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious\n", 9), 9);
	close(fd);
	assert_int_equal(symlink("victim", f->lock), 0);
	assert_int_equal(datalock_acquire(f->dir, "gatewayctl", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	fd = open(f->victim, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, 9);
	buf[n] = '\0';
	assert_string_equal(buf, "precious\n");
}

/* Nor anything but a plain file: a FIFO in its place. */
static void
lock_refuses_what_is_not_a_file(void **state)
{
	struct fixture	*f = *state;
	char		 err[256];

	assert_int_equal(mkfifo(f->lock, 0600), 0);
	assert_int_equal(datalock_acquire(f->dir, "gatewayctl", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(lock_is_held_by_one_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_never_written_through_a_link, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_refuses_what_is_not_a_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
