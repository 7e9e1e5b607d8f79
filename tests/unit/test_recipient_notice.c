/*
 * test_recipient_notice.c: gateway/recipient_notice.c's pure parts: the
 * kinds' names and advice, and the digest a notice's ledger entries carry
 * (every part bound, none able to slide into its neighbour).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "recipient_notice.h"

static void
test_kinds_are_named_and_advised(void **state)
{
	(void)state;
	assert_string_equal(notice_kind_name(NOTICE_FAMILY_ERASED), "family_erased");
	assert_string_equal(notice_kind_name(NOTICE_CONSENT_WITHDRAWN), "consent_withdrawn");
	assert_non_null(strstr(notice_kind_advice("family_erased"), "Erase"));
	assert_non_null(strstr(notice_kind_advice("consent_withdrawn"), "withdrew"));
	assert_null(notice_kind_advice("family_expired"));
	assert_null(notice_kind_advice(""));
}

static void
digest_r(const char *id, const char *agency, const char *kind, const char *consent, int64_t t,
    const char *ids, const char *rids, unsigned char out[32])
{
	assert_int_equal(recipient_notice_digest(id, agency, kind, consent, t, ids, rids, out), 0);
}

static void
digest(const char *id, const char *agency, const char *kind, const char *consent, int64_t t,
    const char *ids, unsigned char out[32])
{
	digest_r(id, agency, kind, consent, t, ids, "[]", out);
}

static void
test_digest_binds_every_part(void **state)
{
	unsigned char	base[32], d[32];

	(void)state;
	digest("ntc_1", "oakfield-primary", "family_erased", NULL, 1000, "[\"dsc_1\"]", base);
	digest("ntc_1", "oakfield-primary", "family_erased", NULL, 1000, "[\"dsc_1\"]", d);
	assert_memory_equal(base, d, 32);
	digest("ntc_1", "oakfield-primary", "family_erased", "", 1000, "[\"dsc_1\"]", d);
	assert_memory_equal(base, d, 32);	/* no consent: "" and NULL alike */
	digest("ntc_2", "oakfield-primary", "family_erased", NULL, 1000, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest("ntc_1", "police", "family_erased", NULL, 1000, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest("ntc_1", "oakfield-primary", "consent_withdrawn", NULL, 1000, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest("ntc_1", "oakfield-primary", "family_erased", "con_1", 1000, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest("ntc_1", "oakfield-primary", "family_erased", NULL, 1001, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest("ntc_1", "oakfield-primary", "family_erased", NULL, 1000, "[\"dsc_2\"]", d);
	assert_memory_not_equal(base, d, 32);
	digest_r("ntc_1", "oakfield-primary", "family_erased", NULL, 1000, "[\"dsc_1\"]",
	    "[\"req_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	/* An id moved from one list to the other changes it. */
	digest_r("ntc_1", "oakfield-primary", "family_erased", NULL, 1000, "[]",
	    "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
	/* A character moved across a boundary changes the digest. */
	digest("ntc_1o", "akfield-primary", "family_erased", NULL, 1000, "[\"dsc_1\"]", d);
	assert_memory_not_equal(base, d, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_are_named_and_advised),
		cmocka_unit_test(test_digest_binds_every_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
