/*
 * test_ctl_ledger.c: the strict flat-JSON reader and the writer of ledger
 * exports (static functions of gateway/ctl_ledger.c, reached by including
 * the file, as h2o's unit tests do).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../gateway/ctl_ledger.c"

static int
parse(const char *text, struct flat *f, char *buf, size_t cap)
{
	size_t	n = strlen(text);

	assert_true(n < cap);
	memcpy(buf, text, n + 1);
	return flat_parse(buf, n, f);
}

static void
test_flat_reader_decodes_escapes_and_types(void **state)
{
	struct flat	 f;
	char		 buf[256];
	long long	 v;

	(void)state;
	assert_int_equal(parse("{\"a\":\"q\\\"b\\\\s\\/\\n\\t\\u00e9\\ud83d\\ude00\","
	    "\"n\":null,\"i\":-42,\"z\":0}\n", &f, buf, sizeof(buf)), 0);
	assert_int_equal(f.n, 4);
	assert_string_equal(flat_str(&f, "a"), "q\"b\\s/\n\t\xc3\xa9\xf0\x9f\x98\x80");
	assert_true(flat_null(&f, "n"));
	assert_null(flat_str(&f, "n"));
	assert_int_equal(flat_int(&f, "i", &v), 0);
	assert_int_equal(v, -42);
	assert_int_equal(flat_int(&f, "z", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(flat_find(&f, "missing"), -1);
	assert_int_equal(parse("{}", &f, buf, sizeof(buf)), 0);
	assert_int_equal(f.n, 0);
}

static void
test_flat_reader_refuses_what_an_export_never_holds(void **state)
{
	struct flat	 f;
	char		 buf[256];
	const char	*bad[] = {
		"{\"a\":{\"b\":1}}",		/* nested */
		"{\"a\":[1]}",
		"{\"a\":1.5}",			/* float */
		"{\"a\":1e3}",
		"{\"a\":01}",			/* leading zero */
		"{\"a\":1,\"a\":2}",		/* duplicate key */
		"{\"a\":\"\\u0000\"}",		/* NUL */
		"{\"a\":\"\\ud83d\"}",		/* lone surrogate */
		"{\"a\":\"\\ude00\"}",
		"{\"a\":\"\\x41\"}",		/* not a JSON escape */
		"{\"a\":\"tab\there\"}",		/* raw control character */
		"{\"a\":1} x",			/* trailing garbage */
		"{\"a\":1,}",
		"{\"a\" 1}",
		"{\"a\":\"open}",
		"{\"a\":true}",
		"[1]",
		"",
		"{\"a\":99999999999999999999}",	/* overflow */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &f, buf, sizeof(buf)) != -1)
			fail_msg("accepted %s", bad[i]);
}

static void
test_writer_output_reads_back_byte_for_byte(void **state)
{
	char		 s[256], buf[2048];
	size_t		 n, len = 0;
	struct flat	 f;
	struct line	 l = { NULL, 0, 0, 0 };

	(void)state;
	/* Every byte but NUL, as a raw string (not necessarily UTF-8). */
	for (int c = 1; c < 256; c++)
		s[len++] = (char)c;
	s[len] = '\0';
	line_puts(&l, "{\"k\":");
	put_json_str(&l, s, len);
	line_puts(&l, "}");
	assert_false(l.failed);
	n = l.len;
	assert_true(n < sizeof(buf));
	memcpy(buf, l.b, n);
	buf[n] = '\0';
	assert_int_equal(flat_parse(buf, n, &f), 0);
	assert_non_null(flat_str(&f, "k"));
	assert_int_equal(f.len[0], len);
	assert_memory_equal(flat_str(&f, "k"), s, len);
	free(l.b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_reader_decodes_escapes_and_types),
		cmocka_unit_test(test_flat_reader_refuses_what_an_export_never_holds),
		cmocka_unit_test(test_writer_output_reads_back_byte_for_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
