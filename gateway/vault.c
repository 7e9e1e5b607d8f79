/*
 * vault.c: the master key, family pseudonyms and per-family data keys.
 *
 * Four sub-keys are derived from the 32-byte master key with HKDF-SHA256:
 * one wraps family data keys, one keys the HMAC that turns a family id into
 * its pseudonym, one keys the HMAC an erasure's reason is kept as
 * (vault_erasure_reason_mac), and one the HMACs an Idempotency-Key and its
 * request's body are kept as (vault_idempotency_mac). A delivery's receipt
 * is keyed by the family's own data key instead (vault_receipt_mac), so it
 * dies with it. A family data key is
 * 32 random bytes, stored only wrapped (AES-256-GCM under the wrap key, the
 * pseudonym as associated data), so a copy of the database without the
 * master key file reveals nothing, and a destroyed (NULLed) wrapped key
 * makes that family's sealed values unrecoverable while every digest in
 * the ledger still verifies.
 *
 * Sealed value layout: 0x01 | 12-byte random nonce | ciphertext | 16-byte tag,
 * with the pseudonym as associated data, so a value cannot be moved to
 * another family's row undetected.
 *
 * Unwrapped family keys are cached (keycache.h, set-associative), because
 * every disclosure needs its family's key twice (request thread and
 * writer) and a store read is most of that. A family has one key for life: it is created
 * once and can only be destroyed, never replaced. So the one thing the
 * cache must never do is hold a key after its destruction commits:
 *   - vault_destroy() drops the entry, and until the writer's next commit
 *     (vault_committed(), a writer commit hook) counts a destruction as
 *     pending;
 *   - only a read-only connection reading in autocommit inserts, i.e. a
 *     read whose snapshot starts after the reader took its ticket (the
 *     epoch, or none while a destruction is pending); the insert happens
 *     only if the epoch has not moved since. A read that might have seen a
 *     key destroyed meanwhile therefore never lands in the cache; the
 *     writer's reads (which see its own uncommitted work) never insert.
 * vault_key_cached() only looks: what a hit gives is what family_key()
 * gives before it touches its connection, so a caller may take a read
 * connection only on a miss (disclosure_api.c pre_seal).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "hex.h"
#include "keycache.h"
#include "log.h"
#include "randpool.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"

#define KEYLEN		32
#define NONCELEN	12
#define TAGLEN		16
#define SEAL_VERSION	VAULT_SEAL_VERSION

struct vault {
	struct keycache	*cache;
	unsigned char	wrap_key[KEYLEN];
	unsigned char	pseudonym_key[KEYLEN];
	/* HMAC-SHA256 keyed with pseudonym_key, fetched and keyed once: each
	 * pseudonym is a copy of it (HMAC() fetches both algorithms anew). */
	EVP_MAC_CTX	*pseudonym_mac;
	/* The same for the erasure reason's HMAC, under a key of its own. */
	EVP_MAC_CTX	*erasure_reason_mac;
	/* And for the idempotency keys' HMACs, under another. */
	EVP_MAC_CTX	*idempotency_mac;
};

static EVP_MAC_CTX *
hmac_sha256_new(const unsigned char key[KEYLEN])
{
	EVP_MAC		*mac;
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 params[2];

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac);	/* the context holds its own reference */
	if (ctx == NULL)
		return NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, KEYLEN, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
hkdf(const unsigned char *ikm, size_t ikmlen, const char *info, unsigned char out[KEYLEN])
{
	EVP_KDF		*kdf;
	EVP_KDF_CTX	*ctx;
	OSSL_PARAM	 params[5], *p = params;
	int		 ok;

	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL)
		return -1;
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		return -1;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    (void *)"families-together-gateway", 25);
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, KEYLEN, params) == 1;
	EVP_KDF_CTX_free(ctx);
	return ok ? 0 : -1;
}

struct vault *
vault_open(const char *path, char *err, size_t errlen)
{
	struct vault	*v;
	struct stat	 st;
	unsigned char	 master[KEYLEN + 1], reason_key[KEYLEN], idem_key[KEYLEN];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "master key %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "master key %s: not a regular file", path);
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "master key %s: readable by group or others (chmod 600)", path);
		close(fd);
		return NULL;
	}
	/* As signer.c's ledger.key: a key file someone else owns, they can
	 * replace or read (a root daemon handed another user's file). */
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "master key %s: not owned by the user gatewayd runs as "
		    "(chown it)", path);
		close(fd);
		return NULL;
	}
	n = read(fd, master, sizeof(master));
	close(fd);
	if (n != KEYLEN) {
		OPENSSL_cleanse(master, sizeof(master));
		snprintf(err, errlen, "master key %s: must be exactly %d bytes", path, KEYLEN);
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		OPENSSL_cleanse(master, sizeof(master));
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((v->cache = keycache_new()) == NULL ||
	    hkdf(master, KEYLEN, "wrap family data keys v1", v->wrap_key) == -1 ||
	    hkdf(master, KEYLEN, "family pseudonym v1", v->pseudonym_key) == -1 ||
	    (v->pseudonym_mac = hmac_sha256_new(v->pseudonym_key)) == NULL ||
	    hkdf(master, KEYLEN, "erasure reason v1", reason_key) == -1 ||
	    (v->erasure_reason_mac = hmac_sha256_new(reason_key)) == NULL ||
	    hkdf(master, KEYLEN, "idempotency key v1", idem_key) == -1 ||
	    (v->idempotency_mac = hmac_sha256_new(idem_key)) == NULL) {
		OPENSSL_cleanse(master, sizeof(master));
		OPENSSL_cleanse(reason_key, sizeof(reason_key));
		OPENSSL_cleanse(idem_key, sizeof(idem_key));
		vault_free(v);
		snprintf(err, errlen, "key derivation failed");
		return NULL;
	}
	OPENSSL_cleanse(master, sizeof(master));
	OPENSSL_cleanse(reason_key, sizeof(reason_key));
	OPENSSL_cleanse(idem_key, sizeof(idem_key));
	return v;
}

void
vault_free(struct vault *v)
{
	if (v == NULL)
		return;
	EVP_MAC_CTX_free(v->pseudonym_mac);
	EVP_MAC_CTX_free(v->erasure_reason_mac);
	EVP_MAC_CTX_free(v->idempotency_mac);
	keycache_free(v->cache);
	OPENSSL_cleanse(v, sizeof(*v));
	free(v);
}

void
vault_pseudonym(const struct vault *v, const char *family_id, char out[65])
{
	unsigned char		mac[32];
	size_t			len = 0;
	EVP_MAC_CTX		*ctx;

	if ((ctx = EVP_MAC_CTX_dup(v->pseudonym_mac)) == NULL ||
	    EVP_MAC_update(ctx, (const unsigned char *)family_id, strlen(family_id)) != 1 ||
	    EVP_MAC_final(ctx, mac, &len, sizeof(mac)) != 1 || len != 32)
		abort();	/* out of memory: a pseudonym is never guessed */
	EVP_MAC_CTX_free(ctx);
	hex_encode(mac, 32, out);
}

/*
 * HMAC-SHA256 under the erasure-reason key of the pseudonym's length (8
 * bytes, big-endian), the pseudonym, and the reason. Keyed because the
 * erasure mark's record digest is in the ledger auditors and trustees
 * read, next to everything else it covers: a plain SHA-256 of a short
 * reason ("Family asked", a name) would be confirmed by guessing. The
 * pseudonym is covered so that one reason given for two families is not
 * seen to be the same.
 */
void
vault_erasure_reason_mac(const struct vault *v, const char *pseudonym, const char *reason,
    unsigned char out[32])
{
	unsigned char		len8[8];
	uint64_t		n = strlen(pseudonym);
	size_t			len = 0;
	EVP_MAC_CTX		*ctx;
	int			i;

	for (i = 7; i >= 0; i--, n >>= 8)
		len8[i] = (unsigned char)(n & 0xff);
	if ((ctx = EVP_MAC_CTX_dup(v->erasure_reason_mac)) == NULL ||
	    EVP_MAC_update(ctx, len8, sizeof(len8)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)pseudonym, strlen(pseudonym)) != 1 ||
	    EVP_MAC_update(ctx, (const unsigned char *)reason, strlen(reason)) != 1 ||
	    EVP_MAC_final(ctx, out, &len, 32) != 1 || len != 32)
		abort();	/* out of memory, as vault_pseudonym() */
	EVP_MAC_CTX_free(ctx);
}

/*
 * HMAC-SHA256 under the idempotency key of n parts, each preceded by its
 * length (8 bytes, big-endian), so that no two different lists of parts
 * are the same bytes ("ab","c" against "a","bc"). Keyed because the key a
 * client chose, its principal and its request's body must not be
 * recoverable, nor confirmable by guessing, from the store.
 */
void
vault_idempotency_mac(const struct vault *v, const struct vault_part *parts, size_t n,
    unsigned char out[32])
{
	unsigned char		len8[8];
	uint64_t		l;
	size_t			len = 0, k;
	EVP_MAC_CTX		*ctx;
	int			i, ok;

	if ((ctx = EVP_MAC_CTX_dup(v->idempotency_mac)) == NULL)
		abort();	/* out of memory, as vault_pseudonym() */
	ok = 1;
	for (k = 0; ok && k < n; k++) {
		for (i = 7, l = parts[k].len; i >= 0; i--, l >>= 8)
			len8[i] = (unsigned char)(l & 0xff);
		ok = EVP_MAC_update(ctx, len8, sizeof(len8)) == 1 &&
		    (parts[k].len == 0 || EVP_MAC_update(ctx, parts[k].p, parts[k].len) == 1);
	}
	if (!ok || EVP_MAC_final(ctx, out, &len, 32) != 1 || len != 32)
		abort();
	EVP_MAC_CTX_free(ctx);
}

int
vault_sealed_form(const unsigned char *ct, size_t ctlen)
{
	return ct != NULL && ctlen >= VAULT_SEALED_MIN && ct[0] == SEAL_VERSION;
}

/* AES-256-GCM, fetched from the provider once (EVP_aes_256_gcm() would
 * fetch it again on every EVP_*Init). Never freed: it lives as long as the
 * process, like the provider's own tables. */
static EVP_CIPHER	*gcm_cipher_p;
static pthread_once_t	 gcm_once = PTHREAD_ONCE_INIT;

static void
gcm_fetch(void)
{
	gcm_cipher_p = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *
gcm_cipher(void)
{
	pthread_once(&gcm_once, gcm_fetch);
	return gcm_cipher_p != NULL ? gcm_cipher_p : EVP_aes_256_gcm();
}

/* One value sealed through ctx (keyed already) under nonce: out =
 * version | nonce | ct | tag. 0 or -1. */
static int
seal_one(EVP_CIPHER_CTX *ctx, const unsigned char nonce[NONCELEN], const char *aad,
    const void *pt, size_t ptlen, unsigned char **out, size_t *outlen)
{
	unsigned char	*buf;
	int		 len;

	if (ptlen > (size_t)INT32_MAX - 64)
		return -1;
	if ((buf = malloc(1 + NONCELEN + ptlen + TAGLEN)) == NULL)
		return -1;
	buf[0] = SEAL_VERSION;
	memcpy(buf + 1, nonce, NONCELEN);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, buf + 1 + NONCELEN, &len, pt, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, buf + 1 + NONCELEN + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAGLEN, buf + 1 + NONCELEN + ptlen) != 1) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = 1 + NONCELEN + ptlen + TAGLEN;
	return 0;
}

/*
 * AES-256-GCM: each of n values (NULL pt: skipped, its ct stays NULL)
 * sealed under key with a random nonce of its own. One context keyed once
 * and one draw for every nonce (randpool.c): a disclosure seals three or
 * four values, and each RAND call and key schedule is a measurable share.
 * 0, or -1 with nothing allocated.
 */
static int
gcm_seal_n(const unsigned char key[KEYLEN], const char *aad, const struct vault_plain *v,
    size_t n)
{
	unsigned char	 nonces[VAULT_SEAL_MAX][NONCELEN];
	EVP_CIPHER_CTX	*ctx;
	size_t		 i;
	int		 ok;

	if (n == 0 || n > VAULT_SEAL_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		*v[i].ct = NULL;
		*v[i].ctlen = 0;
	}
	if (randpool_bytes(nonces[0], n * NONCELEN) != 0 || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	ok = EVP_EncryptInit_ex(ctx, gcm_cipher(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCELEN, NULL) == 1 &&
	    EVP_EncryptInit_ex(ctx, NULL, NULL, key, NULL) == 1;
	for (i = 0; ok && i < n; i++)
		if (v[i].pt != NULL &&
		    seal_one(ctx, nonces[i], aad, v[i].pt, v[i].len, v[i].ct, v[i].ctlen) != 0)
			ok = 0;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		for (i = 0; i < n; i++) {
			free(*v[i].ct);
			*v[i].ct = NULL;
			*v[i].ctlen = 0;
		}
		return -1;
	}
	return 0;
}

static int
gcm_seal(const unsigned char key[KEYLEN], const char *aad, const void *pt, size_t ptlen,
    unsigned char **out, size_t *outlen)
{
	return gcm_seal_n(key, aad, &(struct vault_plain){ pt, ptlen, out, outlen }, 1);
}

/* Opens a gcm_seal() value; the tag is always checked. *out has a NUL after
 * the plaintext. Caller must wipe_free() it. */
static int
gcm_open(const unsigned char key[KEYLEN], const char *aad, const unsigned char *in, size_t inlen,
    unsigned char **out, size_t *outlen)
{
	EVP_CIPHER_CTX	*ctx;
	unsigned char	*buf;
	size_t		 ctlen;
	int		 len, ok = 0;

	if (inlen < 1 + NONCELEN + TAGLEN || in[0] != SEAL_VERSION || inlen > (size_t)INT32_MAX)
		return -1;
	ctlen = inlen - 1 - NONCELEN - TAGLEN;
	if ((buf = malloc(ctlen + 1)) == NULL)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL) {
		free(buf);
		return -1;
	}
	if (EVP_DecryptInit_ex(ctx, gcm_cipher(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCELEN, NULL) == 1 &&
	    EVP_DecryptInit_ex(ctx, NULL, NULL, key, in + 1) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_DecryptUpdate(ctx, buf, &len, in + 1 + NONCELEN, (int)ctlen) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAGLEN,
	    (void *)(in + 1 + NONCELEN + ctlen)) == 1 &&
	    EVP_DecryptFinal_ex(ctx, buf + len, &len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		wipe_free(buf);	/* what was decrypted before the tag failed */
		return -1;
	}
	buf[ctlen] = '\0';
	*out = buf;
	*outlen = ctlen;
	return 0;
}

void
vault_committed(void *arg)
{
	struct vault	*v = arg;

	keycache_committed(v->cache);
}

/* Loads (0), reports destroyed (1) or absent (2) the family's data key; -1 error. */
static int
family_key(struct vault *v, struct store_conn *c, const char *pseudonym,
    unsigned char key[KEYLEN])
{
	unsigned char	*wrapped = NULL, *raw = NULL;
	size_t		 wlen = 0, rawlen = 0;
	uint64_t	 ticket = KEYCACHE_NO_TICKET;
	int		 rc;

	if (keycache_get(v->cache, pseudonym, key))
		return 0;
	/* Before the read: its snapshot starts after the ticket. */
	if (store_conn_fresh_reads(c))
		ticket = keycache_ticket(v->cache);
	if ((rc = store_family_key_get(c, pseudonym, &wrapped, &wlen)) != 0)
		return rc;
	rc = gcm_open(v->wrap_key, pseudonym, wrapped, wlen, &raw, &rawlen);
	free(wrapped);
	if (rc == -1 || rawlen != KEYLEN) {
		wipe_free(raw);
		log_errx("family key failed to unwrap (wrong master key or tampering)");
		return -1;
	}
	memcpy(key, raw, KEYLEN);
	wipe_free(raw);
	keycache_put(v->cache, pseudonym, key, ticket);
	return 0;
}

static int
family_key_create(struct vault *v, struct store_conn *c, const char *pseudonym,
    unsigned char key[KEYLEN])
{
	unsigned char	*wrapped;
	size_t		 wlen;
	int		 rc;

	if (RAND_bytes(key, KEYLEN) != 1)
		return -1;
	if (gcm_seal(v->wrap_key, pseudonym, key, KEYLEN, &wrapped, &wlen) == -1)
		return -1;
	rc = store_family_key_put(c, pseudonym, wrapped, wlen, store_now_us());
	free(wrapped);
	return rc;
}

int
vault_seal(struct vault *v, struct store_conn *c, const char *pseudonym,
    const void *pt, size_t ptlen, unsigned char **ct, size_t *ctlen)
{
	struct vault_key	k;
	int			rc;

	if ((rc = vault_key_get(v, c, pseudonym, 1, &k)) != 0)
		return rc;
	rc = gcm_seal(k.key, k.pseudonym, pt, ptlen, ct, ctlen);
	vault_key_clear(&k);
	return rc;
}

int
vault_seal_str(struct vault *v, struct store_conn *c, const char *pseudonym, const char *s,
    unsigned char **ct, size_t *ctlen)
{
	*ct = NULL;
	*ctlen = 0;
	if (s == NULL)
		return 0;
	return vault_seal(v, c, pseudonym, s, strlen(s), ct, ctlen);
}

int
vault_key_get(struct vault *v, struct store_conn *c, const char *pseudonym, int create,
    struct vault_key *k)
{
	int	rc;

	memset(k, 0, sizeof(*k));
	/* The name is every seal's AAD: never truncate it. */
	if (strlen(pseudonym) >= sizeof(k->pseudonym))
		return -1;
	rc = family_key(v, c, pseudonym, k->key);
	if (rc == 2 && create)
		rc = family_key_create(v, c, pseudonym, k->key);
	if (rc != 0) {
		OPENSSL_cleanse(k, sizeof(*k));
		return rc;
	}
	memcpy(k->pseudonym, pseudonym, strlen(pseudonym) + 1);
	return 0;
}

int
vault_key_cached(struct vault *v, const char *pseudonym, struct vault_key *k)
{
	memset(k, 0, sizeof(*k));
	if (strlen(pseudonym) >= sizeof(k->pseudonym) || !keycache_get(v->cache, pseudonym, k->key))
		return 0;
	memcpy(k->pseudonym, pseudonym, strlen(pseudonym) + 1);
	return 1;
}

int
vault_key_seal_many(const struct vault_key *k, const struct vault_plain *v, size_t n)
{
	return gcm_seal_n(k->key, k->pseudonym, v, n);
}

int
vault_key_same(const struct vault_key *a, const struct vault_key *b)
{
	return CRYPTO_memcmp(a->key, b->key, sizeof(a->key)) == 0 &&
	    strcmp(a->pseudonym, b->pseudonym) == 0;
}

void
vault_key_clear(struct vault_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

int
vault_unseal(struct vault *v, struct store_conn *c, const char *pseudonym,
    const unsigned char *ct, size_t ctlen, char **pt, size_t *ptlen)
{
	unsigned char	 key[KEYLEN];
	unsigned char	*out;
	int		 rc;

	rc = family_key(v, c, pseudonym, key);
	if (rc == 2)
		rc = -1;	/* sealed data but no key row: corruption */
	if (rc != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		return rc;
	}
	rc = gcm_open(key, pseudonym, ct, ctlen, &out, ptlen);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc == 0)
		*pt = (char *)out;
	return rc;
}

/*
 * HMAC-SHA256 of a body under a key derived (HKDF, info "delivery receipt
 * v1") from the family's data key. What the gateway keeps as the receipt
 * of a body delivered to an agency (deliveries.body_sha256, the ledger's
 * delivery entries): the body holds the family's decrypted values and its
 * other members are plain columns of the disclosure row, so a plain
 * SHA-256 of it would let anyone with the store or the ledger confirm a
 * guessed value by hashing candidate bodies. Under a key of the family's
 * own, the receipt can be recomputed only while that family's key exists:
 * once it is destroyed (erasure, retention) nothing kept confirms a value.
 */
int
vault_receipt_mac(struct vault *v, struct store_conn *c, const char *pseudonym,
    const void *body, size_t len, unsigned char out[32])
{
	unsigned char	 key[KEYLEN], rkey[KEYLEN];
	size_t		 outlen = 0;
	int		 rc;

	rc = family_key(v, c, pseudonym, key);
	if (rc == 2)
		rc = -1;	/* a body of sealed data but no key row: corruption */
	if (rc != 0) {
		OPENSSL_cleanse(key, sizeof(key));
		return rc;
	}
	rc = hkdf(key, KEYLEN, "delivery receipt v1", rkey) == 0 &&
	    EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, rkey, KEYLEN, body, len, out, 32,
	    &outlen) != NULL && outlen == 32 ? 0 : -1;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(rkey, sizeof(rkey));
	return rc;
}

int
vault_unseal_str(struct vault *v, struct store_conn *c, const char *pseudonym,
    const unsigned char *ct, size_t ctlen, char **out, int *erased)
{
	size_t	len;
	int	rc;

	*out = NULL;
	if (ct == NULL)
		return 0;
	rc = vault_unseal(v, c, pseudonym, ct, ctlen, out, &len);
	if (rc == 1) {
		*erased = 1;
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

int
vault_destroy(struct vault *v, struct store_conn *c, const char *pseudonym, int64_t now_us)
{
	keycache_drop(v->cache, pseudonym);
	return store_family_key_destroy(c, pseudonym, now_us);
}
