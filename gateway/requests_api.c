/*
 * requests_api.c: police and court requests, from filing to the witness
 * statement (DESIGN.md, issue 6).
 *
 *   POST /v1/requests                      the police or court agency, or staff
 *                                          on its behalf (on_behalf_of): 202
 *                                          awaiting_approval; trustees notified
 *   GET  /v1/requests                      trustees: every request; an agency:
 *                                          its own. No personal data.
 *   GET  /v1/requests/{id}                 trustees, the requesting agency: the
 *                                          request; its personal fields only once
 *                                          approved and with X-Access-Reason
 *                                          (then the read is kept: request_reads,
 *                                          the reason sealed, and a ledger
 *                                          entry); trustees see every read
 *   POST /v1/requests/{id}/decisions       trustees: approve or refuse (quorum.c)
 *   GET  /v1/requests/{id}/statement       the requesting agency once approved,
 *                                          trustees: the witness statement
 *                                          (gathered from the signed records
 *                                          by witness.c, its form statement.c),
 *                                          JSON, or text with ?format=text
 *                                          or Accept: text/plain
 *   POST /v1/requests/{id}/notification/lift  safeguarding lead: releases the
 *                                          family notification do_not_notify held
 *   POST /v1/requests/{id}/close           trustees: ends the request and
 *                                          its legal hold (the reason kept
 *                                          sealed; trustees see it)
 *
 * A request awaiting approval or approved is a legal hold on the family's
 * records (no erasure, no expiry): a legal_holds row (source "request")
 * opened in the filing's writer job and released in the refusal's or
 * closure's.
 *
 * Every filing, decision (and refused attempt), read, issue, lift and
 * closure is a ledger entry written in the same writer job as the row it
 * describes. Another agency's request is 404, as if it did not exist; a
 * refused read, decision, lift or closure (404, not as signed 409, a
 * statement not released) is an access.refused entry (resp_refused). The
 * family's id, the requester's reference and every reason are sealed with
 * the family key; logs and ledger entries carry ids, codes and pseudonyms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "decide.h"
#include "fields.h"
#include "gateway.h"
#include "http.h"
#include "idempotency.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "profiles.h"
#include "quorum.h"
#include "record_read.h"
#include "request_signed.h"
#include "request_status.h"
#include "statement.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "witness.h"
#include "writer.h"

#define UNAVAILABLE_MESSAGE	"The store does not answer. Try again."

static void
unavailable(struct response *rs)
{
	resp_error(rs, 503, "store_unavailable", UNAVAILABLE_MESSAGE, NULL);
}

/* A request's signed records not vouched for (request_signed, -1): the
 * store failed, or the ledger's integrity alarm is raised (http.h). */
static void
unvouched(struct request *r, struct response *rs)
{
	resp_unavailable(r, rs, UNAVAILABLE_MESSAGE);
}

static void
not_found(struct response *rs)
{
	resp_error(rs, 404, "not_found", "There is no such resource.", NULL);
}

#define INTEGRITY_MESSAGE	"This request no longer matches what the ledger signed, so " \
	"nothing of it is shown or done; the operators are told."

/* A read of a request, or a decision, a lift or a closure, refused: no
 * such request, or not the caller's to see (one reply for both: rc 1), or
 * a row (or one of its decisions) not as its ledger entries signed
 * (request_signed.h: rc 2), of which nothing is shown or done. Recorded as refused (resp_refused: the route's
 * pattern, never the id). */
static void
access_refused(struct request *r, struct response *rs, int rc)
{
	if (rc == 1)
		resp_refused(r, rs, 404, "not_found", "There is no such resource.", NULL);
	else
		resp_refused(r, rs, 409, "record_integrity_failed", INTEGRITY_MESSAGE, NULL);
}

static int
is_legal_agency(const struct agency *ag)
{
	return ag != NULL && ag->kind != NULL &&
	    (strcmp(ag->kind, "police") == 0 || strcmp(ag->kind, "court") == 0);
}

/* May this principal see request rq at all? Trustees see every request,
 * the requesting agency its own; anyone else is told it does not exist. */
static int
may_see(const struct principal *who, const struct request_row *rq)
{
	if (who->role == ROLE_TRUSTEE)
		return 1;
	return who->role == ROLE_AGENCY && who->agency != NULL &&
	    strcmp(who->agency->id, rq->agency_id) == 0;
}

/* ---- POST /v1/requests ---- */

struct file_job {
	struct gateway		*gw;
	const struct principal	*who;
	struct request_row	 row;
	const char		*family_id, *reference, *dnn_reason;
	int			 erased;	/* the family's records were erased */
	int			 none;		/* the charity holds no record of the family */
	struct idem		 idem;		/* an Idempotency-Key, or inactive */
};

/* The 202 of a filing: the request's id, state, quorum, location and
 * ledger reference. Nothing personal (the family's id and the reference
 * are sealed, the legal basis is a code): it may be kept with a key. */
static void
filed_reply(const struct file_job *j, struct response *rs)
{
	char	loc[96];

	snprintf(loc, sizeof(loc), "/v1/requests/%s", j->row.id);
	resp_json(rs, 202, json_pack("{s:s, s:s, s:i, s:s, s:o}", "request_id", j->row.id,
	    "status", "awaiting_approval", "quorum", j->row.quorum, "location", loc,
	    "ledger", ledger_ref_json(j->row.ledger_seq, j->row.leaf_hash)));
	if (rs->json == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
}

/* As vault_seal_str(), but for a family whose key is destroyed (its records were
 * erased or expired) the value is not kept: the placeholder "erased" stands
 * in, as for a decision's reason, and vault_unseal_str() reports the family
 * erased whatever the bytes, since there is no key. *erased set then. */
static int
seal_or_erased(struct gateway *gw, struct store_conn *c, const char *pseudonym,
    const char *s, unsigned char **ct, size_t *ctlen, int *erased)
{
	int	rc;

	if ((rc = vault_seal_str(gw->vault, c, pseudonym, s, ct, ctlen)) != 1)
		return rc;
	*erased = 1;
	if (s == NULL)
		return 0;
	if ((*ct = (unsigned char *)strdup("erased")) == NULL)
		return -1;
	*ctlen = strlen("erased");
	return 0;
}

/* The filing; with an Idempotency-Key looked up first (a repeat files
 * nothing, and no trustee is asked twice) and kept with its reply here. */
static int
file_job(struct store_conn *c, void *arg)
{
	struct file_job		*j = arg;
	struct ledger_entry	 le;
	struct response		 rs;
	unsigned char		*fid = NULL, *ref = NULL, *dnn = NULL;
	char			 msg[256];
	int			 rc;

	if (j->idem.active && (rc = idem_check(&j->idem, c)) != IDEM_NEW)
		return rc == -1 ? -1 : 0;

	/* A request about a family whose records were erased is filed like
	 * any other, so that the agency learns nothing from filing (before, a
	 * 409 family_erased told it the family had been known and erased): the
	 * trustees see the family's records are gone (request_show) and
	 * decide what to answer. */
	/* A family the charity holds nothing about: the request is kept (its
	 * id and reference sealed under a key made for it, which retention
	 * ends with the request), but there is nothing to hold. */
	if ((rc = store_family_has_records(c, j->row.family_pseudonym)) == -1)
		goto out;
	j->none = rc == 0;
	if ((rc = seal_or_erased(j->gw, c, j->row.family_pseudonym, j->family_id, &fid,
	    &j->row.family_id_ctlen, &j->erased)) != 0 ||
	    (rc = seal_or_erased(j->gw, c, j->row.family_pseudonym, j->reference, &ref,
	    &j->row.reference_ctlen, &j->erased)) != 0 ||
	    (rc = seal_or_erased(j->gw, c, j->row.family_pseudonym, j->dnn_reason, &dnn,
	    &j->row.dnn_reason_ctlen, &j->erased)) != 0) {
		rc = -1;
		goto out;
	}
	j->row.family_id_ct = fid;
	j->row.reference_ct = ref;
	j->row.dnn_reason_ct = dnn;
	if ((rc = store_request_digest(&j->row, j->row.record_digest)) != 0)
		goto out;
	le = (struct ledger_entry){ j->who->id, role_name(j->who->role), "request.filed",
	    j->row.family_pseudonym, j->row.id, j->row.legal_basis, j->row.record_digest };
	if ((rc = ledger_append(j->gw->ledger, c, &le, &j->row.ledger_seq, j->row.leaf_hash)) != 0 ||
	    (rc = store_request_insert(c, &j->row)) != 0)
		goto out;
	/* An open request is a legal hold: the family's records may be neither
	 * erased nor expired while it is open (store_legal_hold_active). The
	 * hold is released when the request is refused or closed. A request
	 * about a family of which nothing is held (or no longer) holds
	 * nothing: the period ends by today, so no later record is in it. */
	if (!j->none && !j->erased &&
	    (rc = store_legal_hold_open(c, j->row.id, j->row.family_pseudonym, "request",
	    j->row.id, j->row.created_us, j->who->id)) != 0)
		goto out;
	snprintf(msg, sizeof(msg), "Request %s from %s (%s) awaits the decision of %d "
	    "trustees.%s", j->row.id, j->row.agency_id, j->row.legal_basis, j->row.quorum,
	    j->erased ? " The family's records were erased before it was filed." :
	    j->none ? " The charity held no records of this family when it was filed." : "");
	if ((rc = store_trustee_notice_insert(c, j->row.id, "request_filed", msg,
	    j->row.created_us)) != 0 || !j->idem.active)
		goto out;
	memset(&rs, 0, sizeof(rs));
	filed_reply(j, &rs);
	rc = idem_keep(&j->idem, c, &rs);
out:
	j->row.family_id_ct = j->row.reference_ct = j->row.dnn_reason_ct = NULL;
	free(fid);
	free(ref);
	free(dnn);
	return rc;
}

static int
valid_date(const char *s, int64_t *us)
{
	return s != NULL && strlen(s) == 10 && store_time_parse(s, us) == 0;
}

static void
request_file(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct file_job		 j = { .gw = r->gw, .who = r->who };
	const struct agency	*ag;
	const char		*on_behalf, *basis, *from, *to, *code, *message;
	json_t			*fields, *kinds, *period, *out;
	char			*fields_s = NULL, *kinds_s = NULL;
	int64_t			 from_us, to_us, now_us;
	size_t			 i;
	const json_t		*v;

	if (idem_begin(r, rs, "POST /v1/requests", &j.idem) == -1)
		return;
	on_behalf = json_string_value(json_object_get(r->body, "on_behalf_of"));
	if (r->who->role == ROLE_AGENCY) {
		ag = r->who->agency;
		if (on_behalf != NULL && (ag == NULL || strcmp(on_behalf, ag->id) != 0)) {
			resp_error(rs, 403, "on_behalf_of_not_permitted",
			    "An agency files requests for itself only.",
			    json_pack("[{s:s}]", "path", "/on_behalf_of"));
			return;
		}
	} else {
		if (on_behalf == NULL) {
			resp_error(rs, 400, "on_behalf_of_required",
			    "Staff file a request on behalf of a police or court agency: "
			    "name it in on_behalf_of.",
			    json_pack("[{s:s}]", "path", "/on_behalf_of"));
			return;
		}
		if ((ag = profiles_find(r->gw->profiles, on_behalf)) == NULL) {
			resp_error(rs, 404, "agency_not_found", "There is no agency with that id.",
			    json_pack("[{s:s}]", "path", "/on_behalf_of"));
			return;
		}
	}
	if (!is_legal_agency(ag)) {
		resp_error(rs, 403, "agency_kind_not_permitted",
		    "Only a police or court agency may make a formal request.", NULL);
		return;
	}
	/* Asked on its behalf, the agency must stand as if it asked itself
	 * (http.c): a statement is never made for one that may not receive it. */
	if ((code = profiles_standing(ag, store_now_us(), &message)) != NULL) {
		resp_error(rs, 403, code, message, NULL);
		return;
	}
	basis = json_string_value(json_object_get(r->body, "legal_basis"));
	period = json_object_get(r->body, "period");
	from = json_string_value(json_object_get(period, "from"));
	to = json_string_value(json_object_get(period, "to"));
	if (!valid_date(from, &from_us) || !valid_date(to, &to_us) || from_us > to_us) {
		resp_error(rs, 400, "invalid_period",
		    "The period must be two dates, from no later than to.",
		    json_pack("[{s:s}]", "path", "/period"));
		return;
	}
	/* A request is for records that exist: a period reaching past today
	 * would go on releasing new ones after the trustees decided. */
	now_us = store_now_us();
	if (to_us > now_us - now_us % STORE_DAY_US) {
		resp_error(rs, 400, "invalid_period",
		    "The period must end no later than today: a request covers records "
		    "already made.", json_pack("[{s:s}]", "path", "/period/to"));
		return;
	}
	fields = json_object_get(r->body, "fields");
	json_array_foreach(fields, i, v)
		if (field_find(json_string_value(v)) == NULL) {
			char	path[32];

			snprintf(path, sizeof(path), "/fields/%zu", i);
			resp_error(rs, 400, "unknown_field", "A field is not in the catalogue.",
			    json_pack("[{s:s}]", "path", path));
			return;
		}
	/* Minimum necessary for requests too: only what the agency's registered
	 * formal-request interest lists (the police's excludes health). */
	if ((out = json_array()) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	json_array_foreach(fields, i, v) {
		char	path[32];
		int	any;

		if (agency_formal_field(ag, json_string_value(v), &any))
			continue;
		if (!any) {
			json_decref(out);
			resp_error(rs, 403, "purpose_not_registered", "The agency has no registered "
			    "interest that is answered through formal requests.", NULL);
			return;
		}
		snprintf(path, sizeof(path), "/fields/%zu", i);
		json_array_append_new(out, json_pack("{s:s}", "path", path));
	}
	if (json_array_size(out) > 0) {
		resp_error(rs, 403, "field_not_in_interest", "A field asked for is not among those "
		    "registered for the agency's formal requests.", out);
		return;
	}
	json_decref(out);
	kinds = json_object_get(r->body, "record_kinds");
	if (kinds == NULL)
		kinds = json_pack("[s]", "disclosures");	/* the minimum by default */
	else
		json_incref(kinds);
	fields_s = json_dumps(fields, JSON_COMPACT);
	kinds_s = json_dumps(kinds, JSON_COMPACT);
	json_decref(kinds);
	if (fields_s == NULL || kinds_s == NULL) {
		free(fields_s);
		free(kinds_s);
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}

	j.family_id = json_string_value(json_object_get(r->body, "family_id"));
	j.reference = json_string_value(json_object_get(r->body, "reference"));
	j.row.do_not_notify = json_is_true(json_object_get(r->body, "do_not_notify"));
	j.dnn_reason = j.row.do_not_notify ?
	    json_string_value(json_object_get(r->body, "do_not_notify_reason")) : NULL;
	store_new_id("req_", j.row.id, sizeof(j.row.id));
	j.row.created_us = store_now_us();
	snprintf(j.row.agency_id, sizeof(j.row.agency_id), "%s", ag->id);
	snprintf(j.row.requester, sizeof(j.row.requester), "agency:%s", ag->id);
	snprintf(j.row.filed_by, sizeof(j.row.filed_by), "%s", r->who->id);
	snprintf(j.row.filed_by_role, sizeof(j.row.filed_by_role), "%s", role_name(r->who->role));
	vault_pseudonym(r->gw->vault, j.family_id, j.row.family_pseudonym);
	snprintf(j.row.legal_basis, sizeof(j.row.legal_basis), "%s", basis);
	j.row.fields = fields_s;
	j.row.record_kinds = kinds_s;
	snprintf(j.row.period_from, sizeof(j.row.period_from), "%s", from);
	snprintf(j.row.period_to, sizeof(j.row.period_to), "%s", to);
	j.row.quorum = (int)r->gw->cfg.request_quorum;
	j.row.refusal_ends = r->gw->cfg.request_refusal_ends;
	snprintf(j.row.state, sizeof(j.row.state), "awaiting_approval");

	if (writer_submit(r->gw->writer, file_job, &j) != 0) {
		free(fields_s);
		free(kinds_s);
		idem_free(&j.idem);
		/* Or the ledger refused it: its alarm (http.h). */
		resp_unavailable(r, rs,
		    "The request could not be recorded; nothing was kept. Try again.");
		return;
	}
	free(fields_s);
	free(kinds_s);
	/* A repeated key: the first reply, or 409; nothing was filed. */
	if (j.idem.active && idem_reply(&j.idem, r->gw, r->who, rs) != IDEM_NEW) {
		idem_free(&j.idem);
		return;
	}
	/* The trustees' notice: ids and codes only. */
	log_info("request %s filed by %s for agency %s (basis %s): awaiting the "
	    "decision of %d trustees", j.row.id, principal_log_name(r->who, who),
	    j.row.agency_id, j.row.legal_basis, j.row.quorum);
	if (!j.idem.active)
		filed_reply(&j, rs);		/* else idem_reply() sent the kept one */
	idem_free(&j.idem);
}

/* ---- the public view of a request ---- */

/* Each trustee's decision; to the requesting agency without the
 * trustee's name (how each trustee voted is the charity's own). */
static json_t *
decisions_json(const struct request_decision_row *d, int n, int named)
{
	json_t	*a = json_array(), *o;
	char	 t[32];
	int	 i;

	for (i = 0; a != NULL && i < n; i++) {
		o = json_pack("{s:s, s:s, s:I}", "decision", d[i].decision,
		    "decided_at", store_time_fmt(d[i].decided_us, t),
		    "ledger_seq", (json_int_t)d[i].ledger_seq);
		if (o != NULL && named)
			json_object_set_new(o, "trustee", json_string(d[i].trustee));
		json_array_append_new(a, o);
	}
	return a;
}

/* The request without personal data: codes, dates, counts. */
static json_t *
request_json(const struct gateway *gw, const struct request_row *rq,
    const struct request_decision_row *d, int nd, const struct principal *who)
{
	struct quorum_config	 qc;
	struct quorum_request	 qr;
	struct quorum_decision	 qd[STORE_REQUEST_DECISIONS_MAX];
	struct quorum_result	 res;
	const struct agency	*ag = profiles_find(gw->profiles, rq->agency_id);
	const char		*mine = NULL, *filed_by = rq->filed_by;
	json_t			*o;
	char			 t1[32], t2[32], t3[32], role[32];
	int			 i, agency = who != NULL && who->role == ROLE_AGENCY;

	/* The requesting agency learns which role filed it, not which
	 * member of staff. */
	if (agency && filed_by != NULL && strncmp(filed_by, "agency:", 7) != 0) {
		snprintf(role, sizeof(role), "%.*s", (int)strcspn(filed_by, ":"), filed_by);
		filed_by = role;
	}
	store_request_quorum(rq, d, nd, &qc, &qr, qd);
	for (i = 0; i < nd; i++)
		if (who != NULL && strcmp(d[i].trustee, who->id) == 0)
			mine = d[i].decision;
	quorum_state(&qc, &qr, qd, (size_t)nd, &res);
	o = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:s, s:o, s:o, s:{s:s, s:s},"
	    " s:b, s:i, s:b, s:i, s:i, s:o, s:s?, s:s?, s:I}",
	    "request_id", rq->id, "status", rq->state, "agency_id", rq->agency_id,
	    "agency_name", ag ? ag->name : NULL, "agency_kind", ag ? ag->kind : NULL,
	    "filed_by", filed_by, "filed_at", store_time_fmt(rq->created_us, t1),
	    "legal_basis", rq->legal_basis,
	    "fields", json_loads(rq->fields, 0, NULL),
	    "record_kinds", json_loads(rq->record_kinds, 0, NULL),
	    "period", "from", rq->period_from, "to", rq->period_to,
	    "do_not_notify", rq->do_not_notify, "quorum", rq->quorum,
	    "refusal_ends", rq->refusal_ends, "approvals", (int)res.approvals,
	    "refusals", (int)res.refusals, "decisions", decisions_json(d, nd, !agency),
	    "decided_at", rq->decided_us ? store_time_fmt(rq->decided_us, t2) : NULL,
	    "closed_at", rq->closed_us ? store_time_fmt(rq->closed_us, t3) : NULL,
	    "ledger_seq", (json_int_t)rq->ledger_seq);
	if (o != NULL) {
		/* Which catalogue fields asked for are special category (health). */
		json_t	*special = json_array();
		size_t	 k;
		json_t	*f;

		json_array_foreach(json_object_get(o, "fields"), k, f) {
			const struct field_def *fd = field_find(json_string_value(f));

			if (fd != NULL && fd->special)
				json_array_append(special, f);
		}
		json_object_set_new(o, "special_category_fields", special);
		if (who != NULL && who->role == ROLE_TRUSTEE)
			json_object_set_new(o, "your_decision", mine ? json_string(mine) : json_null());
		/* An approved request is a legal hold until a trustee closes it:
		 * the trustees see when it should be closed by (approval +
		 * --max-hold-days) and that it is overdue past that day, so
		 * that no family is kept for good by a request nobody closed
		 * (gateway_requests_close_overdue counts them). */
		if (!agency && strcmp(rq->state, "approved") == 0 && rq->decided_us > 0) {
			int64_t	by = rq->decided_us +
			    (int64_t)gw->cfg.max_hold_days * STORE_DAY_US;
			char	t4[32];

			json_object_set_new(o, "close_by",
			    json_stringn(store_time_fmt(by, t4), 10));
			json_object_set_new(o, "close_overdue", json_boolean(store_now_us() >
			    by - by % STORE_DAY_US + STORE_DAY_US - 1));
		}
	}
	return o;
}

/* ---- GET /v1/requests ---- */

struct list_ctx {
	struct gateway		*gw;
	struct store_conn	*c;
	const struct principal	*who;
	json_t			*out;
	int64_t			 withheld;	/* rows not as signed, left out */
	json_t			*withheld_ids;	/* their ids, when shaped as ours */
	int			 unvouched;	/* request_signed could not say */
};

static int
list_one(const struct request_row *rq, void *arg)
{
	struct list_ctx			*l = arg;
	struct request_decision_row	 d[STORE_REQUEST_DECISIONS_MAX];
	int				 nd, rc;

	if ((nd = store_request_decisions(l->c, rq->id, d, STORE_REQUEST_DECISIONS_MAX)) < 0)
		return -1;
	/* A row not as its ledger entries signed is left out (logged), as an
	 * inbox item is, but counted (withheld_for_integrity), so that the
	 * trustees know one is missing, and named by its id (withheld_request_ids),
	 * so that they know which to look into: GET /v1/requests/{id} answers
	 * 409 for it. Nothing else of the row is shown, and its id only when
	 * it has the shape of an id the gateway gives: the id column may be
	 * what was changed, and then it could hold any text. */
	if ((rc = request_signed(l->gw->ledger, l->c, rq, d, nd)) != 0) {
		if (rc != 1) {
			l->unvouched = 1;
			return -1;
		}
		l->withheld++;
		if (store_id_shaped("req_", rq->id) &&
		    json_array_append_new(l->withheld_ids, json_string(rq->id)) != 0)
			return -1;
		return 0;
	}
	return json_array_append_new(l->out, request_json(l->gw, rq, d, nd, l->who)) == 0 ? 0 : -1;
}

static void
request_list(struct request *r, struct response *rs)
{
	struct list_ctx	 l = { .gw = r->gw, .who = r->who };
	const char	*state = req_query(r, "status");
	const char	*agency = NULL;
	char		 known[96], msg[160];
	int		 rc;

	if (state != NULL && !request_status_known(state)) {
		/* Which there are, so that the caller need not guess. */
		snprintf(msg, sizeof(msg), "status must be one of %s.",
		    request_status_list(known, sizeof(known)));
		resp_bad_query(rs, "status", msg);
		return;
	}
	if (r->who->role == ROLE_AGENCY) {
		if (r->who->agency == NULL) {
			not_found(rs);
			return;
		}
		agency = r->who->agency->id;
	}
	if ((l.out = json_array()) == NULL || (l.withheld_ids = json_array()) == NULL ||
	    (l.c = store_read_begin(r->gw->store)) == NULL) {
		json_decref(l.out);
		json_decref(l.withheld_ids);
		unavailable(rs);
		return;
	}
	rc = store_requests_list(l.c, agency, state, list_one, &l);
	store_read_end(r->gw->store, l.c);
	if (rc != 0) {
		json_decref(l.out);
		json_decref(l.withheld_ids);
		if (l.unvouched)
			unvouched(r, rs);
		else
			unavailable(rs);
		return;
	}
	resp_json(rs, 200, json_pack("{s:o, s:I, s:o}", "requests", l.out,
	    "withheld_for_integrity", (json_int_t)l.withheld, "withheld_request_ids",
	    l.withheld_ids));
}

/* ---- GET /v1/requests/{id} ---- */

/* Trustees see every read of the request's personal data with its reason
 * (null once the family's key is gone): the record of access. Each read
 * only as its request.read entry signed it (record_read_signed): a reason's
 * seal opens in any column of the family, so another of the family's sealed
 * values moved into a read's reason_ct would be shown as that reason. */
struct reads_ctx {
	struct gateway		*gw;
	struct store_conn	*c;
	const char		*pseudonym;	/* the request's, as signed */
	json_t			*out;
	int			 open;	/* the reasons too (the reader gave one) */
	int			 differs;	/* a read is not as signed */
};

/* A reason as JSON: null when none (or erased); a header's bytes that are
 * not UTF-8 shown as '?', so that a reason never stops the reply. */
static json_t *
reason_json(const char *reason)
{
	json_t	*v;
	char	*p, *q;

	if (reason == NULL)
		return json_null();
	if ((v = json_string(reason)) != NULL || (p = strdup(reason)) == NULL)
		return v;
	for (q = p; *q; q++)
		if ((unsigned char)*q >= 0x80)
			*q = '?';
	v = json_string(p);
	wipe_free(p);		/* a trustee's reason may name people */
	return v;
}

/* The trustees' reasons for the decisions (in store_request_decisions()'
 * order) into out[0..nd), each malloc'd or NULL: none kept (a decision
 * made when the family's key was already gone keeps the marker "erased",
 * not a sealed value) or the key destroyed since. 0, or -1. */
static int
decision_reasons(struct gateway *gw, struct store_conn *c, const struct request_row *rq,
    int nd, char **out)
{
	unsigned char	*ct[STORE_REQUEST_DECISIONS_MAX];
	size_t		 len[STORE_REQUEST_DECISIONS_MAX];
	int		 n, i, rc = 0, gone = 0;

	if ((n = store_request_decision_reasons(c, rq->id, ct, len,
	    STORE_REQUEST_DECISIONS_MAX)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (rc == 0 && i < nd && ct[i] != NULL &&
		    !(len[i] == strlen("erased") && memcmp(ct[i], "erased", len[i]) == 0) &&
		    vault_unseal_str(gw->vault, c, rq->family_pseudonym, ct[i], len[i], &out[i],
		    &gone) != 0)
			rc = -1;
		free(ct[i]);
	}
	return rc;
}

static json_t *
read_json(int64_t read_us, const char *actor, const char *role, const char *reason)
{
	char	t[32];

	return json_pack("{s:s, s:s, s:s, s:o}", "read_at", store_time_fmt(read_us, t),
	    "actor", actor, "actor_role", role, "reason", reason_json(reason));
}

static int
reads_one(const struct record_read_row *rr, void *arg)
{
	struct reads_ctx	*x = arg;
	json_t			*o;
	char			*reason = NULL;
	int			 erased = 0, rc;

	if ((rc = record_read_signed(x->gw->ledger, x->c, "request.read", x->pseudonym,
	    store_request_read_digest, rr)) != 0) {
		x->differs = rc == 1;
		return -1;
	}
	if (x->open && vault_unseal_str(x->gw->vault, x->c, x->pseudonym, rr->reason_ct,
	    rr->reason_ctlen, &reason, &erased) != 0)
		return -1;
	o = read_json(rr->read_us, rr->actor, rr->actor_role, reason);
	wipe_free(reason);
	return o != NULL && json_array_append_new(x->out, o) == 0 ? 0 : -1;
}

/* The reads of rq, or NULL: *differs set when one is not as signed. */
static json_t *
reads_json(struct gateway *gw, struct store_conn *c, const struct request_row *rq, int open,
    int *differs)
{
	struct reads_ctx	x = { .gw = gw, .c = c, .pseudonym = rq->family_pseudonym,
				    .open = open };

	if ((x.out = json_array()) == NULL)
		return NULL;
	if (store_request_reads(c, rq->id, reads_one, &x) != 0) {
		*differs = x.differs;
		json_decref(x.out);
		return NULL;
	}
	return x.out;
}

static void
request_show(struct request *r, struct response *rs)
{
	struct request_decision_row	 d[STORE_REQUEST_DECISIONS_MAX];
	struct request_row		*rq = NULL;
	struct store_conn		*c;
	const char			*reason = req_header(r, "X-Access-Reason");
	char				*fid = NULL, *ref = NULL, *dnn = NULL;
	char				*why_closed = NULL;
	char				*why_decided[STORE_REQUEST_DECISIONS_MAX] = { NULL };
	json_t				*out, *reads = NULL, *dv;
	int				 nd = 0, rc, erased = 0, gone = 0, personal, keystate = 0;
	int				 i;
	int				 hasrec = 0, reasons, differs = 0;

	if (resp_reason_too_long(r, rs, reason))
		return;
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		unavailable(rs);
		return;
	}
	rc = store_request_get(c, r->params[0], &rq);
	if (rc == 0 && !may_see(r->who, rq))
		rc = 1;
	if (rc == 0 &&
	    (nd = store_request_decisions(c, rq->id, d, STORE_REQUEST_DECISIONS_MAX)) < 0)
		rc = -1;
	/* Nothing of a row (or decision) that is not what its ledger entries
	 * signed: a scope, a family or an approval changed behind the
	 * gateway's back (request_signed.h). After the access check: one the
	 * row does not let see it still gets 404. 3: it could not say. */
	if (rc == 0 && (rc = request_signed(r->gw->ledger, c, rq, d, nd)) != 0)
		rc = rc == 1 ? 2 : 3;
	/* The charity's side sees whether the family's records still exist
	 * (a request filed after they were erased, or erased since); the
	 * requesting agency learns it only from what the trustees answer. */
	if (rc == 0 && r->who->role != ROLE_AGENCY &&
	    ((keystate = store_family_key_state(c, rq->family_pseudonym)) < 0 ||
	    (hasrec = store_family_has_records(c, rq->family_pseudonym)) < 0))
		rc = -1;
	/* Personal data only once approved, and only with a reason. */
	personal = rc == 0 && decide_has_text(reason) && strcmp(rq->state, "approved") == 0;
	if (personal &&
	    (vault_unseal_str(r->gw->vault, c, rq->family_pseudonym, rq->family_id_ct,
	    rq->family_id_ctlen, &fid, &erased) != 0 ||
	    vault_unseal_str(r->gw->vault, c, rq->family_pseudonym, rq->reference_ct,
	    rq->reference_ctlen, &ref, &erased) != 0 ||
	    vault_unseal_str(r->gw->vault, c, rq->family_pseudonym, rq->dnn_reason_ct,
	    rq->dnn_reason_ctlen, &dnn, &erased) != 0))
		rc = -1;
	/* The record of access, for trustees only (the requesting agency does
	 * not learn who at the charity read it, nor why). Who read it and
	 * when, always; the readers' reasons and the closing reason, sealed
	 * under the family key because they may name people, only to a
	 * trustee who gives a reason, that read recorded like any other. */
	reasons = rc == 0 && r->who->role == ROLE_TRUSTEE && decide_has_text(reason);
	if (rc == 0 && r->who->role == ROLE_TRUSTEE &&
	    ((reads = reads_json(r->gw, c, rq, reasons, &differs)) == NULL ||
	    (reasons && vault_unseal_str(r->gw->vault, c, rq->family_pseudonym, rq->close_reason_ct,
	    rq->close_reason_ctlen, &why_closed, &gone) != 0)))
		rc = differs ? 2 : -1;	/* a read not as signed: as a row (409) */
	/* Each trustee's reason for their decision, to a trustee who gives a
	 * reason (the second trustee weighs the first's; the board reviews a
	 * refusal), sealed like the closing reason for the same cause. */
	if (rc == 0 && reasons && nd > 0 && decision_reasons(r->gw, c, rq, nd, why_decided) != 0)
		rc = -1;
	store_read_end(r->gw->store, c);
	if (rc != 0) {
		if (rc == 1 || rc == 2)
			access_refused(r, rs, rc);
		else if (rc == 3)
			unvouched(r, rs);
		else
			unavailable(rs);
		goto out;
	}
	if ((out = request_json(r->gw, rq, d, nd, r->who)) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	if (keystate != 0)
		json_object_set_new(out, "family_records", json_string(keystate == 2 ?
		    "erased" : hasrec ? "held" : "none"));
	if (personal || reasons) {
		/* A request_reads row (who, when, the reason sealed) and its
		 * request.read entry, whose digest is the row's (over the sealed
		 * reason: a digest of the reason alone could be guessed from a
		 * short reason), recorded before anything personal is shown. */
		struct record_read j = { .gw = r->gw, .who = r->who,
		    .action = "request.read", .object_id = rq->id,
		    .family_pseudonym = rq->family_pseudonym, .reason = reason,
		    .digest = store_request_read_digest, .insert = store_request_read_insert };

		store_new_id("rrd_", j.id, sizeof(j.id));
		if (writer_submit(r->gw->writer, record_read_job, &j) != 0) {
			json_decref(out);
			resp_error(rs, 503, "store_unavailable",
			    "The read could not be recorded, so nothing is shown. Try again.", NULL);
			goto out;
		}
		/* This read is among them too. */
		if (reads != NULL)
			json_array_append_new(reads, read_json(j.read_us, r->who->id,
			    role_name(r->who->role), reason));
		json_object_set_new(out, "read", ledger_ref_json(j.seq, j.leaf));
	}
	if (personal) {
		json_object_set_new(out, "family_id", fid ? json_string(fid) : json_null());
		json_object_set_new(out, "reference", ref ? json_string(ref) : json_null());
		json_object_set_new(out, "do_not_notify_reason", dnn ? json_string(dnn) :
		    json_null());
	} else
		json_object_set_new(out, "personal_data", json_string(
		    strcmp(rq->state, "approved") == 0 ?
		    "withheld: send X-Access-Reason to read the family id and reference" :
		    "withheld until the request is approved"));
	if (reads != NULL) {
		json_object_set_new(out, "reads", reads);
		reads = NULL;
		if (!reasons)
			json_object_set_new(out, "reasons_withheld", json_string(
			    "send X-Access-Reason to read why each reader read it and why it "
			    "was closed: the read is recorded with its reason"));
		/* Who closed it and why (null: closed before the reason was
		 * kept, or the family's records are erased). */
		if (rq->closed_us != 0) {
			json_object_set_new(out, "closed_by", json_string(rq->closed_by));
			json_object_set_new(out, "close_reason", reason_json(why_closed));
		}
		if (reasons)
			json_array_foreach(json_object_get(out, "decisions"), i, dv)
				json_object_set_new(dv, "reason", reason_json((size_t)i <
				    (size_t)nd ? why_decided[i] : NULL));
	}
	resp_json(rs, 200, out);
out:
	/* Opened: each reason, the family id and the reference, wiped
	 * whole (wipe.h). */
	for (i = 0; i < STORE_REQUEST_DECISIONS_MAX; i++)
		wipe_free(why_decided[i]);
	json_decref(reads);
	wipe_free(why_closed);
	wipe_free(fid);
	wipe_free(ref);
	wipe_free(dnn);
	store_request_free(rq);
}

/* ---- POST /v1/requests/{id}/decisions ---- */

struct decide_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*decision;
	const char		*reason;
	int64_t			 now_us;
	int			 found;
	int			 differs;	/* the request is not as signed */
	enum quorum_verdict	 verdict;
	struct quorum_result	 after;
	char			 state[24];
	int64_t			 seq;
	unsigned char		 leaf[32];
};

/* The family's notification of an approved request: queued, or held while
 * do_not_notify applies. */
static int
notify_family(struct decide_job *j, struct store_conn *c, const struct request_row *rq)
{
	char		*fid = NULL;
	int		 erased = 0, rc;

	if (vault_unseal_str(j->gw->vault, c, rq->family_pseudonym, rq->family_id_ct,
	    rq->family_id_ctlen, &fid, &erased) != 0)
		return -1;
	if (erased)
		return 0;	/* no one left to tell */
	/* A do_not_notify hold is reviewed like an override's: flagged once
	 * past approval plus --max-hold-days (gateway_notifications_overdue). */
	rc = store_request_notification_insert(c, rq->id, rq->family_pseudonym,
	    rq->family_id_ct, rq->family_id_ctlen, rq->do_not_notify ? "held" : "queued",
	    j->now_us, rq->do_not_notify ?
	    j->now_us + (int64_t)j->gw->cfg.max_hold_days * STORE_DAY_US : 0);
	wipe_free(fid);
	return rc;
}

static int
decide_job(struct store_conn *c, void *arg)
{
	struct decide_job		*j = arg;
	struct request_decision_row	 d[STORE_REQUEST_DECISIONS_MAX], mine;
	struct quorum_decision		 qd[STORE_REQUEST_DECISIONS_MAX + 1], next;
	struct quorum_config		 qc;
	struct quorum_request		 qr;
	struct request_row		*rq = NULL;
	struct ledger_entry		 le;
	unsigned char			*rct = NULL;
	char				 msg[200];
	int				 nd, rc;

	if ((rc = store_request_get(c, j->id, &rq)) != 0) {
		j->found = 0;
		return rc == 1 ? 0 : -1;
	}
	j->found = 1;
	if ((nd = store_request_decisions(c, rq->id, d, STORE_REQUEST_DECISIONS_MAX)) < 0) {
		rc = -1;
		goto out;
	}
	/* The trustee decides on the request as it was filed, and the quorum
	 * is counted from decisions as they were signed: a row changed behind
	 * the gateway's back takes no decision (nothing recorded). */
	if ((rc = request_signed(j->gw->ledger, c, rq, d, nd)) != 0) {
		j->differs = rc == 1;
		goto out;
	}
	store_request_quorum(rq, d, nd, &qc, &qr, qd);
	next.trustee = j->who->id;
	next.vote = strcmp(j->decision, "approve") == 0 ? QUORUM_APPROVE : QUORUM_REFUSE;
	next.at_us = j->now_us;
	j->verdict = quorum_check(&qc, &qr, qd, (size_t)nd, &next, &j->after);
	/* A closed request accepts nothing, whatever the decisions say. */
	if (j->verdict == QUORUM_OK && strcmp(rq->state, "closed") == 0)
		j->verdict = QUORUM_REQUEST_CLOSED;
	if (j->verdict == QUORUM_OK && nd >= STORE_REQUEST_DECISIONS_MAX)
		j->verdict = QUORUM_REQUEST_CLOSED;
	if (j->verdict != QUORUM_OK) {
		/* Not a decision: recorded as a refused attempt, and kept. */
		snprintf(j->state, sizeof(j->state), "%s", rq->state);
		le = (struct ledger_entry){ j->who->id, role_name(j->who->role),
		    "request.decision_rejected", rq->family_pseudonym, rq->id,
		    quorum_verdict_code(j->verdict), NULL };
		rc = ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf);
		goto out;
	}

	memset(&mine, 0, sizeof(mine));
	mine.request_id = rq->id;
	mine.trustee = j->who->id;
	mine.trustee_role = role_name(j->who->role);
	mine.decision = j->decision;
	mine.decided_us = j->now_us;
	if ((rc = vault_seal_str(j->gw->vault, c, rq->family_pseudonym, j->reason, &rct, &mine.reason_ctlen)) != 0) {
		/* The family's key is gone: record the decision without it. */
		if (rc != 1 || (rct = (unsigned char *)strdup("erased")) == NULL) {
			rc = -1;
			goto out;
		}
		mine.reason_ctlen = strlen("erased");
	}
	mine.reason_ct = rct;
	if ((rc = store_request_decision_digest(&mine, mine.record_digest)) != 0)
		goto out;
	le = (struct ledger_entry){ j->who->id, role_name(j->who->role),
	    next.vote == QUORUM_APPROVE ? "request.approved" : "request.refused",
	    rq->family_pseudonym, rq->id, NULL, mine.record_digest };
	if ((rc = ledger_append(j->gw->ledger, c, &le, &mine.ledger_seq, mine.leaf_hash)) != 0 ||
	    (rc = store_request_decision_insert(c, &mine)) != 0)
		goto out;
	j->seq = mine.ledger_seq;
	memcpy(j->leaf, mine.leaf_hash, 32);
	snprintf(j->state, sizeof(j->state), "%s", quorum_state_name(j->after.state));
	if (j->after.state == QUORUM_AWAITING)
		goto out;
	if ((rc = store_request_set_state(c, rq->id, j->state, j->after.closed_us)) != 0) {
		rc = -1;
		goto out;
	}
	snprintf(msg, sizeof(msg), "Request %s was %s (%u approvals, %u refusals).", rq->id,
	    j->state, j->after.approvals, j->after.refusals);
	if ((rc = store_trustee_notice_insert(c, rq->id, j->after.state == QUORUM_APPROVED ?
	    "request_approved" : "request_refused", msg, j->now_us)) != 0)
		goto out;
	if (j->after.state == QUORUM_APPROVED)
		rc = notify_family(j, c, rq);
	else	/* refused: the request ended, so does its legal hold */
		rc = store_legal_hold_release(c, "request", rq->id, j->now_us, j->who->id);
out:
	free(rct);
	store_request_free(rq);
	return rc;
}

static void
request_decide(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct decide_job	j = { .gw = r->gw, .who = r->who, .id = r->params[0] };
	int			status;

	j.decision = json_string_value(json_object_get(r->body, "decision"));
	j.reason = json_string_value(json_object_get(r->body, "reason"));
	j.now_us = store_now_us();
	if (!decide_has_text(j.reason)) {
		resp_error(rs, 400, "reason_required", "A decision needs a reason.",
		    json_pack("[{s:s}]", "path", "/reason"));
		return;
	}
	if ((status = writer_submit(r->gw->writer, decide_job, &j)) != 0) {
		if (status == 1 && j.differs)
			access_refused(r, rs, 2);
		else	/* or the request not vouched for (request_signed) */
			resp_unavailable(r, rs,
			    "The decision could not be recorded; nothing was kept. Try again.");
		return;
	}
	if (!j.found) {
		access_refused(r, rs, 1);
		return;
	}
	if (j.verdict != QUORUM_OK) {
		status = j.verdict == QUORUM_REQUESTER_CANNOT_DECIDE ||
		    j.verdict == QUORUM_TRUSTEE_NAME_NOT_ASCII ? 403 : 409;
		log_info("request %s: decision by %s rejected (%s)", j.id,
		    principal_log_name(r->who, who), quorum_verdict_code(j.verdict));
		resp_error(rs, status, quorum_verdict_code(j.verdict),
		    j.verdict == QUORUM_REQUESTER_CANNOT_DECIDE ?
		    "Whoever made or filed the request cannot decide on it." :
		    j.verdict == QUORUM_TRUSTEE_NAME_NOT_ASCII ?
		    "Your certificate's name (CN) holds characters outside plain ASCII: names "
		    "that differ only by look-alike letters cannot be told apart, so it cannot "
		    "decide. Ask for a certificate with your name in plain ASCII." :
		    j.verdict == QUORUM_ALREADY_DECIDED ?
		    "You have already decided on this request; one trustee counts once." :
		    j.verdict == QUORUM_REQUEST_CLOSED ?
		    "The request is already decided or closed." : "That decision is not valid.",
		    json_pack("{s:s, s:I}", "status", j.state, "ledger_seq", (json_int_t)j.seq));
		return;
	}
	log_info("request %s: %s by %s; now %s (%u of %u approvals)", j.id, j.decision,
	    principal_log_name(r->who, who), j.state, j.after.approvals, j.after.required);
	if (j.after.state == QUORUM_APPROVED)
		notifier_kick(r->gw->notifier);	/* the family's notification, unless held */
	resp_json(rs, 201, json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o}",
	    "request_id", j.id, "decision", j.decision, "status", j.state,
	    "approvals", (int)j.after.approvals, "refusals", (int)j.after.refusals,
	    "quorum", (int)j.after.required, "ledger", ledger_ref_json(j.seq, j.leaf)));
}

/* ---- GET /v1/requests/{id}/statement ---- */

static void
request_statement(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct witness_ask	 w = { .gw = r->gw, .who = r->who };
	struct witness_issued	 st = { 0 };
	struct request_row	*rq = NULL;
	struct store_conn	*c;
	const char		*format = req_query(r, "format");
	json_t			*body = NULL;
	char			*out = NULL;
	size_t			 len;
	int			 rc, text;

	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "text") != 0) {
		resp_bad_query(rs, "format", "format must be json or text.");
		return;
	}
	/* A trustee reads the family's records: with a reason, kept with the
	 * read (DESIGN.md); http.c refused, and recorded, a trustee's read
	 * without one. The requesting agency's reason is its request. */
	w.reason = req_header(r, "X-Access-Reason");
	if (resp_reason_too_long(r, rs, w.reason))
		return;
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		unavailable(rs);
		return;
	}
	rc = store_request_get(c, r->params[0], &rq);
	if (rc == 0 && !may_see(r->who, rq))
		rc = 1;
	/* Its state too only as signed (witness.c checks again, for every
	 * caller of witness_gather). */
	if (rc == 0 && (rc = request_signed(r->gw->ledger, c, rq, NULL, 0)) != 0)
		rc = rc == 1 ? 2 : 3;
	if (rc != 0) {
		store_read_end(r->gw->store, c);
		if (rc == 1 || rc == 2)
			access_refused(r, rs, rc);
		else if (rc == 3)
			unvouched(r, rs);
		else
			unavailable(rs);
		store_request_free(rq);
		return;
	}
	if (strcmp(rq->state, "approved") != 0) {	/* recorded as refused */
		store_read_end(r->gw->store, c);
		resp_refused(r, rs, 403, strcmp(rq->state, "refused") == 0 ? "request_refused" :
		    strcmp(rq->state, "closed") == 0 ? "request_closed" : "request_not_approved",
		    strcmp(rq->state, "refused") == 0 ?
		    "The trustees refused this request: there is no statement." :
		    strcmp(rq->state, "closed") == 0 ? "This request is closed." :
		    "The statement is released once a quorum of trustees approves the request.",
		    json_pack("{s:s}", "status", rq->state));
		store_request_free(rq);
		return;
	}
	/*
	 * The policy: the family is told "wherever possible before sharing
	 * information about them". As a disclosure's delivery waits for the
	 * family's notice, so does the requester's statement: while the
	 * notifier runs and the family's notification of the approval is
	 * still queued (not sent, not given up on, not held under
	 * do_not_notify), the requester is asked to come back. Trustees are
	 * the charity and read it at once.
	 */
	if (r->who->role == ROLE_AGENCY && notifier_running(r->gw->notifier)) {
		char	nstate[16];

		rc = store_request_notification_state(c, rq->id, nstate, NULL);
		if (rc == -1 || (rc == 0 && strcmp(nstate, "queued") == 0)) {
			store_read_end(r->gw->store, c);
			store_request_free(rq);
			if (rc == -1) {
				unavailable(rs);
				return;
			}
			rs->retry_after = 60;	/* recorded as refused */
			resp_refused(r, rs, 409, "family_notice_pending",
			    "The family is told before the statement is released, and its "
			    "notice has not gone yet. Try again later.", NULL);
			return;
		}
	}
	w.rq = rq;
	rc = witness_gather(&w, c, &body);
	store_read_end(r->gw->store, c);
	if (rc != WITNESS_OK) {
		if (rc == WITNESS_TOO_MANY_RECORDS)
			resp_error(rs, 413, "too_many_records",
			    "The period holds too many records for one statement; ask for a "
			    "shorter period.", json_pack("{s:i}", "limit", WITNESS_MAX_RECORDS));
		else if (rc == WITNESS_INTEGRITY)	/* recorded as refused */
			resp_refused(r, rs, 409, "record_integrity_failed",
			    "A stored record no longer matches what the ledger signed, so no "
			    "statement is issued; the operators are told.", NULL);
		else
			resp_error(rs, 500, "internal", "The statement could not be drawn up.", NULL);
		goto out;
	}
	/* witness_issue takes body; the issue is recorded before anything
	 * leaves. */
	if ((rc = witness_issue(&w, body, &st)) != WITNESS_OK) {
		if (rc == WITNESS_NOT_RECORDED)
			resp_error(rs, 503, "store_unavailable",
			    "The statement's issue could not be recorded, so nothing is shown. "
			    "Try again.", NULL);
		else if (rc == WITNESS_NO_CHECKPOINT)
			resp_error(rs, 503, "checkpoint_unavailable",
			    "No signed checkpoint covers the statement yet. Try again.", NULL);
		else
			resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	text = req_wants_text(r);
	out = text ? statement_text(st.doc, &len) : statement_dump(st.doc, &len);
	if (out == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	log_info("request %s: statement %s issued to %s (%d records, ledger #%lld, checkpoint "
	    "%llu)", rq->id, st.id, principal_log_name(r->who, who), st.records,
	    (long long)st.seq, (unsigned long long)st.tree_size);
	resp_text(rs, 200, text ? "text/plain; charset=utf-8" : "application/json", out, len);
out:
	json_decref(st.doc);
	store_request_free(rq);
}

/* ---- POST /v1/requests/{id}/notification/lift ---- */

struct lift_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*reason;	/* why the family may now be told */
	int64_t			 now_us;
	int			 outcome;	/* 0 lifted, 1 none, 2 not held, 3 no request,
					   4 the request is not as signed */
	int64_t			 seq;
	unsigned char		 leaf[32];
};

static int
lift_job(struct store_conn *c, void *arg)
{
	struct lift_job		*j = arg;
	struct request_row	*rq = NULL;
	struct ledger_entry	 le;
	unsigned char		*ct = NULL, digest[32];
	size_t			 ctlen = 0;
	int64_t			 review_by = 0;
	int			 rc;

	if ((rc = store_request_get(c, j->id, &rq)) != 0) {
		j->outcome = 3;
		return rc == 1 ? 1 : -1;
	}
	/* Nothing is done to a request not as its entries signed (its family,
	 * under whose key the reason is sealed, among them). */
	if ((rc = request_signed(j->gw->ledger, c, rq, NULL, 0)) != 0) {
		j->outcome = rc == 1 ? 4 : 0;
		store_request_free(rq);
		return rc;
	}
	/* The reason, sealed; its digest binds it to the ledger entry. */
	if ((rc = store_request_notification_review_by(c, j->id, &review_by)) < 0 ||
	    (rc == 0 && vault_seal_str(j->gw->vault, c, rq->family_pseudonym, j->reason, &ct, &ctlen) == -1)) {
		store_request_free(rq);
		return -1;
	}
	rc = store_request_notification_lift(c, j->id, j->now_us, j->who->id, ct, ctlen);
	if (rc == 0) {
		if (ct != NULL && EVP_Digest(ct, ctlen, digest, NULL, EVP_sha256(), NULL) != 1)
			rc = -1;
		le = (struct ledger_entry){ j->who->id, role_name(j->who->role),
		    "request.notification_lifted", rq->family_pseudonym, rq->id,
		    review_by != 0 && review_by < j->now_us ? "lifted_after_review_date" : "lifted",
		    ct != NULL ? digest : NULL };
		if (rc == 0)
			rc = ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf);
	} else if (rc > 0) {
		j->outcome = rc;
		rc = 1;
	}
	store_request_free(rq);
	free(ct);
	return rc;
}

static void
request_lift(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct lift_job	j = { .gw = r->gw, .who = r->who, .id = r->params[0] };
	char		t[32];
	int		rc;

	j.now_us = store_now_us();
	j.reason = json_string_value(json_object_get(r->body, "reason"));
	if (!decide_has_text(j.reason)) {
		resp_error(rs, 400, "schema_invalid", "The request does not match the schema; see "
		    "details for the fields.", json_pack("[{s:s, s:s}]", "path", "/reason",
		    "message", "a reason why the family may now be told is required"));
		return;
	}
	rc = writer_submit(r->gw->writer, lift_job, &j);
	if (rc == 1 && j.outcome == 4) {
		access_refused(r, rs, 2);
		return;
	}
	if (rc == 0) {
		log_info("request %s: family notification released by %s", j.id,
		    principal_log_name(r->who, who));
		notifier_kick(r->gw->notifier);
		resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:o}", "request_id", j.id,
		    "notification", "queued", "lifted_at", store_time_fmt(j.now_us, t),
		    "ledger", ledger_ref_json(j.seq, j.leaf)));
	} else if (j.outcome == 3)
		access_refused(r, rs, 1);
	else if (j.outcome == 1)
		resp_error(rs, 409, "no_notification",
		    "The family's notification is made when the request is approved; there is "
		    "none yet.", NULL);
	else if (j.outcome == 2)
		resp_error(rs, 409, "notification_not_held",
		    "The family's notification is not held.", NULL);
	else	/* or the request not vouched for (request_signed) */
		unvouched(r, rs);
}

/* ---- POST /v1/requests/{id}/close ---- */

struct close_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*reason;
	int64_t			 now_us;
	int			 outcome;	/* 1 not found, 2 already closed,
					 * 3 refused, 4 awaiting a
					 * quorum of refusals, 5 the
					 * request is not as signed */
	char			 was[24];
	int64_t			 seq;
	unsigned char		 leaf[32];
};

static int
close_job(struct store_conn *c, void *arg)
{
	struct close_job	*j = arg;
	struct request_row	*rq = NULL;
	struct ledger_entry	 le;
	unsigned char		*ct = NULL, dig[32];
	size_t			 ctlen = 0;
	char			 msg[160];
	int			 rc;

	if ((rc = store_request_get(c, j->id, &rq)) != 0) {
		j->outcome = 1;
		return rc == 1 ? 1 : -1;
	}
	/* Its state (whether it may be closed at all) and its family (whose
	 * hold is released) only as the ledger signed them. */
	if ((rc = request_signed(j->gw->ledger, c, rq, NULL, 0)) != 0) {
		j->outcome = rc == 1 ? 5 : 0;
		store_request_free(rq);
		return rc;
	}
	snprintf(j->was, sizeof(j->was), "%s", rq->state);
	/* A refused request stays refused: it holds nothing (its legal hold
	 * ended with the refusal), and closed the requester, the family's
	 * export and the statistics would say "closed" instead of that the
	 * trustees refused it. An approved one is closed to end its hold; one
	 * awaiting approval when the requester withdraws it. */
	if (strcmp(rq->state, "approved") != 0 && strcmp(rq->state, "awaiting_approval") != 0) {
		j->outcome = strcmp(rq->state, "closed") == 0 ? 2 : 3;
		store_request_free(rq);
		return 1;
	}
	/* Closing one awaiting approval is one trustee ending it: only where
	 * one trustee's refusal would end it too. Where refusals must reach
	 * the quorum (--request-refusal-ends no), a closure would stand in for
	 * the refusals the other trustees have not given. */
	if (strcmp(rq->state, "awaiting_approval") == 0 && !rq->refusal_ends) {
		j->outcome = 4;
		store_request_free(rq);
		return 1;
	}
	/* The trustee's reason, sealed under the family key (none kept when
	 * the family's key is already gone); the entry's digest is the
	 * closure's, over the sealed reason, not a guessable digest of it. */
	if (vault_seal_str(j->gw->vault, c, rq->family_pseudonym, j->reason, &ct, &ctlen) == -1) {
		store_request_free(rq);
		return -1;
	}
	if ((rc = store_request_close(c, j->id, j->now_us, j->who->id, ct, ctlen)) != 0) {
		j->outcome = rc == 1 ? 2 : 0;
		rc = rc == 1 ? 1 : -1;
		goto out;
	}
	snprintf(msg, sizeof(msg), "Request %s was closed (it was %s).", rq->id, j->was);
	if (store_request_close_digest(rq->id, j->now_us, j->who->id, ct, ctlen, dig) != 0)
		rc = -1;
	else {
		le = (struct ledger_entry){ j->who->id, role_name(j->who->role), "request.closed",
		    rq->family_pseudonym, rq->id, j->was, dig };
		if ((rc = ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf)) == 0 &&
		    (rc = store_legal_hold_release(c, "request", rq->id, j->now_us,
		    j->who->id)) == 0)
			rc = store_trustee_notice_insert(c, rq->id, "request_closed", msg, j->now_us);
	}
out:
	free(ct);
	store_request_free(rq);
	return rc;
}

static void
request_close(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct close_job	j = { .gw = r->gw, .who = r->who, .id = r->params[0] };
	char			t[32];
	int			rc;

	j.reason = json_string_value(json_object_get(r->body, "reason"));
	j.now_us = store_now_us();
	if (!decide_has_text(j.reason)) {
		resp_error(rs, 400, "reason_required", "Closing a request needs a reason.",
		    json_pack("[{s:s}]", "path", "/reason"));
		return;
	}
	if ((rc = writer_submit(r->gw->writer, close_job, &j)) != 0) {
		if (rc == 1 && j.outcome == 5)
			access_refused(r, rs, 2);
		else if (j.outcome == 1)
			access_refused(r, rs, 1);
		else if (j.outcome == 2)
			resp_error(rs, 409, "request_closed", "The request is already closed.", NULL);
		else if (j.outcome == 4)
			resp_error(rs, 409, "request_not_approved",
			    "This request awaits the trustees' decisions, and refusing it takes a "
			    "quorum of refusals: one trustee cannot end it by closing it.",
			    json_pack("{s:s}", "status", j.was));
		else if (j.outcome == 3)
			resp_error(rs, 409, "request_refused",
			    "The trustees refused this request: it stays refused, and holds nothing "
			    "to close.", json_pack("{s:s}", "status", j.was));
		else	/* or the request not vouched for (request_signed) */
			unvouched(r, rs);
		return;
	}
	log_info("request %s closed by %s (was %s); its legal hold is released", j.id,
	    principal_log_name(r->who, who), j.was);
	resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:o}", "request_id", j.id,
	    "status", "closed", "closed_at", store_time_fmt(j.now_us, t),
	    "ledger", ledger_ref_json(j.seq, j.leaf)));
}

/* ---- gauges ---- */

static double
awaiting_gauge(void *arg)
{
	struct gateway		*gw = arg;
	struct store_conn	*c;
	int64_t			 n = 0;

	if ((c = store_read_begin(gw->store)) == NULL)
		return 0;
	if (store_requests_count(c, "awaiting_approval", &n) != 0)
		n = 0;
	store_read_end(gw->store, c);
	return (double)n;
}

/* The overdue gauge's count: the rows the query selects by their stored
 * decided_us, each counted only if it is what its ledger entries signed
 * (request_signed.h), so that an edited decision time neither adds a
 * request nor is counted with it (logged there). */
struct overdue_ctx {
	struct gateway		*gw;
	struct store_conn	*c;
	int64_t			 n;
};

static int
overdue_one(const struct request_row *rq, void *arg)
{
	struct overdue_ctx	*o = arg;

	/* -1 (a read failed, an entry not in the tree yet): not counted at
	 * this scrape, the next one looks again. */
	o->n += request_signed(o->gw->ledger, o->c, rq, NULL, 0) == 0;
	return 0;
}

static double
close_overdue_gauge(void *arg)
{
	struct gateway		*gw = arg;
	struct overdue_ctx	 o = { .gw = gw };
	int64_t			 now = store_now_us();

	if ((o.c = store_read_begin(gw->store)) == NULL)
		return 0;
	/* Overdue once the whole close_by day (UTC) has passed: approved
	 * before today's start less --max-hold-days (as request_json). */
	if (store_requests_approved_before(o.c, now - now % STORE_DAY_US -
	    (int64_t)gw->cfg.max_hold_days * STORE_DAY_US, overdue_one, &o) != 0)
		o.n = 0;
	store_read_end(gw->store, o.c);
	return (double)o.n;
}

void
requests_metrics(struct gateway *gw)
{
	metrics_gauge(gw->metrics, "gateway_requests_awaiting_approval",
	    "Police and court requests waiting for a quorum of trustees.", awaiting_gauge, gw);
	metrics_gauge(gw->metrics, "gateway_requests_close_overdue",
	    "Approved police and court requests not closed --max-hold-days after approval: each "
	    "keeps its family's records under a legal hold until a trustee closes it.",
	    close_overdue_gauge, gw);
}

const struct route request_routes[] = {
	{ "POST", "/v1/requests", ROLE_BIT(ROLE_AGENCY) | ROLE_BIT(ROLE_STAFF), "request",
	    request_file, 0 },
	{ "GET", "/v1/requests", ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_AGENCY), NULL,
	    request_list, 0 },
	{ "GET", "/v1/requests/{id}", ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_AGENCY), NULL,
	    request_show, ROUTE_FAMILY_READ },
	{ "POST", "/v1/requests/{id}/decisions", ROLE_BIT(ROLE_TRUSTEE), "request-decision",
	    request_decide, 0 },
	{ "GET", "/v1/requests/{id}/statement", ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_AGENCY),
	    NULL, request_statement, ROUTE_FAMILY_READ | ROUTE_ACCESS_REASON },
	{ "POST", "/v1/requests/{id}/notification/lift", ROLE_BIT(ROLE_SAFEGUARDING_LEAD),
	    "override-lift", request_lift, 0 },
	{ "POST", "/v1/requests/{id}/close", ROLE_BIT(ROLE_TRUSTEE), "request-close",
	    request_close, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
