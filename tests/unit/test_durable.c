/*
 * test_durable.c: a file replaced whole and privately (durable.c): what
 * the ledger head and alarm, gatewayctl's statements and ledger exports
 * are written with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "durable.h"

struct fixture {
	char	dir[64];
	char	path[128];
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwdurable.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/out", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
put(const char *path, const char *text, mode_t mode)
{
	FILE	*fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(chmod(path, mode), 0);
}

static void
expect(const char *path, const char *text)
{
	char	 buf[256] = "";
	FILE	*fp = fopen(path, "r");
	size_t	 n;

	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_string_equal(buf, text);
}

/* Names in the directory: only what the test made, no temporary left. */
static int
entries(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_replace_writes_a_new_private_file(void **state)
{
	struct fixture	*f = *state;
	struct stat	 st;

	assert_int_equal(durable_replace_file(f->path, "signed note\n", 12), 0);
	expect(f->path, "signed note\n");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(entries(f->dir), 1);
}

/* A file someone else made readable first is replaced, not written
 * through: whoever holds it open reads the old text, and the new file is
 * private. */
static void
test_replace_never_writes_through_an_existing_file(void **state)
{
	struct fixture	*f = *state;
	struct stat	 st;
	char		 buf[32] = "";
	FILE		*held;

	put(f->path, "old", 0644);
	assert_non_null(held = fopen(f->path, "r"));
	assert_int_equal(durable_replace_file(f->path, "new", 3), 0);
	assert_non_null(fgets(buf, sizeof(buf), held));
	fclose(held);
	assert_string_equal(buf, "old");
	expect(f->path, "new");
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* A symbolic link planted at the name is replaced; its target untouched. */
static void
test_replace_never_follows_a_link(void **state)
{
	struct fixture	*f = *state;
	char		 target[160];
	struct stat	 st;

	snprintf(target, sizeof(target), "%s/target", f->dir);
	put(target, "theirs", 0644);
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(durable_replace_file(f->path, "ours", 4), 0);
	expect(target, "theirs");
	expect(f->path, "ours");
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

/* Discarded (the command failed half-way): the old file stays as it was,
 * and no temporary file is left beside it. */
static void
test_discarded_replace_leaves_the_old_file(void **state)
{
	struct fixture		*f = *state;
	struct durable_replace	 r;

	put(f->path, "old", 0600);
	assert_int_equal(durable_replace_open(&r, f->path), 0);
	fputs("half a statement", r.f);
	assert_int_equal(entries(f->dir), 2);
	assert_int_equal(durable_replace_end(&r, 0), -1);
	expect(f->path, "old");
	assert_int_equal(entries(f->dir), 1);
	assert_int_equal(durable_replace_end(&r, 1), -1);	/* ended: refused */
}

static void
test_replace_into_a_missing_directory_fails(void **state)
{
	struct fixture	*f = *state;
	char		 path[160];

	snprintf(path, sizeof(path), "%s/no/such/out", f->dir);
	assert_int_equal(durable_replace_file(path, "x", 1), -1);
}

/* What a crash between open and end left (path.XXXXXX) is swept; the file
 * itself, other names and other files' leftovers are not. */
static void
test_sweep_removes_only_leftovers_of_that_file(void **state)
{
	struct fixture		*f = *state;
	struct durable_replace	 r;
	char			 other[160], near[160], tmp[160];

	put(f->path, "current", 0600);
	assert_int_equal(durable_replace_open(&r, f->path), 0);
	fclose(r.f);			/* the crash: never ended */
	assert_int_equal(durable_replace_open(&r, f->path), 0);
	fclose(r.f);
	snprintf(other, sizeof(other), "%s/other.AbC123", f->dir);
	put(other, "x", 0600);
	snprintf(near, sizeof(near), "%s.tmp", f->path);
	put(near, "x", 0600);
	snprintf(tmp, sizeof(tmp), "%sx.AbC123", f->path);
	put(tmp, "x", 0600);
	assert_int_equal(entries(f->dir), 6);
	assert_int_equal(durable_replace_sweep(f->path), 2);
	assert_int_equal(entries(f->dir), 4);
	expect(f->path, "current");
	assert_int_equal(durable_replace_sweep(f->path), 0);
}

/* A failed write reports why it failed, not that it was discarded. */
static void
test_replace_reports_why_the_write_failed(void **state)
{
	struct fixture	*f = *state;
	struct rlimit	 old, lim;
	static char	 big[1 << 20];

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	errno = 0;
	assert_int_equal(durable_replace_file(f->path, big, sizeof(big)), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(entries(f->dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_replace_writes_a_new_private_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replace_never_writes_through_an_existing_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_never_follows_a_link, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_discarded_replace_leaves_the_old_file, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_replace_into_a_missing_directory_fails, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_sweep_removes_only_leftovers_of_that_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_reports_why_the_write_failed, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
