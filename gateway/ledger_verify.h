/*
 * ledger_verify.h: offline verification of a whole ledger from its entries,
 * its signed checkpoints and the public key alone (gatewayctl ledger verify).
 * Pure: the caller reads the database or export and feeds this module.
 *
 * Checks, in order of what they catch:
 *   - sequence numbers run 1, 2, 3 ... without gap or repeat (a deleted entry);
 *   - each entry's leaf, recomputed from its fields, equals its stored leaf
 *     hash (a changed byte, two entries swapped);
 *   - entry times never go backwards;
 *   - every checkpoint's signature verifies with the key, under the origin;
 *   - every checkpoint's root equals the root recomputed over the first
 *     tree_size entries, and no checkpoint covers more entries than exist
 *     (a truncated tail);
 *   - each checkpoint is consistent with the one before it (an RFC 9162
 *     consistency proof from the recomputed tree verifies against both
 *     signed roots);
 *   - a checkpoint's signed time (note.h; older ones have none) is no
 *     earlier than the newest entry it covers, nor than the signed time of
 *     a checkpoint of a smaller tree.
 * Each failure is reported with the first sequence number it implicates.
 */
#ifndef LEDGER_VERIFY_H
#define LEDGER_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#include "ledger.h"

struct ledger_verify;

struct ledger_verify_report {
	uint64_t	entries;		/* entries fed */
	uint64_t	checkpoints;		/* checkpoints fed */
	uint64_t	checkpoints_ok;		/* signature valid and root matching */
	uint64_t	failures;
	int64_t		first_bad_seq;		/* lowest implicated seq; 0 when none */
	uint64_t	latest_size;		/* newest good checkpoint (0: none) */
	unsigned char	latest_root[32];
	uint64_t	uncovered;		/* entries past latest_size */
	char		origin[256];
};

/* Called once per failure with a one-line message (no trailing newline). */
typedef void (*ledger_verify_msg_fn)(void *arg, const char *msg);

/* A verifier for checkpoints signed by pub under origin (NULL: the origin of
 * the first checkpoint fed; all must then share it). msg may be NULL.
 * NULL on allocation failure. */
struct ledger_verify	*ledger_verify_new(const EVP_PKEY *pub, const char *origin,
			    ledger_verify_msg_fn msg, void *arg);
void			 ledger_verify_free(struct ledger_verify *);
/* Feeds the next entry in stored order. stored_leaf is the leaf hash kept
 * beside it, or NULL when the source has none. 0, or -1 on an internal
 * error (allocation, hashing); a bad entry is a reported failure, not -1. */
int	ledger_verify_entry(struct ledger_verify *, const struct ledger_record *,
	    const unsigned char *stored_leaf);
/* Feeds a signed checkpoint note (any order). stored_size/stored_root are
 * the columns kept beside it, or -1/NULL. 0 or -1 as above. */
int	ledger_verify_checkpoint(struct ledger_verify *, const char *note, size_t len,
	    int64_t stored_size, const unsigned char *stored_root);
/* Checks the checkpoints against the entries and fills the report. Returns
 * 0 when everything verified, 1 when something failed, -1 on an internal
 * error. Call once, after every entry and checkpoint was fed. */
int	ledger_verify_finish(struct ledger_verify *, struct ledger_verify_report *);

#endif
