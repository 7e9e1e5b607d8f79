/*
 * landlock.c: gatewayd's (and each gatewayctl command's) Landlock ruleset
 * (landlock.h), by the system calls themselves: glibc has no wrappers and
 * Debian has no library for them.
 *
 * Debian 12's kernel headers describe Landlock ABI 2; the later rights
 * (truncate 3, TCP ports 4, device ioctls 5, scopes 6) are fixed kernel ABI,
 * defined here when the headers lack them, and asked for only when the
 * running kernel reports the version that has them: a ruleset naming a
 * right the kernel does not know is refused whole (EINVAL).
 */
#define _GNU_SOURCE	/* O_PATH */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "landlock.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE	(1ULL << 14)	/* ABI 3 */
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV	(1ULL << 15)	/* ABI 5 */
#endif
#define LL_NET_BIND_TCP			(1ULL << 0)	/* ABI 4 */
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET	(1ULL << 0)	/* ABI 6 */
#define LL_SCOPE_SIGNAL			(1ULL << 1)	/* ABI 6 */
#define LL_RULE_NET_PORT		2		/* ABI 4 */

/* struct landlock_ruleset_attr as of ABI 6; the kernel takes a longer
 * struct than it knows when the tail is zero. */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
};

/* Everything that changes the file system, and execution: what the
 * ruleset takes away, save beneath the paths it names. Reading is not
 * in it (landlock.h). */
#define FS_CHANGE_ABI1 (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)

/* Beneath the data directory (and gatewayctl's output directory): its own
 * files (the store, its log and shared memory, the ledger head and keys,
 * the lock; a copy, an export), made, written, cut, renamed within it and
 * removed; directories too. No devices, pipes,
 * sockets or links, nothing executed, nothing moved in from outside. */
#define DATA_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_TRUNCATE)

/* The ledger head copy's directory: regular files made, written, cut,
 * renamed over one another and removed; no directories, nothing else. */
#define FILE_DIR_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_FILE | \
	LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_TRUNCATE)

/* A single file (the journal, /dev/null): written and cut, no more. */
#define FILE_RIGHTS (LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE)

int
landlock_abi(void)
{
	long	v;

	v = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return v < 0 ? 0 : (int)v;
}

/* The fs rights this ABI knows, of the ones we handle. */
static uint64_t
fs_handled(int abi)
{
	uint64_t	m = FS_CHANGE_ABI1;

	if (abi >= 2)
		m |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		m |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		m |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return m;
}

/* Threads of this process, from /proc; -1 when it cannot be read. */
static int
thread_count(void)
{
	DIR		*d;
	struct dirent	*e;
	int		 n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
add_path(int ruleset, const char *path, uint64_t rights, uint64_t handled, char *err,
    size_t errlen)
{
	struct landlock_path_beneath_attr	pb;
	int					fd, rc;

	/* O_PATH follows a symbolic link to its target, as every open of
	 * the path does later; the rule is on what it names now. */
	if ((fd = open(path, O_PATH | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "landlock: %s: %s", path, strerror(errno));
		return -1;
	}
	memset(&pb, 0, sizeof(pb));
	pb.allowed_access = rights & handled;
	pb.parent_fd = fd;
	rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	if (rc == -1)
		snprintf(err, errlen, "landlock: rule for %s: %s", path, strerror(errno));
	close(fd);
	return rc == -1 ? -1 : 0;
}

int
landlock_enter(const struct landlock_spec *spec, char *err, size_t errlen)
{
	struct ll_ruleset_attr	attr;
	struct ll_net_port_attr	np;
	int			abi, ruleset, n;

	if ((abi = landlock_abi()) == 0)
		return 0;
	if ((n = thread_count()) != 1) {
		snprintf(err, errlen, "landlock: %s threads already running (it confines only "
		    "the thread that enters it and those started after)",
		    n == -1 ? "cannot tell how many" : "several");
		return -1;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = fs_handled(abi);
	if (abi >= 4)
		attr.handled_access_net = LL_NET_BIND_TCP;
	if (abi >= 6)
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset == -1) {
		snprintf(err, errlen, "landlock: create ruleset (ABI %d): %s", abi,
		    strerror(errno));
		return -1;
	}
	if ((spec->data_dir != NULL && add_path(ruleset, spec->data_dir, DATA_RIGHTS,
	    attr.handled_access_fs, err, errlen) == -1) ||
	    (spec->out_dir != NULL && add_path(ruleset, spec->out_dir, DATA_RIGHTS,
	    attr.handled_access_fs, err, errlen) == -1) ||
	    (spec->journal != NULL && add_path(ruleset, spec->journal, FILE_RIGHTS,
	    attr.handled_access_fs, err, errlen) == -1) ||
	    (spec->file_dir != NULL && add_path(ruleset, spec->file_dir, FILE_DIR_RIGHTS,
	    attr.handled_access_fs, err, errlen) == -1) ||
	    add_path(ruleset, "/dev/null", FILE_RIGHTS, attr.handled_access_fs, err,
	    errlen) == -1)
		goto fail;
	/* no_bind: the right handled and no port given it, so none is bound. */
	if (abi >= 4 && !spec->no_bind) {
		np.allowed_access = LL_NET_BIND_TCP;
		np.port = spec->port;
		if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_NET_PORT, &np, 0) == -1) {
			snprintf(err, errlen, "landlock: rule for port %u: %s", spec->port,
			    strerror(errno));
			goto fail;
		}
	}
	/* sandbox_enter() has set no_new_privs already; again is harmless,
	 * and Landlock needs it (or CAP_SYS_ADMIN). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, ruleset, 0) == -1) {
		snprintf(err, errlen, "landlock: restrict: %s", strerror(errno));
		goto fail;
	}
	close(ruleset);
	return abi;
fail:
	close(ruleset);
	return -1;
}
