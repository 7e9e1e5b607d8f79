/*
 * merkle.h: RFC 6962 / RFC 9162 Merkle tree hashing, tree heads, inclusion
 * and consistency proofs (generation and verification). Pure: no I/O, SHA-256
 * through OpenSSL's EVP.
 *
 *   leaf hash = SHA-256(0x00 || data)
 *   node hash = SHA-256(0x01 || left || right)
 *   MTH({})   = SHA-256()  (the empty tree)
 *
 * struct merkle_tree is an append-only, in-memory tree. It keeps the leaf
 * hashes and the hashes of complete subtrees at levels >= MERKLE_FIRST_KEPT
 * (levels 1..MERKLE_FIRST_KEPT-1 are recomputed on demand from the leaves, at
 * most 2^MERKLE_FIRST_KEPT - 1 hashes per node), plus the right-edge frontier
 * (one node per level). So:
 *   - append is amortised O(1) hashes, O(log n) worst case;
 *   - the current root costs O(log n) hashes, the root at any past size
 *     O(log n) node reads;
 *   - a proof for any (index, size) costs O(log^2 n) node reads at most;
 *   - memory is about 1.07 * 32 bytes per leaf (34 MB for a million).
 * Keeping the nodes in memory rather than reading them back through a
 * callback keeps proofs off the database and makes them microseconds; the
 * cost is memory proportional to the ledger, which is small for this use.
 *
 * A tree is not thread-safe: callers serialise appends against readers.
 */
#ifndef MERKLE_H
#define MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASH_LEN		32
/* Longest proof any 64-bit tree size can need (inclusion <= 64, consistency <= 65). */
#define MERKLE_MAX_PROOF	66
#define MERKLE_FIRST_KEPT	4

typedef unsigned char merkle_hash[MERKLE_HASH_LEN];

/* A reusable SHA-256 context for hashing many leaves quickly. */
struct merkle_hasher;

/* NULL on allocation failure. Free with merkle_hasher_free (NULL ok). */
struct merkle_hasher	*merkle_hasher_new(void);
void			 merkle_hasher_free(struct merkle_hasher *);
/* Leaf hash of data. hs may be NULL (a one-shot context is used). 0 or -1. */
int	merkle_hash_leaf(struct merkle_hasher *hs, const void *data, size_t len,
	    merkle_hash out);
/* Interior node hash. hs may be NULL. out may alias l or r. 0 or -1. */
int	merkle_hash_children(struct merkle_hasher *hs, const merkle_hash l,
	    const merkle_hash r, merkle_hash out);
/* Root of the empty tree, SHA-256 of nothing. 0 or -1. */
int	merkle_hash_empty(merkle_hash out);

struct merkle_tree;

/* A new empty tree. NULL on allocation failure. */
struct merkle_tree	*merkle_tree_new(void);
void			 merkle_tree_free(struct merkle_tree *);
uint64_t		 merkle_tree_size(const struct merkle_tree *);
/* Appends one leaf by its leaf hash. 0, or -1 (allocation/hash failure:
 * the tree is unchanged). */
int	merkle_tree_append(struct merkle_tree *, const merkle_hash leaf_hash);
/* Leaf hash at index (< size). 0, or -1 if out of range. */
int	merkle_tree_leaf(const struct merkle_tree *, uint64_t index, merkle_hash out);
/* Tree head MTH(D[0:size]) for any size <= current size. 0, or -1. */
int	merkle_tree_root(const struct merkle_tree *, uint64_t size, merkle_hash out);
/* Inclusion proof (RFC 9162 2.1.3.1) of leaf index in the tree of the given
 * size (index < size <= current size). Writes up to max hashes to proof and
 * their count to *n. 0, or -1 (bad arguments, max too small, hash failure). */
int	merkle_tree_inclusion(const struct merkle_tree *, uint64_t index, uint64_t size,
	    merkle_hash *proof, size_t max, size_t *n);
/* Consistency proof (RFC 9162 2.1.4.1) between sizes size1 <= size2 <=
 * current size. Empty when size1 == 0 or size1 == size2. 0 or -1. */
int	merkle_tree_consistency(const struct merkle_tree *, uint64_t size1, uint64_t size2,
	    merkle_hash *proof, size_t max, size_t *n);

/* Verifies an inclusion proof (RFC 9162 2.1.3.2). 0 valid, 1 invalid, -1
 * hash failure. */
int	merkle_verify_inclusion(uint64_t index, uint64_t size, const merkle_hash leaf_hash,
	    const merkle_hash *proof, size_t n, const merkle_hash root);
/* Verifies a consistency proof (RFC 9162 2.1.4.2). size1 == 0 is consistent
 * with anything given an empty proof; size1 == size2 needs an empty proof and
 * equal roots. 0 valid, 1 invalid, -1 hash failure. */
int	merkle_verify_consistency(uint64_t size1, uint64_t size2, const merkle_hash root1,
	    const merkle_hash root2, const merkle_hash *proof, size_t n);

#endif
