/*
 * hold_signed.h: whether a family notification held when its record was
 * made has since been released by a signed lift, and whether a lift or
 * review row is what its own entry signed (hold_signed.c).
 *
 * A disclosure made under a safeguarding override or with a notification
 * hold, and a police or court request filed with do_not_notify, say so in
 * their signed records; the lift is a ledger entry of its own, a
 * safeguarding lead's. The notification row's state ('held', 'queued') is
 * not signed: whoever can write the database file could set it to queued,
 * and the family would be told what the policy says it must not be (s2,
 * 3.4: not if telling could put anyone at risk or jeopardise an
 * investigation). So the notifier sends a notice held at its making only
 * when the family's ledger holds a lift of that record, as signed.
 *
 * While the ledger's integrity alarm is raised (ledger_alarmed: the
 * database was changed behind the gateway's back, perhaps so that an entry
 * is no longer found by its columns) every check here answers -1, as on a
 * read error: nothing is vouched for until an operator has looked.
 */
#ifndef HOLD_SIGNED_H
#define HOLD_SIGNED_H

struct disclosure_row;
struct ledger;
struct override_event_row;
struct store_conn;

/* How long the notifier waits for a lift committed a moment ago to reach
 * the ledger's in-memory tree (its commit hook), in milliseconds. */
#define HOLD_SIGNED_WAIT_MS	2000

/* Pure: whether disclosure d (its row, checked against its ledger entry by
 * the caller: disclosure_signed.h) was held from the family at its making:
 * made under a safeguarding override or with a notification hold. 1 or 0.
 * A request's is its do_not_notify. */
int	hold_made_held(const struct disclosure_row *d);

/* Pure: whether a signed entry with this action and actor role releases
 * the hold on a disclosure's notice (request 0: "override.lifted" or
 * "notification.lifted") or a police or court request's (request 1:
 * "request.notification_lifted"), by a safeguarding lead. 1 or 0. */
int	hold_release_entry(const char *action, const char *actor_role, int request);

/* Whether the family's ledger (pseudonym) holds an entry about object_id
 * that releases its hold (hold_release_entry) and is the entry the tree
 * signed at its seq. Read on c (a read connection). 1 yes; 0 no such
 * entry as signed (an entry that names a lift but is not as signed does
 * not count, and is logged: its seq only); 2 a lift is committed but not
 * in the tree within HOLD_SIGNED_WAIT_MS (try again later); -1 a read
 * failed. */
int	hold_released_signed(struct ledger *, struct store_conn *c, const char *pseudonym,
	    const char *object_id, int request);

/* Pure: the ledger action of a lift or review (kind "lifted" or
 * "reviewed") of the hold on a disclosure made under a safeguarding
 * override (override 1: "override.lifted", "override.reviewed") or with a
 * notification hold (0: "notification.lifted", "notification.reviewed").
 * NULL for any other kind. */
const char *hold_event_action(int override, const char *kind);

/* Whether ev, a lift or review of the hold on disclosure d (d checked by
 * the caller: disclosure_signed.h), is what its ledger entry signed, before
 * its sealed reason is opened and shown: the reason's GCM associated data
 * is the family's pseudonym alone (vault.c), so another of the family's
 * sealed values moved into ev's reason_ct would open as the reason. ev must
 * name d, and the entry at ev->ledger_seq be hold_event_action(d's override,
 * ev->kind) about d->id for d's family, as the tree signed it, carrying
 * store_override_event_digest(ev). 0 it is; 1 it is not (logged: the
 * event's and disclosure's ids and the seq, nothing personal); -1 a read
 * failed, the ledger's alarm is raised, or the entry is committed but not
 * in the tree within HOLD_SIGNED_WAIT_MS (logged): try again later. */
int	hold_event_signed(struct ledger *, struct store_conn *c, const struct disclosure_row *d,
	    const struct override_event_row *ev);

#endif
