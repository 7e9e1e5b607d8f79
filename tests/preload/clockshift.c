/*
 * clockshift.c: a test-only LD_PRELOAD library that moves the wall clock
 * a process reads through clock_gettime(CLOCK_REALTIME and _COARSE) on by
 * CLOCKSHIFT_SECONDS (signed). So an integration test can let time pass
 * for gatewayd (a request approved 92 days ago) without editing a signed
 * time in its database. time() and gettimeofday() are left alone, so TLS
 * certificates and revocation lists are still judged by the real clock.
 *
 * CLOCKSHIFT_FILE names a file holding more seconds (signed, as text) to
 * add, read again at most every 20 ms of the real monotonic clock: a test
 * steps the wall clock of a process already running by replacing the file
 * (written beside it and renamed over it), as NTP or an operator steps a
 * real one. Missing, empty or unreadable: nothing more is added.
 * Never linked into the gateway: $(BUILD)/tools/clockshift.so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

#define REREAD_NS	(20LL * 1000 * 1000)

static _Atomic long long	file_shift;
static _Atomic long long	file_read_at;	/* monotonic ns of the last read; 0 never */

/* The seconds CLOCKSHIFT_FILE says now (kept for REREAD_NS). */
static long long
shift_from_file(clock_gettime_fn real)
{
	struct timespec	 mono;
	const char	*path;
	char		 buf[32];
	long long	 now, last;
	ssize_t		 n;
	int		 fd, saved = errno;	/* a clock read that succeeds sets none */

	if ((path = getenv("CLOCKSHIFT_FILE")) == NULL || real(CLOCK_MONOTONIC, &mono) != 0)
		return 0;
	now = (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec + 1;
	last = atomic_load(&file_read_at);
	if (last != 0 && now - last < REREAD_NS)
		return atomic_load(&file_shift);
	atomic_store(&file_read_at, now);
	n = -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
	atomic_store(&file_shift, n > 0 ? strtoll(buf, NULL, 10) : 0);
	errno = saved;
	return atomic_load(&file_shift);
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn	 real;
	const char		*s;
	int			 rc;

	if (real == NULL &&
	    (real = (clock_gettime_fn)(void (*)(void))dlsym(RTLD_NEXT, "clock_gettime")) == NULL)
		abort();
	if ((rc = real(id, ts)) == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) {
		if ((s = getenv("CLOCKSHIFT_SECONDS")) != NULL)
			ts->tv_sec += strtoll(s, NULL, 10);
		ts->tv_sec += shift_from_file(real);
	}
	return rc;
}
