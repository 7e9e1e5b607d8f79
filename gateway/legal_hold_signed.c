/*
 * legal_hold_signed.c: a litigation hold stands until a signed release
 * (legal_hold_signed.h). Owns only that check: the family's placements are
 * read by their stored columns (store_legal_hold_placements), each hold's
 * entries by its id (store_object_entries), and a release counts only when
 * its leaf, recomputed from the stored entry, is the leaf the tree signed
 * at its seq (ledger_leaf_signed), as hold_signed.c checks a lift.
 */
#include <string.h>

#include "legal_hold_signed.h"
#include "ledger.h"
#include "log.h"
#include "merkle.h"
#include "store.h"

/* How long a check outside the writer waits for a release committed a
 * moment ago to reach the tree (inside a writer job nothing is waited
 * for: ledger_leaf_at gives the writer's own leaves). */
#define LEGAL_HOLD_SIGNED_WAIT_MS	2000

int
legal_hold_release_entry(const char *action, const char *actor_role)
{
	if (action == NULL || actor_role == NULL ||
	    strcmp(action, "legal_hold.released") != 0)
		return 0;
	return strcmp(actor_role, "trustee") == 0 || strcmp(actor_role, "dp_trustee") == 0;
}

struct hold_look {
	struct ledger		*l;
	struct store_conn	*c;
	const char		*pseudonym;
	int			 released;	/* this hold: a release as signed */
	int			 held;		/* the family: some hold stands */
};

static int
release_seen(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct hold_look	*k = arg;
	merkle_hash		 h;
	int			 v;

	(void)leaf;	/* a column like the others: recomputed */
	if (!legal_hold_release_entry(r->e.action, r->e.actor_role))
		return 0;
	if (ledger_leaf_hash(NULL, r, h) != 0)
		return -1;
	if ((v = ledger_leaf_signed(k->l, r->seq, h, LEGAL_HOLD_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (v == 1) {
		k->released = 1;
		return 1;	/* one is enough */
	}
	if (v == 0)
		log_errx("ledger entry #%lld names a legal hold's release but is not as the "
		    "ledger signed it: the hold stands", (long long)r->seq);
	return 0;	/* 2: not in the tree yet; the hold stands for now */
}

static int
placement_seen(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct hold_look	*k = arg;

	(void)leaf;
	if (r->e.object_id == NULL) {
		log_errx("ledger entry #%lld places a legal hold on no record: the family is "
		    "held", (long long)r->seq);
		k->held = 1;
		return 1;
	}
	k->released = 0;
	if (store_object_entries(k->c, k->pseudonym, r->e.object_id, release_seen, k) != 0)
		return -1;
	if (!k->released) {
		k->held = 1;
		return 1;	/* one standing hold is enough */
	}
	return 0;
}

int
legal_hold_signed_held(struct ledger *l, struct store_conn *c, const char *pseudonym)
{
	struct hold_look	k = { .l = l, .c = c, .pseudonym = pseudonym };

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	if (store_legal_hold_placements(c, pseudonym, placement_seen, &k) != 0)
		return -1;
	return k.held;
}
