/*
 * legal_hold_api.c: litigation holds, placed, released and read by the
 * trustees (DESIGN "a legal hold (an open police or court request,
 * litigation) stops erasure"; migration 051, 075, 077).
 *
 *   POST /v1/families/{id}/legal-holds                  trustee, dp_trustee:
 *        place a hold (case reference, reason): 201 with its id and ledger seq
 *   POST /v1/families/{id}/legal-holds/{hold_id}/release  the same: 200
 *   GET  /v1/families/{id}/legal-holds                  the same: the open
 *        holds (litigation and police or court requests), without their
 *        reasons
 *   GET  /v1/families/{id}/legal-holds/{hold_id}        the same, with an
 *        X-Access-Reason: one litigation hold with its placement and release
 *        reasons, the read recorded first (legal_hold_reads, legal_hold.read)
 *
 * The two POSTs take an Idempotency-Key (idempotency.h) as the other
 * creating POSTs do: a repeat places or releases nothing and gets the first
 * reply.
 *
 * Each placement and release is a ledger entry ("legal_hold.placed",
 * "legal_hold.released": the trustee, the family's pseudonym, the hold's
 * id, reason code "litigation", the row's digest) written in the same
 * writer job as its row. The reasons are sealed under the family key;
 * the case reference is a plain column (schema: a claim number's shape,
 * no spaces) kept out of the ledger. A hold stops erasure on request and
 * expiry by its signed entries (legal_hold_signed.h), not only by its row.
 * A family the charity holds nothing about is 404; one already erased or
 * expired is 409 family_erased (there is nothing left to hold). A request's
 * hold is released by closing the request (409 request_hold here).
 */
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "gateway.h"
#include "http.h"
#include "idempotency.h"
#include "ledger.h"
#include "legal_hold_signed.h"
#include "log.h"
#include "record_read.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "writer.h"

#define HOLD_ID_PREFIX	"lh_"

#define WRITE_FAILED	"Nothing was changed. Try again."

/* A read that failed. A write that failed says the ledger's alarm when it
 * is raised (nothing is appended then): resp_unavailable(r, rs, WRITE_FAILED). */
static void
unavailable(struct response *rs)
{
	resp_error(rs, 503, "store_unavailable", WRITE_FAILED, NULL);
}

/* ---- place ---- */

struct place_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*reason;
	struct legal_hold_row	 h;
	char			 id[64];
	char			 pseudonym[65];
	int64_t			 seq;
	int			 outcome;	/* 0 placed; 1 no records; 2 erased;
						   -1 none (a repeated key) */
	struct idem		 idem;
};

/* The 201 of a placement: ids, codes, the case reference, a time and the
 * ledger seq; never a reason nor the family (what an Idempotency-Key may
 * keep). */
static void
placed_reply(const struct place_job *j, struct response *rs)
{
	char	t[32];

	resp_json(rs, 201, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:I}", "id", j->id,
	    "source", "litigation", "reference", j->h.reference, "status", "open",
	    "placed_at", store_time_fmt(j->h.opened_us, t), "ledger_seq", (json_int_t)j->seq));
	if (rs->json == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
}

static int
place_job(struct store_conn *c, void *arg)
{
	struct place_job	*j = arg;
	struct ledger_entry	 e;
	struct response		 rs;
	unsigned char		 digest[32], *ct = NULL;
	size_t			 ctlen = 0;
	int			 rc;

	/* A repeated key places nothing (idempotency.h). */
	if (j->idem.active && (rc = idem_check(&j->idem, c)) != IDEM_NEW)
		return rc == -1 ? -1 : 0;
	if ((rc = store_family_key_state(c, j->pseudonym)) == -1)
		return -1;
	if (rc != 1) {
		j->outcome = rc == 2 ? 2 : 1;
		return 0;
	}
	if ((rc = vault_seal_str(j->gw->vault, c, j->pseudonym, j->reason, &ct, &ctlen)) != 0) {
		free(ct);
		return -1;	/* 1: destroyed since the check above, in this job: not so */
	}
	j->h.reason_ct = ct;
	j->h.reason_ctlen = ctlen;
	j->h.opened_us = store_now_us();
	rc = -1;
	if (store_legal_hold_digest(&j->h, 0, digest) != 0)
		goto out;
	e = (struct ledger_entry){ .actor = j->who->id, .actor_role = role_name(j->who->role),
	    .action = "legal_hold.placed", .family_pseudonym = j->pseudonym, .object_id = j->id,
	    .reason = "litigation", .record_digest = digest };
	if (ledger_append(j->gw->ledger, c, &e, &j->seq, NULL) != 0)
		goto out;
	j->h.ledger_seq = j->seq;
	if (store_legal_hold_insert(c, &j->h) != 0)
		goto out;
	j->outcome = 0;
	rc = 0;
	if (j->idem.active) {
		memset(&rs, 0, sizeof(rs));
		placed_reply(j, &rs);
		rc = idem_keep(&j->idem, c, &rs);
	}
out:
	j->h.reason_ct = NULL;
	free(ct);
	return rc;
}

static void
place(struct request *r, struct response *rs)
{
	struct place_job	 j = { .gw = r->gw, .who = r->who, .outcome = -1 };
	const char		*reference;

	if (idem_begin(r, rs, "POST /v1/families/{id}/legal-holds", &j.idem) == -1)
		return;
	reference = json_string_value(json_object_get(r->body, "reference"));
	j.reason = json_string_value(json_object_get(r->body, "reason"));
	if (!decide_has_text(j.reason)) {
		resp_blank_text(rs, "/reason");
		return;
	}
	vault_pseudonym(r->gw->vault, r->params[0], j.pseudonym);
	store_new_id(HOLD_ID_PREFIX, j.id, sizeof(j.id));
	j.h = (struct legal_hold_row){ .id = j.id, .family_pseudonym = j.pseudonym,
	    .source = "litigation", .reference = reference, .opened_by = r->who->id };
	if (writer_submit(r->gw->writer, place_job, &j) != 0) {
		idem_free(&j.idem);
		resp_unavailable(r, rs, WRITE_FAILED);
		return;
	}
	/* A repeated key: the first reply, or 409; nothing was placed. */
	if (j.idem.active && j.idem.outcome != IDEM_NEW) {
		(void)idem_reply(&j.idem, r->gw, r->who, rs);
		idem_free(&j.idem);
		return;
	}
	switch (j.outcome) {
	case 0:
		log_info("legal hold %s placed (ledger entry %lld)", j.id, (long long)j.seq);
		if (j.idem.active)
			(void)idem_reply(&j.idem, r->gw, r->who, rs);	/* the kept reply */
		else
			placed_reply(&j, rs);
		break;
	case 1:
		resp_refused(r, rs, 404, "not_found",
		    "The charity holds no records about that family.", NULL);
		break;
	case 2:
		resp_error(rs, 409, "family_erased",
		    "That family's records were already erased or expired: there is nothing to "
		    "hold.", NULL);
		break;
	default:
		resp_unavailable(r, rs, WRITE_FAILED);
	}
	idem_free(&j.idem);
}

/* ---- release ---- */

/* The hold's columns, copied out of the row walk (its pointers die with it). */
struct hold_copy {
	char		*id, *source, *reference, *opened_by, *released_by;
	unsigned char	*reason_ct, *release_reason_ct;
	size_t		 reason_ctlen, release_reason_ctlen;
	int64_t		 opened_us, released_us;
	int		 released;
	int		 failed;
};

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* A copy of a sealed column (NULL or empty: none). 0, or -1 out of memory. */
static int
dup_blob(const unsigned char *b, size_t len, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	if (b == NULL || len == 0)
		return 0;
	if ((*out = malloc(len)) == NULL)
		return -1;
	memcpy(*out, b, len);
	*outlen = len;
	return 0;
}

static int
copy_row(const struct legal_hold_row *h, void *arg)
{
	struct hold_copy	*k = arg;

	k->id = strdup(h->id);
	k->source = strdup(h->source);
	k->reference = dup_or_null(h->reference);
	k->opened_by = strdup(h->opened_by);
	k->released_by = dup_or_null(h->released_by);
	k->opened_us = h->opened_us;
	k->released_us = h->released_us;
	k->released = h->released_by != NULL;
	if (dup_blob(h->reason_ct, h->reason_ctlen, &k->reason_ct, &k->reason_ctlen) != 0 ||
	    dup_blob(h->release_reason_ct, h->release_reason_ctlen, &k->release_reason_ct,
	    &k->release_reason_ctlen) != 0)
		k->failed = 1;
	if (k->id == NULL || k->source == NULL || k->opened_by == NULL ||
	    (h->reference != NULL && k->reference == NULL) ||
	    (h->released_by != NULL && k->released_by == NULL))
		k->failed = 1;
	return 0;
}

static void
copy_free(struct hold_copy *k)
{
	free(k->id);
	free(k->source);
	free(k->reference);
	free(k->opened_by);
	free(k->released_by);
	free(k->reason_ct);
	free(k->release_reason_ct);
}

/* The row as the store holds it again (pointers into k), for its digest. */
static struct legal_hold_row
copy_row_of(const struct hold_copy *k, const char *pseudonym)
{
	return (struct legal_hold_row){ .id = k->id, .family_pseudonym = pseudonym,
	    .source = k->source, .reference = k->reference, .opened_us = k->opened_us,
	    .opened_by = k->opened_by, .released_us = k->released_us,
	    .released_by = k->released_by, .reason_ct = k->reason_ct,
	    .reason_ctlen = k->reason_ctlen, .release_reason_ct = k->release_reason_ct,
	    .release_reason_ctlen = k->release_reason_ctlen };
}

struct release_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*hold_id;
	const char		*reason;
	char			 pseudonym[65];
	int64_t			 now_us, seq;
	int			 outcome;	/* 0 released; 1 none; 2 released already;
						   3 a request's hold; -1 none (a repeated key) */
	struct idem		 idem;
};

/* The 200 of a release: the hold's id, a code, a time, the ledger seq. */
static void
released_reply(const struct release_job *j, struct response *rs)
{
	char	t[32];

	resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:I}", "id", j->hold_id,
	    "status", "released", "released_at", store_time_fmt(j->now_us, t),
	    "ledger_seq", (json_int_t)j->seq));
	if (rs->json == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
}

static int
release_job(struct store_conn *c, void *arg)
{
	struct release_job	*j = arg;
	struct hold_copy	 k = { 0 };
	struct legal_hold_row	 h;
	struct ledger_entry	 e;
	struct response		 rs;
	unsigned char		 digest[32], *ct = NULL;
	size_t			 ctlen = 0;
	int			 rc;

	j->outcome = -1;
	/* A repeated key releases nothing (idempotency.h). */
	if (j->idem.active && (rc = idem_check(&j->idem, c)) != IDEM_NEW)
		return rc == -1 ? -1 : 0;
	if ((rc = store_legal_hold_get(c, j->pseudonym, j->hold_id, copy_row, &k)) == -1 ||
	    k.failed) {
		rc = -1;
		goto out;
	}
	if (rc == 1 || strcmp(k.source, "litigation") != 0 || k.released) {
		j->outcome = rc == 1 ? 1 : k.released ? 2 : 3;
		rc = 0;
		goto out;
	}
	rc = -1;
	/* The family's key may be gone (a hold placed after its expiry was
	 * judged cannot be: then the reason is simply not kept). */
	if (vault_seal_str(j->gw->vault, c, j->pseudonym, j->reason, &ct, &ctlen) == -1)
		goto out;
	j->now_us = store_now_us();
	h = (struct legal_hold_row){ .id = k.id, .family_pseudonym = j->pseudonym,
	    .source = k.source, .reference = k.reference, .opened_us = k.opened_us,
	    .opened_by = k.opened_by, .reason_ct = k.reason_ct, .reason_ctlen = k.reason_ctlen,
	    .released_us = j->now_us, .released_by = j->who->id, .release_reason_ct = ct,
	    .release_reason_ctlen = ctlen };
	if (store_legal_hold_digest(&h, 1, digest) != 0)
		goto out;
	e = (struct ledger_entry){ .actor = j->who->id, .actor_role = role_name(j->who->role),
	    .action = "legal_hold.released", .family_pseudonym = j->pseudonym,
	    .object_id = k.id, .reason = "litigation", .record_digest = digest };
	if (ledger_append(j->gw->ledger, c, &e, &j->seq, NULL) != 0 ||
	    store_legal_hold_released(c, j->pseudonym, k.id, j->now_us, j->who->id, ct,
	    ctlen) != 0)
		goto out;
	j->outcome = 0;
	rc = 0;
	if (j->idem.active) {
		memset(&rs, 0, sizeof(rs));
		released_reply(j, &rs);
		rc = idem_keep(&j->idem, c, &rs);
	}
out:
	free(ct);
	copy_free(&k);
	return rc;
}

static void
release(struct request *r, struct response *rs)
{
	struct release_job	j = { .gw = r->gw, .who = r->who, .hold_id = r->params[1] };

	if (idem_begin(r, rs, "POST /v1/families/{id}/legal-holds/{hold_id}/release",
	    &j.idem) == -1)
		return;
	j.reason = json_string_value(json_object_get(r->body, "reason"));
	if (!decide_has_text(j.reason)) {
		resp_blank_text(rs, "/reason");
		return;
	}
	if (!store_id_shaped(HOLD_ID_PREFIX, j.hold_id) && strncmp(j.hold_id, "req_", 4) != 0) {
		resp_refused(r, rs, 404, "not_found", "There is no such legal hold on that family.",
		    NULL);
		return;
	}
	vault_pseudonym(r->gw->vault, r->params[0], j.pseudonym);
	if (writer_submit(r->gw->writer, release_job, &j) != 0) {
		idem_free(&j.idem);
		resp_unavailable(r, rs, WRITE_FAILED);
		return;
	}
	/* A repeated key: the first reply, or 409; nothing was released. */
	if (j.idem.active && j.idem.outcome != IDEM_NEW) {
		(void)idem_reply(&j.idem, r->gw, r->who, rs);
		idem_free(&j.idem);
		return;
	}
	switch (j.outcome) {
	case 0:
		log_info("legal hold %s released (ledger entry %lld)", j.hold_id,
		    (long long)j.seq);
		if (j.idem.active)
			(void)idem_reply(&j.idem, r->gw, r->who, rs);	/* the kept reply */
		else
			released_reply(&j, rs);
		break;
	case 1:
		resp_refused(r, rs, 404, "not_found", "There is no such legal hold on that family.",
		    NULL);
		break;
	case 2:
		resp_error(rs, 409, "already_released", "That legal hold was already released.",
		    NULL);
		break;
	case 3:
		resp_error(rs, 409, "request_hold",
		    "That hold is a police or court request's: it ends when the request is "
		    "refused or closed (POST /v1/requests/{id}/close).", NULL);
		break;
	default:
		resp_unavailable(r, rs, WRITE_FAILED);
	}
	idem_free(&j.idem);
}

/* ---- one hold, with its reasons ---- */

/*
 * GET /v1/families/{id}/legal-holds/{hold_id}: a litigation hold with its
 * placement and release reasons, unsealed with the family key. A read of
 * a family's record: an X-Access-Reason is required (ROUTE_ACCESS_REASON,
 * 403 access_reason_required before this runs), the read limit counts it,
 * and the read is recorded before anything is shown, as a consent's is
 * (record_read_job): a legal_hold_reads row, the reason sealed under the
 * family key, and its legal_hold.read entry (the trustee, the family's
 * pseudonym, the hold's id, the row's digest; no reason text). No such
 * hold on that family: 404, recorded as refused; a row not as its signed
 * placement and release say (legal_hold_row_signed): 409
 * record_integrity_failed, recorded as refused, nothing shown nor read;
 * the family's key destroyed (erased or expired, so the reasons are gone):
 * 409 family_erased; a request's hold (its reasons are the request's):
 * 409 request_hold. The reasons are unsealed before the read is recorded,
 * so that a read recorded is one that shows them.
 */
static void
hold_get(struct request *r, struct response *rs)
{
	struct record_read	 j;
	struct hold_copy	 k = { 0 };
	struct legal_hold_row	 h;
	struct store_conn	*c;
	const char		*reason;
	char			 pseudonym[65], *why = NULL, *release_why = NULL, t[32];
	int			 rc, sig = 0, erased = 0;
	json_t			*out;

	reason = req_header(r, "X-Access-Reason");	/* one with text: http.c */
	if (resp_reason_too_long(r, rs, reason))
		return;
	if (!store_id_shaped(HOLD_ID_PREFIX, r->params[1]) && strncmp(r->params[1], "req_", 4) != 0) {
		resp_refused(r, rs, 404, "not_found", "There is no such legal hold on that family.",
		    NULL);
		return;
	}
	vault_pseudonym(r->gw->vault, r->params[0], pseudonym);
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		unavailable(rs);
		return;
	}
	rc = store_legal_hold_get(c, pseudonym, r->params[1], copy_row, &k);
	if (rc == 0 && k.failed)
		rc = -1;
	if (rc == 0 && strcmp(k.source, "litigation") == 0) {
		h = copy_row_of(&k, pseudonym);
		/* Nothing of a row that is not what its entries signed. */
		if ((sig = legal_hold_row_signed(r->gw->ledger, c, &h)) == 0 &&
		    (vault_unseal_str(r->gw->vault, c, pseudonym, k.reason_ct, k.reason_ctlen,
		    &why, &erased) != 0 ||
		    vault_unseal_str(r->gw->vault, c, pseudonym, k.release_reason_ct,
		    k.release_reason_ctlen, &release_why, &erased) != 0))
			rc = -1;
	}
	store_read_end(r->gw->store, c);
	if (rc == 1) {		/* a refused read, recorded (http.h) */
		resp_refused(r, rs, 404, "not_found", "There is no such legal hold on that family.",
		    NULL);
		goto out;
	}
	if (rc == -1) {
		unavailable(rs);
		goto out;
	}
	if (sig == -1) {	/* not vouched for: the store, or the ledger's alarm */
		resp_unavailable(r, rs, "The store does not answer. Try again.");
		goto out;
	}
	if (strcmp(k.source, "litigation") != 0) {
		resp_error(rs, 409, "request_hold",
		    "That hold is a police or court request's: its reasons are the request's "
		    "(GET /v1/requests/{id}, its reference).", NULL);
		goto out;
	}
	if (sig == 1) {
		log_errx("legal hold %s does not match its ledger entries (what they signed): not "
		    "served", k.id);
		resp_refused(r, rs, 409, "record_integrity_failed",
		    "This record no longer matches what the ledger signed, so nothing of it is "
		    "shown; the operators are told.", NULL);
		goto out;
	}
	if (erased || (k.reason_ct != NULL && why == NULL)) {
		resp_error(rs, 409, "family_erased",
		    "That family's records were erased or expired: the hold's reasons went with "
		    "them.", NULL);
		goto out;
	}

	/* Recorded before anything is shown. */
	memset(&j, 0, sizeof(j));
	j.gw = r->gw;
	j.who = r->who;
	j.action = "legal_hold.read";
	j.object_id = k.id;
	j.family_pseudonym = pseudonym;
	j.reason = reason;
	j.digest = store_legal_hold_read_digest;
	j.insert = store_legal_hold_read_insert;
	store_new_id("lhr_", j.id, sizeof(j.id));
	if (writer_submit(r->gw->writer, record_read_job, &j) != 0) {
		resp_error(rs, 503, "store_unavailable",
		    "The read could not be recorded, so nothing is shown. Try again.", NULL);
		goto out;
	}
	out = json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:s?}", "id", k.id,
	    "source", k.source, "reference", k.reference,
	    "status", k.released ? "released" : "open",
	    "placed_at", store_time_fmt(k.opened_us, t), "placed_by", k.opened_by,
	    "reason", why);
	if (out != NULL && k.released) {
		json_object_set_new(out, "released_at", json_string(store_time_fmt(k.released_us,
		    t)));
		json_object_set_new(out, "released_by", json_string(k.released_by));
		json_object_set_new(out, "release_reason", release_why != NULL ?
		    json_string(release_why) : json_null());
	}
	if (out != NULL)
		json_object_set_new(out, "read", json_pack("{s:s, s:I}", "read_id", j.id,
		    "ledger_seq", (json_int_t)j.seq));
	if (out == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
	else
		resp_json(rs, 200, out);
out:
	wipe_free(why);
	wipe_free(release_why);
	copy_free(&k);
}

/* ---- list ---- */

struct list_walk {
	struct store_conn	*c;
	json_t			*items;
};

static int
list_row(const struct legal_hold_row *h, void *arg)
{
	struct list_walk	*w = arg;
	char			 t[32];
	json_t			*o;

	o = json_pack("{s:s, s:s, s:s?, s:s, s:s}", "id", h->id, "source", h->source,
	    "reference", h->reference, "placed_at", store_time_fmt(h->opened_us, t),
	    "placed_by", h->opened_by);
	if (o == NULL || json_array_append_new(w->items, o) != 0)
		return -1;
	return 0;
}

static void
list(struct request *r, struct response *rs)
{
	struct list_walk	w = { 0 };
	char			pseudonym[65];
	int			rc;

	vault_pseudonym(r->gw->vault, r->params[0], pseudonym);
	if ((w.items = json_array()) == NULL) {
		unavailable(rs);
		return;
	}
	if ((w.c = store_read_begin(r->gw->store)) == NULL) {
		json_decref(w.items);
		unavailable(rs);
		return;
	}
	rc = store_legal_holds_open(w.c, pseudonym, list_row, &w);
	store_read_end(r->gw->store, w.c);
	if (rc != 0) {
		json_decref(w.items);
		resp_error(rs, 503, "store_unavailable", "The store does not answer. Try again.",
		    NULL);
		return;
	}
	resp_json(rs, 200, json_pack("{s:o}", "holds", w.items));
}

#define TRUSTEES	(ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_DP_TRUSTEE))

const struct route legal_hold_routes[] = {
	{ "POST", "/v1/families/{id}/legal-holds", TRUSTEES, "legal-hold", place, 0 },
	{ "POST", "/v1/families/{id}/legal-holds/{hold_id}/release", TRUSTEES,
	  "legal-hold-release", release, 0 },
	{ "GET", "/v1/families/{id}/legal-holds", TRUSTEES, NULL, list, 0 },
	{ "GET", "/v1/families/{id}/legal-holds/{hold_id}", TRUSTEES, NULL, hold_get,
	  ROUTE_FAMILY_READ | ROUTE_ACCESS_REASON },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
