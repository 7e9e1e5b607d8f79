/*
 * disclosure_signed.h: a disclosure row as its own signed ledger entry
 * says it was (disclosure_signed.c). Every place that serves or delivers a
 * disclosure's content (GET /v1/disclosures/{id}, the inbox and its
 * acknowledgement, a push, the family's subject-access export, the family
 * notification) checks the row here first and serves nothing of a row that
 * differs: the sealed values' associated data binds them to their family
 * only, so a value moved between two rows of one family, or a plain column
 * changed, by someone who can write the database file but holds no key, is
 * found only against the digest the ledger signed.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed) a row
 * whose entry is as signed is vouched for no more: -1, as on a read error
 * (ledger_leaf_signed); one whose entry differs is still 1.
 */
#ifndef DISCLOSURE_SIGNED_H
#define DISCLOSURE_SIGNED_H

struct disclosure_row;
struct ledger;
struct store_conn;

/* How long a reader waits for an entry committed a moment ago to reach the
 * ledger's in-memory tree (its commit hook), in milliseconds. */
#define DISCLOSURE_SIGNED_WAIT_MS	2000

/* Whether d (as read on c, a read connection or the writer's inside a job)
 * is the row its ledger entry signed: the entry at d->ledger_seq is as the
 * ledger's in-memory tree holds it (its leaf recomputed from the stored
 * entry), it is the "disclosure.allowed" or "disclosure.refused" entry of
 * d->id (as d->decision says) for d's family, and its record digest is
 * store_disclosure_digest(d), the writer's own, over columns in their form
 * (disclosure_columns_in_form). 0 it is; 1 it is not
 * (logged: the disclosure's id and the seq, nothing personal); -1 a read
 * failed, or the entry is committed but the tree has not taken it within
 * DISCLOSURE_SIGNED_WAIT_MS (and no alarm is raised): try again later. */
int	disclosure_signed(struct ledger *, struct store_conn *c, const struct disclosure_row *d);

/* Whether d's two optional columns that store_disclosure_digest() (v1)
 * gives no presence mark are each in their own form: consent_id printable
 * ASCII without spaces, hold_reason_ct a sealed value (vault_sealed_form).
 * The forms are disjoint (a sealed value starts with byte 0x01), so a row
 * with only one of the two cannot be the same digest with its bytes in the
 * other column. Pure. 1 or 0. */
int	disclosure_columns_in_form(const struct disclosure_row *d);

/*
 * Whether each disclosure the ledger signed as allowed about the family
 * (pseudonym) still has its row, of that family, read on c: the family's
 * disclosure.allowed entries found by its pseudonym
 * (store_disclosure_allowances: one indexed read), each used only as the
 * ledger's in-memory tree holds it. A row deleted, or moved to another
 * family, leaves its signed entry without a row, which the family's rows
 * cannot show; the rows that remain the caller checks with
 * disclosure_signed(): together, every disclosure shared about the
 * family, as signed (the subject-access export). fn(id, rc, arg) for each
 * entry without its row: rc 1, the disclosure's id (or "#SEQ" for an
 * entry stored under the family as an allowance but not what the tree
 * signed); rc -1, its entry is committed but not in the tree within
 * DISCLOSURE_SIGNED_WAIT_MS, or could not be hashed: try again later.
 * Each is logged here (the id and the entry's seq, nothing personal). fn
 * returns 0 to go on, 1 to stop, -1 to fail. 0, or -1 (a read failed, the
 * ledger's alarm is raised, or fn failed).
 */
int	disclosure_allowances_signed(struct ledger *, struct store_conn *c,
	    const char *pseudonym, int (*fn)(const char *id, int rc, void *arg), void *arg);

#endif
