/*
 * merkle.c: RFC 6962 / RFC 9162 Merkle trees (see merkle.h for the model).
 *
 * Node (k, i) is the root of the complete subtree over leaves
 * [i * 2^k, (i + 1) * 2^k). Level 0 is the leaves. An append walks up while
 * the new node is a right child, hashing it with its left sibling taken from
 * the frontier (frontier[k] is the newest even-indexed node of level k, which
 * is exactly the left sibling a right child needs, and for every set bit k
 * of the size, the subtree of that bit). Kept levels store every node; a
 * node below them is recomputed from its leaves: from memory when they are
 * held (every leaf, or a sourced tree's last block), otherwise from the
 * block read through the source, which is first hashed and compared with
 * the block's kept node (struct walk caches one block per call).
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

/* lv[0] holds the leaves from index tail_lo on: all of them (tail_lo 0)
 * unless sourced, when a new block's first leaf drops the previous ones. */
struct merkle_tree {
	uint64_t		 size;
	struct level		 lv[LEVELS];
	merkle_hash		 frontier[LEVELS];
	struct merkle_hasher	*hs;		/* for appends only */
	int			 sourced;
	struct merkle_leaf_source src;
	uint64_t		 tail_lo;
};

/* One read-side call's scratch: its hasher and the last block read. */
struct walk {
	const struct merkle_tree *t;
	struct merkle_hasher	*hs;
	uint64_t		 block;		/* index of leaves[]' block; UINT64_MAX none */
	merkle_hash		 leaves[MERKLE_BLOCK];
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

struct merkle_tree *
merkle_tree_new_sourced(const struct merkle_leaf_source *src)
{
	struct merkle_tree	*t;

	if (src == NULL || src->read == NULL || (t = merkle_tree_new()) == NULL)
		return NULL;
	t->sourced = 1;
	t->src = *src;
	return t;
}

size_t
merkle_tree_bytes(const struct merkle_tree *t)
{
	size_t	n = sizeof(*t);

	for (int k = 0; k < LEVELS; k++)
		n += (size_t)t->lv[k].cap * MERKLE_HASH_LEN;
	return n;
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
	return k == 0 || k >= MERKLE_FIRST_KEPT;	/* level 0 from tail_lo on */
}

/* Makes room for one more hash in level k. 0 or -1. */
static int
reserve(struct level *l)
{
	unsigned char	*h;
	uint64_t	 cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 64;
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
	/* A sourced tree's first leaf of a block: the last block's leaves
	 * are complete, hashed into its kept node, and read back when needed. */
	if (t->sourced && t->size % MERKLE_BLOCK == 0) {
		t->lv[0].n = 0;
		t->tail_lo = t->size;
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

/* MTH of n = 2^k consecutive leaves (n <= MERKLE_BLOCK): n - 1 hashes. */
static int
subtree(struct merkle_hasher *hs, const merkle_hash *leaves, uint64_t n, merkle_hash out)
{
	merkle_hash	buf[MERKLE_BLOCK / 2];
	uint64_t	i, m;

	if (n == 1) {
		memcpy(out, leaves[0], MERKLE_HASH_LEN);
		return 0;
	}
	for (i = 0; i < n / 2; i++)
		if (merkle_hash_children(hs, leaves[2 * i], leaves[2 * i + 1], buf[i]) != 0)
			return -1;
	for (m = n / 2; m > 1; m /= 2)
		for (i = 0; i < m / 2; i++)
			if (merkle_hash_children(hs, buf[2 * i], buf[2 * i + 1], buf[i]) != 0)
				return -1;
	memcpy(out, buf[0], MERKLE_HASH_LEN);
	return 0;
}

/* Reads complete block b through the source into w->leaves unless it is
 * there already, and checks it against the block's kept node. 0 or -1. */
static int
load_block(struct walk *w, uint64_t b)
{
	const struct merkle_tree	*t = w->t;
	merkle_hash			 h;

	if (w->block == b)
		return 0;
	w->block = UINT64_MAX;
	if (t->src.read(t->src.arg, b * MERKLE_BLOCK, MERKLE_BLOCK, w->leaves) != 0 ||
	    subtree(w->hs, w->leaves, MERKLE_BLOCK, h) != 0 ||
	    memcmp(h, t->lv[MERKLE_FIRST_KEPT].h + b * MERKLE_HASH_LEN, MERKLE_HASH_LEN) != 0)
		return -1;
	w->block = b;
	return 0;
}

/* The n leaves from index lo, which lie in one block: from memory or from
 * the block read. NULL on a failed or mismatched read. */
static const merkle_hash *
leaves_at(struct walk *w, uint64_t lo)
{
	const struct merkle_tree	*t = w->t;

	if (lo >= t->tail_lo)
		return (const merkle_hash *)(t->lv[0].h + (lo - t->tail_lo) * MERKLE_HASH_LEN);
	if (load_block(w, lo / MERKLE_BLOCK) != 0)
		return NULL;
	return (const merkle_hash *)w->leaves[lo % MERKLE_BLOCK];
}

/* Hash of complete node (k, i); the caller guarantees (i + 1) << k <= size. */
static int
node(struct walk *w, unsigned k, uint64_t i, merkle_hash out)
{
	const merkle_hash	*leaves;

	if (k >= MERKLE_FIRST_KEPT) {
		memcpy(out, w->t->lv[k].h + i * MERKLE_HASH_LEN, MERKLE_HASH_LEN);
		return 0;
	}
	if ((leaves = leaves_at(w, i << k)) == NULL)
		return -1;
	return subtree(w->hs, leaves, (uint64_t)1 << k, out);
}

static struct walk *
walk_new(const struct merkle_tree *t)
{
	struct walk	*w;

	if ((w = malloc(sizeof(*w))) == NULL)
		return NULL;
	if ((w->hs = merkle_hasher_new()) == NULL) {
		free(w);
		return NULL;
	}
	w->t = t;
	w->block = UINT64_MAX;
	return w;
}

static void
walk_free(struct walk *w)
{
	if (w == NULL)
		return;
	merkle_hasher_free(w->hs);
	free(w);
}

int
merkle_tree_leaf(const struct merkle_tree *t, uint64_t index, merkle_hash out)
{
	struct walk	*w;
	int		 rc;

	if (index >= t->size)
		return -1;
	if (index >= t->tail_lo) {
		memcpy(out, t->lv[0].h + (index - t->tail_lo) * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN);
		return 0;
	}
	if ((w = walk_new(t)) == NULL)
		return -1;
	rc = node(w, 0, index, out);
	walk_free(w);
	return rc;
}

int
merkle_tree_leaves(const struct merkle_tree *t, uint64_t first, size_t n, merkle_hash *out)
{
	const merkle_hash	*leaves;
	struct walk		*w = NULL;
	uint64_t		 index;
	int			 rc = 0;

	if (first > t->size || n > t->size - first)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		index = first + i;
		if (index >= t->tail_lo) {
			memcpy(out[i], t->lv[0].h + (index - t->tail_lo) * MERKLE_HASH_LEN,
			    MERKLE_HASH_LEN);
			continue;
		}
		/* One walk: each block is read and checked once. */
		if (w == NULL && (w = walk_new(t)) == NULL)
			return -1;
		if ((leaves = leaves_at(w, index)) == NULL)
			rc = -1;
		else
			memcpy(out[i], leaves[0], MERKLE_HASH_LEN);
	}
	walk_free(w);
	return rc;
}

int
merkle_tree_block_is(const struct merkle_tree *t, struct merkle_hasher *hs, uint64_t first,
    size_t n, const merkle_hash *leaves)
{
	merkle_hash	h;
	uint64_t	b = first / MERKLE_BLOCK;

	if (first % MERKLE_BLOCK != 0 || first > t->size || n > t->size - first || n == 0 ||
	    n > MERKLE_BLOCK)
		return -1;
	if (n == MERKLE_BLOCK) {
		/* Complete: its kept node, no read through the source. */
		if (subtree(hs, leaves, MERKLE_BLOCK, h) != 0)
			return -1;
		return memcmp(h, t->lv[MERKLE_FIRST_KEPT].h + b * MERKLE_HASH_LEN,
		    MERKLE_HASH_LEN) == 0;
	}
	/* Leaves of the last, incomplete block: in memory. */
	if (first < t->tail_lo)
		return -1;
	return memcmp(leaves, t->lv[0].h + (first - t->tail_lo) * MERKLE_HASH_LEN,
	    n * MERKLE_HASH_LEN) == 0;
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t
split(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

/* MTH(D[lo:hi]) for 0 <= lo < hi <= size (RFC 9162 2.1.1). */
static int
range_hash(struct walk *w, uint64_t lo, uint64_t hi, merkle_hash out)
{
	merkle_hash	l, r;
	uint64_t	n = hi - lo, k;

	if ((n & (n - 1)) == 0 && lo % n == 0)
		return node(w, (unsigned)__builtin_ctzll(n), lo / n, out);
	k = split(n);
	if (range_hash(w, lo, lo + k, l) != 0 || range_hash(w, lo + k, hi, r) != 0)
		return -1;
	return merkle_hash_children(w->hs, l, r, out);
}

int
merkle_tree_root(const struct merkle_tree *t, uint64_t size, merkle_hash out)
{
	struct walk	*w;
	int		 rc;

	if (size > t->size)
		return -1;
	if (size == 0)
		return merkle_hash_empty(out);
	if ((w = walk_new(t)) == NULL)
		return -1;
	rc = range_hash(w, 0, size, out);
	walk_free(w);
	return rc;
}

struct proof_out {
	merkle_hash	*h;
	size_t		 max;
	size_t		 n;
};

static int
proof_add(struct walk *w, struct proof_out *po, uint64_t lo, uint64_t hi)
{
	if (po->n >= po->max)
		return -1;
	if (range_hash(w, lo, hi, po->h[po->n]) != 0)
		return -1;
	po->n++;
	return 0;
}

/* PATH(m, D[lo:hi]), m relative to lo: the deeper part first, so the proof
 * runs from the leaf's sibling up to the root's child. */
static int
path(struct walk *w, struct proof_out *po, uint64_t m, uint64_t lo, uint64_t hi)
{
	uint64_t	k;

	if (hi - lo <= 1)
		return 0;
	k = split(hi - lo);
	if (m < k)
		return path(w, po, m, lo, lo + k) == 0 ? proof_add(w, po, lo + k, hi) : -1;
	return path(w, po, m - k, lo + k, hi) == 0 ? proof_add(w, po, lo, lo + k) : -1;
}

/* SUBPROOF(m, D[lo:hi], b), m relative to lo. */
static int
subproof(struct walk *w, struct proof_out *po, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
	uint64_t	k;

	if (m == hi - lo)
		return b ? 0 : proof_add(w, po, lo, hi);
	k = split(hi - lo);
	if (m <= k)
		return subproof(w, po, m, lo, lo + k, b) == 0 ?
		    proof_add(w, po, lo + k, hi) : -1;
	return subproof(w, po, m - k, lo + k, hi, 0) == 0 ?
	    proof_add(w, po, lo, lo + k) : -1;
}

int
merkle_tree_inclusion(const struct merkle_tree *t, uint64_t index, uint64_t size,
    merkle_hash *proof, size_t max, size_t *n)
{
	struct proof_out	 po = { proof, max, 0 };
	struct walk		*w;
	int			 rc;

	*n = 0;
	if (index >= size || size > t->size)
		return -1;
	if ((w = walk_new(t)) == NULL)
		return -1;
	rc = path(w, &po, index, 0, size);
	walk_free(w);
	*n = rc == 0 ? po.n : 0;
	return rc;
}

int
merkle_tree_consistency(const struct merkle_tree *t, uint64_t size1, uint64_t size2,
    merkle_hash *proof, size_t max, size_t *n)
{
	struct proof_out	 po = { proof, max, 0 };
	struct walk		*w;
	int			 rc;

	*n = 0;
	if (size1 > size2 || size2 > t->size)
		return -1;
	if (size1 == 0 || size1 == size2)
		return 0;
	if ((w = walk_new(t)) == NULL)
		return -1;
	rc = subproof(w, &po, size1, 0, size2, 1);
	walk_free(w);
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
