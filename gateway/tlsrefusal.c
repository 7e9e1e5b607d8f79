/*
 * tlsrefusal.c: a handshake's refusal reason (tlsrefusal.h).
 *
 * A refused certificate often has several bits set (GNUTLS_CERT_INVALID is
 * with them all); the code is the one an operator acts on first. An unknown
 * issuer comes before the dates: a certificate of a CA the gateway does not
 * trust is refused whatever its dates, and the fix (the agency's CA file) is
 * the same either way. A broken signature or a non-CA issuer says the chain
 * itself is wrong, so those come before the dates too.
 */
#include <gnutls/gnutls.h>

#include "tlsrefusal.h"

const char *
tlsrefusal_reason(unsigned status)
{
	if (status & GNUTLS_CERT_SIGNER_NOT_FOUND)
		return "unknown_issuer";
	if (status & GNUTLS_CERT_REVOKED)
		return "revoked";
	if (status & GNUTLS_CERT_SIGNATURE_FAILURE)
		return "signature_failure";
	if (status & GNUTLS_CERT_INSECURE_ALGORITHM)
		return "insecure_algorithm";
	if (status & (GNUTLS_CERT_SIGNER_NOT_CA | GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE))
		return "issuer_not_ca";
	if (status & GNUTLS_CERT_EXPIRED)
		return "expired";
	if (status & GNUTLS_CERT_NOT_ACTIVATED)
		return "not_yet_valid";
	if (status & GNUTLS_CERT_PURPOSE_MISMATCH)
		return "wrong_purpose";
	return "other";
}
