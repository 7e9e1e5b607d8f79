/*
 * jsonschema.c: a JSON Schema draft-07 validator for the keywords listed in
 * the keyword table below, and the checker that refuses any schema using a
 * keyword outside it (so nothing in a schema is silently not enforced).
 *
 * How it works. jsonschema_check() walks a schema once, checking the shape
 * of every keyword's value and that local "#/..." references have a target.
 * Validation walks schema and instance together (eval), appending one error
 * object per failure with the instance location as a JSON Pointer. Inside
 * anyOf/oneOf/not/if/contains the walk is "quiet": it records nothing and
 * stops at the first failure. Two outcomes abort the whole validation
 * whatever the combinators say (so "not" cannot turn them into a pass): the
 * nesting limit (a "$ref" loop, or an instance nested deeper than any sane
 * request) and the regular-expression effort limit (a pattern that would
 * backtrack for ever). Both make the instance invalid.
 *
 * References follow draft-07: "$ref" replaces its sibling keywords; "$id"
 * changes the base URI that relative references resolve against; fragments
 * are JSON Pointers (with ~0/~1 and %-escapes) or plain-name "$id"s. A
 * reference to another document goes through a caller's resolver (the
 * registry in schemas.c maps "consent.schema.json" to its file).
 *
 * Regular expressions: "pattern", "patternProperties" and format "regex"
 * use PCRE2 with the options closest to ECMA-262 (UTF, "$" only at the very
 * end, \uHHHH escapes), an unanchored search as ECMA-262's RegExp.test(),
 * and match and depth limits against catastrophic backtracking. Compiled
 * patterns are cached process-wide (immutable, so shared between threads).
 *
 * Deviations from draft-07. "type": "integer" accepts only a number
 * written without a fraction or exponent (what Jansson parses as an
 * integer): draft-07 also counts 1.0, 2922.0 and 1e2 as integers, but
 * Jansson holds those as reals and the gateway reads integer fields with
 * json_integer_value(), which gives 0 for a real (a retention of "days":
 * 1.0 became no limit at all, a breach's "approx_people": 250.0 was stored
 * as 0). Refusing them is the only reading under which a schema-checked
 * integer is safe to read so. The suite file optional/zeroTerminatedFloats
 * is skipped for this. Numbers compare by value everywhere else (enum,
 * const, uniqueItems, minimum, multipleOf), as draft-07 says.
 *
 * Messages never quote instance values (they may be personal data); they
 * quote only the schema (limits, names of required properties, patterns).
 * Nor do paths quote a member name the schema does not declare (one that
 * additionalProperties, patternProperties or propertyNames judges): such a
 * name is the caller's text too ({"Jane Smith": 1} is a person's name). An
 * error there, or anywhere inside that member, is reported at the path of
 * the object holding it, made of declared names and indexes only, with the
 * member's position in that object ("member", from 1). A caller that owns
 * the instance (gatewayctl validate) may ask for full paths instead.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonschema.h"
#include "rfc3339.h"

/* Validation outcomes inside this file. */
#define V_OK	0
#define V_FAIL	1
#define V_ERR	(-1)	/* internal: out of memory, unresolvable $ref */
#define V_ABORT	(-2)	/* limit reached: the instance is invalid, whatever */

#define CHECK_MAX_DEPTH	512	/* nesting of a schema document itself */
#define REF_MAX_HOPS	32	/* a chain of $ref to $ref to ... */
#define RX_CACHE_MAX	256
#define RX_MATCH_LIMIT	200000
#define RX_DEPTH_LIMIT	2000

enum kw {
	KW_UNKNOWN, KW_ANNOTATION, KW_ID, KW_SCHEMA, KW_REF, KW_DEFINITIONS,
	KW_TYPE, KW_ENUM, KW_CONST,
	KW_PROPERTIES, KW_PATTERNPROPERTIES, KW_ADDITIONALPROPERTIES,
	KW_PROPERTYNAMES, KW_REQUIRED, KW_MINPROPERTIES, KW_MAXPROPERTIES,
	KW_DEPENDENCIES,
	KW_ITEMS, KW_ADDITIONALITEMS, KW_CONTAINS, KW_MINITEMS, KW_MAXITEMS,
	KW_UNIQUEITEMS,
	KW_MINLENGTH, KW_MAXLENGTH, KW_PATTERN, KW_FORMAT,
	KW_MINIMUM, KW_MAXIMUM, KW_EXCLUSIVEMINIMUM, KW_EXCLUSIVEMAXIMUM,
	KW_MULTIPLEOF,
	KW_ALLOF, KW_ANYOF, KW_ONEOF, KW_NOT, KW_IF, KW_THEN, KW_ELSE
};

struct keyword {
	const char	*name;
	enum kw		 kw;
};

static const struct keyword keywords[] = {
	{ "title", KW_ANNOTATION }, { "description", KW_ANNOTATION },
	{ "$comment", KW_ANNOTATION }, { "examples", KW_ANNOTATION },
	{ "default", KW_ANNOTATION }, { "readOnly", KW_ANNOTATION },
	{ "writeOnly", KW_ANNOTATION },
	{ "$id", KW_ID }, { "$schema", KW_SCHEMA }, { "$ref", KW_REF },
	{ "definitions", KW_DEFINITIONS },
	{ "type", KW_TYPE }, { "enum", KW_ENUM }, { "const", KW_CONST },
	{ "properties", KW_PROPERTIES },
	{ "patternProperties", KW_PATTERNPROPERTIES },
	{ "additionalProperties", KW_ADDITIONALPROPERTIES },
	{ "propertyNames", KW_PROPERTYNAMES }, { "required", KW_REQUIRED },
	{ "minProperties", KW_MINPROPERTIES },
	{ "maxProperties", KW_MAXPROPERTIES },
	{ "dependencies", KW_DEPENDENCIES },
	{ "items", KW_ITEMS }, { "additionalItems", KW_ADDITIONALITEMS },
	{ "contains", KW_CONTAINS }, { "minItems", KW_MINITEMS },
	{ "maxItems", KW_MAXITEMS }, { "uniqueItems", KW_UNIQUEITEMS },
	{ "minLength", KW_MINLENGTH }, { "maxLength", KW_MAXLENGTH },
	{ "pattern", KW_PATTERN }, { "format", KW_FORMAT },
	{ "minimum", KW_MINIMUM }, { "maximum", KW_MAXIMUM },
	{ "exclusiveMinimum", KW_EXCLUSIVEMINIMUM },
	{ "exclusiveMaximum", KW_EXCLUSIVEMAXIMUM },
	{ "multipleOf", KW_MULTIPLEOF },
	{ "allOf", KW_ALLOF }, { "anyOf", KW_ANYOF }, { "oneOf", KW_ONEOF },
	{ "not", KW_NOT }, { "if", KW_IF }, { "then", KW_THEN },
	{ "else", KW_ELSE },
};

static const char *const formats[] = {
	"date", "date-time", "time", "email", "uri", "uri-reference",
	"regex", "ipv4", "ipv6", "hostname",
};

/* Keyword lookup runs for every key of every schema node visited, so it is
 * a small open-addressing hash table, built once. */
#define KW_SLOTS 256
static const struct keyword *kw_table[KW_SLOTS];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static unsigned
kw_hash(const char *name)
{
	unsigned h = 2166136261u;

	for (; *name != '\0'; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return h % KW_SLOTS;
}

static void
kw_build(void)
{
	size_t i;
	unsigned h;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		for (h = kw_hash(keywords[i].name); kw_table[h] != NULL;
		    h = (h + 1) % KW_SLOTS)
			;
		kw_table[h] = &keywords[i];
	}
}

static enum kw
kw_lookup(const char *name)
{
	unsigned h;

	if (name[0] == 'x' && name[1] == '-')
		return KW_ANNOTATION;
	(void)pthread_once(&kw_once, kw_build);
	for (h = kw_hash(name); kw_table[h] != NULL; h = (h + 1) % KW_SLOTS)
		if (strcmp(kw_table[h]->name, name) == 0)
			return kw_table[h]->kw;
	return KW_UNKNOWN;
}

/* ---------------------------------------------------------------- strings */

/* A growable string holding a JSON Pointer; pop restores a saved length. */
struct pbuf {
	char	*s;
	size_t	 len, cap;
};

static int
pb_reserve(struct pbuf *p, size_t more)
{
	char *n;
	size_t cap;

	if (p->len + more + 1 <= p->cap)
		return 0;
	cap = p->cap ? p->cap : 64;
	while (cap < p->len + more + 1)
		cap *= 2;
	if ((n = realloc(p->s, cap)) == NULL)
		return -1;
	p->s = n;
	p->cap = cap;
	return 0;
}

/* Appends "/" and the token escaped (~ as ~0, / as ~1). */
static int
pb_push(struct pbuf *p, const char *tok, size_t *saved)
{
	const char *t;

	*saved = p->len;
	if (pb_reserve(p, 1 + 2 * strlen(tok)) == -1)
		return -1;
	p->s[p->len++] = '/';
	for (t = tok; *t != '\0'; t++) {
		if (*t == '~' || *t == '/') {
			p->s[p->len++] = '~';
			p->s[p->len++] = *t == '~' ? '0' : '1';
		} else
			p->s[p->len++] = *t;
	}
	p->s[p->len] = '\0';
	return 0;
}

static int
pb_push_idx(struct pbuf *p, size_t i, size_t *saved)
{
	char num[32];

	(void)snprintf(num, sizeof(num), "%zu", i);
	return pb_push(p, num, saved);
}

static void
pb_pop(struct pbuf *p, size_t saved)
{
	p->len = saved;
	if (p->s != NULL)
		p->s[saved] = '\0';
}

static const char *
pb_str(const struct pbuf *p)
{
	return p->s != NULL ? p->s : "";
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d;

	if ((d = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

static char *
concat(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	char *d;

	if ((d = malloc(alen + blen + 1)) == NULL)
		return NULL;
	memcpy(d, a, alen);
	memcpy(d + alen, b, blen + 1);
	return d;
}

/* Number of Unicode code points in valid UTF-8 (Jansson guarantees it). */
static size_t
utf8_len(const char *s, size_t n)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cp++;
	return cp;
}

/* ------------------------------------------------------ regular expressions */

struct rx {
	char		*src;
	size_t		 len;
	pcre2_code	*code;
};

static pthread_mutex_t rx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rx rx_cache[RX_CACHE_MAX];
static size_t rx_count;

/*
 * ECMA-262 on PCRE2. PCRE2 with these options reads the ECMA-262 syntax
 * with the same meaning, except for constructs that ECMA-262 does not have
 * (where PCRE2 would give them a meaning of its own) and "\\v". This pass
 * refuses the former (so a schema never relies on a meaning ECMA-262 does
 * not give) and rewrites "\\v" (ECMA: U+000B only; PCRE2: any vertical
 * space) as "\\x0b". Remaining known difference: ECMA's \\s also matches
 * non-ASCII spaces (U+00A0, U+FEFF, Zs), PCRE2's only ASCII ones.
 * Returns a malloc'd pattern, or NULL with *why set (why may be NULL).
 */
static char *
rx_ecma(const char *src, size_t len, size_t *olen, const char **why)
{
	static const char *const msg[] = {
		"out of memory", "a trailing backslash",
		"an escape that ECMA-262 does not have (such as \\A, \\Z, \\z, \\h, \\K, \\Q)",
		"a group syntax that ECMA-262 does not have",
		"a possessive quantifier (not ECMA-262)",
		"a POSIX bracket expression (not ECMA-262)",
	};
	const char *dummy;
	char *out;
	size_t i = 0, o = 0;
	int in_class = 0, bad = -1;

	if (why == NULL)
		why = &dummy;
	if ((out = malloc(2 * len + 1)) == NULL) {
		*why = msg[0];
		return NULL;
	}
	while (i < len && bad < 0) {
		char c = src[i];

		if (c == '\\') {
			char n;

			if (i + 1 >= len) {
				bad = 1;
				break;
			}
			n = src[i + 1];
			if (n == 'v') {
				memcpy(out + o, "\\x0b", 4);
				o += 4;
				i += 2;
				continue;
			}
			if (isalpha((unsigned char)n) &&
			    strchr("dDwWsSbBfnrtcxukpP", n) == NULL)
				bad = 2;
			out[o++] = c;
			out[o++] = n;
			i += 2;
			continue;
		}
		if (in_class) {
			if (c == '[' && i + 1 < len &&
			    (src[i + 1] == ':' || src[i + 1] == '=' ||
			    src[i + 1] == '.'))
				bad = 5;
			else if (c == ']')
				in_class = 0;
		} else if (c == '[') {
			in_class = 1;
			out[o++] = src[i++];
			if (i < len && src[i] == '^')
				out[o++] = src[i++];
			if (i < len && src[i] == ']') {	/* [] and [^]: empty */
				out[o++] = src[i++];
				in_class = 0;
			}
			continue;
		} else if (c == '(' && i + 1 < len && src[i + 1] == '?') {
			char n = i + 2 < len ? src[i + 2] : '\0';
			char m = i + 3 < len ? src[i + 3] : '\0';

			if (!(n == ':' || n == '=' || n == '!' ||
			    (n == '<' && (m == '=' || m == '!' ||
			    isalpha((unsigned char)m) || m == '_' || m == '$'))))
				bad = 3;
		} else if ((c == '*' || c == '+' || c == '?') && i + 1 < len &&
		    src[i + 1] == '+' && i > 0 && src[i - 1] != '\\')
			bad = 4;
		else if (c == '{') {
			size_t j = i + 1;

			while (j < len && isdigit((unsigned char)src[j]))
				j++;
			if (j > i + 1 && j < len && src[j] == ',')
				for (j++; j < len && isdigit((unsigned char)src[j]); j++)
					;
			if (j > i + 1 && j + 1 < len && src[j] == '}' &&
			    src[j + 1] == '+')
				bad = 4;
		}
		out[o++] = c;
		i++;
	}
	if (bad >= 0) {
		*why = msg[bad];
		free(out);
		return NULL;
	}
	out[o] = '\0';
	*olen = o;
	return out;
}

static pcre2_code *
rx_compile(const char *src, size_t len, const char **why)
{
	pcre2_code *code;
	PCRE2_SIZE erroff;
	char *ecma;
	size_t elen;
	int errcode;

	if ((ecma = rx_ecma(src, len, &elen, why)) == NULL)
		return NULL;
	code = pcre2_compile((PCRE2_SPTR)ecma, elen, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX |
	    PCRE2_ALLOW_EMPTY_CLASS, &errcode, &erroff, NULL);
	free(ecma);
	if (code == NULL && why != NULL)
		*why = "it does not compile";
	/* Machine code for the matcher where PCRE2 has a JIT (it keeps the
	 * match limit; its own stack limit counts as the effort limit too);
	 * without one, pcre2_match() interprets as before. */
	if (code != NULL)
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	return code;
}

/* Returns the compiled pattern, from the cache when possible. *owned is set
 * when the caller must pcre2_code_free() it (cache full). NULL when the
 * pattern does not compile or memory ran out. */
static pcre2_code *
rx_get(const char *src, size_t len, int *owned)
{
	pcre2_code *code = NULL;
	size_t i;

	*owned = 0;
	if (pthread_mutex_lock(&rx_lock) != 0)
		return NULL;
	for (i = 0; i < rx_count; i++) {
		if (rx_cache[i].len == len &&
		    memcmp(rx_cache[i].src, src, len) == 0) {
			code = rx_cache[i].code;
			(void)pthread_mutex_unlock(&rx_lock);
			return code;
		}
	}
	if ((code = rx_compile(src, len, NULL)) != NULL) {
		if (rx_count < RX_CACHE_MAX &&
		    (rx_cache[rx_count].src = xstrndup(src, len)) != NULL) {
			rx_cache[rx_count].len = len;
			rx_cache[rx_count].code = code;
			rx_count++;
		} else
			*owned = 1;
	}
	(void)pthread_mutex_unlock(&rx_lock);
	return code;
}

void
jsonschema_cleanup(void)
{
	size_t i;

	if (pthread_mutex_lock(&rx_lock) != 0)
		return;
	for (i = 0; i < rx_count; i++) {
		free(rx_cache[i].src);
		pcre2_code_free(rx_cache[i].code);
	}
	rx_count = 0;
	(void)pthread_mutex_unlock(&rx_lock);
}

static int
rx_valid(const char *src, size_t len, const char **why)
{
	pcre2_code *code;

	if ((code = rx_compile(src, len, why)) == NULL)
		return 0;
	pcre2_code_free(code);
	return 1;
}

/* ------------------------------------------------------------------ formats */

static int
ndigits(const char *s, size_t n, int *val)
{
	size_t i;

	*val = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*val = *val * 10 + (s[i] - '0');
	}
	return 1;
}

/* RFC 3339 full-date: YYYY-MM-DD with a real calendar day. */
static int
fmt_date(const char *s, size_t n)
{
	int y, m, d;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	if (!ndigits(s, 4, &y) || !ndigits(s + 5, 2, &m) ||
	    !ndigits(s + 8, 2, &d))
		return 0;
	return m >= 1 && m <= 12 && d >= 1 && d <= rfc3339_days_in_month(y, m);
}

/* RFC 3339 full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM). A leap second
 * (:60) is accepted only where it falls at 23:59 UTC. */
static int
fmt_time(const char *s, size_t n)
{
	int h, m, sec, oh = 0, om = 0, sign = 0, utc;
	size_t i = 8;

	if (n < 9 || s[2] != ':' || s[5] != ':')
		return 0;
	if (!ndigits(s, 2, &h) || !ndigits(s + 3, 2, &m) ||
	    !ndigits(s + 6, 2, &sec))
		return 0;
	if (h > 23 || m > 59 || sec > 60)
		return 0;
	if (s[i] == '.') {
		size_t start = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == start)
			return 0;
	}
	if (i >= n)
		return 0;
	if (s[i] == 'Z' || s[i] == 'z') {
		if (i + 1 != n)
			return 0;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (n - i != 6 || s[i + 3] != ':' ||
		    !ndigits(s + i + 1, 2, &oh) || !ndigits(s + i + 4, 2, &om))
			return 0;
		if (oh > 23 || om > 59)
			return 0;
	} else
		return 0;
	if (sec == 60) {
		utc = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return 0;
	}
	return 1;
}

static int
fmt_datetime(const char *s, size_t n)
{
	if (n < 11 || (s[10] != 'T' && s[10] != 't'))
		return 0;
	return fmt_date(s, 10) && fmt_time(s + 11, n - 11);
}

static int
is_unreserved(int c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int
is_subdelim(int c)
{
	return c != '\0' && strchr("!$&'()*+,;=", c) != NULL;
}

/* A DNS host name: dot-separated labels of letters, digits and hyphens
 * (no hyphen at either end of a label), 1..63 each, 253 in all. */
static int
fmt_hostname(const char *s, size_t n)
{
	size_t i, lab = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0 || s[i - 1] == '-')
				return 0;
			lab = 0;
		} else if (isalnum(c) || c == '-') {
			if (c == '-' && lab == 0)
				return 0;
			if (++lab > 63)
				return 0;
		} else
			return 0;
	}
	return lab > 0 && s[n - 1] != '-';
}

/* Dotted quad, each part 0..255 without leading zeros. */
static int
fmt_ipv4(const char *s, size_t n)
{
	size_t i = 0;
	int part, v;

	for (part = 0; part < 4; part++) {
		size_t start = i;

		v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return 0;
		if (part < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return i == n;
}

/* RFC 4291 text form: up to 8 groups of 1..4 hex digits, one "::", an
 * optional trailing dotted quad counting as two groups. */
static int
fmt_ipv6(const char *s, size_t n)
{
	size_t i = 0;
	int groups = 0, dcolon = 0;

	if (n < 2 || n > 45)
		return 0;
	if (s[0] == ':') {
		if (s[1] != ':')
			return 0;
		dcolon = 1;
		i = 2;
		if (i == n)
			return 1;
	}
	while (i < n) {
		size_t start = i, j;

		while (i < n && isxdigit((unsigned char)s[i]) && i - start < 5)
			i++;
		if (i < n && s[i] == '.') {
			/* embedded IPv4 ends the address */
			for (j = start; j < n; j++)
				if (!isdigit((unsigned char)s[j]) && s[j] != '.')
					return 0;
			if (!fmt_ipv4(s + start, n - start))
				return 0;
			groups += 2;
			i = n;
			break;
		}
		if (i == start || i - start > 4)
			return 0;
		groups++;
		if (i == n)
			break;
		if (s[i] != ':')
			return 0;
		i++;
		if (i < n && s[i] == ':') {
			if (dcolon)
				return 0;
			dcolon = 1;
			i++;
			if (i == n)
				break;
		} else if (i == n)
			return 0;
	}
	return dcolon ? groups <= 7 : groups == 8;
}

/* A practical RFC 5321 mailbox: dot-atom local part @ host name or
 * [IP literal]. Quoted local parts are refused. */
static int
fmt_email(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t i, llen;

	if (at == NULL || n > 254)
		return 0;
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64 || s[0] == '.' || s[llen - 1] == '.')
		return 0;
	for (i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' && s[i + 1] == '.')
			return 0;
		if (!isalnum(c) && strchr(".!#$%&'*+/=?^_`{|}~-", c) == NULL)
			return 0;
	}
	s = at + 1;
	n -= llen + 1;
	if (n > 2 && s[0] == '[' && s[n - 1] == ']') {
		if (n > 7 && strncmp(s + 1, "IPv6:", 5) == 0)
			return fmt_ipv6(s + 6, n - 7);
		return fmt_ipv4(s + 1, n - 2);
	}
	return fmt_hostname(s, n);
}

/* Characters allowed in a URI component beyond unreserved and
 * pct-encoded; returns the length of a valid run of pchar/extra. */
static size_t
uri_run(const char *s, size_t n, const char *extra, int *bad)
{
	size_t i = 0;

	*bad = 0;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2])) {
				*bad = 1;
				return i;
			}
			i += 3;
		} else if (is_unreserved(c) || is_subdelim(c) ||
		    (c != '\0' && strchr(extra, c) != NULL))
			i++;
		else
			break;
	}
	return i;
}

/* RFC 3986 URI (abs_required) or URI-reference. */
static int
fmt_uri(const char *s, size_t n, int abs_required)
{
	size_t i = 0, j, k;
	int bad, has_scheme = 0;

	/* scheme */
	if (n > 0 && isalpha((unsigned char)s[0])) {
		for (j = 1; j < n; j++)
			if (!isalnum((unsigned char)s[j]) && s[j] != '+' &&
			    s[j] != '-' && s[j] != '.')
				break;
		if (j < n && s[j] == ':') {
			has_scheme = 1;
			i = j + 1;
		}
	}
	if (abs_required && !has_scheme)
		return 0;
	/* authority */
	if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		size_t aend;

		i += 2;
		for (aend = i; aend < n && s[aend] != '/' && s[aend] != '?' &&
		    s[aend] != '#'; aend++)
			;
		/* userinfo */
		for (k = i; k < aend && s[k] != '@'; k++)
			;
		if (k < aend) {
			if (uri_run(s + i, k - i, ":", &bad) != k - i || bad)
				return 0;
			i = k + 1;
		}
		if (i < aend && s[i] == '[') {
			for (k = i; k < aend && s[k] != ']'; k++)
				;
			if (k == aend || !fmt_ipv6(s + i + 1, k - i - 1))
				return 0;
			i = k + 1;
		} else {
			j = uri_run(s + i, aend - i, "", &bad);
			if (bad)
				return 0;
			i += j;
		}
		if (i < aend && s[i] == ':') {
			for (i++; i < aend; i++)
				if (!isdigit((unsigned char)s[i]))
					return 0;
		}
		if (i != aend)
			return 0;
	} else if (!has_scheme) {
		/* relative-ref: the first path segment takes no ':' */
		for (j = i; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#';
		    j++)
			if (s[j] == ':')
				return 0;
	}
	/* path */
	j = uri_run(s + i, n - i, ":@/", &bad);
	if (bad)
		return 0;
	i += j;
	if (i < n && s[i] == '?') {
		i++;
		j = uri_run(s + i, n - i, ":@/?", &bad);
		if (bad)
			return 0;
		i += j;
	}
	if (i < n && s[i] == '#') {
		i++;
		j = uri_run(s + i, n - i, ":@/?", &bad);
		if (bad)
			return 0;
		i += j;
	}
	return i == n;
}

static int
format_known(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(formats[i], name) == 0)
			return 1;
	return 0;
}

/* 1 when s (n bytes) is valid for the format; unknown formats pass (the
 * checker has refused them already). */
static int
format_valid(const char *fmt, const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		return 0;
	if (strcmp(fmt, "date") == 0)
		return fmt_date(s, n);
	if (strcmp(fmt, "date-time") == 0)
		return fmt_datetime(s, n);
	if (strcmp(fmt, "time") == 0)
		return fmt_time(s, n);
	if (strcmp(fmt, "email") == 0)
		return fmt_email(s, n);
	if (strcmp(fmt, "uri") == 0)
		return fmt_uri(s, n, 1);
	if (strcmp(fmt, "uri-reference") == 0)
		return fmt_uri(s, n, 0);
	if (strcmp(fmt, "regex") == 0)
		return rx_valid(s, n, NULL);
	if (strcmp(fmt, "ipv4") == 0)
		return fmt_ipv4(s, n);
	if (strcmp(fmt, "ipv6") == 0)
		return fmt_ipv6(s, n);
	if (strcmp(fmt, "hostname") == 0)
		return fmt_hostname(s, n);
	return 1;
}

/* ------------------------------------------------------- JSON equality */

/* An integral double within int64 range, as an integer. */
static int
real_as_int(double d, json_int_t *out)
{
	if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)
		return 0;
	*out = (json_int_t)d;
	return 1;
}

static int
num_eq(const json_t *a, const json_t *b)
{
	json_int_t ia, ib;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_integer(a) && real_as_int(json_real_value(b), &ib))
		return json_integer_value(a) == ib;
	if (json_is_integer(b) && real_as_int(json_real_value(a), &ia))
		return ia == json_integer_value(b);
	return json_number_value(a) == json_number_value(b);
}

/* Deep equality as JSON Schema defines it: 1 and 1.0 are equal, object
 * key order does not matter. */
static int
json_eq(const json_t *a, const json_t *b, int depth)
{
	size_t i;
	const char *k;
	json_t *v;

	if (depth > 4096)
		return 0;
	if (json_is_number(a) && json_is_number(b))
		return num_eq(a, b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!json_eq(json_array_get(a, i), json_array_get(b, i),
			    depth + 1))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) {
			const json_t *w = json_object_get(b, k);

			if (w == NULL || !json_eq(v, w, depth + 1))
				return 0;
		}
		return 1;
	default:
		return 1;	/* true, false, null */
	}
}

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 29);
}

static uint64_t
bytes_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A hash consistent with json_eq(): equal values hash equal. */
static uint64_t
json_hash(const json_t *x, int depth)
{
	uint64_t h;
	json_int_t iv;
	double d;
	size_t i;
	const char *k;
	json_t *v;

	if (depth > 4096)
		return 0;
	switch (json_typeof(x)) {
	case JSON_NULL:
		return 1;
	case JSON_TRUE:
		return 2;
	case JSON_FALSE:
		return 3;
	case JSON_INTEGER:
		return mix(4, (uint64_t)json_integer_value(x));
	case JSON_REAL:
		d = json_real_value(x);
		if (real_as_int(d, &iv))
			return mix(4, (uint64_t)iv);
		return mix(5, bytes_hash((const char *)&d, sizeof(d)));
	case JSON_STRING:
		return mix(6, bytes_hash(json_string_value(x),
		    json_string_length(x)));
	case JSON_ARRAY:
		h = 7;
		for (i = 0; i < json_array_size(x); i++)
			h = mix(h, json_hash(json_array_get(x, i), depth + 1));
		return h;
	case JSON_OBJECT:
		h = 8;
		json_object_foreach((json_t *)x, k, v)
			h += mix(bytes_hash(k, strlen(k)), json_hash(v, depth + 1));
		return mix(h, 9);
	}
	return 0;
}

struct hashed {
	uint64_t	 h;
	const json_t	*v;
};

static int
hashed_cmp(const void *a, const void *b)
{
	const struct hashed *x = a, *y = b;

	return x->h < y->h ? -1 : x->h > y->h;
}

/* 1 when all items of the array are distinct, 0 when two are equal, -1 when
 * memory ran out. O(n log n): sort by hash, compare runs of equal hashes. */
static int
items_unique(const json_t *arr)
{
	size_t n = json_array_size(arr), i, j;
	struct hashed *hs;
	int unique = 1;

	if (n < 2)
		return 1;
	if ((hs = calloc(n, sizeof(*hs))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		hs[i].v = json_array_get(arr, i);
		hs[i].h = json_hash(hs[i].v, 0);
	}
	qsort(hs, n, sizeof(*hs), hashed_cmp);
	for (i = 0; i < n && unique; i++)
		for (j = i + 1; j < n && hs[j].h == hs[i].h && unique; j++)
			if (json_eq(hs[i].v, hs[j].v, 0))
				unique = 0;
	free(hs);
	return unique;
}

/* ------------------------------------------------------------------ URIs */

static size_t
scheme_len(const char *s)
{
	size_t i;

	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (i = 1; s[i] != '\0'; i++) {
		if (s[i] == ':')
			return i + 1;
		if (!isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	}
	return 0;
}

/* RFC 3986 5.2.4 on the path that starts at p (up to ? or #), in place. */
static void
remove_dot_segments(char *p)
{
	char *end = p + strcspn(p, "?#"), *in = p, *out = p;
	char *rest;

	while (in < end) {
		if (strncmp(in, "../", 3) == 0 && in + 3 <= end)
			in += 3;
		else if (strncmp(in, "./", 2) == 0 && in + 2 <= end)
			in += 2;
		else if (strncmp(in, "/./", 3) == 0 && in + 3 <= end)
			in += 2;
		else if (in + 2 == end && strncmp(in, "/.", 2) == 0) {
			in += 1;
			*in = '/';
		} else if (strncmp(in, "/../", 4) == 0 && in + 4 <= end) {
			in += 3;
			while (out > p && *--out != '/')
				;
		} else if (in + 3 == end && strncmp(in, "/..", 3) == 0) {
			in += 2;
			*in = '/';
			while (out > p && *--out != '/')
				;
		} else if ((in + 1 == end && *in == '.') ||
		    (in + 2 == end && strncmp(in, "..", 2) == 0))
			in = end;
		else {
			if (*in == '/')
				*out++ = *in++;
			while (in < end && *in != '/')
				*out++ = *in++;
		}
	}
	rest = end;
	memmove(out, rest, strlen(rest) + 1);
}

/* Resolves reference ref against base (RFC 3986 5.2, enough for schema
 * identifiers). Returns a malloc'd string or NULL. base may be "". */
static char *
uri_resolve(const char *base, const char *ref)
{
	size_t blen = strcspn(base, "#"), sl, alen;
	const char *auth, *aend, *pend, *slash, *q;
	char *r;

	if (scheme_len(ref) > 0) {
		if ((r = strdup(ref)) != NULL)
			remove_dot_segments(r + scheme_len(r) +
			    (strncmp(r + scheme_len(r), "//", 2) == 0 ?
			    2 + strcspn(r + scheme_len(r) + 2, "/?#") : 0));
		return r;
	}
	if (ref[0] == '\0')
		return xstrndup(base, blen);
	if (ref[0] == '#')
		return concat(base, blen, ref);
	sl = scheme_len(base);
	if (ref[0] == '/' && ref[1] == '/')
		return concat(base, sl, ref);
	auth = base + sl;
	aend = auth;
	if (strncmp(auth, "//", 2) == 0)
		aend = auth + 2 + strcspn(auth + 2, "/?#");
	alen = (size_t)(aend - base);
	if (ref[0] == '/')
		r = concat(base, alen, ref);
	else if (ref[0] == '?') {
		pend = aend + strcspn(aend, "?#");
		r = concat(base, (size_t)(pend - base), ref);
	} else {
		pend = aend + strcspn(aend, "?#");
		slash = NULL;
		for (q = aend; q < pend; q++)
			if (*q == '/')
				slash = q;
		if (slash != NULL)
			r = concat(base, (size_t)(slash + 1 - base), ref);
		else if (aend != auth) {
			/* authority with an empty path: "/" + ref */
			char *t = concat(base, alen, "/");

			if (t == NULL)
				return NULL;
			r = concat(t, strlen(t), ref);
			free(t);
		} else
			r = concat(base, alen, ref);
	}
	if (r != NULL)
		remove_dot_segments(r + alen);
	return r;
}

/* Decodes %XX escapes of a URI fragment; NULL on a bad escape or, with
 * *oom set, memory. */
static char *
pct_decode(const char *s, int *oom)
{
	size_t n = strlen(s), i, o = 0;
	char *d;

	if ((d = malloc(n + 1)) == NULL) {
		*oom = 1;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			unsigned int v;

			if (!isxdigit((unsigned char)s[i + 1]) ||
			    !isxdigit((unsigned char)s[i + 2]) ||
			    sscanf(s + i + 1, "%2x", &v) != 1 || v == 0) {
				free(d);
				return NULL;
			}
			d[o++] = (char)v;
			i += 2;
		} else
			d[o++] = s[i];
	}
	d[o] = '\0';
	return d;
}

/* ----------------------------------------------------- subschema walking */

typedef int (*sub_fn)(void *arg, const char *kw, const char *key,
    size_t idx, const json_t *sub);

/* Calls fn for every direct subschema of s with where it sits: keyword,
 * then a property name (key) or an array index (idx), or neither (key NULL,
 * idx SIZE_MAX). Stops at the first non-zero return and returns it. */
static int
each_subschema(const json_t *s, sub_fn fn, void *arg)
{
	const char *k, *pk;
	json_t *v, *pv;
	size_t i;
	int rc;

	json_object_foreach((json_t *)s, k, v) {
		switch (kw_lookup(k)) {
		case KW_ADDITIONALITEMS: case KW_ADDITIONALPROPERTIES:
		case KW_CONTAINS: case KW_PROPERTYNAMES: case KW_NOT:
		case KW_IF: case KW_THEN: case KW_ELSE:
			if ((rc = fn(arg, k, NULL, SIZE_MAX, v)) != 0)
				return rc;
			break;
		case KW_ITEMS:
			if (!json_is_array(v)) {
				if ((rc = fn(arg, k, NULL, SIZE_MAX, v)) != 0)
					return rc;
				break;
			}
			/* FALLTHROUGH */
		case KW_ALLOF: case KW_ANYOF: case KW_ONEOF:
			if (!json_is_array(v))
				break;
			for (i = 0; i < json_array_size(v); i++)
				if ((rc = fn(arg, k, NULL, i,
				    json_array_get(v, i))) != 0)
					return rc;
			break;
		case KW_PROPERTIES: case KW_PATTERNPROPERTIES:
		case KW_DEFINITIONS: case KW_DEPENDENCIES:
			if (!json_is_object(v))
				break;
			json_object_foreach(v, pk, pv) {
				if (json_is_array(pv))	/* dependencies list */
					continue;
				if ((rc = fn(arg, k, pk, SIZE_MAX, pv)) != 0)
					return rc;
			}
			break;
		default:
			break;
		}
	}
	return 0;
}

/* --------------------------------------------------- documents and $ids */

struct ident {
	char		*uri;	/* absolute $id (empty fragment removed) */
	char		*pbase;	/* base in effect at the node's parent */
	const json_t	*node;
};

struct doc {
	const json_t	*root;
	char		*uri;	/* retrieval URI, no fragment; "" if unknown */
	struct ident	 rootid;	/* the root under uri (not indexed) */
	struct ident	*ids;
	size_t		 nids, capids;
	int		 indexed;
};

struct vctx {
	json_t			*errors;	/* NULL: record nothing */
	int			 quiet;
	size_t			 nerr;
	int			 depth;
	struct pbuf		 path;
	struct doc		*docs;
	size_t			 ndocs, capdocs;
	jsonschema_resolver	 resolve;
	void			*arg;
	pcre2_match_data	*md;
	pcre2_match_context	*mctx;
	/* the first abort or internal error, reported at the top */
	const char		*stop_kw;
	char			 stop_msg[160];
	char			*stop_path;
	size_t			 stop_member;
	/*
	 * Where the path first enters a member whose name the schema does
	 * not declare (additionalProperties, patternProperties,
	 * propertyNames): the length of the path up to the object holding
	 * it, SIZE_MAX when the whole path is declared names and indexes;
	 * and that member's position in its object (from 1). Such a name is
	 * the caller's text, perhaps a person's name, so an error reports
	 * the object's path and the position instead, unless names is set
	 * (JSONSCHEMA_NAME_MEMBERS: the caller owns the instance).
	 */
	size_t			 hide;
	size_t			 member;
	int			 names;
};

static int
doc_add_ident(struct doc *d, char *uri, const char *pbase, const json_t *node)
{
	struct ident *n;
	size_t len = strlen(uri);

	if (len > 0 && uri[len - 1] == '#')
		uri[len - 1] = '\0';
	if (d->nids == d->capids) {
		size_t cap = d->capids ? d->capids * 2 : 8;

		if ((n = realloc(d->ids, cap * sizeof(*n))) == NULL)
			return -1;
		d->ids = n;
		d->capids = cap;
	}
	if ((d->ids[d->nids].pbase = strdup(pbase)) == NULL)
		return -1;
	d->ids[d->nids].uri = uri;
	d->ids[d->nids].node = node;
	d->nids++;
	return 0;
}

struct iwalk {
	struct doc	*d;
	const char	*base;
	int		 depth;
};

static int index_node(struct doc *, const json_t *, const char *, int);

static int
index_sub(void *arg, const char *kw, const char *key, size_t idx,
    const json_t *sub)
{
	struct iwalk *w = arg;

	(void)kw;
	(void)key;
	(void)idx;
	return index_node(w->d, sub, w->base, w->depth + 1);
}

/* Records every "$id" below node (base: the base in effect at its parent). */
static int
index_node(struct doc *d, const json_t *node, const char *pbase, int depth)
{
	const json_t *id;
	struct iwalk w;
	char *own = NULL, *copy;
	int rc;

	if (!json_is_object(node) || depth > CHECK_MAX_DEPTH)
		return 0;
	w.d = d;
	w.base = pbase;
	w.depth = depth;
	id = json_object_get(node, "$id");
	if (json_is_string(id) && json_object_get(node, "$ref") == NULL) {
		if ((own = uri_resolve(pbase, json_string_value(id))) == NULL)
			return -1;
		if ((copy = strdup(own)) == NULL ||
		    doc_add_ident(d, copy, pbase, node) == -1) {
			free(copy);
			free(own);
			return -1;
		}
		w.base = own;
	}
	rc = each_subschema(node, index_sub, &w);
	free(own);
	return rc;
}

static int
doc_index(struct doc *d)
{
	char *u;

	if (d->indexed)
		return 0;
	d->indexed = 1;
	if ((u = strdup(d->uri)) == NULL ||
	    doc_add_ident(d, u, d->uri, d->root) == -1) {
		free(u);
		return -1;
	}
	return index_node(d, d->root, d->uri, 0);
}

static size_t
ctx_add_doc(struct vctx *c, const json_t *root, const char *uri)
{
	struct doc *n;

	if (c->ndocs == c->capdocs) {
		size_t cap = c->capdocs ? c->capdocs * 2 : 4;

		if ((n = realloc(c->docs, cap * sizeof(*n))) == NULL)
			return SIZE_MAX;
		c->docs = n;
		c->capdocs = cap;
	}
	memset(&c->docs[c->ndocs], 0, sizeof(c->docs[0]));
	c->docs[c->ndocs].root = root;
	if ((c->docs[c->ndocs].uri = strdup(uri != NULL ? uri : "")) == NULL)
		return SIZE_MAX;
	c->docs[c->ndocs].rootid.uri = c->docs[c->ndocs].uri;
	c->docs[c->ndocs].rootid.pbase = c->docs[c->ndocs].uri;
	c->docs[c->ndocs].rootid.node = root;
	return c->ndocs++;
}

static void
ctx_free(struct vctx *c)
{
	size_t i, j;

	for (i = 0; i < c->ndocs; i++) {
		for (j = 0; j < c->docs[i].nids; j++) {
			free(c->docs[i].ids[j].uri);
			free(c->docs[i].ids[j].pbase);
		}
		free(c->docs[i].ids);
		free(c->docs[i].uri);
	}
	free(c->docs);
	free(c->path.s);
	free(c->stop_path);
	if (c->md != NULL)
		pcre2_match_data_free(c->md);
	if (c->mctx != NULL)
		pcre2_match_context_free(c->mctx);
}

/* The root of a known document retrieved as uri, or NULL. */
static const struct ident *
find_root(const struct vctx *c, const char *uri)
{
	size_t i;

	for (i = 0; i < c->ndocs; i++)
		if (strcmp(c->docs[i].uri, uri) == 0)
			return &c->docs[i].rootid;
	return NULL;
}

/* Finds the ident whose URI is uri in any known document, indexing lazily
 * (a walk of the whole document: only done when a reference names neither
 * a known document nor one the resolver supplies). */
static const struct ident *
find_ident(struct vctx *c, const char *uri, int *oom)
{
	size_t i, j;

	*oom = 0;
	for (i = 0; i < c->ndocs; i++) {
		if (doc_index(&c->docs[i]) == -1) {
			*oom = 1;
			return NULL;
		}
		for (j = 0; j < c->docs[i].nids; j++)
			if (strcmp(c->docs[i].ids[j].uri, uri) == 0)
				return &c->docs[i].ids[j];
	}
	return NULL;
}

/*
 * Resolves reference ref written where base is in effect. On success stores
 * the target, the base to evaluate it with (malloc'd, caller frees) and
 * returns 0; -1 when there is no target, -2 when memory ran out (so that no
 * caller takes a lack of memory for a lack of target).
 */
static int
resolve_ref(struct vctx *c, const char *base, const char *ref,
    const json_t **target, char **tbase)
{
	const struct ident *id;
	const json_t *node, *root, *idv;
	char *abs, *docuri = NULL, *frag = NULL, *b = NULL, *tok, *next, *nb;
	const char *hash;
	int oom = 0, nomem = 0, rc = -1;

	*target = NULL;
	*tbase = NULL;
	if ((abs = uri_resolve(base, ref)) == NULL)
		return -2;
	hash = strchr(abs, '#');
	if ((docuri = xstrndup(abs, hash ? (size_t)(hash - abs) :
	    strlen(abs))) == NULL) {
		nomem = 1;
		goto out;
	}
	if (hash != NULL && hash[1] != '\0' && hash[1] != '/') {
		/* plain-name fragment: an "$id": "#name" somewhere */
		if ((id = find_ident(c, abs, &oom)) == NULL) {
			nomem = oom;
			goto out;
		}
		*target = id->node;
		if ((*tbase = strdup(id->pbase)) == NULL)
			nomem = 1;
		else
			rc = 0;
		goto out;
	}
	/* a known document, else one the resolver supplies, else an "$id"
	 * embedded somewhere (the cheap lookups first: indexing walks the
	 * whole document) */
	if ((id = find_root(c, docuri)) == NULL &&
	    (c->resolve == NULL ||
	    (root = c->resolve(c->arg, docuri)) == NULL ||
	    (ctx_add_doc(c, root, docuri) == SIZE_MAX && (nomem = 1)) ||
	    (id = find_root(c, docuri)) == NULL) &&
	    (id = find_ident(c, docuri, &oom)) == NULL) {
		nomem |= oom;
		goto out;
	}
	nomem = 0;	/* found all the same */
	node = id->node;
	if ((b = strdup(id->pbase)) == NULL) {
		nomem = 1;
		goto out;
	}
	if (hash == NULL || hash[1] == '\0') {
		*target = node;
		*tbase = b;
		b = NULL;
		rc = 0;
		goto out;
	}
	if ((frag = pct_decode(hash + 1, &nomem)) == NULL)
		goto out;
	/* walk the JSON Pointer; each object passed through may move the base */
	for (tok = frag + 1; tok != NULL; tok = next) {
		char *r, *w;

		if ((next = strchr(tok, '/')) != NULL)
			*next++ = '\0';
		for (r = w = tok; *r != '\0'; r++) {
			if (*r == '~' && (r[1] == '0' || r[1] == '1')) {
				*w++ = r[1] == '0' ? '~' : '/';
				r++;
			} else if (*r == '~')
				goto out;
			else
				*w++ = *r;
		}
		*w = '\0';
		if (json_is_object(node)) {
			idv = json_object_get(node, "$id");
			if (json_is_string(idv) &&
			    json_object_get(node, "$ref") == NULL) {
				if ((nb = uri_resolve(b, json_string_value(idv)))
				    == NULL) {
					nomem = 1;
					goto out;
				}
				free(b);
				b = nb;
			}
			node = json_object_get(node, tok);
		} else if (json_is_array(node)) {
			char *end;
			unsigned long long i;

			if (tok[0] == '\0' || (tok[0] == '0' && tok[1] != '\0') ||
			    !isdigit((unsigned char)tok[0]))
				goto out;
			i = strtoull(tok, &end, 10);
			if (*end != '\0')
				goto out;
			node = json_array_get(node, (size_t)i);
		} else
			node = NULL;
		if (node == NULL)
			goto out;
	}
	*target = node;
	*tbase = b;
	b = NULL;
	rc = 0;
out:
	free(abs);
	free(docuri);
	free(frag);
	free(b);
	return rc == -1 && nomem ? -2 : rc;
}

/* ------------------------------------------------------------ validation */

/* Where the path was before a member was entered. */
struct mark {
	size_t	saved, hide, member;
};

/*
 * Appends one error object for keyword kw. Inside an undeclared member the
 * path stops at the object holding it and "member" gives its position; the
 * message msg then says so unless own (msg already speaks of the member).
 */
static int
record(struct vctx *c, const char *kw, const char *msg, int own)
{
	char wrapped[768];
	json_t *e;

	if (c->hide == SIZE_MAX) {
		e = json_pack("{s:s, s:s, s:s}", "path", pb_str(&c->path),
		    "keyword", kw, "message", msg);
	} else {
		if (!own) {
			(void)snprintf(wrapped, sizeof(wrapped), "%s (at member "
			    "%zu of this object or inside it; its name is not "
			    "repeated: it may be personal data)", msg, c->member);
			msg = wrapped;
		}
		e = json_pack("{s:s%, s:s, s:s, s:I}", "path", c->path.s,
		    c->hide, "keyword", kw, "message", msg, "member",
		    (json_int_t)c->member);
	}
	if (e == NULL || json_array_append_new(c->errors, e) == -1)
		return V_ERR;
	c->nerr++;
	return V_FAIL;
}

static int fail(struct vctx *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Records a failure of keyword kw at the current path; returns V_FAIL. */
static int
fail(struct vctx *c, const char *kw, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->quiet || c->errors == NULL || c->nerr >= JSONSCHEMA_MAX_ERRORS)
		return V_FAIL;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return record(c, kw, msg, 0);
}

/* fail() of the undeclared member just entered (at m), in words that name
 * it by position (pre, the position, post); in the usual words (plain)
 * when names are shown, or when it lies inside another undeclared member,
 * whose position is the one reported. */
static int
fail_member(struct vctx *c, const struct mark *m, const char *kw,
    const char *pre, const char *post, const char *plain)
{
	char msg[512];

	if (c->quiet || c->errors == NULL || c->nerr >= JSONSCHEMA_MAX_ERRORS)
		return V_FAIL;
	if (c->hide != m->saved)
		return record(c, kw, plain, 0);
	(void)snprintf(msg, sizeof(msg), "%s%zu%s", pre, c->member, post);
	return record(c, kw, msg, 1);
}

static int stop(struct vctx *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Remembers the first abort or internal error (reported at the top). */
static int
stop(struct vctx *c, int code, const char *kw, const char *fmt, ...)
{
	va_list ap;

	if (c->stop_kw == NULL) {
		c->stop_kw = kw;
		va_start(ap, fmt);
		(void)vsnprintf(c->stop_msg, sizeof(c->stop_msg), fmt, ap);
		va_end(ap);
		if (c->hide == SIZE_MAX)
			c->stop_path = strdup(pb_str(&c->path));
		else {
			c->stop_path = xstrndup(c->path.s, c->hide);
			c->stop_member = c->member;
		}
	}
	return code;
}

#define STOPPING(c)	((c)->quiet || (c)->errors == NULL || \
			    (c)->nerr >= JSONSCHEMA_MAX_ERRORS)

static int eval(struct vctx *, const json_t *, const json_t *, const char *,
    int);

/* eval with failures recorded nowhere: for the combinators. */
static int
eval_quiet(struct vctx *c, const json_t *s, const json_t *x, const char *base)
{
	int rc;

	c->quiet++;
	rc = eval(c, s, x, base, 0);
	c->quiet--;
	return rc;
}

/* eval of a child instance location (an object member or array item). */
static int
eval_at_key(struct vctx *c, const json_t *s, const json_t *x, const char *key,
    const char *base)
{
	size_t saved;
	int rc;

	if (pb_push(&c->path, key, &saved) == -1)
		return stop(c, V_ERR, "internal", "out of memory");
	rc = eval(c, s, x, base, 0);
	pb_pop(&c->path, saved);
	return rc;
}

static int
eval_at_idx(struct vctx *c, const json_t *s, const json_t *x, size_t i,
    const char *base)
{
	size_t saved;
	int rc;

	if (pb_push_idx(&c->path, i, &saved) == -1)
		return stop(c, V_ERR, "internal", "out of memory");
	rc = eval(c, s, x, base, 0);
	pb_pop(&c->path, saved);
	return rc;
}

/* fail() at the path of one member whose name the schema declares. */
static int
fail_at_key(struct vctx *c, const char *key, const char *kw, const char *msg)
{
	size_t saved;
	int rc;

	if (pb_push(&c->path, key, &saved) == -1)
		return stop(c, V_ERR, "internal", "out of memory");
	rc = fail(c, kw, "%s", msg);
	pb_pop(&c->path, saved);
	return rc;
}

/* Enters member key, at position pos (from 1) of its object, whose name
 * the schema does not declare: errors from here on name the object and the
 * position (the first such member on the path is the one that counts). */
static int
member_enter(struct vctx *c, const char *key, size_t pos, struct mark *m)
{
	m->hide = c->hide;
	m->member = c->member;
	if (pb_push(&c->path, key, &m->saved) == -1)
		return stop(c, V_ERR, "internal", "out of memory");
	if (!c->names && c->hide == SIZE_MAX) {
		c->hide = m->saved;
		c->member = pos;
	}
	return V_OK;
}

static void
member_leave(struct vctx *c, const struct mark *m)
{
	pb_pop(&c->path, m->saved);
	c->hide = m->hide;
	c->member = m->member;
}

/* eval of an undeclared member's value. */
static int
eval_at_member(struct vctx *c, const json_t *s, const json_t *x,
    const char *key, size_t pos, const char *base)
{
	struct mark m;
	int rc;

	if ((rc = member_enter(c, key, pos, &m)) < 0)
		return rc;
	rc = eval(c, s, x, base, 0);
	member_leave(c, &m);
	return rc;
}

/* Pattern search as ECMA-262 RegExp.test(): 1 match, 0 none, or <0. */
static int
rx_search(struct vctx *c, const char *pat, size_t plen, const char *s,
    size_t n)
{
	pcre2_code *code;
	int owned, rc;

	code = rx_get(pat, plen, &owned);
	if (code == NULL)
		return stop(c, V_ERR, "pattern", "pattern does not compile");
	if (c->mctx == NULL) {
		if ((c->mctx = pcre2_match_context_create(NULL)) == NULL ||
		    pcre2_set_match_limit(c->mctx, RX_MATCH_LIMIT) != 0 ||
		    pcre2_set_depth_limit(c->mctx, RX_DEPTH_LIMIT) != 0) {
			if (owned)
				pcre2_code_free(code);
			return stop(c, V_ERR, "internal", "out of memory");
		}
	}
	if (c->md == NULL && (c->md = pcre2_match_data_create(1, NULL)) == NULL) {
		if (owned)
			pcre2_code_free(code);
		return stop(c, V_ERR, "internal", "out of memory");
	}
	rc = pcre2_match(code, (PCRE2_SPTR)s, n, 0, 0, c->md, c->mctx);
	if (owned)
		pcre2_code_free(code);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
		return stop(c, V_ABORT, "pattern",
		    "pattern matching exceeded its effort limit");
	return stop(c, V_ERR, "pattern", "pattern matching failed");
}

static int
type_is(const char *t, const json_t *x)
{
	/* Not draft-07's reading (see the header comment): 1.0 is refused. */
	if (strcmp(t, "integer") == 0)
		return json_is_integer(x);
	if (strcmp(t, "number") == 0)
		return json_is_number(x);
	if (strcmp(t, "string") == 0)
		return json_is_string(x);
	if (strcmp(t, "object") == 0)
		return json_is_object(x);
	if (strcmp(t, "array") == 0)
		return json_is_array(x);
	if (strcmp(t, "boolean") == 0)
		return json_is_boolean(x);
	if (strcmp(t, "null") == 0)
		return json_is_null(x);
	return 0;
}

static int
v_type(struct vctx *c, const json_t *v, const json_t *x)
{
	char names[256] = "";
	size_t i;

	if (json_is_string(v)) {
		if (type_is(json_string_value(v), x))
			return V_OK;
		if (strcmp(json_string_value(v), "integer") == 0 &&
		    json_is_real(x))
			return fail(c, "type", "must be an integer (written "
			    "without a decimal point or exponent)");
		return fail(c, "type", "must be of type %s",
		    json_string_value(v));
	}
	for (i = 0; i < json_array_size(v); i++) {
		const char *t = json_string_value(json_array_get(v, i));

		if (t == NULL)
			continue;
		if (type_is(t, x))
			return V_OK;
		if (i > 0)
			(void)strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		(void)strncat(names, t, sizeof(names) - strlen(names) - 1);
	}
	return fail(c, "type", "must be of one of the types: %s", names);
}

/* A short rendering of a schema value for a message (never the instance). */
static void
schema_text(const json_t *v, char *buf, size_t len)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

	if (s == NULL || strlen(s) >= len)
		(void)snprintf(buf, len, "%s", "the listed values");
	else
		(void)snprintf(buf, len, "%s", s);
	free(s);
}

static int
v_enum(struct vctx *c, const json_t *v, const json_t *x)
{
	char text[200];
	size_t i;

	for (i = 0; i < json_array_size(v); i++)
		if (json_eq(json_array_get(v, i), x, 0))
			return V_OK;
	if (STOPPING(c))
		return V_FAIL;
	schema_text(v, text, sizeof(text));
	return fail(c, "enum", "must be one of %s", text);
}

static double
num(const json_t *x)
{
	return json_number_value(x);
}

/* Compares instance number x with schema number lim: <0, 0, >0. */
static int
num_cmp(const json_t *x, const json_t *lim)
{
	if (json_is_integer(x) && json_is_integer(lim)) {
		json_int_t a = json_integer_value(x), b = json_integer_value(lim);

		return a < b ? -1 : a > b;
	}
	return num(x) < num(lim) ? -1 : num(x) > num(lim);
}

static int
v_number(struct vctx *c, enum kw kw, const char *name, const json_t *v,
    const json_t *x)
{
	char lim[64];
	int cmp;

	if (!json_is_number(x))
		return V_OK;
	schema_text(v, lim, sizeof(lim));
	cmp = num_cmp(x, v);
	switch (kw) {
	case KW_MINIMUM:
		return cmp >= 0 ? V_OK : fail(c, name, "must be >= %s", lim);
	case KW_MAXIMUM:
		return cmp <= 0 ? V_OK : fail(c, name, "must be <= %s", lim);
	case KW_EXCLUSIVEMINIMUM:
		return cmp > 0 ? V_OK : fail(c, name, "must be > %s", lim);
	case KW_EXCLUSIVEMAXIMUM:
		return cmp < 0 ? V_OK : fail(c, name, "must be < %s", lim);
	case KW_MULTIPLEOF:
		if (json_is_integer(x) && json_is_integer(v)) {
			if (json_integer_value(v) > 0 &&
			    json_integer_value(x) % json_integer_value(v) == 0)
				return V_OK;
		} else {
			double q = num(x) / num(v);

			if (isfinite(q) &&
			    fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q)))
				return V_OK;
		}
		return fail(c, name, "must be a multiple of %s", lim);
	default:
		return V_OK;
	}
}

static int
v_object(struct vctx *c, enum kw kw, const char *name, const json_t *s,
    const json_t *v, const json_t *x, const char *base)
{
	const char *k;
	json_t *xv, *pv;
	size_t i, n, pos;
	int rc, res = V_OK, matched;

	if (!json_is_object(x))
		return V_OK;
	switch (kw) {
	case KW_PROPERTIES:
		json_object_foreach((json_t *)v, k, pv) {
			if ((xv = json_object_get(x, k)) == NULL)
				continue;
			if ((rc = eval_at_key(c, pv, xv, k, base)) < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	case KW_ADDITIONALPROPERTIES: {
		const json_t *props = json_object_get(s, "properties");
		const json_t *pats = json_object_get(s, "patternProperties");

		/* jansson keeps members in the order they were parsed (and the
		 * gateway refuses duplicates), so pos is the position as sent */
		pos = 0;
		json_object_foreach((json_t *)x, k, xv) {
			pos++;
			if (json_object_get(props, k) != NULL)
				continue;
			matched = 0;
			if (json_is_object(pats)) {
				void *it;

				for (it = json_object_iter((json_t *)pats);
				    it != NULL && !matched;
				    it = json_object_iter_next((json_t *)pats, it)) {
					const char *pat = json_object_iter_key(it);

					rc = rx_search(c, pat, strlen(pat), k,
					    strlen(k));
					if (rc < 0)
						return rc;
					matched = rc;
				}
			}
			if (matched)
				continue;
			if (json_is_false(v)) {
				struct mark m;

				if ((rc = member_enter(c, k, pos, &m)) < 0)
					return rc;
				rc = fail_member(c, &m, name, "member ", " of this "
				    "object is not a field the schema allows (its "
				    "name is not repeated: it may be personal data)",
				    "is not an allowed property");
				member_leave(c, &m);
			} else
				rc = eval_at_member(c, v, xv, k, pos, base);
			if (rc < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	}
	case KW_PROPERTYNAMES:
		pos = 0;
		json_object_foreach((json_t *)x, k, xv) {
			json_t *ks;
			struct mark m;

			pos++;
			if ((ks = json_string(k)) == NULL)
				return stop(c, V_ERR, "internal", "out of memory");
			if ((rc = member_enter(c, k, pos, &m)) < 0) {
				json_decref(ks);
				return rc;
			}
			c->quiet++;
			rc = eval(c, v, ks, base, 0);
			c->quiet--;
			json_decref(ks);
			if (rc == V_FAIL)
				rc = fail_member(c, &m, name,
				    "the name of member ",
				    " of this object does not match the schema (it "
				    "is not repeated: it may be personal data)",
				    "property name does not match the schema");
			member_leave(c, &m);
			if (rc < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	case KW_REQUIRED:
		for (i = 0; i < json_array_size(v); i++) {
			const char *r = json_string_value(json_array_get(v, i));

			if (r == NULL || json_object_get(x, r) != NULL)
				continue;
			if ((rc = fail_at_key(c, r, name, "is required")) < 0)
				return rc;
			res = V_FAIL;
			if (STOPPING(c))
				return V_FAIL;
		}
		return res;
	case KW_MINPROPERTIES:
		n = json_object_size(x);
		if ((json_int_t)n >= (json_int_t)num(v))
			return V_OK;
		return fail(c, name, "must have at least %.0f properties", num(v));
	case KW_MAXPROPERTIES:
		n = json_object_size(x);
		if ((double)n <= num(v))
			return V_OK;
		return fail(c, name, "must have at most %.0f properties", num(v));
	case KW_DEPENDENCIES:
		json_object_foreach((json_t *)v, k, pv) {
			if (json_object_get(x, k) == NULL)
				continue;
			if (json_is_array(pv)) {
				for (i = 0; i < json_array_size(pv); i++) {
					const char *d = json_string_value(
					    json_array_get(pv, i));

					if (d == NULL || json_object_get(x, d))
						continue;
					rc = fail(c, name,
					    "property \"%s\" is required when \"%s\" is present",
					    d, k);
					if (rc < 0)
						return rc;
					res = V_FAIL;
					if (STOPPING(c))
						return V_FAIL;
				}
				continue;
			}
			if ((rc = eval(c, pv, x, base, 0)) < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	default:
		return V_OK;
	}
}

static int
v_patternprops(struct vctx *c, const json_t *v, const json_t *x,
    const char *base)
{
	const char *k;
	json_t *xv;
	void *it;
	size_t pos = 0;
	int rc, res = V_OK;

	if (!json_is_object(x))
		return V_OK;
	json_object_foreach((json_t *)x, k, xv) {
		pos++;
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			const char *pat = json_object_iter_key(it);

			rc = rx_search(c, pat, strlen(pat), k, strlen(k));
			if (rc < 0)
				return rc;
			if (rc == 0)
				continue;
			/* matching a pattern does not make the name the
			 * schema's: it is still the caller's text */
			rc = eval_at_member(c, json_object_iter_value(it), xv,
			    k, pos, base);
			if (rc < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
	}
	return res;
}

static int
v_array(struct vctx *c, enum kw kw, const char *name, const json_t *s,
    const json_t *v, const json_t *x, const char *base)
{
	size_t i, n;
	int rc, res = V_OK;

	if (!json_is_array(x))
		return V_OK;
	n = json_array_size(x);
	switch (kw) {
	case KW_ITEMS:
		for (i = 0; i < n; i++) {
			const json_t *sub;

			if (!json_is_array(v))
				sub = v;
			else if (i < json_array_size(v))
				sub = json_array_get(v, i);
			else if ((sub = json_object_get(s, "additionalItems"))
			    == NULL)
				break;
			if (json_is_false(sub) && json_is_array(v) &&
			    i >= json_array_size(v)) {
				size_t saved;

				if (pb_push_idx(&c->path, i, &saved) == -1)
					return stop(c, V_ERR, "internal",
					    "out of memory");
				rc = fail(c, "additionalItems",
				    "no items are allowed beyond the %zu listed",
				    json_array_size(v));
				pb_pop(&c->path, saved);
			} else
				rc = eval_at_idx(c, sub, json_array_get(x, i),
				    i, base);
			if (rc < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	case KW_CONTAINS:
		for (i = 0; i < n; i++) {
			if ((rc = eval_quiet(c, v, json_array_get(x, i), base)) < 0)
				return rc;
			if (rc == V_OK)
				return V_OK;
		}
		return fail(c, name, "must contain at least one matching item");
	case KW_MINITEMS:
		if ((double)n >= num(v))
			return V_OK;
		return fail(c, name, "must have at least %.0f items", num(v));
	case KW_MAXITEMS:
		if ((double)n <= num(v))
			return V_OK;
		return fail(c, name, "must have at most %.0f items", num(v));
	case KW_UNIQUEITEMS:
		if (!json_is_true(v))
			return V_OK;
		if ((rc = items_unique(x)) == -1)
			return stop(c, V_ERR, "internal", "out of memory");
		return rc ? V_OK : fail(c, name, "items must be unique");
	default:
		return V_OK;
	}
}

static int
v_string(struct vctx *c, enum kw kw, const char *name, const json_t *v,
    const json_t *x)
{
	const char *s;
	size_t n;
	int rc;

	if (!json_is_string(x))
		return V_OK;
	s = json_string_value(x);
	n = json_string_length(x);
	switch (kw) {
	case KW_MINLENGTH:
		if ((double)utf8_len(s, n) >= num(v))
			return V_OK;
		return fail(c, name, "must be at least %.0f characters long",
		    num(v));
	case KW_MAXLENGTH:
		if ((double)utf8_len(s, n) <= num(v))
			return V_OK;
		return fail(c, name, "must be at most %.0f characters long",
		    num(v));
	case KW_PATTERN:
		if ((rc = rx_search(c, json_string_value(v),
		    json_string_length(v), s, n)) < 0)
			return rc;
		if (rc == 1)
			return V_OK;
		return fail(c, name, "must match the pattern %s",
		    json_string_value(v));
	case KW_FORMAT:
		if (format_valid(json_string_value(v), s, n))
			return V_OK;
		return fail(c, name, "must be a valid %s", json_string_value(v));
	default:
		return V_OK;
	}
}

static int
v_combinator(struct vctx *c, enum kw kw, const char *name, const json_t *s,
    const json_t *v, const json_t *x, const char *base)
{
	size_t i, matches = 0;
	int rc, res = V_OK;
	const json_t *branch;

	switch (kw) {
	case KW_ALLOF:
		for (i = 0; i < json_array_size(v); i++) {
			if ((rc = eval(c, json_array_get(v, i), x, base, 0)) < 0)
				return rc;
			if (rc == V_FAIL && (res = V_FAIL) && STOPPING(c))
				return V_FAIL;
		}
		return res;
	case KW_ANYOF:
		for (i = 0; i < json_array_size(v); i++) {
			if ((rc = eval_quiet(c, json_array_get(v, i), x, base)) < 0)
				return rc;
			if (rc == V_OK)
				return V_OK;
		}
		return fail(c, name, "must match at least one of the alternatives");
	case KW_ONEOF:
		for (i = 0; i < json_array_size(v); i++) {
			if ((rc = eval_quiet(c, json_array_get(v, i), x, base)) < 0)
				return rc;
			if (rc == V_OK)
				matches++;
		}
		if (matches == 1)
			return V_OK;
		return fail(c, name, "must match exactly one of the alternatives (matches %zu)",
		    matches);
	case KW_NOT:
		if ((rc = eval_quiet(c, v, x, base)) < 0)
			return rc;
		return rc == V_FAIL ? V_OK :
		    fail(c, name, "must not match the schema");
	case KW_IF:
		if ((rc = eval_quiet(c, v, x, base)) < 0)
			return rc;
		branch = json_object_get(s, rc == V_OK ? "then" : "else");
		if (branch == NULL)
			return V_OK;
		return eval(c, branch, x, base, 0);
	default:
		return V_OK;
	}
}

static int
eval_ref(struct vctx *c, const json_t *ref, const json_t *x, const char *base)
{
	const json_t *target;
	char *tbase;
	int rc;

	if (!json_is_string(ref))
		return stop(c, V_ERR, "$ref", "reference is not a string");
	if ((rc = resolve_ref(c, base, json_string_value(ref), &target, &tbase)) == -2)
		return stop(c, V_ERR, "$ref", "out of memory");
	if (rc != 0)
		return stop(c, V_ERR, "$ref", "unresolvable reference %.100s",
		    json_string_value(ref));
	rc = eval(c, target, x, tbase, 0);
	free(tbase);
	return rc;
}

/*
 * Evaluates schema s against instance x. base is the base URI in effect at
 * s's parent (s's own "$id" is applied here unless base_final).
 */
static int
eval(struct vctx *c, const json_t *s, const json_t *x, const char *base,
    int base_final)
{
	const json_t *ref, *id;
	const char *k;
	json_t *v;
	char *own = NULL;
	int rc = V_OK, res = V_OK;
	enum kw kw;

	if (json_is_true(s))
		return V_OK;
	if (json_is_false(s))
		return fail(c, "false", "no value is allowed here");
	if (!json_is_object(s))
		return stop(c, V_ERR, "internal", "schema is not an object");
	if (c->depth >= JSONSCHEMA_MAX_DEPTH)
		return stop(c, V_ABORT, "depth",
		    "nesting exceeds the validation depth limit of %d",
		    JSONSCHEMA_MAX_DEPTH);
	c->depth++;
	if ((ref = json_object_get(s, "$ref")) != NULL) {
		rc = eval_ref(c, ref, x, base);
		c->depth--;
		return rc;
	}
	if (!base_final && json_is_string(id = json_object_get(s, "$id"))) {
		if ((own = uri_resolve(base, json_string_value(id))) == NULL) {
			c->depth--;
			return stop(c, V_ERR, "internal", "out of memory");
		}
		base = own;
	}
	json_object_foreach((json_t *)s, k, v) {
		switch ((kw = kw_lookup(k))) {
		case KW_TYPE:
			rc = v_type(c, v, x);
			break;
		case KW_ENUM:
			rc = v_enum(c, v, x);
			break;
		case KW_CONST:
			rc = json_eq(v, x, 0) ? V_OK :
			    fail(c, k, "must be equal to the constant");
			break;
		case KW_PROPERTIES: case KW_ADDITIONALPROPERTIES:
		case KW_PROPERTYNAMES: case KW_REQUIRED:
		case KW_MINPROPERTIES: case KW_MAXPROPERTIES:
		case KW_DEPENDENCIES:
			rc = v_object(c, kw, k, s, v, x, base);
			break;
		case KW_PATTERNPROPERTIES:
			rc = v_patternprops(c, v, x, base);
			break;
		case KW_ITEMS: case KW_CONTAINS: case KW_MINITEMS:
		case KW_MAXITEMS: case KW_UNIQUEITEMS:
			rc = v_array(c, kw, k, s, v, x, base);
			break;
		case KW_MINLENGTH: case KW_MAXLENGTH: case KW_PATTERN:
		case KW_FORMAT:
			rc = v_string(c, kw, k, v, x);
			break;
		case KW_MINIMUM: case KW_MAXIMUM: case KW_EXCLUSIVEMINIMUM:
		case KW_EXCLUSIVEMAXIMUM: case KW_MULTIPLEOF:
			rc = v_number(c, kw, k, v, x);
			break;
		case KW_ALLOF: case KW_ANYOF: case KW_ONEOF: case KW_NOT:
		case KW_IF:
			rc = v_combinator(c, kw, k, s, v, x, base);
			break;
		default:	/* annotations, then/else/additionalItems (by
				 * their partners), definitions, $id, $schema */
			rc = V_OK;
			break;
		}
		if (rc < 0) {
			res = rc;
			break;
		}
		if (rc == V_FAIL) {
			res = V_FAIL;
			if (STOPPING(c))
				break;
		}
	}
	free(own);
	c->depth--;
	return res;
}

int
jsonschema_validate_ex(const json_t *root, const char *root_uri,
    const json_t *schema, const json_t *instance, json_t *errors,
    jsonschema_resolver resolve, void *arg)
{
	return jsonschema_validate_flags(root, root_uri, schema, instance,
	    errors, resolve, arg, 0);
}

int
jsonschema_validate_flags(const json_t *root, const char *root_uri,
    const json_t *schema, const json_t *instance, json_t *errors,
    jsonschema_resolver resolve, void *arg, int flags)
{
	struct vctx c;
	const json_t *id;
	char *base = NULL;
	int rc;

	if (root == NULL || schema == NULL || instance == NULL)
		return -1;
	memset(&c, 0, sizeof(c));
	c.errors = json_is_array(errors) ? errors : NULL;
	c.hide = SIZE_MAX;
	c.names = (flags & JSONSCHEMA_NAME_MEMBERS) != 0;
	c.resolve = resolve;
	c.arg = arg;
	if (root_uri == NULL)
		root_uri = "";
	if (ctx_add_doc(&c, root, root_uri) == SIZE_MAX) {
		ctx_free(&c);
		return -1;
	}
	/* the base in effect at schema: the root's own $id when it is the
	 * root, else (a subschema handed directly) the root's base */
	if (schema != root && json_is_string(id = json_object_get(root, "$id")) &&
	    json_object_get(root, "$ref") == NULL) {
		if ((base = uri_resolve(root_uri, json_string_value(id))) == NULL) {
			ctx_free(&c);
			return -1;
		}
	}
	rc = eval(&c, schema, instance, base != NULL ? base : root_uri, 0);
	free(base);
	if (rc < 0 && c.errors != NULL && c.stop_kw != NULL) {
		json_t *e = json_pack("{s:s, s:s, s:s}", "path",
		    c.stop_path != NULL ? c.stop_path : "", "keyword", c.stop_kw,
		    "message", c.stop_msg);

		if (e != NULL && c.stop_member > 0 && json_object_set_new(e,
		    "member", json_integer((json_int_t)c.stop_member)) == -1) {
			json_decref(e);
			e = NULL;
		}
		if (e == NULL || json_array_append_new(c.errors, e) == -1)
			rc = V_ERR;
	}
	ctx_free(&c);
	if (rc == V_ABORT)
		return 1;
	return rc;
}

int
jsonschema_validate(const json_t *root, const json_t *schema,
    const json_t *instance, json_t *errors)
{
	return jsonschema_validate_ex(root, "", schema, instance, errors, NULL,
	    NULL);
}

/* ---------------------------------------------------------------- checking */

struct cctx {
	const json_t	*root;
	int		 flags;
	char		*err;
	size_t		 errlen;
	struct pbuf	 ptr;	/* JSON Pointer of the current schema */
	int		 idseen;
	int		 depth;
	const json_t	**targets;	/* nodes some local "$ref" points at */
	size_t		 ntargets, captargets;
};

static int cfail(struct cctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
cfail(struct cctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err != NULL && c->errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
nonneg_int(const json_t *v)
{
	json_int_t i;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0;
	return json_is_real(v) && real_as_int(json_real_value(v), &i) && i >= 0;
}

static int
type_name_ok(const json_t *v)
{
	static const char *const names[] = { "null", "boolean", "object",
	    "array", "number", "string", "integer" };
	size_t i;

	if (!json_is_string(v))
		return 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(json_string_value(v), names[i]) == 0)
			return 1;
	return 0;
}

static int
unique_strings(const json_t *v, int nonempty)
{
	size_t i;

	if (!json_is_array(v) || (nonempty && json_array_size(v) == 0))
		return 0;
	for (i = 0; i < json_array_size(v); i++)
		if (!json_is_string(json_array_get(v, i)))
			return 0;
	return items_unique(v) == 1;
}

/* Resolves a local "#/..." pointer against the root (no $id involved):
 * the target, or NULL (*oom set if memory ran out rather than the target). */
static const json_t *
local_pointer(const json_t *root, const char *ref, int *oom)
{
	struct vctx c;
	const json_t *t = NULL;
	char *tbase = NULL;
	int rc = -2;

	memset(&c, 0, sizeof(c));
	if (ctx_add_doc(&c, root, "") != SIZE_MAX &&
	    (rc = resolve_ref(&c, "", ref, &t, &tbase)) == 0)
		free(tbase);
	ctx_free(&c);
	*oom = rc == -2;
	return t;
}

static int check_schema(struct cctx *, const json_t *);

/* Collects the targets of every local "#/..." reference anywhere in the
 * document, so that a schema kept under a key that is no keyword (as the
 * test suite does) is checked as a schema when, and only when, something
 * refers to it. */
static int
collect_targets(struct cctx *c, const json_t *node, int depth)
{
	const json_t *ref, *t = NULL, **n;
	const char *k;
	json_t *v;
	size_t i;
	int oom = 0;

	if (depth > CHECK_MAX_DEPTH)
		return 0;
	if (json_is_array(node)) {
		for (i = 0; i < json_array_size(node); i++)
			if (collect_targets(c, json_array_get(node, i), depth + 1))
				return -1;
		return 0;
	}
	if (!json_is_object(node))
		return 0;
	ref = json_object_get(node, "$ref");
	if (json_is_string(ref) && strncmp(json_string_value(ref), "#/", 2) == 0 &&
	    (t = local_pointer(c->root, json_string_value(ref), &oom)) == NULL && oom)
		return -1;	/* not "no target": the target would go unchecked */
	if (t != NULL) {
		if (c->ntargets == c->captargets) {
			size_t cap = c->captargets ? c->captargets * 2 : 8;

			if ((n = realloc(c->targets, cap * sizeof(*n))) == NULL)
				return -1;
			c->targets = n;
			c->captargets = cap;
		}
		c->targets[c->ntargets++] = t;
	}
	json_object_foreach((json_t *)node, k, v)
		if (collect_targets(c, v, depth + 1))
			return -1;
	return 0;
}

static int
is_target(const struct cctx *c, const json_t *v)
{
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		if (c->targets[i] == v)
			return 1;
	return 0;
}

static int
check_sub(void *arg, const char *kw, const char *key, size_t idx,
    const json_t *sub)
{
	struct cctx *c = arg;
	size_t s1, s2;
	int rc;

	if (pb_push(&c->ptr, kw, &s1) == -1)
		return cfail(c, "out of memory");
	if (key != NULL)
		rc = pb_push(&c->ptr, key, &s2);
	else if (idx != SIZE_MAX)
		rc = pb_push_idx(&c->ptr, idx, &s2);
	else
		rc = 0;
	if (rc == -1)
		return cfail(c, "out of memory");
	rc = check_schema(c, sub);
	pb_pop(&c->ptr, s1);
	return rc;
}

/* Checks the value of keyword k of schema s (not its subschemas); at is
 * the keyword's JSON Pointer. */
static int
check_keyword_at(struct cctx *c, const json_t *s, const char *k,
    const json_t *v, const char *at)
{
	const char *pk, *why = "";
	json_t *pv;
	size_t i;
	int oom;

#define BAD(what) cfail(c, "keyword \"%s\" at %s: %s", k, at, what)
	switch (kw_lookup(k)) {
	case KW_UNKNOWN:
		if (is_target(c, v))
			return check_schema(c, v);
		return cfail(c, "unsupported keyword \"%s\" at %s", k, at);
	case KW_ANNOTATION:
		if ((strcmp(k, "title") == 0 || strcmp(k, "description") == 0 ||
		    strcmp(k, "$comment") == 0) && !json_is_string(v))
			return BAD("must be a string");
		if ((strcmp(k, "readOnly") == 0 || strcmp(k, "writeOnly") == 0) &&
		    !json_is_boolean(v))
			return BAD("must be a boolean");
		if (strcmp(k, "examples") == 0 && !json_is_array(v))
			return BAD("must be an array");
		return 0;
	case KW_ID:
		if (!json_is_string(v))
			return BAD("must be a string");
		return 0;
	case KW_SCHEMA:
		if (!json_is_string(v) ||
		    (strcmp(json_string_value(v),
		    "http://json-schema.org/draft-07/schema#") != 0 &&
		    strcmp(json_string_value(v),
		    "http://json-schema.org/draft-07/schema") != 0))
			return BAD("only draft-07 is supported");
		return 0;
	case KW_REF:
		if (!json_is_string(v))
			return BAD("must be a string");
		if (json_string_value(v)[0] == '#' && !c->idseen &&
		    (json_string_value(v)[1] == '\0' ||
		    json_string_value(v)[1] == '/') &&
		    local_pointer(c->root, json_string_value(v), &oom) == NULL)
			return oom ? cfail(c, "out of memory") : BAD("unresolvable reference");
		if (c->flags & JSONSCHEMA_STRICT_REF) {
			json_object_foreach((json_t *)s, pk, pv) {
				enum kw sk = kw_lookup(pk);

				if (sk != KW_REF && sk != KW_ANNOTATION &&
				    sk != KW_DEFINITIONS)
					return cfail(c, "keyword \"%s\" beside "
					    "\"$ref\" at %s is ignored in draft-07 "
					    "(wrap the \"$ref\" in \"allOf\")",
					    pk, at);
			}
		}
		return 0;
	case KW_TYPE:
		if (json_is_array(v)) {
			if (json_array_size(v) == 0 || items_unique(v) != 1)
				return BAD("must be a type name or a non-empty array of distinct type names");
			for (i = 0; i < json_array_size(v); i++)
				if (!type_name_ok(json_array_get(v, i)))
					return BAD("unknown type name");
			return 0;
		}
		return type_name_ok(v) ? 0 : BAD("unknown type name");
	case KW_ENUM:
		return json_is_array(v) ? 0 : BAD("must be an array");
	case KW_CONST:
		return 0;
	case KW_REQUIRED:
		return unique_strings(v, 0) ? 0 :
		    BAD("must be an array of distinct strings");
	case KW_PROPERTIES: case KW_DEFINITIONS:
		return json_is_object(v) ? 0 : BAD("must be an object");
	case KW_PATTERNPROPERTIES:
		if (!json_is_object(v))
			return BAD("must be an object");
		json_object_foreach((json_t *)v, pk, pv) {
			(void)pv;
			if (!rx_valid(pk, strlen(pk), &why))
				return cfail(c, "keyword \"%s\" at %s: "
				    "pattern \"%s\" is refused: %s", k, at, pk, why);
		}
		return 0;
	case KW_DEPENDENCIES:
		if (!json_is_object(v))
			return BAD("must be an object");
		json_object_foreach((json_t *)v, pk, pv) {
			if (json_is_array(pv) && !unique_strings(pv, 0))
				return BAD("a property list must hold distinct strings");
			if (!json_is_array(pv) && !json_is_object(pv) &&
			    !json_is_boolean(pv))
				return BAD("values must be schemas or arrays of names");
		}
		return 0;
	case KW_ITEMS:
		if (json_is_array(v) || json_is_object(v) || json_is_boolean(v))
			return 0;
		return BAD("must be a schema or an array of schemas");
	case KW_ALLOF: case KW_ANYOF: case KW_ONEOF:
		if (!json_is_array(v) || json_array_size(v) == 0)
			return BAD("must be a non-empty array of schemas");
		return 0;
	case KW_ADDITIONALITEMS: case KW_ADDITIONALPROPERTIES:
	case KW_CONTAINS: case KW_PROPERTYNAMES: case KW_NOT: case KW_IF:
	case KW_THEN: case KW_ELSE:
		return 0;	/* a schema: checked as a subschema */
	case KW_MINPROPERTIES: case KW_MAXPROPERTIES: case KW_MINITEMS:
	case KW_MAXITEMS: case KW_MINLENGTH: case KW_MAXLENGTH:
		return nonneg_int(v) ? 0 : BAD("must be a non-negative integer");
	case KW_UNIQUEITEMS:
		return json_is_boolean(v) ? 0 : BAD("must be a boolean");
	case KW_PATTERN:
		if (!json_is_string(v))
			return BAD("must be a string");
		if (rx_valid(json_string_value(v), json_string_length(v), &why))
			return 0;
		return cfail(c, "keyword \"%s\" at %s: pattern refused: %s", k,
		    at, why);
	case KW_FORMAT:
		if (!json_is_string(v))
			return BAD("must be a string");
		if (!format_known(json_string_value(v)))
			return cfail(c, "keyword \"%s\" at %s: unsupported "
			    "format \"%s\"", k, at, json_string_value(v));
		return 0;
	case KW_MINIMUM: case KW_MAXIMUM: case KW_EXCLUSIVEMINIMUM:
	case KW_EXCLUSIVEMAXIMUM:
		return json_is_number(v) ? 0 : BAD("must be a number");
	case KW_MULTIPLEOF:
		return json_is_number(v) && json_number_value(v) > 0 ? 0 :
		    BAD("must be a number greater than 0");
	}
#undef BAD
	return 0;
}

static int
check_keyword(struct cctx *c, const json_t *s, const char *k, const json_t *v)
{
	size_t saved;
	int rc;

	if (pb_push(&c->ptr, k, &saved) == -1)
		return cfail(c, "out of memory");
	rc = check_keyword_at(c, s, k, v, pb_str(&c->ptr));
	pb_pop(&c->ptr, saved);
	return rc;
}

static int
check_schema(struct cctx *c, const json_t *s)
{
	const char *k;
	json_t *v;
	int saved_idseen = c->idseen, rc;

	if (json_is_boolean(s))
		return 0;
	if (!json_is_object(s))
		return cfail(c, "schema at %s must be an object or a boolean",
		    c->ptr.len ? pb_str(&c->ptr) : "the root");
	if (c->depth >= CHECK_MAX_DEPTH)
		return cfail(c, "schema at %s is nested too deeply",
		    pb_str(&c->ptr));
	if (json_is_string(json_object_get(s, "$id")))
		c->idseen = 1;
	json_object_foreach((json_t *)s, k, v)
		if (check_keyword(c, s, k, v) == -1)
			return -1;
	c->depth++;
	rc = each_subschema(s, check_sub, c);
	c->depth--;
	c->idseen = saved_idseen;
	return rc;
}

int
jsonschema_check_flags(const json_t *schema, int flags, char *err,
    size_t errlen)
{
	struct cctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.root = schema;
	c.flags = flags;
	c.err = err;
	c.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (schema == NULL)
		return cfail(&c, "no schema");
	if (collect_targets(&c, schema, 0) == -1)
		rc = cfail(&c, "out of memory");
	else
		rc = check_schema(&c, schema);
	free(c.ptr.s);
	free(c.targets);
	return rc;
}

int
jsonschema_check(const json_t *schema, char *err, size_t errlen)
{
	return jsonschema_check_flags(schema, 0, err, errlen);
}

/* ------------------------------------------------------ reference check */

struct rwalk {
	struct vctx	*v;
	const char	*base;
	struct pbuf	*ptr;
	char		*err;
	size_t		 errlen;
	int		 depth;
};

static int refs_node(struct rwalk *, const json_t *);

static int
refs_sub(void *arg, const char *kw, const char *key, size_t idx,
    const json_t *sub)
{
	struct rwalk *w = arg;
	size_t s1, s2;
	int rc;

	if (pb_push(w->ptr, kw, &s1) == -1 ||
	    (key != NULL && pb_push(w->ptr, key, &s2) == -1) ||
	    (key == NULL && idx != SIZE_MAX && pb_push_idx(w->ptr, idx, &s2) == -1))
		return -1;
	w->depth++;
	rc = refs_node(w, sub);
	w->depth--;
	pb_pop(w->ptr, s1);
	return rc;
}

static int
refs_node(struct rwalk *w, const json_t *s)
{
	const json_t *ref, *id, *t;
	const char *saved_base = w->base;
	char *own = NULL, *tbase = NULL, *b2;
	int hops, rc;

	if (!json_is_object(s) || w->depth > CHECK_MAX_DEPTH)
		return 0;
	ref = json_object_get(s, "$ref");
	if (ref == NULL && json_is_string(id = json_object_get(s, "$id"))) {
		if ((own = uri_resolve(w->base, json_string_value(id))) == NULL)
			return -1;
		w->base = own;
	}
	if (json_is_string(ref)) {
		const char *b = w->base;

		t = s;
		for (hops = 0; json_is_object(t) &&
		    json_is_string(ref = json_object_get(t, "$ref")); hops++) {
			if (hops >= REF_MAX_HOPS) {
				free(tbase);
				free(own);
				(void)snprintf(w->err, w->errlen, "$ref at %s/$ref "
				    "starts a chain of references that loops",
				    pb_str(w->ptr));
				return -1;
			}
			if ((rc = resolve_ref(w->v, b, json_string_value(ref), &t,
			    &b2)) != 0) {
				free(tbase);
				if (rc == -2)
					(void)snprintf(w->err, w->errlen, "out of memory");
				else
					(void)snprintf(w->err, w->errlen, "$ref \"%.200s\" at "
					    "%s/$ref has no target", json_string_value(
					    json_object_get(s, "$ref")), pb_str(w->ptr));
				free(own);
				return -1;
			}
			free(tbase);
			tbase = b2;
			b = tbase;
		}
		free(tbase);
	}
	rc = each_subschema(s, refs_sub, w);
	w->base = saved_base;
	free(own);
	return rc;
}

int
jsonschema_check_refs(const json_t *root, const char *root_uri,
    jsonschema_resolver resolve, void *arg, char *err, size_t errlen)
{
	struct vctx v;
	struct pbuf ptr = { NULL, 0, 0 };
	struct rwalk w;
	char dummy[1];
	int rc;

	memset(&v, 0, sizeof(v));
	v.resolve = resolve;
	v.arg = arg;
	if (root_uri == NULL)
		root_uri = "";
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (ctx_add_doc(&v, root, root_uri) == SIZE_MAX) {
		ctx_free(&v);
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	w.v = &v;
	w.base = root_uri;
	w.ptr = &ptr;
	w.err = err;
	w.errlen = errlen;
	w.depth = 0;
	rc = refs_node(&w, root);
	if (rc != 0 && err[0] == '\0')
		(void)snprintf(err, errlen, "out of memory");
	free(ptr.s);
	ctx_free(&v);
	return rc != 0 ? -1 : 0;
}
