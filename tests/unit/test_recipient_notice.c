/*
 * test_recipient_notice.c: gateway/recipient_notice.c's pure parts: the
 * kinds' names and advice, the digest a notice's ledger entries carry
 * (every part bound, none able to slide into its neighbour), and which
 * signed disclosures a notice names.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "recipient_notice.h"
#include "store.h"

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

/* A disclosure (as signed) is named by an erasure's notice when it is the
 * family's and allowed; by a withdrawal's only when it was also made to the
 * consent's agency, for its purpose, on a consent. */
static void
test_notice_names_the_familys_allowed_disclosures_of_its_kind(void **state)
{
	struct disclosure_row	d = { .id = "dsc_1", .agency_id = "oakfield-primary",
				    .purpose = "education_support", .family_pseudonym = "f1",
				    .decision = "allowed", .consent_id = "con_1" };
	struct disclosure_row	v;

	(void)state;
	assert_true(recipient_notice_names(NOTICE_FAMILY_ERASED, "f1", NULL, NULL, &d));
	assert_true(recipient_notice_names(NOTICE_CONSENT_WITHDRAWN, "f1", "oakfield-primary",
	    "education_support", &d));
	/* another family's */
	assert_false(recipient_notice_names(NOTICE_FAMILY_ERASED, "f2", NULL, NULL, &d));
	assert_false(recipient_notice_names(NOTICE_CONSENT_WITHDRAWN, "f2", "oakfield-primary",
	    "education_support", &d));
	/* refused */
	v = d;
	v.decision = "refused";
	assert_false(recipient_notice_names(NOTICE_FAMILY_ERASED, "f1", NULL, NULL, &v));
	/* a withdrawal: another agency, another purpose, or no consent */
	assert_false(recipient_notice_names(NOTICE_CONSENT_WITHDRAWN, "f1", "housing-association",
	    "education_support", &d));
	assert_false(recipient_notice_names(NOTICE_CONSENT_WITHDRAWN, "f1", "oakfield-primary",
	    "attendance_support", &d));
	v = d;
	v.consent_id = NULL;	/* an override's */
	assert_false(recipient_notice_names(NOTICE_CONSENT_WITHDRAWN, "f1", "oakfield-primary",
	    "education_support", &v));
	assert_true(recipient_notice_names(NOTICE_FAMILY_ERASED, "f1", NULL, NULL, &v));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_are_named_and_advised),
		cmocka_unit_test(test_notice_names_the_familys_allowed_disclosures_of_its_kind),
		cmocka_unit_test(test_digest_binds_every_part),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
