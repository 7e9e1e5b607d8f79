/*
 * witness.c: the witness statement of an approved police or court request
 * (DESIGN.md, issue 6), drawn up "from actual dated and signed records"
 * (policy §3.2). Owns gathering it from the store and the ledger: the
 * request and its trustees' decisions, the quorum counted again from them,
 * the family's disclosures and consents of the period up to the quorum,
 * the family's notice; then the issue (a "request.statement_issued" entry
 * binding the body's digest, in a writer job), the signed checkpoint that
 * covers it, the inclusion proof of every entry cited, and the document
 * (statement.c, which owns its form and offline verification and does no
 * I/O). Who may ask, when, and the HTTP answer are requests_api.c's.
 *
 * Nothing is taken from a stored row on trust. The ledger's rows, their
 * leaf_hash column too, can be edited behind the gateway's back (the
 * append-only trigger guards against mistakes only), and a statement
 * vouches for what it cites: so every ledger row used is recomputed into
 * its leaf and compared with the leaf the signed tree holds at its
 * sequence number (signed_entries, entry_signed), the family's entries
 * are found by the run of sequence numbers the period covers, never by
 * the columns that name the family or the time (period_records), and each
 * record's row (request, decision, disclosure, consent, notice) must be
 * what the digest of its signed entry says it was (the request's and its
 * decisions' checked by request_signed.c, a disclosure's and a consent's
 * by disclosure_signed.c and consent_signed.c, as every other reader of
 * them does). A row that differs
 * issues nothing (WITNESS_INTEGRITY, the row and entry named in the log).
 * The longer arguments stand with the code they explain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "consent_signed.h"
#include "decide.h"
#include "disclosure_signed.h"
#include "gateway.h"
#include "hex.h"
#include "hold_signed.h"
#include "ledger.h"
#include "log.h"
#include "principal.h"
#include "profiles.h"
#include "quorum.h"
#include "request_signed.h"
#include "statement.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "witness.h"
#include "writer.h"

#define CHECKPOINT_WAIT_MS	5000

/* ---- entries as the ledger signed them ---- */

struct entry_copy {
	struct ledger_record	 r;
	unsigned char		 digest[32], leaf[32];
	int			 has_digest;
	char			*strs;		/* owns r.e's strings */
};

static int
copy_entry(const struct ledger_record *r, const unsigned char *leaf, struct entry_copy *out)
{
	const char	*src[6] = { r->e.actor, r->e.actor_role, r->e.action,
			    r->e.family_pseudonym, r->e.object_id, r->e.reason };
	const char	**dst[6] = { &out->r.e.actor, &out->r.e.actor_role, &out->r.e.action,
			    &out->r.e.family_pseudonym, &out->r.e.object_id, &out->r.e.reason };
	size_t		 total = 0, n;
	char		*p;
	int		 i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 6; i++)
		total += src[i] ? strlen(src[i]) + 1 : 0;
	if ((out->strs = p = malloc(total + 1)) == NULL)
		return -1;
	for (i = 0; i < 6; i++) {
		if (src[i] == NULL)
			continue;
		n = strlen(src[i]) + 1;
		memcpy(p, src[i], n);
		*dst[i] = p;
		p += n;
	}
	out->r.seq = r->seq;
	out->r.time_us = r->time_us;
	if (r->e.record_digest != NULL) {
		memcpy(out->digest, r->e.record_digest, 32);
		out->r.e.record_digest = out->digest;
	}
	if (leaf != NULL)
		memcpy(out->leaf, leaf, 32);
	return 0;
}

/*
 * The statement reads the ledger's rows as the ledger signed them: every
 * row it uses is recomputed into its leaf (ledger_leaf_hash) and compared
 * with the leaf the signed tree holds at that sequence number, not taken
 * from the row (its columns, leaf_hash too, can be edited behind the
 * gateway's back; the append-only trigger guards against mistakes only).
 */
struct signed_scan {
	struct ledger		*l;
	struct merkle_hasher	*hs;
	int64_t			 next, to;	/* seq expected next; the last */
	int64_t			 tree_first;	/* seq of tree[0] */
	size_t			 tree_n;
	merkle_hash		 tree[MERKLE_BLOCK];
	int64_t			 bad_seq;	/* a row missing or not as signed */
	int			 stopped;	/* by fn */
	store_ledger_entry_fn	 fn;
	void			*arg;
};

static int
signed_row(const struct ledger_record *r, const unsigned char *stored_leaf, void *arg)
{
	struct signed_scan	*s = arg;
	merkle_hash		 h;
	size_t			 n;
	int			 rc;

	(void)stored_leaf;	/* a column like the others */
	if (r->seq != s->next) {
		s->bad_seq = s->next;	/* a row deleted, or its seq changed */
		return -1;
	}
	if (s->tree_n == 0 || r->seq >= s->tree_first + (int64_t)s->tree_n) {
		n = s->to - r->seq + 1 < MERKLE_BLOCK ? (size_t)(s->to - r->seq + 1) :
		    MERKLE_BLOCK;
		if ((rc = ledger_leaves(s->l, r->seq, n, s->tree)) != 0) {
			if (rc == 1)
				s->bad_seq = r->seq;	/* no such entry signed */
			return -1;
		}
		s->tree_first = r->seq;
		s->tree_n = n;
	}
	if (ledger_leaf_hash(s->hs, r, h) != 0)
		return -1;
	if (CRYPTO_memcmp(h, s->tree[r->seq - s->tree_first], 32) != 0) {
		s->bad_seq = r->seq;
		return -1;
	}
	s->next++;
	if ((rc = s->fn(r, h, s->arg)) > 0)
		s->stopped = 1;
	return rc;
}

/* Calls fn for the entries from .. to (all in the tree), each checked
 * against the signed tree and given with its leaf hash; fn returns 0 to go
 * on, 1 to stop, -1 to fail. 0 ok; 1 an entry is missing or differs from
 * what the ledger signed (its seq in *bad_seq); -1 error. */
static int
signed_entries(struct ledger *l, struct store_conn *c, int64_t from, int64_t to,
    store_ledger_entry_fn fn, void *arg, int64_t *bad_seq)
{
	struct signed_scan	*s;
	int			 rc;

	*bad_seq = 0;
	if (from < 1 || to < from)
		return 0;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	if ((s->hs = merkle_hasher_new()) == NULL) {
		free(s);
		return -1;
	}
	s->l = l;
	s->next = from;
	s->to = to;
	s->fn = fn;
	s->arg = arg;
	rc = store_ledger_entries(c, from, to, signed_row, s);
	if (rc == 0 && !s->stopped && s->next != to + 1)
		s->bad_seq = s->next;	/* rows missing at the end */
	*bad_seq = s->bad_seq;
	if (s->bad_seq != 0)
		rc = 1;
	merkle_hasher_free(s->hs);
	free(s);
	return rc;
}

/* Whether one row is the entry the tree signed at its seq: 1 yes, 0 no
 * (or no such entry signed), -1 error. */
static int
entry_signed(struct ledger *l, struct merkle_hasher *hs, const struct ledger_record *r)
{
	merkle_hash	h, signed_leaf;
	int		rc;

	if ((rc = ledger_leaves(l, r->seq, 1, &signed_leaf)) != 0)
		return rc == 1 ? 0 : -1;
	if (ledger_leaf_hash(hs, r, h) != 0)
		return -1;
	return CRYPTO_memcmp(h, signed_leaf, 32) == 0;
}

static int
one_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	if (leaf == NULL)
		return -1;
	return copy_entry(r, leaf, arg) == 0 ? 1 : -1;
}

/* The entry at seq as statement JSON, as the tree signed it, or NULL. */
static json_t *
entry_at(struct ledger *l, struct store_conn *c, int64_t seq)
{
	struct entry_copy	e;
	json_t			*j;
	int64_t			bad;

	memset(&e, 0, sizeof(e));
	if (signed_entries(l, c, seq, seq, one_entry, &e, &bad) != 0 || e.strs == NULL) {
		free(e.strs);
		return NULL;
	}
	j = statement_entry_json(&e.r, e.leaf);
	free(e.strs);
	return j;
}

/* ---- the family's records of the period ---- */

struct records_ctx {
	struct gateway		*gw;
	struct store_conn	*c;
	const struct request_row *rq;
	json_t			*fields;	/* requested */
	int			 disclosures, consents;
	int64_t			 to_us;		/* the statement's last moment:
					   the quorum, or the period's end
					   (set by period_records) */
	json_t			*records;
	int			 failed;	/* 2: too many records; 3: a record
					   differs from what the ledger signed */
};

/* A disclosure as a record: its summary and the requested fields it carried. */
static json_t *
disclosure_record(struct records_ctx *x, const struct ledger_record *r, const unsigned char *leaf)
{
	struct disclosure_row	*d = NULL;
	json_t			*content = NULL, *data = NULL, *names, *rec = NULL, *f;
	json_t			*carried = NULL;
	char			*pt = NULL, t[32];
	int			 erased = 0;
	size_t			 i;

	if (r->e.object_id == NULL || store_disclosure_get(x->c, r->e.object_id, &d) != 0)
		return NULL;
	/* Drawn from the signed record only: the row must still be what its
	 * ledger entry, the one cited here, signed (disclosure_signed.c, the
	 * check every other reader of a disclosure makes). */
	{
		int	v;

		if ((v = disclosure_signed(x->gw->ledger, x->c, d)) == -1) {
			store_disclosure_free(d);
			return NULL;
		}
		if (v != 0 || d->ledger_seq != r->seq) {
			log_errx("request %s: disclosure %s does not match the digest of ledger "
			    "entry #%lld: no statement is issued", x->rq->id, d->id,
			    (long long)r->seq);
			x->failed = 3;
			store_disclosure_free(d);
			return NULL;
		}
	}
	if (strcmp(d->decision, "allowed") != 0) {
		store_disclosure_free(d);
		return json_null();	/* nothing left: not a record of what was shared */
	}
	if (vault_unseal_str(x->gw->vault, x->c, d->family_pseudonym, d->data_ct, d->data_ctlen,
	    &pt, &erased) != 0)
		goto out;
	if (pt != NULL && (data = json_loads(pt, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		goto out;
	if ((carried = json_loads(d->disclosed_fields, 0, NULL)) == NULL)
		goto out;
	names = json_array();
	content = erased ? json_null() : json_object();
	json_array_foreach(x->fields, i, f) {
		const char	*name = json_string_value(f);
		json_t		*v, *g;
		size_t		 k;
		int		 found = 0;

		/* Only what was asked, and only what this disclosure carried. */
		json_array_foreach(carried, k, g)
			found |= json_equal(f, g);
		if (!found)
			continue;
		if (erased) {
			json_array_append(names, f);
			continue;
		}
		if ((v = json_object_get(data, name)) == NULL)
			continue;
		json_array_append(names, f);
		json_object_set(content, name, v);
	}
	if (json_array_size(names) == 0) {
		json_decref(names);
		json_decref(content);
		rec = json_null();	/* none of the fields asked for */
		goto out;
	}
	rec = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s?, s:s?, s:s?, s:s}, s:o, s:o, s:o}",
	    "kind", "disclosure", "record_id", d->id,
	    "date", store_time_fmt(r->time_us, t),
	    "summary", "agency_id", d->agency_id, "purpose", d->purpose,
	    "article6", d->article6, "article9", d->article9,
	    "override_basis", d->override_basis, "recorded_by", d->actor,
	    "fields", names, "content", content, "ledger", statement_entry_json(r, leaf));
out:
	wipe_free(pt);		/* whole: a value may hold a NUL (wipe.h) */
	json_decref(data);
	json_decref(carried);
	store_disclosure_free(d);
	return rec;
}

/* Whether the consent's row is what its ledger entries signed
 * (consent_signed.h), and is the requested family's. 1 yes, 0 no, -1 a
 * read error. *out gets what the entries said (for the statement's last
 * moment). */
static int
consent_vouched(struct records_ctx *x, const struct consent_row *cr, struct consent_signed *out)
{
	int	rc;

	if (strcmp(cr->family_pseudonym, x->rq->family_pseudonym) != 0)
		return 0;
	if ((rc = consent_signed(x->gw->ledger, x->c, cr, out)) == -1)
		return -1;
	return rc == 0;
}

/* A consent event (recorded, withdrawn) as a record: its summary only. */
static json_t *
consent_record(struct records_ctx *x, const struct ledger_record *r, const unsigned char *leaf)
{
	struct consent_row	cr;
	struct consent_signed	k = { 0 };
	char			t[32], g[32], e[32], w[32], signed_reason[160];
	int			v;

	if (r->e.object_id == NULL || store_consent_get(x->c, r->e.object_id, &cr) != 0)
		return NULL;
	/* The entry signed the consent's agency and purpose in its reason,
	 * and the dates shown are drawn from the signed record only: the row
	 * must still be what each of its ledger entries' digests says it was
	 * when the entry was written. */
	snprintf(signed_reason, sizeof(signed_reason), "agency=%s purpose=%s", cr.agency_id,
	    cr.purpose);
	v = r->e.reason == NULL || strcmp(r->e.reason, signed_reason) != 0 ? 0 :
	    consent_vouched(x, &cr, &k);
	if (v == -1)
		return NULL;
	if (v == 0) {
		log_errx("request %s: consent %s does not match ledger entry #%lld or another "
		    "of its entries: no statement is issued", x->rq->id, cr.id, (long long)r->seq);
		x->failed = 3;
		return NULL;
	}
	/* The statement is as the records stood at its last moment (the
	 * quorum): a withdrawal, or an expiry given to an open-ended consent,
	 * signed after it is not part of it, however often it is fetched. */
	if (k.withdrawn_at > x->to_us)
		cr.withdrawn_us = 0;
	if (k.open_ended && k.limited_at > x->to_us)
		cr.expires_us = 0;
	return json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s?, s:s?}, s:[], s:{}, s:o}",
	    "kind", "consent", "record_id", cr.id, "date", store_time_fmt(r->time_us, t),
	    "summary", "event", strcmp(r->e.action, "consent.withdrawn") == 0 ?
	    "withdrawn" : "recorded", "agency_id", cr.agency_id, "purpose", cr.purpose,
	    "granted_at", store_time_fmt(cr.granted_us, g),
	    "expires_at", cr.expires_us ? store_time_fmt(cr.expires_us, e) : NULL,
	    "withdrawn_at", cr.withdrawn_us ? store_time_fmt(cr.withdrawn_us, w) : NULL,
	    "fields", "content", "ledger", statement_entry_json(r, leaf));
}

/* Whether an entry with this action is a record the statement was asked
 * for: 1 a disclosure, 2 a consent event, 0 neither. */
static int
record_kind(const struct records_ctx *x, const char *action)
{
	if (x->disclosures && strcmp(action, "disclosure.allowed") == 0)
		return 1;
	if (x->consents && (strcmp(action, "consent.recorded") == 0 ||
	    strcmp(action, "consent.withdrawn") == 0))
		return 2;
	return 0;
}

/* Adds the record of entry r (as signed, leaf its leaf) to x->records. 0,
 * or -1 with x->failed set (2 too many records, 3 a record not as signed). */
static int
add_record(struct records_ctx *x, const struct ledger_record *r, const unsigned char *leaf)
{
	json_t	*rec = NULL;

	switch (record_kind(x, r->e.action)) {
	case 1:
		rec = disclosure_record(x, r, leaf);
		break;
	case 2:
		rec = consent_record(x, r, leaf);
		break;
	default:
		return 0;
	}
	if (rec == NULL) {
		if (x->failed != 3)
			log_errx("request %s: record %s of entry #%lld cannot be read", x->rq->id,
			    r->e.object_id ? r->e.object_id : "-", (long long)r->seq);
		return -1;
	}
	if (json_is_null(rec))
		return 0;
	if (json_array_size(x->records) >= WITNESS_MAX_RECORDS) {
		json_decref(rec);
		x->failed = 2;
		return -1;
	}
	return json_array_append_new(x->records, rec) == 0 ? 0 : -1;
}

/*
 * The family's records of the period, found from what the ledger signed.
 * The family_pseudonym and time_us columns of ledger_entries are copies of
 * what each entry's leaf hashes: choosing rows by them (as the index on both
 * invites) let one edited column, the append-only trigger dropped for a
 * moment, leave a record out ("no record of this family within the
 * period", or a record pushed out of the period) in a statement that still
 * verified, each entry it cites being genuine. So:
 *
 * - time_us never decreases with seq (ledger_append), so the period is one
 *   run of sequence numbers; its ends are found by binary search over the
 *   stored times, which may be edited: the search is a guess to be checked;
 * - every row of the run and the row either side of it is read, its leaf
 *   recomputed and compared with the signed tree's (signed_entries): a row
 *   that differs or is missing refuses the statement (409);
 * - the run is complete when the row before it is entry 1 or, as signed,
 *   earlier than the period, and the row after it is the tree's last or, as
 *   signed, later: a guess led astray by an edited time outside the run
 *   fails that and refuses too;
 * - the family and the period are then matched on the checked content.
 *
 * So every entry of the period is read and hashed, whoever it concerns
 * (about a microsecond each, one block of 256 tree leaves read per 256): a
 * statement is rare, after a quorum of trustees, and that is affordable.
 * Entries newer than the tree (committed this instant, the commit hook yet
 * to run) came after the approval that ends the period and are not read.
 *
 * The family's entries of the run are copied (as checked) PERIOD_CHUNK at a
 * time, the scan stopped, and only then each record's row read and checked
 * (disclosure_signed(), consent_signed()): those read ledger entries on the
 * same connection, with the same cached statement as the scan, which they
 * would reset under it. The scan resumes after the last entry read.
 */
#define PERIOD_CHUNK	256

struct period_scan {
	struct records_ctx	*x;
	int64_t			 from_us, to_us;
	int64_t			 first_time, last_time;	/* signed, of the run read */
	int64_t			 last_seq;		/* the last entry read */
	int			 any;
	size_t			 n;			/* copies in chunk */
	struct entry_copy	 chunk[PERIOD_CHUNK];	/* the family's, to add */
};

static int
period_row(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct period_scan	*ps = arg;

	if (leaf == NULL)
		return -1;
	if (!ps->any)
		ps->first_time = r->time_us;
	ps->any = 1;
	ps->last_time = r->time_us;
	ps->last_seq = r->seq;
	if (r->e.family_pseudonym == NULL ||
	    strcmp(r->e.family_pseudonym, ps->x->rq->family_pseudonym) != 0 ||
	    r->time_us < ps->from_us || r->time_us > ps->to_us ||
	    record_kind(ps->x, r->e.action) == 0)
		return 0;
	if (copy_entry(r, leaf, &ps->chunk[ps->n]) != 0)
		return -1;
	return ++ps->n == PERIOD_CHUNK ? 1 : 0;	/* full: stop, add, resume */
}

/* Adds the copies of ps->chunk (add_record) unless add is 0, and frees
 * them. 0, or -1 as add_record. */
static int
period_add(struct period_scan *ps, int add)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < ps->n; i++) {
		if (add && rc == 0)
			rc = add_record(ps->x, &ps->chunk[i].r, ps->chunk[i].leaf);
		free(ps->chunk[i].strs);
	}
	ps->n = 0;
	return rc;
}

/* The first seq in 1 .. n + 1 whose stored time is >= t (after: > t),
 * exact while stored times do not decrease with seq. 0, 1 a row is
 * missing, -1 error. */
static int
seq_by_time(struct store_conn *c, int64_t n, int64_t t, int after, int64_t *seq)
{
	int64_t	lo = 1, hi = n + 1, mid, tm;
	int	rc;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((rc = store_ledger_time(c, mid, &tm)) != 0)
			return rc;
		if (after ? tm > t : tm >= t)
			hi = mid;
		else
			lo = mid + 1;
	}
	*seq = lo;
	return 0;
}

/* Adds the family's records of from_us .. to_us to x->records. 0, or -1
 * with x->failed set as add_record does (3 also when an entry is not as
 * the ledger signed it). */
static int
period_records(struct records_ctx *x, int64_t from_us, int64_t to_us)
{
	struct period_scan	*ps;
	int64_t			 n, tail, tail_time, lo, hi, first, last, from, bad = 0;
	uint64_t		 size = ledger_size(x->gw->ledger);
	int			 rc;

	x->to_us = to_us;
	if (store_ledger_tail(x->c, &tail, &tail_time, NULL) != 0)
		return -1;
	n = (uint64_t)tail < size ? tail : (int64_t)size;
	if (n < 1 || from_us > to_us)
		return 0;
	if ((rc = seq_by_time(x->c, n, from_us, 0, &lo)) != 0 ||
	    (rc = seq_by_time(x->c, n, to_us, 1, &hi)) != 0) {
		if (rc == 1)
			goto missing;
		return -1;
	}
	hi--;		/* the last seq stored within the period */
	first = lo > 1 ? lo - 1 : 1;
	last = hi < n ? hi + 1 : n;
	if (first > last) {	/* times out of order: read between them */
		int64_t	t = first;

		first = last;
		last = t;
	}
	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return -1;
	ps->x = x;
	ps->from_us = from_us;
	ps->to_us = to_us;
	/* first .. last in stretches, each ending where the chunk filled; the
	 * stretch's records are added once its scan is over. */
	for (from = first; ; from = ps->last_seq + 1) {
		rc = signed_entries(x->gw->ledger, x->c, from, last, period_row, ps, &bad);
		if (period_add(ps, rc == 0) != 0) {
			free(ps);
			return -1;
		}
		if (rc != 0 || ps->last_seq >= last)
			break;
	}
	if (rc != 0) {
		free(ps);
		if (rc == 1)
			goto missing;
		return -1;
	}
	rc = (first > 1 && ps->first_time >= from_us) || (last < n && ps->last_time <= to_us);
	free(ps);
	if (rc) {
		log_errx("request %s: the ledger's stored times do not match its signed entries "
		    "(#%lld..#%lld read): no statement is issued", x->rq->id, (long long)first,
		    (long long)last);
		x->failed = 3;
		return -1;
	}
	return 0;
missing:
	if (bad != 0)
		log_errx("request %s: ledger entry #%lld does not match the signed ledger: no "
		    "statement is issued", x->rq->id, (long long)bad);
	else
		log_errx("request %s: a ledger entry is missing: no statement is issued",
		    x->rq->id);
	x->failed = 3;
	return -1;
}

/* ---- the family's notice ---- */

/* What the request's signed entries say of its family notice (notice_seen). */
struct notice_check {
	struct ledger		*l;
	struct merkle_hasher	*hs;
	char			 last_action[32];	/* the last of the four */
	int64_t			 last_outcome;		/* seq of the last sent/failed */
	int			 lifted;
	int			 differs;		/* an entry not as signed */
};

/*
 * One of the request's entries (store_object_entries: by its stored
 * columns), used only if it is as the tree signed it (entry_signed). The
 * sending and the giving up are the notifier's ("system"); a lift is a
 * safeguarding lead's, a re-queue an operator's. An entry committed this
 * instant may not be in the tree yet (its commit hook to run): it is
 * waited for, briefly, rather than taken for a forgery.
 */
static int
notice_seen(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct notice_check	*k = arg;
	struct timespec		 ts = { 0, 10 * 1000 * 1000 };
	const char		*a = r->e.action;
	int			 outcome, waited, v;

	(void)leaf;
	outcome = strcmp(a, "notification.sent") == 0 || strcmp(a, "notification.failed") == 0;
	if (!outcome && strcmp(a, "notification.requeued") != 0 &&
	    strcmp(a, "request.notification_lifted") != 0)
		return 0;
	for (waited = 0; (uint64_t)r->seq > ledger_size(k->l) && waited < CHECKPOINT_WAIT_MS;
	    waited += 10)
		nanosleep(&ts, NULL);
	if ((v = entry_signed(k->l, k->hs, r)) != 1 ||
	    (outcome && strcmp(r->e.actor, "system") != 0)) {
		k->differs = 1;
		return v == -1 ? -1 : 0;
	}
	snprintf(k->last_action, sizeof(k->last_action), "%s", a);
	if (outcome)
		k->last_outcome = r->seq;
	if (strcmp(a, "request.notification_lifted") == 0)
		k->lifted = 1;
	return 0;
}

/*
 * The statement's family_notice: whether the family was told, from the
 * signed records as they stand now (statement_notice_state), not from the
 * request's do_not_notify alone: with no notifier running, or the notice
 * queued, failed or held, the family was not told, and a witness statement
 * must not say it was. "sent" and "failed" cite the entry of the sending
 * or the giving up, dated by it. NULL on error, *why 3 when the notice's
 * row and its ledger entries disagree (no statement is issued).
 */
static json_t *
family_notice(struct gateway *gw, struct store_conn *c, const struct request_row *rq, int *why)
{
	struct notice_check		 k = { .l = gw->ledger };
	struct statement_notice_facts	 f = { .do_not_notify = rq->do_not_notify };
	const char			*st;
	char				 row[16];
	json_t				*e = NULL;
	int				 rc;

	*why = 0;
	if ((rc = store_request_notification_state(c, rq->id, row, NULL)) == -1)
		return NULL;
	f.row_state = rc == 0 ? row : NULL;
	if ((k.hs = merkle_hasher_new()) == NULL)
		return NULL;
	rc = store_object_entries(c, rq->family_pseudonym, rq->id, notice_seen, &k);
	merkle_hasher_free(k.hs);
	if (rc != 0)
		return NULL;
	f.last_action = k.last_action[0] != '\0' ? k.last_action : NULL;
	f.lifted = k.lifted;
	if (k.differs || (st = statement_notice_state(&f)) == NULL) {
		log_errx("request %s: the family notification (%s) does not match its ledger "
		    "entries: no statement is issued", rq->id, f.row_state ? f.row_state : "none");
		*why = 3;
		return NULL;
	}
	if (strcmp(st, "sent") == 0 || strcmp(st, "failed") == 0) {
		if ((e = entry_at(gw->ledger, c, k.last_outcome)) == NULL)
			return NULL;
		return json_pack("{s:s, s:O, s:o}", "state", st, "at", json_object_get(e, "time"),
		    "ledger", e);
	}
	return json_pack("{s:s, s:n, s:n}", "state", st, "at", "ledger");
}

/* ---- the body ---- */

/* The statement's body: the request, its approvals, the records and the
 * family's notice. NULL on error, *why saying which: 2 the period holds
 * too many records, 3 the stored decisions do not make a quorum, a record
 * or the family's notice differs from what the ledger signed (integrity),
 * 0 anything else. Records are those of the
 * period up to the moment the quorum was reached, never later ones: the
 * trustees approved what there was, and every fetch gives the same. */
static json_t *
statement_body(struct gateway *gw, struct store_conn *c, const struct request_row *rq,
    const struct principal *who, int *why)
{
	struct request_decision_row	 d[STORE_REQUEST_DECISIONS_MAX];
	struct quorum_decision		 qd[STORE_REQUEST_DECISIONS_MAX];
	struct quorum_config		 qc;
	struct quorum_request		 qr;
	struct quorum_result		 qres;
	struct records_ctx		 x = { .gw = gw, .c = c, .rq = rq };
	const struct agency		*ag = profiles_find(gw->profiles, rq->agency_id);
	json_t				*body = NULL, *approvals, *kinds, *k, *asked = NULL;
	json_t				*notice;
	char				*fid = NULL, *ref = NULL, t[32];
	int64_t				 from_us, to_us;
	int				 nd, i, erased = 0;
	size_t				 n;

	*why = 0;
	if ((nd = store_request_decisions(c, rq->id, d, STORE_REQUEST_DECISIONS_MAX)) < 0 ||
	    vault_unseal_str(gw->vault, c, rq->family_pseudonym, rq->family_id_ct,
	    rq->family_id_ctlen, &fid, &erased) != 0 ||
	    vault_unseal_str(gw->vault, c, rq->family_pseudonym, rq->reference_ct,
	    rq->reference_ctlen, &ref, &erased) != 0 ||
	    store_time_parse(rq->period_from, &from_us) != 0 ||
	    store_time_parse(rq->period_to, &to_us) != 0)
		goto out;
	to_us += STORE_DAY_US - 1;	/* through the last day */
	/* The request and each decision must be what their ledger entries
	 * signed (request_signed.h: a row added or changed behind the
	 * gateway's back counts for nothing), and the quorum is counted again
	 * from those decisions, not taken from the request's state column. */
	if ((i = request_signed(gw->ledger, c, rq, d, nd)) != 0) {
		if (i == 1) {
			log_errx("request %s: no statement is issued", rq->id);
			*why = 3;
		}
		goto out;
	}
	store_request_quorum(rq, d, nd, &qc, &qr, qd);
	quorum_state(&qc, &qr, qd, (size_t)nd, &qres);
	if (qres.state != QUORUM_APPROVED || qres.closed_us <= 0) {
		log_errx("request %s: stored as approved, but its decisions make no quorum "
		    "(%u of %u approvals): no statement is issued", rq->id, qres.approvals,
		    qres.required);
		*why = 3;
		goto out;
	}
	if (to_us > qres.closed_us)
		to_us = qres.closed_us;
	if ((approvals = json_array()) == NULL)
		goto out;
	for (i = 0; i < nd; i++) {
		json_t	*a, *e;

		if (strcmp(d[i].decision, "approve") != 0)
			continue;
		/* Dated by its ledger entry: the signed record of the decision. */
		e = entry_at(gw->ledger, c, d[i].ledger_seq);
		a = e == NULL ? NULL : json_pack("{s:s, s:O, s:o}", "trustee", d[i].trustee,
		    "decided_at", json_object_get(e, "time"), "ledger", e);
		if (a == NULL || json_array_append_new(approvals, a) != 0) {
			json_decref(approvals);
			goto out;
		}
	}
	/* The records carry only fields the requesting agency's formal-request
	 * interest lists today, whatever was asked when it was filed (a request
	 * from before the check at filing, or a profile narrowed since). */
	asked = json_loads(rq->fields, 0, NULL);
	x.fields = json_array();
	json_array_foreach(asked, n, k) {
		int	any;

		if (ag != NULL && agency_formal_field(ag, json_string_value(k), &any))
			json_array_append(x.fields, k);
	}
	kinds = json_loads(rq->record_kinds, 0, NULL);
	json_array_foreach(kinds, n, k) {
		if (strcmp(json_string_value(k), "disclosures") == 0)
			x.disclosures = 1;
		else if (strcmp(json_string_value(k), "consents") == 0)
			x.consents = 1;
	}
	x.records = json_array();
	body = json_pack("{s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:O,"
	    " s:O, s:{s:s, s:s}, s:b, s:i, s:o}, s:o, s:O, s:s}",
	    "request",
	    "request_id", rq->id, "requester", rq->requester,
	    "requester_name", ag ? ag->name : rq->agency_id,
	    "requester_kind", ag ? ag->kind : "-",
	    "filed_by", rq->filed_by, "filed_at", store_time_fmt(rq->created_us, t),
	    "legal_basis", rq->legal_basis,
	    "legal_basis_text", statement_basis_text(rq->legal_basis),
	    "reference", ref ? ref : "(erased)",
	    "family_id", fid,
	    "family_pseudonym", rq->family_pseudonym,
	    "fields", asked, "record_kinds", kinds,
	    "period", "from", rq->period_from, "to", rq->period_to,
	    "do_not_notify", rq->do_not_notify, "quorum", rq->quorum,
	    "ledger", entry_at(gw->ledger, c, rq->ledger_seq),
	    "approvals", approvals, "records", x.records, "issued_to", who->id);
	json_decref(kinds);
	if (body == NULL || x.fields == NULL || asked == NULL ||
	    period_records(&x, from_us, to_us) != 0) {
		*why = x.failed;
		json_decref(body);
		body = NULL;
	} else if ((notice = family_notice(gw, c, rq, why)) == NULL ||
	    json_object_set_new(body, "family_notice", notice) != 0) {
		json_decref(body);
		body = NULL;
	}
	json_decref(x.fields);
	json_decref(asked);
	json_decref(x.records);
out:
	wipe_free(fid);		/* opened: the family id and the reference */
	wipe_free(ref);
	return body;
}

/* ---- the issue, its checkpoint and proofs ---- */

struct issue_job {
	struct gateway		*gw;
	const struct principal	*who;
	const struct request_row *rq;
	unsigned char		 digest[32];
	int			 records;
	const char		*reason;	/* X-Access-Reason, or NULL */
	char			 id[40];
	int64_t			 seq;
	unsigned char		 leaf[32];
};

static int
issue_job(struct store_conn *c, void *arg)
{
	struct issue_job	*j = arg;
	struct ledger_entry	 le;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	int			 rc;

	le = (struct ledger_entry){ j->who->id, role_name(j->who->role),
	    "request.statement_issued", j->rq->family_pseudonym, j->rq->id, NULL, j->digest };
	if (ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf) != 0)
		return -1;
	/* The reader's reason, sealed under the family key (none kept once
	 * the family's data is erased: there is no key). */
	if (decide_has_text(j->reason) && vault_seal_str(j->gw->vault, c, j->rq->family_pseudonym, j->reason, &ct,
	    &ctlen) == -1)
		return -1;
	rc = store_request_statement_insert(c, j->id, j->rq->id, j->who->id,
	    role_name(j->who->role), store_now_us(), j->records, j->digest, j->seq, ct, ctlen);
	free(ct);
	return rc;
}

/* The committed entry at seq, read on its own connection. */
static json_t *
entry_at_seq(struct gateway *gw, int64_t seq)
{
	struct store_conn	*c;
	json_t			*e;

	if ((c = store_read_begin(gw->store)) == NULL)
		return NULL;
	e = entry_at(gw->ledger, c, seq);
	store_read_end(gw->store, c);
	return e;
}

/* Waits for a signed checkpoint covering seq (the ledger signs within a
 * second of an append). The note, malloc'd, and its size; NULL on timeout. */
static char *
checkpoint_covering(struct ledger *l, int64_t seq, uint64_t *size)
{
	struct timespec	 ts = { 0, 20 * 1000 * 1000 };
	char		*note;
	int		 waited;

	for (waited = 0; waited <= CHECKPOINT_WAIT_MS; waited += 20) {
		if ((note = ledger_checkpoint(l, size, NULL)) != NULL) {
			if (*size >= (uint64_t)seq)
				return note;
			free(note);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static int
cmp_seq(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Inclusion proofs of every seq (sorted, duplicates dropped) in the tree
 * of size. New array or NULL. */
static json_t *
proofs_json(struct ledger *l, int64_t *seqs, size_t n, uint64_t size)
{
	struct ledger_proof	*p;
	json_t			*out = json_array(), *hashes;
	char			 h[65];
	size_t			 i, k;

	if (out == NULL || (p = malloc(sizeof(*p))) == NULL) {
		json_decref(out);
		return NULL;
	}
	qsort(seqs, n, sizeof(*seqs), cmp_seq);
	for (i = 0; i < n; i++) {
		if (i > 0 && seqs[i] == seqs[i - 1])
			continue;
		if (ledger_inclusion(l, seqs[i], size, p) != 0 || (hashes = json_array()) == NULL) {
			json_decref(out);
			out = NULL;
			break;
		}
		for (k = 0; k < p->n; k++) {
			hex_encode(p->hashes[k], 32, h);
			json_array_append_new(hashes, json_string(h));
		}
		json_array_append_new(out, json_pack("{s:I, s:o}", "seq", (json_int_t)seqs[i],
		    "hashes", hashes));
	}
	free(p);
	return out;
}

static EVP_PKEY *
ledger_key(struct ledger *l)
{
	const char	*pem;
	size_t		 len;
	BIO		*bio;
	EVP_PKEY	*k;

	if ((pem = ledger_pub_pem(l, &len)) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
		return NULL;
	k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return k;
}

/* ---- witness.h ---- */

int
witness_gather(const struct witness_ask *a, struct store_conn *c, json_t **body)
{
	int	why = 0;

	if ((*body = statement_body(a->gw, c, a->rq, a->who, &why)) != NULL)
		return WITNESS_OK;
	return why == 2 ? WITNESS_TOO_MANY_RECORDS : why == 3 ? WITNESS_INTEGRITY :
	    WITNESS_ERROR;
}

int
witness_issue(const struct witness_ask *a, json_t *body, struct witness_issued *out)
{
	struct issue_job	 j = { .gw = a->gw, .who = a->who, .rq = a->rq,
				    .reason = a->reason };
	json_t			*issue = NULL, *proofs = NULL;
	EVP_PKEY		*key = NULL;
	int64_t			*seqs = NULL;
	uint64_t		 size = 0;
	char			*note = NULL;
	long			 n;
	int			 rc = WITNESS_ERROR;

	memset(out, 0, sizeof(*out));
	/* The issue is recorded (and its digest binds the body) before anything
	 * leaves; then a signed checkpoint that covers it is awaited. */
	j.records = (int)json_array_size(json_object_get(body, "records"));
	store_new_id("stm_", j.id, sizeof(j.id));
	if (statement_body_digest(body, j.digest) != 0 ||
	    writer_submit(a->gw->writer, issue_job, &j) != 0) {
		rc = WITNESS_NOT_RECORDED;
		goto out;
	}
	if ((note = checkpoint_covering(a->gw->ledger, j.seq, &size)) == NULL) {
		rc = WITNESS_NO_CHECKPOINT;
		goto out;
	}
	if ((n = statement_cited_seqs(body, NULL, 0)) < 0 ||
	    (seqs = calloc((size_t)n + 1, sizeof(*seqs))) == NULL ||
	    statement_cited_seqs(body, seqs, (size_t)n) != n)
		goto out;
	seqs[n] = j.seq;
	if ((proofs = proofs_json(a->gw->ledger, seqs, (size_t)n + 1, size)) == NULL ||
	    (issue = entry_at_seq(a->gw, j.seq)) == NULL || (key = ledger_key(a->gw->ledger)) == NULL)
		goto out;
	out->doc = statement_assemble(body, issue, note, key, proofs);
	body = issue = proofs = NULL;	/* taken */
	if (out->doc == NULL)
		goto out;
	memcpy(out->id, j.id, sizeof(out->id));
	out->records = j.records;
	out->seq = j.seq;
	out->tree_size = size;
	rc = WITNESS_OK;
out:
	json_decref(body);
	json_decref(issue);
	json_decref(proofs);
	EVP_PKEY_free(key);
	free(seqs);
	free(note);
	return rc;
}

/* ---- what the family may be told of it ---- */

/* Whether a statement's record is a disclosure whose family notification
 * is still held: its signed row says it was held at its making (an
 * override, a notification hold) and no safeguarding lead's lift of it is
 * in the family's ledger as signed (hold_signed.h). Not the notification
 * row's state, which is not signed: a row set to sent or deleted behind
 * the gateway's back must not have the family told of a held share. A
 * record whose row is gone or not as signed is treated as held (nothing is
 * said of it). 1 held, 0 not, -1 a read failed (or a lift is not in the
 * tree yet: try again). */
static int
record_held(struct gateway *gw, struct store_conn *c, const json_t *rec)
{
	struct disclosure_row	*d = NULL;
	const char		*id = json_string_value(json_object_get(rec, "record_id"));
	const char		*kind = json_string_value(json_object_get(rec, "kind"));
	int			 rc, held;

	if (id == NULL || kind == NULL || strcmp(kind, "disclosure") != 0)
		return 0;
	if ((rc = store_disclosure_get(c, id, &d)) != 0)
		return rc == 1 ? 1 : -1;
	if ((rc = disclosure_signed(gw->ledger, c, d)) != 0)
		held = rc == 1 ? 1 : -1;
	else if (!hold_made_held(d))
		held = 0;
	else {
		rc = hold_released_signed(gw->ledger, c, d->family_pseudonym, id, 0);
		held = rc == 1 ? 0 : rc == 0 ? 1 : -1;
	}
	store_disclosure_free(d);
	return held;
}

int
witness_told(struct gateway *gw, struct store_conn *c, const struct request_row *rq,
    json_t **fields, int *records)
{
	struct principal	 sys;
	struct witness_ask	 ask;
	json_t			*body = NULL, *asked, *rec, *f, *g, *shown = NULL;
	size_t			 i, k;
	int			 rc, h, n = 0;

	if (fields != NULL)
		*fields = NULL;
	*records = 0;
	memset(&sys, 0, sizeof(sys));
	snprintf(sys.id, sizeof(sys.id), "system");
	ask = (struct witness_ask){ .gw = gw, .rq = rq, .who = &sys, .reason = NULL };
	if ((rc = witness_gather(&ask, c, &body)) != WITNESS_OK)
		return rc;
	rc = WITNESS_ERROR;
	if ((shown = json_array()) == NULL)
		goto out;
	json_array_foreach(json_object_get(body, "records"), i, rec) {
		if ((h = record_held(gw, c, rec)) < 0)
			goto out;
		if (h == 0 && json_array_append(shown, rec) != 0)
			goto out;
		n += h == 0;
	}
	if (fields != NULL) {
		if ((*fields = json_array()) == NULL)
			goto out;
		asked = json_object_get(json_object_get(body, "request"), "fields");
		json_array_foreach(asked, i, f) {
			int	found = 0;

			json_array_foreach(shown, k, rec) {
				size_t	m;

				json_array_foreach(json_object_get(rec, "fields"), m, g)
					found |= json_equal(f, g);
			}
			if (found && json_array_append(*fields, f) != 0) {
				json_decref(*fields);
				*fields = NULL;
				goto out;
			}
		}
	}
	*records = n;
	rc = WITNESS_OK;
out:
	json_decref(shown);
	json_decref(body);
	return rc;
}
