/*
 * signer.h: the ledger's Ed25519 signing key. The private key lives in
 * DATA_DIR/ledger.key (PKCS#8 PEM, mode 0600, created when absent; refused
 * when group or others may access it or it is not ours) and is read only
 * for the length of one signing call, then freed and its buffers cleansed:
 * the process never holds it between checkpoints, and the request path never
 * touches it. The public key is kept in memory and written beside it as
 * DATA_DIR/ledger.pub (SubjectPublicKeyInfo PEM) for anyone to verify with.
 */
#ifndef SIGNER_H
#define SIGNER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

struct signer;

/* Opens (creating if absent) the key in dir; name is the note key name (the
 * checkpoint origin). *created is set to 1 when the key was made now, else 0.
 * Refuses a key file that group/others can access, that is not a regular
 * file owned by us, that is not Ed25519, or whose ledger.pub disagrees with
 * it. NULL with a message (no key material) in err on failure; free with
 * signer_free(). */
struct signer	*signer_open(const char *dir, const char *name, int *created,
		    char *err, size_t errlen);
void		 signer_free(struct signer *);
/* For gatewayd --check: the key in dir, if there is one, is ours, secret,
 * Ed25519, and agrees with ledger.pub. Changes nothing. 0 (also when there is
 * no key yet), or -1 with a message in err. */
int		 signer_check(const char *dir, const char *name, char *err, size_t errlen);
/* Signs text as a C2SP note under the signer's name (note_sign's rules).
 * Reads the private key for this call only. Returns the malloc'd note, or
 * NULL (logged to err when not NULL) on failure. Thread-safe. */
char		*signer_sign_note(struct signer *, const char *text, size_t len,
		    char *err, size_t errlen);
/* A detached Ed25519 signature (RFC 8032, pure Ed25519) of msg, for data
 * the gateway sends (e.g. a delivery body). The caller makes msg begin with
 * a context line naming the purpose ("sharing-gateway/delivery/v1\n"), so a
 * signature made for one use can never pass as another, and never as a
 * signed note. Reads the private key for this call only. 0 with sig filled,
 * or -1 (message, no key material, in err when not NULL). Thread-safe. */
int		 signer_sign_detached(struct signer *, const void *msg, size_t len,
		    unsigned char sig[64], char *err, size_t errlen);
/* Key id for headers: "sha256:" + lower-case hex SHA-256 of the public
 * key's DER SubjectPublicKeyInfo, i.e. of `openssl pkey -pubin -in
 * ledger.pub -outform DER`. Owned by the signer. */
const char	*signer_fingerprint(const struct signer *);
/* The public key (owned by the signer, valid until signer_free). */
const EVP_PKEY	*signer_pub(const struct signer *);
/* The public key as PEM text, NUL-terminated (owned by the signer). */
const char	*signer_pub_pem(const struct signer *, size_t *len);
/* The note key ID of the public key under the signer's name. */
uint32_t	 signer_key_id(const struct signer *);
/* Loads an Ed25519 public key from a PEM file (SubjectPublicKeyInfo), for
 * offline verifiers. NULL with a message in err on failure. Caller frees
 * with EVP_PKEY_free(). */
EVP_PKEY	*signer_load_pub(const char *path, char *err, size_t errlen);

#endif
