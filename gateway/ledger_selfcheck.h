/*
 * ledger_selfcheck.h: the running gateway re-reads its whole ledger, again
 * and again, against its own tree (ledger_selfcheck.c).
 *
 * Every *_signed check finds a record's entries by their stored columns
 * (family pseudonym, object id, action) and checks each entry it finds
 * against the tree; an entry whose columns were edited so that it is no
 * longer found (a withdrawal moved to another consent) would never be
 * read. So a background thread (gw-selfcheck) reads every stored entry,
 * block by block on a read connection of its own, recomputes each leaf
 * from the stored columns (ledger_leaf_hash) and checks the block against
 * the tree (ledger_block_signed): an entry edited, deleted or not written
 * by this gateway raises the ledger alarm (ledger.h: logged by seq only,
 * ledger.alarm, /healthz 503, nothing more appended, and every *_signed
 * check refuses). A pass covers the tree as it was when the pass began,
 * then asks the writer whether the newest row is one it wrote
 * (ledger_check_tail); a pass starts at most every interval seconds, and
 * reads at most max_per_s entries a second, so a ledger of a million
 * entries costs requests little (a pass then takes longer than interval).
 */
#ifndef LEDGER_SELFCHECK_H
#define LEDGER_SELFCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

struct ledger;
struct store;

#define LEDGER_SELFCHECK_INTERVAL_S	60	/* default --ledger-selfcheck-interval */
#define LEDGER_SELFCHECK_RATE		5000	/* default --ledger-selfcheck-rate */

struct ledger_selfcheck;

struct ledger_selfcheck_stats {
	uint64_t	passes;		/* full passes completed since start */
	uint64_t	entries;	/* entries checked since start */
	double		age_s;		/* since the last full pass ended (since start: none) */
};

/* Starts the self-check thread over an open ledger and its store; a full
 * pass at most every interval_s seconds (>= 1), at most max_per_s entries a
 * second (>= 1). NULL if the thread could not be started (logged). */
struct ledger_selfcheck	*ledger_selfcheck_start(struct ledger *, struct store *,
			    unsigned interval_s, unsigned max_per_s);
/* Stops and frees it (NULL ok). Before ledger_stop() and writer_stop(): a
 * pass's end asks the writer. */
void			 ledger_selfcheck_stop(struct ledger_selfcheck *);
void			 ledger_selfcheck_stats(struct ledger_selfcheck *,
			    struct ledger_selfcheck_stats *);

/* One stored entry as the self-check read it. */
struct selfcheck_row {
	int64_t		seq;
	merkle_hash	leaf;		/* recomputed from its columns */
	merkle_hash	stored;		/* its leaf_hash column */
	int		has_stored;	/* the column held 32 bytes */
};

/*
 * Pure: the first entry of the chunk first .. first + n - 1 that is not as
 * this gateway wrote it, from the got rows read there (in seq order) and
 * block_is, whether their recomputed leaves are the tree's
 * (ledger_block_signed: 1 yes, else no; asked only when all n were read).
 * A seq with no row is missing; when the block differs, the first row whose
 * recomputed leaf is not its stored leaf_hash is the one edited, else (the
 * leaf_hash column was edited with it) the chunk's first. 0 when all are
 * as written; else that seq, with *what saying how (for ledger_alarm).
 */
int64_t	selfcheck_first_bad(int64_t first, size_t n, const struct selfcheck_row *rows,
	    size_t got, int block_is, const char **what);

#endif
