/*
 * ledger.h: the append-only, signed, tamper-evident record of every access
 * and decision (the policy's "dated and signed records"). Entries are leaves
 * of an RFC 6962/9162 Merkle tree; checkpoints are signed with Ed25519 in
 * the C2SP signed-note format. The ledger holds no personal data: families
 * appear only as their keyed pseudonym, free text only as a digest.
 */
#ifndef LEDGER_H
#define LEDGER_H

#include <stddef.h>
#include <stdint.h>

struct ledger;
struct store_conn;

struct ledger_entry {
	const char		*actor;		/* principal id, e.g. "staff:Alex Smith" / "agency:police" / "system" */
	const char		*actor_role;	/* role_name(), or "system" */
	const char		*action;	/* dotted verb: "disclosure.allowed", "disclosure.refused",
						   "consent.recorded", "record.read", ... */
	const char		*family_pseudonym; /* vault_pseudonym() or NULL */
	const char		*object_id;	/* id of the stored record, or NULL */
	const char		*reason;	/* rule code or other non-personal text, or NULL */
	const unsigned char	*record_digest;	/* SHA-256 (32 bytes) of the stored record, or NULL */
};

/* Appends an entry inside the current writer job (writer.h): durable when
 * that job's batch commits, rolled back with it otherwise. Fills *seq and
 * leaf_hash (either may be NULL). 0 ok, -1 error. */
int	ledger_append(struct ledger *, struct store_conn *, const struct ledger_entry *,
	    int64_t *seq, unsigned char leaf_hash[32]);

#endif
