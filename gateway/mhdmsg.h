/*
 * mhdmsg.h: libmicrohttpd's own messages made fit for the gateway's log.
 * A few of them name the request's URL ("Failed to send the response body
 * for the request for `/v1/families/FAM-1/subject-access'. Error: ..."),
 * and a URL may hold a family's id; the log holds no personal data. Pure:
 * no I/O, no allocation.
 */
#ifndef MHDMSG_H
#define MHDMSG_H

#include <stdarg.h>
#include <stddef.h>

#define MHDMSG_WITHHELD	"[url withheld]"

/*
 * Formats libmicrohttpd's message (fmt, ap, as its external logger gets
 * them) into out[0..len), NUL-terminated and cut at its first newline. A
 * message whose first conversion is the URL after "request for " (every
 * such message libmicrohttpd 0.9.75 writes) has the URL replaced by
 * MHDMSG_WITHHELD, the rest (the error's text) kept. A message that names
 * "request for " in another form is cut before its first conversion: a
 * later libmicrohttpd's new wording loses detail, never leaks.
 */
void	mhdmsg_format(char *out, size_t len, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#endif
