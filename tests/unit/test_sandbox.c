/*
 * test_sandbox.c: gatewayd's seccomp deny-list (sandbox.c). Each case runs
 * in a child process, which enters the sandbox and reports by its exit
 * code: once in, no program can be started and a denied call answers
 * EPERM, while threads, files and sockets, which the gateway uses, work.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "child.h"
#include "sandbox.h"

static int
enter(void)
{
	char	err[256];

	return sandbox_enter(err, sizeof(err));
}

/* 42 when the exec was refused EPERM; /bin/false's 1 when it ran. */
static int
exec_false(void)
{
	char	*argv[] = { "false", NULL }, *envp[] = { NULL };

	if (enter() == -1)
		return 2;
	execve("/bin/false", argv, envp);
	return errno == EPERM ? 42 : 3;
}

static void
test_no_program_can_be_started(void **state)
{
	(void)state;
	assert_int_equal(access("/bin/false", X_OK), 0);	/* so the test can fail */
	/* Under valgrind (make valgrind) the refused execve reaches the kernel
	 * through valgrind, which cannot go on after a failed exec and exits
	 * 101 ("EXEC FAILED ... errno 1"): refused all the same, never
	 * /bin/false's 1. */
	assert_int_equal(in_child(exec_false), under_valgrind() ? 101 : 42);
}

/* personality(0xffffffff) only asks the current persona: it succeeds
 * unconfined, so EPERM shows the filter answered. */
static int
denied_call(void)
{
	if (personality(0xffffffff) == -1)
		return 3;
	if (enter() == -1)
		return 2;
	return personality(0xffffffff) == -1 && errno == EPERM ? 42 : 4;
}

static void
test_denied_call_answers_eperm(void **state)
{
	(void)state;
	assert_int_equal(in_child(denied_call), 42);
}

/*
 * Namespaces are made by clone(2) and clone3(2) as much as by unshare(2):
 * a clone asking for a new user (or any other) namespace answers EPERM,
 * and clone3, whose flags a filter cannot read, ENOSYS (glibc then makes
 * its threads with clone). A child made unconfined first, so the test can
 * fail: 42 refused, 4 a namespace was made.
 */
static int
new_namespace(void)
{
	static const unsigned long	ns[] = { CLONE_NEWUSER, CLONE_NEWNS | CLONE_NEWUSER,
					    CLONE_NEWNET | CLONE_NEWUSER,
					    CLONE_NEWPID | CLONE_NEWUSER };
	struct { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		    stack_size, tls; } args;
	size_t				i;
	long				pid;
	int				status;

	if ((pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)) == 0)
		_exit(0);
	/* Where user namespaces work unconfined, EPERM below is the filter's;
	 * where they do not (some containers), the kernel's EPERM would pass
	 * too, but clone3's ENOSYS is the filter's alone. */
	if (pid > 0)
		(void)waitpid((pid_t)pid, &status, 0);
	if (enter() == -1)
		return 2;
	for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		if ((pid = syscall(SYS_clone, ns[i] | SIGCHLD, 0, 0, 0, 0)) == 0)
			_exit(0);
		if (pid != -1) {
			waitpid((pid_t)pid, &status, 0);
			return 4;
		}
		if (errno != EPERM)
			return 5;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CLONE_NEWUSER;
	args.exit_signal = SIGCHLD;
	if ((pid = syscall(SYS_clone3, &args, sizeof(args))) == 0)
		_exit(0);
	if (pid != -1) {
		waitpid((pid_t)pid, &status, 0);
		return 4;
	}
	return errno == ENOSYS ? 42 : 6;
}

static void
test_no_namespace_by_clone(void **state)
{
	int	rc;

	(void)state;
	rc = in_child(new_namespace);
	assert_int_equal(rc, 42);
}

/* nocore() left the process not dumpable: once confined it stays so. 42
 * when refused EPERM, 43 when allowed (as in ASan builds: sandbox.c). */
static int
dumpable_again(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return 3;
	if (enter() == -1)
		return 2;
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0)
		return 43;
	return errno == EPERM && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 ? 42 : 5;
}

static void
test_not_dumpable_again(void **state)
{
	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	assert_int_equal(in_child(dumpable_again), 43);	/* LeakSanitizer's */
#else
	assert_int_equal(in_child(dumpable_again), 42);
#endif
}

static void *
thread_main(void *arg)
{
	return arg;
}

static int
still_works(void)
{
	pthread_t	 t;
	void		*out = NULL;
	int		 fd, s, mark = 7;
	FILE		*f;
	char		 line[64];
	int		 mode = -1;

	if (enter() == -1)
		return 2;
	if (pthread_create(&t, NULL, thread_main, &mark) != 0 || pthread_join(t, &out) != 0 ||
	    out != &mark)
		return 3;
	if ((fd = open("/dev/null", O_WRONLY)) == -1 || write(fd, "x", 1) != 1 || close(fd) != 0)
		return 4;
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 || close(s) != 0)
		return 5;
	/* and the kernel says this process is filtered (mode 2) */
	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return 6;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode == 2 ? 0 : 7;
}

static void
test_threads_files_and_sockets_still_work(void **state)
{
	(void)state;
	assert_int_equal(in_child(still_works), 0);
}

static void
test_the_whole_list_is_known_here(void **state)
{
	(void)state;
	/* x86_64 and aarch64 know all but a few legacy names (iopl, uselib...) */
	assert_true(sandbox_denied() >= 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_program_can_be_started),
		cmocka_unit_test(test_denied_call_answers_eperm),
		cmocka_unit_test(test_threads_files_and_sockets_still_work),
		cmocka_unit_test(test_no_namespace_by_clone),
		cmocka_unit_test(test_not_dumpable_again),
		cmocka_unit_test(test_the_whole_list_is_known_here),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
