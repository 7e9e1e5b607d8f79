/*
 * landlock.h: where gatewayd may write, and what else it may reach, once it
 * serves. sandbox.h keeps a compromised daemon from starting a program;
 * this keeps it from leaving anything behind: a key in an authorized_keys
 * file, a changed agency profile or CA, a replaced binary, a cron entry.
 *
 * Through Linux's Landlock (an unprivileged LSM, like OpenBSD's unveil):
 * once entered, the daemon may make, change, truncate or remove files only
 * beneath its data directory, write to the erasure journal wherever it is
 * and to /dev/null, replace files in the directory of the ledger head's
 * copy (--ledger-head-copy: a directory of its own), and nowhere else; execute nothing; bind a TCP port
 * other than its own on no address (kernel 6.7 on); signal no process
 * outside itself and reach no abstract UNIX socket of another (6.12 on).
 * Reading is not confined: profiles, revocation lists, CA files and what
 * GnuTLS, libcurl and the resolver read can be anywhere an operator names,
 * and a SIGHUP may name new ones; file permissions keep what the daemon's
 * user must not read.
 *
 * Best effort by the kernel's Landlock version: a right the kernel does not
 * know is left as it was (truncation before 6.2, binding before 6.7), and a
 * kernel without Landlock (or valgrind, which does not know its calls) runs
 * the daemon unconfined with a warning. A restriction applies to the thread
 * that makes it and to threads it starts later, so it must be entered while
 * the daemon has one thread: landlock_enter() refuses otherwise.
 *
 * gatewayctl enters it too (ctl_confine.c), per command: no tree, or the
 * store's directory and an output directory, and no port at all.
 */
#ifndef LANDLOCK_H
#define LANDLOCK_H

#include <stddef.h>

struct landlock_spec {
	const char	*data_dir;	/* a tree it may write in; NULL: none */
	const char	*journal;	/* a file it may append to and cut; NULL: none */
	unsigned	 port;		/* the TCP port it may bind (0: any free one) */
	const char	*out_dir;	/* a second tree, as data_dir (gatewayctl's
					   output); NULL: none */
	int		 no_bind;	/* bind no TCP port at all (port unused) */
	const char	*file_dir;	/* a directory whose files it may make, replace
					   and remove, no more (the ledger head's
					   copy is replaced there); NULL: none */
};

/*
 * Confines this process (its only thread) as above. Returns the Landlock
 * ABI version in force (>= 1), 0 when the kernel has no Landlock (nothing
 * done; the caller warns), or -1 with a reason in err: a path that cannot
 * be opened, more than one thread, a refusal by the kernel (the caller
 * refuses to start rather than run less confined than it says).
 */
int	landlock_enter(const struct landlock_spec *spec, char *err, size_t errlen);

/* The running kernel's Landlock ABI version, 0 when it has none. */
int	landlock_abi(void);

#endif
