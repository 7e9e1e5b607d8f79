/*
 * test_log.c: log lines gathered with log_lines are written whole, in
 * order, in writes of at most LOG_LINES_CHUNK bytes (so never interleaved
 * with another thread's line on a pipe), nothing before a chunk fills or
 * the flush; and the level threshold applies to them as to log_msg().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "log.h"

static char	path[64];
static int	saved = -1;

/* stderr into a fresh file. */
static void
capture(void)
{
	int	fd;

	snprintf(path, sizeof(path), "/tmp/gwlog.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_true((saved = dup(STDERR_FILENO)) >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	close(fd);
}

static void
release(void)
{
	dup2(saved, STDERR_FILENO);
	close(saved);
	unlink(path);
}

static size_t
written(void)
{
	struct stat	st;

	assert_int_equal(stat(path, &st), 0);
	return (size_t)st.st_size;
}

/* The file so far, NUL-terminated (malloc'd). */
static char *
contents(void)
{
	FILE	*fp = fopen(path, "r");
	size_t	 n = written();
	char	*s;

	assert_non_null(fp);
	assert_non_null(s = calloc(1, n + 1));
	assert_int_equal(fread(s, 1, n, fp), n);
	fclose(fp);
	return s;
}

static void
test_gathered_lines_are_written_whole_in_order_in_chunks(void **state)
{
	struct log_lines	 ll = { .n = 0 };
	char			 pad[700], *s, *at, *prev, needle[128];
	size_t			 total = 0, before;
	int			 i;

	(void)state;
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	capture();
	for (i = 0; i < 20; i++) {
		before = ll.n;
		log_lines_add(&ll, LOG_INFO, __func__, "line %02d %s", i, pad);
		assert_true(ll.n <= LOG_LINES_CHUNK);
		if (ll.n < before) {		/* a chunk went out: whole lines */
			total = written();
			s = contents();
			assert_int_equal(s[total - 1], '\n');
			free(s);
		} else
			assert_int_equal(written(), total);	/* nothing yet */
	}
	assert_true(total > 0);
	log_lines_flush(&ll);
	assert_int_equal(ll.n, 0);
	s = contents();
	for (prev = s, i = 0; i < 20; i++) {
		snprintf(needle, sizeof(needle), "info %s: line %02d x",
		    "test_gathered_lines_are_written_whole_in_order_in_chunks", i);
		assert_non_null(at = strstr(s, needle));
		assert_true(at >= prev);
		prev = at;
	}
	free(s);
	release();
}

static void
test_gathered_lines_below_the_level_are_not_written(void **state)
{
	struct log_lines	ll = { .n = 0 };
	char			*s;

	(void)state;
	capture();
	log_set_level(LOG_WARN);
	log_lines_add(&ll, LOG_INFO, __func__, "quiet");
	log_lines_add(&ll, LOG_ERR, __func__, "loud");
	log_lines_flush(&ll);
	log_set_level(LOG_INFO);
	s = contents();
	assert_null(strstr(s, "quiet"));
	assert_non_null(strstr(s, "error test_gathered_lines_below_the_level_are_not_written: loud\n"));
	free(s);
	release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gathered_lines_are_written_whole_in_order_in_chunks),
		cmocka_unit_test(test_gathered_lines_below_the_level_are_not_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
