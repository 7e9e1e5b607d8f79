/*
 * tlscred.c: reference-counted GnuTLS certificate credentials (tlscred.h).
 * libmicrohttpd builds one credentials object at start from
 * MHD_OPTION_HTTPS_MEM_TRUST and keeps it; http.c sets one of these on each
 * new session instead, so that SIGHUP can change the CAs the handshake
 * accepts without a restart while connections opened before it keep the set
 * they were verified with.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlscred.h"

struct tlscred {
	atomic_uint			 refs;
	gnutls_certificate_credentials_t cred;
	char				*trust_pem;
};

static gnutls_datum_t
datum(const char *pem)
{
	gnutls_datum_t	d = { (unsigned char *)(uintptr_t)pem, (unsigned)strlen(pem) };

	return d;
}

struct tlscred *
tlscred_new(const char *key_pem, const char *cert_pem, const char *trust_pem, char *err,
    size_t errlen)
{
	struct tlscred	*c;
	gnutls_datum_t	 key = datum(key_pem), crt = datum(cert_pem), ca = datum(trust_pem);
	int		 rc;

	if ((c = calloc(1, sizeof(*c))) == NULL || (c->trust_pem = strdup(trust_pem)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&c->cred)) < 0) {
		c->cred = NULL;
		snprintf(err, errlen, "TLS credentials: %s", gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_certificate_set_x509_key_mem2(c->cred, &crt, &key, GNUTLS_X509_FMT_PEM,
	    NULL, 0)) < 0) {
		snprintf(err, errlen, "the gateway's key and certificate: %s", gnutls_strerror(rc));
		goto fail;
	}
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
	if (c != NULL) {
		if (c->cred != NULL)
			gnutls_certificate_free_credentials(c->cred);
		free(c->trust_pem);
		free(c);
	}
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
	gnutls_certificate_free_credentials(c->cred);
	free(c->trust_pem);
	free(c);
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
