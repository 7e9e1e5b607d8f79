/*
 * tlsrefusal.h: why the TLS handshake refused a client certificate, as one
 * of a few reason codes (a bounded label set for /metrics and the log) from
 * GnuTLS's verification status bits. Pure: no I/O.
 */
#ifndef TLSREFUSAL_H
#define TLSREFUSAL_H

/* The reason codes tlsrefusal_reason() returns, in the order it looks for
 * them. */
#define TLSREFUSAL_REASONS	"unknown_issuer", "revoked", "signature_failure", \
				"insecure_algorithm", "issuer_not_ca", "expired", \
				"not_yet_valid", "wrong_purpose", "other"

/* The one reason code (static) for a gnutls_certificate_status_t set of
 * bits, status non-zero: the first that applies of TLSREFUSAL_REASONS. */
const char	*tlsrefusal_reason(unsigned status);

#endif
