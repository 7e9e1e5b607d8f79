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
#include <time.h>

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

#define TLSCRED_CAS		0x1	/* the trusted CAs differ */
#define TLSCRED_SERVER_CERT	0x2	/* the gateway's key or certificate */
/* What of c differs from these texts: TLSCRED_ bits, 0 when none. */
unsigned	 tlscred_differs(const struct tlscred *c, const char *key_pem,
		    const char *cert_pem, const char *trust_pem);
/* The gateway's certificate in c: its notAfter (Unix time; -1 unknown) and
 * its serial number as openssl x509 -serial prints it ("unknown"). */
time_t		 tlscred_not_after(const struct tlscred *c);
const char	*tlscred_serial(const struct tlscred *c);

#endif
