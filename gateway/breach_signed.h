/*
 * breach_signed.h: a breach's rows as their own signed ledger entries say
 * they were (breach_signed.c). The register (breach_api.c) checks a breach
 * here before it shows it (GET of the breach, the listing with its
 * "overdue" count, the gauges) and before it decides on it (a decision, an
 * amendment, a notice): the 72-hour clock runs from an awareness and a
 * report stands by a decision that only the database holds, and someone
 * who can write the database file (and drop migration 050's triggers) but
 * holds no key could move the one or delete the other. Found only against
 * the digests the ledger signed.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed: the
 * database was changed behind the gateway's back, perhaps so that an entry
 * is no longer found by its columns) every check here answers -1, as on a
 * read error: nothing is vouched for until an operator has looked.
 */
#ifndef BREACH_SIGNED_H
#define BREACH_SIGNED_H

struct breach_row;
struct ledger;
struct store_conn;

/* How long a reader waits for an entry committed a moment ago to reach the
 * ledger's in-memory tree, in milliseconds (as disclosure_signed.h). */
#define BREACH_SIGNED_WAIT_MS	2000

/*
 * Whether b (as read on c, a read connection or the writer's inside a job)
 * and its decisions, amendments and notices are what their ledger entries
 * signed: the breach row is its breach.recorded entry's digest
 * (store_breach_digest), each breach_events row its breach.decided or
 * breach.amended entry's (store_breach_event_digest), each breach_notices
 * row its breach.individuals_notified entry's (store_breach_notice_digest),
 * each of its breach_notice_families rows a breach.family_told entry about
 * the notice with that digest naming the row's family (and each such entry,
 * appended right after the notice's, has its row), each entry at the row's
 * seq, the others about b, and as the ledger's in-memory tree
 * holds it; and every such entry of b the tree signed has its row, one
 * row to an entry (a decision deleted, a report "undone", is found from
 * its entry). 0 they are; 1 they are not (logged: the breach's id, nothing
 * personal); -1 a read failed, or an entry is committed but the tree has
 * not taken it within BREACH_SIGNED_WAIT_MS and no alarm is raised
 * (logged): try again later.
 */
int	breach_signed(struct ledger *, struct store_conn *c, const struct breach_row *b);

/*
 * Whether every breach the ledger signed as recorded (breach.recorded, as
 * the tree holds it) still has its breaches row: a breach deleted from the
 * register whole leaves no row to check, only its entry. 0 yes; 1 no
 * (logged by the breach's id, and each such id passed to missing, when not
 * NULL: non-zero from it stops, -1); -1 as breach_signed().
 */
int	breach_register_whole(struct ledger *, struct store_conn *c,
	    int (*missing)(const char *breach_id, void *), void *arg);

/*
 * Whether the family's breach_notice_families rows (the breach notices
 * that told it, by its pseudonym) are what their breach.family_told
 * entries signed: each row's entry at its seq, about its notice, naming
 * the family, with the digest of the notice's row as it now is (a notice
 * moved or gone differs); and every such entry of the family the tree
 * signed has its row (a row deleted). breach_signed() checks a notice's
 * rows the same way from the breach's side. 0, 1 (logged, nothing
 * personal), -1 as breach_signed().
 */
int	breach_family_told_signed(struct ledger *, struct store_conn *c,
	    const char *pseudonym);

#endif
