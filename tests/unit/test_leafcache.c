/*
 * test_leafcache.c: the bounded cache of verified leaf blocks: what was put
 * comes back, any run of it; it never holds more than its bound and gives
 * up the least recently used block first; a block put again is not
 * replaced; clearing forgets everything; a cache of no blocks holds none;
 * threads getting and putting at once each see whole, right blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>

#include "leafcache.h"
#include "merkle.h"

/* Block b's leaves as a test makes them: leaf i names b, i and salt. */
static void
make_block(uint64_t b, unsigned salt, merkle_hash *leaves)
{
	for (size_t i = 0; i < MERKLE_BLOCK; i++) {
		memset(leaves[i], (int)salt, MERKLE_HASH_LEN);
		memcpy(leaves[i], &b, sizeof(b));
		leaves[i][8] = (unsigned char)i;
	}
}

static int
held(struct leafcache *c, uint64_t b)
{
	merkle_hash	h;

	return leafcache_get(c, b, 0, 1, &h);
}

static void
test_what_was_put_comes_back_any_run_of_it(void **state)
{
	struct leafcache	*c = leafcache_new(4);
	struct leafcache_stats	 st;
	merkle_hash		 blk[MERKLE_BLOCK], out[MERKLE_BLOCK];

	(void)state;
	assert_non_null(c);
	assert_int_equal(leafcache_get(c, 7, 0, 1, out), 0);
	make_block(7, 0xa5, blk);
	leafcache_put(c, 7, (const merkle_hash *)blk);
	assert_int_equal(leafcache_get(c, 7, 0, MERKLE_BLOCK, out), 1);
	assert_memory_equal(out, blk, sizeof(blk));
	memset(out, 0, sizeof(out));
	assert_int_equal(leafcache_get(c, 7, 200, 56, out), 1);
	assert_memory_equal(out, blk + 200, 56 * MERKLE_HASH_LEN);
	assert_int_equal(leafcache_get(c, 7, 255, 1, out), 1);
	assert_memory_equal(out, blk + 255, MERKLE_HASH_LEN);
	/* A run past the block's end is refused, not read past it. */
	assert_int_equal(leafcache_get(c, 7, 255, 2, out), 0);
	assert_int_equal(leafcache_get(c, 7, MERKLE_BLOCK + 1, 0, out), 0);
	assert_int_equal(leafcache_get(c, 8, 0, 1, out), 0);
	leafcache_stats(c, &st);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.blocks, 1);
	assert_true(st.bytes >= MERKLE_BLOCK * MERKLE_HASH_LEN);
	leafcache_free(c);
	leafcache_free(NULL);
}

static void
test_bounded_least_recently_used_goes_first(void **state)
{
	struct leafcache	*c = leafcache_new(3);
	struct leafcache_stats	 st;
	merkle_hash		 blk[MERKLE_BLOCK];
	size_t			 bytes;

	(void)state;
	assert_non_null(c);
	for (uint64_t b = 1; b <= 3; b++) {
		make_block(b, 1, blk);
		leafcache_put(c, b, (const merkle_hash *)blk);
	}
	leafcache_stats(c, &st);
	bytes = st.bytes;
	assert_true(held(c, 1));		/* 2 is now the least recently used */
	make_block(4, 1, blk);
	leafcache_put(c, 4, (const merkle_hash *)blk);
	assert_false(held(c, 2));
	assert_true(held(c, 1) && held(c, 3) && held(c, 4));
	/* Used last: 1, 3, 4; 1 is the oldest use now. */
	make_block(5, 1, blk);
	leafcache_put(c, 5, (const merkle_hash *)blk);
	assert_false(held(c, 1));
	assert_true(held(c, 3) && held(c, 4) && held(c, 5));
	/* Many more blocks: never more than 3 held, no more memory. */
	for (uint64_t b = 100; b < 400; b++) {
		make_block(b, 1, blk);
		leafcache_put(c, b, (const merkle_hash *)blk);
	}
	leafcache_stats(c, &st);
	assert_int_equal(st.blocks, 3);
	assert_int_equal(st.bytes, bytes);
	assert_true(held(c, 397) && held(c, 398) && held(c, 399));
	leafcache_free(c);
}

/* Once held, a block is what was put first: the ledger's complete blocks
 * never change, so a second put is a race between two readers. */
static void
test_a_block_put_again_is_not_replaced(void **state)
{
	struct leafcache	*c = leafcache_new(2);
	merkle_hash		 first[MERKLE_BLOCK], second[MERKLE_BLOCK], out[MERKLE_BLOCK];

	(void)state;
	assert_non_null(c);
	make_block(9, 1, first);
	make_block(9, 2, second);
	leafcache_put(c, 9, (const merkle_hash *)first);
	leafcache_put(c, 9, (const merkle_hash *)second);
	assert_int_equal(leafcache_get(c, 9, 0, MERKLE_BLOCK, out), 1);
	assert_memory_equal(out, first, sizeof(first));
	make_block(10, 1, second);
	leafcache_put(c, 10, (const merkle_hash *)second);
	assert_true(held(c, 9) && held(c, 10));	/* the second put took no slot */
	leafcache_free(c);
}

static void
test_clear_forgets_every_block(void **state)
{
	struct leafcache	*c = leafcache_new(4);
	struct leafcache_stats	 st;
	merkle_hash		 blk[MERKLE_BLOCK], out[MERKLE_BLOCK];

	(void)state;
	assert_non_null(c);
	for (uint64_t b = 0; b < 4; b++) {
		make_block(b, 3, blk);
		leafcache_put(c, b, (const merkle_hash *)blk);
	}
	leafcache_clear(c);
	for (uint64_t b = 0; b < 4; b++)
		assert_false(held(c, b));
	leafcache_stats(c, &st);
	assert_int_equal(st.blocks, 0);
	/* Filled again, from its kept memory. */
	make_block(2, 4, blk);
	leafcache_put(c, 2, (const merkle_hash *)blk);
	assert_int_equal(leafcache_get(c, 2, 0, MERKLE_BLOCK, out), 1);
	assert_memory_equal(out, blk, sizeof(blk));
	leafcache_free(c);
}

static void
test_a_cache_of_no_blocks_holds_none(void **state)
{
	struct leafcache	*c = leafcache_new(0);
	struct leafcache_stats	 st;
	merkle_hash		 blk[MERKLE_BLOCK];

	(void)state;
	assert_non_null(c);
	make_block(1, 1, blk);
	leafcache_put(c, 1, (const merkle_hash *)blk);
	assert_false(held(c, 1));
	leafcache_clear(c);
	leafcache_stats(c, &st);
	assert_int_equal(st.blocks, 0);
	assert_int_equal(st.misses, 1);
	leafcache_free(c);
}

/* Readers of the handler threads at once: each get is a whole block as
 * it was put (checked leaf by leaf), never a mix of two. */
#define THREADS		4
#define ROUNDS		4000
#define SPREAD		12	/* blocks asked for, over a cache of 5 */

struct worker {
	struct leafcache	*c;
	unsigned		 seed;
	int			 bad;
	unsigned		 hits;
};

static void *
worker(void *arg)
{
	struct worker	*w = arg;
	merkle_hash	 blk[MERKLE_BLOCK], out[MERKLE_BLOCK];
	uint64_t	 b;

	for (int i = 0; i < ROUNDS; i++) {
		b = (uint64_t)(rand_r(&w->seed) % SPREAD);
		make_block(b, 7, blk);
		if (leafcache_get(w->c, b, 0, MERKLE_BLOCK, out)) {
			w->hits++;
			if (memcmp(out, blk, sizeof(blk)) != 0)
				w->bad++;
		} else
			leafcache_put(w->c, b, (const merkle_hash *)blk);
	}
	return NULL;
}

static void
test_threads_at_once_see_whole_blocks(void **state)
{
	struct leafcache	*c = leafcache_new(5);
	struct worker		 w[THREADS];
	pthread_t		 t[THREADS];
	struct leafcache_stats	 st;
	unsigned		 hits = 0;

	(void)state;
	assert_non_null(c);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ c, (unsigned)i + 1, 0, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
		hits += w[i].hits;
	}
	leafcache_stats(c, &st);
	assert_int_equal(st.hits, hits);
	assert_int_equal(st.hits + st.misses, THREADS * ROUNDS);
	assert_true(st.hits > 0 && st.misses > 0);
	assert_int_equal(st.blocks, 5);
	leafcache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_was_put_comes_back_any_run_of_it),
		cmocka_unit_test(test_bounded_least_recently_used_goes_first),
		cmocka_unit_test(test_a_block_put_again_is_not_replaced),
		cmocka_unit_test(test_clear_forgets_every_block),
		cmocka_unit_test(test_a_cache_of_no_blocks_holds_none),
		cmocka_unit_test(test_threads_at_once_see_whole_blocks),
	};

	return cmocka_run_group_tests_name("leafcache", tests, NULL, NULL);
}
