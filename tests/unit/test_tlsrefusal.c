/*
 * test_tlsrefusal.c: gateway/tlsrefusal.c, the reason code of a handshake's
 * refusal: what GnuTLS reports for the usual mistakes, the first that applies
 * when several bits are set, and never anything outside the bounded set
 * /metrics labels with.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <gnutls/gnutls.h>

#include "tlsrefusal.h"

static void
test_usual_refusals(void **state)
{
	(void)state;
	/* A certificate of a CA not trusted (the wrong CA file). */
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID |
	    GNUTLS_CERT_SIGNER_NOT_FOUND), "unknown_issuer");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED),
	    "expired");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID |
	    GNUTLS_CERT_NOT_ACTIVATED), "not_yet_valid");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID | GNUTLS_CERT_REVOKED),
	    "revoked");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID |
	    GNUTLS_CERT_SIGNATURE_FAILURE), "signature_failure");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID | GNUTLS_CERT_SIGNER_NOT_CA),
	    "issuer_not_ca");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID |
	    GNUTLS_CERT_PURPOSE_MISMATCH), "wrong_purpose");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID), "other");
}

static void
test_unknown_issuer_comes_before_the_dates(void **state)
{
	(void)state;
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_SIGNER_NOT_FOUND), "unknown_issuer");
	assert_string_equal(tlsrefusal_reason(GNUTLS_CERT_INVALID | GNUTLS_CERT_EXPIRED |
	    GNUTLS_CERT_REVOKED), "revoked");
}

static void
test_every_status_is_in_the_bounded_set(void **state)
{
	static const char *const set[] = { TLSREFUSAL_REASONS };
	const char	*r;
	unsigned	 bit, k, found;

	(void)state;
	for (bit = 0; bit < 32; bit++) {
		r = tlsrefusal_reason(1u << bit);
		for (k = found = 0; k < sizeof(set) / sizeof(set[0]); k++)
			found |= strcmp(r, set[k]) == 0;
		assert_true(found);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usual_refusals),
		cmocka_unit_test(test_unknown_issuer_comes_before_the_dates),
		cmocka_unit_test(test_every_status_is_in_the_bounded_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
