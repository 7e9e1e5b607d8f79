/*
 * statement.c: the witness statement's JSON form, its printable rendering
 * and its offline verification (see statement.h for the format). Nothing
 * here touches the network or the database: the caller supplies entries,
 * proofs and the signed checkpoint, or the bytes of a saved file.
 *
 * Verification trusts nothing in the file but the signature: the checkpoint
 * note is verified with the key, every entry's leaf is recomputed from its
 * own fields (ledger_entry.c) and proven into the signed root (merkle.c),
 * and the body, which carries the records' content, is bound to the ledger
 * by the digest in the issue entry, itself proven like the others.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "hex.h"
#include "ledger.h"
#include "merkle.h"
#include "note.h"
#include "quorum.h"
#include "statement.h"
#include "store.h"
#include "wipe.h"

#define DUMP_BODY	(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
#define DUMP_FILE	(JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENSURE_ASCII)
#define MAX_CITED	100000

static const struct {
	const char	*code;
	const char	*text;
} bases[] = {
	{ "crime_sch2_p2", "Data Protection Act 2018, Schedule 2, paragraph 2: the prevention "
	    "or detection of crime, or the apprehension or prosecution of offenders" },
	{ "court_order", "An order of a court: disclosure required by law (UK GDPR "
	    "Article 6(1)(c), legal obligation)" },
	{ "legal_proceedings_sch2_p5", "Data Protection Act 2018, Schedule 2, paragraph 5: "
	    "disclosure required for legal proceedings, legal advice or legal rights" },
	{ "safeguarding_sch1_p18", "Data Protection Act 2018, Schedule 1, paragraph 18: "
	    "safeguarding of children and of individuals at risk" },
};

const char *
statement_basis_text(const char *basis)
{
	size_t	i;

	if (basis == NULL)
		return NULL;
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		if (strcmp(bases[i].code, basis) == 0)
			return bases[i].text;
	return NULL;
}

static json_t *
opt_string(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *
statement_entry_json(const struct ledger_record *r, const unsigned char leaf[32])
{
	char	t[32], dig[65], lh[65];

	hex_encode(leaf, 32, lh);
	if (r->e.record_digest)
		hex_encode(r->e.record_digest, 32, dig);
	return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s}",
	    "seq", (json_int_t)r->seq,
	    "time", store_time_fmt(r->time_us, t),
	    "time_us", (json_int_t)r->time_us,
	    "actor", r->e.actor, "actor_role", r->e.actor_role, "action", r->e.action,
	    "family_pseudonym", opt_string(r->e.family_pseudonym),
	    "object_id", opt_string(r->e.object_id),
	    "reason", opt_string(r->e.reason),
	    "record_digest", r->e.record_digest ? json_string(dig) : json_null(),
	    "leaf_hash", lh);
}

/* A required string member, or NULL. */
static const char *
str_member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An optional string member: 0 with *out = NULL when null, 0 with the
 * string, -1 when missing or another type. */
static int
opt_member(const json_t *o, const char *key, const char **out)
{
	const json_t	*v = json_object_get(o, key);

	if (v == NULL)
		return -1;
	if (json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

int
statement_entry_parse(const json_t *j, struct ledger_record *r, unsigned char digest[32],
    unsigned char leaf[32], const char **why)
{
	const json_t	*seq, *tus;
	const char	*time, *dig;
	char		 t[32];

	memset(r, 0, sizeof(*r));
	*why = "not an object";
	if (!json_is_object(j) || json_object_size(j) != 11)
		return -1;
	*why = "seq or time_us is not a positive integer";
	seq = json_object_get(j, "seq");
	tus = json_object_get(j, "time_us");
	if (!json_is_integer(seq) || !json_is_integer(tus) || json_integer_value(seq) < 1 ||
	    json_integer_value(tus) < 0)
		return -1;
	r->seq = json_integer_value(seq);
	r->time_us = json_integer_value(tus);
	*why = "a member is missing or of the wrong type";
	r->e.actor = str_member(j, "actor");
	r->e.actor_role = str_member(j, "actor_role");
	r->e.action = str_member(j, "action");
	time = str_member(j, "time");
	if (r->e.actor == NULL || r->e.actor_role == NULL || r->e.action == NULL ||
	    time == NULL ||
	    opt_member(j, "family_pseudonym", &r->e.family_pseudonym) != 0 ||
	    opt_member(j, "object_id", &r->e.object_id) != 0 ||
	    opt_member(j, "reason", &r->e.reason) != 0 ||
	    opt_member(j, "record_digest", &dig) != 0)
		return -1;
	*why = "record_digest or leaf_hash is not 64 lower-case hex digits";
	if (hex_decode(str_member(j, "leaf_hash"), leaf, 32) != 0)
		return -1;
	if (dig != NULL) {
		if (hex_decode(dig, digest, 32) != 0)
			return -1;
		r->e.record_digest = digest;
	}
	*why = "time does not match time_us";
	if (strcmp(time, store_time_fmt(r->time_us, t)) != 0)
		return -1;
	*why = NULL;
	return 0;
}

int
statement_body_digest(const json_t *body, unsigned char out[32])
{
	char		*s;
	unsigned int	 n = 32;
	int		 ok;

	if ((s = json_dumps(body, DUMP_BODY)) == NULL)
		return -1;
	ok = EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) == 1 && n == 32;
	wipe_free(s);
	return ok ? 0 : -1;
}

const char *
statement_notice_state(const struct statement_notice_facts *f)
{
	const char	*ledger;	/* what the signed entries say */

	if (f->last_action == NULL || strcmp(f->last_action, "notification.requeued") == 0 ||
	    strcmp(f->last_action, "request.notification_lifted") == 0)
		ledger = "pending";
	else if (strcmp(f->last_action, "notification.sent") == 0)
		ledger = "sent";
	else if (strcmp(f->last_action, "notification.failed") == 0)
		ledger = "failed";
	else
		return NULL;
	if (f->row_state == NULL)
		/* No notice made (the family erased by the approval): nor
		 * may the ledger have any. */
		return f->last_action == NULL ? "none" : NULL;
	if (strcmp(f->row_state, "sent") == 0)
		return strcmp(ledger, "sent") == 0 ? "sent" : NULL;
	if (strcmp(f->row_state, "failed") == 0)
		return strcmp(ledger, "failed") == 0 ? "failed" : NULL;
	if (strcmp(f->row_state, "queued") == 0) {
		/* An operator's re-queue is recorded in the ledger before the
		 * notice is sent again: until then the giving up stands. */
		if (strcmp(ledger, "failed") == 0)
			return "failed";
		if (strcmp(ledger, "pending") != 0)
			return NULL;
		/* A do_not_notify hold is released only by a signed lift. */
		return !f->do_not_notify || f->lifted ? "queued" : NULL;
	}
	if (strcmp(f->row_state, "held") == 0)
		return f->do_not_notify && !f->lifted && strcmp(ledger, "pending") == 0 ?
		    "held" : NULL;
	return NULL;
}

/* The family notice's entry, or NULL when the body has none (a statement
 * from before family_notice, or a notice with no entry). */
static const json_t *
notice_entry(const json_t *body)
{
	const json_t	*e = json_object_get(json_object_get(body, "family_notice"), "ledger");

	return json_is_null(e) ? NULL : e;
}

/* Calls fn for every entry the body cites: request.ledger, each
 * approvals[].ledger, each records[].ledger, family_notice.ledger when not
 * null. Stops at the first non-zero return. Returns 0, fn's value, or -1
 * when one is missing. */
static int
each_cited(const json_t *body, int (*fn)(const json_t *entry, void *), void *arg)
{
	const json_t	*e, *item;
	size_t		 i;
	int		 rc;
	static const char *const lists[] = { "approvals", "records" };

	if ((e = json_object_get(json_object_get(body, "request"), "ledger")) == NULL)
		return -1;
	if ((rc = fn(e, arg)) != 0)
		return rc;
	for (size_t l = 0; l < 2; l++) {
		const json_t *list = json_object_get(body, lists[l]);

		if (!json_is_array(list))
			return -1;
		json_array_foreach(list, i, item) {
			if ((e = json_object_get(item, "ledger")) == NULL)
				return -1;
			if ((rc = fn(e, arg)) != 0)
				return rc;
		}
	}
	if ((e = notice_entry(body)) != NULL && (rc = fn(e, arg)) != 0)
		return rc;
	return 0;
}

struct seq_list {
	int64_t	*seqs;
	size_t	 max, n;
};

static int
collect_seq(const json_t *e, void *arg)
{
	struct seq_list	*l = arg;
	const json_t	*s = json_object_get(e, "seq");

	if (!json_is_integer(s) || json_integer_value(s) < 1)
		return -1;
	if (l->n < l->max)
		l->seqs[l->n] = json_integer_value(s);
	l->n++;
	return 0;
}

long
statement_cited_seqs(const json_t *body, int64_t *seqs, size_t max)
{
	struct seq_list	l = { seqs, max, 0 };

	if (each_cited(body, collect_seq, &l) != 0)
		return -1;
	return (long)l.n;
}

/* The public key as PEM text, malloc'd; NULL on failure. */
static char *
pub_pem(const EVP_PKEY *pub)
{
	BIO	*bio;
	char	*data, *out = NULL;
	long	 n;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio_PUBKEY(bio, (EVP_PKEY *)pub) == 1 &&
	    (n = BIO_get_mem_data(bio, &data)) > 0 && (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	return out;
}

/* The checkpoint of a signed note, parsing only its text (the signature is
 * checked separately). 0 or -1. */
static int
note_checkpoint(const char *note, struct checkpoint *cp)
{
	const char	*end = strstr(note, "\n\n");

	if (end == NULL)
		return -1;
	return checkpoint_parse(note, (size_t)(end - note) + 1, cp);
}

json_t *
statement_assemble(json_t *body, json_t *issue, const char *note, const EVP_PKEY *pub,
    json_t *proofs)
{
	struct checkpoint	 cp;
	char			 root[45], *pem = NULL, *vkey = NULL;
	json_t			*doc = NULL;

	if (body == NULL || issue == NULL || proofs == NULL || note == NULL || pub == NULL ||
	    note_checkpoint(note, &cp) != 0)
		goto out;
	note_b64_encode(cp.root, 32, root);
	if ((pem = pub_pem(pub)) == NULL || (vkey = note_vkey(cp.origin, pub)) == NULL)
		goto out;
	doc = json_pack("{s:s, s:O, s:O, s:{s:s, s:s, s:I, s:s}, s:O, s:s, s:s}",
	    "format", STATEMENT_FORMAT, "statement", body, "issue", issue,
	    "checkpoint", "note", note, "origin", cp.origin, "tree_size", (json_int_t)cp.size,
	    "root", root, "proofs", proofs, "public_key", pem, "verifier_key", vkey);
out:
	free(pem);
	free(vkey);
	json_decref(body);
	json_decref(issue);
	json_decref(proofs);
	return doc;
}

char *
statement_dump(const json_t *doc, size_t *len)
{
	char	*s, *out;
	size_t	 n;

	if ((s = json_dumps(doc, DUMP_FILE)) == NULL)
		return NULL;
	n = strlen(s);
	if ((out = wipe_realloc(s, n + 2)) == NULL) {
		wipe_free(s);
		return NULL;
	}
	out[n] = '\n';
	out[n + 1] = '\0';
	if (len)
		*len = n + 1;
	return out;
}

/* ---- the printable rendering ---- */

struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 failed;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;
	char	*ns;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->s != NULL && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if ((ns = wipe_realloc(b->s, b->cap + (size_t)n + 4096)) == NULL) {
			b->failed = 1;
			return;
		}
		b->s = ns;
		b->cap += (size_t)n + 4096;
	}
}

/* A string member for printing: its value, or "-" when absent or null. */
static const char *
pm(const json_t *o, const char *key)
{
	const char	*s = str_member(o, key);

	return s ? s : "-";
}

/* Prints v (a JSON value of a record's content) on one line. */
static void
sb_value(struct sbuf *b, const json_t *v)
{
	char		*s;

	if (json_is_string(v)) {
		/* One line per value: scrubbed (statement_text) of anything
		 * that would break it. */
		sb_printf(b, "%s", json_string_value(v));
		return;
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS)) == NULL) {
		b->failed = 1;
		return;
	}
	sb_printf(b, "%s", s);
	wipe_free(s);
}

static void
sb_list(struct sbuf *b, const json_t *list)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(list, i, v)
		sb_printf(b, "%s%s", i ? ", " : "", json_is_string(v) ? json_string_value(v) : "?");
	if (json_array_size(list) == 0)
		sb_printf(b, "(none)");
}

static const json_t *
proof_for(const json_t *proofs, json_int_t seq)
{
	const json_t	*p;
	size_t		 i;

	json_array_foreach(proofs, i, p)
		if (json_integer_value(json_object_get(p, "seq")) == seq)
			return p;
	return NULL;
}

/* The entry's lines: sequence number, time, action and actor, record
 * digest, leaf hash and its inclusion proof. */
static void
sb_entry(struct sbuf *b, const json_t *e, const json_t *proofs, const char *ind)
{
	json_int_t	 seq = json_integer_value(json_object_get(e, "seq"));
	const json_t	*p = proof_for(proofs, seq), *h;
	size_t		 i;

	sb_printf(b, "%sLedger sequence   #%lld  (%s, %s by %s)\n", ind, (long long)seq,
	    pm(e, "time"), pm(e, "action"), pm(e, "actor"));
	sb_printf(b, "%sRecord digest     sha256:%s\n", ind, pm(e, "record_digest"));
	sb_printf(b, "%sLeaf hash         %s\n", ind, pm(e, "leaf_hash"));
	if (p == NULL) {
		sb_printf(b, "%sInclusion proof   (none)\n", ind);
		return;
	}
	/* Sequence numbers start at 1 (leaf 0); the page may be of an
	 * unverified file, whose seq can be anything, INT64_MIN included. */
	if (seq < 1) {
		sb_printf(b, "%sInclusion proof   (none: not a valid sequence number)\n", ind);
		return;
	}
	sb_printf(b, "%sInclusion proof   leaf %lld of the signed tree, %zu hashes:\n", ind,
	    (long long)seq - 1, json_array_size(json_object_get(p, "hashes")));
	json_array_foreach(json_object_get(p, "hashes"), i, h)
		sb_printf(b, "%s                  %s\n", ind, json_is_string(h) ?
		    json_string_value(h) : "?");
}

/*
 * The length of a character at s that must not reach the printed page, or
 * 0: C0 controls (line feeds above all), DEL, C1 controls, the Unicode line
 * and paragraph separators and the bidirectional embeddings, overrides and
 * isolates (which reorder what a reader sees). Any of them in a requester's
 * reference, a record's value or anything else taken from the statement
 * could start a line that looks like the page's own ("RECORDS (1)" and a
 * record no signed entry holds) or hide one.
 */
static size_t
unprintable(const unsigned char *s)
{
	if (s[0] < 0x20 || s[0] == 0x7f)
		return 1;
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	if (s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae)
		return 3;	/* U+2028, U+2029, U+202A-U+202E */
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 3;	/* U+2066-U+2069 */
	return 0;
}

/* s[0:len] with each unprintable character replaced by one space, into
 * *out (malloc'd; NULL when s needs no change). 0, or -1 out of memory. */
static int
scrub_text(const char *str, size_t len, char **out)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i, n, o;
	char			*t;
	int			 dirty = 0;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (unprintable(s + i) != 0)
			dirty = 1;
	if (!dirty)
		return 0;
	if ((t = malloc(len + 1)) == NULL)
		return -1;
	for (i = o = 0; i < len; i += n ? n : 1) {
		if ((n = unprintable(s + i)) != 0)
			t[o++] = ' ';
		else
			t[o++] = (char)s[i];
	}
	t[o] = '\0';
	*out = t;
	return 0;
}

/*
 * The members of object v, in their order, under scrubbed keys. Keys are
 * printed too (a record's summary and content are "key value" lines, and
 * json_dumps() writes a nested object's keys with bidi characters as they
 * are), and a hostile file's key can hold anything. Two keys that become
 * equal once scrubbed are both kept, the later under a key with " (2)",
 * " (3)"... appended, so that no value on the page is silently dropped or
 * replaced by another. 0, or -1 out of memory.
 */
static int
scrub_keys(json_t *v)
{
	json_t		*n, *m;
	const char	*k, *key;
	char		*t, *u;
	size_t		 len, ul;
	int		 rc = 0;

	if ((n = json_object()) == NULL)
		return -1;
	json_object_foreach(v, k, m) {
		/* The key's whole length: a NUL inside (a C0 control) is
		 * scrubbed too, so t is never cut short. */
		len = json_object_iter_key_len(json_object_key_to_iter(k));
		if (scrub_text(k, len, &t) != 0) {
			rc = -1;
			break;
		}
		key = t != NULL ? t : k;
		u = NULL;
		for (unsigned d = 2; rc == 0 && json_object_get(n, key) != NULL; d++) {
			free(u);
			ul = strlen(t != NULL ? t : k) + 16;
			if ((u = malloc(ul)) == NULL)
				rc = -1;
			else {
				snprintf(u, ul, "%s (%u)", t != NULL ? t : k, d);
				key = u;
			}
		}
		if (rc == 0 && json_object_set(n, key, m) != 0)
			rc = -1;
		free(u);
		free(t);
		if (rc != 0)
			break;
	}
	if (rc == 0 && (json_object_clear(v) != 0 || json_object_update(v, n) != 0))
		rc = -1;
	json_decref(n);
	return rc;
}

/* Every string in v (member values, array items and object keys) with each
 * unprintable character replaced by one space. 0, or -1 out of memory. */
static int
scrub(json_t *v)
{
	const char	*k;
	json_t		*m;
	size_t		 i;
	char		*t;

	if (json_is_object(v)) {
		json_object_foreach(v, k, m)
			if (scrub(m) != 0)
				return -1;
		return scrub_keys(v);
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if (scrub(m) != 0)
				return -1;
		return 0;
	}
	if (!json_is_string(v))
		return 0;
	if (scrub_text(json_string_value(v), json_string_length(v), &t) != 0)
		return -1;
	if (t == NULL)
		return 0;
	i = json_string_setn(v, t, strlen(t)) == 0 ? 0 : 1;
	free(t);
	return i == 0 ? 0 : -1;
}

/* 1 if a checkpoint's note may be printed line by line behind "  | ": the
 * text note.c accepts (UTF-8, no control character but '\n') and nothing
 * else unprintable (C1 controls, separators, bidi), so its lines stay the
 * note's own. The note is not scrubbed (its lines are the gateway's, and a
 * changed note is not the signed one), so it is printed whole or not at all. */
static int
note_printable(const char *note, size_t len)
{
	if (!note_text_valid(note, len))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (note[i] != '\n' && unprintable((const unsigned char *)note + i) != 0)
			return 0;
	return 1;
}

/* The "Family told" line: what the statement's family_notice says, never
 * more (a notice queued, held or given up on is not "told"). A statement
 * without one predates it and states nothing. */
static void
sb_told(struct sbuf *b, const json_t *body)
{
	const json_t	*n = json_object_get(body, "family_notice");
	const json_t	*e = notice_entry(body);
	const char	*st = str_member(n, "state");
	long long	 seq = (long long)json_integer_value(json_object_get(e, "seq"));

	sb_printf(b, "\nFamily told       ");
	if (n == NULL)
		sb_printf(b, "not stated (this statement was issued before statements recorded "
		    "the family's notice)\n");
	else if (st != NULL && strcmp(st, "sent") == 0 && e != NULL)
		sb_printf(b, "yes: the family's notice was sent on %s (ledger #%lld, below)\n",
		    pm(n, "at"), seq);
	else if (st != NULL && strcmp(st, "failed") == 0 && e != NULL)
		sb_printf(b, "no: the family's notice could not be sent, given up on %s (%s; "
		    "ledger #%lld, below)\n", pm(n, "at"), pm(e, "reason"), seq);
	else if (st != NULL && strcmp(st, "queued") == 0)
		sb_printf(b, "not yet: the family's notice is queued and has not been sent\n");
	else if (st != NULL && strcmp(st, "held") == 0)
		sb_printf(b, "no: held at the requester's request (do_not_notify) until lifted\n");
	else if (st != NULL && strcmp(st, "none") == 0)
		sb_printf(b, "no: no notice was made (no one left to address)\n");
	else
		sb_printf(b, "not stated (the notice's state is not one the gateway makes)\n");
}

/* The page for doc (statement_text), from its scrubbed copy. */
static char *
page(const json_t *doc, size_t *len)
{
	struct sbuf	 b = { 0 };
	const json_t	*body = json_object_get(doc, "statement");
	const json_t	*req = json_object_get(body, "request");
	const json_t	*proofs = json_object_get(doc, "proofs");
	const json_t	*cp = json_object_get(doc, "checkpoint");
	const json_t	*issue = json_object_get(doc, "issue");
	const json_t	*item, *content, *v;
	const char	*key, *note, *l, *nl;
	size_t		 i;

	if (!json_is_object(body) || !json_is_object(req) || !json_is_object(cp) ||
	    !json_is_object(issue))
		return NULL;
	sb_printf(&b,
	    "WITNESS STATEMENT\n"
	    "Families Together: records held by the sharing gateway, supplied in answer\n"
	    "to a formal request, drawn from its dated and signed ledger.\n\n");
	sb_printf(&b, "Request           %s\n", pm(req, "request_id"));
	sb_printf(&b, "Requesting agency %s (%s, %s)\n", pm(req, "requester_name"),
	    pm(req, "requester"), pm(req, "requester_kind"));
	sb_printf(&b, "Filed by          %s on %s\n", pm(req, "filed_by"), pm(req, "filed_at"));
	sb_printf(&b, "Legal basis       %s\n", pm(req, "legal_basis"));
	sb_printf(&b, "                  %s\n", pm(req, "legal_basis_text"));
	sb_printf(&b, "Reference         %s\n", pm(req, "reference"));
	sb_printf(&b, "Family            %s (ledger pseudonym %s)\n", pm(req, "family_id"),
	    pm(req, "family_pseudonym"));
	sb_printf(&b, "Period            %s to %s\n",
	    pm(json_object_get(req, "period"), "from"), pm(json_object_get(req, "period"), "to"));
	sb_printf(&b, "Fields requested  ");
	sb_list(&b, json_object_get(req, "fields"));
	sb_printf(&b, "\nRecord kinds      ");
	sb_list(&b, json_object_get(req, "record_kinds"));
	sb_told(&b, body);
	sb_entry(&b, json_object_get(req, "ledger"), proofs, "  ");

	sb_printf(&b, "\nAPPROVED BY THE TRUSTEES (quorum %lld of distinct trustees)\n",
	    (long long)json_integer_value(json_object_get(req, "quorum")));
	json_array_foreach(json_object_get(body, "approvals"), i, item) {
		sb_printf(&b, "%2zu. %s, approved on %s\n", i + 1, pm(item, "trustee"),
		    pm(item, "decided_at"));
		sb_entry(&b, json_object_get(item, "ledger"), proofs, "    ");
	}

	if (notice_entry(body) != NULL) {
		sb_printf(&b, "\nTHE FAMILY'S NOTICE (%s)\n",
		    pm(json_object_get(body, "family_notice"), "state"));
		sb_entry(&b, notice_entry(body), proofs, "  ");
	}

	sb_printf(&b, "\nRECORDS (%zu)\n", json_array_size(json_object_get(body, "records")));
	if (json_array_size(json_object_get(body, "records")) == 0)
		sb_printf(&b, "    No record of this family within the period.\n");
	json_array_foreach(json_object_get(body, "records"), i, item) {
		const json_t	*e = json_object_get(item, "ledger");
		const json_t	*sum = json_object_get(item, "summary");

		sb_printf(&b, "\n%2zu. %s %s\n", i + 1, pm(item, "kind"), pm(item, "record_id"));
		sb_printf(&b, "    Date              %s\n", pm(item, "date"));
		json_object_foreach((json_t *)sum, key, v) {
			if (json_is_null(v))
				continue;
			sb_printf(&b, "    %-17s ", key);
			sb_value(&b, v);
			sb_printf(&b, "\n");
		}
		content = json_object_get(item, "content");
		if (json_is_null(content))
			sb_printf(&b, "    Content           (erased: the family's data key was "
			    "destroyed)\n");
		else {
			sb_printf(&b, "    Content           %s\n", json_object_size(content) > 0 ?
			    "(the fields requested, as recorded)" :
			    json_array_size(json_object_get(item, "fields")) == 0 ?
			    "(no field values: the summary above is the record)" :
			    "(none of the fields requested)");
			json_object_foreach((json_t *)content, key, v) {
				sb_printf(&b, "      %-24s ", key);
				sb_value(&b, v);
				sb_printf(&b, "\n");
			}
		}
		sb_entry(&b, e, proofs, "    ");
	}

	sb_printf(&b, "\nISSUE OF THIS STATEMENT\n");
	sb_printf(&b, "Issued to         %s\n", pm(body, "issued_to"));
	sb_printf(&b, "Statement digest  sha256:%s (of the statement's JSON body)\n",
	    pm(issue, "record_digest"));
	sb_entry(&b, issue, proofs, "  ");

	sb_printf(&b, "\nSIGNED CHECKPOINT (tree size %lld, origin %s)\n",
	    (long long)json_integer_value(json_object_get(cp, "tree_size")), pm(cp, "origin"));
	note = str_member(cp, "note");
	if (note != NULL && !note_printable(note, json_string_length(json_object_get(cp,
	    "note")))) {
		sb_printf(&b, "  (the checkpoint's note is malformed: not printed)\n");
		note = NULL;
	}
	for (l = note ? note : ""; *l != '\0'; l = nl + 1) {
		if ((nl = strchr(l, '\n')) == NULL)
			nl = l + strlen(l);
		sb_printf(&b, "  | %.*s\n", (int)(nl - l), l);
		if (*nl == '\0')
			break;
	}
	sb_printf(&b, "Verifier key      %s\n", pm(doc, "verifier_key"));
	sb_printf(&b,
	    "\nEvery record above is an entry of the gateway's append-only ledger; each\n"
	    "inclusion proof leads from the entry's leaf hash to the root signed in the\n"
	    "checkpoint. To check this statement offline, from its JSON form:\n"
	    "  gatewayctl statement verify STATEMENT.json --key ledger.pub\n");
	sb_printf(&b,
	    "\nI confirm that the records above are true copies of the records held by\n"
	    "Families Together, supplied in answer to the request named above.\n\n"
	    "Signed ______________________________   Name ______________________________\n\n"
	    "Position ____________________________   Date ______________\n");
	if (b.failed) {
		wipe_free(b.s);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.s;
}

/*
 * The page is printed from a copy of doc whose every string and object key
 * is scrubbed of what could break or reorder its lines (unprintable), except
 * the signed checkpoint's note, whose lines the gateway made and prints each
 * behind "  | ", and only when it holds nothing unprintable but its line
 * feeds (note_printable). The page may be of a file nobody verified
 * (gatewayctl statement text), so nothing in it can take the look of the
 * page's own lines. The JSON form (what verifies) is untouched.
 */
char *
statement_text(const json_t *doc, size_t *len)
{
	json_t		*clean;
	const json_t	*note;
	char		*out = NULL;

	if ((clean = json_deep_copy(doc)) == NULL)
		return NULL;
	note = json_object_get(json_object_get(doc, "checkpoint"), "note");
	if (scrub(clean) == 0 && (note == NULL || json_object_set(json_object_get(clean,
	    "checkpoint"), "note", (json_t *)note) == 0))
		out = page(clean, len);
	json_decref(clean);
	return out;
}

/* ---- verification ---- */

struct verifier {
	statement_msg_fn		 msg;
	void				*arg;
	struct statement_report		*rep;
	const json_t			*proofs;	/* array, ascending by seq */
	unsigned char			*proof_used;
	uint64_t			 size;
	unsigned char			 root[32];
	int				 have_root;
};

static void failf(struct verifier *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
failf(struct verifier *v, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	v->rep->failures++;
	if (v->msg == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	v->msg(v->arg, buf);
}

/* The proof object for seq, or NULL (marks it used). */
static const json_t *
find_proof(struct verifier *v, int64_t seq)
{
	size_t		 lo = 0, hi = json_array_size(v->proofs), mid;
	const json_t	*p;
	json_int_t	 s;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		p = json_array_get(v->proofs, mid);
		s = json_integer_value(json_object_get(p, "seq"));
		if (s == seq) {
			v->proof_used[mid] = 1;
			return p;
		}
		if (s < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Checks one entry: leaf recomputed, proof into the signed root. Fills r
 * (borrowing from e). 0 when it verified, 1 when not (reported), -1 on an
 * internal error. */
static int
check_entry(struct verifier *v, const json_t *e, const char *what, struct ledger_record *r,
    unsigned char digest[32])
{
	unsigned char		 leaf[32], mine[32];
	merkle_hash		 proof[MERKLE_MAX_PROOF];
	const json_t		*p, *hashes, *h;
	const char		*why;
	size_t			 i, n;
	int			 rc;

	v->rep->entries++;
	if (statement_entry_parse(e, r, digest, leaf, &why) != 0) {
		failf(v, "%s: ledger entry malformed: %s", what, why);
		return 1;
	}
	if (!ledger_entry_valid(&r->e)) {
		failf(v, "%s: ledger entry #%lld has a field the ledger would refuse", what,
		    (long long)r->seq);
		return 1;
	}
	if (ledger_leaf_hash(NULL, r, mine) != 0)
		return -1;
	if (memcmp(mine, leaf, 32) != 0) {
		failf(v, "%s: ledger entry #%lld does not hash to its leaf_hash "
		    "(a field of the entry was changed)", what, (long long)r->seq);
		return 1;
	}
	if (!v->have_root)
		return 1;	/* already reported: no trusted root */
	if ((uint64_t)r->seq > v->size) {
		failf(v, "%s: ledger entry #%lld is past the checkpoint (tree size %llu)", what,
		    (long long)r->seq, (unsigned long long)v->size);
		return 1;
	}
	if ((p = find_proof(v, r->seq)) == NULL) {
		failf(v, "%s: no inclusion proof for ledger entry #%lld", what, (long long)r->seq);
		return 1;
	}
	hashes = json_object_get(p, "hashes");
	n = json_array_size(hashes);
	if (n > MERKLE_MAX_PROOF) {
		failf(v, "%s: inclusion proof for #%lld is too long", what, (long long)r->seq);
		return 1;
	}
	json_array_foreach(hashes, i, h) {
		if (hex_decode(json_string_value(h), proof[i], 32) != 0) {
			failf(v, "%s: inclusion proof for #%lld has a malformed hash", what,
			    (long long)r->seq);
			return 1;
		}
	}
	rc = merkle_verify_inclusion((uint64_t)r->seq - 1, v->size, leaf,
	    (const merkle_hash *)proof, n, v->root);
	if (rc < 0)
		return -1;
	if (rc != 0) {
		failf(v, "%s: inclusion proof for ledger entry #%lld does not lead to the signed "
		    "root", what, (long long)r->seq);
		return 1;
	}
	v->rep->entries_ok++;
	return 0;
}

/* The proofs array: objects {seq, hashes[]} exactly, strictly ascending. */
static int
check_proofs_shape(struct verifier *v, const json_t *proofs)
{
	const json_t	*p, *s;
	json_int_t	 last = 0;
	size_t		 i;

	if (!json_is_array(proofs)) {
		failf(v, "proofs: not a list");
		return 1;
	}
	json_array_foreach(proofs, i, p) {
		s = json_object_get(p, "seq");
		if (!json_is_object(p) || json_object_size(p) != 2 || !json_is_integer(s) ||
		    json_integer_value(s) <= last || !json_is_array(json_object_get(p, "hashes"))) {
			failf(v, "proofs[%zu]: not {seq, hashes} in ascending seq order", i);
			return 1;
		}
		last = json_integer_value(s);
	}
	return 0;
}

/* The checkpoint: signature with the key, members equal to the note. */
static void
check_checkpoint(struct verifier *v, const json_t *cpj, const EVP_PKEY *key)
{
	struct checkpoint	 cp;
	const char		*note = str_member(cpj, "note");
	const json_t		*ts = json_object_get(cpj, "tree_size");
	char			 root[45];
	size_t			 textlen;
	int			 rc;

	if (!json_is_object(cpj) || json_object_size(cpj) != 4 || note == NULL ||
	    note_checkpoint(note, &cp) != 0) {
		failf(v, "checkpoint: not a signed checkpoint note");
		return;
	}
	snprintf(v->rep->origin, sizeof(v->rep->origin), "%s", cp.origin);
	rc = key ? note_verify(note, strlen(note), cp.origin, key, &textlen) : 1;
	if (rc != 0) {
		failf(v, "checkpoint: the signature does not verify with the key (%s)",
		    rc < 0 ? "malformed note" : "wrong key or changed note");
		return;
	}
	note_b64_encode(cp.root, 32, root);
	if (!json_is_integer(ts) || (uint64_t)json_integer_value(ts) != cp.size ||
	    json_integer_value(ts) < 1 ||
	    str_member(cpj, "origin") == NULL || strcmp(str_member(cpj, "origin"), cp.origin) ||
	    str_member(cpj, "root") == NULL || strcmp(str_member(cpj, "root"), root)) {
		failf(v, "checkpoint: origin, tree_size or root differ from the signed note");
		return;
	}
	v->size = cp.size;
	memcpy(v->root, cp.root, 32);
	v->have_root = 1;
	v->rep->tree_size = cp.size;
}

/* The embedded key: well-formed, in its canonical PEM, the verifier key
 * matching, and equal to the caller's key when one is given. Returns the
 * key to verify with (embedded: caller frees *owned). */
static const EVP_PKEY *
check_key(struct verifier *v, const json_t *doc, const EVP_PKEY *given, const char *origin,
    EVP_PKEY **owned)
{
	const char	*pem = str_member(doc, "public_key");
	const char	*vk = str_member(doc, "verifier_key");
	BIO		*bio;
	EVP_PKEY	*k = NULL;
	char		*again = NULL, *vkey = NULL;
	int		 ok = 0;

	*owned = NULL;
	if (pem != NULL && vk != NULL && (bio = BIO_new_mem_buf(pem, -1)) != NULL) {
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
	if (k != NULL && EVP_PKEY_get_id(k) == EVP_PKEY_ED25519 &&
	    (again = pub_pem(k)) != NULL && strcmp(again, pem) == 0 &&
	    (vkey = note_vkey(origin, k)) != NULL && strcmp(vkey, vk) == 0)
		ok = 1;
	free(again);
	free(vkey);
	if (!ok) {
		failf(v, "public_key: not the canonical PEM of an Ed25519 key matching "
		    "verifier_key");
		EVP_PKEY_free(k);
		return given;
	}
	if (given != NULL) {
		if (EVP_PKEY_eq(k, given) != 1)
			failf(v, "public_key: the embedded key is not the key given");
		EVP_PKEY_free(k);
		return given;
	}
	*owned = k;
	return k;
}

/*
 * The family notice (absent from statements issued before it was added):
 * "sent" and "failed" each rest on the system's entry of that sending or
 * giving up, about this request and this family, dated as the entry is;
 * the other states cite no entry, and "held" is only under do_not_notify.
 * 0, or -1 on an internal error (failures reported).
 */
static int
check_notice(struct verifier *v, const json_t *body, const char *rid, const char *pseud)
{
	const json_t		*n = json_object_get(body, "family_notice"), *at, *e;
	const char		*st, *want = NULL;
	struct ledger_record	 r;
	unsigned char		 dig[32];
	int			 rc;

	if (n == NULL)
		return 0;
	st = str_member(n, "state");
	at = json_object_get(n, "at");
	e = json_object_get(n, "ledger");
	if (!json_is_object(n) || json_object_size(n) != 3 || st == NULL || at == NULL ||
	    e == NULL) {
		failf(v, "family_notice: not {state, at, ledger}");
		return 0;
	}
	if (strcmp(st, "sent") == 0)
		want = "notification.sent";
	else if (strcmp(st, "failed") == 0)
		want = "notification.failed";
	else if (strcmp(st, "queued") != 0 && strcmp(st, "held") != 0 &&
	    strcmp(st, "none") != 0) {
		failf(v, "family_notice: state is not sent, failed, queued, held or none");
		if (!json_is_null(e) && check_entry(v, e, "family_notice", &r, dig) < 0)
			return -1;	/* its proof is used, not reported twice */
		return 0;
	}
	if (want == NULL) {
		if (!json_is_null(e) || !json_is_null(at))
			failf(v, "family_notice: a %s notice cites no entry and no time", st);
		if (strcmp(st, "held") == 0 &&
		    !json_is_true(json_object_get(json_object_get(body, "request"),
		    "do_not_notify")))
			failf(v, "family_notice: held, but the request did not ask for "
			    "do_not_notify");
		if (!json_is_null(e) && check_entry(v, e, "family_notice", &r, dig) < 0)
			return -1;
		return 0;
	}
	if (json_is_null(e)) {
		failf(v, "family_notice: %s with no ledger entry", st);
		return 0;
	}
	if ((rc = check_entry(v, e, "family_notice", &r, dig)) != 0)
		return rc < 0 ? -1 : 0;
	if (strcmp(r.e.action, want) != 0 || strcmp(r.e.actor, "system") != 0 ||
	    r.e.object_id == NULL || strcmp(r.e.object_id, rid) != 0 ||
	    r.e.family_pseudonym == NULL || strcmp(r.e.family_pseudonym, pseud) != 0 ||
	    !json_is_string(at) || strcmp(json_string_value(at), str_member(e, "time")) != 0)
		failf(v, "family_notice: entry #%lld is not the %s of this request's notice "
		    "at that time", (long long)r.seq, st);
	return 0;
}

/* Each body part tied to its proven entry. */
static int
check_body(struct verifier *v, const json_t *body, const struct ledger_record *issue)
{
	const json_t		*req = json_object_get(body, "request"), *item, *list, *q;
	const char		*rid, *pseud, *requester, *filed_by, *issued_to;
	struct ledger_record	 r;
	struct quorum_decision	*d = NULL;
	struct quorum_config	 qc;
	struct quorum_request	 qr;
	struct quorum_result	 qres;
	unsigned char		 dig[32];
	char			 what[64];
	size_t			 i;
	int			 rc;

	rid = str_member(req, "request_id");
	pseud = str_member(req, "family_pseudonym");
	requester = str_member(req, "requester");
	filed_by = str_member(req, "filed_by");
	issued_to = str_member(body, "issued_to");
	q = json_object_get(req, "quorum");
	if (rid == NULL || pseud == NULL || requester == NULL || filed_by == NULL ||
	    issued_to == NULL || !json_is_integer(q) || json_integer_value(q) < 1 ||
	    json_integer_value(q) > 1000) {
		failf(v, "statement: request_id, family_pseudonym, requester, filed_by, "
		    "quorum or issued_to missing");
		return 1;
	}
	snprintf(v->rep->request_id, sizeof(v->rep->request_id), "%s", rid);

	/* The issue entry: this statement, issued to issued_to. */
	if (issue->seq != 0 && (strcmp(issue->e.action, "request.statement_issued") != 0 ||
	    issue->e.object_id == NULL || strcmp(issue->e.object_id, rid) != 0 ||
	    strcmp(issue->e.actor, issued_to) != 0 || issue->e.family_pseudonym == NULL ||
	    strcmp(issue->e.family_pseudonym, pseud) != 0))
		failf(v, "issue: entry #%lld is not the issue of this statement to %s",
		    (long long)issue->seq, issued_to);

	/* The filing. */
	if ((rc = check_entry(v, json_object_get(req, "ledger"), "request", &r, dig)) < 0)
		return -1;
	if (rc == 0 && (strcmp(r.e.action, "request.filed") != 0 || r.e.object_id == NULL ||
	    strcmp(r.e.object_id, rid) != 0 || r.e.family_pseudonym == NULL ||
	    strcmp(r.e.family_pseudonym, pseud) != 0 || strcmp(r.e.actor, filed_by) != 0))
		failf(v, "request: entry #%lld is not the filing of %s", (long long)r.seq, rid);

	/* The approvals, and the quorum they reach. */
	list = json_object_get(body, "approvals");
	if ((d = calloc(json_array_size(list) + 1, sizeof(*d))) == NULL)
		return -1;
	json_array_foreach(list, i, item) {
		const char *trustee = str_member(item, "trustee");
		const char *at = str_member(item, "decided_at");

		snprintf(what, sizeof(what), "approvals[%zu]", i);
		v->rep->approvals++;
		if ((rc = check_entry(v, json_object_get(item, "ledger"), what, &r, dig)) < 0) {
			free(d);
			return -1;
		}
		if (rc != 0)
			continue;
		if (trustee == NULL || at == NULL || strcmp(r.e.action, "request.approved") != 0 ||
		    r.e.object_id == NULL || strcmp(r.e.object_id, rid) != 0 ||
		    strcmp(r.e.actor, trustee) != 0 || strcmp(json_string_value(
		    json_object_get(json_object_get(item, "ledger"), "time")), at) != 0) {
			failf(v, "%s: entry #%lld is not this trustee's approval of %s", what,
			    (long long)r.seq, rid);
			continue;
		}
		d[i].trustee = trustee;
		d[i].vote = QUORUM_APPROVE;
		d[i].at_us = r.time_us;
	}
	qc.required = (unsigned)json_integer_value(q);
	qc.refusal_ends = 1;
	qr.requester = requester;
	qr.filed_by = filed_by;
	{
		/* Only the approvals that verified count. */
		size_t	k = 0, j;

		for (j = 0; j < json_array_size(list); j++)
			if (d[j].trustee != NULL)
				d[k++] = d[j];
		quorum_state(&qc, &qr, d, k, &qres);
	}
	free(d);
	if (qres.state != QUORUM_APPROVED)
		failf(v, "approvals: %u of the %u distinct trustee approvals needed verified",
		    qres.approvals, qres.required);

	/* The records. */
	list = json_object_get(body, "records");
	json_array_foreach(list, i, item) {
		const char *recid = str_member(item, "record_id");
		const char *date = str_member(item, "date");

		snprintf(what, sizeof(what), "records[%zu]", i);
		v->rep->records++;
		if ((rc = check_entry(v, json_object_get(item, "ledger"), what, &r, dig)) < 0)
			return -1;
		if (rc != 0)
			continue;
		if (recid == NULL || date == NULL || r.e.object_id == NULL ||
		    strcmp(r.e.object_id, recid) != 0 || r.e.family_pseudonym == NULL ||
		    strcmp(r.e.family_pseudonym, pseud) != 0 ||
		    strcmp(json_string_value(json_object_get(json_object_get(item, "ledger"),
		    "time")), date) != 0)
			failf(v, "%s: entry #%lld is not the record %s of this family on that date",
			    what, (long long)r.seq, recid ? recid : "(none)");
	}
	return check_notice(v, body, rid, pseud);
}

int
statement_verify(const char *buf, size_t len, const EVP_PKEY *key, statement_msg_fn msg,
    void *arg, struct statement_report *rep)
{
	struct verifier		 v = { .msg = msg, .arg = arg, .rep = rep };
	struct ledger_record	 issue;
	const json_t		*body, *cpj;
	json_t			*doc = NULL;
	json_error_t		 jerr;
	EVP_PKEY		*owned = NULL;
	const EVP_PKEY		*k;
	unsigned char		 dig[32], want[32];
	char			*canon = NULL;
	size_t			 clen, i;
	int			 rc, ret = -1;

	memset(rep, 0, sizeof(*rep));
	rep->key_given = key != NULL;
	doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		failf(&v, "not a JSON document (line %d: %s)", jerr.line, jerr.text);
		ret = 1;
		goto out;
	}
	if ((canon = statement_dump(doc, &clen)) == NULL)
		goto out;
	if (clen != len || memcmp(canon, buf, len) != 0) {
		for (i = 0; i < len && i < clen && canon[i] == buf[i]; i++)
			;
		failf(&v, "the file is not in the statement's canonical form from byte %zu "
		    "(it was changed or re-formatted)", i);
	}
	if (json_object_size(doc) != 7 || str_member(doc, "format") == NULL ||
	    strcmp(str_member(doc, "format"), STATEMENT_FORMAT) != 0) {
		failf(&v, "not a %s document (members or format differ)", STATEMENT_FORMAT);
		ret = 1;
		goto out;
	}
	body = json_object_get(doc, "statement");
	cpj = json_object_get(doc, "checkpoint");
	if (!json_is_object(body)) {
		failf(&v, "statement: missing");
		ret = 1;
		goto out;
	}
	/* The key first (its origin comes from the note's text). */
	{
		struct checkpoint	cp;
		const char		*note = str_member(cpj, "note");

		if (note == NULL || note_checkpoint(note, &cp) != 0)
			snprintf(cp.origin, sizeof(cp.origin), "-");
		k = check_key(&v, doc, key, cp.origin, &owned);
	}
	check_checkpoint(&v, cpj, k);
	v.proofs = json_object_get(doc, "proofs");
	if (check_proofs_shape(&v, v.proofs) != 0) {
		ret = 1;
		goto out;
	}
	if ((v.proof_used = calloc(json_array_size(v.proofs) + 1, 1)) == NULL)
		goto out;

	/* The issue entry binds the body. */
	if ((rc = check_entry(&v, json_object_get(doc, "issue"), "issue", &issue, want)) < 0)
		goto out;
	if (rc == 0) {
		if (statement_body_digest(body, dig) != 0)
			goto out;
		if (issue.e.record_digest == NULL || memcmp(dig, want, 32) != 0)
			failf(&v, "statement: its digest is not the one recorded in ledger entry "
			    "#%lld (the statement was changed)", (long long)issue.seq);
	} else {
		/* Report what else is wrong, against an issue that binds nothing. */
		memset(&issue, 0, sizeof(issue));
		issue.e.actor = issue.e.actor_role = issue.e.action = "";
	}
	if (check_body(&v, body, &issue) < 0)
		goto out;
	for (i = 0; i < json_array_size(v.proofs); i++)
		if (!v.proof_used[i] && v.have_root)
			failf(&v, "proofs[%zu]: proves no entry of the statement", i);
	ret = rep->failures == 0 ? 0 : 1;
out:
	if (ret == -1 && msg != NULL)
		msg(arg, "internal error while verifying");
	free(v.proof_used);
	free(canon);
	EVP_PKEY_free(owned);
	json_decref(doc);
	return ret;
}
