/*
 * merkle.c: RFC 6962 / RFC 9162 Merkle trees (see merkle.h for the model).
 *
 * Node (k, i) is the root of the complete subtree over leaves
 * [i * 2^k, (i + 1) * 2^k). Level 0 is the leaves. An append walks up while
 * the new node is a right child, hashing it with its left sibling taken from
 * the frontier (frontier[k] is the newest even-indexed node of level k, which
 * is exactly the left sibling a right child needs, and for every set bit k
 * of the size, the subtree of that bit). Kept levels store every node; the
 * others are recomputed from the level below when a proof needs them.
 *
 * Proof generation follows the recursive definitions of RFC 9162 2.1.3.1 and
 * 2.1.4.1 over [lo, hi) ranges, and verification the iterative algorithms of
 * 2.1.3.2 and 2.1.4.2, so either side can be checked against the RFC text.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "merkle.h"

#define LEVELS	64

struct merkle_hasher {
	EVP_MD		*md;
	EVP_MD_CTX	*ctx;
};

struct level {
	unsigned char	*h;		/* n hashes, MERKLE_HASH_LEN bytes each */
	uint64_t	 n;
	uint64_t	 cap;
};

struct merkle_tree {
	uint64_t		 size;
	struct level		 lv[LEVELS];
	merkle_hash		 frontier[LEVELS];
	struct merkle_hasher	*hs;		/* for appends only */
};

struct merkle_hasher *
merkle_hasher_new(void)
{
	struct merkle_hasher	*hs;

	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return NULL;
	hs->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	hs->ctx = EVP_MD_CTX_new();
	if (hs->md == NULL || hs->ctx == NULL) {
		merkle_hasher_free(hs);
		return NULL;
	}
	return hs;
}

void
merkle_hasher_free(struct merkle_hasher *hs)
{
	if (hs == NULL)
		return;
	EVP_MD_CTX_free(hs->ctx);
	EVP_MD_free(hs->md);
	free(hs);
}

/* SHA-256(prefix || a || b). */
static int
digest(struct merkle_hasher *hs, unsigned char prefix, const void *a, size_t alen,
    const void *b, size_t blen, merkle_hash out)
{
	struct merkle_hasher	*tmp = NULL;
	unsigned int		 len = 0;
	int			 ok;

	if (hs == NULL && (hs = tmp = merkle_hasher_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex2(hs->ctx, hs->md, NULL) == 1 &&
	    EVP_DigestUpdate(hs->ctx, &prefix, 1) == 1 &&
	    (alen == 0 || EVP_DigestUpdate(hs->ctx, a, alen) == 1) &&
	    (blen == 0 || EVP_DigestUpdate(hs->ctx, b, blen) == 1) &&
	    EVP_DigestFinal_ex(hs->ctx, out, &len) == 1 && len == MERKLE_HASH_LEN;
	merkle_hasher_free(tmp);
	return ok ? 0 : -1;
}

int
merkle_hash_leaf(struct merkle_hasher *hs, const void *data, size_t len, merkle_hash out)
{
	return digest(hs, 0x00, data, len, NULL, 0, out);
}

int
merkle_hash_children(struct merkle_hasher *hs, const merkle_hash l, const merkle_hash r,
    merkle_hash out)
{
	return digest(hs, 0x01, l, MERKLE_HASH_LEN, r, MERKLE_HASH_LEN, out);
}

int
merkle_hash_empty(merkle_hash out)
{
	unsigned int	len = 0;

	if (EVP_Digest("", 0, out, &len, EVP_sha256(), NULL) != 1 || len != MERKLE_HASH_LEN)
		return -1;
	return 0;
}

struct merkle_tree *
merkle_tree_new(void)
{
	struct merkle_tree	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->hs = merkle_hasher_new()) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void
merkle_tree_free(struct merkle_tree *t)
{
	if (t == NULL)
		return;
	for (int k = 0; k < LEVELS; k++)
		free(t->lv[k].h);
	merkle_hasher_free(t->hs);
	free(t);
}

uint64_t
merkle_tree_size(const struct merkle_tree *t)
{
	return t->size;
}

static int
kept(unsigned k)
{
	return k == 0 || k >= MERKLE_FIRST_KEPT;
}

/* Makes room for one more hash in level k. 0 or -1. */
static int
reserve(struct level *l)
{
	unsigned char	*h;
	uint64_t	 cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 1024;
	if (cap > SIZE_MAX / MERKLE_HASH_LEN)
		return -1;
	if ((h = realloc(l->h, (size_t)cap * MERKLE_HASH_LEN)) == NULL)
		return -1;
	l->h = h;
	l->cap = cap;
	return 0;
}

int
merkle_tree_append(struct merkle_tree *t, const merkle_hash leaf_hash)
{
	merkle_hash	path[LEVELS];
	uint64_t	idx = t->size;
	unsigned	top = 0, k;

	if (t->size == UINT64_MAX)
		return -1;
	/* path[k]: the new node of level k; it exists up to the first level
	 * where it is a left child. Compute everything before changing t. */
	memcpy(path[0], leaf_hash, MERKLE_HASH_LEN);
	while (idx & 1) {
		if (merkle_hash_children(t->hs, t->frontier[top], path[top], path[top + 1]) != 0)
			return -1;
		idx >>= 1;
		top++;
	}
	for (k = 0; k <= top; k++)
		if (kept(k) && reserve(&t->lv[k]) != 0)
			return -1;
	for (k = 0; k <= top; k++) {
		if (kept(k)) {
			memcpy(t->lv[k].h + t->lv[k].n * MERKLE_HASH_LEN, path[k], MERKLE_HASH_LEN);
			t->lv[k].n++;
		}
	}
	memcpy(t->frontier[top], path[top], MERKLE_HASH_LEN);
	t->size++;
	return 0;
}

int
merkle_tree_leaf(const struct merkle_tree *t, uint64_t index, merkle_hash out)
{
	if (index >= t->size)
		return -1;
	memcpy(out, t->lv[0].h + index * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
	return 0;
}

/* Hash of complete node (k, i); the caller guarantees (i + 1) << k <= size. */
static int
node(const struct merkle_tree *t, struct merkle_hasher *hs, unsigned k, uint64_t i,
    merkle_hash out)
{
	merkle_hash	l, r;

	if (kept(k)) {
		memcpy(out, t->lv[k].h + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
		return 0;
	}
	if (node(t, hs, k - 1, 2 * i, l) != 0 || node(t, hs, k - 1, 2 * i + 1, r) != 0)
		return -1;
	return merkle_hash_children(hs, l, r, out);
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[lo:hi]) for 0 <= lo < hi <= size (RFC 9162 2.1.1). */
static int
range_hash(const struct merkle_tree *t, struct merkle_hasher *hs, uint64_t lo, uint64_t hi,
    merkle_hash out)
{
	merkle_hash	l, r;
	uint64_t	n = hi - lo, k;

	if ((n & (n - 1)) == 0 && lo % n == 0)
		return node(t, hs, (unsigned)__builtin_ctzll(n), lo / n, out);
	k = split(n);
	if (range_hash(t, hs, lo, lo + k, l) != 0 || range_hash(t, hs, lo + k, hi, r) != 0)
		return -1;
	return merkle_hash_children(hs, l, r, out);
}

int
merkle_tree_root(const struct merkle_tree *t, uint64_t size, merkle_hash out)
{
	struct merkle_hasher	*hs;
	int			 rc;

	if (size > t->size)
		return -1;
	if (size == 0)
		return merkle_hash_empty(out);
	if ((hs = merkle_hasher_new()) == NULL)
		return -1;
	rc = range_hash(t, hs, 0, size, out);
	merkle_hasher_free(hs);
	return rc;
}

struct proof_out {
	merkle_hash	*h;
	size_t		 max;
	size_t		 n;
};

static int
proof_add(const struct merkle_tree *t, struct merkle_hasher *hs, struct proof_out *po,
    uint64_t lo, uint64_t hi)
{
	if (po->n >= po->max)
		return -1;
	if (range_hash(t, hs, lo, hi, po->h[po->n]) != 0)
		return -1;
	po->n++;
	return 0;
}

/* PATH(m, D[lo:hi]), m relative to lo: the deeper part first, so the proof
 * runs from the leaf's sibling up to the root's child. */
static int
path(const struct merkle_tree *t, struct merkle_hasher *hs, struct proof_out *po,
    uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t	k;

	if (hi - lo <= 1)
		return 0;
	k = split(hi - lo);
	if (m < k)
		return path(t, hs, po, m, lo, lo + k) == 0 ?
		    proof_add(t, hs, po, lo + k, hi) : -1;
	return path(t, hs, po, m - k, lo + k, hi) == 0 ?
	    proof_add(t, hs, po, lo, lo + k) : -1;
}

/* SUBPROOF(m, D[lo:hi], b), m relative to lo. */
static int
subproof(const struct merkle_tree *t, struct merkle_hasher *hs, struct proof_out *po,
    uint64_t m, uint64_t lo, uint64_t hi, int b)
{
	uint64_t	k;

	if (m == hi - lo)
		return b ? 0 : proof_add(t, hs, po, lo, hi);
	k = split(hi - lo);
	if (m <= k)
		return subproof(t, hs, po, m, lo, lo + k, b) == 0 ?
		    proof_add(t, hs, po, lo + k, hi) : -1;
	return subproof(t, hs, po, m - k, lo + k, hi, 0) == 0 ?
	    proof_add(t, hs, po, lo, lo + k) : -1;
}

int
merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index, uint64_t size,
    merkle_hash *proof, size_t max, size_t *n)
{
	struct proof_out	 po = { proof, max, 0 };
	struct merkle_hasher	*hs;
	int			 rc;

	*n = 0;
	if (index >= size || size > t->size)
		return -1;
	if ((hs = merkle_hasher_new()) == NULL)
		return -1;
	rc = path(t, hs, &po, index, 0, size);
	merkle_hasher_free(hs);
	*n = rc == 0 ? po.n : 0;
	return rc;
}

int
merkle_tree_consistency(const struct merkle_tree *t, uint64_t size1, uint64_t size2,
    merkle_hash *proof, size_t max, size_t *n)
{
	struct proof_out	 po = { proof, max, 0 };
	struct merkle_hasher	*hs;
	int			 rc;

	*n = 0;
	if (size1 > size2 || size2 > t->size)
		return -1;
	if (size1 == 0 || size1 == size2)
		return 0;
	if ((hs = merkle_hasher_new()) == NULL)
		return -1;
	rc = subproof(t, hs, &po, size1, 0, size2, 1);
	merkle_hasher_free(hs);
	*n = rc == 0 ? po.n : 0;
	return rc;
}

static int
same(const merkle_hash a, const merkle_hash b)
{
	return memcmp(a, b, MERKLE_HASH_LEN) == 0;
}

int
merkle_verify_inclusion(uint64_t index, uint64_t size, const merkle_hash leaf_hash,
    const merkle_hash *proof, size_t n, const merkle_hash root)
{
	struct merkle_hasher	*hs;
	merkle_hash		 r;
	uint64_t		 fn = index, sn;
	int			 rc = 1;

	if (index >= size || n > MERKLE_MAX_PROOF)
		return 1;
	if ((hs = merkle_hasher_new()) == NULL)
		return -1;
	sn = size - 1;
	memcpy(r, leaf_hash, MERKLE_HASH_LEN);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			goto out;
		if ((fn & 1) || fn == sn) {
			if (merkle_hash_children(hs, proof[i], r, r) != 0)
				goto fail;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (merkle_hash_children(hs, r, proof[i], r) != 0)
			goto fail;
		fn >>= 1;
		sn >>= 1;
	}
	rc = (sn == 0 && same(r, root)) ? 0 : 1;
out:
	merkle_hasher_free(hs);
	return rc;
fail:
	merkle_hasher_free(hs);
	return -1;
}

int
merkle_verify_consistency(uint64_t size1, uint64_t size2, const merkle_hash root1,
    const merkle_hash root2, const merkle_hash *proof, size_t n)
{
	struct merkle_hasher	*hs;
	merkle_hash		 fr, sr;
	const unsigned char	*c;
	uint64_t		 fn, sn;
	size_t			 i;
	int			 rc = 1;

	if (size1 > size2 || n > MERKLE_MAX_PROOF)
		return 1;
	if (size1 == size2)
		return (n == 0 && same(root1, root2)) ? 0 : 1;
	if (size1 == 0)
		return n == 0 ? 0 : 1;
	if (n == 0)
		return 1;
	if ((hs = merkle_hasher_new()) == NULL)
		return -1;
	/* When size1 is a power of two, the proof starts implicitly with root1. */
	i = 0;
	if ((size1 & (size1 - 1)) == 0)
		c = root1;
	else
		c = proof[i++];
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, c, MERKLE_HASH_LEN);
	memcpy(sr, c, MERKLE_HASH_LEN);
	for (; i < n; i++) {
		c = proof[i];
		if (sn == 0)
			goto out;
		if ((fn & 1) || fn == sn) {
			if (merkle_hash_children(hs, c, fr, fr) != 0 ||
			    merkle_hash_children(hs, c, sr, sr) != 0)
				goto fail;
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else if (merkle_hash_children(hs, sr, c, sr) != 0)
			goto fail;
		fn >>= 1;
		sn >>= 1;
	}
	rc = (sn == 0 && same(fr, root1) && same(sr, root2)) ? 0 : 1;
out:
	merkle_hasher_free(hs);
	return rc;
fail:
	merkle_hasher_free(hs);
	return -1;
}
