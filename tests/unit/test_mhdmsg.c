/*
 * test_mhdmsg.c: gateway/mhdmsg.c, libmicrohttpd's own messages as they
 * reach the log: the URL of every message of libmicrohttpd 0.9.75 that
 * names one is withheld (a family's id can be in it), the error's words
 * are kept, other messages pass as they are.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "mhdmsg.h"

#define FAMILY_URL	"/v1/families/FAM-SECRET-42/subject-access"

static char	out[512];

static const char *
fmt(size_t len, const char *f, ...) __attribute__((format(printf, 2, 3)));

static const char *
fmt(size_t len, const char *f, ...)
{
	va_list	ap;

	va_start(ap, f);
	mhdmsg_format(out, len, f, ap);
	va_end(ap);
	return out;
}

/* The five messages of libmicrohttpd 0.9.75 that name the URL
 * (connection.c), with a family's id in the URL. */
static void
test_no_family_id_in_libmicrohttpd_messages_in_the_log(void **state)
{
	(void)state;
#define FAILED(what) \
	fmt(sizeof(out), "Failed to send the " what " for the request for `%s'. Error: %s\n", \
	    FAMILY_URL, "Broken pipe"); \
	assert_string_equal(out, "Failed to send the " what " for the request for `" \
	    MHDMSG_WITHHELD "'. Error: Broken pipe")
	FAILED("response headers");
	FAILED("response body");
	FAILED("chunked response body");
	FAILED("footers");
#undef FAILED
	assert_string_equal(fmt(sizeof(out), "Failed to send data in request for %s.\n",
	    FAMILY_URL), "Failed to send data in request for " MHDMSG_WITHHELD ".");
}

/* A URL longer than the line: none of it shows, cut or not. */
static void
test_long_url_withheld_whole(void **state)
{
	char	url[600];

	(void)state;
	memset(url, 'A', sizeof(url) - 1);
	memcpy(url, "/v1/families/FAM-SECRET-42/", 27);
	url[sizeof(url) - 1] = '\0';
	fmt(sizeof(out), "Failed to send the response body for the request for `%s'. "
	    "Error: %s\n", url, "Broken pipe");
	assert_null(strstr(out, "FAM-SECRET"));
	assert_null(strstr(out, "AAAA"));
	assert_non_null(strstr(out, MHDMSG_WITHHELD));
	fmt(80, "Failed to send the response body for the request for `%s'. Error: %s\n",
	    url, "Broken pipe");
	assert_null(strstr(out, "FAM-SECRET"));
	assert_true(strlen(out) < 80);
	/* Too short even for the marker: cut at the mark. */
	fmt(60, "Failed to send the response body for the request for `%s'. Error: %s\n",
	    url, "Broken pipe");
	assert_string_equal(out, "Failed to send the response body for the request for `");
}

/* A URL that itself says "request for " is withheld all the same. */
static void
test_url_repeating_the_words_is_withheld(void **state)
{
	(void)state;
	fmt(sizeof(out), "Failed to send data in request for %s.\n",
	    "/v1/families/request for FAM-SECRET-42/erasure");
	assert_string_equal(out, "Failed to send data in request for " MHDMSG_WITHHELD ".");
}

/* Messages with no URL are the library's words as they were. */
static void
test_other_messages_pass_unchanged(void **state)
{
	(void)state;
	assert_string_equal(fmt(sizeof(out), "Failed to bind to port %u: %s\n", 8443u,
	    "Address already in use"), "Failed to bind to port 8443: Address already in use");
	assert_string_equal(fmt(sizeof(out), "Error processing request (HTTP response code "
	    "is %u ('%s')). Closing connection.\n", 400u, "Bad Request"),
	    "Error processing request (HTTP response code is 400 ('Bad Request')). Closing "
	    "connection.");
	assert_string_equal(fmt(sizeof(out), "100%% of %s\n", "x"), "100% of x");
}

/* A wording not known to put the URL first (a later libmicrohttpd): the
 * words before its first conversion only. */
static void
test_unknown_wording_keeps_only_the_words_before_its_values(void **state)
{
	(void)state;
	assert_string_equal(fmt(sizeof(out), "Error %d while sending the request for %s\n", 5,
	    FAMILY_URL), "Error ");
	assert_string_equal(fmt(sizeof(out), "Reply for the request for URL %s failed\n",
	    FAMILY_URL), "Reply for the request for URL ");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_no_family_id_in_libmicrohttpd_messages_in_the_log),
		cmocka_unit_test(test_long_url_withheld_whole),
		cmocka_unit_test(test_url_repeating_the_words_is_withheld),
		cmocka_unit_test(test_other_messages_pass_unchanged),
		cmocka_unit_test(test_unknown_wording_keeps_only_the_words_before_its_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
