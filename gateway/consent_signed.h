/*
 * consent_signed.h: a consent row as its own signed ledger entries say it
 * was (consent_signed.c). GET /v1/consents/{id} checks the row here before
 * anything of it is shown, a witness statement (witness.c) before it
 * cites it, the family's subject-access export (sar_api.c) before it lists
 * it, and a disclosure's decision (disclosure_api.c) before it counts
 * it (consent_rows_signed), and a withdrawal reads what the consent was
 * recorded for from here before it stops anything (consent_api.c): a
 * column changed (agency, purpose, dates, a withdrawal undone)
 * by someone who can write the database file but holds no key is found
 * only against the digests the ledger signed.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed: the
 * database was changed behind the gateway's back, perhaps so that an entry
 * is no longer found by its columns) every check here answers -1, as on a
 * read error: nothing is vouched for until an operator has looked.
 */
#ifndef CONSENT_SIGNED_H
#define CONSENT_SIGNED_H

#include <stdint.h>

struct consent_row;
struct ledger;
struct store_conn;

/* How long a reader waits for an entry committed a moment ago to reach the
 * ledger's in-memory tree, in milliseconds (as disclosure_signed.h). */
#define CONSENT_SIGNED_WAIT_MS	2000

/* What the entries said, for a caller that shows the consent as it stood
 * at an earlier moment (witness.c), or acts on it whatever its row now
 * says (a withdrawal: consent_api.c). */
struct consent_signed {
	int	 open_ended;	/* its recorded entry signed no expiry */
	int64_t	 withdrawn_at;	/* its consent.withdrawn entry's time, or 0 */
	int64_t	 limited_at;	/* its consent.limited entry's time, or 0 */
	/* The agency and purpose its consent.recorded entry (as the tree
	 * signed it) names, "agency=... purpose=..." in its reason; "" when no
	 * such entry was found. */
	char	 agency_id[64];
	char	 purpose[64];
};

/*
 * Whether cr (as read on c) is what its ledger entries signed: every
 * consent.recorded, consent.withdrawn and consent.limited entry of cr's
 * family about cr->id is as the ledger's in-memory tree holds it and
 * matches the row (consent.h consent_digest, with its sealed evidence and
 * reason), there is one recorded entry, one withdrawn entry if and only if
 * the row is withdrawn, and the limited entry when the recorded one signed
 * no expiry. 0 it is (*out filled, if not NULL); 1 it is not (nothing
 * logged: the caller names what it refuses, by id; *out, if not NULL,
 * filled from the entries that are as signed: agency_id and purpose say
 * what the consent was recorded for, whatever the row says now); -1 a
 * read failed, or
 * an entry is committed but the tree has not taken it within
 * CONSENT_SIGNED_WAIT_MS and no alarm is raised (logged): try again later.
 */
int	consent_signed(struct ledger *, struct store_conn *c, const struct consent_row *cr,
	    struct consent_signed *out);

/*
 * Keeps, of rows[0..n) (as read on c), only the consents that are what
 * their ledger entries signed (consent_signed), in their order: a decision
 * on consents (a disclosure's) takes no row the ledger does not back, so a
 * withdrawal undone, a date or agency edited or a row written in with
 * sqlite3 authorises nothing. Each left out is logged by its id only. The
 * number kept, or -1 when one could not be checked (a read failed, or an
 * entry is not in the tree yet: consent_signed's -1).
 */
int	consent_rows_signed(struct ledger *, struct store_conn *c, struct consent_row *rows,
	    int n);

#endif
