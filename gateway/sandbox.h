/*
 * sandbox.h: what gatewayd may never ask of the kernel. The daemon parses
 * network input from every agency; if a flaw in that path (ours, or in
 * libmicrohttpd, GnuTLS, Jansson, SQLite) ever let a caller run code, the
 * next steps of an attack are to start a program (a shell, a downloader),
 * read another process's memory, or reach the parts of the kernel most
 * often used to escalate. A seccomp filter, installed before the first
 * thread and inherited by every thread, answers those system calls EPERM:
 * no system call the gateway makes is on the list, so nothing it does
 * changes. The list (sandbox.c) is a deny-list, not an allow-list, so a
 * library taking a new but harmless path (a newer glibc, a libcurl
 * resolver) never kills the daemon with a record half made.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stddef.h>

/* Installs the filter for this thread and every thread it starts later
 * (and sets no_new_privs, which seccomp needs without CAP_SYS_ADMIN).
 * 0, or -1 with a reason in err (the caller refuses to start: a gateway
 * that cannot confine itself says so rather than run unconfined). */
int	sandbox_enter(char *err, size_t errlen);

/* How many system calls the filter denies on this kernel and libseccomp
 * (names the library does not know for this architecture are skipped). */
size_t	sandbox_denied(void);

#endif
