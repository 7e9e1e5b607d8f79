/*
 * test_landlock.c: gatewayd's Landlock ruleset (landlock.c). Each case
 * runs in a child process, which enters it and reports by its exit code
 * (0: as it should be; any other: the number of the check that failed).
 * Once in, files are made, written, cut and removed beneath the data
 * directory only, the journal is written but nothing made beside it,
 * /dev/null takes writes, nothing is executed, no other TCP port is bound
 * (ABI 4), no process outside is signalled (ABI 6); reading is left alone.
 * gatewayctl's shape: no data directory, or an output directory beside it,
 * and no port at all (no_bind).
 * A kernel without Landlock (or valgrind, which does not know its calls)
 * must get 0 back and nothing done.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "child.h"
#include "landlock.h"

static char	base[64];	/* a fresh directory per run */
static char	data[96], journal[96], outside[96], outdir[96];
static unsigned	port;		/* a free port when the case starts */

static void
path(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", base, name);
}

static int
touch(const char *p)
{
	int	fd;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
setup(void **state)
{
	char	dir[96];

	(void)state;
	snprintf(base, sizeof(base), "%s/llXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(base) == NULL)
		return -1;
	path(data, sizeof(data), "data");
	path(dir, sizeof(dir), "journal.d");
	path(journal, sizeof(journal), "journal.d/erasures");
	path(outside, sizeof(outside), "outside");
	path(outdir, sizeof(outdir), "out");
	if (mkdir(data, 0700) == -1 || mkdir(dir, 0700) == -1 || mkdir(outdir, 0700) == -1 ||
	    touch(journal) == -1 ||
	    touch(outside) == -1)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char	cmd[160];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned
free_port(void)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	int			s;
	unsigned		p = 0;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &len) == 0)
		p = ntohs(sin.sin_port);
	close(s);
	return p;
}

static int
bind_to(unsigned p)
{
	struct sockaddr_in	sin;
	int			s, rc;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	close(s);
	return rc;
}

/* Enters the ruleset (the data directory, the journal, port): its ABI. */
static int
enter(void)
{
	struct landlock_spec	spec = { .data_dir = data, .journal = journal,
				    .port = port };
	char			err[256];

	return landlock_enter(&spec, err, sizeof(err));
}

/* Runs fn in a child (child.h) with a port free when it starts. */
static int
in_child_on_port(int (*fn)(void))
{
	port = free_port();
	return in_child(fn);
}

/* A check: 0 when cond holds, else n (the child's exit code). */
#define CHECK(n, cond)	do { if (!(cond)) return (n); } while (0)

static int
writes(void)
{
	char	p[128], q[128];
	int	fd;

	if (enter() < 1)
		return 100;
	snprintf(p, sizeof(p), "%s/store", data);
	CHECK(1, touch(p) == 0);
	CHECK(2, (fd = open(p, O_WRONLY | O_TRUNC)) != -1 && write(fd, "x", 1) == 1 &&
	    close(fd) == 0);
	snprintf(q, sizeof(q), "%s/store.new", data);
	CHECK(3, rename(p, q) == 0 && unlink(q) == 0);
	snprintf(p, sizeof(p), "%s/sub", data);
	CHECK(4, mkdir(p, 0700) == 0 && rmdir(p) == 0);
	/* Outside it: nothing made, written, cut, removed or moved in. */
	path(p, sizeof(p), "new");
	CHECK(5, touch(p) == -1 && errno == EACCES);
	CHECK(6, open(outside, O_WRONLY) == -1 && errno == EACCES);
	CHECK(7, unlink(outside) == -1 && errno == EACCES);
	path(p, sizeof(p), "newdir");
	CHECK(8, mkdir(p, 0700) == -1 && errno == EACCES);
	snprintf(q, sizeof(q), "%s/moved-in", data);
	CHECK(9, rename(outside, q) == -1 && (errno == EACCES || errno == EXDEV));
	/* No links, pipes or sockets made even inside it. */
	snprintf(p, sizeof(p), "%s/link", data);
	CHECK(10, symlink("/etc/passwd", p) == -1 && errno == EACCES);
	snprintf(p, sizeof(p), "%s/fifo", data);
	CHECK(11, mkfifo(p, 0600) == -1 && errno == EACCES);
	/* /dev/null takes writes; reading is not confined. */
	CHECK(12, (fd = open("/dev/null", O_WRONLY)) != -1 && close(fd) == 0);
	CHECK(13, (fd = open("/etc/hostname", O_RDONLY)) != -1 && close(fd) == 0);
	CHECK(14, (fd = open(outside, O_RDONLY)) != -1 && close(fd) == 0);
	return 0;
}

static void
test_daemon_writes_only_beneath_its_data_directory(void **state)
{
	(void)state;
	if (landlock_abi() == 0) {
		print_message("this kernel has no Landlock: landlock_enter must do nothing\n");
		assert_int_equal(enter(), 0);
		return;
	}
	assert_int_equal(in_child_on_port(writes), 0);
	assert_int_equal(access(outside, F_OK), 0);	/* still there */
}

static int
journal_only(void)
{
	char	p[128];
	int	fd, abi;

	if ((abi = enter()) < 1)
		return 100;
	CHECK(1, (fd = open(journal, O_WRONLY | O_APPEND)) != -1);
	CHECK(2, write(fd, "line\n", 5) == 5);
	CHECK(3, ftruncate(fd, 0) == 0);
	close(fd);
	snprintf(p, sizeof(p), "%s.tmp", journal);
	CHECK(4, touch(p) == -1 && errno == EACCES);
	CHECK(5, unlink(journal) == -1 && errno == EACCES);
	return 0;
}

static void
test_erasure_journal_is_appended_but_nothing_made_beside_it(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;	/* test_daemon_writes_only_... showed nothing is done */
	assert_int_equal(in_child_on_port(journal_only), 0);
}

static int
run_nothing(void)
{
	char	*argv[] = { "true", NULL }, *envp[] = { NULL };

	if (enter() < 1)
		return 100;
	execve("/bin/true", argv, envp);
	return errno == EACCES ? 0 : 1;
}

static void
test_nothing_is_executed(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(access("/bin/true", X_OK), 0);	/* so the test can fail */
	assert_int_equal(in_child_on_port(run_nothing), 0);
}

static int
binds(void)
{
	unsigned	other = free_port();
	int		abi;

	if ((abi = enter()) < 1)
		return 100;
	CHECK(1, other != 0 && other != port);
	CHECK(2, bind_to(port) == 0);
	if (abi < 4)	/* no TCP rules before ABI 4 */
		return bind_to(other) == 0 ? 0 : 3;
	CHECK(4, bind_to(other) == -1 && errno == EACCES);
	return 0;
}

static void
test_no_other_port_is_bound(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(binds), 0);
}

static int
signals(void)
{
	int	abi;

	if ((abi = enter()) < 1)
		return 100;
	CHECK(1, kill(getpid(), 0) == 0);
	if (abi < 6)	/* no scopes before ABI 6 */
		return kill(getppid(), 0) == 0 ? 0 : 2;
	CHECK(3, kill(getppid(), 0) == -1 && errno == EPERM);
	return 0;
}

static void
test_no_process_outside_is_signalled(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(signals), 0);
}

static int	gate[2];

static void *
idle(void *arg)
{
	char	c;

	(void)arg;
	(void)!read(gate[0], &c, 1);
	return NULL;
}

/* With a second thread running, it refuses (that thread would stay
 * unconfined), and says why. */
static int
with_thread(void)
{
	struct landlock_spec	spec = { .data_dir = data, .journal = journal,
				    .port = port };
	char			err[256] = "";
	pthread_t		t;
	int			rc;

	if (pipe(gate) == -1 || pthread_create(&t, NULL, idle, NULL) != 0)
		return 100;
	rc = landlock_enter(&spec, err, sizeof(err));
	(void)!write(gate[1], "x", 1);
	pthread_join(t, NULL);
	CHECK(1, rc == -1 && strstr(err, "threads") != NULL);
	return touch(outside) == 0 ? 0 : 2;	/* and nothing was done */
}

static void
test_refused_once_a_second_thread_runs(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(with_thread), 0);
}

static int
missing_dir(void)
{
	struct landlock_spec	spec = { .data_dir = "/nonexistent/gateway-data" };
	char			err[256] = "";

	CHECK(1, landlock_enter(&spec, err, sizeof(err)) == -1);
	CHECK(2, strstr(err, "/nonexistent/gateway-data") != NULL);
	return touch(outside) == 0 ? 0 : 3;	/* nothing was confined */
}

static void
test_a_data_directory_that_is_not_there_is_refused(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(missing_dir), 0);
}

/* gatewayctl's shape: only an output directory, no data directory, no port. */
static int
out_only(void)
{
	struct landlock_spec	spec = { .out_dir = outdir, .no_bind = 1 };
	char			err[256], p[128];
	int			abi;

	if ((abi = landlock_enter(&spec, err, sizeof(err))) < 1)
		return 100;
	snprintf(p, sizeof(p), "%s/statement.json", outdir);
	CHECK(1, touch(p) == 0 && unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/store", data);
	CHECK(2, touch(p) == -1 && errno == EACCES);
	CHECK(3, touch(outside) == -1 && errno == EACCES);
	CHECK(4, (abi < 4 ? bind_to(port) == 0 : bind_to(port) == -1 && errno == EACCES));
	return 0;
}

static void
test_an_output_directory_alone_and_no_port(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(out_only), 0);
}

/* Both trees, data and output, are written; nothing between them. */
static int
data_and_out(void)
{
	struct landlock_spec	spec = { .data_dir = data, .out_dir = outdir,
				    .no_bind = 1 };
	char			err[256], p[128];

	if (landlock_enter(&spec, err, sizeof(err)) < 1)
		return 100;
	snprintf(p, sizeof(p), "%s/gateway.db-shm", data);
	CHECK(1, touch(p) == 0 && unlink(p) == 0);
	snprintf(p, sizeof(p), "%s/gateway.db", outdir);
	CHECK(2, touch(p) == 0 && unlink(p) == 0);
	path(p, sizeof(p), "between");
	CHECK(3, touch(p) == -1 && errno == EACCES);
	CHECK(4, bind_to(0) == (landlock_abi() < 4 ? 0 : -1));
	return 0;
}

static void
test_data_and_output_directories_both_and_nothing_else(void **state)
{
	(void)state;
	if (landlock_abi() == 0)
		return;
	assert_int_equal(in_child_on_port(data_and_out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_daemon_writes_only_beneath_its_data_directory),
		cmocka_unit_test(test_erasure_journal_is_appended_but_nothing_made_beside_it),
		cmocka_unit_test(test_nothing_is_executed),
		cmocka_unit_test(test_no_other_port_is_bound),
		cmocka_unit_test(test_no_process_outside_is_signalled),
		cmocka_unit_test(test_refused_once_a_second_thread_runs),
		cmocka_unit_test(test_a_data_directory_that_is_not_there_is_refused),
		cmocka_unit_test(test_an_output_directory_alone_and_no_port),
		cmocka_unit_test(test_data_and_output_directories_both_and_nothing_else),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
