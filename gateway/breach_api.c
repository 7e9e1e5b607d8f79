/*
 * breach_api.c: the personal-data breach register (UK GDPR Art 33/34).
 *
 *   POST /v1/breaches			record one (staff, safeguarding lead,
 *					trustees: whoever finds a breach)
 *   POST /v1/breaches/{id}/amendments	correct or complete it (the same)
 *   POST /v1/breaches/{id}/decision	the data-protection trustee decides
 *   POST /v1/breaches/{id}/notices	the people it touched were told (the
 *					same roles as amendments)
 *   GET  /v1/breaches[/{id}]		the register, with the 72-hour deadline,
 *					"overdue" flags and every decision
 *
 * Who records: the policy makes trustees "responsible for dealing with any
 * breach", and a breach is often found by whoever was there (a trustee with
 * lost board papers), so every charity role but the auditor may record and
 * amend; recording decides nothing. The auditor, an outsider who holds no
 * personal data, reads the register without its free text. Only the
 * dp_trustee decides.
 *
 * Nothing is changed in place: a decision or an amendment is a new row
 * (migration 050's triggers refuse UPDATE and DELETE), and the view shown
 * is the original overlaid with its amendments in order (each one showing
 * what it replaced), with the latest decision and the whole history. The
 * deadline runs from the earliest awareness ever recorded, so a correction
 * cannot buy time; a report to the regulator, once made, stands.
 *
 * Free text is sealed under the register's own key (see migration 050 for
 * why, and why that key is never destroyed); the ledger gets each row's
 * digest and codes only. breach.c holds the rules.
 *
 * Nothing is shown or decided on a breach whose rows are not what their
 * ledger entries signed (breach_signed.h): 409 record_integrity_failed,
 * recorded as a refusal, logged by the breach's id; the listing shows the
 * others and names it apart (integrity_failures), so that one altered
 * breach does not hide the register. The triggers stop an UPDATE or a
 * DELETE only for someone who does not drop them.
 */
#include <stdlib.h>
#include <string.h>

#include "breach.h"
#include "breach_signed.h"
#include "decide.h"
#include "gateway.h"
#include "http.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "writer.h"

/* The register's key in family_keys: never a family (not 64 hex digits). */
#define REGISTER_KEY	"register:breaches"
#define LIST_MAX	1000

/* The reply to a breach not as its ledger entries signed. */
#define INTEGRITY_MESSAGE "This breach no longer matches what the ledger signed, so " \
	"nothing of it is shown or decided on; the operators are told."

/* ---- reading the register ---- */

/* The view of one breach under construction. */
struct view {
	struct gateway		*gw;
	struct store_conn	*c;
	int			 full;		/* include the free text */
	int64_t			 now_us;
	json_t			*obj;		/* the breach */
	json_t			*history;
	int64_t			 aware_min;
	int			 decided;
	int			 notify;	/* the latest decision: tell the people */
	int64_t			 notify_since;	/* the first decision that said so */
	int64_t			 reported_us;	/* the first report to the regulator, 0: none */
	int64_t			 decided_us;	/* the first decision, 0: none */
	json_t			*notices;
	int			 failed;
};

static char *
fmt_time(int64_t us, char buf[32])
{
	return store_time_fmt(us, buf);
}

/* Unseals a register text into a JSON object; NULL on failure (logged). */
static json_t *
unseal_text(struct gateway *gw, struct store_conn *c, const unsigned char *ct, size_t ctlen)
{
	char	*pt = NULL;
	size_t	 ptlen = 0;
	json_t	*j;

	if (ct == NULL || vault_unseal(gw->vault, c, REGISTER_KEY, ct, ctlen, &pt, &ptlen) != 0) {
		log_errx("breach register text does not unseal");
		return NULL;
	}
	j = json_loadb(pt, ptlen, 0, NULL);
	wipe_free(pt);
	return j;
}

/* Copies the free-text members of text into obj (full views only). */
static void
merge_text(json_t *obj, json_t *text)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(text, k, v)
		json_object_set(obj, k, v);
}

static int
event_cb(const struct breach_event_row *e, void *arg)
{
	struct view	*vw = arg;
	json_t		*h, *text = NULL, *types;
	char		 t[32];

	if (vw->full && (text = unseal_text(vw->gw, vw->c, e->text_ct, e->text_ctlen)) == NULL) {
		vw->failed = 1;
		return -1;
	}
	h = json_pack("{s:s, s:s, s:s, s:s, s:I}", "event_id", e->id, "kind", e->kind,
	    "at", fmt_time(e->at_us, t), "by", e->actor, "ledger_seq", (json_int_t)e->ledger_seq);
	if (strcmp(e->kind, "decision") == 0) {
		json_t	*d;

		vw->decided = 1;
		if (vw->decided_us == 0)
			vw->decided_us = e->at_us;
		vw->notify = e->notify_individuals == 1;
		if (vw->notify && (vw->notify_since == 0 || e->at_us < vw->notify_since))
			vw->notify_since = e->at_us;
		if (e->report_to_regulator == 1 && e->reported_us != 0 && vw->reported_us == 0)
			vw->reported_us = e->reported_us;
		json_object_set_new(h, "high_risk", json_boolean(e->high_risk == 1));
		json_object_set_new(h, "report_to_regulator", json_boolean(e->report_to_regulator == 1));
		if (e->reported_us != 0)
			json_object_set_new(h, "reported_at", json_string(fmt_time(e->reported_us, t)));
		json_object_set_new(h, "late", json_boolean(e->late == 1));
		json_object_set_new(h, "notify_individuals", json_boolean(e->notify_individuals == 1));
		if (e->art34_exception[0] != '\0')
			json_object_set_new(h, "art34_exception", json_string(e->art34_exception));
		if (text != NULL)
			merge_text(h, text);
		d = json_deep_copy(h);
		json_object_del(d, "kind");
		/*
		 * The headline decision is the latest, but a report to the
		 * regulator, once made, cannot be taken back: the headline
		 * shows the first report whatever came after (decision_job
		 * refuses a later "not reported"; this covers rows from
		 * before it did). The history keeps what each one said.
		 */
		if (vw->reported_us != 0) {
			json_object_set_new(d, "report_to_regulator", json_true());
			json_object_set_new(d, "reported_at",
			    json_string(fmt_time(vw->reported_us, t)));
		}
		json_object_set_new(vw->obj, "decision", d);
	} else {
		/* An amendment: overlay what it corrects, and keep under
		 * "previous" what it replaced (null: nothing was there), so
		 * that no correction hides what the record said before: a
		 * breach cannot be quietly played down before the trustee
		 * decides. The free text, and so its previous values, only
		 * in full views (vw->obj has none otherwise). */
		json_t		*ch = json_object(), *prev, *old, *v;
		const char	*k;

		if (e->occurred_us != 0)
			json_object_set_new(ch, "occurred_at", json_string(fmt_time(e->occurred_us, t)));
		if (e->aware_us != 0) {
			json_object_set_new(ch, "aware_at", json_string(fmt_time(e->aware_us, t)));
			if (e->aware_us < vw->aware_min)
				vw->aware_min = e->aware_us;
		}
		if (e->types[0] != '\0' && (types = json_loads(e->types, 0, NULL)) != NULL)
			json_object_set_new(ch, "type", types);
		if (e->special_category != -1)
			json_object_set_new(ch, "special_category", json_boolean(e->special_category));
		if (e->approx_people != -1)
			json_object_set_new(ch, "approx_people", json_integer(e->approx_people));
		if (e->approx_records != -1)
			json_object_set_new(ch, "approx_records", json_integer(e->approx_records));
		if (text != NULL) {
			json_t *reason = json_object_get(text, "reason");

			if (reason != NULL)
				json_object_set(h, "reason", reason);
			json_object_del(text, "reason");
			merge_text(ch, text);
		}
		prev = json_object();
		json_object_foreach(ch, k, v) {
			old = json_object_get(vw->obj, k);
			json_object_set_new(prev, k, old != NULL ? json_deep_copy(old) : json_null());
		}
		json_object_update(vw->obj, ch);
		json_object_set_new(h, "changes", ch);
		json_object_set_new(h, "previous", prev);
	}
	json_decref(text);
	json_array_append_new(vw->history, h);
	return 0;
}

/* One notice to the people told, as the register shows it: how many
 * families it named (a count: the register keeps them as pseudonyms, and
 * no view shows those), what they were told only in full views. */
static int
notice_cb(const struct breach_notice_row *n, void *arg)
{
	struct view	*vw = arg;
	json_t		*o, *text;
	char		 t1[32], t2[32];

	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "notice_id", n->id,
	    "notified_at", fmt_time(n->notified_us, t1), "method", n->method,
	    "people", (json_int_t)n->people, "families_told", (json_int_t)n->families,
	    "recorded_by", n->actor, "recorded_at", fmt_time(n->at_us, t2),
	    "ledger_seq", (json_int_t)n->ledger_seq);
	if (o == NULL)
		return -1;
	if (vw->full) {
		if ((text = unseal_text(vw->gw, vw->c, n->text_ct, n->text_ctlen)) == NULL) {
			json_decref(o);
			vw->failed = 1;
			return -1;
		}
		merge_text(o, text);
		json_decref(text);
	}
	json_array_append_new(vw->notices, o);
	return 0;
}

/*
 * Sets "late" on one decision object: a report from its reported_at, a
 * decision not to report from the breach's first decision (decided_us),
 * as breach_assessed_us() says, against aware_min.
 */
static void
set_late_one(json_t *d, int64_t aware_min, int64_t decided_us)
{
	const char	*at;
	int64_t		 reported_us = 0;
	int		 report;

	if (d == NULL || !json_is_object(d))
		return;
	report = json_is_true(json_object_get(d, "report_to_regulator"));
	at = json_string_value(json_object_get(d, "reported_at"));
	if (report && (at == NULL || store_time_parse(at, &reported_us) != 0)) {
		json_object_set_new(d, "late", json_false());
		return;
	}
	json_object_set_new(d, "late", json_boolean(breach_report_late(aware_min,
	    breach_assessed_us(report, reported_us, decided_us, decided_us))));
}

/*
 * A decision's "late" is computed here, not taken from its row: an
 * amendment may move the awareness earlier after the decision, and the
 * 72 hours run from the earliest awareness ever recorded.
 */
static void
set_late(json_t *obj, json_t *history, int64_t aware_min, int64_t decided_us)
{
	size_t	 i;
	json_t	*h;

	json_array_foreach(history, i, h)
		if (strcmp(json_string_value(json_object_get(h, "kind")), "decision") == 0)
			set_late_one(h, aware_min, decided_us);
	set_late_one(json_object_get(obj, "decision"), aware_min, decided_us);
}

/* The view of one breach (NULL on failure). c: any connection. */
static json_t *
breach_view(struct gateway *gw, struct store_conn *c, const struct breach_row *b, int full,
    int64_t now_us)
{
	struct view	 vw = { .gw = gw, .c = c, .full = full, .now_us = now_us };
	json_t		*text = NULL, *types;
	char		 t1[32], t2[32], t3[32];
	int64_t		 families = 0;

	if (full && (text = unseal_text(gw, c, b->text_ct, b->text_ctlen)) == NULL)
		return NULL;
	if ((types = json_loads(b->types, 0, NULL)) == NULL)
		types = json_array();
	vw.obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:b, s:I, s:I, s:I, s:n}",
	    "breach_id", b->id, "recorded_at", fmt_time(b->recorded_us, t1),
	    "recorded_by", b->recorded_by,
	    "occurred_at", fmt_time(b->occurred_us, t2), "aware_at", fmt_time(b->aware_us, t3),
	    "type", types, "special_category", b->special_category,
	    "approx_people", (json_int_t)b->approx_people,
	    "approx_records", (json_int_t)b->approx_records,
	    "ledger_seq", (json_int_t)b->ledger_seq, "decision");
	if (text != NULL) {
		merge_text(vw.obj, text);
		json_decref(text);
	}
	vw.history = json_array();
	vw.notices = json_array();
	vw.aware_min = b->aware_us;
	if (store_breach_events_each(c, b->id, event_cb, &vw) != 0 || vw.failed ||
	    store_breach_notices_each(c, b->id, notice_cb, &vw) != 0 || vw.failed ||
	    store_breach_families_told(c, b->id, &families) != 0) {
		json_decref(vw.obj);
		json_decref(vw.history);
		json_decref(vw.notices);
		return NULL;
	}
	/* "late" is the view's: from the earliest awareness now known. */
	set_late(vw.obj, vw.history, vw.aware_min, vw.decided_us);
	json_object_set_new(vw.obj, "deadline",
	    json_string(fmt_time(breach_deadline_us(vw.aware_min), t1)));
	json_object_set_new(vw.obj, "overdue",
	    json_boolean(breach_overdue(vw.aware_min, vw.decided, now_us)));
	/* The people told (Art 34), and whether telling them is overdue. */
	json_object_set_new(vw.obj, "notify_overdue", json_boolean(breach_notify_overdue(
	    vw.notify, vw.notify_since, json_array_size(vw.notices) > 0, now_us)));
	json_object_set_new(vw.obj, "individuals_notified", vw.notices);
	/* The families the notices named, each once (a count only). */
	json_object_set_new(vw.obj, "families_told", json_integer(families));
	json_object_set_new(vw.obj, "history", vw.history);
	return vw.obj;
}

/* ---- ledger helpers ---- */

static int
append(struct gateway *gw, struct store_conn *c, const struct principal *who,
    const char *action, const char *object_id, const char *reason,
    const unsigned char *digest, int64_t *seq)
{
	struct ledger_entry	e = {
		.actor = who->id, .actor_role = role_name(who->role), .action = action,
		.family_pseudonym = NULL, .object_id = object_id, .reason = reason,
		.record_digest = digest };

	return ledger_append(gw->ledger, c, &e, seq, NULL);
}

/* Seals a JSON object under the register key. 0 or -1. */
static int
seal_text(struct gateway *gw, struct store_conn *c, json_t *text, unsigned char **ct,
    size_t *ctlen)
{
	char	*s;
	int	 rc;

	if ((s = json_dumps(text, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return -1;
	rc = vault_seal(gw->vault, c, REGISTER_KEY, s, strlen(s), ct, ctlen);
	wipe_free(s);
	return rc == 0 ? 0 : -1;
}

/* Copies the listed string/array members of body into a new object. */
static json_t *
pick(const json_t *body, const char *const *names)
{
	json_t	*o = json_object(), *v;

	for (; *names != NULL; names++)
		if ((v = json_object_get(body, *names)) != NULL)
			json_object_set(o, *names, v);
	return o;
}

static const char *const breach_text_fields[] = {
	"description", "consequences", "measures", "data_categories", NULL
};

/* Parses an optional date-time member. 0 ok (*us 0 when absent), -1 bad. */
static int
opt_time(const json_t *body, const char *name, int64_t *us)
{
	const char	*s = json_string_value(json_object_get(body, name));

	*us = 0;
	if (s == NULL)
		return 0;
	return store_time_parse(s, us);
}

static void
bad_field(struct response *rs, const char *code, const char *message, const char *path)
{
	resp_error(rs, 400, code, message, json_pack("[{s:s}]", "path", path));
}

/* The sentence for a breach_check_facts() code, at recording or amending. */
static const char *
facts_message(const char *why)
{
	return strcmp(why, "aware_in_future") == 0 ?
	    "Neither awareness nor the breach can be in the future." :
	    "The charity cannot have become aware before the breach happened.";
}

/* Serialises the "type" array (at most three names) into buf. 0 or -1. */
static int
types_text(const json_t *body, char *buf, size_t len)
{
	const json_t	*t = json_object_get(body, "type");
	char		*s;
	int		 ok;

	buf[0] = '\0';
	if (t == NULL)
		return 0;
	if ((s = json_dumps(t, JSON_COMPACT)) == NULL)
		return -1;
	ok = strlen(s) < len;
	if (ok)
		strcpy(buf, s);
	free(s);
	return ok ? 0 : -1;
}

/* ---- POST /v1/breaches ---- */

struct record_job {
	struct gateway		*gw;
	const struct principal	*who;
	struct breach_row	 row;
	json_t			*text;
	json_t			*view;
};

static int
record_job(struct store_conn *c, void *arg)
{
	struct record_job	*j = arg;
	int			 rc = -1;

	if (seal_text(j->gw, c, j->text, &j->row.text_ct, &j->row.text_ctlen) == -1 ||
	    store_breach_digest(&j->row, j->row.record_digest) == -1 ||
	    append(j->gw, c, j->who, "breach.recorded", j->row.id,
	    j->row.special_category ? "special_category" : NULL, j->row.record_digest,
	    &j->row.ledger_seq) == -1 ||
	    store_breach_insert(c, &j->row) == -1)
		goto out;
	if ((j->view = breach_view(j->gw, c, &j->row, 1, j->row.recorded_us)) == NULL)
		goto out;
	rc = 0;
out:
	free(j->row.text_ct);
	j->row.text_ct = NULL;
	return rc;
}

static void
breach_record(struct request *r, struct response *rs)
{
	struct record_job	 j = { .gw = r->gw, .who = r->who };
	const char		*why;
	char			 loc[80];

	j.row.recorded_us = store_now_us();
	if (opt_time(r->body, "occurred_at", &j.row.occurred_us) == -1) {
		bad_field(rs, "invalid_time", "occurred_at is not a date-time.", "/occurred_at");
		return;
	}
	if (opt_time(r->body, "aware_at", &j.row.aware_us) == -1) {
		bad_field(rs, "invalid_time", "aware_at is not a date-time.", "/aware_at");
		return;
	}
	if ((why = breach_check_facts(j.row.occurred_us, j.row.aware_us, j.row.recorded_us)) != NULL) {
		bad_field(rs, why, facts_message(why), "/aware_at");
		return;
	}
	if (types_text(r->body, j.row.types, sizeof(j.row.types)) == -1) {
		bad_field(rs, "invalid_type", "The type list is not valid.", "/type");
		return;
	}
	store_new_id("brc_", j.row.id, sizeof(j.row.id));
	snprintf(j.row.recorded_by, sizeof(j.row.recorded_by), "%s", r->who->id);
	snprintf(j.row.recorded_role, sizeof(j.row.recorded_role), "%s", role_name(r->who->role));
	j.row.special_category = json_is_true(json_object_get(r->body, "special_category"));
	j.row.approx_people = json_integer_value(json_object_get(r->body, "approx_people"));
	j.row.approx_records = json_integer_value(json_object_get(r->body, "approx_records"));
	j.text = pick(r->body, breach_text_fields);
	if (writer_submit(r->gw->writer, record_job, &j) != 0) {
		json_decref(j.text);
		json_decref(j.view);
		/* Or the ledger refused it: its alarm (http.h). */
		resp_unavailable(r, rs,
		    "The breach could not be recorded; nothing was kept. Try again.");
		return;
	}
	json_decref(j.text);
	log_info("breach %s recorded", j.row.id);
	snprintf(loc, sizeof(loc), "/v1/breaches/%s", j.row.id);
	resp_json(rs, 201, j.view);
	json_object_set_new(rs->json, "location", json_string(loc));
}

/* ---- events: decisions and amendments ---- */

/* What the writer job learns of the breach's existing history. */
struct history {
	int64_t	aware_min;
	int64_t	occurred;	/* effective: the latest correction */
	int64_t	reported_us;	/* first report to the regulator, 0: none */
	int64_t	decided_us;	/* the first decision, 0: none */
	int	notify;		/* the latest decision said to tell the people */
};

static int
history_cb(const struct breach_event_row *e, void *arg)
{
	struct history	*h = arg;

	if (strcmp(e->kind, "decision") == 0) {
		if (h->decided_us == 0)
			h->decided_us = e->at_us;
		if (e->report_to_regulator == 1 && h->reported_us == 0)
			h->reported_us = e->reported_us;
		h->notify = e->notify_individuals == 1;
	} else {
		if (e->aware_us != 0 && e->aware_us < h->aware_min)
			h->aware_min = e->aware_us;
		if (e->occurred_us != 0)
			h->occurred = e->occurred_us;
	}
	return 0;
}

static int	read_mode(struct request *, struct response *, const char **);
static int	read_in(struct store_conn *, struct gateway *, const struct principal *,
		    const char *, const char *);
static void	say_free_text(json_t *, const struct principal *, int);

/*
 * An amendment, a decision or a record of the people told answers with the
 * breach as it now stands. Its free text (the original description, every
 * amendment, reasons, summaries) is what the caller did not write: shown,
 * as to any reader, only with an X-Access-Reason, the read recorded in the
 * same transaction as the write (full); without one the reply comes without
 * free text.
 */
struct event_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*reason;	/* X-Access-Reason */
	int			 full;
	const json_t		*body;
	struct breach_event_row	 ev;
	struct breach_decision	 d;
	json_t			*text;
	json_t			*view;
	const char		*refused;	/* rule code */
	const char		*message;
	int			 status;	/* of a refusal; 0: 400 */
	const char		*path[2];	/* of the refused fields, or NULL */
	int			 not_found;
	int			 integrity;	/* not as its ledger entries signed */
};

/* Loads the breach and its history inside the job, the rows only as their
 * ledger entries signed them (breach_signed.h): nothing is decided on a
 * moved awareness or without a decision deleted. 0, 1 not found, 2 not as
 * signed, -1. */
static int
load_breach(struct gateway *gw, struct store_conn *c, const char *id, struct breach_row *b,
    struct history *h)
{
	int	rc;

	if ((rc = store_breach_get(c, id, b)) != 0)
		return rc;
	if ((rc = breach_signed(gw->ledger, c, b)) != 0) {
		free(b->text_ct);
		return rc == 1 ? 2 : -1;
	}
	memset(h, 0, sizeof(*h));
	h->aware_min = b->aware_us;
	h->occurred = b->occurred_us;
	if (store_breach_events_each(c, id, history_cb, h) != 0) {
		free(b->text_ct);
		return -1;
	}
	return 0;
}

/* Seals, digests, records and inserts j->ev, then builds the view. */
static int
finish_event(struct event_job *j, struct store_conn *c, struct breach_row *b,
    const char *action, const char *reason)
{
	int	rc = -1;

	if (seal_text(j->gw, c, j->text, &j->ev.text_ct, &j->ev.text_ctlen) == -1 ||
	    store_breach_event_digest(&j->ev, j->ev.record_digest) == -1 ||
	    append(j->gw, c, j->who, action, j->ev.breach_id, reason, j->ev.record_digest,
	    &j->ev.ledger_seq) == -1 ||
	    store_breach_event_insert(c, &j->ev) == -1 ||
	    (j->full && read_in(c, j->gw, j->who, j->ev.breach_id, j->reason) == -1))
		goto out;
	if ((j->view = breach_view(j->gw, c, b, j->full, j->ev.at_us)) == NULL)
		goto out;
	rc = 0;
out:
	free(j->ev.text_ct);
	j->ev.text_ct = NULL;
	return rc;
}

/* 0, or -1 answered (an X-Access-Reason too long). */
static int
event_init(struct event_job *j, struct request *r, struct response *rs, const char *kind)
{
	memset(j, 0, sizeof(*j));
	if ((j->full = read_mode(r, rs, &j->reason)) == -1)
		return -1;
	j->gw = r->gw;
	j->who = r->who;
	j->body = r->body;
	store_new_id("bev_", j->ev.id, sizeof(j->ev.id));
	snprintf(j->ev.breach_id, sizeof(j->ev.breach_id), "%s", r->params[0]);
	snprintf(j->ev.kind, sizeof(j->ev.kind), "%s", kind);
	snprintf(j->ev.actor, sizeof(j->ev.actor), "%s", r->who->id);
	snprintf(j->ev.actor_role, sizeof(j->ev.actor_role), "%s", role_name(r->who->role));
	j->ev.at_us = store_now_us();
	j->ev.high_risk = j->ev.report_to_regulator = j->ev.late = j->ev.notify_individuals = -1;
	j->ev.special_category = -1;
	j->ev.approx_people = j->ev.approx_records = -1;
	return 0;
}

/* details for a refusal: [{"path":p}, ...] for the paths given, or NULL. */
static json_t *
refusal_paths(const char *const path[2])
{
	json_t	*d;
	int	 i;

	if (path[0] == NULL || (d = json_array()) == NULL)
		return NULL;
	for (i = 0; i < 2 && path[i] != NULL; i++)
		json_array_append_new(d, json_pack("{s:s}", "path", path[i]));
	return d;
}

/*
 * The fields a refused decision must change (DESIGN.md: a 400's details
 * list the field paths), from the rule breach_check_decision() or
 * breach_check_revision() named: each rule is about the fields below.
 * breach_already_reported (409) is the register's state, not a field.
 */
static void
decision_paths(const struct breach_decision *d, const char *code, const char *path[2])
{
	int	n = 0;

	path[0] = path[1] = NULL;
	if (strcmp(code, "reasons_required") == 0) {
		if (!decide_has_text(d->regulator_reason))
			path[n++] = "/regulator_reason";
		if (!decide_has_text(d->individuals_reason))
			path[n++] = "/individuals_reason";
	} else if (strcmp(code, "report_required") == 0)
		path[0] = "/report_to_regulator";
	else if (strcmp(code, "delay_reason_required") == 0)
		path[0] = "/delay_reason";
	else if (strcmp(code, "art34_exception_required") == 0)
		path[0] = "/art34_exception";
}

static void
event_reply(struct event_job *j, struct request *r, struct response *rs, int rc)
{
	if (rc == 0) {
		say_free_text(j->view, j->who, j->full);
		resp_json(rs, 201, j->view);
		j->view = NULL;
	} else if (j->not_found)
		resp_error(rs, 404, "not_found", "There is no breach with that id.", NULL);
	else if (j->integrity)
		resp_refused(r, rs, 409, "record_integrity_failed", INTEGRITY_MESSAGE, NULL);
	else if (j->refused != NULL)
		resp_error(rs, j->status != 0 ? j->status : 400, j->refused, j->message,
		    refusal_paths(j->path));
	else	/* or the breach not vouched for (load_breach) */
		resp_unavailable(r, rs, "Nothing was recorded. Try again.");
	json_decref(j->text);
	json_decref(j->view);
}

static int
decision_job(struct store_conn *c, void *arg)
{
	struct event_job	*j = arg;
	struct breach_row	 b;
	struct history		 h;
	char			 reason[64];
	int			 rc;

	if ((rc = load_breach(j->gw, c, j->ev.breach_id, &b, &h)) != 0) {
		j->not_found = rc == 1;
		j->integrity = rc == 2;
		return -1;
	}
	j->refused = breach_check_decision(&j->d, h.aware_min, h.reported_us, h.decided_us,
	    j->ev.at_us, &j->message);
	if (j->refused == NULL && (j->refused = breach_check_revision(&j->d, h.reported_us,
	    h.notify, &j->message)) != NULL && strcmp(j->refused, "breach_already_reported") == 0)
		j->status = 409;	/* the register's state, not the request, forbids it */
	if (j->refused != NULL) {
		decision_paths(&j->d, j->refused, j->path);
		free(b.text_ct);
		return -1;
	}
	j->ev.high_risk = j->d.high_risk;
	j->ev.report_to_regulator = j->d.report_to_regulator;
	j->ev.notify_individuals = j->d.notify_individuals;
	if (j->d.report_to_regulator)
		j->ev.reported_us = h.reported_us != 0 ? h.reported_us : j->ev.at_us;
	j->ev.late = breach_report_late(h.aware_min, breach_assessed_us(j->d.report_to_regulator,
	    j->ev.reported_us, h.decided_us, j->ev.at_us));
	snprintf(j->ev.art34_exception, sizeof(j->ev.art34_exception), "%s",
	    j->d.art34_exception ? j->d.art34_exception : "");
	snprintf(reason, sizeof(reason), "regulator:%s%s individuals:%s",
	    j->d.report_to_regulator ? "yes" : "no", j->ev.late == 1 ? "(late)" : "",
	    j->d.notify_individuals ? "yes" : "no");
	rc = finish_event(j, c, &b, "breach.decided", reason);
	free(b.text_ct);
	return rc;
}

static void
breach_decide(struct request *r, struct response *rs)
{
	static const char *const text[] = {
		"regulator_reason", "delay_reason", "individuals_reason", NULL
	};
	struct event_job	 j;
	int			 rc;

	if (event_init(&j, r, rs, "decision") == -1)
		return;
	j.d.high_risk = json_is_true(json_object_get(r->body, "high_risk"));
	j.d.report_to_regulator = json_is_true(json_object_get(r->body, "report_to_regulator"));
	j.d.notify_individuals = json_is_true(json_object_get(r->body, "notify_individuals"));
	j.d.regulator_reason = json_string_value(json_object_get(r->body, "regulator_reason"));
	j.d.delay_reason = json_string_value(json_object_get(r->body, "delay_reason"));
	j.d.individuals_reason = json_string_value(json_object_get(r->body, "individuals_reason"));
	j.d.art34_exception = json_string_value(json_object_get(r->body, "art34_exception"));
	j.text = pick(r->body, text);
	rc = writer_submit(r->gw->writer, decision_job, &j);
	if (rc == 0)
		log_info("breach %s decided", j.ev.breach_id);
	event_reply(&j, r, rs, rc);
}

static int
amendment_job(struct store_conn *c, void *arg)
{
	struct event_job	*j = arg;
	struct breach_row	 b;
	struct history		 h;
	int64_t			 occurred;
	int			 rc;

	if ((rc = load_breach(j->gw, c, j->ev.breach_id, &b, &h)) != 0) {
		j->not_found = rc == 1;
		j->integrity = rc == 2;
		return -1;
	}
	if ((j->refused = breach_check_amendment(h.aware_min, j->ev.aware_us, h.decided_us,
	    h.reported_us, json_string_value(json_object_get(j->body, "delay_reason")))) != NULL) {
		j->message = "This earlier awareness makes a decision already made (the "
		    "assessment of the breach, or its report to the regulator) later than 72 "
		    "hours: give the reasons for the delay (delay_reason, UK GDPR Art 33(1)).";
		j->path[0] = "/delay_reason";
		free(b.text_ct);
		return -1;
	}
	/* The occurrence as corrected against the earliest awareness ever
	 * recorded (the one the deadline runs from), not only the latest. */
	occurred = j->ev.occurred_us != 0 ? j->ev.occurred_us : h.occurred;
	if ((j->refused = breach_check_amended_facts(occurred, h.aware_min, j->ev.aware_us,
	    j->ev.at_us)) != NULL) {
		j->message = facts_message(j->refused);
		j->path[0] = j->ev.aware_us != 0 ? "/aware_at" : "/occurred_at";
		free(b.text_ct);
		return -1;
	}
	rc = finish_event(j, c, &b, "breach.amended", NULL);
	free(b.text_ct);
	return rc;
}

static void
breach_amend(struct request *r, struct response *rs)
{
	static const char *const text[] = {
		"reason", "description", "consequences", "measures", "data_categories",
		"delay_reason", NULL
	};
	struct event_job	 j;
	const json_t		*v;
	int			 rc;

	if (event_init(&j, r, rs, "amendment") == -1)
		return;
	if (opt_time(r->body, "occurred_at", &j.ev.occurred_us) == -1) {
		bad_field(rs, "invalid_time", "occurred_at is not a date-time.", "/occurred_at");
		return;
	}
	if (opt_time(r->body, "aware_at", &j.ev.aware_us) == -1) {
		bad_field(rs, "invalid_time", "aware_at is not a date-time.", "/aware_at");
		return;
	}
	if (types_text(r->body, j.ev.types, sizeof(j.ev.types)) == -1) {
		bad_field(rs, "invalid_type", "The type list is not valid.", "/type");
		return;
	}
	if ((v = json_object_get(r->body, "special_category")) != NULL)
		j.ev.special_category = json_is_true(v);
	if ((v = json_object_get(r->body, "approx_people")) != NULL)
		j.ev.approx_people = json_integer_value(v);
	if ((v = json_object_get(r->body, "approx_records")) != NULL)
		j.ev.approx_records = json_integer_value(v);
	j.text = pick(r->body, text);
	rc = writer_submit(r->gw->writer, amendment_job, &j);
	if (rc == 0)
		log_info("breach %s amended", j.ev.breach_id);
	event_reply(&j, r, rs, rc);
}

/* ---- POST /v1/breaches/{id}/notices ---- */

struct notice_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*reason;	/* as struct event_job's */
	int			 full;
	struct breach_notice_row row;
	json_t			*text;
	const json_t		*families;	/* the body's family_ids, or NULL */
	json_t			*view;
	const char		*refused;
	int			 not_found;
	int			 integrity;	/* as struct event_job's */
};

/*
 * The families the notice told, each by pseudonym only (the register keeps
 * no family id): a breach.family_told ledger entry naming the pseudonym,
 * with the notice's digest, and a breach_notice_families row, so that the
 * family's subject-access export lists the notice. 0 or -1.
 */
static int
notice_families(struct notice_job *j, struct store_conn *c)
{
	struct ledger_entry	 e;
	const json_t		*f;
	char			 pseudonym[65];
	int64_t			 seq;
	size_t			 i;

	json_array_foreach(j->families, i, f) {
		vault_pseudonym(j->gw->vault, json_string_value(f), pseudonym);
		e = (struct ledger_entry){ .actor = j->who->id,
		    .actor_role = role_name(j->who->role), .action = "breach.family_told",
		    .family_pseudonym = pseudonym, .object_id = j->row.id,
		    .record_digest = j->row.record_digest };
		if (ledger_append(j->gw->ledger, c, &e, &seq, NULL) == -1 ||
		    store_breach_notice_family_insert(c, j->row.id, pseudonym, seq) == -1)
			return -1;
	}
	return 0;
}

static int
notice_job(struct store_conn *c, void *arg)
{
	struct notice_job	*j = arg;
	struct breach_row	 b;
	struct history		 h;
	char			 reason[64];
	int			 rc = -1;

	if ((rc = load_breach(j->gw, c, j->row.breach_id, &b, &h)) != 0) {
		j->not_found = rc == 1;
		j->integrity = rc == 2;
		return -1;
	}
	rc = -1;
	if ((j->refused = breach_check_notice(h.aware_min, j->row.notified_us,
	    j->row.at_us)) != NULL)
		goto out;
	snprintf(reason, sizeof(reason), "method=%s people=%lld", j->row.method,
	    (long long)j->row.people);
	if (seal_text(j->gw, c, j->text, &j->row.text_ct, &j->row.text_ctlen) == -1 ||
	    store_breach_notice_digest(&j->row, j->row.record_digest) == -1 ||
	    append(j->gw, c, j->who, "breach.individuals_notified", j->row.breach_id, reason,
	    j->row.record_digest, &j->row.ledger_seq) == -1 ||
	    store_breach_notice_insert(c, &j->row) == -1 || notice_families(j, c) == -1 ||
	    (j->full && read_in(c, j->gw, j->who, j->row.breach_id, j->reason) == -1))
		goto out;
	if ((j->view = breach_view(j->gw, c, &b, j->full, j->row.at_us)) == NULL)
		goto out;
	rc = 0;
out:
	free(j->row.text_ct);
	j->row.text_ct = NULL;
	free(b.text_ct);
	return rc;
}

static void
breach_notice(struct request *r, struct response *rs)
{
	static const char *const text[] = { "summary", NULL };
	struct notice_job	 j;
	const char		*method;
	int			 rc;

	memset(&j, 0, sizeof(j));
	if ((j.full = read_mode(r, rs, &j.reason)) == -1)
		return;
	j.gw = r->gw;
	j.who = r->who;
	store_new_id("bno_", j.row.id, sizeof(j.row.id));
	snprintf(j.row.breach_id, sizeof(j.row.breach_id), "%s", r->params[0]);
	snprintf(j.row.actor, sizeof(j.row.actor), "%s", r->who->id);
	snprintf(j.row.actor_role, sizeof(j.row.actor_role), "%s", role_name(r->who->role));
	j.row.at_us = store_now_us();
	if (opt_time(r->body, "notified_at", &j.row.notified_us) != 0 ||
	    j.row.notified_us == 0) {
		bad_field(rs, "invalid_time", "notified_at is not a date-time.", "/notified_at");
		return;
	}
	method = json_string_value(json_object_get(r->body, "method"));
	if (!breach_is_notice_method(method)) {
		bad_field(rs, "invalid_method", "The method is not one the register knows.",
		    "/method");
		return;
	}
	snprintf(j.row.method, sizeof(j.row.method), "%s", method);
	j.row.people = json_integer_value(json_object_get(r->body, "people"));
	j.text = pick(r->body, text);
	j.families = json_object_get(r->body, "family_ids");	/* schema: unique ids */
	rc = writer_submit(r->gw->writer, notice_job, &j);
	if (rc == 0) {
		log_info("breach %s: people told recorded", j.row.breach_id);
		say_free_text(j.view, j.who, j.full);
		resp_json(rs, 201, j.view);
		j.view = NULL;
	} else if (j.not_found)
		resp_error(rs, 404, "not_found", "There is no breach with that id.", NULL);
	else if (j.integrity)
		resp_refused(r, rs, 409, "record_integrity_failed", INTEGRITY_MESSAGE, NULL);
	else if (j.refused != NULL)
		bad_field(rs, j.refused, strcmp(j.refused, "notified_in_future") == 0 ?
		    "notified_at is in the future." :
		    "notified_at is before the charity became aware of the breach.",
		    "/notified_at");
	else	/* or the breach not vouched for (load_breach) */
		resp_unavailable(r, rs, "Nothing was recorded. Try again.");
	json_decref(j.text);
	json_decref(j.view);
}

/* ---- GET ---- */

struct list {
	struct gateway		*gw;
	struct store_conn	*c;
	int			 full;
	int64_t			 now_us;
	json_t			*items;
	json_t			*failures;	/* the breaches not as signed */
	int64_t			 overdue;
	int			 unvouched;	/* breach_signed could not say */
};

/* A breach not as its ledger entries signed (or deleted whole): named in
 * the listing's integrity_failures by its id alone, nothing of its rows,
 * which are not what was signed. 0 or -1. */
static int
list_failure(const char *breach_id, void *arg)
{
	struct list	*l = arg;
	json_t		*f;
	size_t		 i;

	/* A row moved off its entry's seq is both. */
	json_array_foreach(l->failures, i, f)
		if (strcmp(json_string_value(json_object_get(f, "breach_id")), breach_id) == 0)
			return 0;
	return json_array_append_new(l->failures, json_pack("{s:s, s:s}", "breach_id",
	    breach_id, "error", "record_integrity_failed")) == 0 ? 0 : -1;
}

static int
list_cb(const struct breach_row *b, void *arg)
{
	struct list	*l = arg;
	json_t		*v;
	int		 rc;

	if ((rc = breach_signed(l->gw->ledger, l->c, b)) != 0) {
		l->unvouched = rc == -1;
		return rc == 1 ? list_failure(b->id, l) : -1;
	}
	if ((v = breach_view(l->gw, l->c, b, l->full, l->now_us)) == NULL)
		return -1;
	if (json_is_true(json_object_get(v, "overdue")))
		l->overdue++;
	json_array_append_new(l->items, v);
	return 0;
}

struct read_job {
	struct gateway		*gw;
	const struct principal	*who;
	const char		*breach_id;	/* NULL: the list */
	const char		*reason;
};

/* The read and its reason (sealed under the register key), and its ledger
 * entry carrying the row's digest: the record of access. */
static int
read_in(struct store_conn *c, struct gateway *gw, const struct principal *who,
    const char *breach_id, const char *reason)
{
	struct breach_read_row	 r;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	int			 rc = -1;

	memset(&r, 0, sizeof(r));
	store_new_id("brr_", r.id, sizeof(r.id));
	snprintf(r.breach_id, sizeof(r.breach_id), "%s", breach_id ? breach_id : "");
	r.read_us = store_now_us();
	snprintf(r.actor, sizeof(r.actor), "%s", who->id);
	snprintf(r.actor_role, sizeof(r.actor_role), "%s", role_name(who->role));
	if (vault_seal(gw->vault, c, REGISTER_KEY, reason, strlen(reason), &ct,
	    &ctlen) != 0)
		goto out;
	r.reason_ct = ct;
	r.reason_ctlen = ctlen;
	if (store_breach_read_digest(&r, r.record_digest) == -1 ||
	    append(gw, c, who, "breach.register_read", breach_id, NULL,
	    r.record_digest, &r.ledger_seq) == -1 ||
	    store_breach_read_insert(c, &r) == -1)
		goto out;
	rc = 0;
out:
	free(ct);
	return rc;
}

static int
read_job(struct store_conn *c, void *arg)
{
	struct read_job	*j = arg;

	return read_in(c, j->gw, j->who, j->breach_id, j->reason);
}

/*
 * Who sees the free text: not the auditor (who holds no personal data), and
 * anyone else only with a reason (X-Access-Reason), since the text may name
 * the people a breach touched: the read is then recorded with its reason
 * (read_job) before the reply goes out. Without one the register comes
 * without free text, deadlines and flags all there, "free_text": false.
 * Returns 1 full view, 0 without free text, -1 answered (a reason too long).
 */
static int
read_mode(struct request *r, struct response *rs, const char **reason)
{
	*reason = req_header(r, "X-Access-Reason");
	if (resp_reason_too_long(r, rs, *reason))
		return -1;
	return r->who->role != ROLE_AUDITOR && decide_has_text(*reason);
}

/* 0 recorded (or nothing to record), -1 not. */
static int
record_read(struct request *r, int full, const char *breach_id, const char *reason)
{
	struct read_job	j = { .gw = r->gw, .who = r->who, .breach_id = breach_id,
			    .reason = reason };

	if (!full)
		return 0;
	return writer_submit(r->gw->writer, read_job, &j);
}

/* What the reply says about the free text: shown, or how to get it. */
static void
say_free_text(json_t *out, const struct principal *who, int full)
{
	json_object_set_new(out, "free_text", json_boolean(full));
	if (!full && who->role != ROLE_AUDITOR)
		json_object_set_new(out, "free_text_withheld", json_string(
		    "send X-Access-Reason to read what happened, to whom and what was done: "
		    "the read is recorded with its reason"));
}

static void
breach_list(struct request *r, struct response *rs)
{
	struct list	 l = { .gw = r->gw, .now_us = store_now_us() };
	const char	*reason;
	json_t		*out;
	int		 rc;

	if ((l.full = read_mode(r, rs, &reason)) == -1)
		return;
	if ((l.c = store_read_begin(r->gw->store)) == NULL) {
		resp_error(rs, 503, "store_unavailable", "The register cannot be read now.", NULL);
		return;
	}
	l.items = json_array();
	l.failures = json_array();
	/*
	 * Every breach as its ledger entries signed it is shown; one that is
	 * not (breach_signed.h), or one deleted whole (which leaves no row to
	 * check, only its entry), is named apart in integrity_failures, by its
	 * id alone (breach_signed() logged it), so that the register is still
	 * readable with one breach altered. "overdue" counts the breaches
	 * shown; the gauges count the others too.
	 */
	if ((rc = breach_register_whole(r->gw->ledger, l.c, list_failure, &l)) != -1)
		rc = store_breaches_each(l.c, LIST_MAX, list_cb, &l);
	else
		l.unvouched = 1;
	store_read_end(r->gw->store, l.c);
	if (rc != 0 && l.unvouched) {
		json_decref(l.items);
		json_decref(l.failures);
		resp_unavailable(r, rs, "The register cannot be read now.");
		return;
	}
	if (rc != 0 || record_read(r, l.full, NULL, reason) != 0) {
		json_decref(l.items);
		json_decref(l.failures);
		resp_error(rs, 503, "store_unavailable", "The register cannot be read now.", NULL);
		return;
	}
	out = json_pack("{s:o, s:I, s:o}", "breaches", l.items, "overdue", (json_int_t)l.overdue,
	    "integrity_failures", l.failures);
	if (out == NULL) {
		resp_error(rs, 503, "store_unavailable", "The register cannot be read now.", NULL);
		return;
	}
	say_free_text(out, r->who, l.full);
	/* A breach withheld is a refused read, recorded as the 409 of its
	 * own view is (resp_refused): once for the listing. */
	if (json_array_size(json_object_get(out, "integrity_failures")) > 0)
		resp_partly_refused(r, rs, "record_integrity_failed", out);
	else
		resp_json(rs, 200, out);
}

static void
breach_show(struct request *r, struct response *rs)
{
	struct store_conn	*c;
	struct breach_row	 b;
	const char		*reason;
	json_t			*v = NULL;
	int			 rc, sig = 0, full;

	if ((full = read_mode(r, rs, &reason)) == -1)
		return;
	if ((c = store_read_begin(r->gw->store)) == NULL) {
		resp_error(rs, 503, "store_unavailable", "The register cannot be read now.", NULL);
		return;
	}
	rc = store_breach_get(c, r->params[0], &b);
	if (rc == 0) {
		/* Nothing of a breach not as signed (breach_signed.h). */
		if ((sig = breach_signed(r->gw->ledger, c, &b)) == 0)
			v = breach_view(r->gw, c, &b, full, store_now_us());
		free(b.text_ct);
	}
	store_read_end(r->gw->store, c);
	if (rc == 1) {
		resp_error(rs, 404, "not_found", "There is no breach with that id.", NULL);
		return;
	}
	if (sig == 1) {
		resp_refused(r, rs, 409, "record_integrity_failed", INTEGRITY_MESSAGE, NULL);
		return;
	}
	if (sig == -1) {	/* not vouched for: the store, or the ledger's alarm */
		resp_unavailable(r, rs, "The register cannot be read now.");
		return;
	}
	if (v == NULL || record_read(r, full, r->params[0], reason) != 0) {
		json_decref(v);
		resp_error(rs, 503, "store_unavailable", "The register cannot be read now.", NULL);
		return;
	}
	say_free_text(v, r->who, full);
	resp_json(rs, 200, v);
}

/* ---- metrics ---- */

/*
 * The gauges count from the register as its ledger entries signed it, as
 * the listing shows it: each breach checked (breach_signed.h), its flags
 * from its view. A breach not as signed counts, and so does one deleted
 * whole: its clock cannot be trusted, and it needs someone now (the log
 * names it). The register is a few breaches a year: each scrape reads
 * them all (LIST_MAX at most).
 */
struct gauge {
	struct gateway		*gw;
	struct store_conn	*c;
	int64_t			 now_us;
	const char		*flag;	/* "overdue" or "notify_overdue" */
	int64_t			 n;
};

static int
gauge_cb(const struct breach_row *b, void *arg)
{
	struct gauge	*g = arg;
	json_t		*v;
	int		 rc;

	if ((rc = breach_signed(g->gw->ledger, g->c, b)) == -1)
		return -1;
	if (rc == 1) {
		g->n++;
		return 0;
	}
	if ((v = breach_view(g->gw, g->c, b, 0, g->now_us)) == NULL)
		return -1;
	g->n += json_is_true(json_object_get(v, g->flag));
	json_decref(v);
	return 0;
}

static double
gauge_count(struct gateway *gw, const char *flag)
{
	struct gauge	g = { .gw = gw, .now_us = store_now_us(), .flag = flag };
	int		rc;

	if ((g.c = store_read_begin(gw->store)) == NULL)
		return -1;
	if ((rc = breach_register_whole(gw->ledger, g.c, NULL, NULL)) != -1) {
		g.n = rc;
		rc = store_breaches_each(g.c, LIST_MAX, gauge_cb, &g);
	}
	store_read_end(gw->store, g.c);
	return rc == 0 ? (double)g.n : -1;
}

static double
overdue_gauge(void *arg)
{
	return gauge_count(arg, "overdue");
}

static double
notify_overdue_gauge(void *arg)
{
	return gauge_count(arg, "notify_overdue");
}

void
breach_metrics_register(struct gateway *gw)
{
	metrics_gauge(gw->metrics, "gateway_breaches_overdue",
	    "Breaches past the 72-hour deadline with no decision (UK GDPR Art 33).",
	    overdue_gauge, gw);
	metrics_gauge(gw->metrics, "gateway_breaches_notify_overdue",
	    "Breaches whose people are to be told (the latest decision) and are not recorded "
	    "as told 72 hours after that was first decided (UK GDPR Art 34).",
	    notify_overdue_gauge, gw);
}

#define RECORDERS	(ROLE_BIT(ROLE_STAFF) | ROLE_BIT(ROLE_SAFEGUARDING_LEAD) | \
			 ROLE_BIT(ROLE_TRUSTEE) | ROLE_BIT(ROLE_DP_TRUSTEE))

const struct route breach_routes[] = {
	{ "POST", "/v1/breaches", RECORDERS, "breach", breach_record, 0 },
	{ "GET", "/v1/breaches", RECORDERS | ROLE_BIT(ROLE_AUDITOR), NULL, breach_list, 0 },
	{ "GET", "/v1/breaches/{id}", RECORDERS | ROLE_BIT(ROLE_AUDITOR), NULL, breach_show, 0 },
	{ "POST", "/v1/breaches/{id}/decision", ROLE_BIT(ROLE_DP_TRUSTEE), "breach-decision",
	    breach_decide, 0 },
	{ "POST", "/v1/breaches/{id}/amendments", RECORDERS, "breach-amendment", breach_amend, 0 },
	{ "POST", "/v1/breaches/{id}/notices", RECORDERS, "breach-notice", breach_notice, 0 },
	{ NULL, NULL, 0, NULL, NULL, 0 }
};
