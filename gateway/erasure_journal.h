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
 */
#ifndef ERASURE_JOURNAL_H
#define ERASURE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define ERASURE_JOURNAL_FILE	"erasures.journal"

/* Appends one erasure durably (O_APPEND, fsync; the file made 0600, its
 * directory fsync'd when the file is new). 0, or -1 with err set. */
int	erasure_journal_append(const char *path, const char *pseudonym, int64_t at_us,
	    const char *ground, int64_t seq, char *err, size_t errlen);

/* Calls fn for each erasure in the journal, oldest first (fn: 0 to go on,
 * else the walk stops with that value). A journal that does not exist has
 * none. A last line cut short by a crash mid-append is skipped (*torn set);
 * any other line that is not well formed fails the walk. Returns 0, fn's
 * value, or -1 with err set. */
int	erasure_journal_each(const char *path,
	    int (*fn)(const char *pseudonym, int64_t at_us, const char *ground, void *arg),
	    void *arg, int *torn, char *err, size_t errlen);

#endif
