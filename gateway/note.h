/*
 * note.h: C2SP signed notes (https://c2sp.org/signed-note) with Ed25519
 * signatures, and the transparency-log checkpoint body they carry
 * (https://c2sp.org/tlog-checkpoint). Pure text and crypto: no I/O.
 *
 * A signed note is the text (ending in a newline), a blank line, then one or
 * more lines "— NAME BASE64(key ID || signature)\n" (U+2014 em dash). The
 * Ed25519 signature covers the text including its final newline. The key ID
 * is the first four bytes, big-endian, of
 *     SHA-256(NAME || 0x0A || 0x01 || 32-byte Ed25519 public key).
 * A checkpoint text is "ORIGIN\nTREE_SIZE\nBASE64(ROOT)\n", then this
 * gateway's one extension line "time RFC3339\n": when it was signed, in UTC
 * with microseconds ("time 2026-12-04T22:40:01.123456Z"), so that the time
 * is signed with the size and root. Checkpoints signed before that line
 * existed have none; other extension lines are allowed and ignored.
 */
#ifndef NOTE_H
#define NOTE_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#define NOTE_ED25519_PUB_LEN	32
#define NOTE_ED25519_SIG_LEN	64
#define NOTE_MAX_SIGS		100
#define NOTE_ORIGIN_MAX		256

/* 1 if name is a valid key name (non-empty, no spaces, no '+', no control
 * characters; this implementation accepts printable ASCII only), else 0. */
int	note_name_valid(const char *name);
/* 1 if s[0:len] is valid UTF-8 (no overlong forms, surrogates or code
 * points past U+10FFFF) with no control character (C0 or DEL) but '\n'. */
int	note_text_valid(const char *s, size_t len);
/* Key ID of an Ed25519 key under name. 0, or -1 on a hash failure. */
int	note_key_id(const char *name, const unsigned char pub[NOTE_ED25519_PUB_LEN],
	    uint32_t *id);
/* The verifier key text "NAME+HEX8(ID)+BASE64(0x01 || PUB)" other tools take
 * (golang.org/x/mod/sumdb/note). malloc'd, caller frees; NULL on error. */
char	*note_vkey(const char *name, const EVP_PKEY *pub);

/* Signs text[0:len] (non-empty, ending in '\n', valid UTF-8 without control
 * characters other than '\n', no blank line at its end) with the Ed25519 key
 * priv under name. Returns the whole signed note, NUL-terminated and
 * malloc'd (caller frees); NULL if the text or name is invalid or signing
 * fails. */
char	*note_sign(const char *text, size_t len, const char *name, EVP_PKEY *priv);

/* Opens a signed note with one trusted key. Returns 0 when a signature line
 * with that name and key ID verifies (and *textlen, if not NULL, is the
 * length of the signed text, final newline included); 1 when no line is by
 * that key or a line by that key fails to verify (the whole note is then
 * rejected, as the spec asks); -1 when the note is malformed (bad UTF-8,
 * control characters, no blank line, a bad signature line, over
 * NOTE_MAX_SIGS lines). Lines by other keys are ignored. */
int	note_verify(const char *note, size_t len, const char *name, const EVP_PKEY *pub,
	    size_t *textlen);

struct checkpoint {
	char		origin[NOTE_ORIGIN_MAX];
	uint64_t	size;
	unsigned char	root[32];
	int64_t		time_us;	/* the signed time; 0: the checkpoint has none */
};

/* The checkpoint text for (origin, size, root) signed at time_us (> 0; 0:
 * no time line, as before the line existed): malloc'd, caller frees; NULL
 * if origin is not a valid key name, the time is not in years 1970..9999,
 * or on allocation failure. */
char	*checkpoint_format(const char *origin, uint64_t size, const unsigned char root[32],
	    int64_t time_us);
/* Parses a checkpoint text (the note's text, not the signatures): origin
 * (a valid key name, as checkpoint_format() requires), decimal size without
 * leading zeros, base64 root of exactly 32 bytes, optional non-empty
 * extension lines. A first extension line starting "time " must be the time
 * exactly as checkpoint_format() writes it (cp->time_us; else 0); the others
 * are ignored. 0, or -1 if malformed. */
int	checkpoint_parse(const char *text, size_t len, struct checkpoint *cp);

/* Standard base64 (RFC 4648 section 4) with padding. Encode: writes
 * 4*ceil(len/3) chars and a NUL to out. Decode: strict (padding required,
 * no whitespace); returns the decoded length or -1; max is out's size. */
void	note_b64_encode(const unsigned char *in, size_t len, char *out);
long	note_b64_decode(const char *in, size_t len, unsigned char *out, size_t max);

#endif
