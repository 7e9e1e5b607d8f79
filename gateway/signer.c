/*
 * signer.c: the ledger signing key (see signer.h).
 *
 * Files are created under a temporary name with O_EXCL and renamed into
 * place after fsync, so a crash never leaves a half-written key. Every read
 * of the private key checks the file's secrecy again (like OpenBSD's
 * check_file_secrecy), and the PEM bytes and the EVP_PKEY are cleansed and
 * freed before the call returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hex.h"
#include "note.h"
#include "signer.h"

#define KEY_FILE_MAX	8192

struct signer {
	char		*key_path;
	char		*name;
	EVP_PKEY	*pub;
	char		*pub_pem;
	size_t		 pub_pem_len;
	uint32_t	 key_id;
	char		 fingerprint[7 + 64 + 1];	/* "sha256:" + hex */
};

static void seterr(char *, size_t, const char *, ...) __attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static char *
join(const char *dir, const char *file)
{
	size_t	 n = strlen(dir) + 1 + strlen(file) + 1;
	char	*p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", dir, file);
	return p;
}

/* Reads a small file into a malloc'd, NUL-terminated buffer. With secret
 * set, refuses a file that is not a regular file owned by us with no group
 * or other access. 0 ok, 1 absent, -1 error (message in err). */
static int
read_file(const char *path, int secret, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 1;
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (secret && (st.st_uid != geteuid() || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)) {
		seterr(err, errlen, "%s: refusing a key file that is not ours or that group "
		    "or others can access (chmod 600)", path);
		goto fail;
	}
	if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
		seterr(err, errlen, "%s: unexpected size", path);
		goto fail;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	if (len != (size_t)st.st_size) {
		seterr(err, errlen, "%s: short read", path);
		goto fail;
	}
	buf[len] = '\0';
	close(fd);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
	close(fd);
	return -1;
}

/* Writes data to path atomically with the given mode: temp file, fsync,
 * rename, fsync of the directory. Fails if path exists. 0 or -1. */
static int
write_new_file(const char *dir, const char *path, const void *data, size_t len, mode_t mode,
    char *err, size_t errlen)
{
	char	*tmp = NULL;
	size_t	 off = 0;
	int	 fd = -1, dfd, rc = -1;

	if ((tmp = malloc(strlen(path) + 8)) == NULL)
		return -1;
	snprintf(tmp, strlen(path) + 8, "%s.tmp", path);
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) == -1) {
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n <= 0) {
			seterr(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	/* link() rather than rename(): never replace an existing file. */
	if (link(tmp, path) == -1) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	free(tmp);
	return rc;
}

/* Private key from ledger.key, or NULL (message in err). Cleanses the PEM. */
static EVP_PKEY *
load_priv(const char *path, char *err, size_t errlen)
{
	EVP_PKEY	*key = NULL;
	BIO		*bio;
	char		*pem = NULL;
	size_t		 len = 0;
	int		 rc;

	if ((rc = read_file(path, 1, &pem, &len, err, errlen)) != 0) {
		if (rc == 1)
			seterr(err, errlen, "%s: missing", path);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	OPENSSL_clear_free(pem, len + 1);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		seterr(err, errlen, "%s: not an Ed25519 private key", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}

/* Makes a new key and writes ledger.key (0600). Returns it or NULL. */
static EVP_PKEY *
make_priv(const char *dir, const char *path, char *err, size_t errlen)
{
	EVP_PKEY_CTX	*kc;
	EVP_PKEY	*key = NULL;
	BIO		*bio = NULL;
	char		*data;
	long		 len;

	if ((kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(kc) != 1 || EVP_PKEY_keygen(kc, &key) != 1) {
		seterr(err, errlen, "Ed25519 key generation failed");
		goto fail;
	}
	if ((bio = BIO_new(BIO_s_secmem())) == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    (len = BIO_get_mem_data(bio, &data)) <= 0) {
		seterr(err, errlen, "cannot encode the new key");
		goto fail;
	}
	if (write_new_file(dir, path, data, (size_t)len, 0600, err, errlen) != 0)
		goto fail;
	BIO_free(bio);	/* a secure-memory BIO: cleansed on free */
	EVP_PKEY_CTX_free(kc);
	return key;
fail:
	BIO_free(bio);
	EVP_PKEY_CTX_free(kc);
	EVP_PKEY_free(key);
	return NULL;
}

/* The public half of key as its own EVP_PKEY, and its PEM. 0 or -1. */
static int
public_of(EVP_PKEY *key, EVP_PKEY **pub, char **pem, size_t *pemlen)
{
	unsigned char	 raw[NOTE_ED25519_PUB_LEN];
	size_t		 len = sizeof(raw);
	BIO		*bio = NULL;
	char		*data;
	long		 n;

	*pub = NULL;
	*pem = NULL;
	if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != sizeof(raw))
		return -1;
	if ((*pub = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, len)) == NULL)
		return -1;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(bio, *pub) != 1 ||
	    (n = BIO_get_mem_data(bio, &data)) <= 0 || (*pem = malloc((size_t)n + 1)) == NULL) {
		BIO_free(bio);
		EVP_PKEY_free(*pub);
		*pub = NULL;
		return -1;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	*pemlen = (size_t)n;
	BIO_free(bio);
	return 0;
}

/* "sha256:" + hex SHA-256 of the DER SubjectPublicKeyInfo. 0 or -1. */
static int
fingerprint_of(EVP_PKEY *pub, char out[7 + 64 + 1])
{
	unsigned char		*der = NULL, md[32];
	unsigned int		 mdlen = 0;
	int			 n, ok;

	if ((n = i2d_PUBKEY(pub, &der)) <= 0)
		return -1;
	ok = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32;
	OPENSSL_free(der);
	if (!ok)
		return -1;
	memcpy(out, "sha256:", 7);
	hex_encode(md, 32, out + 7);
	return 0;
}

struct signer *
signer_open(const char *dir, const char *name, int *created, char *err, size_t errlen)
{
	struct signer	*s;
	EVP_PKEY	*priv = NULL;
	char		*pub_path = NULL, *have = NULL;
	unsigned char	 raw[NOTE_ED25519_PUB_LEN];
	size_t		 havelen = 0, rawlen = sizeof(raw);
	int		 rc;

	*created = 0;
	if (!note_name_valid(name)) {
		seterr(err, errlen, "invalid ledger key name");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->name = strdup(name)) == NULL ||
	    (s->key_path = join(dir, "ledger.key")) == NULL ||
	    (pub_path = join(dir, "ledger.pub")) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (access(s->key_path, F_OK) == -1 && errno == ENOENT) {
		if ((priv = make_priv(dir, s->key_path, err, errlen)) == NULL)
			goto fail;
		*created = 1;
	} else if ((priv = load_priv(s->key_path, err, errlen)) == NULL)
		goto fail;
	if (public_of(priv, &s->pub, &s->pub_pem, &s->pub_pem_len) != 0 ||
	    EVP_PKEY_get_raw_public_key(s->pub, raw, &rawlen) != 1 ||
	    note_key_id(name, raw, &s->key_id) != 0) {
		seterr(err, errlen, "cannot derive the public key");
		goto fail;
	}
	if (fingerprint_of(s->pub, s->fingerprint) != 0) {
		seterr(err, errlen, "cannot derive the public key");
		goto fail;
	}
	EVP_PKEY_free(priv);
	priv = NULL;
	/* ledger.pub: written when missing, and must agree when present. */
	rc = read_file(pub_path, 0, &have, &havelen, err, errlen);
	if (rc == 1) {
		if (write_new_file(dir, pub_path, s->pub_pem, s->pub_pem_len, 0644, err,
		    errlen) != 0)
			goto fail;
	} else if (rc != 0)
		goto fail;
	else if (havelen != s->pub_pem_len || memcmp(have, s->pub_pem, havelen) != 0) {
		seterr(err, errlen, "%s does not match %s: refusing to sign with a key the "
		    "published public key does not verify", pub_path, s->key_path);
		goto fail;
	}
	free(have);
	free(pub_path);
	return s;
fail:
	free(have);
	free(pub_path);
	EVP_PKEY_free(priv);
	signer_free(s);
	return NULL;
}

int
signer_check(const char *dir, const char *name, char *err, size_t errlen)
{
	EVP_PKEY	*priv = NULL, *pub = NULL;
	char		*key_path = NULL, *pub_path = NULL, *pem = NULL, *have = NULL;
	size_t		 pemlen = 0, havelen = 0;
	int		 rc = -1, r;

	if (!note_name_valid(name)) {
		seterr(err, errlen, "invalid ledger key name");
		return -1;
	}
	if ((key_path = join(dir, "ledger.key")) == NULL ||
	    (pub_path = join(dir, "ledger.pub")) == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	if (access(key_path, F_OK) == -1 && errno == ENOENT) {
		rc = 0;		/* made at first start */
		goto out;
	}
	if ((priv = load_priv(key_path, err, errlen)) == NULL ||
	    public_of(priv, &pub, &pem, &pemlen) != 0)
		goto out;
	if ((r = read_file(pub_path, 0, &have, &havelen, err, errlen)) < 0)
		goto out;
	if (r == 0 && (havelen != pemlen || memcmp(have, pem, havelen) != 0)) {
		seterr(err, errlen, "%s does not match %s", pub_path, key_path);
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
	free(pem);
	free(have);
	free(key_path);
	free(pub_path);
	return rc;
}

void
signer_free(struct signer *s)
{
	if (s == NULL)
		return;
	free(s->key_path);
	free(s->name);
	EVP_PKEY_free(s->pub);
	free(s->pub_pem);
	free(s);
}

char *
signer_sign_note(struct signer *s, const char *text, size_t len, char *err, size_t errlen)
{
	EVP_PKEY	*priv;
	unsigned char	 raw[NOTE_ED25519_PUB_LEN];
	size_t		 rawlen = sizeof(raw);
	char		*note = NULL;
	uint32_t	 id;

	if ((priv = load_priv(s->key_path, err, errlen)) == NULL)
		return NULL;
	/* The key on disk must still be the one whose public half we publish. */
	if (EVP_PKEY_get_raw_public_key(priv, raw, &rawlen) != 1 ||
	    note_key_id(s->name, raw, &id) != 0 || id != s->key_id ||
	    EVP_PKEY_eq(priv, s->pub) != 1) {
		seterr(err, errlen, "%s changed since start: not signing", s->key_path);
		goto out;
	}
	if ((note = note_sign(text, len, s->name, priv)) == NULL)
		seterr(err, errlen, "signing failed");
out:
	EVP_PKEY_free(priv);	/* OpenSSL cleanses Ed25519 private key material on free */
	return note;
}

int
signer_sign_detached(struct signer *s, const void *msg, size_t len, unsigned char sig[64],
    char *err, size_t errlen)
{
	EVP_PKEY	*priv;
	EVP_MD_CTX	*md = NULL;
	size_t		 siglen = 64;
	int		 rc = -1;

	if ((priv = load_priv(s->key_path, err, errlen)) == NULL)
		return -1;
	if (EVP_PKEY_eq(priv, s->pub) != 1) {
		seterr(err, errlen, "%s changed since start: not signing", s->key_path);
		goto out;
	}
	/* Ed25519 takes no digest: EVP_DigestSign over the whole message. */
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, NULL, NULL, priv) != 1 ||
	    EVP_DigestSign(md, sig, &siglen, msg, len) != 1 || siglen != 64) {
		seterr(err, errlen, "signing failed");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(priv);	/* OpenSSL cleanses Ed25519 private key material on free */
	return rc;
}

const char *
signer_fingerprint(const struct signer *s)
{
	return s->fingerprint;
}

const EVP_PKEY *
signer_pub(const struct signer *s)
{
	return s->pub;
}

const char *
signer_pub_pem(const struct signer *s, size_t *len)
{
	if (len != NULL)
		*len = s->pub_pem_len;
	return s->pub_pem;
}

uint32_t
signer_key_id(const struct signer *s)
{
	return s->key_id;
}

EVP_PKEY *
signer_load_pub(const char *path, char *err, size_t errlen)
{
	EVP_PKEY	*key = NULL;
	BIO		*bio;
	char		*pem = NULL;
	size_t		 len = 0;
	int		 rc;

	if ((rc = read_file(path, 0, &pem, &len, err, errlen)) != 0) {
		if (rc == 1)
			seterr(err, errlen, "%s: missing", path);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	free(pem);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		seterr(err, errlen, "%s: not an Ed25519 public key (PEM)", path);
		EVP_PKEY_free(key);
		return NULL;
	}
	return key;
}
