/*
 * ctl_confine.c: gatewayctl confined as gatewayd is. gatewayctl holds the
 * master key and parses what may have been tampered with (a restored copy,
 * a ledger export, a statement, the store's rows, a gateway's replies), so
 * a flaw in that path must not let it start a program (sandbox.h: the
 * same seccomp deny-list, entered by main before any command runs) nor
 * write where its command does not (landlock.h, entered here by each
 * command once its arguments say where it writes, before it reads any of
 * that input and before any thread):
 *
 *   validate, statement, backup check, requests (but statement -o),
 *   ledger verify --export        nowhere
 *   ledger verify --db, export --db, deliveries, notifications, notices
 *                                 the store's directory (SQLite makes and
 *                                 writes its -wal and -shm files beside the
 *                                 database, a reader too)
 *   ledger export --out F, requests statement -o F
 *                                 F's directory as well (F is written
 *                                 beside itself and renamed: ctl_file.c)
 *   ledger generate, retention run
 *                                 the data directory (retention run
 *                                 --ledger-head-copy F: F's directory too)
 *   backup                        the data directory (read through SQLite)
 *                                 and the copy's, once made
 *
 * plus /dev/null; stdout and stderr are open already. No port is bound,
 * nothing executed, no other process signalled. A directory that is not
 * there gets no rule: nothing can be made in it anyway, and the command
 * says so as it did (a missing data directory, an -o in no directory).
 * A kernel without Landlock (valgrind too) runs with the seccomp filter
 * only, said only with -v: a command-line tool warning on every call would
 * be noise.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"
#include "landlock.h"

int	ctl_verbose;

static int	confined;

/* path when it is a directory that is there; NULL when it is not there
 * (ENOENT, ENOTDIR); path too for any other answer, so that the rule's
 * own error says what is wrong. */
static const char *
there(const char *path)
{
	struct stat	st;

	if (path == NULL)
		return NULL;
	if (stat(path, &st) == -1)
		return errno == ENOENT || errno == ENOTDIR ? NULL : path;
	return S_ISDIR(st.st_mode) ? path : NULL;
}

const char *
ctl_dir_of(const char *file, char *buf, size_t len)
{
	char	copy[PATH_MAX];

	if (file == NULL || (size_t)snprintf(copy, sizeof(copy), "%s", file) >= sizeof(copy) ||
	    (size_t)snprintf(buf, len, "%s", dirname(copy)) >= len)
		return NULL;
	return buf;
}

const char *
ctl_store_dir(const char *db, char *buf, size_t len)
{
	char	real[PATH_MAX];

	/* SQLite follows a link to the database, and keeps its -wal and
	 * -shm beside what it names. */
	if (db != NULL && realpath(db, real) != NULL)
		return ctl_dir_of(real, buf, len);
	return ctl_dir_of(db, buf, len);
}

int
ctl_confine(const char *data_dir, const char *out_dir)
{
	struct landlock_spec	spec;
	char			err[PATH_MAX + 128];
	int			abi;

	/* A command run by another (backup's ledger verify) is inside the
	 * first one's confinement already, which covers what it writes. */
	if (confined)
		return 0;
	memset(&spec, 0, sizeof(spec));
	spec.data_dir = there(data_dir);
	spec.out_dir = there(out_dir);
	spec.no_bind = 1;
	if ((abi = landlock_enter(&spec, err, sizeof(err))) == -1) {
		fprintf(stderr, "gatewayctl: refusing to run less confined than it says: %s\n",
		    err);
		return -1;
	}
	confined = 1;
	if (!ctl_verbose)
		return 0;
	if (abi == 0)
		fprintf(stderr, "gatewayctl: this kernel has no Landlock: gatewayctl may write "
		    "wherever its user may (only the seccomp filter confines it)\n");
	else if (spec.data_dir == NULL && spec.out_dir == NULL)
		fprintf(stderr, "gatewayctl: confined: seccomp filter, Landlock ABI %d; writes "
		    "nowhere\n", abi);
	else
		fprintf(stderr, "gatewayctl: confined: seccomp filter, Landlock ABI %d; writes "
		    "only in %s%s%s\n", abi, spec.data_dir ? spec.data_dir : "",
		    spec.data_dir && spec.out_dir ? " and " : "",
		    spec.out_dir ? spec.out_dir : "");
	return 0;
}
