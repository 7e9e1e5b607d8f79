/*
 * erasure_journal.h: the journal of erasures on request, a file outside the
 * database (default DATA_DIR/erasures.journal; --erasure-journal puts it on
 * another disk), so that a database restored from a copy made before an
 * erasure has that erasure made again when gatewayd starts on it
 * (retention_reapply_journal). Expiries need no journal: the retention
 * sweep at start judges them again from the records.
 *
 * One line per erasure, appended and fsync'd once the erasure has
 * committed, before the reply: "PSEUDONYM ERASED_AT GROUND SEQ\n" (the
 * family's 64-hex-digit pseudonym, RFC 3339 UTC, the Art 17(1) ground code,
 * the ledger entry's sequence number). Pseudonyms and codes only, as in the
 * ledger.
 *
 * The erasure commits before its line is appended, so a crash (or a failed
 * append) in between leaves an erasure the database records and the
 * journal lacks. Two repairs close that gap: gatewayd, at start, appends
 * every erasure on request the database records and the journal does not
 * hold (retention_complete_journal), and an erasure asked for again (409
 * already_erased) is appended if the journal lacks it
 * (retention_journal_erasure, erasure_journal_ensure). A line may so be
 * written twice: making an erasure again is a no-op once it is made.
 */
#ifndef ERASURE_JOURNAL_H
#define ERASURE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define ERASURE_JOURNAL_FILE	"erasures.journal"

/* Appends one erasure durably (O_APPEND, fsync; the file made 0600, its
 * directory fsync'd when the file is new). A last line cut short by a
 * crash is cut off first, so that the new line does not run on from it
 * (which would damage the journal). Appends within the process are
 * serialised. 0, or -1 with err set. */
int	erasure_journal_append(const char *path, const char *pseudonym, int64_t at_us,
	    const char *ground, int64_t seq, char *err, size_t errlen);

/* As erasure_journal_append(), unless the journal holds an erasure of
 * pseudonym already (read and, when needed, appended under the same lock).
 * *appended says which. 0, or -1 with err set (a damaged journal is not
 * appended to). */
int	erasure_journal_ensure(const char *path, const char *pseudonym, int64_t at_us,
	    const char *ground, int64_t seq, int *appended, char *err, size_t errlen);

/* Calls fn for each erasure in the journal, oldest first (fn: 0 to go on,
 * else the walk stops with that value). A journal that does not exist has
 * none. A last line cut short by a crash mid-append is skipped (*torn set);
 * any other line that is not well formed fails the walk. Returns 0, fn's
 * value, or -1 with err set. */
int	erasure_journal_each(const char *path,
	    int (*fn)(const char *pseudonym, int64_t at_us, const char *ground, void *arg),
	    void *arg, int *torn, char *err, size_t errlen);

/*
 * The pseudonyms a journal holds, to ask which of the erasures a database
 * records it lacks. Pure (no I/O): filled with erasure_journal_set_add()
 * (from an erasure_journal_each() walk), then sorted once.
 */
struct erasure_journal_set {
	char	(*p)[65];
	size_t	  n, cap;
	int	  sorted;
};

/* Adds a pseudonym (64 hex digits). 0, or -1 (out of memory, not one). */
int	erasure_journal_set_add(struct erasure_journal_set *, const char *pseudonym);
/* Sorts the set and drops repeats; before erasure_journal_set_holds(). */
void	erasure_journal_set_sort(struct erasure_journal_set *);
/* Whether the set holds pseudonym: 1 or 0 (searched in order until sorted). */
int	erasure_journal_set_holds(const struct erasure_journal_set *, const char *pseudonym);
void	erasure_journal_set_free(struct erasure_journal_set *);

#endif
