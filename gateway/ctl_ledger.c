/*
 * ctl_ledger.c: "gatewayctl ledger ...", the offline side of the ledger.
 *
 *   verify (--db FILE | --export FILE) --key PUB.pem [--origin NAME]
 *          [--checkpoint NOTE]...
 *       Recomputes every leaf from its entry's fields, the tree, every
 *       stored checkpoint's signature and root, and consistency between
 *       successive checkpoints (ledger_verify.c), with the public key alone.
 *       --checkpoint adds a signed checkpoint kept elsewhere (a copy fetched
 *       earlier from GET /v1/ledger/checkpoint): it catches a database whose
 *       entries and checkpoints were both cut back. Exit 0 when everything
 *       verifies; 1, naming the first bad sequence number, when not; 2 on
 *       usage or I/O errors.
 *   export --db FILE [--out FILE]
 *       A plain file a third party can keep: JSON lines, one header line,
 *       then every entry (as GET /v1/ledger/entries shows it) and every
 *       signed checkpoint. The database is opened read-only.
 *   generate --data DIR --count N
 *       Appends N synthetic entries through the real ledger (writer jobs of
 *       up to 10000 entries, checkpoints signed as the daemon signs them), to
 *       measure verification on a big ledger. Not for a production DIR. It
 *       appends, so it takes the data-directory lock (datalock.h) first and
 *       refuses while gatewayd (or another gatewayctl) holds it: a second
 *       appender would fork the daemon's Merkle tree.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/evp.h>

#include "ctl.h"
#include "datalock.h"
#include "gateway.h"
#include "hex.h"
#include "ledger.h"
#include "ledger_verify.h"
#include "log.h"
#include "note.h"
#include "signer.h"
#include "store.h"
#include "writer.h"

#define MAX_EXTRA_CHECKPOINTS	16

void
ctl_ledger_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewayctl ledger verify (--db FILE | --export FILE) --key PUB.pem\n"
	    "                                [--origin NAME] [--checkpoint NOTE]...\n"
	    "       gatewayctl ledger export --db FILE [--out FILE]\n"
	    "       gatewayctl ledger generate --data DIR --count N\n");
}

static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
read_all(const char *path, size_t *len)
{
	FILE	*f;
	char	*buf = NULL;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1L << 20) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

static void
print_failure(void *arg, const char *msg)
{
	(void)arg;
	printf("FAIL %s\n", msg);
}

static int
feed_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	return ledger_verify_entry(arg, r, leaf) == 0 ? 0 : -1;
}

/*
 * What a stored checkpoint's root column is compared with when it is not 32
 * bytes (NULL, or null in an export): no SHA-256 output in practice, so the
 * verifier reports that the stored columns disagree with the signed note,
 * rather than taking the row as having no root column at all.
 */
static const unsigned char	no_root[32];

static int
feed_checkpoint(uint64_t size, const unsigned char *root, int64_t time_us, const char *note,
    size_t len, void *arg)
{
	(void)time_us;
	return ledger_verify_checkpoint(arg, note, len, (int64_t)size,
	    root != NULL ? root : no_root) == 0 ? 0 : -1;
}

/*
 * The export's writer. Each line is built in memory (struct line) and then
 * written out whole; the verifier builds the line of the values it read
 * the same way and compares it with the line it read (canonical form),
 * with no stdio on that path.
 */
struct line {
	char	*b;
	size_t	 len;
	size_t	 cap;
	int	 failed;	/* out of memory */
};

static void
line_put(struct line *l, const void *p, size_t n)
{
	size_t	 cap;
	char	*b;

	if (l->failed)
		return;
	if (n > l->cap - l->len) {
		for (cap = l->cap ? l->cap : 1024; n > cap - l->len; cap *= 2)
			if (cap > SIZE_MAX / 2) {
				l->failed = 1;
				return;
			}
		if ((b = realloc(l->b, cap)) == NULL) {
			l->failed = 1;
			return;
		}
		l->b = b;
		l->cap = cap;
	}
	memcpy(l->b + l->len, p, n);
	l->len += n;
}

static void
line_puts(struct line *l, const char *s)
{
	line_put(l, s, strlen(s));
}

static void
line_uint(struct line *l, unsigned long long v)
{
	char	b[20];
	size_t	i = sizeof(b);

	do
		b[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	line_put(l, b + i, sizeof(b) - i);
}

static void
line_int(struct line *l, long long v)
{
	if (v < 0) {
		line_put(l, "-", 1);
		line_uint(l, 0ULL - (unsigned long long)v);
	} else
		line_uint(l, (unsigned long long)v);
}

/* Writes s as a JSON string: quotes, backslashes and control characters
 * escaped, UTF-8 as it is. */
static void
put_json_str(struct line *l, const char *s, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 run = 0;
	char			 esc[6] = { '\\', 'u', '0', '0' };

	line_put(l, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			run++;
			continue;
		}
		line_put(l, s + i - run, run);
		run = 0;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			line_put(l, esc, 2);
		} else if (c == '\n')
			line_put(l, "\\n", 2);
		else {
			esc[1] = 'u';
			esc[4] = digits[c >> 4];
			esc[5] = digits[c & 15];
			line_put(l, esc, 6);
		}
	}
	line_put(l, s + len - run, run);
	line_put(l, "\"", 1);
}

/* key is the member's name quoted, with its comma and colon (",\"k\":"). */
static void
put_opt_str(struct line *l, const char *key, const char *s)
{
	line_puts(l, key);
	if (s == NULL)
		line_put(l, "null", 4);
	else
		put_json_str(l, s, strlen(s));
}

static void
put_hex(struct line *l, const char *key, const unsigned char *b)
{
	char	hex[1 + 64 + 2];

	line_puts(l, key);
	if (b == NULL) {
		line_put(l, "null", 4);
		return;
	}
	hex[0] = '"';
	hex_encode(b, 32, hex + 1);
	hex[65] = '"';
	line_put(l, hex, 66);
}

/* out NULL: lines are built in l and not written (the verifier's use). */
struct export_ctx {
	FILE		*out;
	unsigned long	 n;
	struct line	 l;
};

/* Writes the line built, if there is an output. 0 or -1. */
static int
export_line(struct export_ctx *x)
{
	if (x->l.failed)
		return -1;
	if (x->out == NULL)
		return 0;
	x->n++;
	return fwrite(x->l.b, 1, x->l.len, x->out) == x->l.len && !ferror(x->out) ? 0 : -1;
}

/* One entry line: the fields of GET /v1/ledger/entries, keys sorted. */
static int
export_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct export_ctx	*x = arg;
	struct line		*l = &x->l;
	char			 t[32];

	l->len = 0;
	line_puts(l, "{\"action\":");
	put_json_str(l, r->e.action, strlen(r->e.action));
	put_opt_str(l, ",\"actor\":", r->e.actor);
	put_opt_str(l, ",\"actor_role\":", r->e.actor_role);
	put_opt_str(l, ",\"family_pseudonym\":", r->e.family_pseudonym);
	put_hex(l, ",\"leaf_hash\":", leaf);
	put_opt_str(l, ",\"object_id\":", r->e.object_id);
	put_opt_str(l, ",\"reason\":", r->e.reason);
	put_hex(l, ",\"record_digest\":", r->e.record_digest);
	line_puts(l, ",\"seq\":");
	line_int(l, (long long)r->seq);
	line_puts(l, ",\"time\":\"");
	line_puts(l, store_time_fmt(r->time_us, t));
	line_puts(l, "\",\"time_us\":");
	line_int(l, (long long)r->time_us);
	line_puts(l, ",\"type\":\"entry\"}\n");
	return export_line(x);
}

static int
export_checkpoint(uint64_t size, const unsigned char *root, int64_t time_us, const char *note,
    size_t len, void *arg)
{
	struct export_ctx	*x = arg;
	struct line		*l = &x->l;
	char			 t[32];

	l->len = 0;
	line_puts(l, "{\"note\":");
	put_json_str(l, note, len);
	put_hex(l, ",\"root\":", root);
	line_puts(l, ",\"time\":\"");
	line_puts(l, store_time_fmt(time_us, t));
	line_puts(l, "\",\"time_us\":");
	line_int(l, (long long)time_us);
	line_puts(l, ",\"tree_size\":");
	line_uint(l, (unsigned long long)size);
	line_puts(l, ",\"type\":\"checkpoint\"}\n");
	return export_line(x);
}

/* The first line. */
static int
export_header(struct export_ctx *x)
{
	x->l.len = 0;
	line_puts(&x->l, "{\"type\":\"ledger-export\",\"version\":1,\"leaf\":\"" LEDGER_LEAF_TAG
	    "\",\"hash\":\"RFC 6962 SHA-256\",\"signature\":\"C2SP signed-note Ed25519\"}\n");
	return export_line(x);
}

/*
 * Exports are JSON lines of flat objects (string, integer or null values).
 * A million lines through a general JSON library cost ~10 s; this small
 * strict reader decodes them in place in well under one, and refuses
 * anything else: nested values, floats, duplicate keys, bad escapes, \u0000.
 */
#define FLAT_MAX	16

enum flat_type { FLAT_NULL, FLAT_STR, FLAT_INT };

struct flat {
	const char	*key[FLAT_MAX];
	size_t		 klen[FLAT_MAX];
	enum flat_type	 type[FLAT_MAX];
	const char	*str[FLAT_MAX];
	size_t		 len[FLAT_MAX];
	long long	 num[FLAT_MAX];
	int		 n;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
u4(const char *p, unsigned *out)
{
	unsigned	v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hexval(p[i]);
		if (d < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Decodes the string starting after its opening quote at *pp, in place;
 * *pp ends after the closing quote. Returns the start, or NULL. */
static char *
flat_string(char **pp, char *end, size_t *len)
{
	char	*p = *pp, *o, *start = p;

	/* Most strings have no escape: find the end without copying. */
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	o = p;
	for (;;) {
		if (p >= end)
			return NULL;
		unsigned char c = (unsigned char)*p;
		if (c == '"')
			break;
		if (c < 0x20)
			return NULL;
		if (c != '\\') {
			*o++ = *p++;
			continue;
		}
		if (++p >= end)
			return NULL;
		switch (*p) {
		case '"': case '\\': case '/': *o++ = *p++; continue;
		case 'b': *o++ = '\b'; p++; continue;
		case 'f': *o++ = '\f'; p++; continue;
		case 'n': *o++ = '\n'; p++; continue;
		case 'r': *o++ = '\r'; p++; continue;
		case 't': *o++ = '\t'; p++; continue;
		case 'u': break;
		default: return NULL;
		}
		unsigned cp, lo;
		if (end - p < 5 || u4(p + 1, &cp) != 0)
			return NULL;
		p += 5;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return NULL;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || u4(p + 2, &lo) != 0 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return NULL;
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp == 0)
			return NULL;
		/* UTF-8 is never longer than the escape it came from. */
		if (cp < 0x80)
			*o++ = (char)cp;
		else if (cp < 0x800) {
			*o++ = (char)(0xc0 | cp >> 6);
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else if (cp < 0x10000) {
			*o++ = (char)(0xe0 | cp >> 12);
			*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		} else {
			*o++ = (char)(0xf0 | cp >> 18);
			*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
			*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
			*o++ = (char)(0x80 | (cp & 0x3f));
		}
	}
	*len = (size_t)(o - start);
	*o = '\0';		/* o <= p: the closing quote's place at the latest */
	*pp = p + 1;
	return start;
}

/* Parses one line holding a flat JSON object. 0, or -1 when malformed. */
static int
flat_parse(char *p, size_t n, struct flat *f)
{
	char	*end = p + n;

	while (end > p && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	f->n = 0;
	if (p >= end || *p++ != '{')
		return -1;
	if (p < end && *p == '}')
		return p + 1 == end ? 0 : -1;
	for (;;) {
		size_t	 klen;
		char	*key;

		if (f->n == FLAT_MAX || p >= end || *p++ != '"' ||
		    (key = flat_string(&p, end, &klen)) == NULL || p >= end || *p++ != ':' ||
		    p >= end)
			return -1;
		for (int i = 0; i < f->n; i++)
			if (f->klen[i] == klen && memcmp(f->key[i], key, klen) == 0)
				return -1;		/* duplicate key */
		f->key[f->n] = key;
		f->klen[f->n] = klen;
		if (*p == '"') {
			p++;
			f->type[f->n] = FLAT_STR;
			if ((f->str[f->n] = flat_string(&p, end, &f->len[f->n])) == NULL)
				return -1;
		} else if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
			f->type[f->n] = FLAT_NULL;
			p += 4;
		} else if (*p == '-' || (*p >= '0' && *p <= '9')) {
			int	 neg = *p == '-';
			char	*d = p + neg;
			unsigned long long v = 0;

			if (d >= end || *d < '0' || *d > '9' || (*d == '0' && d + 1 < end &&
			    d[1] >= '0' && d[1] <= '9'))
				return -1;
			for (p = d; p < end && *p >= '0' && *p <= '9'; p++) {
				if (v > (9223372036854775807ULL - (unsigned)(*p - '0')) / 10)
					return -1;
				v = v * 10 + (unsigned)(*p - '0');
			}
			f->type[f->n] = FLAT_INT;
			f->num[f->n] = neg ? -(long long)v : (long long)v;
		} else
			return -1;
		f->n++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return (p < end && *p == '}' && p + 1 == end) ? 0 : -1;
	}
}

static int
flat_find(const struct flat *f, const char *k)
{
	size_t	n = strlen(k);

	for (int i = 0; i < f->n; i++)
		if (f->klen[i] == n && memcmp(f->key[i], k, n) == 0)
			return i;
	return -1;
}

/* A string value (NUL-free), or NULL when absent, null or not a string. */
static const char *
flat_str(const struct flat *f, const char *k)
{
	int	i = flat_find(f, k);

	if (i < 0 || f->type[i] != FLAT_STR || strlen(f->str[i]) != f->len[i])
		return NULL;
	return f->str[i];
}

static int
flat_int(const struct flat *f, const char *k, long long *out)
{
	int	i = flat_find(f, k);

	if (i < 0 || f->type[i] != FLAT_INT)
		return -1;
	*out = f->num[i];
	return 0;
}

/* Present with a null value (an absent optional field). */
static int
flat_null(const struct flat *f, const char *k)
{
	int	i = flat_find(f, k);

	return i >= 0 && f->type[i] == FLAT_NULL;
}

/*
 * The canonical form: a line must be byte for byte what `ledger export`
 * writes for the values read from it (x->l, built by the export's own
 * writer), so that no other spelling of the same values passes: keys in
 * another order, a key or value the reader ignores, "-0", "\/" or "\u0073",
 * an unsigned checkpoint time or root edited, a missing final newline.
 */
static int
canonical(const struct export_ctx *x, const char *line, size_t n)
{
	return x->l.len == n && memcmp(x->l.b, line, n) == 0;
}

/* Feeds an export file's lines to the verifier. 0, or -1 (message printed). */
static int
feed_export(const char *path, struct ledger_verify *v)
{
	static const char *const optional[] = { "family_pseudonym", "object_id", "reason",
	    "record_digest" };
	struct flat	 f;
	struct export_ctx cx = { NULL, 0, { NULL, 0, 0, 0 } };
	FILE		*fp;
	char		*line = NULL, *orig = NULL;
	size_t		 cap = 0, ocap = 0;
	ssize_t		 n;
	unsigned long	 lineno = 0;
	int		 rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		fprintf(stderr, "gatewayctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) > 0) {
		const char *type;

		lineno++;
		/* The line as read: flat_parse() decodes it in place. */
		if ((size_t)n > ocap) {
			char *p = realloc(orig, (size_t)n);

			if (p == NULL) {
				fprintf(stderr, "gatewayctl: out of memory\n");
				rc = -1;
				break;
			}
			orig = p;
			ocap = (size_t)n;
		}
		memcpy(orig, line, (size_t)n);
		if (flat_parse(line, (size_t)n, &f) != 0) {
			fprintf(stderr, "gatewayctl: %s:%lu: not a flat JSON object\n", path, lineno);
			rc = -1;
			break;
		}
		type = flat_str(&f, "type");
		if (lineno == 1) {
			/* Exactly the header export_header() writes. */
			if (export_header(&cx) != 0 || !canonical(&cx, orig, (size_t)n)) {
				fprintf(stderr, "gatewayctl: %s: not a version 1 ledger export\n", path);
				rc = -1;
			}
		} else if (type != NULL && strcmp(type, "entry") == 0) {
			struct ledger_record	 r;
			unsigned char		 digest[32], leaf[32];
			long long		 seq, t;
			const char		*d = flat_str(&f, "record_digest");
			char			 tbuf[32];
			int			 ok = 1;

			memset(&r, 0, sizeof(r));
			for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
				if (flat_str(&f, optional[i]) == NULL && !flat_null(&f, optional[i]))
					ok = 0;
			r.e.actor = flat_str(&f, "actor");
			r.e.actor_role = flat_str(&f, "actor_role");
			r.e.action = flat_str(&f, "action");
			r.e.family_pseudonym = flat_str(&f, "family_pseudonym");
			r.e.object_id = flat_str(&f, "object_id");
			r.e.reason = flat_str(&f, "reason");
			/* Exactly the twelve keys export_entry writes (each
			 * found and no more, so none twice), and the time as
			 * written for time_us: nothing the leaf does not
			 * cover passes unremarked. */
			if (f.n != 12 || flat_str(&f, "time") == NULL)
				ok = 0;
			if (!ok || flat_int(&f, "seq", &seq) != 0 ||
			    flat_int(&f, "time_us", &t) != 0 ||
			    strcmp(flat_str(&f, "time"), store_time_fmt(t, tbuf)) != 0 ||
			    r.e.actor == NULL ||
			    r.e.actor_role == NULL || r.e.action == NULL ||
			    hex_decode(flat_str(&f, "leaf_hash"), leaf, 32) != 0 ||
			    (d != NULL && hex_decode(d, digest, 32) != 0)) {
				fprintf(stderr, "gatewayctl: %s:%lu: malformed entry\n", path, lineno);
				rc = -1;
			} else {
				r.seq = seq;
				r.time_us = t;
				r.e.record_digest = d ? digest : NULL;
				if (export_entry(&r, leaf, &cx) != 0) {
					fprintf(stderr, "gatewayctl: out of memory\n");
					rc = -1;
				} else if (!canonical(&cx, orig, (size_t)n)) {
					fprintf(stderr, "gatewayctl: %s:%lu: entry not in the export's "
					    "canonical form (as ledger export writes it)\n", path, lineno);
					rc = -1;
				} else
					rc = ledger_verify_entry(v, &r, leaf);
			}
		} else if (type != NULL && strcmp(type, "checkpoint") == 0) {
			const char	*note = flat_str(&f, "note");
			unsigned char	 root[32];
			int		 have_root = hex_decode(flat_str(&f, "root"), root, 32) == 0;
			long long	 size = -1, t;

			/* Its root is hex or null (a stored root that is not 32
			 * bytes), as export_checkpoint() writes it. */
			if (note == NULL || flat_int(&f, "tree_size", &size) != 0 || size < 0 ||
			    flat_int(&f, "time_us", &t) != 0 ||
			    (!have_root && !flat_null(&f, "root"))) {
				fprintf(stderr, "gatewayctl: %s:%lu: malformed checkpoint\n", path,
				    lineno);
				rc = -1;
			} else if (export_checkpoint((uint64_t)size, have_root ? root : NULL, t, note,
			    strlen(note), &cx) != 0) {
				fprintf(stderr, "gatewayctl: out of memory\n");
				rc = -1;
			} else if (!canonical(&cx, orig, (size_t)n)) {
				fprintf(stderr, "gatewayctl: %s:%lu: checkpoint not in the export's "
				    "canonical form (as ledger export writes it)\n", path, lineno);
				rc = -1;
			} else
				rc = ledger_verify_checkpoint(v, note, strlen(note), size,
				    have_root ? root : no_root);
		} else {
			fprintf(stderr, "gatewayctl: %s:%lu: unknown line type\n", path, lineno);
			rc = -1;
		}
	}
	if (rc == 0 && lineno == 0) {
		fprintf(stderr, "gatewayctl: %s: empty\n", path);
		rc = -1;
	}
	free(line);
	free(orig);
	free(cx.l.b);
	fclose(fp);
	return rc;
}

static int
cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "export", required_argument, NULL, 'e' },
		{ "key", required_argument, NULL, 'k' },
		{ "origin", required_argument, NULL, 'o' },
		{ "checkpoint", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 }
	};
	const char			*db = NULL, *exp = NULL, *key = NULL, *origin = NULL;
	const char			*extra[MAX_EXTRA_CHECKPOINTS];
	struct ledger_verify_report	 rep;
	struct ledger_verify		*v = NULL;
	struct ledger_db		*ldb = NULL;
	EVP_PKEY			*pub = NULL;
	char				 err[512], hex[65], dir[PATH_MAX];
	size_t				 nextra = 0;
	double				 t0 = now_s();
	int				 ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'e': exp = optarg; break;
		case 'k': key = optarg; break;
		case 'o': origin = optarg; break;
		case 'c':
			if (nextra == MAX_EXTRA_CHECKPOINTS) {
				fprintf(stderr, "gatewayctl: too many --checkpoint\n");
				return 2;
			}
			extra[nextra++] = optarg;
			break;
		default: ctl_ledger_usage(stderr); return 2;
		}
	}
	if (optind != argc || key == NULL || (db == NULL) == (exp == NULL)) {
		if (optind != argc)
			fprintf(stderr, "gatewayctl: ledger verify: unexpected argument "
			    "\"%s\"\n", argv[optind]);
		else if (db == NULL && exp == NULL)
			fprintf(stderr, "gatewayctl: ledger verify: give the ledger, "
			    "--db FILE or --export FILE\n");
		else if (db != NULL && exp != NULL)
			fprintf(stderr, "gatewayctl: ledger verify: --db or --export, "
			    "not both\n");
		else
			fprintf(stderr, "gatewayctl: ledger verify: --key PUB.pem is "
			    "required (the gateway's published ledger key: without it "
			    "nothing is verified)\n");
		ctl_ledger_usage(stderr);
		return 2;
	}
	/* An export is only read; a database's directory gets SQLite's -shm
	 * index and log. */
	if (db != NULL && ctl_store_dir(db, dir, sizeof(dir)) == NULL) {
		fprintf(stderr, "gatewayctl: --db: path too long\n");
		return 2;
	}
	if (ctl_confine(db != NULL ? dir : NULL, NULL) == -1)
		return 2;
	if ((pub = signer_load_pub(key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if ((v = ledger_verify_new(pub, origin, print_failure, NULL)) == NULL)
		goto out;
	if (db != NULL) {
		if ((ldb = store_ledger_db_open(db, err, sizeof(err))) == NULL) {
			fprintf(stderr, "gatewayctl: %s\n", err);
			goto out;
		}
		if (store_ledger_db_entries(ldb, feed_entry, v) != 0 ||
		    store_ledger_db_checkpoints(ldb, feed_checkpoint, v) != 0) {
			fprintf(stderr, "gatewayctl: %s: %s\n", db, store_ledger_db_error(ldb));
			goto out;
		}
	} else if (feed_export(exp, v) != 0)
		goto out;
	for (size_t i = 0; i < nextra; i++) {
		size_t	 len = 0;
		char	*note = read_all(extra[i], &len);

		if (note == NULL) {
			fprintf(stderr, "gatewayctl: %s: cannot read\n", extra[i]);
			goto out;
		}
		rc = ledger_verify_checkpoint(v, note, len, -1, NULL);
		free(note);
		if (rc != 0) {
			rc = 2;
			goto out;
		}
	}
	switch (ledger_verify_finish(v, &rep)) {
	case 0:
		rc = 0;
		break;
	case 1:
		rc = 1;
		break;
	default:
		rc = 2;
		goto out;
	}
	hex_encode(rep.latest_root, 32, hex);
	printf("origin: %s\n", rep.origin[0] ? rep.origin : "(none)");
	printf("entries: %llu; checkpoints: %llu, of which verified: %llu\n",
	    (unsigned long long)rep.entries, (unsigned long long)rep.checkpoints,
	    (unsigned long long)rep.checkpoints_ok);
	if (rep.latest_size > 0)
		printf("newest verified checkpoint: tree size %llu, root %s\n",
		    (unsigned long long)rep.latest_size, hex);
	if (rep.uncovered > 0)
		printf("entries after it, not yet signed: %llu\n",
		    (unsigned long long)rep.uncovered);
	if (rc == 0)
		printf("OK: the ledger verifies (%.2f s)\n", now_s() - t0);
	else if (rep.first_bad_seq > 0)
		printf("FAILED: %llu problem(s); first bad sequence number: %lld\n",
		    (unsigned long long)rep.failures, (long long)rep.first_bad_seq);
	else
		printf("FAILED: %llu problem(s)\n", (unsigned long long)rep.failures);
out:
	store_ledger_db_close(ldb);
	ledger_verify_free(v);
	EVP_PKEY_free(pub);
	return rc;
}

static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct export_ctx	 x = { stdout, 0, { NULL, 0, 0, 0 } };
	struct durable_replace	 o;
	struct ledger_db	*ldb;
	const char		*db = NULL, *out = NULL;
	char			 err[512], dir[PATH_MAX], outdir[PATH_MAX];
	int			 ch, rc = 2;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 'o': out = optarg; break;
		default: ctl_ledger_usage(stderr); return 2;
		}
	}
	if (optind != argc || db == NULL) {
		if (optind != argc)
			fprintf(stderr, "gatewayctl: ledger export: unexpected argument "
			    "\"%s\"\n", argv[optind]);
		else
			fprintf(stderr, "gatewayctl: ledger export: --db FILE is required\n");
		ctl_ledger_usage(stderr);
		return 2;
	}
	/* The database's directory (SQLite's -shm and log) and the file's. */
	if (ctl_store_dir(db, dir, sizeof(dir)) == NULL ||
	    (out != NULL && ctl_dir_of(out, outdir, sizeof(outdir)) == NULL)) {
		fprintf(stderr, "gatewayctl: ledger export: path too long\n");
		return 2;
	}
	if (ctl_confine(dir, out != NULL ? outdir : NULL) == -1)
		return 2;
	if ((ldb = store_ledger_db_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	if (out != NULL) {
		if (ctl_out_open(&o, out) != 0) {
			store_ledger_db_close(ldb);
			return 2;
		}
		x.out = o.f;
	}
	(void)setvbuf(x.out, NULL, _IOFBF, 1 << 20);
	if (export_header(&x) != 0 ||
	    store_ledger_db_entries(ldb, export_entry, &x) != 0 ||
	    store_ledger_db_checkpoints(ldb, export_checkpoint, &x) != 0)
		fprintf(stderr, "gatewayctl: export failed after %lu lines: %s\n", x.n,
		    store_ledger_db_error(ldb));
	else if (fflush(x.out) != 0 || ferror(x.out))
		fprintf(stderr, "gatewayctl: write error\n");
	else
		rc = 0;
	if (out != NULL && ctl_out_close(&o, rc == 0) != 0)
		rc = 2;
	store_ledger_db_close(ldb);
	free(x.l.b);
	return rc;
}

struct gen_job {
	struct ledger	*ledger;
	uint64_t	 first, n;
};

static const char *const gen_actions[] = {
	"record.read", "disclosure.allowed", "disclosure.refused", "consent.recorded",
};

static int
gen_job(struct store_conn *c, void *arg)
{
	struct gen_job	*j = arg;
	unsigned char	 digest[32], rot[32];
	unsigned int	 dl = 0;
	char		 pseudo[65], obj[40], num[24];

	for (uint64_t i = j->first; i < j->first + j->n; i++) {
		int len = snprintf(num, sizeof(num), "%llu", (unsigned long long)i);
		if (EVP_Digest(num, (size_t)len, digest, &dl, EVP_sha256(), NULL) != 1)
			return -1;
		for (int k = 0; k < 32; k++)
			rot[k] = digest[(k + 7) % 32];
		hex_encode(rot, 32, pseudo);
		snprintf(obj, sizeof(obj), "gen_%012llu", (unsigned long long)i);
		struct ledger_entry e = { "staff:Load Generator", "staff",
		    gen_actions[i % 4], pseudo, obj, i % 4 == 2 ? "no_consent" : "generated",
		    digest };
		if (ledger_append(j->ledger, c, &e, NULL, NULL) != 0)
			return -1;
	}
	return 0;
}

static int
cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct store	*store = NULL;
	struct writer	*writer = NULL;
	struct ledger	*ledger = NULL;
	const char	*dir = NULL;
	char		 err[512], dbpath[4096];
	struct stat	 sb;
	unsigned long	 count = 0;
	double		 t0 = now_s();
	int		 ch, rc = 2, lock;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n':
			if (parse_uint(optarg, 100000000UL, &count) == -1 || count == 0) {
				fprintf(stderr, "gatewayctl: --count: 1 to 100000000\n");
				return 2;
			}
			break;
		default: ctl_ledger_usage(stderr); return 2;
		}
	}
	if (optind != argc || dir == NULL || count == 0) {
		if (optind != argc)
			fprintf(stderr, "gatewayctl: ledger generate: unexpected argument "
			    "\"%s\"\n", argv[optind]);
		else
			fprintf(stderr, "gatewayctl: ledger generate: %s is required\n",
			    dir == NULL ? "--data DIR" : "--count N");
		ctl_ledger_usage(stderr);
		return 2;
	}
	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		fprintf(stderr, "gatewayctl: %s: %s\n", dir, strerror(errno));
		return 2;
	}
	/* The new data directory only, once made; before the writer's thread. */
	if (ctl_confine(dir, NULL) == -1)
		return 2;
	if ((lock = datalock_acquire(dir, "gatewayctl ledger generate", err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "gatewayctl: %s\n"
		    "  (ledger generate appends to the ledger: never beside a running gatewayd; "
		    "give it a data directory of its own)\n", err);
		return 1;
	}
	/* Synthetic entries signed with the directory's key can never be
	 * taken out of an append-only ledger: only ever a new one, so a
	 * real record of access is never mixed with made-up entries. */
	if (snprintf(dbpath, sizeof(dbpath), "%s/gateway.db", dir) >= (int)sizeof(dbpath) ||
	    stat(dbpath, &sb) == 0 || errno != ENOENT) {
		fprintf(stderr, "gatewayctl: %s already holds a database (or cannot be checked)\n"
		    "  (ledger generate makes synthetic entries for measurement: only ever into "
		    "a new data directory, never a real ledger)\n", dir);
		datalock_release(lock);
		return 1;
	}
	if ((store = store_open(dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		datalock_release(lock);
		return 2;
	}
	if ((writer = writer_start(store)) == NULL)
		goto out;
	if ((ledger = ledger_open(store, writer, dir, NULL, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		goto out;
	}
	for (uint64_t done = 0; done < count; ) {
		struct gen_job j = { ledger, done, count - done < 10000 ? count - done : 10000 };
		if (writer_submit(writer, gen_job, &j) != 0) {
			fprintf(stderr, "gatewayctl: append failed after %llu entries\n",
			    (unsigned long long)done);
			goto out;
		}
		done += j.n;
	}
	rc = 0;
out:
	ledger_stop(ledger);
	writer_stop(writer);
	if (rc == 0)
		printf("generated %lu entries; ledger size %llu (%.1f s)\n", count,
		    (unsigned long long)ledger_size(ledger), now_s() - t0);
	ledger_free(ledger);
	store_close(store);
	datalock_release(lock);
	return rc;
}

int
ctl_ledger(int argc, char **argv)
{
	if (argc < 2) {
		ctl_ledger_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "export") == 0)
		return cmd_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "generate") == 0)
		return cmd_generate(argc - 1, argv + 1);
	fprintf(stderr, "gatewayctl: ledger: unknown subcommand \"%s\"\n", argv[1]);
	ctl_ledger_usage(stderr);
	return 2;
}
