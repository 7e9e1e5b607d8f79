/*
 * monowait.h: timed waits measured on the monotonic clock. A deadline on
 * CLOCK_REALTIME (pthread_cond_timedwait's default) moves with every step
 * of the wall clock (NTP, an operator): stepped back an hour, a one-second
 * wait lasts an hour and a second. Every timed wait in the gateway uses a
 * condition variable made here and a deadline from monowait_after(); times
 * recorded or shown stay on the wall clock (store_now_us()). So does every
 * interval a thread keeps in memory only (monowait_now_us()).
 */
#ifndef MONOWAIT_H
#define MONOWAIT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with CLOCK_MONOTONIC as the clock of its timed waits.
 * 0, or an error number (cond is then not initialised). */
int	monowait_cond_init(pthread_cond_t *cond);

/* Sets *ts to ns nanoseconds (>= 0) after now on CLOCK_MONOTONIC: the
 * deadline for pthread_cond_timedwait on a monowait_cond_init() cond. */
void	monowait_after(struct timespec *ts, int64_t ns);

/* Now on CLOCK_MONOTONIC, in microseconds from an arbitrary start: for an
 * interval kept in memory (the delivery worker's wait before it records
 * kept results again), never for a time stored or shown. */
int64_t	monowait_now_us(void);

#endif
