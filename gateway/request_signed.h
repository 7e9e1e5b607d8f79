/*
 * request_signed.h: a police or court request's row and its trustees'
 * decisions as their own signed ledger entries say they were
 * (request_signed.c). Every place that acts on a request row (GET
 * /v1/requests and /v1/requests/{id}, a decision, a closure, a lift, the
 * witness statement, the family's subject-access export, the family's
 * notice of it (notifier.c), the close-overdue gauge, the statistics and
 * the retention sweep, before a family it anchors or holds expires, and
 * an erasure on request, before the family's key is destroyed)
 * checks it here first: its scope (family, fields, period, legal basis), an approval
 * forged or edited, a state or an approval time set behind the gateway's
 * back, by someone who can write the database file but holds no key, is
 * found only against the digests the ledger signed. The places that protect
 * a family by its requests (the retention sweep, an erasure on request, the
 * family's subject-access export) also find them from what the ledger
 * signed, not only from the rows: request_filings_signed(), so that a row
 * deleted, or moved to another family, still counts, as not as signed.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed: the
 * database was changed behind the gateway's back, perhaps so that an entry
 * is no longer found by its columns) every check here answers -1, as on a
 * read error: nothing is vouched for until an operator has looked.
 */
#ifndef REQUEST_SIGNED_H
#define REQUEST_SIGNED_H

struct ledger;
struct request_decision_row;
struct request_row;
struct store_conn;

/* How long a reader waits for an entry committed a moment ago to reach the
 * ledger's in-memory tree, in milliseconds (as disclosure_signed.h). */
#define REQUEST_SIGNED_WAIT_MS	2000

/*
 * Whether rq and its decisions (as read on c, a read connection or the
 * writer's inside a job) are what their ledger entries signed. The
 * request's entries (its family's pseudonym and its id) that are
 * request.filed, request.approved, request.refused or request.closed must
 * each be as the ledger's in-memory tree holds it (its leaf recomputed from
 * the stored entry), and:
 *
 * - one request.filed entry, at rq->ledger_seq, carrying
 *   store_request_digest(rq);
 * - one decision entry for each decision row and no other: the entry at the
 *   row's ledger_seq, its trustee's (actor and role), approved or refused
 *   as the row says, carrying the row's digest recomputed with its sealed
 *   reason (store_request_decision_digest);
 * - a request.closed entry if and only if the row is closed, carrying the
 *   closure's digest (store_request_close_digest; a closure from before
 *   migration 058, which kept no reason, only its closer);
 * - the row's state the one the quorum counted again from the decisions
 *   gives (quorum.h), or closed, and its decided_us the moment the quorum
 *   was reached: the decided_us of the decision that reached it, which
 *   that decision's entry signed in its digest (0 while none has).
 *
 * d, nd: rq's decisions as store_request_decisions() gave them, or d NULL
 * to read them here. 0 it is; 1 it is not (logged: the request's id and
 * the entry's seq, nothing personal); -1 a read failed, or an entry is
 * committed but the tree has not taken it within REQUEST_SIGNED_WAIT_MS and
 * no alarm is raised (logged): try again later.
 */
int	request_signed(struct ledger *, struct store_conn *c, const struct request_row *rq,
	    const struct request_decision_row *d, int nd);

/*
 * Whether each police or court request the ledger signed as filed about the
 * family (pseudonym) still has its row, of that family, read on c. The
 * family's request.filed entries are found by its pseudonym
 * (store_request_filings: one indexed read), each used only as the ledger's
 * in-memory tree holds it. A row deleted, or moved to another family (its
 * family_pseudonym changed), leaves its signed filing without a row of the
 * family, which the family's rows (store_requests_of_family) cannot show;
 * the rows that remain the caller checks with request_signed(): together,
 * every request about the family, as signed.
 *
 * fn(id, rc, arg) for each filing without its row: rc 1, the request's id
 * (or "#SEQ" for an entry stored under the family's pseudonym as a filing
 * but not what the tree signed: its columns are not to be believed, and it
 * counts as not as signed too); rc -1, its entry is committed but not in
 * the tree within REQUEST_SIGNED_WAIT_MS, or could not be hashed: try again
 * later. Each is logged here (the request's id and the entry's seq, nothing
 * personal). fn returns 0 to go on, 1 to stop, -1 to fail. 0, or -1 (a
 * read failed, or fn did).
 */
int	request_filings_signed(struct ledger *, struct store_conn *c, const char *pseudonym,
	    int (*fn)(const char *id, int rc, void *arg), void *arg);

#endif
