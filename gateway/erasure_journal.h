/*
 * erasure_journal.h: the journal of erasures on request and of consent
 * withdrawals, a file outside the database (default
 * DATA_DIR/erasures.journal; --erasure-journal puts it on another disk), so
 * that a database restored from a copy made before an erasure or a
 * withdrawal has it made again when gatewayd starts on it
 * (retention_reapply_journal). Expiries need no journal: the retention
 * sweep at start judges them again from the records. The first start
 * makes it, empty; a journal missing beside a store that holds records
 * stops the start (journal_guard.h), unless --new-erasure-journal.
 *
 * One line per erasure or withdrawal, appended and fsync'd once it has
 * committed, before the reply. An erasure: "PSEUDONYM ERASED_AT GROUND
 * SEQ\n" (the family's 64-hex-digit pseudonym, RFC 3339 UTC, the Art 17(1)
 * ground code, the ledger entry's sequence number; every line had this
 * form before withdrawals were journaled, and still reads). A withdrawal:
 * "withdrawn CONSENT_ID PSEUDONYM WITHDRAWN_AT SEQ\n" (the consent's id,
 * the family's pseudonym, the time, the "consent.withdrawn" ledger entry).
 * Ids, pseudonyms and codes only, as in the ledger (never the family's
 * reason for withdrawing).
 *
 * The erasure commits before its line is appended, so a crash (or a failed
 * append) in between leaves an erasure the database records and the
 * journal lacks. Two repairs close that gap: gatewayd, at start, appends
 * every erasure on request the database records and the journal does not
 * hold (retention_complete_journal), and an erasure asked for again (409
 * already_erased) is appended if the journal lacks it
 * (retention_journal_erasure, erasure_journal_ensure). A line may so be
 * written twice: making an erasure again is a no-op once it is made.
 * The same holds of withdrawals (consent_api.c; 409 already_withdrawn,
 * retention_journal_withdrawal; at start, retention_complete_journal).
 */
#ifndef ERASURE_JOURNAL_H
#define ERASURE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define ERASURE_JOURNAL_FILE	"erasures.journal"

enum journal_kind { JOURNAL_ERASURE, JOURNAL_WITHDRAWAL };

/* One line, as read (pointers borrowed for the callback's call). */
struct journal_line {
	enum journal_kind	 kind;
	const char		*pseudonym;	/* the family's */
	int64_t			 at_us;		/* erased or withdrawn at */
	const char		*ground;	/* an erasure's Art 17(1) ground, else NULL */
	const char		*consent_id;	/* a withdrawal's consent, else NULL */
	int64_t			 seq;		/* its ledger entry */
};

/* Makes an empty journal at path (0600, fsync'd, its directory fsync'd),
 * so that a later start finds it (journal_guard.h: a journal missing
 * beside a store that holds records stops the start). An existing journal
 * is left as it is. 0, or -1 with err set. */
int	erasure_journal_create(const char *path, char *err, size_t errlen);

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

/* As erasure_journal_append() and erasure_journal_ensure(), for the
 * withdrawal of consent_id (ensure: unless the journal holds a withdrawal
 * of that consent). */
int	erasure_journal_append_withdrawal(const char *path, const char *consent_id,
	    const char *pseudonym, int64_t at_us, int64_t seq, char *err, size_t errlen);
int	erasure_journal_ensure_withdrawal(const char *path, const char *consent_id,
	    const char *pseudonym, int64_t at_us, int64_t seq, int *appended, char *err,
	    size_t errlen);

/* Calls fn for each line, erasure or withdrawal, oldest first; otherwise
 * as erasure_journal_each(). */
int	erasure_journal_walk(const char *path, int (*fn)(const struct journal_line *, void *),
	    void *arg, int *torn, char *err, size_t errlen);

/* Calls fn for each erasure in the journal (withdrawals are skipped), oldest first (fn: 0 to go on,
 * else the walk stops with that value). A journal that does not exist has
 * none. A last line cut short by a crash mid-append (no newline) is skipped
 * (*torn set); any other line that is not well formed, and any line holding
 * a NUL byte, fails the walk. Returns 0, fn's value, or -1 with err set. */
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
/* Adds a consent id instead (a set of the withdrawals a journal holds). */
int	erasure_journal_set_add_consent(struct erasure_journal_set *, const char *consent_id);
/* Sorts the set and drops repeats; before erasure_journal_set_holds(). */
void	erasure_journal_set_sort(struct erasure_journal_set *);
/* Whether the set holds pseudonym: 1 or 0 (searched in order until sorted). */
int	erasure_journal_set_holds(const struct erasure_journal_set *, const char *pseudonym);
void	erasure_journal_set_free(struct erasure_journal_set *);

#endif
