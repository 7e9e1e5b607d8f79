/*
 * leafcache.c: the bounded LRU cache of verified leaf blocks (leafcache.h).
 *
 * A fixed array of slots, each a block index, its leaf hashes (allocated
 * the first time the slot is filled, kept for reuse after an eviction or a
 * clear) and the tick of its last use. A get or a put scans the slots: with
 * the few dozen a ledger uses that is cheaper than the read and the 255
 * hashes a miss costs, and needs no second structure to keep in step.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "leafcache.h"

struct slot {
	uint64_t	 block;
	uint64_t	 used;		/* tick of the last get or put; 0: empty */
	merkle_hash	*leaves;	/* MERKLE_BLOCK hashes, or NULL until filled */
};

struct leafcache {
	pthread_mutex_t	 lock;
	struct slot	*slots;
	size_t		 max;
	uint64_t	 tick;
	uint64_t	 hits, misses;
};

struct leafcache *
leafcache_new(size_t max_blocks)
{
	struct leafcache	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (max_blocks > 0 && (c->slots = calloc(max_blocks, sizeof(*c->slots))) == NULL) {
		free(c);
		return NULL;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c->slots);
		free(c);
		return NULL;
	}
	c->max = max_blocks;
	return c;
}

void
leafcache_free(struct leafcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->max; i++)
		free(c->slots[i].leaves);
	free(c->slots);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* The slot holding block, or NULL. Under the lock. */
static struct slot *
find(struct leafcache *c, uint64_t block)
{
	for (size_t i = 0; i < c->max; i++)
		if (c->slots[i].used != 0 && c->slots[i].block == block)
			return &c->slots[i];
	return NULL;
}

int
leafcache_get(struct leafcache *c, uint64_t block, size_t from, size_t n, merkle_hash *out)
{
	struct slot	*s;

	if (from > MERKLE_BLOCK || n > MERKLE_BLOCK - from)
		return 0;
	pthread_mutex_lock(&c->lock);
	if ((s = find(c, block)) == NULL) {
		c->misses++;
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	memcpy(out, s->leaves + from, n * sizeof(*out));
	s->used = ++c->tick;
	c->hits++;
	pthread_mutex_unlock(&c->lock);
	return 1;
}

void
leafcache_put(struct leafcache *c, uint64_t block, const merkle_hash *leaves)
{
	struct slot	*s, *victim = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->max == 0 || find(c, block) != NULL)
		goto out;
	/* An empty slot, else the least recently used. */
	for (size_t i = 0; i < c->max; i++) {
		s = &c->slots[i];
		if (victim == NULL || s->used < victim->used)
			victim = s;
		if (s->used == 0)
			break;
	}
	if (victim->leaves == NULL &&
	    (victim->leaves = malloc(MERKLE_BLOCK * sizeof(*victim->leaves))) == NULL)
		goto out;
	memcpy(victim->leaves, leaves, MERKLE_BLOCK * sizeof(*leaves));
	victim->block = block;
	victim->used = ++c->tick;
out:
	pthread_mutex_unlock(&c->lock);
}

void
leafcache_clear(struct leafcache *c)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->max; i++)
		c->slots[i].used = 0;
	pthread_mutex_unlock(&c->lock);
}

void
leafcache_stats(struct leafcache *c, struct leafcache_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&c->lock);
	st->hits = c->hits;
	st->misses = c->misses;
	st->bytes = sizeof(*c) + c->max * sizeof(*c->slots);
	for (size_t i = 0; i < c->max; i++) {
		if (c->slots[i].used != 0)
			st->blocks++;
		if (c->slots[i].leaves != NULL)
			st->bytes += MERKLE_BLOCK * sizeof(*c->slots[i].leaves);
	}
	pthread_mutex_unlock(&c->lock);
}
