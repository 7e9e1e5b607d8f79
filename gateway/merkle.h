/*
 * merkle.h: RFC 6962 / RFC 9162 Merkle tree hashing, tree heads, inclusion
 * and consistency proofs (generation and verification). Pure: no I/O, SHA-256
 * through OpenSSL's EVP.
 *
 *   leaf hash = SHA-256(0x00 || data)
 *   node hash = SHA-256(0x01 || left || right)
 *   MTH({})   = SHA-256()  (the empty tree)
 *
 * struct merkle_tree is an append-only tree. It keeps in memory the hashes
 * of complete subtrees at levels >= MERKLE_FIRST_KEPT (blocks of
 * MERKLE_BLOCK leaves and above) and the right-edge frontier (one node per
 * level); a node below that level is recomputed from its leaves, at most
 * MERKLE_BLOCK / 2 - 1 hashes. Where the leaves live is the caller's choice:
 *   - merkle_tree_new(): every leaf hash in memory (32 bytes a leaf), for
 *     trees that are built, used and dropped (verifiers, tests);
 *   - merkle_tree_new_sourced(): only the leaves of the last, incomplete
 *     block; the others are read back a whole block at a time through the
 *     caller's merkle_leaf_source and checked against that block's kept
 *     hash, so a leaf changed where it is stored is an error, never a wrong
 *     proof. Memory is about 0.25 bytes a leaf (256 KB for a million), not
 *     proportional to 32 bytes a leaf: a long-lived ledger's tree.
 * So append is amortised O(1) hashes, O(log n) worst case; a root or a
 * proof for any past size costs O(log n) kept nodes plus at most one block
 * read and MERKLE_BLOCK hashes per block it touches (an inclusion proof
 * touches one).
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
#define MERKLE_FIRST_KEPT	8
#define MERKLE_BLOCK		(1u << MERKLE_FIRST_KEPT)

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

/*
 * Where a sourced tree reads the leaf hashes it no longer keeps: read()
 * writes the n leaf hashes from index first (n <= MERKLE_BLOCK, all below
 * the tree's size) to out and returns 0, or -1. It is called from whichever
 * function needs them, under the caller's lock on the tree.
 */
struct merkle_leaf_source {
	int	(*read)(void *arg, uint64_t first, size_t n, merkle_hash *out);
	void	*arg;
};

/* A new empty tree keeping every leaf. NULL on allocation failure. */
struct merkle_tree	*merkle_tree_new(void);
/* A new empty tree keeping only the last block's leaves, reading the others
 * through *src (copied). NULL on allocation failure. */
struct merkle_tree	*merkle_tree_new_sourced(const struct merkle_leaf_source *src);
/* Bytes the tree holds on the heap (its hashes and itself). */
size_t			 merkle_tree_bytes(const struct merkle_tree *);
void			 merkle_tree_free(struct merkle_tree *);
uint64_t		 merkle_tree_size(const struct merkle_tree *);
/* Appends one leaf by its leaf hash. 0, or -1 (allocation/hash failure:
 * the tree is unchanged). */
int	merkle_tree_append(struct merkle_tree *, const merkle_hash leaf_hash);
/* Leaf hash at index (< size). 0, or -1 if out of range or unreadable. */
int	merkle_tree_leaf(const struct merkle_tree *, uint64_t index, merkle_hash out);
/* The n leaf hashes from index first (first + n <= size) into out, each
 * block read through the source once and checked. 0 or -1. */
int	merkle_tree_leaves(const struct merkle_tree *, uint64_t first, size_t n,
	    merkle_hash *out);
/* Whether leaves (n hashes, from index first) are the tree's own leaves
 * there, without reading them through the source: first is the start of a
 * block (a multiple of MERKLE_BLOCK) and n is MERKLE_BLOCK (a complete
 * block: the leaves are hashed, MERKLE_BLOCK - 1 hashes, and compared with
 * its kept node) or fewer, of the block whose leaves are in memory (the
 * last, incomplete one: compared with them). hs may be NULL. 1 they are, 0
 * they are not, -1 bad arguments (the block is not such a block, or no
 * longer in memory) or a hash failure. */
int	merkle_tree_block_is(const struct merkle_tree *, struct merkle_hasher *hs,
	    uint64_t first, size_t n, const merkle_hash *leaves);
/* Tree head MTH(D[0:size]) for any size <= current size. 0, or -1 (also
 * whenever a block read through the source fails or does not match). */
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
