/*
 * disclosure_signed.c: a disclosure row checked against its own signed
 * ledger entry before anything of it is served or delivered
 * (disclosure_signed.h). Owns only that check: the digest is the writer's
 * (store_disclosure_digest), the finding of the entry and its leaf the
 * ledger's (ledger_entry_signed, which minds the moment between a commit
 * and the tree taking it; what its answer means for the row,
 * ledger_entry_shown), as witness.c checks the rows a statement cites.
 *
 * Nothing of the row is taken on trust but its ledger_seq, and that only
 * to find the entry: an entry of another disclosure, or one not as signed,
 * or none, and the row is not served. Stored leaf_hash columns are not
 * read (they can be edited as the rows can).
 */
#include <stdio.h>
#include <string.h>

#include "disclosure_signed.h"
#include "ledger.h"
#include "log.h"
#include "merkle.h"
#include "store.h"
#include "vault.h"

int
disclosure_columns_in_form(const struct disclosure_row *d)
{
	const char	*p;

	if (d->consent_id != NULL) {
		if (d->consent_id[0] == '\0')
			return 0;
		for (p = d->consent_id; *p != '\0'; p++)
			if (*p < '!' || *p > '~')
				return 0;
	}
	return d->hold_reason_ct == NULL ||
	    vault_sealed_form(d->hold_reason_ct, d->hold_reason_ctlen);
}

int
disclosure_signed(struct ledger *l, struct store_conn *c, const struct disclosure_row *d)
{
	unsigned char	 digest[32];
	const char	*action;

	if (!disclosure_columns_in_form(d)) {
		log_errx("disclosure %s: its consent or hold column is not in its form (a value "
		    "moved between them?): not served", d->id);
		return 1;
	}
	action = d->decision != NULL && strcmp(d->decision, "allowed") == 0 ?
	    "disclosure.allowed" : "disclosure.refused";
	if (store_disclosure_digest(d, digest) != 0)
		return -1;
	return ledger_entry_shown(l, c, d->ledger_seq, action, d->id, d->family_pseudonym, digest,
	    DISCLOSURE_SIGNED_WAIT_MS, "disclosure", d->id, "served");
}

/* What a family's disclosure.allowed entries say of its rows
 * (allowance_entry). */
struct allowance_check {
	struct ledger	 *l;
	int		(*fn)(const char *, int, void *);
	void		 *arg;
};

static int
allowance_entry(const struct ledger_record *r, int has_row, void *arg)
{
	struct allowance_check	*k = arg;
	merkle_hash		 h;
	char			 label[24];
	int			 v;

	snprintf(label, sizeof(label), "#%lld", (long long)r->seq);
	if (ledger_leaf_hash(NULL, r, h) != 0 ||
	    (v = ledger_leaf_signed(k->l, r->seq, h, DISCLOSURE_SIGNED_WAIT_MS)) == -1) {
		log_errx("ledger entry #%lld, a disclosure allowed about a family, could not be "
		    "checked against the ledger's tree now", (long long)r->seq);
		return k->fn(label, -1, k->arg);
	}
	if (v == 2) {
		log_errx("ledger entry #%lld, a disclosure allowed about a family, is not in the "
		    "ledger's tree yet; its row is not checked now", (long long)r->seq);
		return k->fn(label, -1, k->arg);
	}
	if (v != 1 || r->e.object_id == NULL) {
		log_errx("ledger entry #%lld, stored as a disclosure allowed about a family, is "
		    "not what the ledger signed there: not as signed", (long long)r->seq);
		return k->fn(label, 1, k->arg);
	}
	if (has_row)
		return 0;
	log_errx("disclosure %s: its disclosure.allowed ledger entry #%lld has no disclosure row "
	    "of its family (the row deleted, or moved to another family): not as signed",
	    r->e.object_id, (long long)r->seq);
	return k->fn(r->e.object_id, 1, k->arg);
}

int
disclosure_allowances_signed(struct ledger *l, struct store_conn *c, const char *pseudonym,
    int (*fn)(const char *id, int rc, void *arg), void *arg)
{
	struct allowance_check	k = { l, fn, arg };

	/* The alarm is raised (ledger.h): the entries found by their columns
	 * may not be all of them; nothing is vouched for. */
	if (ledger_alarmed(l))
		return -1;
	return store_disclosure_allowances(c, pseudonym, allowance_entry, &k);
}
