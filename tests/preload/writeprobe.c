/*
 * writeprobe.c: a test-only LD_PRELOAD library that, as the process it is
 * loaded into exits (after gatewayd's or gatewayctl's main has returned,
 * so under everything main and the command confined it with), tries what
 * compromised code would, and reports each outcome on stderr (gatewayd's
 * log) as one line:
 *
 *   writeprobe: outside=<errno name|ok> inside=<...> bind=<...> signal=<...>[ exec=<...>]
 *
 * outside: make WRITEPROBE_OUTSIDE (a path outside the data directory);
 * inside:  make WRITEPROBE_INSIDE (a path in it);
 * bind:    bind a TCP socket on 127.0.0.1 to WRITEPROBE_PORT;
 * signal:  kill(getppid(), 0), a process outside the daemon;
 * exec:    only when WRITEPROBE_EXEC names a program: run it (in a child,
 *          whose exit status carries execve's errno back).
 * test_reload.sh's test_daemon_writes_only_in_its_data_directory and
 * test_gatewayctl.sh's confinement tests read it. Only in a process named
 * gatewayd or gatewayctl (the test's shell commands load it too).
 * Never linked into the gateway: $(BUILD)/tools/writeprobe.so.
 */
#define _GNU_SOURCE	/* program_invocation_short_name */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *
outcome(int rc)
{
	if (rc == 0)
		return "ok";
	switch (errno) {
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EADDRINUSE: return "EADDRINUSE";
	default: return strerror(errno);
	}
}

static int
make(const char *path)
{
	int	fd;

	if (path == NULL)
		return errno = ENOENT, -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1)
		return -1;
	close(fd);
	return 0;
}

static int
bind_port(const char *port)
{
	struct sockaddr_in	sin;
	int			s, rc;

	if (port == NULL || (s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errno = ENOENT, -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = bind(s, (struct sockaddr *)&sin, sizeof(sin));
	close(s);
	return rc;
}

/* 0 when the program ran, else -1 with execve's errno (from the child). */
static int
run(const char *prog)
{
	char	*argv[] = { (char *)prog, NULL }, *envp[] = { NULL };
	pid_t	 pid;
	int	 st;

	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		execve(prog, argv, envp);
		_exit(errno > 0 && errno < 126 ? errno : 126);
	}
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	errno = WIFEXITED(st) ? WEXITSTATUS(st) : EINTR;
	return -1;
}

__attribute__((destructor)) static void
probe(void)
{
	char	line[256];
	int	n;

	/* The test's own commands (sleep, seq) inherit LD_PRELOAD too. */
	if (strcmp(program_invocation_short_name, "gatewayd") != 0 &&
	    strcmp(program_invocation_short_name, "gatewayctl") != 0)
		return;
	n = snprintf(line, sizeof(line), "writeprobe: outside=%s",
	    outcome(make(getenv("WRITEPROBE_OUTSIDE"))));
	n += snprintf(line + n, sizeof(line) - (size_t)n, " inside=%s",
	    outcome(make(getenv("WRITEPROBE_INSIDE"))));
	n += snprintf(line + n, sizeof(line) - (size_t)n, " bind=%s",
	    outcome(bind_port(getenv("WRITEPROBE_PORT"))));
	n += snprintf(line + n, sizeof(line) - (size_t)n, " signal=%s",
	    outcome(kill(getppid(), 0)));
	if (getenv("WRITEPROBE_EXEC") != NULL)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " exec=%s",
		    outcome(run(getenv("WRITEPROBE_EXEC"))));
	n += snprintf(line + n, sizeof(line) - (size_t)n, "\n");
	(void)!write(STDERR_FILENO, line, (size_t)n);
}
