/*
 * head_guard.c: whether the ledger may start without ledger.head
 * (head_guard.h). The decision is pure; head_guard_check looks at the
 * file and, only when it is missing, at the database.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
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
	char			 head[PATH_MAX], db[PATH_MAX], e[512];
	struct ledger_db	*l;
	struct stat		 st;
	uint64_t		 size = 0;

	if ((size_t)snprintf(head, sizeof(head), "%s/%s", data_dir, LEDGER_HEAD_FILE) >=
	    sizeof(head) || (size_t)snprintf(db, sizeof(db), "%s/gateway.db", data_dir) >=
	    sizeof(db)) {
		snprintf(err, errlen, "ledger: data directory path too long");
		return -1;
	}
	if (lstat(head, &st) == 0)
		return 0;	/* ledger_open reads and checks it */
	if (errno != ENOENT) {
		snprintf(err, errlen, "ledger: cannot read %s: %s", head, strerror(errno));
		return -1;
	}
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
		    "signed checkpoints could not be told (%s)", head, e);
		return -1;
	}
	if (store_ledger_db_newest_checkpoint(l, &size) == -1) {
		snprintf(err, errlen, "ledger: %s is missing, and whether the store holds "
		    "signed checkpoints could not be told (gateway.db: %s)", head,
		    store_ledger_db_error(l));
		store_ledger_db_close(l);
		return -1;
	}
	store_ledger_db_close(l);
	if (head_presence(0, size > 0, accepted) != HEAD_REFUSE)
		return 0;
	head_guard_refusal(err, errlen, head, size);
	return -1;
}
