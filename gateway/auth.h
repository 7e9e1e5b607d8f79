/*
 * auth.h: turns a TLS peer into a principal. Holds the trust anchors (the
 * charity CA with its CRL, each registered agency's CA) and verifies a
 * connection's client certificate chain against them: expired, revoked,
 * unknown-CA, wrong-purpose and unregistered certificates are refused.
 * Called once per TLS connection; the result is cached with the connection
 * until the anchors are reloaded (a revoked certificate then stops working
 * on connections already open, too) or its not_after passes (http.c checks
 * it on each request).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <gnutls/gnutls.h>

#include "principal.h"

struct auth;
struct profiles;

/* "Never": a revocation list without nextUpdate, a certificate without
 * notAfter (GeneralizedTime 99991231235959Z). */
#define AUTH_NO_EXPIRY	((time_t)INT64_MAX)

/* Loads DIR/ca.crt and DIR/crl.pem, and every agency's CA and, when its
 * profile names one, CRL. Every CRL named is required: one that cannot be
 * read, holds no CRL, is out of date (past its nextUpdate) or not signed by
 * its CA fails the load; revocation is never switched off by a missing
 * file. NULL with a message in err (naming the file) on failure. */
struct auth	*auth_load(const char *tls_dir, const struct profiles *,
		    char *err, size_t errlen);
void		 auth_free(struct auth *);
/* Re-reads the CAs and CRLs (SIGHUP), atomically for verifiers, with the
 * same checks as auth_load(): all or nothing. On failure the anchors in
 * force stay (and the generation does not change), -1 and a message in
 * err. */
/* Loads the CAs and revocation lists again, with the agencies of ps (the
 * set already in use when NULL); all or nothing. Connections decide their
 * principal again under the new generation. 0, or -1 with err (the anchors
 * and profiles in force stay). */
int		 auth_reload(struct auth *, const struct profiles *ps, char *err,
		    size_t errlen);
/* The earliest nextUpdate among the revocation lists in force
 * (AUTH_NO_EXPIRY: none has one), and which file that is in which. A list
 * goes out of date while in force: it stays in force (better than none;
 * a reload refuses an out-of-date list) and the caller reports it. */
time_t		 auth_crl_next_update(const struct auth *, char *which, size_t len);
/* Bumped by every reload: a connection authenticated under an older
 * generation is verified again on its next request. */
unsigned	 auth_generation(const struct auth *);
/* Verifies the session's peer certificate. 0 and *p filled when it is a
 * known principal; -1 otherwise, *why set to a reason code (static string):
 * no_certificate, certificate_expired, certificate_revoked,
 * certificate_untrusted, certificate_not_registered, certificate_name_not_text
 * (a charity certificate whose CN is not text: auth.c, cn_is_text()). */
int		 auth_verify(const struct auth *, gnutls_session_t, struct principal *p,
		    const char **why);
/* The key hash of a DER certificate, as pins are written (the SHA-256 of
 * its SubjectPublicKeyInfo, 64 lower-case hex digits) into out: what the
 * log names a certificate by, never its subject. 0, or -1 (out empty) when
 * it is not a certificate GnuTLS reads. */
int		 auth_key_sha256(const gnutls_datum_t *der, char out[65]);
/* The same check on a DER certificate chain (leaf first); for tests. */
int		 auth_verify_chain(const struct auth *, const gnutls_datum_t *chain,
		    unsigned n, struct principal *p, const char **why);

#endif
