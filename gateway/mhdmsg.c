/*
 * mhdmsg.c: libmicrohttpd's own messages with any request URL withheld
 * (mhdmsg.h). Pure: no I/O, no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mhdmsg.h"

#define MARK	"request for "

/* The offset of fmt's first conversion (a '%' not doubled), or -1. */
static long
first_conversion(const char *fmt)
{
	const char	*p;

	for (p = fmt; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] != '%')
			return p - fmt;
	}
	return -1;
}

void
mhdmsg_format(char *out, size_t len, const char *fmt, va_list ap)
{
	const char	*mark, *url, *at;
	long		 conv;
	size_t		 off, n, rest;
	va_list		 aq;

	if (len == 0)
		return;
	mark = strstr(fmt, MARK);
	if (mark == NULL) {
		vsnprintf(out, len, fmt, ap);
		out[strcspn(out, "\n")] = '\0';
		return;
	}
	conv = first_conversion(fmt);
	off = (size_t)(mark - fmt) + strlen(MARK);
	if (fmt[off] == '`')
		off++;
	if (conv < 0 || (size_t)conv != off || strncmp(fmt + off, "%s", 2) != 0) {
		/* Not a form known to put the URL first: keep the words before
		 * the first conversion only. */
		n = conv < 0 ? strlen(fmt) : (size_t)conv;
		snprintf(out, len, "%.*s", (int)(n < 400 ? n : 400), fmt);
		out[strcspn(out, "\n")] = '\0';
		return;
	}
	va_copy(aq, ap);
	url = va_arg(aq, const char *);
	va_end(aq);
	vsnprintf(out, len, fmt, ap);
	out[strcspn(out, "\n")] = '\0';
	/* The URL starts right after the mark in the formatted text (the
	 * text before it has no conversion); it may have been cut short. */
	at = strstr(out, MARK);
	if (at == NULL)
		return;
	off = (size_t)(at - out) + strlen(MARK);
	if (out[off] == '`')
		off++;
	n = url == NULL ? strlen("(null)") : strlen(url);
	rest = strlen(out + off);
	if (n > rest)
		n = rest;
	/* out[off .. off+n) is the URL: replace it, moving the tail. */
	if (strlen(MHDMSG_WITHHELD) + off + (rest - n) + 1 > len) {
		out[off] = '\0';
		if (off + strlen(MHDMSG_WITHHELD) + 1 <= len)
			memcpy(out + off, MHDMSG_WITHHELD, strlen(MHDMSG_WITHHELD) + 1);
		return;
	}
	memmove(out + off + strlen(MHDMSG_WITHHELD), out + off + n, rest - n + 1);
	memcpy(out + off, MHDMSG_WITHHELD, strlen(MHDMSG_WITHHELD));
}
