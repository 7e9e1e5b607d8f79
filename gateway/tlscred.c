/*
 * tlscred.c: reference-counted GnuTLS certificate credentials (tlscred.h).
 * libmicrohttpd builds one credentials object at start from
 * MHD_OPTION_HTTPS_MEM_TRUST and keeps it; http.c sets one of these on each
 * new session instead, so that SIGHUP can change the CAs the handshake
 * accepts without a restart while connections opened before it keep the set
 * they were verified with. The gateway's own key and certificate are read
 * again at each SIGHUP too, so that a renewed server certificate is served
 * on new connections without a restart.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/x509.h>

#include "hex.h"
#include "tlscred.h"

struct tlscred {
	atomic_uint			 refs;
	gnutls_certificate_credentials_t cred;
	char				*key_pem, *cert_pem, *trust_pem;
	time_t				 not_after;	/* the server certificate's; -1: unknown */
	char				 serial[2 * 20 + 1];	/* its serial (leaf_facts) */
};

static void
cred_free(struct tlscred *c)
{
	if (c->cred != NULL)
		gnutls_certificate_free_credentials(c->cred);
	/* The private key's text: not left behind in freed memory. */
	if (c->key_pem != NULL)
		explicit_bzero(c->key_pem, strlen(c->key_pem));
	free(c->key_pem);
	free(c->cert_pem);
	free(c->trust_pem);
	free(c);
}

static gnutls_datum_t
datum(const char *pem)
{
	gnutls_datum_t	d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };

	return d;
}

/* The notAfter and serial of the first certificate of pem (the server's own;
 * the rest is its chain), for /metrics and the log only: -1 and "unknown"
 * when GnuTLS does not give them (it took the certificate already). The
 * serial as openssl x509 -serial prints it: upper-case hex, without the
 * DER encoding's leading zero byte. */
static void
leaf_facts(const char *pem, time_t *not_after, char serial[2 * 20 + 1])
{
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		d = datum(pem);
	unsigned char		sn[20], *p = sn;
	size_t			snlen = sizeof(sn), i;

	*not_after = -1;
	snprintf(serial, 2 * 20 + 1, "unknown");
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0) {
		*not_after = gnutls_x509_crt_get_expiration_time(crt);
		if (gnutls_x509_crt_get_serial(crt, sn, &snlen) >= 0 && snlen > 0) {
			for (; snlen > 1 && *p == 0; p++, snlen--)
				;
			hex_encode(p, snlen, serial);
			for (i = 0; serial[i] != '\0'; i++)
				serial[i] = (char)toupper((unsigned char)serial[i]);
		}
	}
	gnutls_x509_crt_deinit(crt);
}

struct tlscred *
tlscred_new(const char *key_pem, const char *cert_pem, const char *trust_pem, char *err,
    size_t errlen)
{
	struct tlscred	*c;
	gnutls_datum_t	 key = datum(key_pem), crt = datum(cert_pem), ca = datum(trust_pem);
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->trust_pem = strdup(trust_pem)) == NULL ||
	    (c->key_pem = strdup(key_pem)) == NULL || (c->cert_pem = strdup(cert_pem)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		c->cred = NULL;
		snprintf(err, errlen, "TLS credentials: %s", gnutls_strerror(rc));
		goto fail;
	}
	/* GnuTLS refuses a key that is not the certificate's
	 * (GNUTLS_E_CERTIFICATE_KEY_MISMATCH): a renewed certificate put in
	 * place without its new key is refused here, at --check and SIGHUP. */
	if ((rc = gnutls_certificate_set_x509_key_mem2(c->cred, &crt, &key, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0) {
		snprintf(err, errlen, "the gateway's key and certificate: %s", gnutls_strerror(rc));
		goto fail;
	}
	leaf_facts(cert_pem, &c->not_after, c->serial);
	/* The number of CAs taken, or an error: none taken is an error too,
	 * since the handshake would then refuse every client. */
	if ((rc = gnutls_certificate_set_x509_trust_mem(c->cred, &ca, GNUTLS_X509_FMT_PEM)) <= 0) {
		snprintf(err, errlen, "the trusted CAs: %s", rc < 0 ? gnutls_strerror(rc) :
		    "no certificate in them");
		goto fail;
	}
	atomic_init(&c->refs, 1);
	return c;
fail:
	if (c != NULL)
		cred_free(c);
	return NULL;
}

struct tlscred *
tlscred_ref(struct tlscred *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
tlscred_unref(struct tlscred *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	cred_free(c);
}

gnutls_certificate_credentials_t
tlscred_gnutls(const struct tlscred *c)
{
	return c->cred;
}

const char *
tlscred_trust(const struct tlscred *c)
{
	return c->trust_pem;
}

unsigned
tlscred_differs(const struct tlscred *c, const char *key_pem, const char *cert_pem,
    const char *trust_pem)
{
	unsigned	d = 0;

	if (strcmp(c->trust_pem, trust_pem) != 0)
		d |= TLSCRED_CAS;
	if (strcmp(c->key_pem, key_pem) != 0 || strcmp(c->cert_pem, cert_pem) != 0)
		d |= TLSCRED_SERVER_CERT;
	return d;
}

time_t
tlscred_not_after(const struct tlscred *c)
{
	return c->not_after;
}

const char *
tlscred_serial(const struct tlscred *c)
{
	return c->serial;
}
