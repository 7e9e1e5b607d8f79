/*
 * test_hex.c: gateway/hex.c, the lower-case hex of digests and pseudonyms:
 * every byte value both ways, and every malformed spelling refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "hex.h"

static void
test_every_byte_round_trips(void **state)
{
	unsigned char	b[256], back[256];
	char		s[2 * 256 + 1], want[3];
	int		i;

	(void)state;
	for (i = 0; i < 256; i++)
		b[i] = (unsigned char)i;
	memset(s, 'X', sizeof(s));
	hex_encode(b, sizeof(b), s);
	assert_int_equal(strlen(s), 512);
	for (i = 0; i < 256; i++) {
		snprintf(want, sizeof(want), "%02x", i);
		assert_memory_equal(s + 2 * i, want, 2);
	}
	assert_int_equal(hex_decode(s, back, sizeof(back)), 0);
	assert_memory_equal(back, b, sizeof(b));
}

static void
test_empty_is_empty(void **state)
{
	unsigned char	b = 0x5a;
	char		s[1] = { 'X' };

	(void)state;
	hex_encode(&b, 0, s);
	assert_int_equal(s[0], '\0');
	assert_int_equal(hex_decode("", &b, 0), 0);
	assert_int_equal(b, 0x5a);
	assert_int_equal(hex_decode("00", &b, 0), -1);
}

static void
test_digest_known_value(void **state)
{
	/* SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
	static const char	hexd[] =
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
	unsigned char		d[32];
	char			s[65];

	(void)state;
	assert_int_equal(hex_decode(hexd, d, 32), 0);
	assert_int_equal(d[0], 0xba);
	assert_int_equal(d[31], 0xad);
	hex_encode(d, 32, s);
	assert_string_equal(s, hexd);
}

static void
test_malformed_refused(void **state)
{
	static const char *const bad[] = {
		"BA7816BF",	/* upper case: one spelling per value */
		"ba7816bF",
		"ba7816b",	/* too short */
		"ba7816bf0",	/* too long */
		"ba7816bg",	/* not a digit */
		" a7816bf",
		"ba7816b ",
		"+a7816bf",
		"0xa7816b",
		("ba78\0" "16bf"),	/* stops at the NUL: too short */
	};
	unsigned char	out[4];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hex_decode(bad[i], out, sizeof(out)), -1);
	assert_int_equal(hex_decode(NULL, out, sizeof(out)), -1);
	assert_int_equal(hex_decode("ba7816bf", out, sizeof(out)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_byte_round_trips),
		cmocka_unit_test(test_empty_is_empty),
		cmocka_unit_test(test_digest_known_value),
		cmocka_unit_test(test_malformed_refused),
	};

	return cmocka_run_group_tests_name("hex", tests, NULL, NULL);
}
