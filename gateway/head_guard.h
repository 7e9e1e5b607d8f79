/*
 * head_guard.h: whether the ledger may start without DATA_DIR/ledger.head
 * (ledger_head.h). Pure decision, no I/O; ledger.c asks it when the file
 * is missing.
 *
 * The file is what stops an older copy of the database, put in place of
 * the live one, from being signed over as if it were the whole ledger.
 * Made from the database when missing, it would be made from that older
 * copy: someone who can replace gateway.db and delete ledger.head (the
 * same directory) would roll the ledger back unseen. So a missing file is
 * made from the store only for a store that has never signed a checkpoint
 * (a new installation), or when the operator says the loss is intended
 * (--accept-missing-ledger-head: a copy restored on purpose with its head
 * set aside, a store from before the file existed); otherwise the start
 * is refused.
 *
 * The same person can put back the older copy's own ledger.head beside
 * it. --ledger-head-copy FILE keeps a second copy of the head outside the
 * data directory: written with the same bytes each time ledger.head is,
 * and checked at start the same way. Either one missing is judged as
 * ledger.head alone is (head_pair_presence); when both verify against the
 * store but differ (a crash between the two writes), the one of the larger
 * tree rules (head_newer) and the other is written again
 * (head_needs_rewrite). FILE inside the data directory would be replaced
 * with it, so it is refused (head_copy_inside, head_guard_copy_check).
 */
#ifndef HEAD_GUARD_H
#define HEAD_GUARD_H

#include <stddef.h>
#include <stdint.h>

enum head_presence {
	HEAD_PRESENT,		/* there: the ledger must extend it */
	HEAD_MAKE_FRESH,	/* missing, no checkpoint stored: made at the first one */
	HEAD_MAKE_ACCEPTED,	/* missing, checkpoints stored, the operator accepts it */
	HEAD_REFUSE		/* missing, checkpoints stored: not started */
};

/* exists: ledger.head is there; signed: the store holds a signed
 * checkpoint; accepted: --accept-missing-ledger-head. */
enum head_presence	head_presence(int exists, int signed_before, int accepted);

/* With --ledger-head-copy: head_presence over both files. Both there:
 * HEAD_PRESENT (each must be extended by the ledger). One or both missing:
 * as ledger.head missing alone (a store with signed checkpoints is refused
 * unless accepted); a missing one is then made from the other, or from
 * the store when both are missing. */
enum head_presence	head_pair_presence(int head_exists, int copy_exists, int signed_before,
			    int accepted);

enum head_which {
	HEAD_WHICH_NONE,	/* neither there */
	HEAD_WHICH_HEAD,	/* ledger.head rules */
	HEAD_WHICH_COPY		/* the copy rules */
};

/* Of ledger.head and its copy, each there (*_exists) and already checked
 * against the store (a head the store does not extend stops the start
 * before this is asked), the one that rules: the larger tree, ledger.head
 * on a tie. */
enum head_which		head_newer(int head_exists, uint64_t head_size, int copy_exists,
			    uint64_t copy_size);

/* 1 when a head file holding have[0:have_len] (have NULL: missing) must be
 * written again to hold rule[0:rule_len], the head that rules; else 0. */
int	head_needs_rewrite(const char *have, size_t have_len, const char *rule,
	    size_t rule_len);

/* 1 when path (absolute, no "." or ".." parts, no links: as realpath
 * gives) is dir or beneath it (dir likewise); else 0. */
int	head_copy_inside(const char *dir, const char *path);

/* Refuses a --ledger-head-copy FILE inside data_dir (however spelt: both
 * resolved through their links), or in a directory that is not there, or
 * a path that is not a file name. 0, or -1 with err set. Looks at the file
 * system only; makes nothing. data_dir need not exist yet (its parent
 * must: it is made at the first start). */
int	head_guard_copy_check(const char *data_dir, const char *copy, char *err,
	    size_t errlen);

/* The directory holding path (as given, "." when it names none), in
 * out[0:outlen]: where the copy is replaced (landlock.h). 0, or -1 when it
 * does not fit. */
int	head_copy_dir(const char *path, char *out, size_t outlen);

/* The refusal's message for head_path, size the newest stored checkpoint's
 * tree size: the path and the size only, no personal data. */
void	head_guard_refusal(char *err, size_t errlen, const char *head_path, uint64_t size);

/* Judges DATA_DIR/ledger.head before the store is opened, the same way by
 * a start and by --check: the file is looked at, and only when it is
 * missing the database (data_dir/gateway.db, read-only; none, or an empty
 * file, holds no checkpoint). 0, or -1 with err set (HEAD_REFUSE, or a
 * file that could not be looked at). Makes nothing; ledger_open judges
 * again, and makes the head, on the store it opened. */
int	head_guard_check(const char *data_dir, int accepted, char *err, size_t errlen);
/* The same with copy (--ledger-head-copy FILE, or NULL: as head_guard_check):
 * a missing copy is judged as a missing ledger.head (head_pair_presence),
 * with its own path in the refusal. */
int	head_guard_check_pair(const char *data_dir, const char *copy, int accepted, char *err,
	    size_t errlen);

#endif
