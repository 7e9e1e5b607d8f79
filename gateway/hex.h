/*
 * hex.h: lower-case hexadecimal, the one spelling of every digest, leaf
 * hash, pseudonym and key fingerprint in the contract, the store and the
 * ledger. Pure: no I/O, no allocation.
 */
#ifndef HEX_H
#define HEX_H

#include <stddef.h>

/* Writes the 2n lower-case hex digits of b[0..n) and a NUL to out, which
 * holds 2n + 1 chars. */
void	hex_encode(const unsigned char *b, size_t n, char *out);

/* Decodes s, which must be exactly 2n lower-case hex digits (one spelling
 * per value: upper case, signs, spaces and any other length are refused),
 * into out[0..n). 0, or -1 (s NULL or malformed; out is then unspecified). */
int	hex_decode(const char *s, unsigned char *out, size_t n);

#endif
