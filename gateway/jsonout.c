/*
 * jsonout.c: JSON text written straight into a buffer (see jsonout.h). The
 * escaping follows jansson's dump.c and its UTF-8 rules follow utf8.c, so
 * that the text is what json_dumps() would have made; a unit test compares
 * the two on random values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonout.h"
#include "wipe.h"

void
jsonout_init(struct jsonout *o, int ensure_ascii)
{
	memset(o, 0, sizeof(*o));
	o->ascii = ensure_ascii;
}

void
jsonout_sensitive(struct jsonout *o)
{
	o->wipe = 1;
}

static int
reserve(struct jsonout *o, size_t n)
{
	size_t	 cap;
	char	*b;

	if (o->failed)
		return -1;
	if (n < o->cap - o->len)
		return 0;
	for (cap = o->cap ? o->cap : 256; n >= cap - o->len; cap *= 2)
		if (cap > ((size_t)-1) / 4) {
			o->failed = 1;
			return -1;
		}
	/* Not realloc() for sensitive text: it would leave a copy behind. */
	if (o->wipe)
		b = wipe_realloc(o->buf, cap);
	else
		b = realloc(o->buf, cap);
	if (b == NULL) {
		o->failed = 1;
		return -1;
	}
	o->buf = b;
	o->cap = cap;
	return 0;
}

static void
put(struct jsonout *o, const char *s, size_t n)
{
	if (reserve(o, n) == 0) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

#define BIT_GET(a, d)	(((a)[(d) / 8] >> ((d) % 8)) & 1u)
#define BIT_SET(a, d, v) ((a)[(d) / 8] = (unsigned char)(((a)[(d) / 8] & \
			    ~(1u << ((d) % 8))) | ((unsigned)(v) << ((d) % 8))))

/* The comma before a key or an array's value, but the first at its depth. */
static void
comma(struct jsonout *o)
{
	unsigned	d;

	if (o->depth == 0)
		return;
	d = o->depth - 1;
	if (BIT_GET(o->any, d))
		put(o, ",", 1);
	BIT_SET(o->any, d, 1);
}

/* Before a value: an object's member needs its key first. */
static void
sep(struct jsonout *o)
{
	if (o->after_key) {
		o->after_key = 0;
		return;
	}
	if (o->depth > 0 && BIT_GET(o->obj, o->depth - 1)) {
		o->failed = 1;
		return;
	}
	comma(o);
}

/* The code point of the UTF-8 sequence at s (at most n bytes) and its
 * length, or 0 if it is not valid UTF-8 (jansson's utf8_check_first and
 * utf8_check_full: no overlong forms, no surrogates, nothing past
 * U+10FFFF). */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t		len, i;
	uint32_t	v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		v = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		v = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		v = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) ||
	    (len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000))
		return 0;
	*cp = v;
	return len;
}

static void
quoted(struct jsonout *o, const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str, *run = s, *end = s + n;
	char			 seq[13];
	const char		*text;
	size_t			 len, tlen;
	uint32_t		 cp;

	put(o, "\"", 1);
	while (s < end && !o->failed) {
		if (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\') {
			s++;
			continue;
		}
		if ((len = utf8_next(s, (size_t)(end - s), &cp)) == 0) {
			o->failed = 1;
			break;
		}
		if (cp >= 0x80 && !o->ascii) {
			s += len;
			continue;
		}
		put(o, (const char *)run, (size_t)(s - run));
		tlen = 2;
		switch (cp) {
		case '\\': text = "\\\\"; break;
		case '"':  text = "\\\""; break;
		case '\b': text = "\\b"; break;
		case '\f': text = "\\f"; break;
		case '\n': text = "\\n"; break;
		case '\r': text = "\\r"; break;
		case '\t': text = "\\t"; break;
		default:
			if (cp < 0x10000) {
				snprintf(seq, sizeof(seq), "\\u%04X", (unsigned)cp);
				tlen = 6;
			} else {
				cp -= 0x10000;
				snprintf(seq, sizeof(seq), "\\u%04X\\u%04X",
				    (unsigned)(0xD800 | ((cp & 0xFFC00) >> 10)),
				    (unsigned)(0xDC00 | (cp & 0x3FF)));
				tlen = 12;
			}
			text = seq;
		}
		put(o, text, tlen);
		s += len;
		run = s;
	}
	put(o, (const char *)run, (size_t)(s - run));
	put(o, "\"", 1);
}

static void
open_level(struct jsonout *o, int object)
{
	sep(o);
	if (o->depth >= JSONOUT_MAX_DEPTH) {
		o->failed = 1;
		return;
	}
	BIT_SET(o->any, o->depth, 0);
	BIT_SET(o->obj, o->depth, object);
	o->depth++;
	put(o, object ? "{" : "[", 1);
}

static void
close_level(struct jsonout *o, int object)
{
	if (o->depth == 0 || o->after_key ||
	    BIT_GET(o->obj, o->depth - 1) != (unsigned)object) {
		o->failed = 1;
		return;
	}
	o->depth--;
	put(o, object ? "}" : "]", 1);
}

void
jsonout_object_begin(struct jsonout *o)
{
	open_level(o, 1);
}

void
jsonout_object_end(struct jsonout *o)
{
	close_level(o, 1);
}

void
jsonout_array_begin(struct jsonout *o)
{
	open_level(o, 0);
}

void
jsonout_array_end(struct jsonout *o)
{
	close_level(o, 0);
}

void
jsonout_key(struct jsonout *o, const char *name)
{
	if (o->depth == 0 || o->after_key || !BIT_GET(o->obj, o->depth - 1)) {
		o->failed = 1;
		return;
	}
	comma(o);
	quoted(o, name, strlen(name));
	put(o, ":", 1);
	o->after_key = 1;
}

void
jsonout_stringn(struct jsonout *o, const char *s, size_t len)
{
	sep(o);
	quoted(o, s, len);
}

void
jsonout_string(struct jsonout *o, const char *s)
{
	if (s == NULL) {
		o->failed = 1;	/* as json_string(NULL) */
		return;
	}
	jsonout_stringn(o, s, strlen(s));
}

void
jsonout_integer(struct jsonout *o, int64_t v)
{
	char	b[24];
	int	n;

	sep(o);
	n = snprintf(b, sizeof(b), "%lld", (long long)v);
	put(o, b, (size_t)n);
}

void
jsonout_bool(struct jsonout *o, int v)
{
	sep(o);
	if (v)
		put(o, "true", 4);
	else
		put(o, "false", 5);
}

void
jsonout_null(struct jsonout *o)
{
	sep(o);
	put(o, "null", 4);
}

void
jsonout_real(struct jsonout *o, double v)
{
	char	 b[32], *e, *end;
	int	 n;
	size_t	 len;

	/* jansson's jsonp_dtostr() with its default precision, in the C
	 * locale gatewayd runs in. */
	n = snprintf(b, sizeof(b), "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(b) - 3) {
		o->failed = 1;
		return;
	}
	len = (size_t)n;
	if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
		memcpy(b + len, ".0", 3);
		len += 2;
	}
	if ((e = strchr(b, 'e')) != NULL) {	/* no '+' or leading zeros in the exponent */
		e++;
		end = e + 1;
		if (*e == '-')
			e++;
		while (*end == '0')
			end++;
		if (end != e) {
			memmove(e, end, len - (size_t)(end - b) + 1);
			len -= (size_t)(end - e);
		}
	}
	sep(o);
	put(o, b, len);
}

void
jsonout_value(struct jsonout *o, const json_t *v)
{
	const char	*k;
	json_t		*m;
	size_t		 i;

	if (v == NULL) {
		o->failed = 1;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jsonout_object_begin(o);
		json_object_foreach((json_t *)v, k, m) {
			if (o->failed)
				return;
			jsonout_key(o, k);
			jsonout_value(o, m);
		}
		jsonout_object_end(o);
		break;
	case JSON_ARRAY:
		jsonout_array_begin(o);
		for (i = 0; i < json_array_size(v) && !o->failed; i++)
			jsonout_value(o, json_array_get(v, i));
		jsonout_array_end(o);
		break;
	case JSON_STRING:
		jsonout_stringn(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jsonout_integer(o, json_integer_value(v));
		break;
	case JSON_REAL:
		jsonout_real(o, json_real_value(v));
		break;
	case JSON_TRUE:
		jsonout_bool(o, 1);
		break;
	case JSON_FALSE:
		jsonout_bool(o, 0);
		break;
	case JSON_NULL:
		jsonout_null(o);
		break;
	default:
		o->failed = 1;
	}
}

void
jsonout_strings(struct jsonout *o, const char *const *s, size_t n)
{
	size_t	i;

	jsonout_array_begin(o);
	for (i = 0; i < n; i++)
		jsonout_string(o, s[i]);
	jsonout_array_end(o);
}

char *
jsonout_finish(struct jsonout *o, size_t *len)
{
	char	*text;

	if (o->depth != 0 || o->after_key || o->len == 0)
		o->failed = 1;
	if (reserve(o, 1) == -1) {
		if (o->wipe)
			wipe_free(o->buf);	/* the whole block, not o->len */
		else
			free(o->buf);
		memset(o, 0, sizeof(*o));
		return NULL;
	}
	o->buf[o->len] = '\0';
	text = o->buf;
	if (len != NULL)
		*len = o->len;
	memset(o, 0, sizeof(*o));
	return text;
}
