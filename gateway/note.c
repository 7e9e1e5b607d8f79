/*
 * note.c: C2SP signed notes with Ed25519 and tlog checkpoints (see note.h).
 *
 * Parsing is strict because notes arrive from outside (exports, third-party
 * copies): the whole note must be valid UTF-8 without control characters
 * other than newline, the text is everything up to the last blank line, and
 * every line after it must be a well-formed signature line. Base64 is decoded
 * by hand so that padding and stray characters are errors, not guesses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "note.h"
#include "rfc3339.h"

static const char	 b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char	 em_dash[] = "\xe2\x80\x94 ";	/* U+2014 then a space */

void
note_b64_encode(const unsigned char *in, size_t len, char *out)
{
	size_t	i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = b64chars[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = b64chars[v >> 18 & 63];
		out[o++] = b64chars[v >> 12 & 63];
		out[o++] = b64chars[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

static int
b64val(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b64chars, c)) == NULL)
		return -1;
	return (int)(p - b64chars);
}

long
note_b64_decode(const char *in, size_t len, unsigned char *out, size_t max)
{
	size_t	i, o = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (i = 0; i < len; i += 4) {
		int	v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			if (in[i + j] == '=' && i + 4 == len && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad > 0 || (v[j] = b64val(in[i + j])) < 0)
				return -1;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
		    (unsigned)v[3];
		/* Canonical encodings only: the bits padding drops must be zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return -1;
		if (o + 3 - (size_t)pad > max)
			return -1;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	return (long)o;
}

int
note_name_valid(const char *name)
{
	if (name == NULL || *name == '\0' || strlen(name) >= NOTE_ORIGIN_MAX)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '+')
			return 0;
	return 1;
}

int
note_text_valid(const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		unsigned	c = *p, need, cp;

		if (c < 0x80) {
			if ((c < 0x20 && c != '\n') || c == 0x7f)
				return 0;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if ((size_t)(end - p) <= need)
			return 0;
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, beyond U+10FFFF. */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		p += need + 1;
	}
	return 1;
}

int
note_key_id(const char *name, const unsigned char pub[NOTE_ED25519_PUB_LEN], uint32_t *id)
{
	EVP_MD_CTX	*ctx;
	unsigned char	 h[EVP_MAX_MD_SIZE], sep[2] = { 0x0a, 0x01 };
	unsigned int	 hlen = 0;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
	    EVP_DigestUpdate(ctx, sep, sizeof(sep)) == 1 &&
	    EVP_DigestUpdate(ctx, pub, NOTE_ED25519_PUB_LEN) == 1 &&
	    EVP_DigestFinal_ex(ctx, h, &hlen) == 1 && hlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	*id = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	return 0;
}

/* The raw 32-byte public key of an Ed25519 EVP_PKEY. 0 or -1. */
static int
raw_pub(const EVP_PKEY *key, unsigned char pub[NOTE_ED25519_PUB_LEN])
{
	size_t	len = NOTE_ED25519_PUB_LEN;

	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		return -1;
	if (EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != NOTE_ED25519_PUB_LEN)
		return -1;
	return 0;
}

char *
note_vkey(const char *name, const EVP_PKEY *pub)
{
	unsigned char	 raw[1 + NOTE_ED25519_PUB_LEN];
	char		 b64[64], *out;
	uint32_t	 id;
	size_t		 len;

	if (!note_name_valid(name) || raw_pub(pub, raw + 1) != 0 ||
	    note_key_id(name, raw + 1, &id) != 0)
		return NULL;
	raw[0] = 0x01;
	note_b64_encode(raw, sizeof(raw), b64);
	len = strlen(name) + 1 + 8 + 1 + strlen(b64) + 1;
	if ((out = malloc(len)) == NULL)
		return NULL;
	snprintf(out, len, "%s+%08x+%s", name, id, b64);
	return out;
}

char *
note_sign(const char *text, size_t len, const char *name, EVP_PKEY *priv)
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	 pub[NOTE_ED25519_PUB_LEN], blob[4 + NOTE_ED25519_SIG_LEN];
	char		 b64[4 * ((sizeof(blob) + 2) / 3) + 1], *out = NULL;
	size_t		 siglen = NOTE_ED25519_SIG_LEN, outlen;
	uint32_t	 id;

	if (len == 0 || text[len - 1] != '\n' || !note_text_valid(text, len) ||
	    (len >= 2 && text[len - 2] == '\n') || !note_name_valid(name))
		return NULL;
	if (raw_pub(priv, pub) != 0 || note_key_id(name, pub, &id) != 0)
		return NULL;
	blob[0] = (unsigned char)(id >> 24);
	blob[1] = (unsigned char)(id >> 16);
	blob[2] = (unsigned char)(id >> 8);
	blob[3] = (unsigned char)id;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, NULL, NULL, priv) != 1 ||
	    EVP_DigestSign(ctx, blob + 4, &siglen, (const unsigned char *)text, len) != 1 ||
	    siglen != NOTE_ED25519_SIG_LEN)
		goto out;
	note_b64_encode(blob, sizeof(blob), b64);
	outlen = len + 1 + strlen(em_dash) + strlen(name) + 1 + strlen(b64) + 1 + 1;
	if ((out = malloc(outlen)) == NULL)
		goto out;
	memcpy(out, text, len);
	snprintf(out + len, outlen - len, "\n%s%s %s\n", em_dash, name, b64);
out:
	EVP_MD_CTX_free(ctx);
	return out;
}

static int
ed25519_verify(const EVP_PKEY *pub, const char *msg, size_t len, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX	*ctx;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	/* EVP_DigestVerifyInit takes a non-const key; it does not modify it. */
	ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, (EVP_PKEY *)(uintptr_t)pub) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : 1;
}

int
note_verify(const char *note, size_t len, const char *name, const EVP_PKEY *pub,
    size_t *textlen)
{
	unsigned char	 raw[NOTE_ED25519_PUB_LEN], sig[4 + 512];
	const char	*p, *end = note + len, *sigs = NULL;
	size_t		 tlen, dashlen = strlen(em_dash), nlines = 0;
	uint32_t	 id;
	int		 verified = 0, failed = 0;

	if (len == 0 || !note_text_valid(note, len) || note[len - 1] != '\n')
		return -1;
	/* The text ends at the last blank line ("\n\n"). */
	for (p = end - 1; p > note; p--)
		if (p[-1] == '\n' && p[0] == '\n') {
			sigs = p + 1;
			break;
		}
	if (sigs == NULL || sigs >= end)
		return -1;
	tlen = (size_t)(sigs - 1 - note);
	if (raw_pub(pub, raw) != 0 || note_key_id(name, raw, &id) != 0)
		return 1;
	for (p = sigs; p < end; ) {
		const char	*eol = memchr(p, '\n', (size_t)(end - p)), *nm, *sp;
		long		 n;

		if (eol == NULL || ++nlines > NOTE_MAX_SIGS)
			return -1;
		if ((size_t)(eol - p) <= dashlen || memcmp(p, em_dash, dashlen) != 0)
			return -1;
		nm = p + dashlen;
		if ((sp = memchr(nm, ' ', (size_t)(eol - nm))) == NULL || sp == nm)
			return -1;
		for (const char *q = nm; q < sp; q++)
			if (*q == '+')
				return -1;
		n = note_b64_decode(sp + 1, (size_t)(eol - sp - 1), sig, sizeof(sig));
		if (n < 5)
			return -1;
		uint32_t lid = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
		    (uint32_t)sig[2] << 8 | sig[3];
		if (lid == id && (size_t)(sp - nm) == strlen(name) &&
		    memcmp(nm, name, (size_t)(sp - nm)) == 0) {
			if (n == 4 + NOTE_ED25519_SIG_LEN &&
			    ed25519_verify(pub, note, tlen, sig + 4, NOTE_ED25519_SIG_LEN) == 0)
				verified = 1;
			else
				failed = 1;
		}
		p = eol + 1;
	}
	if (failed || !verified)
		return 1;
	if (textlen != NULL)
		*textlen = tlen;
	return 0;
}

#define TIME_TAG	"time "

char *
checkpoint_format(const char *origin, uint64_t size, const unsigned char root[32],
    int64_t time_us)
{
	char	 b64[45], when[32], *out;
	size_t	 len;

	if (!note_name_valid(origin))
		return NULL;
	when[0] = '\0';
	if (time_us != 0 && (time_us < 0 || rfc3339_fmt(time_us, when)[0] == 'i'))
		return NULL;	/* "invalid": past year 9999 */
	note_b64_encode(root, 32, b64);
	len = strlen(origin) + 1 + 20 + 1 + strlen(b64) + 1 + strlen(TIME_TAG) + strlen(when) + 2;
	if ((out = malloc(len)) == NULL)
		return NULL;
	if (time_us != 0)
		snprintf(out, len, "%s\n%llu\n%s\n" TIME_TAG "%s\n", origin,
		    (unsigned long long)size, b64, when);
	else
		snprintf(out, len, "%s\n%llu\n%s\n", origin, (unsigned long long)size, b64);
	return out;
}

/* The time line's value (after "time "), exactly as checkpoint_format()
 * writes it: 0 with *us set, or -1. */
static int
time_line(const char *s, size_t len, int64_t *us)
{
	char	buf[32], again[32];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (rfc3339_parse(buf, us) != 0 || *us <= 0 ||
	    strcmp(rfc3339_fmt(*us, again), buf) != 0)
		return -1;
	return 0;
}

int
checkpoint_parse(const char *text, size_t len, struct checkpoint *cp)
{
	const char	*line[3], *p = text, *end = text + len;
	size_t		 llen[3];
	uint64_t	 size = 0;
	int64_t		 when = 0;

	if (len == 0 || text[len - 1] != '\n' || !note_text_valid(text, len))
		return -1;
	for (int i = 0; i < 3; i++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL || eol == p)
			return -1;
		line[i] = p;
		llen[i] = (size_t)(eol - p);
		p = eol + 1;
	}
	/* The first extension line may be the signed time. */
	if ((size_t)(end - p) > strlen(TIME_TAG) && memcmp(p, TIME_TAG, strlen(TIME_TAG)) == 0) {
		const char *v = p + strlen(TIME_TAG), *eol = memchr(v, '\n', (size_t)(end - v));

		if (eol == NULL || time_line(v, (size_t)(eol - v), &when) != 0)
			return -1;
		p = eol + 1;
	}
/* Extension lines, if any, must be non-empty. */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL || eol == p)
			return -1;
		p = eol + 1;
	}
	if (llen[0] >= sizeof(cp->origin))
		return -1;
	memcpy(cp->origin, line[0], llen[0]);
	cp->origin[llen[0]] = '\0';
	if (!note_name_valid(cp->origin))	/* as checkpoint_format() requires */
		return -1;
	if (llen[1] > 20 || (llen[1] > 1 && line[1][0] == '0'))
		return -1;
	for (size_t i = 0; i < llen[1]; i++) {
		unsigned d = (unsigned)(line[1][i] - '0');
		if (d > 9 || size > (UINT64_MAX - d) / 10)
			return -1;
		size = size * 10 + d;
	}
	if (note_b64_decode(line[2], llen[2], cp->root, sizeof(cp->root)) != 32)
		return -1;
	cp->size = size;
	cp->time_us = when;
	return 0;
}
