/*
 * consent_api.c: POST /v1/consents, GET /v1/consents/{id} and POST
 * /v1/consents/{id}/withdraw.
 * Staff record a family's consent to share with one agency for one of its
 * registered purposes, with the evidence of how it was given (sealed under
 * the family key: it may name people). Withdrawal takes effect at once: the
 * next disclosure decision reads it from the store, and in the same writer
 * job every delivery the agency has not yet acknowledged of disclosures that
 * relied on it is stopped for good (unless another live consent covers the
 * same agency and purpose), each stop a "delivery.stopped" ledger entry,
 * and the agency is told of what it may already hold on such a consent
 * (recipient_notice.h; "recipients_notified").
 * The withdrawal is then appended to the erasure journal (erasure_journal.h)
 * before the reply ("journal": "written" or "failed"), so that a copy
 * restored from before it has it made again at start, through the same
 * consent_withdraw_in() (retention_reapply_journal).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent.h"
#include "consent_api.h"
#include "consent_signed.h"
#include "decide.h"
#include "delivery.h"
#include "erasure_journal.h"
#include "gateway.h"
#include "http.h"
#include "idempotency.h"
#include "ledger.h"
#include "log.h"
#include "profiles.h"
#include "recipient_notice.h"
#include "record_read.h"
#include "retention.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

struct consent_job {
	struct gateway		*gw;
	const struct principal	*who;
	struct consent_row	 row;
	const char		*evidence;
	const char		*reason;	/* a withdrawal's, or NULL */
	int			 outcome;	/* store_consent_withdraw() result */
	int64_t			 seq;		/* its ledger entry */
	unsigned char		 leaf[32];
	int			 stopped;	/* deliveries stopped by a withdrawal */
	int			 notified;	/* recipients told of it (recipient_notice.h) */
	int			 limited;	/* a recording's expiry was cut to the longest life */
	/* A withdrawal's: the agency and purpose the consent was recorded
	 * for, as its signed entry says ("": none found as signed). */
	char			 agency_id[64];
	char			 purpose[64];
	struct idem		 idem;		/* a recording's Idempotency-Key, or inactive */
};

/* The consent's ledger entry, in the same writer job as the change it
 * records: both are kept, or neither. Its digest is consent_digest()'s
 * (consent.h): the consent as the reply states it, plus the sealed
 * evidence or reason when there is some. */
static int
consent_ledger(struct consent_job *j, struct store_conn *c, const char *action,
    const char *status, const unsigned char *ct, size_t ctlen)
{
	struct ledger_entry	 e;
	unsigned char		 digest[32];
	char			 reason[160];

	if (consent_digest(&j->row, status, ct, ctlen, digest) != 0)
		return -1;
	snprintf(reason, sizeof(reason), "agency=%s purpose=%s", j->row.agency_id,
	    j->row.purpose);
	e = (struct ledger_entry){ j->who->id, role_name(j->who->role), action,
	    j->row.family_pseudonym, j->row.id, reason, digest };
	return ledger_append(j->gw->ledger, c, &e, &j->seq, j->leaf);
}

/* The 201 of a recording: the consent as consent_json() states it (ids,
 * the agency's registered id and purpose, dates), its location and ledger
 * reference, and whether its expiry was cut: nothing personal (the family
 * is a pseudonym the reply does not carry, the evidence is sealed). */
static void
recorded_reply(const struct consent_job *j, struct response *rs)
{
	char	loc[80];

	snprintf(loc, sizeof(loc), "/v1/consents/%s", j->row.id);
	resp_json(rs, 201, consent_json(&j->row, "live"));
	if (rs->json == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	json_object_set_new(rs->json, "location", json_string(loc));
	json_object_set_new(rs->json, "ledger", ledger_ref_json(j->seq, j->leaf));
	if (j->limited) {
		json_object_set_new(rs->json, "expiry_limited", json_true());
		json_object_set_new(rs->json, "expiry_limit_days",
		    json_integer(j->gw->cfg.consent_max_days));
	}
}

/* The recording; with an Idempotency-Key looked up first (a repeat
 * records nothing) and kept with its reply in this job. */
static int
record_job(struct store_conn *c, void *arg)
{
	struct consent_job	*j = arg;
	struct response		 rs;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	int			 rc;

	if (j->idem.active && (rc = idem_check(&j->idem, c)) != IDEM_NEW)
		return rc == -1 ? -1 : 0;
	rc = vault_seal(j->gw->vault, c, j->row.family_pseudonym, j->evidence,
	    strlen(j->evidence), &ct, &ctlen);
	if (rc != 0) {
		j->outcome = rc;	/* 1: the family's data was erased */
		return -1;
	}
	rc = store_consent_insert(c, &j->row, j->who->id, ct, ctlen);
	if (rc == 0)
		rc = consent_ledger(j, c, "consent.recorded", "live", ct, ctlen);
	free(ct);
	if (rc != 0 || !j->idem.active)
		return rc;
	memset(&rs, 0, sizeof(rs));
	recorded_reply(j, &rs);
	return idem_keep(&j->idem, c, &rs);
}

static void
consent_record(struct request *r, struct response *rs)
{
	struct consent_job	 j = { .gw = r->gw, .who = r->who };
	const struct agency	*ag;
	const struct interest	*in;
	const char		*family, *agency, *purpose, *expires;
	int64_t			 longest;

	if (idem_begin(r, rs, "POST /v1/consents", &j.idem) == -1)
		return;
	family = json_string_value(json_object_get(r->body, "family_id"));
	agency = json_string_value(json_object_get(r->body, "agency_id"));
	purpose = json_string_value(json_object_get(r->body, "purpose"));
	j.evidence = json_string_value(json_object_get(r->body, "evidence"));
	expires = json_string_value(json_object_get(r->body, "expires"));

	/* The schema's "\\S" sees only ASCII white space: evidence of no-break,
	 * ideographic or zero-width spaces is no evidence either. */
	if (!decide_has_text(j.evidence)) {
		resp_blank_text(rs, "/evidence");
		return;
	}
	if ((ag = profiles_find(r->gw->profiles, agency)) == NULL) {
		resp_error(rs, 404, "agency_not_found", "There is no agency with that id.",
		    json_pack("[{s:s}]", "path", "/agency_id"));
		return;
	}
	if ((in = agency_interest(ag, purpose)) == NULL) {
		resp_error(rs, 403, "purpose_not_registered",
		    "That purpose is not one of the agency's registered legitimate interests.",
		    json_pack("[{s:s}]", "path", "/purpose"));
		return;
	}
	/* A consent would authorise nothing: the purpose is answered through
	 * the trustees only (decide.h formal_request_required). */
	if (in->formal_request) {
		resp_error(rs, 403, "formal_request_required",
		    "This purpose is answered only through a formal request (POST /v1/requests), "
		    "approved by a quorum of trustees; a consent cannot authorise it.",
		    json_pack("[{s:s}]", "path", "/purpose"));
		return;
	}
	j.row.granted_us = store_now_us();
	if (expires != NULL) {
		int parsed = store_time_parse(expires, &j.row.expires_us);

		if (parsed == 0 && strlen(expires) == 10)	/* a date: valid through that day */
			j.row.expires_us += 86400LL * 1000000 - 1;
		if (parsed == -1 || j.row.expires_us <= j.row.granted_us) {
			resp_error(rs, 400, "invalid_expiry", "The expiry must be a date in the future.",
			    json_pack("[{s:s}]", "path", "/expires"));
			return;
		}
	}
	/* No consent lasts for good (gateway.h CONSENT_MAX_DAYS): without an
	 * expiry, or with a later one, it ends after the longest life, and
	 * the reply says when (and that a later date asked for was cut). */
	longest = j.row.granted_us + (int64_t)r->gw->cfg.consent_max_days * 86400 * 1000000;
	if (j.row.expires_us == 0 || j.row.expires_us > longest) {
		j.limited = j.row.expires_us != 0;
		j.row.expires_us = longest;
	}
	store_new_id("con_", j.row.id, sizeof(j.row.id));
	vault_pseudonym(r->gw->vault, family, j.row.family_pseudonym);
	snprintf(j.row.agency_id, sizeof(j.row.agency_id), "%s", agency);
	snprintf(j.row.purpose, sizeof(j.row.purpose), "%s", purpose);

	if (writer_submit(r->gw->writer, record_job, &j) != 0) {
		if (j.outcome == 1)
			resp_error(rs, 409, "family_erased",
			    "This family's records were erased; no new consent can be attached.", NULL);
		else	/* or the ledger refused it: its alarm (http.h) */
			resp_unavailable(r, rs,
			    "The consent could not be recorded; nothing was kept. Try again.");
		idem_free(&j.idem);
		return;
	}
	/* A repeated key: the first reply, or 409; nothing was recorded. */
	if (j.idem.active && idem_reply(&j.idem, r->gw, r->who, rs) != IDEM_NEW) {
		idem_free(&j.idem);
		return;
	}
	log_info("consent %s recorded for agency %s purpose %s", j.row.id, agency, purpose);
	if (!j.idem.active)
		recorded_reply(&j, rs);		/* else idem_reply() sent the kept one */
	idem_free(&j.idem);
}

struct stop_arg {
	struct consent_job	*j;
	struct store_conn	*c;
};

/* One delivery stopped: its ledger entry (ids and a code only). */
static int
stopped_entry(const char *disclosure_id, void *arg)
{
	struct stop_arg		*s = arg;
	struct ledger_entry	 e = { s->j->who->id, role_name(s->j->who->role),
				    "delivery.stopped", s->j->row.family_pseudonym, disclosure_id,
				    DELIVERY_CONSENT_WITHDRAWN, NULL };

	s->j->stopped++;
	return ledger_append(s->j->gw->ledger, s->c, &e, NULL, NULL);
}

/* After the withdrawal (same job), for the agency and purpose the consent
 * was recorded for as its signed entry says (j->agency_id, j->purpose:
 * signed_subject), whatever its row says now: unless another consent, as
 * its signed ledger entries say it is (consent_signed.h: not a row copied
 * in with sqlite3), still lets the agency have data for the purpose,
 * nothing it has not yet received on the strength of a consent reaches
 * it: neither what relied on this one nor what relied on one withdrawn
 * earlier while this one still covered. 0 or -1. */
static int
stop_deliveries(struct consent_job *j, struct store_conn *c)
{
	struct stop_arg		 s = { j, c };
	int			 rc;

	if (j->agency_id[0] == '\0')	/* never signed: nothing relied on it */
		return 0;
	rc = delivery_consent_covers(j->gw->ledger, c, j->row.family_pseudonym, j->agency_id,
	    j->purpose, j->row.withdrawn_us);
	if (rc != 0)
		return rc == 1 ? 0 : -1;
	if (store_deliveries_stop_for_consent(c, j->row.family_pseudonym, j->agency_id,
	    j->purpose, j->row.withdrawn_us, DELIVERY_CONSENT_WITHDRAWN, stopped_entry,
	    &s) < 0)
		return -1;
	/* What the agency may already hold on the strength of a consent for
	 * this purpose: it is told (Art 19 in spirit: its basis is gone). */
	if ((j->notified = recipient_notices_make(j->gw, c, NOTICE_CONSENT_WITHDRAWN,
	    j->row.family_pseudonym, j->row.id, j->agency_id, j->purpose, j->who,
	    j->row.withdrawn_us)) < 0)
		return -1;
	return 0;
}

/*
 * The agency and purpose the consent was recorded for, from its ledger
 * entries as the tree signed them (consent_signed.h), read before the
 * withdrawal changes the row. A row whose agency or purpose was edited
 * behind the gateway's back is withdrawn all the same (refusing would
 * keep the family's data flowing), but what is stopped and who is told
 * follow what was signed, not the edit; the mismatch is logged by the
 * consent's id only. A row with no recorded entry as signed (written in
 * whole) authorised nothing: nothing relied on it, nothing to stop. 0 or
 * -1.
 */
static int
signed_subject(struct consent_job *j, struct store_conn *c)
{
	struct consent_signed	k;
	int			rc;

	memset(&k, 0, sizeof(k));
	if ((rc = consent_signed(j->gw->ledger, c, &j->row, &k)) == -1)
		return -1;
	if (rc == 1 && (strcmp(k.agency_id, j->row.agency_id) != 0 ||
	    strcmp(k.purpose, j->row.purpose) != 0))
		log_errx("consent %s: its agency or purpose is not what its ledger entry signed; "
		    "withdrawn, and deliveries stopped and notices made as signed", j->row.id);
	else if (rc == 1)
		log_errx("consent %s is not what its ledger entries signed; withdrawn",
		    j->row.id);
	memcpy(j->agency_id, k.agency_id, sizeof(j->agency_id));
	memcpy(j->purpose, k.purpose, sizeof(j->purpose));
	return 0;
}

static int
withdraw_body(struct consent_job *j, struct store_conn *c)
{
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	int64_t			 when = j->row.withdrawn_us;
	int			 rc;

	/* The family's reason, if given, sealed under its key like the
	 * evidence (an erased family's is not kept: there is no key). */
	if ((rc = store_consent_get(c, j->row.id, &j->row)) != 0) {
		j->outcome = rc;	/* 1: no such consent */
		return -1;
	}
	if (j->row.withdrawn_us == 0 && signed_subject(j, c) != 0)
		return -1;
	j->row.withdrawn_us = when;
	if (decide_has_text(j->reason) && vault_seal(j->gw->vault, c, j->row.family_pseudonym,
	    j->reason, strlen(j->reason), &ct, &ctlen) == -1)
		return -1;
	rc = store_consent_withdraw(c, j->row.id, when, j->who->id, ct, ctlen);
	j->outcome = rc;
	if (rc == 0)
		rc = store_consent_get(c, j->row.id, &j->row);
	if (rc == 0)
		rc = consent_ledger(j, c, "consent.withdrawn", "withdrawn", ct, ctlen);
	if (rc == 0)
		rc = stop_deliveries(j, c);
	free(ct);
	return rc;
}

int
consent_withdraw_in(struct store_conn *c, struct consent_withdrawal *w)
{
	struct consent_job	j = { .gw = w->gw, .who = w->who, .reason = w->reason };
	int			rc;

	snprintf(j.row.id, sizeof(j.row.id), "%s", w->id);
	j.row.withdrawn_us = w->when_us;
	rc = withdraw_body(&j, c);
	w->row = j.row;
	w->outcome = j.outcome;
	w->seq = j.seq;
	memcpy(w->leaf, j.leaf, sizeof(w->leaf));
	w->stopped = j.stopped;
	w->notified = j.notified;
	return rc;
}

static int
withdraw_job(struct store_conn *c, void *arg)
{
	return consent_withdraw_in(c, arg);
}

/* The withdrawal in the erasure journal (erasure_journal.h), before the
 * reply, so that a copy restored from before it has it made again; for one
 * withdrawn already (409), only if the journal lacks it (a crash between
 * the commit and the append, or a failed append: a retry repairs it). 1
 * written (or held already), 0 not. */
static int
journal_withdrawal(struct request *r, const struct consent_withdrawal *w, int again)
{
	char	err[512];
	int	appended = 0, rc;

	if (again)
		rc = retention_journal_withdrawal(r->gw, r->gw->cfg.erasure_journal, w->id,
		    &appended, err, sizeof(err));
	else
		rc = erasure_journal_append_withdrawal(r->gw->cfg.erasure_journal, w->row.id,
		    w->row.family_pseudonym, w->row.withdrawn_us, w->seq, err, sizeof(err));
	if (rc == -1)
		log_errx("%s: consent withdrawal not in the journal; a restored copy would not "
		    "make it again", err);
	return rc != -1;
}

static void
consent_withdraw(struct request *r, struct response *rs)
{
	struct consent_withdrawal	w = { .gw = r->gw, .who = r->who };
	int				rc, journaled;

	w.id = r->params[0];
	w.when_us = store_now_us();
	w.reason = json_string_value(json_object_get(r->body, "reason"));
	rc = writer_submit(r->gw->writer, withdraw_job, &w);
	if (rc == 0) {
		journaled = journal_withdrawal(r, &w, 0);
		if (w.notified > 0)	/* a push agency's notice goes now (delivery.c) */
			delivery_kick(r->gw->delivery);
		log_info("consent %s withdrawn; %d undelivered disclosure(s) stopped", w.row.id,
		    w.stopped);
		resp_json(rs, 200, consent_json(&w.row, "withdrawn"));
		json_object_set_new(rs->json, "ledger", ledger_ref_json(w.seq, w.leaf));
		json_object_set_new(rs->json, "deliveries_stopped", json_integer(w.stopped));
		json_object_set_new(rs->json, "recipients_notified", json_integer(w.notified));
		json_object_set_new(rs->json, "journal", json_string(journaled ? "written" :
		    "failed"));
	} else if (w.outcome == 1)	/* recorded as refused */
		resp_refused(r, rs, 404, "not_found", "There is no consent with that id.", NULL);
	else if (w.outcome == 2) {
		(void)journal_withdrawal(r, &w, 1);
		resp_error(rs, 409, "already_withdrawn", "That consent was already withdrawn.", NULL);
	} else	/* or its signed subject not vouched for (signed_subject) */
		resp_unavailable(r, rs, "The withdrawal could not be recorded. Try again.");
}

/* ---- GET /v1/consents/{id} ---- */

/*
 * A consent as staff read it back (the Location a recording answers with):
 * what the recording and a withdrawal reply with, its status as the
 * subject-access export states it (live, withdrawn, expired, or
 * ended_by_erasure once the family's key is gone) and whether the family's
 * records were erased. Never the evidence nor the family's reason for
 * withdrawing: sealed free text that may name people, which no reply
 * shows (the subject-access export does not either); nor the family's id,
 * which the gateway keeps only as a pseudonym. A read of a family's
 * record like GET /v1/disclosures/{id}: an X-Access-Reason is required,
 * the read limit counts it (ROUTE_FAMILY_READ), and the read is recorded
 * before anything is shown: a consent_reads row (the reason sealed under
 * the family key; none once the key is gone) and its consent.read entry,
 * whose digest is the row's, in one writer job (record_read_job).
 */
static void
consent_get(struct request *r, struct response *rs)
{
	struct record_read	 j;
	struct consent_row	 row;
	struct store_conn	*c;
	const char		*reason, *status;
	int			 rc, key, sig;

	reason = req_header(r, "X-Access-Reason");	/* one with text: http.c */
	if (resp_reason_too_long(r, rs, reason))
		return;
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		resp_error(rs, 503, "store_unavailable", "The store does not answer.", NULL);
		return;
	}
	memset(&row, 0, sizeof(row));
	rc = store_consent_get(c, r->params[0], &row);
	key = rc == 0 ? store_family_key_state(c, row.family_pseudonym) : 0;
	/* Nothing of a row that is not what its ledger entries signed (a
	 * column changed behind the gateway's back): consent_signed.h. */
	sig = rc == 0 && key != -1 ? consent_signed(r->gw->ledger, c, &row, NULL) : 0;
	store_read_end(r->gw->store, c);
	if (rc == 1) {		/* a refused read, recorded (http.h) */
		resp_refused(r, rs, 404, "not_found", "There is no consent with that id.", NULL);
		return;
	}
	if (rc == -1 || key == -1) {
		resp_error(rs, 503, "store_unavailable", "The store does not answer.", NULL);
		return;
	}
	if (sig == -1) {	/* not vouched for: the store, or the ledger's alarm */
		resp_unavailable(r, rs, "The store does not answer.");
		return;
	}
	if (sig == 1) {
		log_errx("consent %s does not match its ledger entries (what they signed): not "
		    "served", row.id);
		resp_refused(r, rs, 409, "record_integrity_failed",
		    "This record no longer matches what the ledger signed, so nothing of it is "
		    "shown; the operators are told.", NULL);
		return;
	}
	if (row.withdrawn_us != 0)
		status = "withdrawn";
	else if (row.expires_us != 0 && row.expires_us < store_now_us())
		status = "expired";
	else if (key == 2)
		status = "ended_by_erasure";	/* nothing can be shared under it */
	else
		status = "live";

	/* Recorded before anything is shown. */
	memset(&j, 0, sizeof(j));
	j.gw = r->gw;
	j.who = r->who;
	j.action = "consent.read";
	j.object_id = row.id;
	j.family_pseudonym = row.family_pseudonym;
	j.reason = reason;
	j.digest = store_consent_read_digest;
	j.insert = store_consent_read_insert;
	store_new_id("crd_", j.id, sizeof(j.id));
	if (writer_submit(r->gw->writer, record_read_job, &j) != 0) {
		resp_error(rs, 503, "store_unavailable",
		    "The read could not be recorded, so nothing is shown. Try again.", NULL);
		return;
	}
	resp_json(rs, 200, consent_json(&row, status));
	if (rs->json == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	json_object_set_new(rs->json, "erased", json_boolean(key == 2));
	json_object_set_new(rs->json, "read", json_pack("{s:s, s:I}", "read_id", j.id,
	    "ledger_seq", (json_int_t)j.seq));
}

const struct route consent_routes[] = {
	{ "POST", "/v1/consents", ROLE_BIT(ROLE_STAFF), "consent", consent_record, 0 },
	{ "GET", "/v1/consents/{id}", ROLE_BIT(ROLE_STAFF), NULL, consent_get,
	    ROUTE_FAMILY_READ | ROUTE_ACCESS_REASON },
	{ "POST", "/v1/consents/{id}/withdraw", ROLE_BIT(ROLE_STAFF), "consent-withdraw",
	    consent_withdraw, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
