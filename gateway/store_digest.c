/*
 * store_digest.c: the record digest of a stored row, as the ledger quotes
 * it. SHA-256 over a type tag and the row's columns in order, each as an
 * 8-byte big-endian length followed by its bytes (a NULL column has length
 * 2^64-1 and no bytes; an integer is its 8 bytes big-endian), so that no two
 * different rows share an encoding and a verifier can recompute it from the
 * row alone. Every record digest goes through here (store_disclosures.c's
 * rows included).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store.h"

struct store_digest {
	EVP_MD_CTX	*md;
	int		 failed;
};

/* SHA-256 fetched from the provider once: EVP_sha256() in EVP_DigestInit_ex
 * fetches it anew on every call (a writer-side cost per disclosure). Never
 * freed, like the provider's own tables. */
static EVP_MD		*sha256_p;
static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_p = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_p != NULL ? sha256_p : EVP_sha256();
}

struct store_digest *
store_digest_begin(const char *tag)
{
	struct store_digest	*d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(d->md, sha256(), NULL) != 1) {
		EVP_MD_CTX_free(d->md);
		free(d);
		return NULL;
	}
	store_digest_str(d, tag);
	return d;
}

void
store_digest_blob(struct store_digest *d, const void *p, size_t len)
{
	unsigned char	be[8];
	uint64_t	n = p == NULL ? UINT64_MAX : (uint64_t)len;
	int		i;

	if (d == NULL || d->failed)
		return;
	for (i = 0; i < 8; i++)
		be[i] = (unsigned char)(n >> (56 - 8 * i));
	if (EVP_DigestUpdate(d->md, be, sizeof(be)) != 1 ||
	    (p != NULL && len > 0 && EVP_DigestUpdate(d->md, p, len) != 1))
		d->failed = 1;
}

void
store_digest_str(struct store_digest *d, const char *s)
{
	store_digest_blob(d, s, s == NULL ? 0 : strlen(s));
}

void
store_digest_int(struct store_digest *d, int64_t v)
{
	unsigned char	be[8];
	int		i;

	for (i = 0; i < 8; i++)
		be[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
	store_digest_blob(d, be, sizeof(be));
}

int
store_digest_end(struct store_digest *d, unsigned char out[32])
{
	unsigned int	len = 0;
	int		ok;

	if (d == NULL)
		return -1;
	ok = !d->failed && EVP_DigestFinal_ex(d->md, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(d->md);
	free(d);
	return ok ? 0 : -1;
}
