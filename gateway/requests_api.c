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
 *                                          (statement.c), JSON or ?format=text
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
 * describes. Another agency's request is 404, as if it did not exist. The
 * family's id, the requester's reference and every reason are sealed with
 * the family key; logs and ledger entries carry ids, codes and pseudonyms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "consent.h"
#include "decide.h"
#include "fields.h"
#include "gateway.h"
#include "hex.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "profiles.h"
#include "quorum.h"
#include "record_read.h"
#include "request_status.h"
#include "statement.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

#define MAX_REASON		2000
#define MAX_DECISIONS		64
#define MAX_RECORDS		5000
#define CHECKPOINT_WAIT_MS	5000
#define DAY_US			(86400LL * 1000000)

static void
unavailable(struct response *rs)
{
	resp_error(rs, 503, "store_unavailable", "The store does not answer. Try again.", NULL);
}

static void
not_found(struct response *rs)
{
	resp_error(rs, 404, "not_found", "There is no such resource.", NULL);
}

/* Opens a sealed value. *out malloc'd or NULL; *erased set when the key was
 * destroyed. 0, or -1 (tampering, error). */
static int
unseal(struct gateway *gw, struct store_conn *c, const char *pseudonym,
    const unsigned char *ct, size_t ctlen, char **out, int *erased)
{
	size_t	len;
	int	rc;

	*out = NULL;
	if (ct == NULL)
		return 0;
	rc = vault_unseal(gw->vault, c, pseudonym, ct, ctlen, out, &len);
	if (rc == 1) {
		*erased = 1;
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

static int
is_legal_agency(const struct agency *ag)
{
	return ag != NULL && ag->kind != NULL &&
	    (strcmp(ag->kind, "police") == 0 || strcmp(ag->kind, "court") == 0);
}

/* Whether field is among the fields of the agency's interests answered by
 * formal request (profiles.h formal_request); *any says whether it has one. */
static int
formal_field(const struct agency *ag, const char *field, int *any)
{
	size_t	i, k;

	*any = 0;
	for (i = 0; i < ag->ninterests; i++) {
		if (!ag->interests[i].formal_request)
			continue;
		*any = 1;
		for (k = 0; k < ag->interests[i].nfields; k++)
			if (strcmp(ag->interests[i].fields[k], field) == 0)
				return 1;
	}
	return 0;
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

static void
quorum_from(const struct gateway *gw, const struct request_row *rq, struct quorum_config *qc,
    struct quorum_request *qr)
{
	(void)gw;
	qc->required = (unsigned)rq->quorum;
	qc->refusal_ends = rq->refusal_ends;
	qr->requester = rq->requester;
	qr->filed_by = rq->filed_by;
}

/* ---- POST /v1/requests ---- */

struct file_job {
	struct gateway		*gw;
	const struct principal	*who;
	struct request_row	 row;
	const char		*family_id, *reference, *dnn_reason;
	int			 erased;	/* the family's records were erased */
	int			 none;		/* the charity holds no record of the family */
};

/* As vault_seal_str(), but for a family whose key is destroyed (its records were
 * erased or expired) the value is not kept: the placeholder "erased" stands
 * in, as for a decision's reason, and unseal() reports the family erased
 * whatever the bytes, since there is no key. *erased set then. */
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

static int
file_job(struct store_conn *c, void *arg)
{
	struct file_job		*j = arg;
	struct ledger_entry	 le;
	unsigned char		*fid = NULL, *ref = NULL, *dnn = NULL;
	char			 msg[256];
	int			 rc;

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
	rc = store_trustee_notice_insert(c, j->row.id, "request_filed", msg, j->row.created_us);
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
	char			*fields_s = NULL, *kinds_s = NULL, loc[96];
	int64_t			 from_us, to_us, now_us;
	size_t			 i;
	const json_t		*v;

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
	if (to_us > now_us - now_us % DAY_US) {
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

		if (formal_field(ag, json_string_value(v), &any))
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
		resp_error(rs, 503, "store_unavailable",
		    "The request could not be recorded; nothing was kept. Try again.", NULL);
		return;
	}
	free(fields_s);
	free(kinds_s);
	/* The trustees' notice: ids and codes only. */
	log_info("request %s filed by %s for agency %s (basis %s, family %.12s): awaiting the "
	    "decision of %d trustees", j.row.id, principal_log_name(r->who, who),
	    j.row.agency_id, j.row.legal_basis, j.row.family_pseudonym, j.row.quorum);
	snprintf(loc, sizeof(loc), "/v1/requests/%s", j.row.id);
	out = json_pack("{s:s, s:s, s:i, s:s, s:o}", "request_id", j.row.id,
	    "status", "awaiting_approval", "quorum", j.row.quorum, "location", loc,
	    "ledger", ledger_ref_json(j.row.ledger_seq, j.row.leaf_hash));
	resp_json(rs, 202, out);
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
	struct quorum_decision	 qd[MAX_DECISIONS];
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
	quorum_from(gw, rq, &qc, &qr);
	for (i = 0; i < nd; i++) {
		qd[i].trustee = d[i].trustee;
		qd[i].vote = strcmp(d[i].decision, "approve") == 0 ? QUORUM_APPROVE : QUORUM_REFUSE;
		qd[i].at_us = d[i].decided_us;
		if (who != NULL && strcmp(d[i].trustee, who->id) == 0)
			mine = d[i].decision;
	}
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
			int64_t	by = rq->decided_us + (int64_t)gw->cfg.max_hold_days * DAY_US;
			char	t4[32];

			json_object_set_new(o, "close_by",
			    json_stringn(store_time_fmt(by, t4), 10));
			json_object_set_new(o, "close_overdue", json_boolean(store_now_us() >
			    by - by % DAY_US + DAY_US - 1));
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
};

static int
list_one(const struct request_row *rq, void *arg)
{
	struct list_ctx			*l = arg;
	struct request_decision_row	 d[MAX_DECISIONS];
	int				 nd;

	if ((nd = store_request_decisions(l->c, rq->id, d, MAX_DECISIONS)) < 0)
		return -1;
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
	if ((l.out = json_array()) == NULL || (l.c = store_read_begin(r->gw->store)) == NULL) {
		json_decref(l.out);
		unavailable(rs);
		return;
	}
	rc = store_requests_list(l.c, agency, state, list_one, &l);
	store_read_end(r->gw->store, l.c);
	if (rc != 0) {
		json_decref(l.out);
		unavailable(rs);
		return;
	}
	resp_json(rs, 200, json_pack("{s:o}", "requests", l.out));
}

/* ---- GET /v1/requests/{id} ---- */

/* Trustees see every read of the request's personal data with its reason
 * (null once the family's key is gone): the record of access. */
struct reads_ctx {
	struct gateway		*gw;
	struct store_conn	*c;
	json_t			*out;
	int			 open;	/* the reasons too (the reader gave one) */
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
	free(p);
	return v;
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
	int			 erased = 0;

	if (x->open && unseal(x->gw, x->c, rr->family_pseudonym, rr->reason_ct,
	    rr->reason_ctlen, &reason, &erased) != 0)
		return -1;
	o = read_json(rr->read_us, rr->actor, rr->actor_role, reason);
	if (reason != NULL)
		OPENSSL_cleanse(reason, strlen(reason));
	free(reason);
	return o != NULL && json_array_append_new(x->out, o) == 0 ? 0 : -1;
}

static json_t *
reads_json(struct gateway *gw, struct store_conn *c, const char *request_id, int open)
{
	struct reads_ctx	x = { .gw = gw, .c = c, .open = open };

	if ((x.out = json_array()) == NULL)
		return NULL;
	if (store_request_reads(c, request_id, reads_one, &x) != 0) {
		json_decref(x.out);
		return NULL;
	}
	return x.out;
}

static void
request_show(struct request *r, struct response *rs)
{
	struct request_decision_row	 d[MAX_DECISIONS];
	struct request_row		*rq = NULL;
	struct store_conn		*c;
	const char			*reason = req_header(r, "X-Access-Reason");
	char				*fid = NULL, *ref = NULL, *dnn = NULL;
	char				*why_closed = NULL;
	json_t				*out, *reads = NULL;
	int				 nd = 0, rc, erased = 0, gone = 0, personal, keystate = 0;
	int				 hasrec = 0, reasons;

	if (reason != NULL && strlen(reason) > MAX_REASON) {
		resp_error(rs, 400, "access_reason_too_long",
		    "The X-Access-Reason header is too long: at most 2000 bytes.", NULL);
		return;
	}
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		unavailable(rs);
		return;
	}
	rc = store_request_get(c, r->params[0], &rq);
	if (rc == 0 && !may_see(r->who, rq))
		rc = 1;
	if (rc == 0 && (nd = store_request_decisions(c, rq->id, d, MAX_DECISIONS)) < 0)
		rc = -1;
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
	    (unseal(r->gw, c, rq->family_pseudonym, rq->family_id_ct, rq->family_id_ctlen,
	    &fid, &erased) != 0 ||
	    unseal(r->gw, c, rq->family_pseudonym, rq->reference_ct, rq->reference_ctlen,
	    &ref, &erased) != 0 ||
	    unseal(r->gw, c, rq->family_pseudonym, rq->dnn_reason_ct, rq->dnn_reason_ctlen,
	    &dnn, &erased) != 0))
		rc = -1;
	/* The record of access, for trustees only (the requesting agency does
	 * not learn who at the charity read it, nor why). Who read it and
	 * when, always; the readers' reasons and the closing reason, sealed
	 * under the family key because they may name people, only to a
	 * trustee who gives a reason, that read recorded like any other. */
	reasons = rc == 0 && r->who->role == ROLE_TRUSTEE && decide_has_text(reason);
	if (rc == 0 && r->who->role == ROLE_TRUSTEE &&
	    ((reads = reads_json(r->gw, c, rq->id, reasons)) == NULL ||
	    (reasons && unseal(r->gw, c, rq->family_pseudonym, rq->close_reason_ct,
	    rq->close_reason_ctlen, &why_closed, &gone) != 0)))
		rc = -1;
	store_read_end(r->gw->store, c);
	if (rc != 0) {
		if (rc == 1)
			not_found(rs);
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
	}
	resp_json(rs, 200, out);
out:
	json_decref(reads);
	if (why_closed)
		OPENSSL_cleanse(why_closed, strlen(why_closed));
	free(why_closed);
	if (fid)
		OPENSSL_cleanse(fid, strlen(fid));
	free(fid);
	free(ref);
	free(dnn);
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

	if (unseal(j->gw, c, rq->family_pseudonym, rq->family_id_ct, rq->family_id_ctlen,
	    &fid, &erased) != 0)
		return -1;
	if (erased)
		return 0;	/* no one left to tell */
	/* A do_not_notify hold is reviewed like an override's: flagged once
	 * past approval plus --max-hold-days (gateway_notifications_overdue). */
	rc = store_request_notification_insert(c, rq->id, rq->family_pseudonym,
	    rq->family_id_ct, rq->family_id_ctlen, rq->do_not_notify ? "held" : "queued",
	    j->now_us, rq->do_not_notify ?
	    j->now_us + (int64_t)j->gw->cfg.max_hold_days * DAY_US : 0);
	OPENSSL_cleanse(fid, strlen(fid));
	free(fid);
	return rc;
}

static int
decide_job(struct store_conn *c, void *arg)
{
	struct decide_job		*j = arg;
	struct request_decision_row	 d[MAX_DECISIONS], mine;
	struct quorum_decision		 qd[MAX_DECISIONS + 1], next;
	struct quorum_config		 qc;
	struct quorum_request		 qr;
	struct request_row		*rq = NULL;
	struct ledger_entry		 le;
	unsigned char			*rct = NULL;
	char				 msg[200];
	int				 nd, i, rc;

	if ((rc = store_request_get(c, j->id, &rq)) != 0) {
		j->found = 0;
		return rc == 1 ? 0 : -1;
	}
	j->found = 1;
	if ((nd = store_request_decisions(c, rq->id, d, MAX_DECISIONS)) < 0) {
		rc = -1;
		goto out;
	}
	quorum_from(j->gw, rq, &qc, &qr);
	for (i = 0; i < nd; i++) {
		qd[i].trustee = d[i].trustee;
		qd[i].vote = strcmp(d[i].decision, "approve") == 0 ? QUORUM_APPROVE : QUORUM_REFUSE;
		qd[i].at_us = d[i].decided_us;
	}
	next.trustee = j->who->id;
	next.vote = strcmp(j->decision, "approve") == 0 ? QUORUM_APPROVE : QUORUM_REFUSE;
	next.at_us = j->now_us;
	j->verdict = quorum_check(&qc, &qr, qd, (size_t)nd, &next, &j->after);
	/* A closed request accepts nothing, whatever the decisions say. */
	if (j->verdict == QUORUM_OK && strcmp(rq->state, "closed") == 0)
		j->verdict = QUORUM_REQUEST_CLOSED;
	if (j->verdict == QUORUM_OK && nd >= MAX_DECISIONS)
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
	if (writer_submit(r->gw->writer, decide_job, &j) != 0) {
		resp_error(rs, 503, "store_unavailable",
		    "The decision could not be recorded; nothing was kept. Try again.", NULL);
		return;
	}
	if (!j.found) {
		not_found(rs);
		return;
	}
	if (j.verdict != QUORUM_OK) {
		status = j.verdict == QUORUM_REQUESTER_CANNOT_DECIDE ? 403 : 409;
		log_info("request %s: decision by %s rejected (%s)", j.id,
		    principal_log_name(r->who, who), quorum_verdict_code(j.verdict));
		resp_error(rs, status, quorum_verdict_code(j.verdict),
		    j.verdict == QUORUM_REQUESTER_CANNOT_DECIDE ?
		    "Whoever made or filed the request cannot decide on it." :
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

/* Whether the entry at seq is the signed record of a row: the entry as
 * the tree signed it, its action, actor and object as given, its digest
 * the row's (recomputed). 1 yes, 0 no (or no such entry, or one that is
 * not as signed), -1 a read error. */
static int
entry_vouches(struct ledger *l, struct store_conn *c, int64_t seq, const char *action,
    const char *actor, const char *object_id, const unsigned char digest[32])
{
	struct entry_copy	e;
	int64_t			bad;
	int			ok, rc;

	memset(&e, 0, sizeof(e));
	if ((rc = signed_entries(l, c, seq, seq, one_entry, &e, &bad)) != 0) {
		free(e.strs);
		if (rc == 1)
			log_errx("ledger entry #%lld does not match the signed ledger",
			    (long long)bad);
		return rc == 1 ? 0 : -1;
	}
	ok = e.strs != NULL && e.r.seq == seq && e.r.e.record_digest != NULL &&
	    memcmp(e.r.e.record_digest, digest, 32) == 0 &&
	    e.r.e.action != NULL && strcmp(e.r.e.action, action) == 0 &&
	    (actor == NULL || (e.r.e.actor != NULL && strcmp(e.r.e.actor, actor) == 0)) &&
	    e.r.e.object_id != NULL && strcmp(e.r.e.object_id, object_id) == 0;
	free(e.strs);
	return ok;
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
	/* Drawn from the signed record only: the row must still be what the
	 * ledger entry's digest says it was when it was written. */
	{
		unsigned char	dig[32];

		if (r->e.record_digest == NULL || store_disclosure_digest(d, dig) != 0 ||
		    memcmp(dig, r->e.record_digest, 32) != 0) {
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
	if (unseal(x->gw, x->c, d->family_pseudonym, d->data_ct, d->data_ctlen, &pt, &erased) != 0)
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
	if (pt != NULL)
		OPENSSL_cleanse(pt, strlen(pt));
	free(pt);
	json_decref(data);
	json_decref(carried);
	store_disclosure_free(d);
	return rec;
}

/* What a consent's ledger entries say of its row (consent_entry). */
struct consent_check {
	const struct consent_row *cr;		/* the row as stored */
	const unsigned char	*ev, *why;	/* its sealed evidence and reason */
	size_t			 evlen, whylen;
	int			 recorded;	/* consent.recorded entries matching */
	int			 withdrawn;	/* consent.withdrawn entries matching */
	int			 open_ended;	/* recorded without an expiry */
	int			 limited;	/* a consent.limited entry gave the row's */
	int64_t			 withdrawn_at;	/* the matching entries' times */
	int64_t			 limited_at;
	int			 differs;	/* an entry the row does not match */
	struct ledger		*l;
	struct merkle_hasher	*hs;
};

/* Whether d is the digest consent_digest() gives r with status and ct. 1
 * yes, 0 no, -1 error. */
static int
consent_digest_is(const struct consent_row *r, const char *status, const unsigned char *ct,
    size_t ctlen, const unsigned char *d)
{
	unsigned char	dig[32];

	if (consent_digest(r, status, ct, ctlen, dig) != 0)
		return -1;
	return d != NULL && memcmp(dig, d, 32) == 0;
}

/*
 * One of the consent's ledger entries, checked against the row as it stood
 * when the entry was written (consent_api.c consent_ledger): a
 * consent.recorded entry signed it live, before any withdrawal (so with
 * withdrawn_at null) and with its evidence; a consent.withdrawn entry
 * signed it as it is now, with the family's reason if one was given. A
 * consent an older gateway recorded without an expiry was given one since,
 * once, by the retention sweep (consent.limited, the expiry in its reason):
 * its recorded entry signed expires_at null, and the row's expiry must be
 * the one that entry gave.
 */
static int
consent_entry(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct consent_check	*k = arg;
	struct consent_row	 then = *k->cr;
	char			 t[32], want[48];
	int			 v;

	(void)leaf;
	if ((v = entry_signed(k->l, k->hs, r)) != 1) {
		k->differs = 1;
		return v == -1 ? -1 : 0;
	}
	if (strcmp(r->e.action, "consent.recorded") == 0) {
		then.withdrawn_us = 0;
		if ((v = consent_digest_is(&then, "live", k->ev, k->evlen,
		    r->e.record_digest)) == 0 && then.expires_us != 0) {
			then.expires_us = 0;
			if ((v = consent_digest_is(&then, "live", k->ev, k->evlen,
			    r->e.record_digest)) == 1)
				k->open_ended = 1;
		}
		if (v == -1)
			return -1;
		k->recorded += v;
		k->differs |= !v;
	} else if (strcmp(r->e.action, "consent.withdrawn") == 0) {
		v = k->cr->withdrawn_us == 0 ? 0 : consent_digest_is(k->cr, "withdrawn", k->why,
		    k->whylen, r->e.record_digest);
		if (v == -1)
			return -1;
		k->withdrawn += v;
		k->differs |= !v;
		if (v)
			k->withdrawn_at = r->time_us;
	} else if (strcmp(r->e.action, "consent.limited") == 0) {
		snprintf(want, sizeof(want), "expires_at=%s ",
		    store_time_fmt(k->cr->expires_us, t));
		v = k->cr->expires_us != 0 && r->e.reason != NULL &&
		    strncmp(r->e.reason, want, strlen(want)) == 0;
		k->limited += v;
		k->differs |= !v;
		if (v)
			k->limited_at = r->time_us;
	}
	return 0;
}

/* Whether the consent's row is what its ledger entries signed: every
 * consent.recorded, consent.withdrawn and consent.limited entry of the
 * family about it matches, there is one recorded entry, one withdrawn entry
 * if and only if the row is withdrawn, and the limited entry when the
 * recorded one signed no expiry. 1 yes, 0 no, -1 a read error. *k gets
 * the counts and the times of the withdrawn and limited entries. */
static int
consent_vouched(struct records_ctx *x, const struct consent_row *cr, struct consent_check *out)
{
	struct consent_check	 k = { .cr = cr };
	unsigned char		*ev, *why;
	int			 rc;

	if (strcmp(cr->family_pseudonym, x->rq->family_pseudonym) != 0)
		return 0;
	if ((rc = store_consent_sealed(x->c, cr->id, &ev, &k.evlen, &why, &k.whylen)) != 0)
		return -1;
	k.ev = ev;
	k.why = why;
	/* The entries are found by their stored columns; each is used only
	 * if it is as the tree signed it (entry_signed): a digest edited in
	 * the row to fit an edited date differs from its leaf. */
	if ((k.hs = merkle_hasher_new()) == NULL)
		rc = -1;
	else {
		k.l = x->gw->ledger;
		rc = store_object_entries(x->c, cr->family_pseudonym, cr->id, consent_entry, &k);
		merkle_hasher_free(k.hs);
	}
	free(ev);
	free(why);
	if (rc != 0)
		return -1;
	*out = k;
	return !k.differs && k.recorded == 1 &&
	    k.withdrawn == (cr->withdrawn_us != 0) && k.limited == k.open_ended;
}

/* A consent event (recorded, withdrawn) as a record: its summary only. */
static json_t *
consent_record(struct records_ctx *x, const struct ledger_record *r, const unsigned char *leaf)
{
	struct consent_row	cr;
	struct consent_check	k = { 0 };
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

static int
add_record(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct records_ctx	*x = arg;
	json_t			*rec = NULL;

	if (leaf == NULL)
		return -1;
	if (x->disclosures && strcmp(r->e.action, "disclosure.allowed") == 0)
		rec = disclosure_record(x, r, leaf);
	else if (x->consents && (strcmp(r->e.action, "consent.recorded") == 0 ||
	    strcmp(r->e.action, "consent.withdrawn") == 0))
		rec = consent_record(x, r, leaf);
	else
		return 0;
	if (rec == NULL) {
		if (x->failed != 3)
			log_errx("request %s: record %s of entry #%lld cannot be read", x->rq->id,
			    r->e.object_id ? r->e.object_id : "-", (long long)r->seq);
		return -1;
	}
	if (json_is_null(rec))
		return 0;
	if (json_array_size(x->records) >= MAX_RECORDS) {
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
 */
struct period_scan {
	struct records_ctx	*x;
	int64_t			 from_us, to_us;
	int64_t			 first_time, last_time;	/* signed, of the run read */
	int			 any;
};

static int
period_row(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct period_scan	*ps = arg;

	if (!ps->any)
		ps->first_time = r->time_us;
	ps->any = 1;
	ps->last_time = r->time_us;
	if (r->e.family_pseudonym == NULL ||
	    strcmp(r->e.family_pseudonym, ps->x->rq->family_pseudonym) != 0 ||
	    r->time_us < ps->from_us || r->time_us > ps->to_us)
		return 0;
	return add_record(r, leaf, ps->x);
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
	struct period_scan	 ps = { x, from_us, to_us, 0, 0, 0 };
	int64_t			 n, tail, tail_time, lo, hi, first, last, bad = 0;
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
	rc = signed_entries(x->gw->ledger, x->c, first, last, period_row, &ps, &bad);
	if (rc != 0) {
		if (rc == 1)
			goto missing;
		return -1;
	}
	if ((first > 1 && ps.first_time >= from_us) || (last < n && ps.last_time <= to_us)) {
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
	struct request_decision_row	 d[MAX_DECISIONS];
	struct quorum_decision		 qd[MAX_DECISIONS];
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
	if ((nd = store_request_decisions(c, rq->id, d, MAX_DECISIONS)) < 0 ||
	    unseal(gw, c, rq->family_pseudonym, rq->family_id_ct, rq->family_id_ctlen, &fid,
	    &erased) != 0 ||
	    unseal(gw, c, rq->family_pseudonym, rq->reference_ct, rq->reference_ctlen, &ref,
	    &erased) != 0 ||
	    store_time_parse(rq->period_from, &from_us) != 0 ||
	    store_time_parse(rq->period_to, &to_us) != 0)
		goto out;
	to_us += DAY_US - 1;	/* through the last day */
	/* The request and each decision must be what their ledger entries
	 * signed (a row added or changed behind the gateway's back counts for
	 * nothing), and the quorum is counted again from those decisions, not
	 * taken from the request's state column. */
	{
		unsigned char	dig[32];
		int		v;

		v = store_request_digest(rq, dig) != 0 ? -1 :
		    entry_vouches(gw->ledger, c, rq->ledger_seq, "request.filed", NULL, rq->id,
		    dig);
		/* A decision row is vouched for by the entry it names: that
		 * trustee's approval or refusal of this request, with the digest
		 * the row keeps (a forged row names no such entry). */
		for (i = 0; v == 1 && i < nd; i++)
			v = entry_vouches(gw->ledger, c, d[i].ledger_seq,
			    strcmp(d[i].decision, "approve") == 0 ? "request.approved" :
			    "request.refused", d[i].trustee, rq->id, d[i].record_digest);
		if (v != 1) {
			if (v == 0) {
				log_errx("request %s: the request or one of its decisions does "
				    "not match its ledger entry: no statement is issued", rq->id);
				*why = 3;
			}
			goto out;
		}
	}
	quorum_from(gw, rq, &qc, &qr);
	for (i = 0; i < nd; i++) {
		qd[i].trustee = d[i].trustee;
		qd[i].vote = strcmp(d[i].decision, "approve") == 0 ? QUORUM_APPROVE : QUORUM_REFUSE;
		qd[i].at_us = d[i].decided_us;
	}
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

		if (ag != NULL && formal_field(ag, json_string_value(k), &any))
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
	if (fid != NULL)
		OPENSSL_cleanse(fid, strlen(fid));
	free(fid);
	free(ref);
	return body;
}

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

static void
request_statement(struct request *r, struct response *rs)
{
	char			 who[PRINCIPAL_LOG_MAX];
	struct issue_job	 j = { .gw = r->gw, .who = r->who };
	struct request_row	*rq = NULL;
	struct store_conn	*c;
	const char		*format = req_query(r, "format");
	json_t			*body = NULL, *doc = NULL, *issue = NULL, *proofs = NULL;
	EVP_PKEY		*key = NULL;
	int64_t			*seqs = NULL;
	uint64_t		 size = 0;
	char			*note = NULL, *out = NULL;
	size_t			 len;
	long			 n;
	int			 rc, why = 0;

	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "text") != 0) {
		resp_bad_query(rs, "format", "format must be json or text.");
		return;
	}
	/* A trustee reads the family's records: with a reason, kept with the
	 * read (DESIGN.md). The requesting agency's reason is its request. */
	j.reason = req_header(r, "X-Access-Reason");
	if (j.reason != NULL && strlen(j.reason) > MAX_REASON) {
		resp_error(rs, 400, "access_reason_too_long",
		    "The X-Access-Reason header is too long: at most 2000 bytes.", NULL);
		return;
	}
	if (r->who->role == ROLE_TRUSTEE && !decide_has_text(j.reason)) {
		resp_error(rs, 403, "access_reason_required",
		    "A trustee reading a witness statement gives the reason in the X-Access-Reason "
		    "header.", NULL);
		return;
	}
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		unavailable(rs);
		return;
	}
	rc = store_request_get(c, r->params[0], &rq);
	if (rc == 0 && !may_see(r->who, rq))
		rc = 1;
	if (rc != 0) {
		store_read_end(r->gw->store, c);
		if (rc == 1)
			not_found(rs);
		else
			unavailable(rs);
		store_request_free(rq);
		return;
	}
	if (strcmp(rq->state, "approved") != 0) {
		store_read_end(r->gw->store, c);
		resp_error(rs, 403, strcmp(rq->state, "refused") == 0 ? "request_refused" :
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
			rs->retry_after = 60;
			resp_error(rs, 409, "family_notice_pending",
			    "The family is told before the statement is released, and its "
			    "notice has not gone yet. Try again later.", NULL);
			return;
		}
	}
	body = statement_body(r->gw, c, rq, r->who, &why);
	store_read_end(r->gw->store, c);
	if (body == NULL) {
		if (why == 2)
			resp_error(rs, 413, "too_many_records",
			    "The period holds too many records for one statement; ask for a "
			    "shorter period.", json_pack("{s:i}", "limit", MAX_RECORDS));
		else if (why == 3)
			resp_error(rs, 409, "record_integrity_failed",
			    "A stored record no longer matches what the ledger signed, so no "
			    "statement is issued; the operators are told.", NULL);
		else
			resp_error(rs, 500, "internal", "The statement could not be drawn up.", NULL);
		goto out;
	}

	/* The issue is recorded (and its digest binds the body) before anything
	 * leaves; then a signed checkpoint that covers it is awaited. */
	j.rq = rq;
	j.records = (int)json_array_size(json_object_get(body, "records"));
	store_new_id("stm_", j.id, sizeof(j.id));
	if (statement_body_digest(body, j.digest) != 0 ||
	    writer_submit(r->gw->writer, issue_job, &j) != 0) {
		resp_error(rs, 503, "store_unavailable",
		    "The statement's issue could not be recorded, so nothing is shown. Try again.",
		    NULL);
		goto out;
	}
	if ((note = checkpoint_covering(r->gw->ledger, j.seq, &size)) == NULL) {
		resp_error(rs, 503, "checkpoint_unavailable",
		    "No signed checkpoint covers the statement yet. Try again.", NULL);
		goto out;
	}
	if ((n = statement_cited_seqs(body, NULL, 0)) < 0 ||
	    (seqs = calloc((size_t)n + 1, sizeof(*seqs))) == NULL ||
	    statement_cited_seqs(body, seqs, (size_t)n) != n) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	seqs[n] = j.seq;
	if ((proofs = proofs_json(r->gw->ledger, seqs, (size_t)n + 1, size)) == NULL ||
	    (issue = entry_at_seq(r->gw, j.seq)) == NULL || (key = ledger_key(r->gw->ledger)) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	doc = statement_assemble(body, issue, note, key, proofs);
	body = issue = proofs = NULL;	/* taken */
	if (doc == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	out = format != NULL && strcmp(format, "text") == 0 ? statement_text(doc, &len) :
	    statement_dump(doc, &len);
	if (out == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		goto out;
	}
	log_info("request %s: statement %s issued to %s (%d records, ledger #%lld, checkpoint "
	    "%llu)", rq->id, j.id, principal_log_name(r->who, who), j.records, (long long)j.seq,
	    (unsigned long long)size);
	resp_text(rs, 200, format != NULL && strcmp(format, "text") == 0 ?
	    "text/plain; charset=utf-8" : "application/json", out, len);
out:
	json_decref(body);
	json_decref(issue);
	json_decref(proofs);
	json_decref(doc);
	EVP_PKEY_free(key);
	free(seqs);
	free(note);
	store_request_free(rq);
}

/* ---- POST /v1/requests/{id}/notification/lift ---- */

struct lift_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*reason;	/* why the family may now be told */
	int64_t			 now_us;
	int			 outcome;	/* 0 lifted, 1 none, 2 not held, 3 no request */
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
	if (rc == 0) {
		log_info("request %s: family notification released by %s", j.id,
		    principal_log_name(r->who, who));
		notifier_kick(r->gw->notifier);
		resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:o}", "request_id", j.id,
		    "notification", "queued", "lifted_at", store_time_fmt(j.now_us, t),
		    "ledger", ledger_ref_json(j.seq, j.leaf)));
	} else if (j.outcome == 3)
		not_found(rs);
	else if (j.outcome == 1)
		resp_error(rs, 409, "no_notification",
		    "The family's notification is made when the request is approved; there is "
		    "none yet.", NULL);
	else if (j.outcome == 2)
		resp_error(rs, 409, "notification_not_held",
		    "The family's notification is not held.", NULL);
	else
		unavailable(rs);
}

/* ---- POST /v1/requests/{id}/close ---- */

struct close_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*reason;
	int64_t			 now_us;
	int			 outcome;	/* 1 not found, 2 already closed */
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
	snprintf(j->was, sizeof(j->was), "%s", rq->state);
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

	j.reason = json_string_value(json_object_get(r->body, "reason"));
	j.now_us = store_now_us();
	if (!decide_has_text(j.reason)) {
		resp_error(rs, 400, "reason_required", "Closing a request needs a reason.",
		    json_pack("[{s:s}]", "path", "/reason"));
		return;
	}
	if (writer_submit(r->gw->writer, close_job, &j) != 0) {
		if (j.outcome == 1)
			not_found(rs);
		else if (j.outcome == 2)
			resp_error(rs, 409, "request_closed", "The request is already closed.", NULL);
		else
			unavailable(rs);
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

static double
close_overdue_gauge(void *arg)
{
	struct gateway		*gw = arg;
	struct store_conn	*c;
	int64_t			 n = 0, now = store_now_us();

	if ((c = store_read_begin(gw->store)) == NULL)
		return 0;
	/* Overdue once the whole close_by day (UTC) has passed: approved
	 * before today's start less --max-hold-days (as request_json). */
	if (store_requests_approved_before(c, now - now % DAY_US -
	    (int64_t)gw->cfg.max_hold_days * DAY_US, &n) != 0)
		n = 0;
	store_read_end(gw->store, c);
	return (double)n;
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
	    NULL, request_statement, ROUTE_FAMILY_READ },
	{ "POST", "/v1/requests/{id}/notification/lift", ROLE_BIT(ROLE_SAFEGUARDING_LEAD),
	    "override-lift", request_lift, 0 },
	{ "POST", "/v1/requests/{id}/close", ROLE_BIT(ROLE_TRUSTEE), "request-close",
	    request_close, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
