/*
 * legal_hold_signed.h: whether a litigation hold on a family stands by
 * what the ledger signed (legal_hold_signed.c).
 *
 * A trustee places a hold ("legal_hold.placed") and releases it
 * ("legal_hold.released"), each a signed ledger entry written with its
 * legal_holds row. The row's released_us is not signed: whoever can write
 * the database file (but holds no key) could set it, or delete the row,
 * and the family would be erased or expired while the charity is in
 * litigation about it. So erasure and the retention sweep also ask the
 * ledger: a hold placed there stands until a release of it, by a trustee
 * and as the tree signed it, is there too.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed: the
 * database was changed behind the gateway's back, perhaps so that an entry
 * is no longer found by its columns) every check here answers -1, as on a
 * read error: nothing is vouched for until an operator has looked.
 */
#ifndef LEGAL_HOLD_SIGNED_H
#define LEGAL_HOLD_SIGNED_H

struct ledger;
struct legal_hold_row;
struct store_conn;

/* Pure: whether an entry with this action and actor role releases a
 * litigation hold: "legal_hold.released" by a trustee or data-protection
 * trustee. 1 or 0. */
int	legal_hold_release_entry(const char *action, const char *actor_role);

/* Whether a litigation hold placed on the family (pseudonym) stands by the
 * family's signed ledger entries: a legal_hold.placed entry with no
 * release of its hold (legal_hold_release_entry) that is the entry the
 * tree signed. A placement counts whether or not its own entry checks (a
 * forged placement holds: fails safe); a release only as signed. Read on
 * c (in a writer job: the writer's own leaves, no wait). 1 held; 0 not;
 * -1 a read failed (nothing may be erased). */
int	legal_hold_signed_held(struct ledger *, struct store_conn *c, const char *pseudonym);

/* Whether the litigation hold h (as read on c) is what its signed entries
 * say, before a trustee reads its reasons (legal_hold_api.c): exactly one
 * legal_hold.placed entry of h's family about h->id, as the tree signed
 * it, whose digest is the row's as placed (store_legal_hold_digest, with
 * its sealed reason), and a legal_hold.released entry by a trustee, as
 * signed, with the row's digest as released, if and only if the row is
 * released (other entries about the hold, its reads, are not looked at).
 * 0 it is; 1 it is not (nothing logged: the caller names the hold by id);
 * -1 a read failed, the alarm is raised, or an entry is committed but not
 * in the tree within the wait (logged): try again later. */
int	legal_hold_row_signed(struct ledger *, struct store_conn *c,
	    const struct legal_hold_row *h);

#endif
