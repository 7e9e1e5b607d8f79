/*
 * hex.c: lower-case hexadecimal encoding and strict decoding (hex.h).
 */
#include <string.h>

#include "hex.h"

static const char	digits[] = "0123456789abcdef";

void
hex_encode(const unsigned char *b, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
hex_decode(const char *s, unsigned char *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (s == NULL || strnlen(s, 2 * n + 1) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = nibble(s[2 * i])) < 0 || (lo = nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}
