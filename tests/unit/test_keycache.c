/*
 * test_keycache.c: the vault's set-associative cache of family keys: every
 * name of a full set is served, each with its own key; a full set gives up
 * its least recently used way; a name put twice is held once; and a
 * dropped (destroyed) key is never served again, nor put back by a read
 * whose ticket predates the destruction or its commit.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "keycache.h"

/* The n-th name (from 0) of set 'set', as a pseudonym looks: 64 hex. */
static void
name_in_set(unsigned set, unsigned n, char out[KEYCACHE_NAMELEN])
{
	unsigned	i, found = 0;

	for (i = 0;; i++) {
		snprintf(out, KEYCACHE_NAMELEN, "%064x", i);
		if (keycache_set_of(out) == set && found++ == n)
			return;
	}
}

static void
key_of(unsigned n, unsigned char key[KEYCACHE_KEYLEN])
{
	memset(key, (int)(n + 1), KEYCACHE_KEYLEN);
}

static int
served(struct keycache *kc, const char *name, unsigned n)
{
	unsigned char	got[KEYCACHE_KEYLEN], want[KEYCACHE_KEYLEN];

	if (!keycache_get(kc, name, got))
		return 0;
	key_of(n, want);
	assert_memory_equal(got, want, KEYCACHE_KEYLEN);	/* never another's */
	return 1;
}

/* As many families as a set has ways, all hashing to one set (the bench's
 * 100 families had such pairs): every one is served, with its own key. */
static void
test_every_name_of_a_full_set_is_served_its_own_key(void **state)
{
	struct keycache	*kc = keycache_new();
	char		 names[KEYCACHE_WAYS][KEYCACHE_NAMELEN];
	unsigned char	 key[KEYCACHE_KEYLEN];
	unsigned	 i, round;

	(void)state;
	assert_non_null(kc);
	for (i = 0; i < KEYCACHE_WAYS; i++) {
		name_in_set(7, i, names[i]);
		key_of(i, key);
		keycache_put(kc, names[i], key, keycache_ticket(kc));
	}
	for (round = 0; round < 3; round++)
		for (i = 0; i < KEYCACHE_WAYS; i++)
			assert_true(served(kc, names[i], i));
	keycache_free(kc);
}

/* One more than fits: the least recently used (by get, not by put) goes. */
static void
test_a_full_set_gives_up_its_least_recently_used(void **state)
{
	struct keycache	*kc = keycache_new();
	char		 names[KEYCACHE_WAYS + 1][KEYCACHE_NAMELEN];
	unsigned char	 key[KEYCACHE_KEYLEN];
	unsigned	 i;

	(void)state;
	assert_non_null(kc);
	for (i = 0; i <= KEYCACHE_WAYS; i++)
		name_in_set(3, i, names[i]);
	for (i = 0; i < KEYCACHE_WAYS; i++) {
		key_of(i, key);
		keycache_put(kc, names[i], key, keycache_ticket(kc));
	}
	assert_true(served(kc, names[0], 0));	/* now 1 is the oldest */
	key_of(KEYCACHE_WAYS, key);
	keycache_put(kc, names[KEYCACHE_WAYS], key, keycache_ticket(kc));
	assert_false(served(kc, names[1], 1));
	assert_true(served(kc, names[0], 0));
	for (i = 2; i <= KEYCACHE_WAYS; i++)
		assert_true(served(kc, names[i], i));
	/* Another set is untouched by all this. */
	name_in_set(4, 0, names[0]);
	assert_false(served(kc, names[0], 0));
	keycache_free(kc);
}

/* Two readers that both missed put the same name: it takes one way, so
 * the set still holds as many other names as before, and one drop
 * removes it. */
static void
test_a_name_put_twice_is_held_once(void **state)
{
	struct keycache	*kc = keycache_new();
	char		 names[KEYCACHE_WAYS][KEYCACHE_NAMELEN];
	unsigned char	 key[KEYCACHE_KEYLEN];
	unsigned	 i;

	(void)state;
	assert_non_null(kc);
	for (i = 0; i < KEYCACHE_WAYS; i++)
		name_in_set(9, i, names[i]);
	key_of(0, key);
	keycache_put(kc, names[0], key, keycache_ticket(kc));
	keycache_put(kc, names[0], key, keycache_ticket(kc));
	for (i = 1; i < KEYCACHE_WAYS; i++) {
		key_of(i, key);
		keycache_put(kc, names[i], key, keycache_ticket(kc));
	}
	for (i = 0; i < KEYCACHE_WAYS; i++)
		assert_true(served(kc, names[i], i));
	keycache_drop(kc, names[0]);
	assert_false(served(kc, names[0], 0));
	keycache_free(kc);
}

/* A destroyed key is never served again: dropped from a full set at once,
 * not put back by a read that took its ticket before the destruction (it
 * may have seen the key) or while it is pending (before the commit), even
 * after the commit; a read begun after the commit may cache again (it sees
 * the destruction, so in real use it finds no key to put). */
static void
test_a_dropped_key_is_never_served_again(void **state)
{
	struct keycache	*kc = keycache_new();
	char		 names[KEYCACHE_WAYS][KEYCACHE_NAMELEN];
	unsigned char	 key[KEYCACHE_KEYLEN];
	uint64_t	 before, pending;
	unsigned	 i;

	(void)state;
	assert_non_null(kc);
	for (i = 0; i < KEYCACHE_WAYS; i++) {
		name_in_set(0, i, names[i]);
		key_of(i, key);
		keycache_put(kc, names[i], key, keycache_ticket(kc));
	}
	before = keycache_ticket(kc);
	keycache_drop(kc, names[5]);
	assert_false(served(kc, names[5], 5));
	for (i = 0; i < KEYCACHE_WAYS; i++)	/* the others stay */
		assert_int_equal(served(kc, names[i], i), i != 5);
	pending = keycache_ticket(kc);
	assert_true(pending == KEYCACHE_NO_TICKET);
	key_of(5, key);
	keycache_put(kc, names[5], key, before);
	keycache_put(kc, names[5], key, pending);
	assert_false(served(kc, names[5], 5));
	keycache_committed(kc);
	keycache_put(kc, names[5], key, before);
	keycache_put(kc, names[5], key, pending);
	assert_false(served(kc, names[5], 5));
	/* Any other family's key read before the commit is refused too. */
	key_of(6, key);
	keycache_drop(kc, names[6]);
	before = keycache_ticket(kc);
	keycache_committed(kc);
	keycache_put(kc, names[6], key, before);
	assert_false(served(kc, names[6], 6));
	keycache_put(kc, names[6], key, keycache_ticket(kc));
	assert_true(served(kc, names[6], 6));
	keycache_free(kc);
}

/* The empty name (an empty way's) and names too long to be a pseudonym
 * are never cached nor served. */
static void
test_empty_and_overlong_names_are_never_cached(void **state)
{
	struct keycache	*kc = keycache_new();
	unsigned char	 key[KEYCACHE_KEYLEN];
	char		 longname[KEYCACHE_NAMELEN + 1];

	(void)state;
	assert_non_null(kc);
	key_of(0, key);
	assert_false(keycache_get(kc, "", key));
	keycache_put(kc, "", key, keycache_ticket(kc));
	assert_false(keycache_get(kc, "", key));
	memset(longname, 'a', KEYCACHE_NAMELEN);
	longname[KEYCACHE_NAMELEN] = '\0';
	keycache_put(kc, longname, key, keycache_ticket(kc));
	assert_false(keycache_get(kc, longname, key));
	keycache_free(kc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_name_of_a_full_set_is_served_its_own_key),
		cmocka_unit_test(test_a_full_set_gives_up_its_least_recently_used),
		cmocka_unit_test(test_a_name_put_twice_is_held_once),
		cmocka_unit_test(test_a_dropped_key_is_never_served_again),
		cmocka_unit_test(test_empty_and_overlong_names_are_never_cached),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
