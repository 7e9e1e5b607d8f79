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

/* An entry as stored: the appended fields plus what the ledger assigned. */
struct ledger_record {
	int64_t			seq;		/* 1, 2, 3 ...; leaf index = seq - 1 */
	int64_t			time_us;	/* UTC, microseconds since the epoch */
	struct ledger_entry	e;
};

/* ledger_entry.c: the canonical leaf encoding (pure). */
struct merkle_hasher;
#define LEDGER_FIELD_MAX	1024	/* bytes per text field */
#define LEDGER_LEAF_TAG		"ledger-entry-v1"
/* 1 if the entry may be appended: actor, actor_role and action present and
 * non-empty; every text field at most LEDGER_FIELD_MAX bytes of UTF-8 with
 * no control characters. Else 0. */
int	ledger_entry_valid(const struct ledger_entry *);
/* Writes the leaf data of r (the bytes whose RFC 6962 leaf hash is the
 * tree's leaf; the format is in ledger_entry.c and the README) to out when
 * it fits in max bytes. Returns the full length, like snprintf. */
size_t	ledger_leaf_encode(const struct ledger_record *r, unsigned char *out, size_t max);
/* SHA-256(0x00 || leaf data). hs may be NULL. 0 or -1. */
int	ledger_leaf_hash(struct merkle_hasher *hs, const struct ledger_record *r,
	    unsigned char out[32]);

#endif
