/*
 * test_ledger_entry.c: the canonical leaf encoding of a ledger entry. The
 * expected hashes were computed independently with Python's hashlib and
 * struct from the format in ledger_entry.c (the README shows the script).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "ledger.h"
#include "merkle.h"

static void
hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void
test_leaf_hash_matches_independent_python_vectors(void **state)
{
	unsigned char	digest[32], h[32];
	unsigned int	dl = 0;
	char		x[65];
	char		pseudo[65];

	(void)state;
	memset(pseudo, 0, sizeof(pseudo));
	for (int i = 0; i < 32; i++)
		memcpy(pseudo + 2 * i, "ab", 2);
	assert_int_equal(EVP_Digest("record", 6, digest, &dl, EVP_sha256(), NULL), 1);

	struct ledger_record a = { 42, 1764000000123456LL, { "staff:Alex Smith", "staff",
	    "consent.recorded", pseudo, "con_0001", NULL, digest } };
	assert_int_equal(ledger_leaf_encode(&a, NULL, 0), 197);
	assert_int_equal(ledger_leaf_hash(NULL, &a, h), 0);
	hex(h, 32, x);
	assert_string_equal(x, "af80f595ea35d8de28c4c97fe5ebd6a2c4293f208155a93ebb02b1bcd1e2094a");

	struct ledger_record b = { 1, 0, { "system", "system", "gateway.started", NULL, NULL,
	    "", NULL } };
	unsigned char buf[128];
	char bx[2 * 79 + 1];
	assert_int_equal(ledger_leaf_encode(&b, buf, sizeof(buf)), 79);
	hex(buf, 79, bx);
	assert_string_equal(bx, "6c65646765722d656e7472792d763100" "0000000000000001"
	    "0000000000000000" "0000000673797374656d" "0000000673797374656d"
	    "0000000f676174657761792e73746172746564" "00" "00" "0100000000" "00");
	assert_int_equal(ledger_leaf_hash(NULL, &b, h), 0);
	hex(h, 32, x);
	assert_string_equal(x, "073160da35d7c85f86ec167af073ebad4ded5bfe587f659d1ee32e61b9478f22");

	/* UTF-8 is hashed as its bytes. */
	struct ledger_record c = { 7, 5, { "staff:Zo\xc3\xab", "staff", "record.read", pseudo,
	    "x", "caseworker review \xe2\x80\x94 weekly", NULL } };
	assert_int_equal(ledger_leaf_hash(NULL, &c, h), 0);
	hex(h, 32, x);
	assert_string_equal(x, "7c211f51ce29c4df367b7c0ea1645194dfd0e3b5394d7a6216e62d4fc226c5ef");
}

static void
test_absent_and_empty_fields_encode_differently(void **state)
{
	unsigned char	h1[32], h2[32];

	(void)state;
	struct ledger_record r = { 3, 9, { "a", "b", "c", NULL, NULL, NULL, NULL } };
	assert_int_equal(ledger_leaf_hash(NULL, &r, h1), 0);
	r.e.reason = "";
	assert_int_equal(ledger_leaf_hash(NULL, &r, h2), 0);
	assert_memory_not_equal(h1, h2, 32);
	/* Moving bytes from one field to the next changes the leaf. */
	struct ledger_record s = { 3, 9, { "ab", "c", "d", NULL, NULL, NULL, NULL } };
	struct ledger_record t = { 3, 9, { "a", "bc", "d", NULL, NULL, NULL, NULL } };
	assert_int_equal(ledger_leaf_hash(NULL, &s, h1), 0);
	assert_int_equal(ledger_leaf_hash(NULL, &t, h2), 0);
	assert_memory_not_equal(h1, h2, 32);
	/* Seq and time are in the leaf. */
	t.seq = 4;
	assert_int_equal(ledger_leaf_hash(NULL, &t, h1), 0);
	assert_memory_not_equal(h1, h2, 32);
}

static void
test_long_fields_hash_like_short_ones(void **state)
{
	char		*big = malloc(LEDGER_FIELD_MAX + 1);
	unsigned char	 h[32], h2[32], *buf;
	size_t		 n;

	(void)state;
	assert_non_null(big);
	memset(big, 'r', LEDGER_FIELD_MAX);
	big[LEDGER_FIELD_MAX] = '\0';
	struct ledger_record r = { 1, 1, { "a", "b", "c", NULL, big, big, NULL } };
	n = ledger_leaf_encode(&r, NULL, 0);
	assert_true(n > 1024);			/* beyond the stack buffer */
	assert_int_equal(ledger_leaf_hash(NULL, &r, h), 0);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(ledger_leaf_encode(&r, buf, n), n);
	assert_int_equal(merkle_hash_leaf(NULL, buf, n, h2), 0);
	assert_memory_equal(h, h2, 32);
	free(buf);
	free(big);
}

static void
test_entries_without_actor_or_with_control_characters_are_invalid(void **state)
{
	char	big[LEDGER_FIELD_MAX + 2];

	(void)state;
	struct ledger_entry ok = { "staff:A", "staff", "record.read", NULL, NULL, NULL, NULL };
	assert_true(ledger_entry_valid(&ok));
	struct ledger_entry e = ok;
	e.actor = NULL;
	assert_false(ledger_entry_valid(&e));
	e = ok;
	e.action = "";
	assert_false(ledger_entry_valid(&e));
	e = ok;
	e.reason = "line\nbreak";
	assert_false(ledger_entry_valid(&e));
	e.reason = "tab\there";
	assert_false(ledger_entry_valid(&e));
	e.reason = "\xff\xfe";
	assert_false(ledger_entry_valid(&e));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	e.reason = big;
	assert_false(ledger_entry_valid(&e));
	big[LEDGER_FIELD_MAX] = '\0';
	assert_true(ledger_entry_valid(&e));
	assert_false(ledger_entry_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_hash_matches_independent_python_vectors),
		cmocka_unit_test(test_absent_and_empty_fields_encode_differently),
		cmocka_unit_test(test_long_fields_hash_like_short_ones),
		cmocka_unit_test(test_entries_without_actor_or_with_control_characters_are_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
