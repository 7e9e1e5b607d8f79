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

#include "merkle.h"

struct ledger;
struct ledger_record;
struct signer;
struct store;
struct store_conn;
struct writer;

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

/* Appends an entry inside the current writer job (writer.h; on the writer
 * thread only: it shares one hasher across appends): durable when
 * that job's batch commits, rolled back with it otherwise. Fills *seq and
 * leaf_hash (either may be NULL). 0 ok, -1 error. */
int	ledger_append(struct ledger *, struct store_conn *, const struct ledger_entry *,
	    int64_t *seq, unsigned char leaf_hash[32]);

/* ledger.c: the running ledger. */
#define LEDGER_ORIGIN	"families-together.example/gateway/ledger"

/* Opens the ledger over an open store and a started writer: loads (or
 * makes) the signing key in data_dir (signer.h), rebuilds the in-memory tree
 * from the committed entries and checks it against the newest signed
 * checkpoint (refusing to start when they disagree: the ledger was changed
 * behind the gateway's back), records "ledger.key_created" (when the key was
 * made now) and "gateway.started", signs a first checkpoint and starts the
 * checkpoint thread. origin is the checkpoint origin and key name
 * (LEDGER_ORIGIN when NULL). A store that holds signed checkpoints but has
 * no DATA_DIR/ledger.head is refused unless accept_missing_head (the head
 * is then made from the newest stored checkpoint, said as a warning:
 * head_guard.h). NULL with a message in err on failure. */
struct ledger	*ledger_open(struct store *, struct writer *, const char *data_dir,
		    const char *origin, int accept_missing_head, char *err, size_t errlen);
/* The same, with head_copy (--ledger-head-copy FILE, outside data_dir:
 * head_guard_copy_check), or NULL: as ledger_open. FILE is checked at
 * open as ledger.head is, and replaced with the same bytes each time
 * ledger.head is (head_guard.h says which of the two rules when they
 * differ, and when one may be missing). */
struct ledger	*ledger_open_copy(struct store *, struct writer *, const char *data_dir,
		    const char *origin, int accept_missing_head, const char *head_copy,
		    char *err, size_t errlen);
/* Records "gateway.stopped", stops the checkpoint thread and signs a final
 * checkpoint. Call after the server and every worker stopped, before
 * writer_stop(). */
void		 ledger_stop(struct ledger *);
/* Frees the ledger; after writer_stop() (the writer calls its commit hook). */
void		 ledger_free(struct ledger *);
/* 1 once the database was found to hold a ledger entry this gateway did
 * not write (or to lack one it did): from then on nothing is appended or
 * signed, and /healthz fails; ledger_open refuses while DATA_DIR/ledger.alarm,
 * written then, exists. Else 0. */
int		 ledger_alarmed(struct ledger *);
/* Raises the alarm (as ledger_alarmed says) about the entry at seq, what
 * saying how it differs ("is missing", ...): logged with the seq only and
 * written to DATA_DIR/ledger.alarm (ledger_selfcheck.c). Any thread. */
void		 ledger_raise_alarm(struct ledger *, int64_t seq, const char *what);
/* Whether the n leaves from entry first (recomputed from stored entries:
 * first - 1 a multiple of MERKLE_BLOCK, n MERKLE_BLOCK or a part of the
 * tree's last block in memory) are the tree's, without reading the leaf_hash
 * column (merkle_tree_block_is). hs may be NULL. 1 yes, 0 no, -1 cannot say
 * (the range is not such a block now, or a hash failed). */
int		 ledger_block_signed(struct ledger *, struct merkle_hasher *hs, int64_t first,
		    size_t n, const merkle_hash *leaves);
/* Asks the writer, in a job of its own, whether the newest stored row is
 * the newest this gateway wrote (as each append does first); a row it did
 * not write raises the alarm. 0 it is; 1 the alarm is raised; -1 the job
 * failed. Not on the writer thread. */
int		 ledger_check_tail(struct ledger *);
/* Committed entries (the tree's size). */
uint64_t	 ledger_size(struct ledger *);
/* A number moved by every append of a consent.* entry (before it is
 * written, so also by one whose job or batch is then rolled back), never
 * the same in two ledgers of one process: an answer about a consent given
 * at one epoch holds while it has not moved (consent_signed.c). */
uint64_t	 ledger_consent_epoch(struct ledger *);
/* Bytes the in-memory Merkle tree holds (about 0.25 a leaf: merkle.h). */
size_t		 ledger_tree_bytes(struct ledger *);
/* The newest signed checkpoint note, malloc'd (caller frees), its tree size
 * and length in *tree_size and *len (either may be NULL); NULL if none. */
char		*ledger_checkpoint(struct ledger *, uint64_t *tree_size, size_t *len);
/* The ledger's signing key (owned by the ledger, valid until ledger_free),
 * for other signatures the gateway makes with the same published key
 * (delivery.c signs delivery bodies with signer_sign_detached). */
struct signer	*ledger_signer(struct ledger *);
/* The public key as PEM (owned by the ledger). */
const char	*ledger_pub_pem(struct ledger *, size_t *len);

struct ledger_proof {
	uint64_t	leaf_index;	/* seq - 1 (inclusion) */
	uint64_t	tree_size;	/* inclusion: the tree; consistency: the second size */
	uint64_t	first_size;	/* consistency only */
	unsigned char	leaf_hash[32];	/* inclusion only */
	unsigned char	root[32];	/* root at tree_size */
	unsigned char	first_root[32];	/* consistency only: root at first_size */
	size_t		n;
	merkle_hash	hashes[MERKLE_MAX_PROOF];
};
/* Inclusion proof of entry seq in the tree of tree_size entries (0: the
 * newest signed checkpoint's size). 0 ok; 1 seq or tree_size out of range
 * (or no checkpoint yet); -1 error. */
int	ledger_inclusion(struct ledger *, int64_t seq, uint64_t tree_size,
	    struct ledger_proof *);
/* Consistency proof between two tree sizes (size2 0: the newest signed
 * checkpoint's size). 0 ok; 1 out of range; -1 error. */
int	ledger_consistency(struct ledger *, uint64_t size1, uint64_t size2,
	    struct ledger_proof *);
/* The leaf hashes the signed tree holds for entries first .. first + n - 1
 * (the tree, not the leaf_hash column: blocks read back from the database
 * are checked against the tree's kept hashes), into out; a caller
 * recomputes an entry's leaf (ledger_leaf_hash) from its stored row and
 * compares. 0 ok; 1 not all in the tree (yet); -1 unreadable or changed. */
int	ledger_leaves(struct ledger *, int64_t first, size_t n, merkle_hash *out);
/* ledger_leaves() keeps the complete blocks it read and checked, up to 64
 * (512 KiB), in a leaf cache (leafcache.h): a later question about one is a
 * copy, not a read and 255 hashes. It holds the tree's leaf hashes only: a
 * caller still recomputes the leaf from the row it read. Its counters. */
struct leafcache_stats;
void	ledger_leaf_cache_stats(struct ledger *, struct leafcache_stats *);
/* The leaf hash of entry seq as this gateway appended it, for a caller that
 * has just read the entry's row (so it is committed, or in the batch now
 * running): ledger_leaves() for one entry, minding the short gap between a
 * commit and its commit hook moving the tree over it. Inside a writer job
 * (writer_in_job) an entry of the running batch, or one committed that the
 * tree has not taken yet, is given from the leaf hashes kept for it; on any
 * other thread an entry past the tree is waited for, up to wait_ms. 0 ok;
 * 1 no such entry appended (or still not in the tree); -1 error. */
int	ledger_leaf_at(struct ledger *, int64_t seq, unsigned wait_ms, merkle_hash out);
/* Whether leaf (recomputed from a stored entry) is the leaf the tree signed
 * at seq (ledger_leaf_at): 1 yes; 0 no, or nothing signed there; 2 the
 * entry is committed but not in the tree after wait_ms and no alarm is
 * raised (not yet a forgery: try again later); -1 error, or leaf is the
 * one signed but the alarm is raised (ledger_alarmed: the stored entries a
 * caller found by their columns may not be all of them, so none is
 * vouched for: every *_signed check fails closed, as on a read error). */
int	ledger_leaf_signed(struct ledger *, int64_t seq, const merkle_hash leaf,
	    unsigned wait_ms);
/* Whether the stored entry at seq is a record's own signed entry: the one
 * entry there, with this action, object id, family pseudonym (NULL: one
 * naming no family) and record digest, and the leaf the tree signed at seq
 * (ledger_leaf_signed). 1 yes; 0 no (no such entry, another, or not as
 * signed); 2 as ledger_leaf_signed (not in the tree yet); -1 error, or
 * signed but the alarm is raised (as ledger_leaf_signed). */
int	ledger_entry_signed(struct ledger *, struct store_conn *, int64_t seq,
	    const char *action, const char *object_id, const char *pseudonym,
	    const unsigned char digest[32], unsigned wait_ms);
/* Records a gateway event (actor "system") in its own writer job and waits
 * until it is durable. 0 or -1. */
int	ledger_record_system(struct ledger *, const char *action, const char *object_id,
	    const char *reason, const unsigned char *record_digest);

/* ledger_shown.c */
/* What a reader serving or showing a row kept with its own signed entry
 * does with ledger_entry_signed's answer about that entry (seq, action,
 * object_id, pseudonym, digest and wait_ms as there), in its own words:
 * what and id name the row in the log ("disclosure", its id), verb says
 * what is withheld ("served", "shown"). 0 the row is as its entry signed
 * it: show it. 1 it is not (another entry, none, or not as signed),
 * logged "WHAT ID does not match ledger entry #SEQ (what its ledger entry
 * signed): not VERB": never show it. -1 not now: an error or the alarm
 * (as ledger_entry_signed, not logged here), or the entry is not in the
 * tree yet, logged "WHAT ID: ledger entry #SEQ is not in the ledger's tree
 * yet; not VERB now". action NULL (digest may then be NULL): the reader
 * found that no entry can be the row's, answered as one not as signed (1)
 * without reading the ledger. */
int	ledger_entry_shown(struct ledger *, struct store_conn *, int64_t seq,
	    const char *action, const char *object_id, const char *pseudonym,
	    const unsigned char digest[32], unsigned wait_ms, const char *what,
	    const char *id, const char *verb);

/* ledger_api.c */
struct json_t;
/* One entry as JSON, as GET /v1/ledger/entries and exports show it: seq,
 * time (RFC 3339, microseconds), time_us, actor, actor_role, action,
 * family_pseudonym, object_id, reason (null when absent), record_digest and
 * leaf_hash (lower-case hex; digest null when absent). New reference. */
struct json_t	*ledger_entry_json(const struct ledger_record *, const unsigned char *leaf_hash);
/* The "ledger" member of a reply that recorded an entry: {"seq": seq,
 * "leaf_hash": lower-case hex}. New reference, NULL if memory ran out. */
struct json_t	*ledger_ref_json(int64_t seq, const unsigned char leaf_hash[32]);

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
