/*
 * disclosure_signed.c: a disclosure row checked against its own signed
 * ledger entry before anything of it is served or delivered
 * (disclosure_signed.h). Owns only that check: the digest is the writer's
 * (store_disclosure_digest), the finding of the entry and its leaf the
 * ledger's (ledger_entry_signed, which minds the moment between a commit
 * and the tree taking it), as witness.c checks the rows a statement cites.
 *
 * Nothing of the row is taken on trust but its ledger_seq, and that only
 * to find the entry: an entry of another disclosure, or one not as signed,
 * or none, and the row is not served. Stored leaf_hash columns are not
 * read (they can be edited as the rows can).
 */
#include <string.h>

#include "disclosure_signed.h"
#include "ledger.h"
#include "log.h"
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
	int		 rc;

	if (!disclosure_columns_in_form(d)) {
		log_errx("disclosure %s: its consent or hold column is not in its form (a value "
		    "moved between them?): not served", d->id);
		return 1;
	}
	action = d->decision != NULL && strcmp(d->decision, "allowed") == 0 ?
	    "disclosure.allowed" : "disclosure.refused";
	if (store_disclosure_digest(d, digest) != 0 ||
	    (rc = ledger_entry_signed(l, c, d->ledger_seq, action, d->id, d->family_pseudonym,
	    digest, DISCLOSURE_SIGNED_WAIT_MS)) == -1)
		return -1;
	if (rc == 2) {
		log_errx("disclosure %s: ledger entry #%lld is not in the ledger's tree yet; not "
		    "served now", d->id, (long long)d->ledger_seq);
		return -1;
	}
	if (rc == 0) {
		log_errx("disclosure %s does not match ledger entry #%lld (what its ledger "
		    "entry signed): not served", d->id, (long long)d->ledger_seq);
		return 1;
	}
	return 0;
}
