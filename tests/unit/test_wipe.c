/*
 * test_wipe.c: gateway/wipe.c, freed memory that held personal data is
 * zeroed: jansson's strings, parsed bodies and dumped text, and the blocks
 * wipe_free() and wipe_realloc() give back. What was freed is never read
 * (AddressSanitizer would rightly stop the test): wipe.c's test observer
 * sees each block after its wipe and before its free, and this file checks
 * it there. jsonout's sensitive text (a family's record in a reply, an
 * export) leaves no outgrown buffer behind, nor a failed one, and a
 * delivery body is wiped whole, past its first NUL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "delivery.h"
#include "jsonout.h"
#include "wipe.h"

#define MARKER	"Jane-Smith-07700-900123-MARKER"

/* What the observer saw since observe_reset(). */
#define SEEN_MAX	256
static struct {
	uintptr_t	p;
	size_t		n;
} seen[SEEN_MAX];
static size_t	nseen, nnonzero, nmarker;

static int
holds_marker(const unsigned char *b, size_t n)
{
	size_t	i, m = sizeof(MARKER) - 1;

	for (i = 0; i + m <= n; i++)
		if (memcmp(b + i, MARKER, m) == 0)
			return 1;
	return 0;
}

static void
observe(const void *p, size_t n)
{
	const unsigned char	*b = p;
	size_t			 i;
	int			 dirty = 0;

	for (i = 0; i < n; i++)
		dirty |= b[i] != 0;
	if (dirty)
		nnonzero++;
	if (holds_marker(b, n))
		nmarker++;
	if (nseen < SEEN_MAX) {
		seen[nseen].p = (uintptr_t)p;
		seen[nseen].n = n;
	}
	nseen++;
}

static void
observe_reset(void)
{
	nseen = nnonzero = nmarker = 0;
	wipe_observe(observe);
}

/* The size the observer saw p freed with, or 0 if it did not see it. */
static size_t
seen_size(uintptr_t p)
{
	size_t	i;

	for (i = 0; i < nseen && i < SEEN_MAX; i++)
		if (seen[i].p == p)
			return seen[i].n;
	return 0;
}

static void
test_jansson_frees_through_wipe(void **state)
{
	json_malloc_t	m;
	json_free_t	f;

	(void)state;
	json_get_alloc_funcs(&m, &f);
	assert_ptr_equal(m, malloc);
	assert_ptr_equal(f, wipe_free);
}

static void
test_string_value_is_wiped(void **state)
{
	json_t		*s;
	uintptr_t	 v;

	(void)state;
	assert_non_null(s = json_string("child: " MARKER));
	v = (uintptr_t)json_string_value(s);
	observe_reset();
	json_decref(s);
	wipe_observe(NULL);
	/* The value's own block, whole, and the json_t around it. */
	assert_true(seen_size(v) >= sizeof("child: " MARKER));
	assert_true(nseen >= 2);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
}

static void
test_parsed_body_is_wiped(void **state)
{
	static const char body[] = "{\"family_id\":\"FAM-" MARKER "\",\"data\":{"
	    "\"child_name\":\"" MARKER "\",\"notes\":\"" MARKER " \\u00e9 \\ud83d\\ude00\","
	    "\"phones\":[\"" MARKER "\",\"" MARKER "\"]}}";
	json_error_t	 err;
	json_t		*o;
	uintptr_t	 v;

	(void)state;
	/* The parser's buffers (the token text, each string's copy) are
	 * freed while it reads; then the tree. */
	observe_reset();
	o = json_loadb(body, sizeof(body) - 1, JSON_REJECT_DUPLICATES, &err);
	assert_non_null(o);
	v = (uintptr_t)json_string_value(json_object_get(json_object_get(o, "data"), "child_name"));
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
	json_decref(o);
	wipe_observe(NULL);
	assert_true(seen_size(v) >= sizeof(MARKER));
	assert_true(nseen >= 8);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
}

static void
test_dumped_text_is_wiped(void **state)
{
	json_t		*o;
	char		*s;

	(void)state;
	assert_non_null(o = json_pack("{s:s, s:[s,s]}", "child_name", MARKER, "phones",
	    MARKER, MARKER));
	observe_reset();
	/* json_dumps() grows its buffer as it writes: each outgrown one
	 * is freed through wipe_free(). */
	assert_non_null(s = json_dumps(o, JSON_INDENT(40)));
	json_decref(o);
	assert_non_null(strstr(s, MARKER));
	wipe_free(s);
	wipe_observe(NULL);
	assert_true(nseen >= 3);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
}

static void
test_wipe_free_wipes_the_whole_block(void **state)
{
	char		*p;
	uintptr_t	 a;

	(void)state;
	assert_non_null(p = malloc(100));
	memset(p, 'x', 100);
	memcpy(p + 50, MARKER, sizeof(MARKER) - 1);
	a = (uintptr_t)p;
	observe_reset();
	wipe_free(p);
	wipe_free(NULL);
	wipe_observe(NULL);
	assert_int_equal(nseen, 1);
	assert_true(seen_size(a) >= 100);
	assert_int_equal(nnonzero, 0);
}

static void
test_wipe_realloc_leaves_no_copy(void **state)
{
	char		*p, *q;
	uintptr_t	 a;
	size_t		 i;

	(void)state;
	assert_non_null(p = wipe_realloc(NULL, 40));
	memcpy(p, MARKER, sizeof(MARKER));
	a = (uintptr_t)p;
	observe_reset();
	/* Grown far enough that realloc() would have moved it. */
	assert_non_null(q = wipe_realloc(p, 1 << 20));
	wipe_observe(NULL);
	assert_string_equal(q, MARKER);
	assert_int_equal(nseen, 1);
	assert_true(seen_size(a) >= 40);
	assert_int_equal(nnonzero, 0);
	/* Shrunk: the first n bytes kept. */
	for (i = 0; i < 1000; i++)
		q[i] = (char)('a' + i % 26);
	a = (uintptr_t)q;
	observe_reset();
	assert_non_null(p = wipe_realloc(q, 26));
	wipe_observe(NULL);
	assert_memory_equal(p, "abcdefghijklmnopqrstuvwxyz", 26);
	assert_int_equal(nseen, 1);
	assert_true(seen_size(a) >= (1 << 20));
	assert_int_equal(nnonzero, 0);
	wipe_free(p);
}

/* A sensitive jsonout (a reply holding a family's record) written well
 * past its first 256 bytes: each buffer it outgrows is wiped whole, as
 * realloc() would have left it behind with the text in it. */
static void
test_sensitive_jsonout_leaves_no_outgrown_buffer(void **state)
{
	struct jsonout	 o;
	char		*text;
	size_t		 len, i;

	(void)state;
	observe_reset();
	jsonout_init(&o, 1);
	jsonout_sensitive(&o);
	jsonout_array_begin(&o);
	for (i = 0; i < 100; i++)	/* 3 KB: 256, 512, 1024, 2048 outgrown */
		jsonout_string(&o, MARKER);
	jsonout_array_end(&o);
	text = jsonout_finish(&o, &len);
	wipe_observe(NULL);
	assert_non_null(text);
	assert_true(len > 3000);
	assert_non_null(strstr(text, MARKER));
	assert_int_equal(nseen, 4);
	assert_true(seen_size(seen[0].p) >= 256);
	assert_true(seen_size(seen[3].p) >= 2048);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
	observe_reset();
	wipe_free(text);
	wipe_observe(NULL);
	assert_int_equal(nnonzero, 0);
	/* Not sensitive (a disclosure's 201, ids and names only): plain
	 * realloc(), nothing to wipe. */
	observe_reset();
	jsonout_init(&o, 1);
	jsonout_array_begin(&o);
	for (i = 0; i < 100; i++)
		jsonout_string(&o, "field_name_not_personal");
	jsonout_array_end(&o);
	text = jsonout_finish(&o, NULL);
	wipe_observe(NULL);
	assert_non_null(text);
	assert_int_equal(nseen, 0);
	free(text);
}

/* A sensitive jsonout that fails (here invalid UTF-8 after a family's
 * value) gives no text back: its buffer is wiped whole before it is
 * freed, not only the bytes written. */
static void
test_failed_sensitive_jsonout_is_wiped_whole(void **state)
{
	struct jsonout	 o;

	(void)state;
	observe_reset();
	jsonout_init(&o, 0);
	jsonout_sensitive(&o);
	jsonout_object_begin(&o);
	jsonout_key(&o, "child_name");
	jsonout_string(&o, MARKER);
	jsonout_key(&o, "notes");
	jsonout_string(&o, "\xff\xfe");
	assert_null(jsonout_finish(&o, NULL));
	wipe_observe(NULL);
	assert_int_equal(nseen, 1);
	assert_true(seen[0].n >= 256);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
}

/* A delivery body (a disclosure's values, unsealed to be sent) is wiped
 * to the end of its block, not to its length: bytes after it (here a
 * value after a NUL) are gone too. */
static void
test_delivery_body_is_wiped_whole(void **state)
{
	char		*body;
	uintptr_t	 a;
	size_t		 len = 20;

	(void)state;
	assert_non_null(body = malloc(200));
	memset(body, 0, 200);
	memcpy(body, "{\"data\":{}}", 11);
	memcpy(body + 100, MARKER, sizeof(MARKER));
	a = (uintptr_t)body;
	observe_reset();
	delivery_body_free(body, len);
	delivery_body_free(NULL, 0);
	wipe_observe(NULL);
	assert_int_equal(nseen, 1);
	assert_true(seen_size(a) >= 200);
	assert_int_equal(nnonzero, 0);
	assert_int_equal(nmarker, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jansson_frees_through_wipe),
		cmocka_unit_test(test_string_value_is_wiped),
		cmocka_unit_test(test_parsed_body_is_wiped),
		cmocka_unit_test(test_dumped_text_is_wiped),
		cmocka_unit_test(test_wipe_free_wipes_the_whole_block),
		cmocka_unit_test(test_wipe_realloc_leaves_no_copy),
		cmocka_unit_test(test_sensitive_jsonout_leaves_no_outgrown_buffer),
		cmocka_unit_test(test_failed_sensitive_jsonout_is_wiped_whole),
		cmocka_unit_test(test_delivery_body_is_wiped_whole),
	};

	wipe_json_install();	/* as both mains do, before any json call */
	return cmocka_run_group_tests_name("wipe", tests, NULL, NULL);
}
