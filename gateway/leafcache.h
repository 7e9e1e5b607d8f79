/*
 * leafcache.h: a bounded cache of the ledger tree's verified leaf blocks.
 * Pure: memory and a mutex, no I/O.
 *
 * The ledger's Merkle tree keeps in memory only the hash of each complete
 * block of MERKLE_BLOCK (256) leaves (merkle.h); asking for the leaf hash
 * of an older entry reads its whole block back from ledger_entries and
 * rehashes it against that kept hash (ledger.c ledger_leaves). This cache
 * keeps up to a fixed number of such blocks, each as it was read and
 * checked once, keyed by block index, so that the next question about the
 * same block is a copy. The ledger is append-only and a complete block's
 * kept hash never changes while the tree lives, so an entry needs no
 * expiry; when full, the least recently used block makes room (LRU). A
 * cache belongs to one tree: its owner (struct ledger) makes it with the
 * tree and frees it with the tree, so a ledger replaced (a copy restored
 * from a backup, which is a new process on another data directory) never
 * meets another's blocks; leafcache_clear() empties it for an owner that
 * would rebuild its tree in place (none does).
 *
 * What it holds is the signed tree's leaf hashes, never an entry's row:
 * a caller still recomputes the leaf from the row it read (ledger_leaf_hash)
 * and compares, so a row changed after its block was cached is refused as
 * before (ledger_leaf_signed).
 *
 * Thread-safe: any number of threads may get, put and clear at once (one
 * mutex; a get copies at most a block, 8 KiB, under it). Memory: a block
 * is 8 KiB, allocated when first filled; 64 blocks are 512 KiB.
 */
#ifndef LEAFCACHE_H
#define LEAFCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "merkle.h"

struct leafcache;

struct leafcache_stats {
	uint64_t	hits;		/* gets answered from the cache */
	uint64_t	misses;		/* gets that were not */
	size_t		blocks;		/* blocks held now */
	size_t		bytes;		/* heap the cache holds (its blocks and itself) */
};

/* A cache of at most max_blocks blocks (0: one that never holds any).
 * NULL on allocation failure. Free with leafcache_free (NULL ok). */
struct leafcache	*leafcache_new(size_t max_blocks);
void			 leafcache_free(struct leafcache *);
/* The n leaf hashes from position from of block (from + n <= MERKLE_BLOCK)
 * into out when the block is held: 1, and it becomes the most recently
 * used; else 0 (nothing written). */
int	leafcache_get(struct leafcache *, uint64_t block, size_t from, size_t n,
	    merkle_hash *out);
/* Keeps block's MERKLE_BLOCK leaf hashes, which the caller has checked
 * against the tree, evicting the least recently used block when full. A
 * block already held is left as it is. Nothing is kept when memory runs
 * out (a cache may forget). */
void	leafcache_put(struct leafcache *, uint64_t block, const merkle_hash *leaves);
/* Forgets every block (their memory stays for reuse). */
void	leafcache_clear(struct leafcache *);
void	leafcache_stats(struct leafcache *, struct leafcache_stats *);

#endif
