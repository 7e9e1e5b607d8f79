/*
 * sar_api.c: GET /v1/families/{id}/subject-access, the subject-access
 * export (UK GDPR Art 15): what was shared about a family, with whom, when,
 * for what and on which lawful basis, with the values that left; and every
 * consent the family gave. Staff only, with an X-Access-Reason; the export
 * is itself recorded (subject_access_reads, the reason sealed) and is a
 * ledger entry, durable before the reply.
 *
 * Each shared item names the consent it relied on (consent_reference,
 * null when it was shared without one: a lifted safeguarding override) and
 * says whether it reached the agency: delivered (when the agency confirmed
 * it), pending, stopped (the family withdrew that consent first, or it
 * expired with no other covering the agency and purpose: reason
 * consent_withdrawn or consent_expired) or not_delivered.
 *
 * Each shared item also says when the family was told of it (notification:
 * sent with its date, pending, or not_sent when telling failed), who
 * accessed it since (accessed: the agency by name, or the charity role
 * that read it, never a member of staff's name, and never the reason they
 * gave, which is the charity's own record and may name others), and, when
 * it was shared under a safeguarding override, or on consent under a
 * notification hold (basis "consent"), since lifted, that the
 * family was told only afterwards, on which basis and when the hold was
 * lifted (told_after_sharing; the override's own reason stays the
 * charity's: it may name third parties).
 *
 * Police and court requests about the family are listed too (who asked,
 * when, on which legal basis, for which fields and period, and what became
 * of the request), with when the family was told, each witness
 * statement supplied to the requester (when, how many records) and who
 * read the request, or in the charity its witness statement, since
 * (accessed, as for a shared item).
 *
 * A shared item, a consent or a request whose row (or a request's
 * decisions) is not what its ledger entries signed (disclosure_signed.h,
 * consent_signed.h, request_signed.h),
 * or one held from the family at its making that is listed on its
 * notification row's word that the hold was lifted, with no signed lift
 * (hold_signed.h),
 * or a request the ledger signed as filed about the family, or a
 * disclosure it signed as allowed, whose row is gone from it (deleted, or
 * moved to another family: request_filings_signed,
 * disclosure_allowances_signed; one left out under a hold still has its
 * row), or a breach notice row of the family added, deleted or its notice
 * changed (breach_family_told_signed), refuses the whole export, 409 record_integrity_failed: nothing is
 * released, rather than an export made without it or with what the row
 * now says.
 *
 * The export names who prepared it by charity role only (prepared_by:
 * "staff"), as it names every reader: the member of staff's name is their
 * own personal data, not the family's, and the ledger entry recording the
 * export keeps who it was.
 *
 * Earlier exports of the family's record (each a read of all of it) are
 * listed by date and charity role, as every other read is.
 *
 * Breach notices that told the family (POST /v1/breaches/{id}/notices
 * with its family_ids) are listed too: when and how it was told, and which
 * breach; never the register's free text, which may name others.
 *
 * Every such key is present on every item (null or empty when there is
 * nothing), so that two families' exports have the same shape whatever is
 * left out of one of them.
 *
 * Values that may name or concern others (free text, and what someone
 * said of another: fields.c third_party) are withheld from the copy by
 * default (UK GDPR Art 15(4)): each shared item names them
 * (withheld_fields, as a disclosure names what it withheld), and the export
 * says it needs a human redaction review before it is released
 * (review_required; review_fields on each item names what to review). Staff
 * who have made that review ask for the values with ?include=free_text
 * (free_text: true); the export's ledger entry then says so (reason
 * "include=free_text": no personal data; the X-Access-Reason given is
 * sealed in the export's row as for every export). sar_redact.c applies it.
 *
 * Left out, without trace: what is held under an active safeguarding
 * override or notification hold, and a request whose do_not_notify hold
 * is not lifted; and refused disclosure attempts (which shared nothing,
 * and could betray a referral held under an override). The store gives
 * every row of the family; each is checked as signed first (so a row
 * changed to look held, refused or lifted is found, not left out), and
 * what is shown is decided from the row as signed and the signed lift
 * (sar_shown.h), never from the unsigned notification row; nothing of
 * an item left out is counted (reads, statements and notices are kept
 * only for listed items; items are numbered 1..n after the fact and carry
 * random ids, not sequence numbers).
 *
 * JSON by default; a printable text rendering with ?format=text or
 * Accept: text/plain.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breach_signed.h"
#include "consent_signed.h"
#include "disclosure_signed.h"
#include "hold_signed.h"
#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "profiles.h"
#include "request_signed.h"
#include "sar_redact.h"
#include "sar_shown.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "witness.h"
#include "writer.h"

struct export {
	struct gateway		*gw;
	struct store_conn	*c;
	const char		*pseudonym;
	int64_t			 now_us;
	json_t			*disclosures;
	json_t			*consents;
	json_t			*requests;
	json_t			*breach_notices;
	json_t			*exports;	/* earlier exports */
	json_t			*by_disclosure;	/* reference -> item (borrowed) */
	json_t			*by_request;
	json_t			*by_consent;
	json_t			*told;		/* request id -> records the family
						   may be told of (statement_cb) */
	int			 failed;	/* 1 a read failed; 2 a row is not as signed */
	int			 ended;		/* the family's records were erased or expired */
	int			 include;	/* ?include=free_text: values needing review too */
	int			 review;	/* a listed value needs review before release */
};

/* The purpose in the profile's words for the family, or NULL when the
 * agency or its interest is no longer in the profiles. */
static const char *
purpose_words(const struct profiles *p, const char *agency_id, const char *purpose)
{
	const struct interest	*in = agency_interest(profiles_find(p, agency_id), purpose);

	return in != NULL ? in->description : NULL;
}

static json_t *
recipient(const struct profiles *p, const char *agency_id)
{
	const struct agency	*ag = profiles_find(p, agency_id);

	return json_pack("{s:s, s:s?, s:s?}", "agency_id", agency_id,
	    "name", ag ? ag->name : NULL, "kind", ag ? ag->kind : NULL);
}

/* Whether it reached the agency, in the family's terms: delivered (and
 * when), pending, stopped (the family withdrew the consent first, reason
 * consent_withdrawn, or it expired with no other covering the agency and
 * purpose, consent_expired; received
 * and received_at when the agency nonetheless confirmed a push whose
 * request was written before the stop), or not delivered (given up; or an
 * inbox item the agency acknowledged only once the family's records were
 * erased: it was served {"erased": true} and received nothing, as a push
 * of it would have died family_erased). */
static json_t *
delivery_json(const struct sar_disclosure *d)
{
	char	t[32];

	if (d->delivery_state == NULL)
		return json_null();
	if (strcmp(d->delivery_state, "delivered") == 0 && d->receipt)
		return json_pack("{s:s, s:s}", "state", "delivered",
		    "delivered_at", store_time_fmt(d->delivered_us, t));
	if (store_delivery_stopped_by_consent(d->delivery_state, d->dead_reason))
		return json_pack("{s:s, s:s, s:b, s:s?}", "state", "stopped",
		    "reason", d->dead_reason,
		    "received", d->delivered_us != 0,
		    "received_at", d->delivered_us != 0 ? store_time_fmt(d->delivered_us, t) : NULL);
	if (strcmp(d->delivery_state, "dead") == 0 ||
	    strcmp(d->delivery_state, "delivered") == 0)
		return json_pack("{s:s}", "state", "not_delivered");
	return json_pack("{s:s}", "state", "pending");
}

/* When the family was told: sent (and when), pending, or not_sent (the
 * notifier gave up). */
static json_t *
notification_json(const char *state, int64_t sent_us)
{
	char	t[32];

	if (state != NULL && strcmp(state, "sent") == 0)
		return json_pack("{s:s, s:s}", "state", "sent", "sent_at",
		    store_time_fmt(sent_us, t));
	return json_pack("{s:s, s:n}", "state", state != NULL && strcmp(state, "failed") == 0 ?
	    "not_sent" : "pending", "sent_at");
}

/* Who read a shared record: the agency, or the charity role (never a
 * member of staff's name). */
static json_t *
reader_json(const struct profiles *p, const char *actor, const char *role)
{
	if (strcmp(role, "agency") == 0 && actor != NULL && strncmp(actor, "agency:", 7) == 0)
		return json_pack("{s:s, s:o}", "kind", "agency", "agency",
		    recipient(p, actor + 7));
	return json_pack("{s:s, s:s}", "kind", "charity", "role", role);
}

/* A read of the item of by (a disclosure's, a consent's or a request's)
 * listed. */
static int
accessed(struct export *x, json_t *by, const struct sar_access *a)
{
	json_t	*item = json_object_get(by, a->record_id);
	char	 t[32];

	if (item == NULL)
		return 0;
	return json_array_append_new(json_object_get(item, "accessed"), json_pack("{s:s, s:o}",
	    "date", store_time_fmt(a->read_us, t),
	    "by", reader_json(x->gw->profiles, a->actor, a->actor_role))) == 0 ? 0 : -1;
}

static int
access_cb(const struct sar_access *a, void *arg)
{
	struct export	*x = arg;

	return accessed(x, x->by_disclosure, a);
}

static int
consent_access_cb(const struct sar_access *a, void *arg)
{
	struct export	*x = arg;

	return accessed(x, x->by_consent, a);
}

static int
request_access_cb(const struct sar_access *a, void *arg)
{
	struct export	*x = arg;

	return accessed(x, x->by_request, a);
}

/* A statement supplied, with the number of its records the family may be
 * told of: not s->records, which counts a disclosure still held under a
 * safeguarding override or notification hold (left out of this export, so
 * its count must not show it either: "2 records" beside one listed share
 * is a gap). Recounted from the statement as witness.c gathers it (the
 * same records every time: those up to the quorum), once per request;
 * null when it can no longer be drawn up (its records differ from the
 * ledger). */
static int
statement_cb(const struct sar_statement *s, void *arg)
{
	struct export		*x = arg;
	json_t			*item = json_object_get(x->by_request, s->request_id);
	json_t			*n;
	struct request_row	*rq = NULL;
	char			 t[32];
	int			 rc, k = 0;

	if (item == NULL)
		return 0;
	if ((n = json_object_get(x->told, s->request_id)) == NULL) {
		if (store_request_get(x->c, s->request_id, &rq) != 0)
			return -1;
		rc = witness_told(x->gw, x->c, rq, NULL, &k);
		store_request_free(rq);
		if (rc == WITNESS_ERROR ||
		    json_object_set_new(x->told, s->request_id, rc == WITNESS_OK ?
		    json_integer(k) : json_null()) != 0)
			return -1;
		n = json_object_get(x->told, s->request_id);
	}
	return json_array_append_new(json_object_get(item, "statements_supplied"),
	    json_pack("{s:s, s:O}", "date", store_time_fmt(s->issued_us, t),
	    "records", n)) == 0 ? 0 : -1;
}

/* Shared before the family was told: under a safeguarding override, its
 * legal basis; on consent under a notification hold, "consent" (the basis
 * it was shared on; the hold's reason, like an override's, stays the
 * charity's). Never the reason. null when the family was told as usual. */
static json_t *
told_after_sharing(const struct sar_disclosure *d)
{
	char	t[32];

	if (d->override_basis == NULL && !d->notification_hold)
		return json_null();
	return json_pack("{s:s, s:s}", "basis",
	    d->override_basis != NULL ? d->override_basis : "consent",
	    "hold_lifted_at", store_time_fmt(d->lifted_us, t));
}

/* Whether the export shows a share or request whose row was checked as
 * signed (shared: its signed decision is allowed; held: it was held from
 * the family at its making, as signed), decided by sar_shown.h from that
 * and from the signed lift, never from its notification row, which is not
 * signed: 1 shown; 0 left out, without trace; -1 not (x->failed set): 2
 * held with no signed lift though its row says lifted (logged: the id
 * only; the export is refused, as for a record not as signed), 1 a read
 * failed, or a lift committed a moment ago is not in the tree yet. */
static int
shown_as_signed(struct export *x, const char *what, const char *id, int request,
    int shared, int held, int64_t row_lifted_us)
{
	int	rc, lifted = 0;

	if (shared && held) {
		rc = hold_released_signed(x->gw->ledger, x->c, x->pseudonym, id, request);
		if (rc != 0 && rc != 1) {
			x->failed = 1;
			return -1;
		}
		lifted = rc == 1;
	}
	switch (sar_shown(shared, held, lifted, row_lifted_us != 0)) {
	case SAR_SHOWN:
		return 1;
	case SAR_LEFT_OUT:
		return 0;
	case SAR_NOT_AS_SIGNED:
		break;
	}
	log_errx("%s %s: its hold was never lifted as signed, though its notification "
	    "row says so: no export is made", what, id);
	x->failed = 2;
	return -1;
}

static int
disclosure_cb(const struct sar_disclosure *d, void *arg)
{
	struct export		*x = arg;
	struct disclosure_row	*row = NULL;
	json_t			*item, *fields, *data = NULL, *review, *withheld;
	char			*pt = NULL, t[32];
	size_t			 ptlen = 0;
	int			 rc;

	/* Every row of the family, refused and held ones too, is checked:
	 * nothing of a row that is not what its ledger entry signed, and the
	 * whole export is refused (x->failed 2), not made without it. What is
	 * shown is decided from the row as signed (a refused attempt, or one
	 * held and not lifted as signed, is left out: nothing of it counted). */
	if ((rc = store_disclosure_get(x->c, d->id, &row)) == 0)
		rc = disclosure_signed(x->gw->ledger, x->c, row);
	if (rc != 0) {
		store_disclosure_free(row);
		x->failed = rc == 1 ? 2 : 1;
		return -1;
	}
	rc = shown_as_signed(x, "disclosure", d->id, 0, row->decision != NULL &&
	    strcmp(row->decision, "allowed") == 0, hold_made_held(row), d->lifted_us);
	store_disclosure_free(row);
	if (rc <= 0)
		return rc;
	if ((fields = json_loads(d->disclosed_fields ? d->disclosed_fields : "[]", 0, NULL)) == NULL)
		fields = json_array();
	if (d->data_ct != NULL) {
		rc = vault_unseal(x->gw->vault, x->c, x->pseudonym, d->data_ct, d->data_ctlen,
		    &pt, &ptlen);
		if (rc == -1) {
			json_decref(fields);
			x->failed = 1;
			return -1;
		}
		if (rc == 0) {
			data = json_loadb(pt, ptlen, 0, NULL);
			wipe_free(pt);
		}
	}
	/* What may name or concern others is held back for review (none of
	 * the values leave if that cannot be done). */
	review = json_array();
	withheld = json_array();
	if (review == NULL || withheld == NULL ||
	    (data != NULL && sar_redact(data, x->include, review, withheld) != 0)) {
		json_decref(review);
		json_decref(withheld);
		json_decref(data);
		json_decref(fields);
		x->failed = 1;
		return -1;
	}
	if (json_array_size(review) > 0)
		x->review = 1;
	item = json_pack("{s:s, s:s, s:o, s:s, s:s?, s:{s:s?, s:s?}, s:s?, s:o, s:o}",
	    "reference", d->id, "date", store_time_fmt(d->created_us, t),
	    "recipient", recipient(x->gw->profiles, d->agency_id),
	    "purpose", d->purpose,
	    "purpose_description", purpose_words(x->gw->profiles, d->agency_id, d->purpose),
	    "lawful_basis", "article6", d->article6, "article9", d->article9,
	    "consent_reference", d->consent_id,
	    "fields", fields, "data", data ? data : json_null());
	if (item == NULL) {
		json_decref(review);
		json_decref(withheld);
		return -1;
	}
	/* Both set (each steals its array, set or not), whichever fails. */
	rc = json_object_set_new(item, "withheld_fields", withheld);
	if ((json_object_set_new(item, "review_fields", review) | rc) != 0 ||
	    json_object_set_new(item, "delivery", delivery_json(d)) != 0 ||
	    json_object_set_new(item, "notification",
	    notification_json(d->notification_state, d->notified_us)) != 0 ||
	    json_object_set_new(item, "told_after_sharing", told_after_sharing(d)) != 0 ||
	    json_object_set_new(item, "accessed", json_array()) != 0 ||
	    json_object_set_new(item, "recipient_told", json_array()) != 0 ||
	    json_object_set(x->by_disclosure, d->id, item) != 0) {
		json_decref(item);
		return -1;
	}
	json_array_append_new(x->disclosures, item);
	return 0;
}

static int
consent_cb(const struct consent_row *r, void *arg)
{
	struct export	*x = arg;
	const char	*status;
	json_t		*item;
	char		 g[32], e[32], w[32];
	int		 rc;

	/* As a shared item: a consent whose row is not what its ledger
	 * entries signed (consent_signed.h: a withdrawal undone, a date or
	 * agency changed) refuses the whole export (x->failed 2). */
	if ((rc = consent_signed(x->gw->ledger, x->c, r, NULL)) != 0) {
		if (rc == 1)
			log_errx("consent %s does not match its ledger entries (what they "
			    "signed): no export is made", r->id);
		x->failed = rc == 1 ? 2 : 1;
		return -1;
	}
	if (r->withdrawn_us != 0)
		status = "withdrawn";
	else if (r->expires_us != 0 && r->expires_us < x->now_us)
		status = "expired";
	else if (x->ended)
		status = "ended_by_erasure";	/* nothing can be shared under it */
	else
		status = "live";
	item = json_pack("{s:s, s:o, s:s, s:s?, s:s, s:s, s:s?, s:s?, s:[]}",
	    "reference", r->id, "recipient", recipient(x->gw->profiles, r->agency_id),
	    "purpose", r->purpose,
	    "purpose_description", purpose_words(x->gw->profiles, r->agency_id, r->purpose),
	    "status", status,
	    "granted_at", store_time_fmt(r->granted_us, g),
	    "expires_at", r->expires_us ? store_time_fmt(r->expires_us, e) : NULL,
	    "withdrawn_at", r->withdrawn_us ? store_time_fmt(r->withdrawn_us, w) : NULL,
	    "accessed");
	if (item == NULL || json_object_set(x->by_consent, r->id, item) != 0) {
		json_decref(item);
		return -1;
	}
	json_array_append_new(x->consents, item);
	return 0;
}

static int
request_cb(const struct sar_request *q, void *arg)
{
	struct export		*x = arg;
	struct request_row	*rq = NULL;
	json_t			*fields, *item;
	char			 t[32], d[32], c[32];
	int			 rc;

	/* As a disclosure: a request whose row or decisions are not what
	 * their ledger entries signed (request_signed.h) refuses the whole
	 * export (x->failed 2), rather than listing what they now say; one
	 * made with do_not_notify (as signed) is left out until its lift is
	 * signed. */
	if ((rc = store_request_get(x->c, q->id, &rq)) == 0)
		rc = request_signed(x->gw->ledger, x->c, rq, NULL, 0);
	else
		rc = -1;	/* listed a moment ago, in this read */
	if (rc != 0) {
		store_request_free(rq);
		x->failed = rc == 1 ? 2 : 1;
		return -1;
	}
	rc = shown_as_signed(x, "request", q->id, 1, 1, rq->do_not_notify != 0, q->lifted_us);
	store_request_free(rq);
	if (rc <= 0)
		return rc;
	if ((fields = json_loads(q->fields ? q->fields : "[]", 0, NULL)) == NULL)
		fields = json_array();
	item = json_pack("{s:s, s:s, s:o, s:s?, s:o, s:{s:s?, s:s?}, s:s, s:s?, s:s?}",
	    "reference", q->id, "date", store_time_fmt(q->created_us, t),
	    "requester", recipient(x->gw->profiles, q->agency_id),
	    "legal_basis", q->legal_basis, "fields", fields,
	    "period", "from", q->period_from, "to", q->period_to,
	    "status", q->state,
	    "decided_at", q->decided_us ? store_time_fmt(q->decided_us, d) : NULL,
	    "closed_at", q->closed_us ? store_time_fmt(q->closed_us, c) : NULL);
	if (item == NULL || json_object_set_new(item, "notified_at", q->notified_us ?
	    json_string(store_time_fmt(q->notified_us, t)) : json_null()) != 0 ||
	    json_object_set_new(item, "statements_supplied", json_array()) != 0 ||
	    json_object_set_new(item, "accessed", json_array()) != 0 ||
	    json_object_set_new(item, "recipient_told", json_array()) != 0 ||
	    json_object_set(x->by_request, q->id, item) != 0) {
		json_decref(item);
		return -1;
	}
	json_array_append_new(x->requests, item);
	return 0;
}

/* A request the ledger signed as filed about the family, or a disclosure
 * it signed as allowed, has no row of it now (rc 1: deleted, or moved to
 * another family): as for a row not as signed, the whole export is refused
 * (409); or it could not be checked now (rc -1): 503, as for a read that
 * failed. */
static int
filing_cb(const char *id, int rc, void *arg)
{
	struct export	*x = arg;

	(void)id;	/* logged by the check */
	x->failed = rc == 1 ? 2 : 1;
	return -1;
}

/* An earlier export of the family's record: when, and the charity role
 * that made it (never the name or the reason). */
static int
export_cb(const struct sar_access *a, void *arg)
{
	struct export	*x = arg;
	char		 t[32];

	return json_array_append_new(x->exports, json_pack("{s:s, s:o}",
	    "date", store_time_fmt(a->read_us, t),
	    "by", reader_json(x->gw->profiles, a->actor, a->actor_role))) == 0 ? 0 : -1;
}

/* A breach notice that told the family: when, how, which breach. */
static int
breach_notice_cb(const struct sar_breach_notice *n, void *arg)
{
	struct export	*x = arg;
	char		 t[32];

	return json_array_append_new(x->breach_notices, json_pack("{s:s, s:s, s:s, s:s}",
	    "reference", n->notice_id, "breach", n->breach_id,
	    "date", store_time_fmt(n->notified_us, t), "method", n->method)) == 0 ? 0 : -1;
}

/* ---- the record of the export ---- */

struct record_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*pseudonym;
	const char		*reason;
	const char		*state;		/* "available", "erased", "expired", "none" */
	int			 include;	/* ?include=free_text */
	struct sar_read_row	 row;
};

static int
record_job(struct store_conn *c, void *arg)
{
	struct record_job	*j = arg;
	struct ledger_entry	 e;
	int			 rc = -1;

	/* The reason is sealed under the family key while there is one; an
	 * export of an erased or unknown family keeps no reason text (nor
	 * makes a key for a family the charity never held). The entry's
	 * reason is the records' state when they are gone, else whether the
	 * values kept back for review were asked for and released
	 * ("include=free_text"; an erased family's have nothing to release). */
	if (strcmp(j->state, "available") == 0 &&
	    vault_seal(j->gw->vault, c, j->pseudonym, j->reason, strlen(j->reason),
	    &j->row.reason_ct, &j->row.reason_ctlen) != 0)
		goto out;
	if (store_sar_read_digest(&j->row, j->row.record_digest) == -1)
		goto out;
	e = (struct ledger_entry){ .actor = j->who->id, .actor_role = role_name(j->who->role),
	    .action = "family.subject_access", .family_pseudonym = j->pseudonym,
	    .object_id = j->row.id, .reason = strcmp(j->state, "available") != 0 ? j->state :
	    j->include ? "include=free_text" : NULL,
	    .record_digest = j->row.record_digest };
	if (ledger_append(j->gw->ledger, c, &e, &j->row.ledger_seq, NULL) == -1 ||
	    store_sar_read_insert(c, &j->row) == -1)
		goto out;
	rc = 0;
out:
	free(j->row.reason_ct);
	j->row.reason_ct = NULL;
	return rc;
}

/* ---- text rendering ---- */

struct buf {
	char	*p;
	size_t	 len, cap;
	int	 failed;
};

static void
bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->p != NULL && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t	ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
			char	*np = wipe_realloc(b->p, ncap);	/* no copy left */

			if (np == NULL) {
				b->failed = 1;
				return;
			}
			b->p = np;
			b->cap = ncap;
		}
	}
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The date part of an RFC 3339 time. */
static const char *
day(const json_t *o, const char *k, char out[11])
{
	snprintf(out, 11, "%s", jstr(o, k));
	return out;
}

static void
text_value(struct buf *b, const json_t *v)
{
	char	*s;

	if (json_is_string(v)) {
		bprintf(b, "%s", json_string_value(v));
		return;
	}
	if ((s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT)) == NULL) {
		b->failed = 1;
		return;
	}
	bprintf(b, "%s", s);
	wipe_free(s);
}

/*
 * The printed export is for the family (UK GDPR Art 12(1): "clear and plain
 * language"): each legal code it prints is said in words, the code after
 * it in brackets so that the charity can match it to the JSON. A code with
 * no words here is printed as it is.
 */
struct words {
	const char	*code, *words, *law;	/* law: NULL, none to cite */
};

static const struct words art6_words[] = {
	{ "consent", "your consent",
	    "UK GDPR Article 6(1)(a)" },
	{ "legal_obligation", "a legal obligation on the charity",
	    "UK GDPR Article 6(1)(c)" },
	{ "vital_interests", "to protect someone's life",
	    "UK GDPR Article 6(1)(d)" },
	{ "public_task", "a task carried out in the public interest",
	    "UK GDPR Article 6(1)(e)" },
	{ "legitimate_interests", "the legitimate interests of the charity or the agency",
	    "UK GDPR Article 6(1)(f)" },
	{ NULL, NULL, NULL }
};

static const struct words art9_words[] = {
	{ "explicit_consent", "your explicit consent",
	    "UK GDPR Article 9(2)(a)" },
	{ "vital_interests", "to protect someone's life",
	    "UK GDPR Article 9(2)(c)" },
	{ "legal_claims", "legal claims or court proceedings",
	    "UK GDPR Article 9(2)(f)" },
	{ "safeguarding_sch1_p18", "safeguarding a child or an adult at risk",
	    "Data Protection Act 2018, Schedule 1 paragraph 18" },
	{ "health_social_care", "health or social care",
	    "UK GDPR Article 9(2)(h)" },
	{ NULL, NULL, NULL }
};

/* The legal basis of a safeguarding override or of a police or court
 * request. */
static const struct words basis_words[] = {
	{ "legal_obligation", "a legal obligation on the charity",
	    "UK GDPR Article 6(1)(c)" },
	{ "vital_interests", "to protect someone's life",
	    "UK GDPR Article 6(1)(d)" },
	{ "safeguarding_sch1_p18", "safeguarding a child or an adult at risk",
	    "Data Protection Act 2018, Schedule 1 paragraph 18" },
	{ "crime_sch2_p2", "preventing or detecting crime",
	    "Data Protection Act 2018, Schedule 2 paragraph 2" },
	{ "court_order", "a court order", NULL },
	{ "legal_proceedings_sch2_p5", "legal proceedings",
	    "Data Protection Act 2018, Schedule 2 paragraph 5" },
	{ NULL, NULL, NULL }
};

static const struct words request_status_words[] = {
	{ "awaiting_approval", "waiting for the trustees to decide", NULL },
	{ "approved", "approved by the trustees", NULL },
	{ "refused", "refused by the trustees", NULL },
	{ "closed", "closed", NULL },
	{ NULL, NULL, NULL }
};

/* Prints code in words: "words (law; code)", the words alone when there is
 * no law to cite (a state), or the code as it is when it has no words. */
static void
bwords(struct buf *b, const struct words *w, const char *code)
{
	for (; w->code != NULL; w++)
		if (strcmp(w->code, code) == 0) {
			if (w->law != NULL)
				bprintf(b, "%s (%s; %s)", w->words, w->law, code);
			else
				bprintf(b, "%s", w->words);
			return;
		}
	bprintf(b, "%s", code);
}

/* How the consent a stopped item relied on ended, in the family's words. */
static const char *
stopped_how(const json_t *it)
{
	const char	*why;

	why = json_string_value(json_object_get(json_object_get(it, "delivery"), "reason"));
	return why != NULL && strcmp(why, DELIVERY_CONSENT_EXPIRED) == 0 ?
	    "expired" : "was withdrawn";
}

/* When the family was told of a shared item, and whether only afterwards. */
static void
text_told(struct buf *b, const json_t *it)
{
	const json_t	*n = json_object_get(it, "notification"), *late;
	const char	*st = jstr(n, "state");
	char		 d[11];

	if (strcmp(st, "sent") == 0)
		bprintf(b, "   You were told of it: %s\n", day(n, "sent_at", d));
	else if (strcmp(st, "not_sent") == 0)
		bprintf(b, "   We could not send you the notice of it at the time\n");
	else
		bprintf(b, "   The notice of it to you is on its way\n");
	late = json_object_get(it, "told_after_sharing");
	/* A notification hold on a share made with the family's consent
	 * (basis "consent"): the consent was to the sharing, never to not
	 * being told, so "(basis: consent)" would read as if it were. */
	if (json_is_object(late) && strcmp(jstr(late, "basis"), "consent") == 0)
		bprintf(b, "   Shared with your consent; we told you only afterwards, to protect "
		    "someone at risk; you could be told from %s\n", day(late, "hold_lifted_at", d));
	else if (json_is_object(late))
	{
		bprintf(b, "   Shared before you were told, to protect someone at risk, on the "
		    "basis of ");
		bwords(b, basis_words, jstr(late, "basis"));
		bprintf(b, "; you could be told from %s\n", day(late, "hold_lifted_at", d));
	}
}

/* Who has read an item (a shared record, a request, a consent) since. */
/* The agency (or the requester) told of the family's erasure, or of the
 * consent's withdrawal (UK GDPR Art 19), and whether it acknowledged. */
static void
text_recipient_told(struct buf *b, const json_t *told)
{
	const json_t	*n;
	size_t		 i;
	char		 d1[11], d2[11];

	json_array_foreach(told, i, n) {
		bprintf(b, "   The agency was told of %s on %s",
		    strcmp(jstr(n, "of"), "family_erased") == 0 ? "the erasure of your records" :
		    "the withdrawal of your consent", day(n, "told_at", d1));
		if (json_string_value(json_object_get(n, "acknowledged_at")) != NULL)
			bprintf(b, ", and acknowledged it on %s\n", day(n, "acknowledged_at", d2));
		else
			bprintf(b, "; it has not yet acknowledged it\n");
	}
}

static void
text_accessed(struct buf *b, const json_t *acc)
{
	const json_t	*a, *by, *ag;
	size_t		 i;
	char		 d[11];

	json_array_foreach(acc, i, a) {
		by = json_object_get(a, "by");
		ag = json_object_get(by, "agency");
		if (ag != NULL)
			bprintf(b, "   %s %s: read by %s (%s)\n", i ? "          " : "Accessed:",
			    day(a, "date", d), json_string_value(json_object_get(ag, "name")) ?
			    jstr(ag, "name") : jstr(ag, "agency_id"), jstr(ag, "agency_id"));
		else
			bprintf(b, "   %s %s: read by the charity (%s)\n",
			    i ? "          " : "Accessed:", day(a, "date", d), jstr(by, "role"));
	}
}

/* A line naming fields, when there are any: "head a, b". */
static void
text_names(struct buf *b, const char *head, const json_t *names)
{
	const json_t	*f;
	size_t		 i;

	if (json_array_size(names) == 0)
		return;
	bprintf(b, "%s", head);
	json_array_foreach(names, i, f)
		bprintf(b, "%s %s", i ? "," : "", json_string_value(f) ? json_string_value(f) : "");
	bprintf(b, "\n");
}

static char *
render_text(const json_t *x, size_t *len)
{
	struct buf	 b = { 0 };
	const json_t	*a, *it, *rcp, *v, *fv, *wh;
	const char	*k, *dst, *st;
	size_t		 i;
	char		 d1[11], d2[11];

	bprintf(&b, "SUBJECT ACCESS EXPORT\n\nFamily: %s\nPrepared: %s by the charity (%s)\n",
	    jstr(x, "family_id"), jstr(x, "prepared_at"), jstr(x, "prepared_by"));
	/* For the charity, before the copy goes out (review_required). */
	if (json_is_true(json_object_get(x, "review_required")))
		bprintf(&b, "\nDRAFT: NOT TO BE RELEASED BEFORE A REDACTION REVIEW. Some of what "
		    "was shared is free text, or says what someone said of another, and may name "
		    "or concern other people (UK GDPR Article 15(4)). %s\n",
		    json_is_true(json_object_get(x, "free_text")) ?
		    "Those values are in this copy (\"For review before release\" under each "
		    "item): review each, and remove what would adversely affect others, before "
		    "this copy is given to the family." :
		    "Those values are not in this copy (\"Not shown in this copy\" under each "
		    "item); staff who have reviewed them can ask for them with ?include=free_text.");
	if (strcmp(jstr(x, "records"), "available") != 0) {
		int	expired = strcmp(jstr(x, "records"), "expired") == 0;

		bprintf(&b, "\nThe records about this family were %s on %s%s: what was shared, "
		    "and the reasons given, can no longer be read by anyone. What is kept is the "
		    "record of what was shared, with whom and when (below), by which the "
		    "charity accounts for its sharing.\n", expired ? "deleted" : "erased",
		    day(x, "records_changed_at", d1),
		    expired ? ", at the end of the time the charity keeps them" : "");
	}
	a = json_object_get(x, "disclosures");
	bprintf(&b, "\nINFORMATION SHARED WITH OTHER AGENCIES\n");
	if (json_array_size(a) == 0)
		bprintf(&b, "  None.\n");
	json_array_foreach(a, i, it) {
		rcp = json_object_get(it, "recipient");
		bprintf(&b, "\n%zu. %s  to %s (%s)\n", i + 1, day(it, "date", d1),
		    json_string_value(json_object_get(rcp, "name")) ?
		    jstr(rcp, "name") : jstr(rcp, "agency_id"), jstr(rcp, "agency_id"));
		if (json_string_value(json_object_get(it, "purpose_description")) != NULL)
			bprintf(&b, "   Purpose: %s (%s)\n   Lawful basis: ",
			    jstr(it, "purpose_description"), jstr(it, "purpose"));
		else
			bprintf(&b, "   Purpose: %s\n   Lawful basis: ", jstr(it, "purpose"));
		bwords(&b, art6_words, jstr(json_object_get(it, "lawful_basis"), "article6"));
		bprintf(&b, "\n");
		if (json_string_value(json_object_get(json_object_get(it, "lawful_basis"), "article9"))) {
			bprintf(&b, "   Sensitive (special category) information shared on the basis of ");
			bwords(&b, art9_words, jstr(json_object_get(it, "lawful_basis"), "article9"));
			bprintf(&b, "\n");
		}
		bprintf(&b, "   Reference: %s\n", jstr(it, "reference"));
		if (json_string_value(json_object_get(it, "consent_reference")))
			bprintf(&b, "   Shared under your consent: %s\n", jstr(it, "consent_reference"));
		dst = json_string_value(json_object_get(json_object_get(it, "delivery"), "state"));
		if (dst != NULL && strcmp(dst, "delivered") == 0)
			bprintf(&b, "   The agency confirmed receiving it: %s\n",
			    day(json_object_get(it, "delivery"), "delivered_at", d2));
		else if (dst != NULL && strcmp(dst, "stopped") == 0 &&
		    json_is_true(json_object_get(json_object_get(it, "delivery"), "received")))
			bprintf(&b, "   Sent before the consent %s; the agency confirmed "
			    "receiving it: %s\n", stopped_how(it),
			    day(json_object_get(it, "delivery"), "received_at", d2));
		else if (dst != NULL && strcmp(dst, "stopped") == 0)
			bprintf(&b, "   Stopped when the consent %s, before the agency "
			    "confirmed receiving it\n", stopped_how(it));
		else if (dst != NULL && strcmp(dst, "not_delivered") == 0)
			bprintf(&b, "   Not delivered to the agency\n");
		else if (dst != NULL)
			bprintf(&b, "   Not yet confirmed received by the agency\n");
		text_told(&b, it);
		text_recipient_told(&b, json_object_get(it, "recipient_told"));
		text_accessed(&b, json_object_get(it, "accessed"));
		bprintf(&b, "   Information shared:\n");
		v = json_object_get(it, "data");
		wh = json_object_get(it, "withheld_fields");
		if (!json_is_object(v) || (json_object_size(v) == 0 && json_array_size(wh) == 0)) {
			const json_t	*f;
			size_t		 fi;

			bprintf(&b, "     (no longer readable; the fields shared were:");
			json_array_foreach(json_object_get(it, "fields"), fi, f)
				bprintf(&b, "%s %s", fi ? "," : "",
				    json_string_value(f) ? json_string_value(f) : "");
			bprintf(&b, ")\n");
		}
		json_object_foreach((json_t *)v, k, fv) {
			bprintf(&b, "     %s: ", k);
			text_value(&b, fv);
			bprintf(&b, "\n");
		}
		if (json_is_object(v))
			text_names(&b, json_is_true(json_object_get(x, "free_text")) ?
			    "     For review before release:" :
			    "     Not shown in this copy, as it may concern other people:",
			    json_object_get(it, json_is_true(json_object_get(x, "free_text")) ?
			    "review_fields" : "withheld_fields"));
	}
	a = json_object_get(x, "requests");
	bprintf(&b, "\nREQUESTS FROM THE POLICE OR COURTS\n");
	if (json_array_size(a) == 0)
		bprintf(&b, "  None.\n");
	json_array_foreach(a, i, it) {
		const json_t	*f;
		size_t		 fi;

		rcp = json_object_get(it, "requester");
		bprintf(&b, "\n%zu. %s  from %s (%s)\n   Legal basis: ",
		    i + 1, day(it, "date", d1), json_string_value(json_object_get(rcp, "name")) ?
		    jstr(rcp, "name") : jstr(rcp, "agency_id"), jstr(rcp, "agency_id"));
		bwords(&b, basis_words, jstr(it, "legal_basis"));
		bprintf(&b, "\n   Status: ");
		bwords(&b, request_status_words, jstr(it, "status"));
		bprintf(&b, "\n   Period asked for: %s to %s\n   Information asked for:",
		    jstr(json_object_get(it, "period"), "from"),
		    jstr(json_object_get(it, "period"), "to"));
		json_array_foreach(json_object_get(it, "fields"), fi, f)
			bprintf(&b, "%s %s", fi ? "," : "",
			    json_string_value(f) ? json_string_value(f) : "");
		bprintf(&b, "\n");
		if (json_string_value(json_object_get(it, "notified_at")))
			bprintf(&b, "   You were told of it: %s\n", day(it, "notified_at", d2));
		json_array_foreach(json_object_get(it, "statements_supplied"), fi, f) {
			if (!json_is_integer(json_object_get(f, "records"))) {
				bprintf(&b, "   Witness statement supplied: %s\n",
				    day(f, "date", d2));
				continue;
			}
			bprintf(&b, "   Witness statement supplied: %s (%lld record%s)\n",
			    day(f, "date", d2),
			    (long long)json_integer_value(json_object_get(f, "records")),
			    json_integer_value(json_object_get(f, "records")) == 1 ? "" : "s");
		}
		text_recipient_told(&b, json_object_get(it, "recipient_told"));
		text_accessed(&b, json_object_get(it, "accessed"));
	}
	a = json_object_get(x, "breach_notices");
	bprintf(&b, "\nBREACHES OF YOUR PERSONAL DATA YOU WERE TOLD OF\n");
	if (json_array_size(a) == 0)
		bprintf(&b, "  None.\n");
	json_array_foreach(a, i, it) {
		st = jstr(it, "method");
		bprintf(&b, "\n%zu. %s  we told you %s\n   Breach reference: %s\n", i + 1,
		    day(it, "date", d1), strcmp(st, "letter") == 0 ? "by letter" :
		    strcmp(st, "email") == 0 ? "by email" : strcmp(st, "phone") == 0 ?
		    "by phone" : strcmp(st, "in_person") == 0 ? "in person" :
		    strcmp(st, "public_notice") == 0 ? "by a public notice" : "in another way",
		    jstr(it, "breach"));
	}
	a = json_object_get(x, "consents");
	bprintf(&b, "\nCONSENTS GIVEN\n");
	if (json_array_size(a) == 0)
		bprintf(&b, "  None.\n");
	json_array_foreach(a, i, it) {
		rcp = json_object_get(it, "recipient");
		st = jstr(it, "status");
		bprintf(&b, "\n%zu. To share with %s (%s) for %s\n", i + 1,
		    json_string_value(json_object_get(rcp, "name")) ?
		    jstr(rcp, "name") : jstr(rcp, "agency_id"), jstr(rcp, "agency_id"),
		    jstr(it, "purpose"));
		if (json_string_value(json_object_get(it, "purpose_description")) != NULL)
			bprintf(&b, "   That is: %s\n", jstr(it, "purpose_description"));
		bprintf(&b, "   Given: %s   ", day(it, "granted_at", d1));
		/* Only the date that ended it, or the one it will end on: an
		 * expiry printed beside a withdrawal reads as if it still ran. */
		if (strcmp(st, "withdrawn") == 0)
			bprintf(&b, "Withdrawn: %s", day(it, "withdrawn_at", d2));
		else if (strcmp(st, "expired") == 0)
			bprintf(&b, "Expired: %s", day(it, "expires_at", d2));
		else if (strcmp(st, "ended_by_erasure") == 0)
			bprintf(&b, "Ended: %s, when your records were %s",
			    day(x, "records_changed_at", d2), strcmp(jstr(x, "records"), "expired") == 0 ?
			    "deleted at the end of the time we keep them" : "erased");
		else if (strcmp(st, "live") == 0 &&
		    json_string_value(json_object_get(it, "expires_at")) != NULL)
			bprintf(&b, "In force until %s unless you withdraw it",
			    day(it, "expires_at", d2));
		else if (strcmp(st, "live") == 0)
			bprintf(&b, "In force until you withdraw it");
		else
			bprintf(&b, "Status: %s", st);
		bprintf(&b, "\n");
		text_accessed(&b, json_object_get(it, "accessed"));
	}
	a = json_object_get(x, "earlier_exports");
	bprintf(&b, "\nEARLIER COPIES OF THIS RECORD\n");
	if (json_array_size(a) == 0)
		bprintf(&b, "  None.\n");
	json_array_foreach(a, i, it)
		bprintf(&b, "  %s: made by the charity (%s)\n", day(it, "date", d1),
		    jstr(json_object_get(it, "by"), "role"));
	bprintf(&b, "\nThis export is recorded in the gateway's ledger (entry %lld).\n",
	    (long long)json_integer_value(json_object_get(x, "ledger_seq")));
	if (b.failed) {
		wipe_free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* A notice to a recipient (recipient_notice.h) under each disclosure or
 * request it named that the export shows (a held one is not shown, nor is
 * its notice): that the agency was told, when, and whether it acknowledged. */
static int
notice_to(const struct notice_row *n, const char *list, json_t *by)
{
	json_t		*ids, *id, *item, *told;
	size_t		 i;
	char		 t[32], a[32];

	if ((ids = json_loads(list, 0, NULL)) == NULL)
		return -1;
	json_array_foreach(ids, i, id) {
		if ((item = json_object_get(by, json_string_value(id))) == NULL ||
		    (told = json_object_get(item, "recipient_told")) == NULL)
			continue;
		if (json_array_append_new(told, json_pack("{s:s, s:s, s:o}", "of", n->kind,
		    "told_at", store_time_fmt(n->created_us, t), "acknowledged_at",
		    n->acked_us != 0 ? json_string(store_time_fmt(n->acked_us, a)) :
		    json_null())) != 0) {
			json_decref(ids);
			return -1;
		}
	}
	json_decref(ids);
	return 0;
}

static int
notice_cb(const struct notice_row *n, void *arg)
{
	struct export	*x = arg;

	return notice_to(n, n->disclosure_ids, x->by_disclosure) == 0 &&
	    notice_to(n, n->request_ids, x->by_request) == 0 ? 0 : -1;
}

static void
subject_access(struct request *r, struct response *rs)
{
	struct export		 x = { .gw = r->gw };
	struct record_job	 j = { .gw = r->gw, .who = r->who };
	struct erasure_row	 er;
	const char		*reason, *fmt, *inc;
	char			 pseudonym[65], t[32];
	json_t			*out;
	int			 key, rc, sig, integrity = 0;

	/* One that shows text (decide_has_text): http.c refused, and
	 * recorded, an export without (ROUTE_ACCESS_REASON). */
	reason = req_header(r, "X-Access-Reason");
	if (resp_reason_too_long(r, rs, reason))
		return;
	fmt = req_query(r, "format");
	if (fmt != NULL && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0) {
		resp_bad_query(rs, "format", "format must be json or text.");
		return;
	}
	/* The values that may name others, asked for by staff who reviewed
	 * them: this one word only, so that nothing else reads as a yes. */
	inc = req_query(r, "include");
	if (inc != NULL && strcmp(inc, "free_text") != 0) {
		resp_bad_query(rs, "include", "include must be free_text (after a redaction "
		    "review of the values it adds).");
		return;
	}
	x.include = j.include = inc != NULL;
	vault_pseudonym(r->gw->vault, r->params[0], pseudonym);
	x.pseudonym = pseudonym;
	x.now_us = store_now_us();
	x.disclosures = json_array();
	x.consents = json_array();
	x.requests = json_array();
	x.breach_notices = json_array();
	x.exports = json_array();
	x.by_disclosure = json_object();
	x.by_request = json_object();
	x.by_consent = json_object();
	x.told = json_object();
	out = json_pack("{s:s, s:s, s:s}", "family_id", r->params[0],
	    "prepared_at", store_time_fmt(x.now_us, t), "prepared_by", role_name(r->who->role));
	if ((x.c = store_read_begin(r->gw->store)) == NULL)
		goto unavailable;
	key = store_family_key_state(x.c, pseudonym);
	rc = key < 0 ? -1 : store_erasure_get(x.c, pseudonym, &er);
	if (key == 1)
		j.state = "available";
	else if (key == 0)
		j.state = "none";
	else if (rc == 0)
		j.state = strcmp(er.kind, "expired") == 0 ? "expired" : "erased";
	else
		j.state = "erased";
	/* An erased or expired family's records are listed too, their content
	 * unreadable (data null): what was shared, with whom and when is still
	 * held, and the family is told so. */
	x.ended = key == 2;
	if (rc != -1 && (key == 1 || key == 2) &&
	    (store_sar_disclosures(x.c, pseudonym, disclosure_cb, &x) != 0 ||
	    disclosure_allowances_signed(r->gw->ledger, x.c, pseudonym, filing_cb, &x) != 0 ||
	    store_sar_accesses(x.c, pseudonym, access_cb, &x) != 0 ||
	    store_sar_requests(x.c, pseudonym, request_cb, &x) != 0 ||
	    request_filings_signed(r->gw->ledger, x.c, pseudonym, filing_cb, &x) != 0 ||
	    store_sar_request_accesses(x.c, pseudonym, request_access_cb, &x) != 0 ||
	    store_sar_statements(x.c, pseudonym, statement_cb, &x) != 0 ||
	    store_sar_consents(x.c, pseudonym, consent_cb, &x) != 0 ||
	    store_sar_consent_accesses(x.c, pseudonym, consent_access_cb, &x) != 0 ||
	    store_notices_of_family(x.c, pseudonym, notice_cb, &x) != 0))
		rc = -1;
	/* A breach notice may have told a family whatever its records' state
	 * (one the gateway never shared anything about among them); listed
	 * only as their breach.family_told entries signed them
	 * (breach_signed.h: a row added or deleted refuses the export). */
	if (rc != -1 && key >= 0 && !x.failed &&
	    (sig = breach_family_told_signed(r->gw->ledger, x.c, pseudonym)) != 0) {
		if (sig == 1)
			x.failed = 2;
		else
			rc = -1;
	}
	if (rc != -1 && key >= 0 && !x.failed &&
	    (store_sar_breach_notices(x.c, pseudonym, breach_notice_cb, &x) != 0 ||
	    store_sar_exports(x.c, pseudonym, export_cb, &x) != 0))
		rc = -1;
	json_decref(x.by_disclosure);
	json_decref(x.by_request);
	json_decref(x.by_consent);
	json_decref(x.told);
	x.by_disclosure = x.by_request = x.by_consent = x.told = NULL;
	store_read_end(r->gw->store, x.c);
	if (x.failed == 2) {
		integrity = 1;
		goto unavailable;
	}
	if (rc == -1 || key < 0 || x.failed)
		goto unavailable;
	json_object_set_new(out, "records", json_string(strcmp(j.state, "none") == 0 ?
	    "available" : j.state));
	if (key == 2 && rc == 0)
		json_object_set_new(out, "records_changed_at", json_string(store_time_fmt(er.at_us, t)));
	json_object_set_new(out, "free_text", json_boolean(x.include));
	json_object_set_new(out, "review_required", json_boolean(x.review));
	json_object_set_new(out, "disclosures", x.disclosures);
	json_object_set_new(out, "requests", x.requests);
	json_object_set_new(out, "consents", x.consents);
	json_object_set_new(out, "breach_notices", x.breach_notices);
	json_object_set_new(out, "earlier_exports", x.exports);
	x.disclosures = x.consents = x.requests = x.breach_notices = x.exports = NULL;

	/* Record the export before it leaves. */
	store_new_id("sar_", j.row.id, sizeof(j.row.id));
	snprintf(j.row.family_pseudonym, sizeof(j.row.family_pseudonym), "%s", pseudonym);
	snprintf(j.row.actor, sizeof(j.row.actor), "%s", r->who->id);
	snprintf(j.row.actor_role, sizeof(j.row.actor_role), "%s", role_name(r->who->role));
	j.row.read_us = x.now_us;
	j.pseudonym = pseudonym;
	j.reason = reason;
	if (writer_submit(r->gw->writer, record_job, &j) != 0)
		goto unavailable;
	json_object_set_new(out, "ledger_seq", json_integer(j.row.ledger_seq));
	log_info("subject-access export %s made", j.row.id);
	if (req_wants_text(r)) {
		size_t	len = 0;
		char	*text = render_text(out, &len);

		json_decref(out);
		if (text == NULL) {
			resp_error(rs, 500, "internal", "The export could not be rendered.", NULL);
			return;
		}
		resp_text(rs, 200, "text/plain; charset=utf-8", text, len);
		return;
	}
	resp_json(rs, 200, out);
	return;
unavailable:
	json_decref(x.by_disclosure);	/* still held if the store could not be read */
	json_decref(x.by_request);
	json_decref(x.by_consent);
	json_decref(x.told);
	json_decref(x.disclosures);
	json_decref(x.consents);
	json_decref(x.requests);
	json_decref(x.breach_notices);
	json_decref(x.exports);
	json_decref(out);
	if (integrity)		/* a refused read, recorded (http.h) */
		resp_refused(r, rs, 409, "record_integrity_failed",
		    "A stored record no longer matches what the ledger signed, so no export "
		    "is made; the operators are told.", NULL);
	else	/* or a record not vouched for (the *_signed checks above) */
		resp_unavailable(r, rs, "The export cannot be made now. Try again.");
}

const struct route sar_routes[] = {
	{ "GET", "/v1/families/{id}/subject-access", ROLE_BIT(ROLE_STAFF), NULL, subject_access,
	    ROUTE_FAMILY_READ | ROUTE_ACCESS_REASON },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
