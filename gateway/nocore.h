/*
 * nocore.h: the process never writes its memory to disk. gatewayd and
 * gatewayctl hold the master key, unwrapped family keys and opened records
 * in memory; a core file of a crash (systemd-coredump, or a core in the
 * working directory) would put all of it on disk, outside every control of
 * the store. Called first in both mains.
 */
#ifndef NOCORE_H
#define NOCORE_H

/* Sets RLIMIT_CORE to 0 (soft and hard: the process cannot raise it again)
 * and marks the process not dumpable (PR_SET_DUMPABLE 0: no core, and no
 * ptrace attach or /proc/PID/mem by another process of the same user).
 * 0, or -1 with errno when either failed (the caller says so and goes on:
 * a crash would then leave a core file, not a worse gateway). */
int	nocore(void);

#endif
