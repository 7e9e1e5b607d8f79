/*
 * disclosure_signed.c: a disclosure row checked against its own signed
 * ledger entry before anything of it is served or delivered
 * (disclosure_signed.h). Owns only that check: the digest is the writer's
 * (store_disclosure_digest), the entry's leaf the ledger's
 * (ledger_leaf_hash), the signed leaf the in-memory tree's (ledger_leaf_signed,
 * which minds the moment between a commit and the tree taking it), as
 * witness.c checks the rows a statement cites.
 *
 * Nothing of the row is taken on trust but its ledger_seq, and that only
 * to find the entry: an entry of another disclosure, or one not as signed,
 * or none, and the row is not served. Stored leaf_hash columns are not
 * read (they can be edited as the rows can).
 */
#include <string.h>

#include <openssl/crypto.h>

#include "disclosure_signed.h"
#include "ledger.h"
#include "log.h"
#include "store.h"

/* What the stored entry at the row's seq says (entry_of). */
struct entry_look {
	const struct disclosure_row	*d;
	const unsigned char		*digest;	/* the row's, recomputed */
	const char			*action;	/* expected */
	int				 found;		/* entries at that seq */
	int				 matches;	/* names the row, carries its digest */
	unsigned char			 leaf[32];	/* recomputed from the entry */
};

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static int
entry_of(const struct ledger_record *r, const unsigned char *stored_leaf, void *arg)
{
	struct entry_look	*k = arg;

	(void)stored_leaf;	/* a column like the others */
	k->found++;
	k->matches = same(r->e.action, k->action) && same(r->e.object_id, k->d->id) &&
	    same(r->e.family_pseudonym, k->d->family_pseudonym) &&
	    r->e.record_digest != NULL && CRYPTO_memcmp(r->e.record_digest, k->digest, 32) == 0;
	return ledger_leaf_hash(NULL, r, k->leaf) == 0 ? 0 : -1;
}

int
disclosure_signed(struct ledger *l, struct store_conn *c, const struct disclosure_row *d)
{
	struct entry_look	k;
	unsigned char		digest[32];
	int			rc;

	memset(&k, 0, sizeof(k));
	k.d = d;
	k.digest = digest;
	k.action = same(d->decision, "allowed") ? "disclosure.allowed" : "disclosure.refused";
	if (store_disclosure_digest(d, digest) != 0)
		return -1;
	if (d->ledger_seq >= 1 &&
	    store_ledger_entries(c, d->ledger_seq, d->ledger_seq, entry_of, &k) != 0)
		return -1;
	if (k.found != 1 || !k.matches)
		goto differs;
	if ((rc = ledger_leaf_signed(l, d->ledger_seq, k.leaf, DISCLOSURE_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (rc == 2) {
		log_errx("disclosure %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", d->id, (long long)d->ledger_seq);
		return -1;
	}
	if (rc == 0)
		goto differs;
	return 0;
differs:
	log_errx("disclosure %s does not match ledger entry #%lld (what its ledger entry "
	    "signed): not served", d->id, (long long)d->ledger_seq);
	return 1;
}
