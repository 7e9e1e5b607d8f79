/*
 * vault.h: keys and encryption at rest. Owns the master key (read from a
 * file that others cannot read), the keyed family pseudonym (HMAC-SHA256),
 * and per-family AES-256-GCM data keys wrapped by the master key and kept
 * in the store. Destroying a family key (erasure, retention) makes every
 * value sealed under it unreadable for good. Keys never leave this module
 * except sealed; buffers holding them are cleansed.
 */
#ifndef VAULT_H
#define VAULT_H

#include <stddef.h>
#include <stdint.h>

struct vault;
struct store_conn;

/* Reads the 32-byte master key file (refusing one readable by group or
 * others). NULL with a message in err on failure. */
struct vault	*vault_open(const char *master_key_path, char *err, size_t errlen);
void		 vault_free(struct vault *);
/* Keyed pseudonym of a family id: lower-case hex HMAC-SHA256 (64 chars). */
void		 vault_pseudonym(const struct vault *, const char *family_id, char out[65]);
/* What an erasure's reason is kept as: HMAC-SHA256, under a key derived
 * from the master key for this alone, of the family's pseudonym and the
 * reason. Not recomputable without the master key, so a guessed reason
 * cannot be confirmed from the erasure mark or its ledger entry. */
void		 vault_erasure_reason_mac(const struct vault *, const char *pseudonym,
		    const char *reason, unsigned char out[32]);
/* What an Idempotency-Key (its lookup, with the principal and route) and
 * its request's body are kept as (idempotency.h): HMAC-SHA256, under a key
 * derived from the master key for this alone, of the n parts, each with
 * its length. */
struct vault_part {
	const void	*p;
	size_t		 len;
};
void		 vault_idempotency_mac(const struct vault *, const struct vault_part *parts,
		    size_t n, unsigned char out[32]);
/* What the gateway keeps as the receipt of a body delivered to an agency
 * (delivery.c): HMAC-SHA256 of the body under a key derived from the
 * family's data key, not a plain digest (the body holds the family's
 * values: a plain SHA-256 would confirm a guessed one). Recomputable only
 * while the family's key exists. 0 ok; 1 the key was destroyed (erased or
 * expired); -1 error (or no key at all). */
int		 vault_receipt_mac(struct vault *, struct store_conn *, const char *pseudonym,
		    const void *body, size_t len, unsigned char out[32]);
/* Seals pt with the family's data key, creating that key (in the current
 * writer transaction) when the family has none. *ct is malloc'd, caller
 * frees. 0 ok; 1 the family's key was destroyed; -1 error. */
int		 vault_seal(struct vault *, struct store_conn *, const char *pseudonym,
		    const void *pt, size_t ptlen, unsigned char **ct, size_t *ctlen);
/* vault_seal() of a string, or of nothing: s NULL seals nothing and
 * returns 0. *ct and *ctlen are NULL and 0 unless a value was sealed. */
int		 vault_seal_str(struct vault *, struct store_conn *, const char *pseudonym,
		    const char *s, unsigned char **ct, size_t *ctlen);
/* A family's data key unwrapped once for several seals (one decision's
 * reason, data and family id). The caller owns it and clears it with
 * vault_key_clear() as soon as it is done: it is key material. */
struct vault_key {
	unsigned char	key[32];
	char		pseudonym[65];	/* the AAD of every seal under it */
};
/* Loads the family's key into *k; with create, makes one (in the current
 * writer transaction) when the family has none. 0 ok; 1 destroyed; 2 none
 * (only without create); -1 error, or a name of 65 characters or more
 * (it is the AAD of every seal, so it is never truncated). */
int		 vault_key_get(struct vault *, struct store_conn *, const char *pseudonym,
		    int create, struct vault_key *k);
/* vault_key_get() from the key cache alone, without a store connection:
 * 1 and the key in *k if the family's key is cached (as vault_key_get()
 * would then return it, touching no connection), else 0 and *k cleared.
 * A caller that needs the key either way takes a read connection only on
 * a miss. */
int		 vault_key_cached(struct vault *, const char *pseudonym, struct vault_key *k);
/* Every sealed value's form: its first byte is VAULT_SEAL_VERSION and it
 * is at least VAULT_SEALED_MIN bytes (version, 12-byte nonce, 16-byte tag).
 * What a reader may check of a column before taking it as sealed. */
#define VAULT_SEAL_VERSION	0x01
#define VAULT_SEALED_MIN	(1 + 12 + 16)
int		 vault_sealed_form(const unsigned char *ct, size_t ctlen);
/* Values sealed under a loaded key, several at once (cheaper than one by one):
 * each v[i].pt (NULL: skipped) of v[i].len bytes into *v[i].ct, *v[i].ctlen
 * (malloc'd, caller frees; NULL when skipped). n <= VAULT_SEAL_MAX. 0, or
 * -1 with nothing allocated. */
#define VAULT_SEAL_MAX	8
struct vault_plain {
	const void	 *pt;
	size_t		  len;
	unsigned char	**ct;
	size_t		 *ctlen;
};
int		 vault_key_seal_many(const struct vault_key *, const struct vault_plain *v,
		    size_t n);
/* 1 if both hold the same key for the same family (constant time). */
int		 vault_key_same(const struct vault_key *, const struct vault_key *);
void		 vault_key_clear(struct vault_key *);
/* Opens a sealed value. *pt is malloc'd (NUL-terminated for convenience),
 * caller frees it with wipe_free() (wipe.h: the whole block, not only
 * to a NUL the value may hold). 0 ok; 1 key destroyed (erased or expired);
 * -1 error or tampering (the GCM tag is always checked). */
int		 vault_unseal(struct vault *, struct store_conn *, const char *pseudonym,
		    const unsigned char *ct, size_t ctlen, char **pt, size_t *ptlen);
/* vault_unseal() of a string, or of nothing: ct NULL gives *out NULL and 0.
 * *out is malloc'd or NULL, caller wipe_free()s it. A destroyed key
 * (erased or expired) is no error: *out NULL, *erased set to 1 (never
 * cleared, so one flag can gather several calls). 0, or -1 (tampering,
 * error). */
int		 vault_unseal_str(struct vault *, struct store_conn *, const char *pseudonym,
		    const unsigned char *ct, size_t ctlen, char **out, int *erased);
/* Destroys the family's data key (writer transaction), dropping it from
 * the vault's key cache. 0 ok, 1 none, -1 error. */
int		 vault_destroy(struct vault *, struct store_conn *, const char *pseudonym,
		    int64_t now_us);
/* The writer's commit hook (writer_on_commit(w, vault_committed, vault)):
 * a destruction has committed, so reads begun from now on cannot see the
 * destroyed key and may fill the cache again. Without it the cache stops
 * taking keys after the first destruction (safe, only slower). */
void		 vault_committed(void *vault);

#endif
