/*
 * tlscred.h: the credentials the TLS handshake uses (the gateway's key and
 * certificate, and the CAs whose client certificates it accepts), as one
 * GnuTLS credentials object per set. A reload that changes the CAs makes a
 * new set; each connection holds a reference to the set its handshake
 * started with, and a set is freed when the last such connection closes.
 */
#ifndef TLSCRED_H
#define TLSCRED_H

#include <stddef.h>

#include <gnutls/gnutls.h>

struct tlscred;

/* A set from PEM text: key, its certificate (chain), the trusted CAs. NULL
 * with a message in err when GnuTLS takes any of them badly. The caller
 * holds the one reference. */
struct tlscred	*tlscred_new(const char *key_pem, const char *cert_pem,
		    const char *trust_pem, char *err, size_t errlen);
/* Another reference to c; c itself. */
struct tlscred	*tlscred_ref(struct tlscred *c);
/* Drops a reference; the set is freed with the last. NULL is ignored. */
void		 tlscred_unref(struct tlscred *c);
/* The GnuTLS credentials, valid while a reference is held. */
gnutls_certificate_credentials_t tlscred_gnutls(const struct tlscred *c);
/* The trusted CAs' PEM text the set was made from. */
const char	*tlscred_trust(const struct tlscred *c);

#endif
