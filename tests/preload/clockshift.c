/*
 * clockshift.c: a test-only LD_PRELOAD library that moves the wall clock
 * a process reads through clock_gettime(CLOCK_REALTIME and _COARSE) on by
 * CLOCKSHIFT_SECONDS (signed). So an integration test can let time pass
 * for gatewayd (a request approved 92 days ago) without editing a signed
 * time in its database. time() and gettimeofday() are left alone, so TLS
 * certificates and revocation lists are still judged by the real clock.
 * Never linked into the gateway: $(BUILD)/tools/clockshift.so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static clock_gettime_fn	 real;
	const char		*s;
	int			 rc;

	if (real == NULL &&
	    (real = (clock_gettime_fn)(void (*)(void))dlsym(RTLD_NEXT, "clock_gettime")) == NULL)
		abort();
	if ((rc = real(id, ts)) == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE) &&
	    (s = getenv("CLOCKSHIFT_SECONDS")) != NULL)
		ts->tv_sec += strtoll(s, NULL, 10);
	return rc;
}
