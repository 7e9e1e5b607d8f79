/*
 * disclosure_api.c: the disclosure path of DESIGN.md, end to end.
 *
 *   POST /v1/disclosures			staff, safeguarding lead
 *   GET  /v1/disclosures/{id}			staff with X-Access-Reason, the recipient
 *   POST /v1/overrides/{disclosure_id}/lift	safeguarding lead, {reason}
 *   POST /v1/overrides/{disclosure_id}/review	safeguarding lead, {reason, review_by}
 *
 * A family notification is held under a safeguarding override (sharing
 * without consent) or, for a disclosure made on consent, under a
 * notification hold (notification_hold{reason, review_by}, a safeguarding
 * lead's: telling the family would put someone at risk, policy s3.4). Both
 * are held, reviewed, lifted and shown the same way; a hold also gets a
 * "notification.held" ledger entry, since nothing else in its disclosure's
 * entry says the family was not told.
 *
 * A disclosure is one writer job: it reads the family's consents on the
 * write connection (so a withdrawal committed a moment earlier is seen),
 * each only as its signed ledger entries say it is (consent_rows_signed),
 * decides (decide.c, pure), seals what is personal under the family key,
 * appends the ledger entry, stores the decision, and queues or holds the
 * family notification. The reply is built only after that batch is on disk.
 * Refusals take the same job: the rule that refused is kept as well.
 *
 * Only the fields the purpose lists are kept (sealed); withheld values are
 * dropped here and never stored. The free-text reasons are sealed, never
 * logged, and reach the ledger only through the record digest.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consent_signed.h"
#include "decide.h"
#include "disclosure_signed.h"
#include "delivery.h"
#include "fields.h"
#include "gateway.h"
#include "hex.h"
#include "hold_signed.h"
#include "http.h"
#include "idempotency.h"
#include "jsonout.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "notifier.h"
#include "profiles.h"
#include "record_read.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "writer.h"

#define MAX_CONSENTS	64	/* a family's consents for one agency and purpose */
#define MAX_INTERESTS	32	/* schemas/agency-profile.schema.json maxItems */
#define MAX_FIELDS	64	/* schemas/disclosure.schema.json maxProperties */

/* ---- POST /v1/disclosures ---- */

/* What a decision stores sealed or serialised (see seal_all()). */
struct sealed {
	unsigned char	*data_ct, *reason_ct, *oreason_ct, *hreason_ct, *fid_ct;
	size_t		 data_len, reason_len, oreason_len, hreason_len, fid_len;
	char		*requested, *disclosed, *withheld;
};

struct disclose_job {
	struct gateway		*gw;
	const struct principal	*who;
	const struct agency	*agency;	/* NULL: no such profile */
	const char		*family_id;
	char			 pseudonym[65];
	const char		*agency_id;
	const char		*purpose;
	const char		*reason;
	json_t			*data;		/* the request's data object */
	const char		*fields[MAX_FIELDS];
	size_t			 nfields;
	struct decide_override	 ov;
	int			 has_override;
	struct decide_hold	 hold;		/* notification_hold */
	int			 has_hold;
	int64_t			 hold_until_us;	/* end of the override's or the
						   hold's review date */
	struct idem		 idem;		/* an Idempotency-Key, or inactive */
	/* filled by the job */
	char			 id[40];
	int64_t			 now_us;
	struct decision		 d;
	char			 consent_id[40];	/* d.consent_id points here */
	const char		*disclosed[MAX_FIELDS];
	const char		*withheld[MAX_FIELDS];
	int64_t			 seq;
	unsigned char		 leaf[32];
	int			 erased;	/* the family's key was destroyed */
	/* made by the request thread (pre_seal), used if still right */
	int			 have_pre;
	struct decision		 pre_d;
	const char		*pre_disclosed[MAX_FIELDS];
	const char		*pre_withheld[MAX_FIELDS];
	struct vault_key	 pre_key;
	struct sealed		 pre;
};

/* The decision's view of a profile (decide.h explains why it is a view). */
static void
agency_view(const struct agency *a, struct decide_agency *v, struct decide_interest *in)
{
	size_t	i;

	memset(v, 0, sizeof(*v));
	v->id = a->id;
	v->active = a->active;
	v->dsa_signed_us = a->dsa_signed_us;
	v->dsa_expires_us = a->dsa_expires_us;
	v->notice_review_due_us = a->notice_review_due_us;
	v->ninterests = a->ninterests < MAX_INTERESTS ? a->ninterests : MAX_INTERESTS;
	for (i = 0; i < v->ninterests; i++) {
		in[i].purpose = a->interests[i].purpose;
		in[i].lawful_basis = a->interests[i].lawful_basis;
		in[i].override_permitted = a->interests[i].override_permitted;
		in[i].formal_request = a->interests[i].formal_request;
		in[i].special_category_condition = a->interests[i].special_category_condition;
		in[i].fields = a->interests[i].fields;
		in[i].nfields = a->interests[i].nfields;
	}
	v->interests = in;
}

static json_t *
names_json(const char *const *names, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(names[i])) == -1) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/*
 * What a decision stores sealed or serialised: the ciphertexts under the
 * family's key and the field lists as JSON. Making them is most of a
 * decision's CPU, so the request thread makes them before the job is
 * queued (pre_seal), for the fields the purpose lets leave, as if the
 * decision allowed. The writer takes the decision on the store as it is at
 * commit and keeps them only if its decision lists the same fields and the
 * family's key is the same one (not destroyed or replaced meanwhile),
 * dropping the data and family id when it refuses. Otherwise the writer
 * makes them itself: the stored decision is always the writer's.
 */
static void
sealed_free(struct sealed *m)
{
	free(m->data_ct);
	free(m->reason_ct);
	free(m->oreason_ct);
	free(m->hreason_ct);
	free(m->fid_ct);
	free(m->requested);
	free(m->disclosed);
	free(m->withheld);
	memset(m, 0, sizeof(*m));
}

/* The disclosed values only, as compact JSON (malloc'd), or NULL: the
 * members of the request's data named by d, in d's order (jsonout.h: what
 * json_dumps() made of an object of them). */
static char *
disclosed_json(const struct disclose_job *j, const struct decision *d)
{
	struct jsonout	o;
	size_t		i;

	jsonout_init(&o, 0);
	jsonout_sensitive(&o);
	jsonout_object_begin(&o);
	for (i = 0; i < d->ndisclosed; i++) {
		jsonout_key(&o, d->disclosed[i]);
		jsonout_value(&o, json_object_get(j->data, d->disclosed[i]));
	}
	jsonout_object_end(&o);
	return jsonout_finish(&o, NULL);
}

/* Everything decision d stores sealed or serialised, under key k; the
 * data and family id (stored only when allowed) when d allows or when
 * allowed is set. 0 or -1 (m is then empty). */
static int
seal_all(const struct disclose_job *j, const struct decision *d, int allowed,
    const struct vault_key *k, struct sealed *m)
{
	char			*data = NULL;
	const char		*oreason = j->has_override ? j->ov.reason : NULL;
	const char		*hreason = j->has_hold ? j->hold.reason : NULL;
	const char		*fid = allowed ? j->family_id : NULL;
	int			 rc;

	memset(m, 0, sizeof(*m));
	if (allowed && (data = disclosed_json(j, d)) == NULL)
		return -1;
	{
		struct vault_plain v[] = {
			{ j->reason, strlen(j->reason), &m->reason_ct, &m->reason_len },
			{ oreason, oreason ? strlen(oreason) : 0, &m->oreason_ct, &m->oreason_len },
			{ hreason, hreason ? strlen(hreason) : 0, &m->hreason_ct, &m->hreason_len },
			{ data, data ? strlen(data) : 0, &m->data_ct, &m->data_len },
			{ fid, fid ? strlen(fid) : 0, &m->fid_ct, &m->fid_len },
		};
		rc = vault_key_seal_many(k, v, sizeof(v) / sizeof(v[0]));
	}
	wipe_free(data);	/* the disclosed values, whole (wipe.h) */
	if (rc != 0 ||
	    (m->requested = fields_json(j->fields, j->nfields)) == NULL ||
	    (m->disclosed = fields_json(d->disclosed, d->ndisclosed)) == NULL ||
	    (m->withheld = fields_json(d->withheld, d->nwithheld)) == NULL) {
		sealed_free(m);
		return -1;
	}
	return 0;
}

static int
same_names(const char *const *a, size_t na, const char *const *b, size_t nb)
{
	size_t	i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* Do materials made for decision pre (as if allowed) hold what d stores? */
static int
same_materials(const struct decision *pre, const struct decision *d)
{
	return same_names(pre->disclosed, pre->ndisclosed, d->disclosed, d->ndisclosed) &&
	    same_names(pre->withheld, pre->nwithheld, d->withheld, d->nwithheld);
}

/* The materials for the writer's decision j->d: the request thread's when
 * they still fit, made here otherwise. 0, 1 the family's key was
 * destroyed, -1. */
static int
materials(struct disclose_job *j, struct store_conn *c, struct sealed *m)
{
	struct vault_key	k;
	int			rc;

	if ((rc = vault_key_get(j->gw->vault, c, j->pseudonym, 1, &k)) != 0)
		return rc;
	if (j->have_pre && same_materials(&j->pre_d, &j->d) && vault_key_same(&k, &j->pre_key)) {
		*m = j->pre;
		memset(&j->pre, 0, sizeof(j->pre));
		j->have_pre = 0;
		if (!j->d.allowed) {	/* a refusal keeps neither */
			free(m->data_ct);
			free(m->fid_ct);
			m->data_ct = m->fid_ct = NULL;
			m->data_len = m->fid_len = 0;
		}
		rc = 0;
	} else
		rc = seal_all(j, &j->d, j->d.allowed, &k, m);
	vault_key_clear(&k);
	return rc;
}

/* Stores the decision the job made: the row, its ledger entry, the family
 * notification. Any failure returns non-zero and the writer rolls the whole
 * job back: a decision is kept complete or not at all. */
static int
record_decision(struct disclose_job *j, struct store_conn *c)
{
	struct disclosure_row	 row;
	struct ledger_entry	 le;
	struct sealed		 m;
	int			 rc = -1, s;

	memset(&row, 0, sizeof(row));
	if ((s = materials(j, c, &m)) != 0) {
		j->erased = s == 1;
		return -1;
	}
	row.id = j->id;
	row.created_us = j->now_us;
	row.actor = j->who->id;
	row.actor_role = role_name(j->who->role);
	row.agency_id = j->agency_id;
	row.purpose = j->purpose;
	row.family_pseudonym = j->pseudonym;
	row.decision = j->d.allowed ? "allowed" : "refused";
	row.rule = j->d.rule;
	row.article6 = j->d.article6;
	row.article9 = j->d.article9;
	row.requested_fields = m.requested;
	row.disclosed_fields = m.disclosed;
	row.withheld_fields = m.withheld;
	row.data_ct = m.data_ct;
	row.data_ctlen = m.data_len;
	row.reason_ct = m.reason_ct;
	row.reason_ctlen = m.reason_len;
	row.consent_id = j->d.consent_id;
	if (j->has_override) {
		row.override_basis = j->ov.basis;
		row.override_consent_not_sought = j->ov.consent_not_sought;
		row.override_reason_ct = m.oreason_ct;
		row.override_reason_ctlen = m.oreason_len;
		row.review_by_us = j->hold_until_us;
	}
	if (j->has_hold) {
		row.hold_reason_ct = m.hreason_ct;
		row.hold_reason_ctlen = m.hreason_len;
		row.review_by_us = j->hold_until_us;
	}
	if (store_disclosure_digest(&row, row.record_digest) == -1)
		goto out;

	memset(&le, 0, sizeof(le));
	le.actor = row.actor;
	le.actor_role = row.actor_role;
	le.action = j->d.allowed ? "disclosure.allowed" : "disclosure.refused";
	le.family_pseudonym = j->pseudonym;
	le.object_id = j->id;
	le.reason = j->d.rule;
	le.record_digest = row.record_digest;
	if (ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf) == -1)
		goto out;
	row.ledger_seq = j->seq;
	memcpy(row.leaf_hash, j->leaf, 32);

	if (store_disclosure_insert(c, &row) == -1)
		goto out;
	/*
	 * Further records of the same decision go here, inside this job, so
	 * they commit (or roll back) with it.
	 */
	if (j->d.allowed) {
		if (store_notification_insert(c, j->id, j->pseudonym, m.fid_ct, m.fid_len,
		    notify_name(j->d.notify), j->now_us,
		    j->d.notify == NOTIFY_HELD ? j->hold_until_us : 0) == -1)
			goto out;
		/* A notification hold: the disclosure's own entry says only
		 * "allowed" (an override's row is known by its basis), so the
		 * ledger says here that the family was not told. No personal
		 * data: the reason is sealed in the row this digest covers. */
		if (j->has_hold && j->d.notify == NOTIFY_HELD) {
			memset(&le, 0, sizeof(le));
			le.actor = row.actor;
			le.actor_role = row.actor_role;
			le.action = "notification.held";
			le.family_pseudonym = j->pseudonym;
			le.object_id = j->id;
			le.reason = "notification_hold";
			le.record_digest = row.record_digest;
			if (ledger_append(j->gw->ledger, c, &le, NULL, NULL) == -1)
				goto out;
		}
		/* The delivery (push outbox or pull inbox), durable with the
		 * disclosure: delivered at least once, whatever happens next.
		 * The family is told before the agency receives it wherever
		 * that is possible (the policy): with a notifier running, a
		 * delivery whose notification is queued waits for it (sent,
		 * or given up on); one held under a safeguarding override or
		 * a notification hold does not wait, nor does any when no
		 * notifier runs. Push or pull as the profiles in force
		 * now say, not j->agency (read before the commit; a reload
		 * may have switched the agency's mode since). */
		if (delivery_enqueue(c, j->id, atomic_load(&j->gw->profiles), j->agency_id,
		    j->pseudonym, j->now_us,
		    j->d.notify == NOTIFY_QUEUED && notifier_running(j->gw->notifier)) == -1)
			goto out;
	}
	rc = 0;
out:
	sealed_free(&m);
	return rc;
}

/* The decision on consents read from c (NULL: as if there were none) at
 * now_us, into d (whose field arrays are disclosed and withheld). -1 if
 * the consents cannot be read. */
static int
take_decision(struct disclose_job *j, struct store_conn *c, int64_t now_us,
    const char **disclosed, const char **withheld, struct decision *d)
{
	struct consent_row	 rows[MAX_CONSENTS];
	struct decide_consent	 consents[MAX_CONSENTS];
	struct decide_interest	 interests[MAX_INTERESTS];
	struct decide_agency	 view;
	struct decide_request	 req;
	int			 n, i;

	n = c == NULL ? 0 :
	    store_consents_for(c, j->pseudonym, j->agency_id, j->purpose, rows, MAX_CONSENTS);
	/* Only what the ledger signed decides (consent_signed.h): a consent
	 * row edited or written in behind the gateway's back is none. */
	if (n > 0)
		n = consent_rows_signed(j->gw->ledger, c, rows, n);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		consents[i].id = rows[i].id;
		consents[i].agency_id = rows[i].agency_id;
		consents[i].purpose = rows[i].purpose;
		consents[i].granted_us = rows[i].granted_us;
		consents[i].expires_us = rows[i].expires_us;
		consents[i].withdrawn_us = rows[i].withdrawn_us;
	}
	if (j->agency != NULL)
		agency_view(j->agency, &view, interests);
	memset(&req, 0, sizeof(req));
	req.agency_id = j->agency_id;
	req.purpose = j->purpose;
	req.fields = j->fields;
	req.nfields = j->nfields;
	req.override = j->has_override ? &j->ov : NULL;
	req.hold = j->has_hold ? &j->hold : NULL;
	req.max_hold_days = j->gw->cfg.max_hold_days;
	(void)decide(j->who, j->agency != NULL ? &view : NULL, consents, (size_t)n, &req,
	    field_special, field_special_len, now_us, disclosed, withheld, d);
	/* The consent's id outlives the rows read here. */
	if (d->consent_id != NULL) {
		snprintf(j->consent_id, sizeof(j->consent_id), "%s", d->consent_id);
		d->consent_id = j->consent_id;
	}
	return 0;
}

static void	disclosure_reply(struct disclose_job *, struct response *);

/*
 * The decision, recorded. With an Idempotency-Key, looked up first (a
 * repeat records nothing and is answered with the first reply) and kept
 * with the reply in this job: an allowed disclosure's 201 or a refusal's
 * 403, both recorded in the ledger. Either reply holds ids, catalogue
 * field names, rule codes and their fixed messages, lawful basis codes,
 * dates and the ledger's seq and leaf hash: never the family's id, the
 * data, the reason or anything else the caller typed.
 */
static int
disclose_job(struct store_conn *c, void *arg)
{
	struct disclose_job	*j = arg;
	struct response		 rs;
	int			 rc;

	if (j->idem.active && (rc = idem_check(&j->idem, c)) != IDEM_NEW)
		return rc == -1 ? -1 : 0;
	j->now_us = store_now_us();
	if (take_decision(j, c, j->now_us, j->disclosed, j->withheld, &j->d) == -1)
		return -1;
	if ((rc = record_decision(j, c)) != 0)
		return rc;
	/* Written once the batch commits, with the batch's other lines (one
	 * write(2), not one a disclosure), before the reply; never if the job
	 * or its batch is undone (writer.h). A refusal logs its rule only:
	 * its agency id and purpose are as typed. */
	if (j->d.allowed)
		writer_log_info("disclosure %s allowed rule=%s agency=%s purpose=%s", j->id,
		    j->d.rule, j->agency != NULL ? j->agency_id : "unregistered",
		    agency_interest(j->agency, j->purpose) != NULL ? j->purpose : "unregistered");
	else
		writer_log_info("disclosure %s refused rule=%s", j->id, j->d.rule);
	if (!j->idem.active)
		return 0;
	memset(&rs, 0, sizeof(rs));
	disclosure_reply(j, &rs);
	return idem_keep(&j->idem, c, &rs);
}

/* Request thread, before the job is queued: the materials for the decision
 * as it stands without looking at consents (decide() lists the fields even
 * when it refuses for want of one), made as if it allowed, since the
 * writer, which reads the consents, usually will. Nothing is made for a
 * family without a key yet (the writer creates it) or when anything fails:
 * the writer then does it all. */
static void
pre_seal(struct disclose_job *j)
{
	struct store_conn	*c;
	int			 rc;

	/*
	 * A read connection only when the key is not cached. Safe with the
	 * key cache's tickets (vault.c): a hit is what vault_key_get() would
	 * have returned without touching the connection, and only a miss's
	 * store read may fill the cache; that read still takes its ticket
	 * before its statement runs on a connection outside a transaction,
	 * so its snapshot starts after the ticket wherever the connection was
	 * taken. (And the key here is only a guess: the writer keeps these
	 * materials only if it loads the same key, vault_key_same().)
	 */
	if (!vault_key_cached(j->gw->vault, j->pseudonym, &j->pre_key)) {
		if ((c = store_read_begin(j->gw->store)) == NULL)
			return;
		rc = vault_key_get(j->gw->vault, c, j->pseudonym, 0, &j->pre_key);
		store_read_end(j->gw->store, c);
		if (rc != 0)
			return;
	}
	if (take_decision(j, NULL, store_now_us(), j->pre_disclosed, j->pre_withheld,
	    &j->pre_d) == 0 && j->pre_d.interest != NULL &&
	    seal_all(j, &j->pre_d, 1, &j->pre_key, &j->pre) == 0)
		j->have_pre = 1;
}

static void
disclose_job_free(struct disclose_job *j)
{
	idem_free(&j->idem);
	sealed_free(&j->pre);
	vault_key_clear(&j->pre_key);
	free(j);
}

static void
disclose_job_drop(void *arg)
{
	disclose_job_free(arg);
}

static json_t *
lawful_basis_json(const char *art6, const char *art9)
{
	return json_pack("{s:s, s:s*}", "article6", art6, "article9", art9);
}

/* The review_by of an override or a notification hold, o's. It is a date
 * (schema): decide() gets its first instant, 00:00 UTC, so the date must be
 * tomorrow or later; the hold is overdue once the whole day has passed
 * (hold_until). *review_by_us stays 0 when missing or unparseable (decide
 * refuses: override_incomplete). */
static void
read_review_by(json_t *o, int64_t *review_by_us, int64_t *hold_until)
{
	const char	*rb = json_string_value(json_object_get(o, "review_by"));

	*hold_until = 0;
	if (rb == NULL || store_time_parse(rb, review_by_us) == -1)
		*review_by_us = 0;
	else
		*hold_until = *review_by_us + (strlen(rb) == 10 ? 86400LL * 1000000 - 1 : 0);
}

/* Reads the override object: strings borrowed from the body. */
static void
read_override(json_t *o, struct decide_override *ov, int64_t *hold_until)
{
	memset(ov, 0, sizeof(*ov));
	ov->basis = json_string_value(json_object_get(o, "basis"));
	ov->consent_not_sought = json_string_value(json_object_get(o, "consent_not_sought"));
	ov->reason = json_string_value(json_object_get(o, "reason"));
	read_review_by(o, &ov->review_by_us, hold_until);
}

/* Reads the notification_hold object: its reason and review date. */
static void
read_hold(json_t *o, struct decide_hold *h, int64_t *hold_until)
{
	memset(h, 0, sizeof(*h));
	h->reason = json_string_value(json_object_get(o, "reason"));
	read_review_by(o, &h->review_by_us, hold_until);
}

/* The 201 reply to an allowed disclosure (malloc'd, *len its length), or
 * NULL. Written directly (jsonout.h: the text json_dumps() would make of the
 * same object, keys in this order) rather than packed and dumped: it is
 * made for every disclosure. */
static char *
created_json(const struct disclose_job *j, size_t *len)
{
	struct jsonout	o;
	char		at[32], h[65];

	jsonout_init(&o, 1);
	jsonout_object_begin(&o);
	jsonout_key(&o, "disclosure_id");
	jsonout_string(&o, j->id);
	jsonout_key(&o, "disclosed_fields");
	jsonout_strings(&o, j->d.disclosed, j->d.ndisclosed);
	jsonout_key(&o, "withheld_fields");
	jsonout_strings(&o, j->d.withheld, j->d.nwithheld);
	jsonout_key(&o, "notification");
	jsonout_string(&o, notify_name(j->d.notify));
	if (j->d.consent_id != NULL) {
		jsonout_key(&o, "consent_id");
		jsonout_string(&o, j->d.consent_id);
	}
	jsonout_key(&o, "lawful_basis");
	jsonout_object_begin(&o);
	jsonout_key(&o, "article6");
	jsonout_string(&o, j->d.article6);
	if (j->d.article9 != NULL) {
		jsonout_key(&o, "article9");
		jsonout_string(&o, j->d.article9);
	}
	jsonout_object_end(&o);
	jsonout_key(&o, "ledger");
	jsonout_object_begin(&o);
	jsonout_key(&o, "seq");
	jsonout_integer(&o, j->seq);
	hex_encode(j->leaf, 32, h);
	jsonout_key(&o, "leaf_hash");
	jsonout_string(&o, h);
	jsonout_object_end(&o);
	jsonout_key(&o, "created_at");
	jsonout_string(&o, store_time_fmt(j->now_us, at));
	if (j->d.notify == NOTIFY_HELD) {
		jsonout_key(&o, "review_by");
		jsonout_stringn(&o, store_time_fmt(j->d.review_by_us, at), 10);
	}
	jsonout_object_end(&o);
	return jsonout_finish(&o, len);
}

/* The reply to the decision j recorded: 201 or the refusal's 403. No
 * side effect: made in the job too, when it is kept with a key. */
static void
disclosure_reply(struct disclose_job *j, struct response *rs)
{
	json_t	*details;
	char	 at[32], *body;
	size_t	 len;

	if (!j->d.allowed) {
		details = json_pack("{s:s, s:o}", "disclosure_id", j->id,
		    "ledger", ledger_ref_json(j->seq, j->leaf));
		if (details != NULL && j->d.interest != NULL)
			json_object_set_new(details, "withheld_fields",
			    names_json(j->d.withheld, j->d.nwithheld));
		if (details != NULL && j->agency == NULL)	/* a typo, not a deactivation */
			json_object_set_new(details, "agency_known", json_false());
		if (details != NULL && j->d.field != NULL)
			json_object_set_new(details, "field", json_string(j->d.field));
		if (details != NULL && (j->has_override || j->has_hold) &&
		    strcmp(j->d.rule, "override_incomplete") == 0 &&
		    decide_review_date(j->has_override ? j->ov.review_by_us :
		    j->hold.review_by_us, j->now_us,
		    j->gw->cfg.max_hold_days) == REVIEW_DATE_TOO_FAR) {
			json_object_set_new(details, "max_hold_days",
			    json_integer(j->gw->cfg.max_hold_days));
			json_object_set_new(details, "latest_review_by", json_stringn(store_time_fmt(
			    decide_review_date_latest(j->now_us, j->gw->cfg.max_hold_days), at), 10));
		}
		resp_error(rs, 403, j->d.rule, j->d.message, details);
		return;
	}
	if ((body = created_json(j, &len)) == NULL)
		resp_error(rs, 500, "internal", "Internal error.", NULL);
	else
		resp_text(rs, 201, "application/json", body, len);
}

/* After the batch holding the decision is durable (rc 0) or not: the
 * reply. The job is freed by disclose_job_drop(). */
static void
disclosure_created(void *arg, int rc, struct response *rs)
{
	struct disclose_job	*j = arg;

	if (rc != 0) {
		if (j->erased)
			resp_error(rs, 409, "family_erased",
			    "This family's records were erased; nothing can be disclosed.", NULL);
		else if (ledger_alarmed(j->gw->ledger))
			/* No consent vouched for (consent_rows_signed), and
			 * no entry can be written while the alarm holds. */
			resp_ledger_alarm(rs);
		else
			resp_error(rs, 503, "store_unavailable",
			    "The disclosure could not be recorded; nothing was shared. Try again.", NULL);
		return;
	}
	/* A repeated key: the first reply, or 409; nothing was decided. */
	if (j->idem.active && idem_reply(&j->idem, j->gw, j->who, rs) != IDEM_NEW)
		return;
	metrics_decision(j->gw->metrics, j->d.rule);	/* its log line: disclose_job() */
	if (!j->idem.active)
		disclosure_reply(j, rs);	/* else idem_reply() sent the kept one */
	if (!j->d.allowed)
		return;
	if (j->d.notify == NOTIFY_QUEUED)
		notifier_kick(j->gw->notifier);
	if (j->agency->delivery == DELIVERY_PUSH)
		delivery_kick(j->gw->delivery);
}

static void
disclosure_create(struct request *r, struct response *rs)
{
	struct disclose_job	*j;
	json_t			*o;
	const char		*k;
	json_t			*v;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	j->gw = r->gw;
	j->who = r->who;
	if (idem_begin(r, rs, "POST /v1/disclosures", &j->idem) == -1) {
		disclose_job_free(j);
		return;
	}
	j->family_id = json_string_value(json_object_get(r->body, "family_id"));
	j->agency_id = json_string_value(json_object_get(r->body, "agency_id"));
	j->purpose = json_string_value(json_object_get(r->body, "purpose"));
	j->reason = json_string_value(json_object_get(r->body, "reason"));
	j->data = json_object_get(r->body, "data");
	if (j->family_id == NULL || j->agency_id == NULL || j->purpose == NULL ||
	    j->reason == NULL || !json_is_object(j->data) ||
	    json_object_size(j->data) > MAX_FIELDS) {
		/* The schema promises all of this; refuse rather than trust. */
		resp_error(rs, 400, "schema_invalid", "The request does not match the schema.",
		    json_pack("[{s:s}]", "path", ""));
		disclose_job_free(j);
		return;
	}
	if (!decide_has_text(j->reason)) {
		resp_blank_text(rs, "/reason");
		disclose_job_free(j);
		return;
	}
	json_object_foreach(j->data, k, v)
		j->fields[j->nfields++] = k;
	if ((o = json_object_get(r->body, "override")) != NULL &&
	    json_object_get(r->body, "notification_hold") != NULL) {
		/* Not a decision to record: the request asks for two things
		 * of which one already does the other. */
		resp_error(rs, 400, "schema_invalid",
		    "notification_hold cannot be given with an override: a safeguarding override "
		    "already holds the family notification. Give the override alone.",
		    json_pack("[{s:s, s:s, s:s}]", "path", "/notification_hold", "keyword", "not",
		    "message", "must not be given together with override"));
		disclose_job_free(j);
		return;
	}
	if (o != NULL) {
		j->has_override = 1;
		read_override(o, &j->ov, &j->hold_until_us);
	} else if ((o = json_object_get(r->body, "notification_hold")) != NULL) {
		j->has_hold = 1;
		read_hold(o, &j->hold, &j->hold_until_us);
	}
	j->agency = profiles_find(r->gw->profiles, j->agency_id);
	vault_pseudonym(r->gw->vault, j->family_id, j->pseudonym);
	store_new_id("dsc_", j->id, sizeof(j->id));
	pre_seal(j);
	/* The reply waits for the commit with the connection suspended, not
	 * a thread: disclosure_created() makes it. */
	resp_defer(rs, disclose_job, j, disclosure_created, disclose_job_drop);
}

/* ---- GET /v1/disclosures/{id} ---- */

/* Opens a sealed blob as JSON (decode_json) or a string. NULL when erased
 * or on error; *erased says which. */
static json_t *
open_sealed(struct gateway *gw, struct store_conn *c, const char *pseudonym,
    const unsigned char *ct, size_t ctlen, int decode_json, int *erased)
{
	json_t	*v = NULL;
	char	*pt = NULL;
	size_t	 len = 0;
	int	 rc;

	if (ct == NULL)
		return NULL;
	rc = vault_unseal(gw->vault, c, pseudonym, ct, ctlen, &pt, &len);
	if (rc == 1)
		*erased = 1;
	if (rc != 0)
		return NULL;
	v = decode_json ? json_loadb(pt, len, 0, NULL) : json_stringn(pt, len);
	wipe_free(pt);
	return v;
}

static json_t *
fields_value(const char *text)
{
	json_t	*v = text != NULL ? json_loads(text, 0, NULL) : NULL;

	return v != NULL ? v : json_array();
}

/*
 * The record as the recipient agency sees it: what it was given and why,
 * and the family notice's state alone (held: the family was deliberately
 * not told, so the agency must not tell them either; the body it was
 * pushed or served says so too, but a read after the ack must not lose
 * it). Never the hold's reason, review date or who lifted it.
 */
static json_t *
agency_view_json(struct store_conn *c, const struct disclosure_row *d, json_t *data)
{
	struct notification_row	 n;
	json_t			*o;
	char			 at[32];
	int			 rc;

	o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
	    "disclosure_id", d->id, "created_at", store_time_fmt(d->created_us, at),
	    "agency_id", d->agency_id, "purpose", d->purpose,
	    "lawful_basis", lawful_basis_json(d->article6, d->article9),
	    "disclosed_fields", fields_value(d->disclosed_fields),
	    "data", data != NULL ? data : json_null());
	if (o == NULL)
		return NULL;
	if ((rc = store_notification_get(c, d->id, &n)) == -1 ||
	    (rc == 0 && json_object_set_new(o, "notification",
	    json_pack("{s:s}", "state", n.state)) == -1)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

struct events_arg {
	struct gateway			*gw;
	struct store_conn		*c;
	const struct disclosure_row	*d;	/* checked: disclosure_signed() */
	json_t				*list;
	int				 differs;	/* an event: 1 not as signed, -1 unknown */
	int				 failed;	/* out of memory */
};

/* One lift or review of the hold, reason opened, as staff see it: only as
 * its ledger entry signed it (hold_event_signed: another of the family's
 * sealed values moved into its reason_ct would open as the reason). */
static int
event_json(const struct override_event_row *ev, void *arg)
{
	struct events_arg	*a = arg;
	json_t			*x, *reason;
	char			 t1[32], t2[32], t3[32];
	int			 erased = 0, rc;

	if ((rc = hold_event_signed(a->gw->ledger, a->c, a->d, ev)) != 0) {
		a->differs = rc;
		return -1;
	}
	reason = open_sealed(a->gw, a->c, a->d->family_pseudonym, ev->reason_ct, ev->reason_ctlen,
	    0, &erased);
	x = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:s*, s:I}",
	    "event_id", ev->id, "kind", ev->kind, "at", store_time_fmt(ev->at_us, t1),
	    "by", ev->actor, "reason", reason != NULL ? reason : json_null(),
	    "previous_review_by", store_time_fmt(ev->previous_review_by_us, t2),
	    "review_by", ev->review_by_us != 0 ? store_time_fmt(ev->review_by_us, t3) : NULL,
	    "ledger_seq", (json_int_t)ev->ledger_seq);
	if (x == NULL || json_array_append_new(a->list, x) == -1) {
		a->failed = 1;
		return -1;
	}
	return 0;
}

/* The record as staff see it, or NULL: *differs 1 when a lift or review of
 * its hold is not as signed, -1 when that could not be told (try again). */
static json_t *
staff_view_json(struct gateway *gw, struct store_conn *c, const struct disclosure_row *d,
    json_t *data, int erased, int64_t now_us, int *differs)
{
	struct notification_row	 n;
	json_t			*o, *x;
	char			 at[32], digest[65], leaf[65];
	int			 e2 = 0, rc;

	hex_encode(d->record_digest, 32, digest);
	hex_encode(d->leaf_hash, 32, leaf);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o,"
	    " s:o, s:b, s:{s:I, s:s, s:s}}",
	    "disclosure_id", d->id, "created_at", store_time_fmt(d->created_us, at),
	    "actor", d->actor, "actor_role", d->actor_role,
	    "agency_id", d->agency_id, "purpose", d->purpose,
	    "decision", d->decision, "rule", d->rule,
	    "lawful_basis", d->article6 != NULL ?
		lawful_basis_json(d->article6, d->article9) : json_null(),
	    "requested_fields", fields_value(d->requested_fields),
	    "disclosed_fields", fields_value(d->disclosed_fields),
	    "withheld_fields", fields_value(d->withheld_fields),
	    "data", data != NULL ? data : json_null(),
	    "reason", (x = open_sealed(gw, c, d->family_pseudonym, d->reason_ct,
		d->reason_ctlen, 0, &e2)) != NULL ? x : json_null(),
	    "erased", erased || e2,
	    "ledger", "seq", (json_int_t)d->ledger_seq, "leaf_hash", leaf,
	    "record_digest", digest);
	if (o == NULL)
		return NULL;
	if (d->consent_id != NULL)
		json_object_set_new(o, "consent_id", json_string(d->consent_id));
	if (hold_made_held(d)) {
		struct events_arg ea = { gw, c, d, json_array(), 0, 0 };

		x = d->override_basis != NULL ?
		    open_sealed(gw, c, d->family_pseudonym, d->override_reason_ct,
		    d->override_reason_ctlen, 0, &e2) :
		    open_sealed(gw, c, d->family_pseudonym, d->hold_reason_ct,
		    d->hold_reason_ctlen, 0, &e2);
		/* The lifts and reviews since, each with its reason (the
		 * walk stops, answering 0, at the first event_json refuses). */
		if (ea.list == NULL ||
		    store_override_events(c, d->id, event_json, &ea) == -1 ||
		    ea.differs != 0 || ea.failed) {
			*differs = ea.differs;
			json_decref(ea.list);
			json_decref(x);
			json_decref(o);
			return NULL;
		}
		if (d->override_basis != NULL)
			json_object_set_new(o, "override", json_pack("{s:s, s:s*, s:o, s:s, s:o}",
			    "basis", d->override_basis,
			    "consent_not_sought", d->override_consent_not_sought,
			    "reason", x != NULL ? x : json_null(),
			    "review_by", store_time_fmt(d->review_by_us, at),
			    "events", ea.list));
		else	/* on consent, the family not told: staff only */
			json_object_set_new(o, "notification_hold", json_pack("{s:o, s:s, s:o}",
			    "reason", x != NULL ? x : json_null(),
			    "review_by", store_time_fmt(d->review_by_us, at),
			    "events", ea.list));
	}
	rc = store_notification_get(c, d->id, &n);
	if (rc == 0) {
		x = json_pack("{s:s, s:b}", "state", n.state,
		    "overdue", strcmp(n.state, "held") == 0 && n.review_by_us < now_us);
		if (x != NULL && n.review_by_us != 0)
			json_object_set_new(x, "review_by",
			    json_string(store_time_fmt(n.review_by_us, at)));
		if (x != NULL && n.lifted_us != 0) {
			json_object_set_new(x, "lifted_at",
			    json_string(store_time_fmt(n.lifted_us, at)));
			json_object_set_new(x, "lifted_by", json_string(n.lifted_by));
		}
		if (x != NULL && n.sent_us != 0)
			json_object_set_new(x, "sent_at", json_string(store_time_fmt(n.sent_us, at)));
		json_object_set_new(o, "notification", x);
	} else if (rc == -1) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A read refused, and recorded as refused (resp_refused): the reply
 * and the entry are the same whether or not the disclosure exists. */
static void
read_not_found(struct request *r, struct response *rs)
{
	resp_refused(r, rs, 404, "not_found", "There is no such resource.", NULL);
}

static void
disclosure_get(struct request *r, struct response *rs)
{
	struct record_read	 j;
	struct disclosure_row	*d = NULL;
	struct store_conn	*c;
	json_t			*data = NULL, *out = NULL;
	const char		*reason;
	int			 staff, erased = 0, rc, differs = 0;

	staff = r->who->role == ROLE_STAFF || r->who->role == ROLE_SAFEGUARDING_LEAD;
	if (!staff && r->who->role != ROLE_AGENCY) {
		/* Existence is not revealed to anyone else; the attempt is
		 * on the record of access. */
		read_not_found(r, rs);
		return;
	}
	/* Staff's has text (http.c refused and recorded a read without). */
	reason = req_header(r, "X-Access-Reason");
	if (resp_reason_too_long(r, rs, reason))
		return;
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		resp_error(rs, 503, "store_unavailable", "The store does not answer.", NULL);
		return;
	}
	rc = store_disclosure_get(c, r->params[0], &d);
	if (rc == 1 || (rc == 0 && !staff &&
	    (r->who->agency == NULL || strcmp(d->agency_id, r->who->agency->id) != 0 ||
	    strcmp(d->decision, "allowed") != 0))) {
		store_read_end(r->gw->store, c);
		store_disclosure_free(d);
		read_not_found(r, rs);
		return;
	}
	if (rc == -1) {
		store_read_end(r->gw->store, c);
		resp_error(rs, 503, "store_unavailable", "The store does not answer.", NULL);
		return;
	}
	/* Nothing of a row that is not what its ledger entry signed (a value
	 * moved from another of the family's rows, a column changed behind the
	 * gateway's back): disclosure_signed.h. First: the consent check below
	 * reads the row's family, agency and purpose. */
	if ((rc = disclosure_signed(r->gw->ledger, c, d)) != 0) {
		store_read_end(r->gw->store, c);
		store_disclosure_free(d);
		if (rc == 1)	/* the refused read recorded, as a 404 is */
			resp_refused(r, rs, 409, "record_integrity_failed",
			    "This record no longer matches what the ledger signed, so nothing "
			    "of it is shown; the operators are told.", NULL);
		else
			resp_unavailable(r, rs, "The store does not answer.");
		return;
	}
	/* What a consent withdrawal or expiry stopped before the agency
	 * acknowledged it is not the agency's to read here either
	 * (consent_api.c, delivery.c), nor what no live consent covers any
	 * more though the sweep has not stopped it yet, nor what still waits
	 * for the family to be told first, nor what waited for it until the
	 * family's records were erased (stopped, still marked as never
	 * released: store_delivery_stop_awaiting_notice). */
	if (!staff) {
		struct delivery_row	dl;
		int			drc = store_delivery_get(c, d->id, &dl);

		if (drc == 0 && !store_delivery_stopped_by_consent(dl.state, dl.dead_reason) &&
		    strcmp(dl.state, "delivered") != 0) {
			int	lrc = delivery_consent_lapsed(r->gw->ledger, c, d->id,
				    store_now_us());

			drc = lrc == -1 ? -1 : lrc == 1 ? 3 : 0;
		}
		if (drc == -1 || drc == 3 ||
		    (drc == 0 && store_delivery_stopped_by_consent(dl.state, dl.dead_reason)) ||
		    (drc == 0 && strcmp(dl.state, "delivered") != 0 &&
		    dl.next_attempt_us == DELIVERY_AWAITS_NOTICE)) {
			store_read_end(r->gw->store, c);
			store_disclosure_free(d);
			if (drc == -1)
				resp_unavailable(r, rs, "The store does not answer.");
			else
				read_not_found(r, rs);
			return;
		}
	}
	/* Outside the agency's registered interest as its profile stands now
	 * (a purpose or field dropped since): not the agency's to read, as a
	 * stopped one is not (delivery.h), delivered or not: the read gives
	 * out the charity's copy again, a sharing the interest no longer
	 * covers (README, "An agency whose registered interest narrowed"). */
	if (!staff) {
		const char	*lapsed;
		int		 lrc = delivery_interest_lapsed(r->gw, d, &lapsed);

		if (lrc != 0) {
			store_read_end(r->gw->store, c);
			store_disclosure_free(d);
			if (lrc == -1)
				resp_error(rs, 500, "internal", "Internal error.", NULL);
			else
				read_not_found(r, rs);
			return;
		}
	}
	data = open_sealed(r->gw, c, d->family_pseudonym, d->data_ct, d->data_ctlen, 1, &erased);
	if (d->data_ct != NULL && data == NULL && !erased) {
		store_read_end(r->gw->store, c);
		store_disclosure_free(d);
		log_errx("disclosure %s: sealed data does not open", r->params[0]);
		resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}
	out = staff ? staff_view_json(r->gw, c, d, data, erased, store_now_us(), &differs) :
	    agency_view_json(c, d, data);
	store_read_end(r->gw->store, c);
	if (out == NULL) {
		store_disclosure_free(d);
		if (differs == 1)	/* a lift or review not as signed: as the row */
			resp_refused(r, rs, 409, "record_integrity_failed",
			    "This record no longer matches what the ledger signed, so nothing "
			    "of it is shown; the operators are told.", NULL);
		else if (differs == -1)
			resp_unavailable(r, rs, "The store does not answer.");
		else
			resp_error(rs, 500, "internal", "Internal error.", NULL);
		return;
	}

	/* Recorded before anything is shown. */
	memset(&j, 0, sizeof(j));
	j.gw = r->gw;
	j.who = r->who;
	j.action = "record.read";
	j.entry_reason = "disclosure";
	j.object_id = d->id;
	j.family_pseudonym = d->family_pseudonym;
	j.reason = decide_has_text(reason) ? reason : "recipient agency";
	j.digest = store_disclosure_read_digest;
	j.insert = store_disclosure_read_insert;
	store_new_id("rd_", j.id, sizeof(j.id));
	if (writer_submit(r->gw->writer, record_read_job, &j) != 0) {
		json_decref(out);
		store_disclosure_free(d);
		resp_error(rs, 503, "store_unavailable",
		    "The read could not be recorded, so nothing is shown. Try again.", NULL);
		return;
	}
	json_object_set_new(out, "read", json_pack("{s:s, s:I}", "read_id", j.id,
	    "ledger_seq", (json_int_t)j.seq));
	store_disclosure_free(d);
	resp_json(rs, 200, out);
}

/* ---- POST /v1/overrides/{disclosure_id}/lift and .../review ---- */

/*
 * Both act on a held family notification, by a safeguarding lead, with a
 * written reason: a lift releases it (queued, then sent by the notifier), a
 * review keeps the hold and moves its review date (at most --max-hold-days
 * UTC days ahead, as when the override was given). Each is one writer job:
 * the reason sealed under the family key, the override_events row, and a
 * ledger entry carrying the row's digest (reason code "..._after_review_date"
 * when the hold was overdue): override.lifted / override.reviewed for an
 * override's hold, notification.lifted / notification.reviewed for a
 * notification hold on a disclosure made with consent, so that the ledger
 * never shows an override where there was none. Which of the two, and the
 * family, come from the disclosure as signed, not from its row or the
 * notification row (neither's columns are signed): rows that are not as
 * the ledger signed them (the disclosure's, or a notification row held
 * where the signed records say it never was or was lifted already) are
 * refused 409 record_integrity_failed, recorded as refused.
 */
enum hold_outcome {
	HOLD_DONE = 0,
	HOLD_NO_NOTIFICATION = 1,	/* store_notification_lift/_review codes */
	HOLD_NOT_HELD = 2,
	HOLD_ERASED,
	HOLD_BAD_DATE,
	HOLD_INTEGRITY,			/* the rows are not as the ledger signed */
	HOLD_STORE
};

struct hold_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*id;
	const char		*reason;
	int			 review;	/* 0 lift, 1 review */
	int64_t			 review_by_us;	/* review: first instant of the date */
	/* filled by the job */
	char			 event_id[40];
	int64_t			 now_us;
	enum hold_outcome	 outcome;
	enum review_date	 rd;
	int64_t			 previous_review_by_us;
	int64_t			 seq;
	unsigned char		 leaf[32];
};

static int
hold_job(struct store_conn *c, void *arg)
{
	struct hold_job			*j = arg;
	struct notification_row		 n;
	struct override_event_row	 ev;
	struct ledger_entry		 le;
	struct disclosure_row		*d;
	unsigned char			*ct = NULL;
	size_t				 ctlen = 0;
	int64_t				 until = 0;
	int				 rc, overdue, override;

	j->outcome = HOLD_STORE;
	j->now_us = store_now_us();
	if ((rc = store_notification_get(c, j->id, &n)) != 0) {
		if (rc == 1)
			j->outcome = HOLD_NO_NOTIFICATION;
		return -1;
	}
	if (strcmp(n.state, "held") != 0) {
		j->outcome = HOLD_NOT_HELD;
		return -1;
	}
	/* Held by an override, or by a notification hold (consent): which
	 * (the ledger action written) and whose, as the disclosure's signed
	 * record says, never its row's unsigned columns (disclosure_signed.h).
	 * The notification row must agree with the signed records: held at
	 * the disclosure's making (hold_made_held), the same family, and not
	 * yet released by a signed lift (hold_released_signed). */
	if ((rc = store_disclosure_get(c, j->id, &d)) != 0) {
		if (rc == 1)	/* a notification with no disclosure */
			j->outcome = HOLD_INTEGRITY;
		return -1;
	}
	if ((rc = disclosure_signed(j->gw->ledger, c, d)) == 0 &&
	    (!hold_made_held(d) || strcmp(n.family_pseudonym, d->family_pseudonym) != 0))
		rc = 1;
	if (rc == 0 && (rc = hold_released_signed(j->gw->ledger, c, d->family_pseudonym, j->id,
	    0)) == 2)
		rc = -1;	/* a lift not yet in the tree: try again */
	override = d->override_basis != NULL;
	store_disclosure_free(d);
	if (rc != 0) {
		if (rc == 1)
			j->outcome = HOLD_INTEGRITY;
		return -1;
	}
	if (j->review) {
		j->rd = decide_review_date(j->review_by_us, j->now_us, j->gw->cfg.max_hold_days);
		if (j->rd != REVIEW_DATE_OK) {
			j->outcome = HOLD_BAD_DATE;
			return -1;
		}
		/* Overdue once the whole review day has passed, as at the start. */
		until = j->review_by_us + 86400LL * 1000000 - 1;
	}
	overdue = n.review_by_us < j->now_us;
	j->previous_review_by_us = n.review_by_us;
	if ((rc = vault_seal_str(j->gw->vault, c, n.family_pseudonym, j->reason, &ct, &ctlen)) != 0) {
		if (rc == 1)
			j->outcome = HOLD_ERASED;
		return -1;
	}
	rc = j->review ? store_notification_review(c, j->id, until) :
	    store_notification_lift(c, j->id, j->now_us, j->who->id);
	if (rc != 0) {
		if (rc == 1 || rc == 2)
			j->outcome = (enum hold_outcome)rc;
		goto fail;
	}

	memset(&ev, 0, sizeof(ev));
	ev.id = j->event_id;
	ev.disclosure_id = j->id;
	ev.family_pseudonym = n.family_pseudonym;
	ev.kind = j->review ? "reviewed" : "lifted";
	ev.actor = j->who->id;
	ev.actor_role = role_name(j->who->role);
	ev.at_us = j->now_us;
	ev.reason_ct = ct;
	ev.reason_ctlen = ctlen;
	ev.previous_review_by_us = n.review_by_us;
	ev.review_by_us = until;
	if (store_override_event_digest(&ev, ev.record_digest) == -1)
		goto fail;
	memset(&le, 0, sizeof(le));
	le.actor = ev.actor;
	le.actor_role = ev.actor_role;
	le.action = hold_event_action(override, ev.kind);
	le.family_pseudonym = n.family_pseudonym;
	le.object_id = j->id;
	le.reason = j->review ? (overdue ? "reviewed_after_review_date" : "reviewed") :
	    (overdue ? "lifted_after_review_date" : "lifted");
	le.record_digest = ev.record_digest;
	if (ledger_append(j->gw->ledger, c, &le, &j->seq, j->leaf) == -1)
		goto fail;
	ev.ledger_seq = j->seq;
	if (store_override_event_insert(c, &ev) == -1)
		goto fail;
	free(ct);
	j->outcome = HOLD_DONE;
	return 0;
fail:
	free(ct);
	return -1;
}

/* Runs a lift or review from its (schema-valid) body; the reply. */
static void
hold_change(struct request *r, struct response *rs, int review)
{
	struct hold_job	 j;
	const char	*rb;
	char		 at[32], at2[32], at3[32];
	json_t		*o;

	memset(&j, 0, sizeof(j));
	j.gw = r->gw;
	j.who = r->who;
	j.id = r->params[0];
	j.review = review;
	j.reason = json_string_value(json_object_get(r->body, "reason"));
	if (!decide_has_text(j.reason)) {
		resp_blank_text(rs, "/reason");
		return;
	}
	if (review) {
		rb = json_string_value(json_object_get(r->body, "review_by"));
		if (rb == NULL || store_time_parse(rb, &j.review_by_us) == -1) {
			/* The schema promises a date; refuse rather than trust. */
			resp_error(rs, 400, "schema_invalid", "The request does not match the schema.",
			    json_pack("[{s:s}]", "path", "/review_by"));
			return;
		}
	}
	store_new_id("ovr_", j.event_id, sizeof(j.event_id));
	if (writer_submit(r->gw->writer, hold_job, &j) != 0) {
		switch (j.outcome) {
		case HOLD_NO_NOTIFICATION:	/* recorded as refused */
			resp_refused(r, rs, 404, "not_found",
			    "There is no notification for that disclosure.", NULL);
			break;
		case HOLD_NOT_HELD:
			resp_error(rs, 409, "not_held",
			    "That disclosure's notification is not held.", NULL);
			break;
		case HOLD_INTEGRITY:	/* recorded as refused */
			log_errx("hold on disclosure %s: its rows are not as the ledger signed "
			    "them; not %s", j.id, review ? "reviewed" : "lifted");
			resp_refused(r, rs, 409, "record_integrity_failed",
			    "This record no longer matches what the ledger signed, so the hold "
			    "is not changed; the operators are told.", NULL);
			break;
		case HOLD_ERASED:
			resp_error(rs, 409, "family_erased",
			    "This family's records were erased.", NULL);
			break;
		case HOLD_BAD_DATE:
			o = json_pack("{s:s}", "field", "/review_by");
			if (o != NULL && j.rd == REVIEW_DATE_TOO_FAR) {
				json_object_set_new(o, "max_hold_days",
				    json_integer(r->gw->cfg.max_hold_days));
				json_object_set_new(o, "latest_review_by", json_stringn(store_time_fmt(
				    decide_review_date_latest(j.now_us, r->gw->cfg.max_hold_days),
				    at), 10));
			}
			resp_error(rs, 403, "override_incomplete", decide_review_date_message(j.rd), o);
			break;
		case HOLD_DONE:
		case HOLD_STORE:	/* or its signed records not vouched for */
			resp_unavailable(r, rs, "The hold could not be changed. Try again.");
			break;
		}
		return;
	}
	log_info("override on disclosure %s %s", j.id, review ? "reviewed" : "lifted");
	if (!review) {
		notifier_kick(r->gw->notifier);
		resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:s, s:o}", "disclosure_id", j.id,
		    "notification", "queued", "lifted_at", store_time_fmt(j.now_us, at),
		    "event_id", j.event_id, "ledger", ledger_ref_json(j.seq, j.leaf)));
		return;
	}
	/* Each time in its own buffer: all are formatted before json_pack runs. */
	resp_json(rs, 200, json_pack("{s:s, s:s, s:s%, s:s%, s:s, s:s, s:o}",
	    "disclosure_id", j.id, "notification", "held",
	    "review_by", store_time_fmt(j.review_by_us, at), (size_t)10,
	    "previous_review_by", store_time_fmt(j.previous_review_by_us, at2), (size_t)10,
	    "reviewed_at", store_time_fmt(j.now_us, at3),
	    "event_id", j.event_id, "ledger", ledger_ref_json(j.seq, j.leaf)));
}

static void
override_lift(struct request *r, struct response *rs)
{
	hold_change(r, rs, 0);
}

static void
override_review(struct request *r, struct response *rs)
{
	hold_change(r, rs, 1);
}

const struct route disclosure_routes[] = {
	{ "POST", "/v1/disclosures",
	    ROLE_BIT(ROLE_STAFF) | ROLE_BIT(ROLE_SAFEGUARDING_LEAD), "disclosure",
	    disclosure_create, ROUTE_INLINE },	/* defers its reply: resp_defer */
	/* Everyone may ask, the charity's people with a reason (http.c refuses,
	 * and records, a read without); whoever may not read gets 404 from the
	 * handler, recorded as refused too (resp_refused). */
	{ "GET", "/v1/disclosures/{id}", ROLES_ANY, NULL, disclosure_get,
	    ROUTE_FAMILY_READ | ROUTE_ACCESS_REASON },
	{ "POST", "/v1/overrides/{disclosure_id}/lift", ROLE_BIT(ROLE_SAFEGUARDING_LEAD),
	    "override-lift", override_lift, 0 },
	{ "POST", "/v1/overrides/{disclosure_id}/review", ROLE_BIT(ROLE_SAFEGUARDING_LEAD),
	    "override-review", override_review, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
