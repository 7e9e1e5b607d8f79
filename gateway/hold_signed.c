/*
 * hold_signed.c: a held family notification released only by a signed
 * lift (hold_signed.h). Owns only that check: the family's entries about
 * one record are read by their stored columns (store_object_entries), and
 * one counts only when its leaf, recomputed from the stored entry, is the
 * leaf the tree signed at its seq (ledger_leaf_signed), as consent_signed.c
 * and witness.c check the entries they rely on. And a lift's or review's
 * row checked against its own entry before its reason is shown
 * (hold_event_signed: the digest is the store's, store_override_event_digest,
 * the finding of the entry the ledger's, ledger_entry_signed through
 * ledger_entry_shown).
 */
#include <stdio.h>
#include <string.h>

#include "hold_signed.h"
#include "ledger.h"
#include "log.h"
#include "merkle.h"
#include "store.h"

int
hold_made_held(const struct disclosure_row *d)
{
	return d->override_basis != NULL || d->hold_reason_ct != NULL;
}

int
hold_release_entry(const char *action, const char *actor_role, int request)
{
	if (action == NULL || actor_role == NULL ||
	    strcmp(actor_role, "safeguarding_lead") != 0)
		return 0;
	if (request)
		return strcmp(action, "request.notification_lifted") == 0;
	return strcmp(action, "override.lifted") == 0 ||
	    strcmp(action, "notification.lifted") == 0;
}

struct lift_look {
	struct ledger	*l;
	int		 request;
	int		 lifted;	/* a releasing entry as signed */
	int		 pending;	/* one not in the tree yet */
};

static int
lift_seen(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct lift_look	*k = arg;
	merkle_hash		 h;
	int			 v;

	(void)leaf;	/* a column like the others: recomputed */
	if (!hold_release_entry(r->e.action, r->e.actor_role, k->request))
		return 0;
	if (ledger_leaf_hash(NULL, r, h) != 0)
		return -1;
	if ((v = ledger_leaf_signed(k->l, r->seq, h, HOLD_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (v == 1) {
		k->lifted = 1;
		return 1;	/* one is enough */
	}
	if (v == 2)
		k->pending = 1;
	else
		log_errx("ledger entry #%lld names a lift but is not as the ledger signed it",
		    (long long)r->seq);
	return 0;
}

int
hold_released_signed(struct ledger *l, struct store_conn *c, const char *pseudonym,
    const char *object_id, int request)
{
	struct lift_look	k = { l, request, 0, 0 };

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	if (store_object_entries(c, pseudonym, object_id, lift_seen, &k) != 0)
		return -1;
	if (k.lifted)
		return 1;
	return k.pending ? 2 : 0;
}

const char *
hold_event_action(int override, const char *kind)
{
	if (kind == NULL)
		return NULL;
	if (strcmp(kind, "lifted") == 0)
		return override ? "override.lifted" : "notification.lifted";
	if (strcmp(kind, "reviewed") == 0)
		return override ? "override.reviewed" : "notification.reviewed";
	return NULL;
}

int
hold_event_signed(struct ledger *l, struct store_conn *c, const struct disclosure_row *d,
    const struct override_event_row *ev)
{
	unsigned char	 digest[32];
	const char	*action = hold_event_action(d->override_basis != NULL, ev->kind);
	char		 what[128];

	/* An event of another disclosure or family, or of no kind an entry
	 * has: no entry can be its own (action NULL). */
	if (ev->disclosure_id == NULL || ev->family_pseudonym == NULL ||
	    strcmp(ev->disclosure_id, d->id) != 0 ||
	    strcmp(ev->family_pseudonym, d->family_pseudonym) != 0)
		action = NULL;
	if (action != NULL && store_override_event_digest(ev, digest) != 0)
		return -1;
	/* The log's words only: an id longer than any the gateway makes is
	 * cut short. */
	snprintf(what, sizeof(what), "hold event %s of disclosure", ev->id != NULL ? ev->id : "-");
	return ledger_entry_shown(l, c, ev->ledger_seq, action, d->id, d->family_pseudonym,
	    action != NULL ? digest : NULL, HOLD_SIGNED_WAIT_MS, what, d->id, "shown");
}
