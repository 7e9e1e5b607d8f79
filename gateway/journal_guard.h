/*
 * journal_guard.h: whether gatewayd may start with the erasure journal it
 * is given (erasure_journal.h), judged before the store is opened, the
 * same way by a start and by --check.
 *
 * The journal is what makes erasures and consent withdrawals stick across
 * a restore: started on an older copy, gatewayd makes again every one the
 * journal holds. A journal that is missing reads as an empty one, so a
 * copy restored as "the copy's files in an empty data directory" (the
 * default journal being inside the data directory) used to start with a
 * new, empty journal and serve again what had been erased. A missing
 * journal is therefore made only for a store that holds no records yet (a
 * new installation: its ledger is empty, or there is no database), or when
 * --new-erasure-journal says that a new journal is intended; otherwise the
 * start is refused, naming the journal and what to do.
 */
#ifndef JOURNAL_GUARD_H
#define JOURNAL_GUARD_H

#include <stddef.h>

enum journal_presence {
	JOURNAL_PRESENT,	/* there: used as it is */
	JOURNAL_MAKE_FRESH,	/* missing, the store holds nothing: made empty */
	JOURNAL_MAKE_NEW,	/* missing, the store holds records, a new one asked for */
	JOURNAL_REFUSE		/* missing, the store holds records: not started */
};

/* The decision, pure: exists (the journal's file is there), held (the
 * store holds records: a non-empty ledger), asked (--new-erasure-journal). */
enum journal_presence	journal_presence(int exists, int held, int asked);

/* Judges the journal at path for the store in data_dir: the journal's
 * file is looked at, and only when it is missing the database
 * (data_dir/gateway.db, read-only; none, or an empty file, holds nothing).
 * *out is set. 0, or -1 with err set: JOURNAL_REFUSE (the message names
 * the journal and what to do), or the journal or the database could not
 * be looked at. Makes nothing. */
int	journal_guard_check(const char *path, const char *data_dir, int asked,
	    enum journal_presence *out, char *err, size_t errlen);

/* 1 when the journal at path (made) is on the same file system as
 * data_dir, so that a disk lost with the data would lose it too; 0 not;
 * -1 could not be told. */
int	journal_guard_same_disk(const char *path, const char *data_dir);

#endif
