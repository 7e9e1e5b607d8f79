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

#endif
