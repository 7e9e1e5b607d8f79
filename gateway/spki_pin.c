/*
 * spki_pin.c: the "sha256//<base64>" server key pin format (see
 * spki_pin.h). A pin that is not exactly 32 bytes in canonical base64 is
 * refused here rather than handed to libcurl, whose parser would make a
 * typo a pin that nothing matches (every push refused) or, worse, be read
 * as a file name.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "spki_pin.h"

int
spki_pin_valid(const char *pin)
{
	const char	*b64;
	unsigned char	 raw[33], again[45];
	size_t		 i;

	if (pin == NULL || strlen(pin) != SPKI_PIN_LEN ||
	    strncmp(pin, SPKI_PIN_PREFIX, sizeof(SPKI_PIN_PREFIX) - 1) != 0)
		return 0;
	b64 = pin + sizeof(SPKI_PIN_PREFIX) - 1;
	for (i = 0; i < 43; i++)
		if (!((b64[i] >= 'A' && b64[i] <= 'Z') || (b64[i] >= 'a' && b64[i] <= 'z') ||
		    (b64[i] >= '0' && b64[i] <= '9') || b64[i] == '+' || b64[i] == '/'))
			return 0;
	if (b64[43] != '=')
		return 0;
	/* 44 characters decode to 33 bytes, the last the padding's zero. */
	if (EVP_DecodeBlock(raw, (const unsigned char *)b64, 44) != 33)
		return 0;
	/* Canonical: the unused low bits of the last character are zero, so
	 * that the pin reads the same to every decoder. */
	if (EVP_EncodeBlock(again, raw, 32) != 44 || memcmp(again, b64, 44) != 0)
		return 0;
	return 1;
}

char *
spki_pin_join(const char *const *pins, size_t n)
{
	char	*s, *p;
	size_t	 i;

	if (n == 0 || n > SPKI_PIN_MAX)
		return NULL;
	for (i = 0; i < n; i++)
		if (!spki_pin_valid(pins[i]))
			return NULL;
	if ((s = malloc(n * (SPKI_PIN_LEN + 1))) == NULL)
		return NULL;
	for (i = 0, p = s; i < n; i++) {
		if (i > 0)
			*p++ = ';';
		memcpy(p, pins[i], SPKI_PIN_LEN);
		p += SPKI_PIN_LEN;
	}
	*p = '\0';
	return s;
}
