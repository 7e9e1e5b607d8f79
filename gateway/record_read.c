/*
 * record_read.c: records a read of a family's record (record_read.h): one
 * writer job for every reads table whose rows are struct record_read_row,
 * and the check of such a row against its own signed entry
 * (record_read_signed: the digest is the table's, the finding of the entry
 * and its leaf the ledger's, ledger_entry_signed through ledger_entry_shown).
 */
#include <stdlib.h>
#include <string.h>

#include "gateway.h"
#include "ledger.h"
#include "principal.h"
#include "record_read.h"
#include "vault.h"

int
record_read_job(struct store_conn *c, void *arg)
{
	struct record_read	*j = arg;
	struct record_read_row	 row;
	struct ledger_entry	 le;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	int			 rc = -1;

	/* A destroyed family key leaves nothing to seal the reason with: the
	 * read is still recorded, without it. */
	if (vault_seal_str(j->gw->vault, c, j->family_pseudonym, j->reason, &ct, &ctlen) == -1)
		return -1;
	memset(&row, 0, sizeof(row));
	row.id = j->id;
	row.object_id = j->object_id;
	row.family_pseudonym = j->family_pseudonym;
	row.actor = j->who->id;
	row.actor_role = role_name(j->who->role);
	row.read_us = j->read_us = store_now_us();
	row.reason_ct = ct;
	row.reason_ctlen = ctlen;
	if (j->digest(&row, row.record_digest) != 0)
		goto out;
	le = (struct ledger_entry){ row.actor, row.actor_role, j->action,
	    row.family_pseudonym, j->object_id, j->entry_reason, row.record_digest };
	if (ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf) != 0)
		goto out;
	row.ledger_seq = j->seq;
	rc = j->insert(c, &row);
out:
	free(ct);
	return rc;
}

int
record_read_signed(struct ledger *l, struct store_conn *c, const char *action,
    const char *pseudonym, int (*digest)(const struct record_read_row *, unsigned char out[32]),
    const struct record_read_row *r)
{
	unsigned char	d[32];

	if (digest(r, d) != 0)
		return -1;
	return ledger_entry_shown(l, c, r->ledger_seq, action, r->object_id, pseudonym, d,
	    RECORD_READ_SIGNED_WAIT_MS, "read", r->id, "shown");
}
