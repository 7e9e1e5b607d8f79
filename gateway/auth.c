/*
 * auth.c: client certificate verification and principal resolution.
 *
 * Two kinds of caller, two checks:
 *  - charity people: the chain verifies against the charity CA (and its
 *    CRL); the role is the subject's OU, which must be a known role;
 *  - partner agencies: the leaf's SubjectPublicKeyInfo SHA-256 matches a pin
 *    registered in an agency profile, and the chain verifies against that
 *    agency's own CA (not any other agency's).
 * Time validity and the clientAuth key purpose are checked in both (the
 * leaf must name clientAuth: one with no extended key usage is refused too,
 * though GnuTLS's own purpose check lets it pass). Nothing
 * here trusts anything the client says besides its verified certificate.
 *
 * Revocation fails closed: the charity CA's CRL (DIR/crl.pem) is required,
 * and so is an agency's when its profile names one. A list that cannot be
 * read, holds no CRL, is out of date or not signed by its CA fails the load,
 * at start-up and on reload alike; it never means "nothing is revoked".
 * A CA file may hold several CAs (an old and a new one, during a rotation):
 * each must then have a list of its own in the CRL file, or the load fails,
 * since GnuTLS takes a CA without a list as one that revokes nothing. And a
 * leaf whose issuer has no list in force is refused, whatever was loaded.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>

#include "auth.h"
#include "hex.h"
#include "note.h"
#include "profiles.h"
#include "readfile.h"

#define MAX_CHAIN	8
#define VCACHE_SIZE	64	/* verified chains remembered */
#define VCACHE_TTL	60	/* seconds a verification is reused, at most */
#define CRL_MAX_BYTES	((size_t)64 << 20)	/* a larger revocation list is refused */
#define CA_MAX_BYTES	((size_t)1 << 20)	/* and a larger CA file */

/*
 * Verified chains, so a client that opens connection after connection (a
 * load balancer, a script, an agency's retries) costs one ECDSA chain
 * verification a minute rather than one per connection. Keyed by the
 * SHA-256 of the whole chain as presented; only successes are kept, each
 * until the earliest notAfter in its chain or VCACHE_TTL, whichever comes
 * first. It belongs to one generation of anchors: a reload (new CRL, new
 * agency CA or pin) starts from an empty one.
 */
struct vcache_entry {
	unsigned char		 digest[32];
	time_t			 until;		/* 0: empty slot */
	struct principal	 p;
};

/*
 * The CAs of one trust list that have a revocation list in it, by the
 * SHA-256 of their DER. GnuTLS checks a chain against the lists it has and
 * treats an issuer with none as revoking nothing: verify_chain() asks this
 * as well, so revocation cannot be silently off for one CA of several.
 */
struct covered {
	unsigned char	(*ca)[32];
	size_t		 n;
};

struct agency_trust {
	const struct agency		*agency;
	gnutls_x509_trust_list_t	 tl;
	struct covered			 cov;	/* empty: the profile names no CRL */
};

/* One generation of trust anchors; replaced whole by auth_reload(). */
struct anchors {
	gnutls_x509_trust_list_t	 charity;
	struct covered			 charity_cov;
	struct agency_trust		*agencies;
	size_t				 nagencies;
	pthread_mutex_t			 vlock;
	struct vcache_entry		 vcache[VCACHE_SIZE];
	size_t				 vnext;		/* slot replaced next */
	/* The earliest nextUpdate of the revocation lists, and whose. */
	time_t				 next_update;	/* AUTH_NO_EXPIRY: none has one */
	char				 next_update_of[4096];
};

struct auth {
	char			*tls_dir;
	const struct profiles	*profiles;
	pthread_rwlock_t	 lock;		/* readers verify, reload swaps */
	struct anchors		*cur;
	atomic_uint		 generation;
};

static void
utc_text(time_t t, char buf[32])
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "@%lld", (long long)t);
}

static int
covered_has(const struct covered *cov, const unsigned char digest[32])
{
	size_t	i;

	for (i = 0; i < cov->n; i++)
		if (memcmp(cov->ca[i], digest, 32) == 0)
			return 1;
	return 0;
}

/* Whether one of the n lists in crls was signed by ca. */
static int
crl_issued_by(gnutls_x509_crl_t *crls, unsigned n, gnutls_x509_crt_t ca)
{
	unsigned	i, status;

	for (i = 0; i < n; i++)
		if (gnutls_x509_crl_verify(crls[i], &ca, 1, 0, &status) >= 0 && status == 0)
			return 1;
	return 0;
}

/*
 * Every CA in tl (the CA file ca) must have issued one of the n lists read
 * from path: a CA file holding two CAs (a rotation) with the list of only
 * one would have the other's certificates never checked for revocation.
 * The error names the CA by its subject (a CA's name, nobody's personal
 * data). The CAs found covered are added to cov, when not NULL.
 */
static int
crl_cover(gnutls_x509_trust_list_t tl, gnutls_x509_crl_t *crls, unsigned n, const char *what,
    const char *path, const char *ca, struct covered *cov, char *err, size_t errlen)
{
	gnutls_x509_trust_list_iter_t	 it = NULL;
	gnutls_x509_crt_t		 crt;
	gnutls_datum_t			 dn = { NULL, 0 };
	unsigned char			 digest[32], (*more)[32];
	size_t				 sz;
	int				 r, rc = -1;

	while ((r = gnutls_x509_trust_list_iter_get_ca(tl, &it, &crt)) >= 0) {
		if (!crl_issued_by(crls, n, crt)) {
			if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
				dn.data = NULL;
			snprintf(err, errlen, "%s %s: holds no revocation list issued by the CA "
			    "\"%s\" in %s (each CA there needs a list of its own: in a rotation, "
			    "both CAs' lists, concatenated)", what, path,
			    dn.data != NULL ? (const char *)dn.data : "(unreadable subject)", ca);
			gnutls_free(dn.data);
			gnutls_x509_crt_deinit(crt);
			goto out;
		}
		sz = sizeof(digest);
		r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, digest, &sz);
		gnutls_x509_crt_deinit(crt);
		if (r < 0 || sz != sizeof(digest)) {
			snprintf(err, errlen, "%s: a CA's fingerprint: %s", ca,
			    r < 0 ? gnutls_strerror(r) : "unexpected size");
			goto out;
		}
		if (cov == NULL || covered_has(cov, digest))
			continue;
		if ((more = reallocarray(cov->ca, cov->n + 1, sizeof(*cov->ca))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		cov->ca = more;
		memcpy(cov->ca[cov->n++], digest, sizeof(digest));
	}
	if (r != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
		snprintf(err, errlen, "%s: its CAs: %s", ca, gnutls_strerror(r));
		goto out;
	}
	rc = 0;
out:
	gnutls_x509_trust_list_iter_deinit(it);
	return rc;
}

/*
 * Adds the revocation list(s) in the PEM file at path to tl, whose CA(s)
 * must already be in it; every one of them must have issued one of the
 * lists (crl_cover()), and cov (when not NULL) gets those CAs. A list that
 * is configured is required: a file that cannot be read, holds no CRL, was
 * issued in the future or is out of date (past its nextUpdate), or that the
 * CA did not sign, is an error, never "no revocation". *next_update is
 * lowered to the earliest nextUpdate.
 */
static int
crl_add(gnutls_x509_trust_list_t tl, const char *what, const char *path, const char *ca,
    struct covered *cov, time_t now, time_t *next_update, char *err, size_t errlen)
{
	gnutls_datum_t		 d;
	gnutls_x509_crl_t	*crls = NULL;
	unsigned		 n = 0, i;
	time_t			 t, first = AUTH_NO_EXPIRY;
	char			 when[32], *pem;
	size_t			 len;
	int			 r, rc = -1;

	if (readfile(path, what, CRL_MAX_BYTES, &pem, &len, err, errlen) == -1)
		return -1;
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	if (gnutls_x509_crl_list_import2(&crls, &n, &d, GNUTLS_X509_FMT_PEM, 0) < 0 || n == 0) {
		snprintf(err, errlen, "%s %s: holds no certificate revocation list (PEM)", what, path);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((t = gnutls_x509_crl_get_this_update(crls[i])) != (time_t)-1 && t > now) {
			utc_text(t, when);
			snprintf(err, errlen, "%s %s: issued in the future (thisUpdate %s): "
			    "check this machine's clock", what, path, when);
			goto out;
		}
		if ((t = gnutls_x509_crl_get_next_update(crls[i])) == (time_t)-1)
			continue;	/* no nextUpdate: never out of date */
		if (t < now) {
			utc_text(t, when);
			snprintf(err, errlen, "%s %s: out of date: its nextUpdate %s has passed; "
			    "the CA must issue a fresh one", what, path, when);
			goto out;
		}
		if (t < first)
			first = t;
	}
	r = gnutls_x509_trust_list_add_trust_mem(tl, NULL, &d, GNUTLS_X509_FMT_PEM,
	    GNUTLS_TL_VERIFY_CRL | GNUTLS_TL_FAIL_ON_INVALID_CRL, 0);
	if (r <= 0) {
		snprintf(err, errlen, "%s %s: not a revocation list signed by the CA in %s: %s",
		    what, path, ca, r < 0 ? gnutls_strerror(r) : "none was added");
		goto out;
	}
	if (crl_cover(tl, crls, n, what, path, ca, cov, err, errlen) == -1)
		goto out;
	if (first < *next_update)
		*next_update = first;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	free(pem);
	return rc;
}

/* A trust list of the CA(s) in the PEM file ca (read through readfile():
 * a FIFO there must not stop the main thread). */
static int
trust_from_ca(gnutls_x509_trust_list_t *tl, const char *ca, char *err, size_t errlen)
{
	gnutls_datum_t	 d;
	char		*pem;
	size_t		 len;
	int		 r;

	if (gnutls_x509_trust_list_init(tl, 0) < 0) {
		*tl = NULL;
		snprintf(err, errlen, "trust list: out of memory");
		return -1;
	}
	if (readfile(ca, "CA file", CA_MAX_BYTES, &pem, &len, err, errlen) == -1)
		return -1;
	d.data = (unsigned char *)pem;
	d.size = (unsigned)len;
	r = gnutls_x509_trust_list_add_trust_mem(*tl, &d, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
	free(pem);
	if (r <= 0) {
		snprintf(err, errlen, "%s: no CA certificate could be read", ca);
		return -1;
	}
	return 0;
}

static void
anchors_free(struct anchors *t)
{
	size_t	i;

	if (t == NULL)
		return;
	if (t->charity)
		gnutls_x509_trust_list_deinit(t->charity, 1);
	free(t->charity_cov.ca);
	for (i = 0; i < t->nagencies; i++) {
		if (t->agencies[i].tl)
			gnutls_x509_trust_list_deinit(t->agencies[i].tl, 1);
		free(t->agencies[i].cov.ca);
	}
	free(t->agencies);
	pthread_mutex_destroy(&t->vlock);
	explicit_bzero(t->vcache, sizeof(t->vcache));
	free(t);
}

static struct anchors *
anchors_load(const char *dir, const struct profiles *ps, char *err, size_t errlen)
{
	struct anchors	*t;
	char		 ca[4096], crl[4096];
	time_t		 now = time(NULL), before = AUTH_NO_EXPIRY;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&t->vlock, NULL);
	t->next_update = AUTH_NO_EXPIRY;
	snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
	snprintf(crl, sizeof(crl), "%s/crl.pem", dir);
	/* The charity CA's CRL is required: revocation is never off because
	 * a file went missing. A CA that has revoked nothing issues an empty
	 * one (mkpki.sh does, for the agencies' CAs). */
	if (trust_from_ca(&t->charity, ca, err, errlen) == -1)
		goto fail;
	if (crl_add(t->charity, "the charity CA's revocation list", crl, ca, &t->charity_cov,
	    now, &t->next_update, err, errlen) == -1) {
		if (access(crl, F_OK) == -1)
			snprintf(err + strlen(err), errlen - strlen(err), " (the --tls directory "
			    "must hold crl.pem; a CA that has revoked nothing issues an empty one)");
		goto fail;
	}
	if (t->next_update < before)
		snprintf(t->next_update_of, sizeof(t->next_update_of), "%s", crl);
	if ((t->agencies = calloc(ps->n ? ps->n : 1, sizeof(*t->agencies))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < ps->n; i++) {
		const struct agency	*ag = &ps->agencies[i];
		char			 what[160];
		time_t			 prev = t->next_update;

		t->agencies[i].agency = ag;
		t->nagencies++;
		if (trust_from_ca(&t->agencies[i].tl, ag->ca_file, err, errlen) == -1)
			goto fail;
		/* The CRL of the CA the agency's server certificate chains to,
		 * which the delivery worker gives libcurl: checked here like
		 * the others, so a missing or stale one stops the start. */
		if (ag->delivery == DELIVERY_PUSH && ag->push_crl_file != NULL) {
			gnutls_x509_trust_list_t	stl;
			int				r;

			snprintf(what, sizeof(what), "agency %s: delivery.server_crl_file", ag->id);
			if (trust_from_ca(&stl, ag->push_ca_file, err, errlen) == -1) {
				if (stl != NULL)
					gnutls_x509_trust_list_deinit(stl, 1);
				goto fail;
			}
			r = crl_add(stl, what, ag->push_crl_file, ag->push_ca_file, NULL, now,
			    &t->next_update, err, errlen);
			gnutls_x509_trust_list_deinit(stl, 1);
			if (r == -1)
				goto fail;
			if (t->next_update < prev)
				snprintf(t->next_update_of, sizeof(t->next_update_of), "%s",
				    ag->push_crl_file);
			prev = t->next_update;
		}
		if (ag->crl_file == NULL)
			continue;	/* the profile has none: gatewayd.c says so */
		snprintf(what, sizeof(what), "agency %s: certificates.crl_file", ag->id);
		if (crl_add(t->agencies[i].tl, what, ag->crl_file, ag->ca_file, &t->agencies[i].cov,
		    now, &t->next_update, err, errlen) == -1)
			goto fail;
		if (t->next_update < prev)
			snprintf(t->next_update_of, sizeof(t->next_update_of), "%s", ag->crl_file);
	}
	return t;
fail:
	anchors_free(t);
	return NULL;
}

struct auth *
auth_load(const char *dir, const struct profiles *ps, char *err, size_t errlen)
{
	struct auth	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL || (a->tls_dir = strdup(dir)) == NULL) {
		free(a);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->profiles = ps;
	pthread_rwlock_init(&a->lock, NULL);
	if ((a->cur = anchors_load(dir, ps, err, errlen)) == NULL) {
		auth_free(a);
		return NULL;
	}
	atomic_store(&a->generation, 1);
	return a;
}

int
auth_reload(struct auth *a, const struct profiles *ps, char *err, size_t errlen)
{
	struct anchors	*t, *old;

	if (ps == NULL)
		ps = a->profiles;
	if ((t = anchors_load(a->tls_dir, ps, err, errlen)) == NULL)
		return -1;	/* keep the anchors in force */
	pthread_rwlock_wrlock(&a->lock);
	old = a->cur;
	a->cur = t;
	a->profiles = ps;
	atomic_fetch_add(&a->generation, 1);
	pthread_rwlock_unlock(&a->lock);
	anchors_free(old);
	return 0;
}

time_t
auth_crl_next_update(const struct auth *a, char *which, size_t len)
{
	struct auth	*m = (struct auth *)a;
	time_t		 t;

	pthread_rwlock_rdlock(&m->lock);
	t = m->cur->next_update;
	if (which != NULL && len > 0)
		snprintf(which, len, "%s", m->cur->next_update_of);
	pthread_rwlock_unlock(&m->lock);
	return t;
}

unsigned
auth_generation(const struct auth *a)
{
	return atomic_load(&((struct auth *)a)->generation);
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	anchors_free(a->cur);
	pthread_rwlock_destroy(&a->lock);
	free(a->tls_dir);
	free(a);
}

static const char *
status_reason(unsigned status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return "certificate_revoked";
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return "certificate_expired";
	return "certificate_untrusted";
}

static int
verify_with(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *certs, unsigned n, unsigned *status)
{
	gnutls_typed_vdata_st	vdata = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT,
	};

	*status = 0;
	if (gnutls_x509_trust_list_verify_crt2(tl, certs, n, &vdata, 1, 0, status, NULL) < 0)
		return -1;
	return *status == 0 ? 0 : -1;
}

static int
spki_sha256(gnutls_x509_crt_t crt, char out[65])
{
	gnutls_pubkey_t		 pk;
	gnutls_datum_t		 der = { NULL, 0 };
	unsigned char		 md[32];
	int			 rc = -1;

	if (gnutls_pubkey_init(&pk) < 0)
		return -1;
	if (gnutls_pubkey_import_x509(pk, crt, 0) >= 0 &&
	    gnutls_pubkey_export2(pk, GNUTLS_X509_FMT_DER, &der) >= 0 &&
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, md) >= 0) {
		hex_encode(md, 32, out);
		rc = 0;
	}
	gnutls_free(der.data);
	gnutls_pubkey_deinit(pk);
	return rc;
}

int
auth_key_sha256(const gnutls_datum_t *der, char out[65])
{
	gnutls_x509_crt_t	crt;
	int			rc = -1;

	out[0] = '\0';
	if (gnutls_x509_crt_init(&crt) < 0)
		return -1;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) >= 0)
		rc = spki_sha256(crt, out);
	gnutls_x509_crt_deinit(crt);
	return rc;
}

/* The subject's one value of oid: -1 when it has none, or more than one
 * (OU=trustee, OU=staff must not be read as whichever comes first). */
static int
subject_field(gnutls_x509_crt_t crt, const char *oid, char *buf, size_t len)
{
	char	other[8];
	size_t	sz = len, osz = sizeof(other);
	int	rc;

	if (gnutls_x509_crt_get_dn_by_oid(crt, oid, 0, 0, buf, &sz) < 0)
		return -1;
	buf[len - 1] = '\0';
	rc = gnutls_x509_crt_get_dn_by_oid(crt, oid, 1, 0, other, &osz);
	if (rc != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return -1;	/* a second one (or an error reading it) */
	return 0;
}

/* A charity principal's name (its CN) is its id in every record and ledger
 * entry, so it must be text the ledger holds: UTF-8 without a control
 * character (ledger_entry_valid). One that is not was taken as a principal
 * that could record nothing: its refusals went unrecorded (a route probed
 * with no access.refused entry) and its writes failed 503 store_unavailable. */
static int
name_recordable(const char *s)
{
	size_t	n = strlen(s);

	return note_text_valid(s, n) && memchr(s, '\n', n) == NULL;
}

/* ASN.1 universal tags (X.680) of the strings a name may be written in
 * (libtasn1's ASN1_TAG_*, whose header clashes with OpenSSL's ASN1_TYPE). */
#define TAG_UTF8STRING		12
#define TAG_PRINTABLESTRING	19
#define TAG_TELETEXSTRING	20

/* Whether ava is the attribute oid (GnuTLS gives its dotted text, with or
 * without the NUL). */
static int
ava_is(const gnutls_x509_ava_st *ava, const char *oid)
{
	size_t	n = strlen(oid);

	return (ava->oid.size == n || (ava->oid.size == n + 1 && ava->oid.data[n] == '\0')) &&
	    memcmp(ava->oid.data, oid, n) == 0;
}

/* Whether a common name's value is text that reads one way: a UTF8String,
 * a PrintableString, or a TeletexString of ASCII bytes (what T.61 means by
 * a byte above 0x7f is not settled: Latin-1 to one reader, an accent to
 * another); not empty, no NUL, not starting with '#'. */
static int
cn_value_is_text(const gnutls_x509_ava_st *ava)
{
	const unsigned char	*v = ava->value.data;
	unsigned		 i, n = ava->value.size;

	if (n == 0 || v[0] == '#' || memchr(v, '\0', n) != NULL)
		return 0;
	switch (ava->value_tag) {
	case TAG_UTF8STRING:
	case TAG_PRINTABLESTRING:
		return 1;
	case TAG_TELETEXSTRING:
		for (i = 0; i < n; i++)
			if (v[i] >= 0x80)
				return 0;
		return 1;
	default:
		return 0;
	}
}

/*
 * Whether the subject's one common name is a name as the CA wrote it, read
 * from the attribute itself (its ASN.1 type and bytes), and printed by
 * GnuTLS (cn, subject_field()) as such. GnuTLS prints an attribute it does
 * not decode (a UniversalString, an IA5String, which is no DirectoryString,
 * a value that is no string at all, an empty one, one holding a NUL, a
 * TeletexString outside ASCII) as '#' and the hex of its
 * DER: plain ASCII that would pass for a name, one nobody was issued, and
 * a second name for the same person. A BMPString, which this GnuTLS does
 * decode, is refused too, so that one name is never read two ways (older
 * GnuTLS printed it as hex); the CA writes UTF8String (OpenSSL's
 * string_mask = utf8only, as certs/mkpki.sh does). A name starting with '#'
 * is refused however it is encoded (GnuTLS escapes a written one, "\#"):
 * it would read as such a hex name.
 */
static int
cn_is_text(gnutls_x509_crt_t crt, const char *cn)
{
	gnutls_x509_dn_t	dn;
	gnutls_x509_ava_st	ava;
	int			irdn, iava, r, found = 0;

	if (cn[0] == '#' || strncmp(cn, "\\#", 2) == 0)
		return 0;
	if (gnutls_x509_crt_get_subject(crt, &dn) < 0)
		return 0;	/* points into crt: nothing to free */
	for (irdn = 0;; irdn++) {
		for (iava = 0;; iava++) {
			if ((r = gnutls_x509_dn_get_rdn_ava(dn, irdn, iava, &ava)) ==
			    GNUTLS_E_ASN1_ELEMENT_NOT_FOUND)
				break;
			if (r < 0)
				return 0;
			if (!ava_is(&ava, GNUTLS_OID_X520_COMMON_NAME))
				continue;
			if (found++ > 0 || !cn_value_is_text(&ava))
				return 0;
		}
		if (iava == 0)
			break;	/* no RDN irdn: the end */
	}
	return found == 1;
}

/* A client certificate that is itself a CA (basicConstraints CA:TRUE) is
 * nobody's: it could mint others. */
static int
leaf_is_ca(gnutls_x509_crt_t crt)
{
	unsigned	critical = 0, ca = 0;
	int		pathlen = 0, rc;

	rc = gnutls_x509_crt_get_basic_constraints(crt, &critical, &ca, &pathlen);
	if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
		return 0;
	return rc < 0 || ca != 0;
}

/* A client certificate must say it is one: an extended key usage naming
 * clientAuth. GnuTLS's purpose check passes a certificate that has no
 * extended key usage at all (any purpose); a key certified for a server, for
 * signing code or for nothing in particular is not a caller's. */
static int
leaf_is_for_clients(gnutls_x509_crt_t crt)
{
	char		oid[128];
	size_t		size;
	unsigned	i, critical;
	int		rc;

	for (i = 0;; i++) {
		size = sizeof(oid);
		rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, &critical);
		if (rc < 0)
			return 0;	/* none left (or unreadable): not a client's */
		if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0)
			return 1;
	}
}

/* SHA-256 over the chain, each certificate prefixed by its length. */
static int
chain_digest(const gnutls_datum_t *chain, unsigned n, unsigned char out[32])
{
	gnutls_hash_hd_t	h;
	unsigned char		len[4];
	unsigned		i;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		len[0] = (unsigned char)(chain[i].size >> 24);
		len[1] = (unsigned char)(chain[i].size >> 16);
		len[2] = (unsigned char)(chain[i].size >> 8);
		len[3] = (unsigned char)chain[i].size;
		if (gnutls_hash(h, len, 4) < 0 || gnutls_hash(h, chain[i].data, chain[i].size) < 0) {
			gnutls_hash_deinit(h, NULL);
			return -1;
		}
	}
	gnutls_hash_deinit(h, out);
	return 0;
}

static int
vcache_get(struct anchors *a, const unsigned char digest[32], time_t now, struct principal *p)
{
	size_t	i;
	int	hit = 0;

	pthread_mutex_lock(&a->vlock);
	for (i = 0; i < VCACHE_SIZE && !hit; i++)
		if (a->vcache[i].until > now && memcmp(a->vcache[i].digest, digest, 32) == 0) {
			*p = a->vcache[i].p;
			hit = 1;
		}
	pthread_mutex_unlock(&a->vlock);
	return hit;
}

static void
vcache_put(struct anchors *a, const unsigned char digest[32], time_t until,
    const struct principal *p)
{
	struct vcache_entry	*e;

	pthread_mutex_lock(&a->vlock);
	e = &a->vcache[a->vnext];
	a->vnext = (a->vnext + 1) % VCACHE_SIZE;
	memcpy(e->digest, digest, 32);
	e->until = until;
	e->p = *p;
	pthread_mutex_unlock(&a->vlock);
}

/* The earliest notAfter of the chain as presented and of the trust anchor
 * in tl that it chains to. */
static time_t
chain_not_after(gnutls_x509_trust_list_t tl, gnutls_x509_crt_t *certs, unsigned n)
{
	gnutls_x509_crt_t	anchor;
	time_t			t, until = AUTH_NO_EXPIRY;
	unsigned		i;

	for (i = 0; i < n; i++)
		if ((t = gnutls_x509_crt_get_expiration_time(certs[i])) != (time_t)-1 && t < until)
			until = t;
	if (gnutls_x509_trust_list_get_issuer(tl, certs[n - 1], &anchor, GNUTLS_TL_GET_COPY) == 0) {
		if ((t = gnutls_x509_crt_get_expiration_time(anchor)) != (time_t)-1 && t < until)
			until = t;
		gnutls_x509_crt_deinit(anchor);
	}
	return until;
}

/*
 * Whether the leaf's revocation is checked: its issuer must be a CA of tl
 * with a list in force. A leaf issued by an intermediate that only the
 * client sent is refused too: no list of such a CA is ever loaded
 * (crl_add() takes only lists the CAs of the file signed). Fails closed:
 * a CA in tl without a list (which the load refuses) revokes nothing, so
 * its certificates are nobody's.
 */
static int
revocation_in_force(gnutls_x509_trust_list_t tl, const struct covered *cov,
    gnutls_x509_crt_t leaf)
{
	gnutls_x509_crt_t	issuer;
	unsigned char		digest[32];
	size_t			sz = sizeof(digest);
	int			ok;

	if (gnutls_x509_trust_list_get_issuer(tl, leaf, &issuer, GNUTLS_TL_GET_COPY) != 0)
		return 0;
	ok = gnutls_x509_crt_get_fingerprint(issuer, GNUTLS_DIG_SHA256, digest, &sz) >= 0 &&
	    sz == sizeof(digest) && covered_has(cov, digest);
	gnutls_x509_crt_deinit(issuer);
	return ok;
}

static int
verify_chain(struct anchors *a, const gnutls_datum_t *chain, unsigned n,
    struct principal *p, const char **why)
{
	gnutls_x509_crt_t	 certs[MAX_CHAIN];
	const struct agency	*ag;
	gnutls_x509_trust_list_t used = NULL;	/* the anchors that verified it */
	unsigned		 i, imported = 0, status;
	char			 ou[64], cn[128];
	unsigned char		 digest[32];
	time_t			 now, until;
	int			 rc = -1, have_digest;
	size_t			 k;

	memset(p, 0, sizeof(*p));
	*why = "no_certificate";
	if (chain == NULL || n == 0)
		return -1;
	*why = "certificate_untrusted";
	if (n > MAX_CHAIN)
		return -1;
	now = time(NULL);
	if ((have_digest = chain_digest(chain, n, digest) == 0) &&
	    vcache_get(a, digest, now, p))
		return 0;
	for (i = 0; i < n; i++) {
		if (gnutls_x509_crt_init(&certs[i]) < 0)
			goto out;
		imported++;
		if (gnutls_x509_crt_import(certs[i], &chain[i], GNUTLS_X509_FMT_DER) < 0)
			goto out;
	}
	if (spki_sha256(certs[0], p->spki_sha256) == -1)
		goto out;
	if (leaf_is_ca(certs[0])) {
		*why = "certificate_not_registered";
		goto out;
	}
	if (!leaf_is_for_clients(certs[0])) {
		*why = "certificate_untrusted";
		goto out;
	}

	/* An agency: pinned key, chain to that agency's own CA. */
	for (k = 0; k < a->nagencies; k++) {
		ag = a->agencies[k].agency;
		if (profiles_find_pin(&(struct profiles){ .agencies = (struct agency *)ag, .n = 1 },
		    p->spki_sha256) == NULL)
			continue;
		if (verify_with(a->agencies[k].tl, certs, n, &status) == -1) {
			*why = status_reason(status);
			goto out;
		}
		/* A profile with no crl_file is the agency's registered choice
		 * (gatewayd.c warns); one with a list is checked against it. */
		if (ag->crl_file != NULL &&
		    !revocation_in_force(a->agencies[k].tl, &a->agencies[k].cov, certs[0])) {
			*why = "certificate_untrusted";
			goto out;
		}
		used = a->agencies[k].tl;
		p->role = ROLE_AGENCY;
		p->agency = ag;
		snprintf(p->name, sizeof(p->name), "%s", ag->id);
		snprintf(p->id, sizeof(p->id), "agency:%s", ag->id);
		rc = 0;
		goto out;
	}

	/* Charity people: the charity CA, its CRL, the role from the OU. */
	if (verify_with(a->charity, certs, n, &status) == -1) {
		*why = status_reason(status);
		goto out;
	}
	if (!revocation_in_force(a->charity, &a->charity_cov, certs[0])) {
		*why = "certificate_untrusted";
		goto out;
	}
	if (subject_field(certs[0], GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, ou, sizeof(ou)) == -1 ||
	    subject_field(certs[0], GNUTLS_OID_X520_COMMON_NAME, cn, sizeof(cn)) == -1 ||
	    !name_recordable(cn) || (p->role = role_from_ou(ou)) == ROLE_NONE) {
		*why = "certificate_not_registered";
		goto out;
	}
	if (!cn_is_text(certs[0], cn)) {
		*why = "certificate_name_not_text";
		goto out;
	}
	snprintf(p->name, sizeof(p->name), "%s", cn);
	snprintf(p->id, sizeof(p->id), "%s:%s", role_name(p->role), cn);
	used = a->charity;
	rc = 0;
out:
	if (rc == 0) {
		/* The principal, on its connection and in the cache, holds until
		 * the first certificate of the chain expires, at most. */
		p->not_after = chain_not_after(used, certs, n);
		until = now + VCACHE_TTL;
		if (p->not_after < until)
			until = p->not_after;
		if (have_digest)
			vcache_put(a, digest, until, p);
	}
	for (i = 0; i < imported; i++)
		gnutls_x509_crt_deinit(certs[i]);
	if (rc == -1) {
		p->role = ROLE_NONE;
		p->agency = NULL;
	}
	return rc;
}

int
auth_verify_chain(const struct auth *a, const gnutls_datum_t *chain, unsigned n,
    struct principal *p, const char **why)
{
	struct auth	*m = (struct auth *)a;
	int		 rc;

	pthread_rwlock_rdlock(&m->lock);
	rc = verify_chain(m->cur, chain, n, p, why);
	pthread_rwlock_unlock(&m->lock);
	return rc;
}

int
auth_verify(const struct auth *a, gnutls_session_t s, struct principal *p, const char **why)
{
	const gnutls_datum_t	*chain;
	unsigned		 n = 0;

	if (gnutls_certificate_type_get(s) != GNUTLS_CRT_X509) {
		memset(p, 0, sizeof(*p));
		*why = "no_certificate";
		return -1;
	}
	chain = gnutls_certificate_get_peers(s, &n);
	return auth_verify_chain(a, chain, n, p, why);
}
