/*
 * head_guard.c: whether the ledger may start without ledger.head or its
 * copy, which of the two rules, and where the copy may be (head_guard.h).
 * The decisions are pure; head_guard_check looks at the files and, only
 * when one is missing, at the database; head_guard_copy_check resolves the
 * paths.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "head_guard.h"
#include "ledger_head.h"
#include "store.h"

enum head_presence
head_presence(int exists, int signed_before, int accepted)
{
	if (exists)
		return HEAD_PRESENT;
	if (!signed_before)
		return HEAD_MAKE_FRESH;
	return accepted ? HEAD_MAKE_ACCEPTED : HEAD_REFUSE;
}

enum head_presence
head_pair_presence(int head_exists, int copy_exists, int signed_before, int accepted)
{
	return head_presence(head_exists && copy_exists, signed_before, accepted);
}

enum head_which
head_newer(int head_exists, uint64_t head_size, int copy_exists, uint64_t copy_size)
{
	if (!head_exists)
		return copy_exists ? HEAD_WHICH_COPY : HEAD_WHICH_NONE;
	if (copy_exists && copy_size > head_size)
		return HEAD_WHICH_COPY;
	return HEAD_WHICH_HEAD;
}

int
head_needs_rewrite(const char *have, size_t have_len, const char *rule, size_t rule_len)
{
	return have == NULL || have_len != rule_len || memcmp(have, rule, rule_len) != 0;
}

int
head_copy_inside(const char *dir, const char *path)
{
	size_t	n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int
head_copy_dir(const char *path, char *out, size_t outlen)
{
	const char	*slash = strrchr(path, '/');
	int		 n;

	if (slash == NULL)
		n = snprintf(out, outlen, ".");
	else if (slash == path)
		n = snprintf(out, outlen, "/");
	else
		n = snprintf(out, outlen, "%.*s", (int)(slash - path), path);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* path's directory and last part, the directory resolved (realpath);
 * trailing slashes of path ignored. 0, or -1 with errno (ENOENT: the
 * directory is not there; EINVAL: no last part, or "." or ".."). */
static int
resolve_parent(const char *path, char out[PATH_MAX])
{
	char		 dir[PATH_MAX], real[PATH_MAX];
	const char	*base;
	size_t		 n = strlen(path), d;

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 0 || n >= sizeof(dir)) {
		errno = n == 0 ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	if ((base = strrchr(dir, '/')) == NULL) {
		base = dir;
		d = 0;
	} else {
		d = (size_t)(base - dir);
		base++;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		errno = EINVAL;
		return -1;
	}
	if (d == 0 && base == dir)
		snprintf(real, sizeof(real), ".");
	else if (d == 0)
		snprintf(real, sizeof(real), "/");
	else
		snprintf(real, sizeof(real), "%.*s", (int)d, dir);
	if (realpath(real, out) == NULL)
		return -1;
	if (strlen(out) + 1 + strlen(base) >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (strcmp(out, "/") != 0)
		strcat(out, "/");
	strcat(out, base);
	return 0;
}

int
head_guard_copy_check(const char *data_dir, const char *copy, char *err, size_t errlen)
{
	char	data_real[PATH_MAX], copy_real[PATH_MAX];

	if (resolve_parent(copy, copy_real) == -1) {
		snprintf(err, errlen, "--ledger-head-copy %s: %s", copy, errno == EINVAL ?
		    "not a file name" : errno == ENOENT ? "its directory does not exist" :
		    strerror(errno));
		return -1;
	}
	/* The data directory itself when there (its links resolved), else
	 * as it will be made in its parent. */
	if (realpath(data_dir, data_real) == NULL &&
	    (errno != ENOENT || resolve_parent(data_dir, data_real) == -1)) {
		snprintf(err, errlen, "--ledger-head-copy: the data directory %s: %s", data_dir,
		    strerror(errno));
		return -1;
	}
	if (head_copy_inside(data_real, copy_real)) {
		snprintf(err, errlen, "--ledger-head-copy %s is inside the data directory %s: "
		    "whoever can put an older database there can put that copy's older head "
		    "there too, so it would protect nothing; keep it outside (another disk, "
		    "beside the master key)", copy, data_dir);
		return -1;
	}
	return 0;
}

void
head_guard_refusal(char *err, size_t errlen, const char *head_path, uint64_t size)
{
	snprintf(err, errlen, "ledger: %s is missing, but the database holds signed "
	    "checkpoints (the newest of tree size %llu): an older copy of the database put "
	    "in place with that file removed looks the same, and would be signed over as "
	    "the whole ledger. If the file was moved with a copy, put it back. Only if it "
	    "is gone on purpose (a backup restored deliberately, the newer file kept aside) "
	    "or never existed (a gateway from before it), start once with "
	    "--accept-missing-ledger-head", head_path, (unsigned long long)size);
}

int
head_guard_check(const char *data_dir, int accepted, char *err, size_t errlen)
{
	return head_guard_check_pair(data_dir, NULL, accepted, err, errlen);
}

/* 1 there (whatever it is: ledger_open reads and checks it), 0 missing,
 * -1 with err set when it cannot be looked at. */
static int
there(const char *path, char *err, size_t errlen)
{
	struct stat	st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	snprintf(err, errlen, "ledger: cannot read %s: %s", path, strerror(errno));
	return -1;
}

int
head_guard_check_pair(const char *data_dir, const char *copy, int accepted, char *err,
    size_t errlen)
{
	char			 head[PATH_MAX], db[PATH_MAX], e[512];
	struct ledger_db	*l;
	struct stat		 st;
	uint64_t		 size = 0;
	const char		*missing;
	int			 have_head, have_copy = 1;

	if ((size_t)snprintf(head, sizeof(head), "%s/%s", data_dir, LEDGER_HEAD_FILE) >=
	    sizeof(head) || (size_t)snprintf(db, sizeof(db), "%s/gateway.db", data_dir) >=
	    sizeof(db)) {
		snprintf(err, errlen, "ledger: data directory path too long");
		return -1;
	}
	if ((have_head = there(head, err, errlen)) == -1 ||
	    (copy != NULL && (have_copy = there(copy, err, errlen)) == -1))
		return -1;
	if (have_head && have_copy)
		return 0;	/* ledger_open reads and checks them */
	missing = have_head ? copy : head;	/* the file named when refused */
	if (stat(db, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "gateway.db: %s", strerror(errno));
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	if ((l = store_ledger_db_open(db, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "ledger: %s is missing, and whether the store holds "
		    "signed checkpoints could not be told (%s)", missing, e);
		return -1;
	}
	if (store_ledger_db_newest_checkpoint(l, &size) == -1) {
		snprintf(err, errlen, "ledger: %s is missing, and whether the store holds "
		    "signed checkpoints could not be told (gateway.db: %s)", missing,
		    store_ledger_db_error(l));
		store_ledger_db_close(l);
		return -1;
	}
	store_ledger_db_close(l);
	if (head_pair_presence(have_head, have_copy, size > 0, accepted) != HEAD_REFUSE)
		return 0;
	head_guard_refusal(err, errlen, missing, size);
	return -1;
}
