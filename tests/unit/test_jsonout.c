/*
 * test_jsonout.c: jsonout writes what jansson's json_dumps() writes for the
 * same values (random trees of every kind of value, written value by value
 * and through jsonout_value(), both with and without JSON_ENSURE_ASCII), and fails where jansson refuses (invalid UTF-8) or the
 * caller misuses it (unbalanced nesting, a key outside an object).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "jsonout.h"

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Appends code point cp to b as UTF-8. */
static size_t
utf8(char *b, uint32_t cp)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A random valid UTF-8 string, NUL-free: printable ASCII mostly, with the
 * characters that need escapes, two-, three- and four-byte sequences. */
static void
random_string(char *b, size_t cap)
{
	static const uint32_t	special[] = { '"', '\\', '/', '\b', '\f', '\n', '\r', '\t',
	    0x01, 0x1f, 0x7f, 0x80, 0xe9, 0x7ff, 0x800, 0x2028, 0xd7ff, 0xe000, 0xfffd,
	    0xffff, 0x10000, 0x1f600, 0x10ffff };
	size_t			n = 0, len = rnd(24);
	uint32_t		cp;

	while (len-- > 0 && n + 4 < cap) {
		switch (rnd(4)) {
		case 0:
			cp = special[rnd(sizeof(special) / sizeof(special[0]))];
			break;
		case 1:
			do
				cp = 1 + rnd(0x10ffff);
			while (cp >= 0xd800 && cp <= 0xdfff);
			break;
		default:
			cp = 0x20 + rnd(0x5f);
		}
		n += utf8(b + n, cp);
	}
	b[n] = '\0';
}

/* A random value, built both as a jansson tree and into o. */
static json_t *
random_value(struct jsonout *o, int depth)
{
	char		 s[128], k[160];
	json_t		*v;
	int64_t		 i;
	unsigned	 n, j;

	switch (depth > 4 ? 2 + rnd(5) : rnd(7)) {
	case 0:
		jsonout_object_begin(o);
		v = json_object();
		for (n = rnd(5), j = 0; j < n; j++) {
			random_string(s, sizeof(s));
			snprintf(k, sizeof(k), "%s%u", s, j);	/* keys distinct */
			jsonout_key(o, k);
			json_object_set_new(v, k, random_value(o, depth + 1));
		}
		jsonout_object_end(o);
		return v;
	case 1:
		jsonout_array_begin(o);
		v = json_array();
		for (n = rnd(5), j = 0; j < n; j++)
			json_array_append_new(v, random_value(o, depth + 1));
		jsonout_array_end(o);
		return v;
	case 2:
		random_string(s, sizeof(s));
		jsonout_string(o, s);
		return json_string(s);
	case 3:
		switch (rnd(4)) {
		case 0:  i = INT64_MIN; break;
		case 1:  i = INT64_MAX; break;
		case 2:  i = 0; break;
		default: i = (int64_t)(((uint64_t)rnd(UINT32_MAX) << 32) | rnd(UINT32_MAX));
		}
		jsonout_integer(o, i);
		return json_integer(i);
	case 4: {
		static const double	reals[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 3.141592653589793,
		    1e300, -1e-300, 1e-7, 123456789012345678.0, 1e21, 5e-324, 1.7976931348623157e308 };
		double			d;

		if (rnd(2)) {
			d = reals[rnd(sizeof(reals) / sizeof(reals[0]))];
		} else {
			uint64_t	bits = ((uint64_t)rnd(UINT32_MAX) << 32) | rnd(UINT32_MAX);

			memcpy(&d, &bits, sizeof(d));
			if (d != d || d - d != 0)	/* NaN, infinities: not JSON */
				d = 2.5;
		}
		jsonout_real(o, d);
		return json_real(d);
	}
	case 5:
		j = rnd(2);
		jsonout_bool(o, (int)j);
		return json_boolean(j);
	default:
		jsonout_null(o);
		return json_null();
	}
}

/* o's text is what json_dumps(v, flags) writes; both are spent (v is
 * released). */
static void
assert_dumps(struct jsonout *o, json_t *v, size_t flags)
{
	char	*want, *got;
	size_t	 len;

	want = json_dumps(v, flags);
	got = jsonout_finish(o, &len);
	assert_non_null(want);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(want);
	free(got);
	json_decref(v);
}

static void
test_jsonout_writes_what_jansson_dumps(void **state)
{
	struct jsonout	 o, o2;
	json_t		*v;
	int		 round, ascii;

	(void)state;
	for (round = 0; round < 4000; round++) {
		ascii = round % 2;
		jsonout_init(&o, ascii);
		if (rnd(2)) {
			jsonout_object_begin(&o);
			v = json_object();
			jsonout_key(&o, "k");
			json_object_set_new(v, "k", random_value(&o, 1));
			jsonout_object_end(&o);
		} else {
			jsonout_array_begin(&o);
			v = json_array();
			json_array_append_new(v, random_value(&o, 1));
			jsonout_array_end(&o);
		}
		/* The same tree through jsonout_value(), wiping as it grows. */
		jsonout_init(&o2, ascii);
		if (round % 3 == 0)
			jsonout_sensitive(&o2);
		jsonout_value(&o2, v);
		assert_dumps(&o2, json_incref(v), JSON_COMPACT | (ascii ? JSON_ENSURE_ASCII : 0));
		assert_dumps(&o, v, JSON_COMPACT | (ascii ? JSON_ENSURE_ASCII : 0));
	}
}

/* The strings jansson's json_string() refuses fail the whole text. */
static void
test_jsonout_fails_on_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\x80",			/* a continuation byte first */
		"a\xc0\x80",		/* overlong NUL */
		"\xc1\xbf",		/* overlong */
		"\xe0\x9f\xbf",		/* overlong three-byte */
		"\xed\xa0\x80",		/* a surrogate */
		"\xf4\x90\x80\x80",	/* past U+10FFFF */
		"\xf5\x80\x80\x80",
		"\xe2\x82",		/* cut short */
		"ok\xe2\x82x",
		"\xff",
	};
	struct jsonout	o;
	size_t		i;
	int		ascii;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (ascii = 0; ascii <= 1; ascii++) {
			assert_null(json_string(bad[i]));
			jsonout_init(&o, ascii);
			jsonout_array_begin(&o);
			jsonout_string(&o, "fine");
			jsonout_string(&o, bad[i]);
			jsonout_array_end(&o);
			assert_null(jsonout_finish(&o, NULL));

			jsonout_init(&o, ascii);	/* as a key too */
			jsonout_object_begin(&o);
			jsonout_key(&o, bad[i]);
			jsonout_null(&o);
			jsonout_object_end(&o);
			assert_null(jsonout_finish(&o, NULL));
		}
}

static void
test_jsonout_fails_when_misused(void **state)
{
	struct jsonout	o;
	int		i;

	(void)state;
	jsonout_init(&o, 1);			/* nothing written */
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* left open */
	jsonout_object_begin(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* a key with no value */
	jsonout_object_begin(&o);
	jsonout_key(&o, "a");
	jsonout_object_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* a key outside any object */
	jsonout_key(&o, "a");
	jsonout_null(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* a key in an array */
	jsonout_array_begin(&o);
	jsonout_key(&o, "a");
	jsonout_null(&o);
	jsonout_array_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* a member without its key */
	jsonout_object_begin(&o);
	jsonout_key(&o, "a");
	jsonout_null(&o);
	jsonout_null(&o);
	jsonout_object_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* an array closed as an object */
	jsonout_array_begin(&o);
	jsonout_object_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* closed twice */
	jsonout_array_begin(&o);
	jsonout_array_end(&o);
	jsonout_array_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* a NULL string */
	jsonout_array_begin(&o);
	jsonout_string(&o, NULL);
	jsonout_array_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* no value */
	jsonout_array_begin(&o);
	jsonout_value(&o, NULL);
	jsonout_array_end(&o);
	assert_null(jsonout_finish(&o, NULL));

	jsonout_init(&o, 1);			/* deeper than it keeps */
	for (i = 0; i <= JSONOUT_MAX_DEPTH; i++)
		jsonout_array_begin(&o);
	for (i = 0; i <= JSONOUT_MAX_DEPTH; i++)
		jsonout_array_end(&o);
	assert_null(jsonout_finish(&o, NULL));
}

/* A text longer than the first buffer grows it. */
static void
test_jsonout_grows(void **state)
{
	struct jsonout	 o;
	json_t		*v;
	int		 i;

	(void)state;
	jsonout_init(&o, 0);
	jsonout_sensitive(&o);
	jsonout_array_begin(&o);
	v = json_array();
	for (i = 0; i < 5000; i++) {
		jsonout_string(&o, "caf\xc3\xa9\t");
		json_array_append_new(v, json_string("caf\xc3\xa9\t"));
	}
	jsonout_array_end(&o);
	assert_dumps(&o, v, JSON_COMPACT);
}

/* Anything jansson parses (nesting up to 2048) can be written back, inside
 * a reply's own objects. */
static void
test_jsonout_writes_the_deepest_parsed_value(void **state)
{
	struct jsonout	 o;
	json_t		*v, *r;
	char		*text;
	size_t		 i, n = 2000;

	(void)state;
	assert_non_null(text = malloc(2 * n + 1));
	for (i = 0; i < n; i++) {
		text[i] = '[';
		text[2 * n - 1 - i] = ']';
	}
	text[2 * n] = '\0';
	assert_non_null(v = json_loads(text, 0, NULL));
	assert_non_null(r = json_pack("{s:[{s:o}]}", "items", "data", v));
	jsonout_init(&o, 1);
	jsonout_value(&o, r);
	assert_dumps(&o, r, JSON_COMPACT | JSON_ENSURE_ASCII);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonout_writes_what_jansson_dumps),
		cmocka_unit_test(test_jsonout_fails_on_invalid_utf8),
		cmocka_unit_test(test_jsonout_fails_when_misused),
		cmocka_unit_test(test_jsonout_grows),
		cmocka_unit_test(test_jsonout_writes_the_deepest_parsed_value),
	};

	return cmocka_run_group_tests_name("jsonout", tests, NULL, NULL);
}
