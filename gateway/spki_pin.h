/*
 * spki_pin.h: server key pins as libcurl's CURLOPT_PINNEDPUBLICKEY takes
 * them: "sha256//" and the base64 (standard alphabet, padded) of the
 * SHA-256 of the server certificate's DER SubjectPublicKeyInfo. Several
 * stand side by side (the next key's beside the current one), joined with
 * ';'. Owns the format check and the joining only: the agency profile's
 * delivery.server_pins (profiles.c) and --notify-pin (notifier.c) use it.
 * Pure: no I/O.
 */
#ifndef SPKI_PIN_H
#define SPKI_PIN_H

#include <stddef.h>

#define SPKI_PIN_PREFIX	"sha256//"
#define SPKI_PIN_LEN	(sizeof(SPKI_PIN_PREFIX) - 1 + 44)	/* 32 bytes in base64 */
#define SPKI_PIN_MAX	8

/* 1 when pin is exactly "sha256//" and the canonical padded base64 of 32
 * bytes (what `openssl ... | openssl dgst -sha256 -binary | base64`
 * prints), else 0. */
int	spki_pin_valid(const char *pin);
/* The n pins joined with ';' in a new string (free()), or NULL when n is
 * 0 or above SPKI_PIN_MAX, any pin is not spki_pin_valid(), or memory
 * ran out. */
char	*spki_pin_join(const char *const *pins, size_t n);

#endif
