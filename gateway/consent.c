/*
 * consent.c: a consent as the API states it, and the record digest of its
 * ledger entries (consent.h).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "consent.h"

json_t *
consent_json(const struct consent_row *r, const char *status)
{
	char	g[32], e[32], w[32];

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?}",
	    "consent_id", r->id, "agency_id", r->agency_id, "purpose", r->purpose,
	    "status", status,
	    "granted_at", store_time_fmt(r->granted_us, g),
	    "expires_at", r->expires_us ? store_time_fmt(r->expires_us, e) : NULL,
	    "withdrawn_at", r->withdrawn_us ? store_time_fmt(r->withdrawn_us, w) : NULL);
}

int
consent_digest(const struct consent_row *r, const char *status, const unsigned char *ct,
    size_t ctlen, unsigned char out[32])
{
	unsigned int	 dlen = 0;
	char		*text;
	json_t		*doc;
	EVP_MD_CTX	*md;
	int		 ok;

	if ((doc = consent_json(r, status)) == NULL ||
	    (text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(doc);
		return -1;
	}
	json_decref(doc);
	ok = (md = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, text, strlen(text)) == 1 &&
	    (ct == NULL || EVP_DigestUpdate(md, ct, ctlen) == 1) &&
	    EVP_DigestFinal_ex(md, out, &dlen) == 1 && dlen == 32;
	EVP_MD_CTX_free(md);
	free(text);
	return ok ? 0 : -1;
}
