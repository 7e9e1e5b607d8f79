/*
 * child.h: what the unit tests that confine a process share. A confinement
 * (seccomp, Landlock) cannot be left once entered, so each case runs in a
 * forked child that enters it and reports by its exit code; and valgrind,
 * which does not know every system call those use, is told apart.
 */
#ifndef TEST_CHILD_H
#define TEST_CHILD_H

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn in a child and returns its exit status (-1 if it did not exit). */
static inline int
in_child(int (*fn)(void))
{
	pid_t	pid;
	int	status;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Whether this process runs under valgrind (its preload is in place). */
static inline int
under_valgrind(void)
{
	const char	*p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

#endif
