/*
 * test_spki_pin.c: the server key pin format (gateway/spki_pin.c): what is
 * a pin libcurl may be given, and the list it is given.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "spki_pin.h"

/* SHA-256 of "abc", and of 32 zero bytes' worth: both in base64. */
#define PIN_ABC		"sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
#define PIN_ZERO	"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="

static void
test_a_sha256_in_padded_base64_is_a_pin(void **state)
{
	(void)state;
	assert_true(spki_pin_valid(PIN_ABC));
	assert_true(spki_pin_valid(PIN_ZERO));
}

static void
test_anything_else_is_not_a_pin(void **state)
{
	(void)state;
	assert_false(spki_pin_valid(NULL));
	assert_false(spki_pin_valid(""));
	/* hex, as certificates.pins takes it */
	assert_false(spki_pin_valid("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	/* no prefix, another hash, a file name (libcurl would read it) */
	assert_false(spki_pin_valid("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="));
	assert_false(spki_pin_valid("sha1//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="));
	assert_false(spki_pin_valid("/etc/ssl/agency.pem"));
	/* one character short, long, unpadded, URL-safe alphabet, a space */
	assert_false(spki_pin_valid("sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa="));
	assert_false(spki_pin_valid(PIN_ABC "="));
	assert_false(spki_pin_valid("sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0A"));
	assert_false(spki_pin_valid("sha256//ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0="));
	assert_false(spki_pin_valid("sha256//ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIA a0="));
	/* two pins in one string: a list is given as a list */
	assert_false(spki_pin_valid(PIN_ABC ";" PIN_ZERO));
}

static void
test_a_pin_whose_last_character_has_stray_bits_is_refused(void **state)
{
	(void)state;
	/* "B" carries a bit beyond the 256: decoders differ on it. */
	assert_false(spki_pin_valid("sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="));
}

static void
test_pins_are_joined_with_semicolons(void **state)
{
	const char	*two[] = { PIN_ABC, PIN_ZERO };
	char		*s;

	(void)state;
	assert_non_null(s = spki_pin_join(two, 1));
	assert_string_equal(s, PIN_ABC);
	free(s);
	assert_non_null(s = spki_pin_join(two, 2));
	assert_string_equal(s, PIN_ABC ";" PIN_ZERO);
	free(s);
}

static void
test_no_list_is_made_of_a_bad_pin_or_none(void **state)
{
	const char	*bad[] = { PIN_ABC, "sha256//nope" };
	const char	*nine[9];
	size_t		 i;

	(void)state;
	assert_null(spki_pin_join(bad, 2));
	assert_null(spki_pin_join(bad, 0));
	for (i = 0; i < 9; i++)
		nine[i] = PIN_ABC;
	assert_null(spki_pin_join(nine, 9));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_sha256_in_padded_base64_is_a_pin),
		cmocka_unit_test(test_anything_else_is_not_a_pin),
		cmocka_unit_test(test_a_pin_whose_last_character_has_stray_bits_is_refused),
		cmocka_unit_test(test_pins_are_joined_with_semicolons),
		cmocka_unit_test(test_no_list_is_made_of_a_bad_pin_or_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
