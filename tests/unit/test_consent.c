/*
 * test_consent.c: gateway/consent.c, the record digest of a consent's
 * ledger entries: SHA-256 of the consent as the API states it (compact
 * JSON, keys sorted) and then the sealed evidence or reason, so that a
 * verifier recomputing it from the row sees any date changed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "consent.h"

#define SEC	INT64_C(1000000)
#define DAY	(86400 * SEC)
#define T0	INT64_C(1000000000000000)	/* 2001-09-09T01:46:40Z */

static const unsigned char	ct[] = { 0xde, 0xad, 0xbe, 0xef };

static void
row(struct consent_row *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "con_test");
	snprintf(r->family_pseudonym, sizeof(r->family_pseudonym), "fam1");
	snprintf(r->agency_id, sizeof(r->agency_id), "health-visiting");
	snprintf(r->purpose, sizeof(r->purpose), "health_visiting_support");
	r->granted_us = T0;
	r->expires_us = T0 + 10 * DAY;
}

static void
sha256(const char *text, const unsigned char *p, size_t len, unsigned char out[32])
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	unsigned int	 n = 0;

	assert_non_null(md);
	assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(md, text, strlen(text)), 1);
	if (p != NULL)
		assert_int_equal(EVP_DigestUpdate(md, p, len), 1);
	assert_int_equal(EVP_DigestFinal_ex(md, out, &n), 1);
	assert_int_equal(n, 32);
	EVP_MD_CTX_free(md);
}

/* The recipe, spelt out: the recorded entry's digest of a live consent
 * (not withdrawn: withdrawn_at null). */
static void
test_recorded_digest_is_the_stated_consent_and_evidence(void **state)
{
	struct consent_row	r;
	unsigned char		got[32], want[32];

	(void)state;
	row(&r);
	sha256("{\"agency_id\":\"health-visiting\",\"consent_id\":\"con_test\","
	    "\"expires_at\":\"2001-09-19T01:46:40.000000Z\","
	    "\"granted_at\":\"2001-09-09T01:46:40.000000Z\","
	    "\"purpose\":\"health_visiting_support\",\"status\":\"live\","
	    "\"withdrawn_at\":null}", ct, sizeof(ct), want);
	assert_int_equal(consent_digest(&r, "live", ct, sizeof(ct), got), 0);
	assert_memory_equal(got, want, 32);
}

/* A withdrawal without a reason binds the stated consent alone, with its
 * withdrawn_at (a date not set is null). */
static void
test_withdrawn_digest_without_a_reason(void **state)
{
	struct consent_row	r;
	unsigned char		got[32], want[32];

	(void)state;
	row(&r);
	r.expires_us = 0;
	r.withdrawn_us = T0 + DAY;
	sha256("{\"agency_id\":\"health-visiting\",\"consent_id\":\"con_test\","
	    "\"expires_at\":null,\"granted_at\":\"2001-09-09T01:46:40.000000Z\","
	    "\"purpose\":\"health_visiting_support\",\"status\":\"withdrawn\","
	    "\"withdrawn_at\":\"2001-09-10T01:46:40.000000Z\"}", NULL, 0, want);
	assert_int_equal(consent_digest(&r, "withdrawn", NULL, 0, got), 0);
	assert_memory_equal(got, want, 32);
}

/* Every date, the status and the sealed blob are bound: change one and the
 * digest changes. */
static void
test_every_date_is_bound(void **state)
{
	struct consent_row	r, o;
	unsigned char		base[32], d[32];

	(void)state;
	row(&r);
	r.withdrawn_us = T0 + DAY;
	assert_int_equal(consent_digest(&r, "withdrawn", ct, sizeof(ct), base), 0);
	o = r;
	o.granted_us -= DAY;
	assert_int_equal(consent_digest(&o, "withdrawn", ct, sizeof(ct), d), 0);
	assert_memory_not_equal(d, base, 32);
	o = r;
	o.expires_us += SEC;
	assert_int_equal(consent_digest(&o, "withdrawn", ct, sizeof(ct), d), 0);
	assert_memory_not_equal(d, base, 32);
	o = r;
	o.withdrawn_us += 1;
	assert_int_equal(consent_digest(&o, "withdrawn", ct, sizeof(ct), d), 0);
	assert_memory_not_equal(d, base, 32);
	assert_int_equal(consent_digest(&r, "live", ct, sizeof(ct), d), 0);
	assert_memory_not_equal(d, base, 32);
	assert_int_equal(consent_digest(&r, "withdrawn", NULL, 0, d), 0);
	assert_memory_not_equal(d, base, 32);
	assert_int_equal(consent_digest(&r, "withdrawn", ct, sizeof(ct), d), 0);
	assert_memory_equal(d, base, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded_digest_is_the_stated_consent_and_evidence),
		cmocka_unit_test(test_withdrawn_digest_without_a_reason),
		cmocka_unit_test(test_every_date_is_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
