/*
 * legal_hold_signed.c: a litigation hold stands until a signed release
 * (legal_hold_signed.h). Owns only that check: the family's placements are
 * read by their stored columns (store_legal_hold_placements), each hold's
 * entries by its id (store_object_entries), and a release counts only when
 * its leaf, recomputed from the stored entry, is the leaf the tree signed
 * at its seq (ledger_leaf_signed), as hold_signed.c checks a lift. Also
 * whether one hold's row is as its placement and release signed it, before
 * its sealed reasons are shown (legal_hold_row_signed).
 */
#include <string.h>

#include <openssl/crypto.h>

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

/* What one hold's entries say of its row (row_entry). */
struct row_look {
	struct ledger			*l;
	const struct legal_hold_row	*h;
	int				 placed;	/* placements as signed, matching */
	int				 released;	/* releases as signed, matching */
	int				 differs;	/* an entry the row does not match */
	int64_t				 pending;	/* committed, not in the tree yet */
};

static int
row_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct row_look	*k = arg;
	merkle_hash	 h;
	unsigned char	 d[32];
	int		 rel, v;

	(void)leaf;	/* a column like the others: recomputed */
	if (strcmp(r->e.action, "legal_hold.placed") == 0)
		rel = 0;
	else if (strcmp(r->e.action, "legal_hold.released") == 0)
		rel = 1;
	else
		return 0;	/* a read of it, say */
	if (ledger_leaf_hash(NULL, r, h) != 0)
		return -1;
	if ((v = ledger_leaf_signed(k->l, r->seq, h, LEGAL_HOLD_SIGNED_WAIT_MS)) != 1) {
		if (v == 2)
			k->pending = r->seq;
		else
			k->differs = 1;
		return v == -1 ? -1 : 0;
	}
	if (rel && (!legal_hold_release_entry(r->e.action, r->e.actor_role) ||
	    k->h->released_by == NULL)) {
		k->differs = 1;
		return 0;
	}
	if (store_legal_hold_digest(k->h, rel, d) != 0)
		return -1;
	if (r->e.record_digest == NULL || CRYPTO_memcmp(d, r->e.record_digest, sizeof(d)) != 0) {
		k->differs = 1;
		return 0;
	}
	if (rel)
		k->released++;
	else
		k->placed++;
	return 0;
}

int
legal_hold_row_signed(struct ledger *l, struct store_conn *c, const struct legal_hold_row *h)
{
	struct row_look	k = { .l = l, .h = h };

	if (ledger_alarmed(l))
		return -1;
	if (store_object_entries(c, h->family_pseudonym, h->id, row_entry, &k) != 0)
		return -1;
	if (k.pending != 0 && !k.differs) {
		log_errx("legal hold %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", h->id, (long long)k.pending);
		return -1;
	}
	if (k.pending != 0 || k.differs || k.placed != 1 ||
	    k.released != (h->released_by != NULL))
		return 1;
	return 0;
}
