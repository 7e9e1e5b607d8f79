/*
 * store_disclosures.c: the SQL of disclosures, their family notifications,
 * the record of reads (migration 010_disclosures.sql) and the lifts and
 * reviews of safeguarding holds (011_override_events.sql). Rows carry
 * pseudonyms, rule codes, field names and sealed blobs only; sealing and
 * unsealing is the caller's business (vault.h), so nothing here ever holds
 * a personal value in the clear.
 *
 * Writes are called from writer jobs on the write connection; reads take
 * any connection. Functions return 0 on success, 1 for "no such row" where
 * that can happen, -1 on error (logged without personal data).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "log.h"
#include "store.h"

/* ---- the record digest (store_digest.c: each column length-prefixed) ---- */

int
store_disclosure_digest(const struct disclosure_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("disclosure/v1");

	store_digest_str(d, r->id);
	store_digest_int(d, r->created_us);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_str(d, r->agency_id);
	store_digest_str(d, r->purpose);
	store_digest_str(d, r->family_pseudonym);
	store_digest_str(d, r->decision);
	store_digest_str(d, r->rule);
	store_digest_str(d, r->article6);
	store_digest_str(d, r->article9);
	store_digest_str(d, r->requested_fields);
	store_digest_str(d, r->disclosed_fields);
	store_digest_str(d, r->withheld_fields);
	store_digest_blob(d, r->data_ct, r->data_ctlen);
	store_digest_blob(d, r->reason_ct, r->reason_ctlen);
	store_digest_str(d, r->override_basis);
	store_digest_str(d, r->override_consent_not_sought);
	store_digest_blob(d, r->override_reason_ct, r->override_reason_ctlen);
	store_digest_int(d, r->review_by_us);
	/* consent_id and hold_reason_ct have no presence mark: a row with
	 * only one of them digests as one with those bytes in the other. The
	 * reader tells them apart by their forms (disclosure_columns_in_form,
	 * checked by disclosure_signed before this digest is compared). */
	if (r->consent_id != NULL)
		store_digest_str(d, r->consent_id);
	if (r->hold_reason_ct != NULL)
		store_digest_blob(d, r->hold_reason_ct, r->hold_reason_ctlen);
	return store_digest_end(d, out);
}

/* A read recorded once the family's key was gone has no sealed reason:
 * the column is NOT NULL, so it holds (and the digest covers) an empty one. */
static struct record_read_row
disclosure_read_of(const struct record_read_row *r)
{
	struct record_read_row	v = *r;

	if (v.reason_ct == NULL) {
		v.reason_ct = (const unsigned char *)"";
		v.reason_ctlen = 0;
	}
	return v;
}

int
store_disclosure_read_digest(const struct record_read_row *r, unsigned char out[32])
{
	struct record_read_row	v = disclosure_read_of(r);

	return store_record_read_digest("disclosure-read/v1", &v, out);
}

/* ---- disclosures ---- */

static const char SQL_DISCLOSURE_INSERT[] =
    "INSERT INTO disclosures (id, created_us, actor, actor_role, agency_id, purpose,"
    " family_pseudonym, decision, rule, article6, article9, requested_fields,"
    " disclosed_fields, withheld_fields, data_ct, reason_ct, override_basis,"
    " override_consent_not_sought, override_reason_ct, review_by_us, record_digest,"
    " ledger_seq, leaf_hash, consent_id, hold_reason_ct)"
    " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,"
    "?24,?25)";

int
store_disclosure_insert(struct store_conn *c, const struct disclosure_row *r)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, SQL_DISCLOSURE_INSERT)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, r->id) || sqlite3_bind_int64(st, 2, r->created_us) ||
	    store_bind_opt_text(st, 3, r->actor) || store_bind_opt_text(st, 4, r->actor_role) ||
	    store_bind_opt_text(st, 5, r->agency_id) || store_bind_opt_text(st, 6, r->purpose) ||
	    store_bind_opt_text(st, 7, r->family_pseudonym) || store_bind_opt_text(st, 8, r->decision) ||
	    store_bind_opt_text(st, 9, r->rule) || store_bind_opt_text(st, 10, r->article6) ||
	    store_bind_opt_text(st, 11, r->article9) || store_bind_opt_text(st, 12, r->requested_fields) ||
	    store_bind_opt_text(st, 13, r->disclosed_fields) || store_bind_opt_text(st, 14, r->withheld_fields) ||
	    store_bind_opt_blob(st, 15, r->data_ct, r->data_ctlen) ||
	    store_bind_opt_blob(st, 16, r->reason_ct, r->reason_ctlen) ||
	    store_bind_opt_text(st, 17, r->override_basis) ||
	    store_bind_opt_text(st, 18, r->override_consent_not_sought) ||
	    store_bind_opt_blob(st, 19, r->override_reason_ct, r->override_reason_ctlen) ||
	    store_bind_opt_int(st, 20, r->review_by_us, 0) ||
	    sqlite3_bind_blob(st, 21, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 22, r->ledger_seq) ||
	    sqlite3_bind_blob(st, 23, r->leaf_hash, 32, SQLITE_STATIC) ||
	    store_bind_opt_text(st, 24, r->consent_id) ||
	    store_bind_opt_blob(st, 25, r->hold_reason_ct, r->hold_reason_ctlen))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert disclosure");
}

static const char SQL_DISCLOSURE_GET[] =
    "SELECT id, created_us, actor, actor_role, agency_id, purpose, family_pseudonym,"
    " decision, rule, article6, article9, requested_fields, disclosed_fields,"
    " withheld_fields, data_ct, reason_ct, override_basis, override_consent_not_sought,"
    " override_reason_ct, review_by_us, record_digest, ledger_seq, leaf_hash, consent_id,"
    " hold_reason_ct FROM disclosures WHERE id = ?1";

/* Column indexes of SQL_DISCLOSURE_GET that are copied into the arena. */
enum { DC_ID, DC_CREATED, DC_ACTOR, DC_ROLE, DC_AGENCY, DC_PURPOSE, DC_PSEUDONYM,
	DC_DECISION, DC_RULE, DC_ART6, DC_ART9, DC_REQUESTED, DC_DISCLOSED,
	DC_WITHHELD, DC_DATA, DC_REASON, DC_OBASIS, DC_ONOTSOUGHT, DC_OREASON,
	DC_REVIEW, DC_DIGEST, DC_SEQ, DC_LEAF, DC_CONSENT, DC_HREASON, DC__COUNT };

/* Copies column i into the arena at *p; NULL for SQL NULL. */
static const void *
arena_col(sqlite3_stmt *st, int i, char **p, size_t *len)
{
	const void	*src;
	void		*dst;
	size_t		 n;

	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		if (len != NULL)
			*len = 0;
		return NULL;
	}
	src = sqlite3_column_blob(st, i);
	n = (size_t)sqlite3_column_bytes(st, i);
	dst = *p;
	if (n > 0)
		memcpy(dst, src, n);
	(*p)[n] = '\0';
	*p += n + 1;
	if (len != NULL)
		*len = n;
	return dst;
}

int
store_disclosure_get(struct store_conn *c, const char *id, struct disclosure_row **out)
{
	sqlite3_stmt		*st;
	struct disclosure_row	*r;
	char			*p;
	size_t			 total = 0, n;
	int			 rc, i;

	*out = NULL;
	if ((st = store_stmt(c, SQL_DISCLOSURE_GET)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, id) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		log_errx("get disclosure: %s", sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	for (i = 0; i < DC__COUNT; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_BLOB ||
		    sqlite3_column_type(st, i) == SQLITE_TEXT) {
			(void)sqlite3_column_blob(st, i);
			total += (size_t)sqlite3_column_bytes(st, i) + 1;
		}
	}
	if ((r = calloc(1, sizeof(*r) + total + 1)) == NULL) {
		sqlite3_reset(st);
		return -1;
	}
	p = (char *)(r + 1);
	r->id = arena_col(st, DC_ID, &p, NULL);
	r->created_us = sqlite3_column_int64(st, DC_CREATED);
	r->actor = arena_col(st, DC_ACTOR, &p, NULL);
	r->actor_role = arena_col(st, DC_ROLE, &p, NULL);
	r->agency_id = arena_col(st, DC_AGENCY, &p, NULL);
	r->purpose = arena_col(st, DC_PURPOSE, &p, NULL);
	r->family_pseudonym = arena_col(st, DC_PSEUDONYM, &p, NULL);
	r->decision = arena_col(st, DC_DECISION, &p, NULL);
	r->rule = arena_col(st, DC_RULE, &p, NULL);
	r->article6 = arena_col(st, DC_ART6, &p, NULL);
	r->article9 = arena_col(st, DC_ART9, &p, NULL);
	r->requested_fields = arena_col(st, DC_REQUESTED, &p, NULL);
	r->disclosed_fields = arena_col(st, DC_DISCLOSED, &p, NULL);
	r->withheld_fields = arena_col(st, DC_WITHHELD, &p, NULL);
	r->data_ct = arena_col(st, DC_DATA, &p, &r->data_ctlen);
	r->reason_ct = arena_col(st, DC_REASON, &p, &r->reason_ctlen);
	r->override_basis = arena_col(st, DC_OBASIS, &p, NULL);
	r->override_consent_not_sought = arena_col(st, DC_ONOTSOUGHT, &p, NULL);
	r->override_reason_ct = arena_col(st, DC_OREASON, &p, &r->override_reason_ctlen);
	r->review_by_us = sqlite3_column_int64(st, DC_REVIEW);
	n = (size_t)sqlite3_column_bytes(st, DC_DIGEST);
	if (n == 32)
		memcpy(r->record_digest, sqlite3_column_blob(st, DC_DIGEST), 32);
	r->ledger_seq = sqlite3_column_int64(st, DC_SEQ);
	n = (size_t)sqlite3_column_bytes(st, DC_LEAF);
	if (n == 32)
		memcpy(r->leaf_hash, sqlite3_column_blob(st, DC_LEAF), 32);
	r->consent_id = arena_col(st, DC_CONSENT, &p, NULL);
	r->hold_reason_ct = arena_col(st, DC_HREASON, &p, &r->hold_reason_ctlen);
	sqlite3_reset(st);
	*out = r;
	return 0;
}

void
store_disclosure_free(struct disclosure_row *r)
{
	free(r);
}

/* ---- reads of a disclosure ---- */

static const char SQL_READ_INSERT[] =
    "INSERT INTO disclosure_reads (id, disclosure_id, family_pseudonym, actor, actor_role,"
    " read_us, reason_ct, record_digest, ledger_seq) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";

int
store_disclosure_read_insert(struct store_conn *c, const struct record_read_row *r)
{
	struct record_read_row	v = disclosure_read_of(r);

	return store_record_read_insert(c, SQL_READ_INSERT, "insert disclosure read", &v);
}

/* ---- notifications ---- */

static const char SQL_NOTIFICATION_INSERT[] =
    "INSERT INTO notifications (disclosure_id, family_pseudonym, family_id_ct, state,"
    " created_us, review_by_us) VALUES (?1,?2,?3,?4,?5,?6)";

int
store_notification_insert(struct store_conn *c, const char *disclosure_id,
    const char *pseudonym, const unsigned char *family_id_ct, size_t ctlen,
    const char *state, int64_t created_us, int64_t review_by_us)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, SQL_NOTIFICATION_INSERT)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) || store_bind_opt_text(st, 2, pseudonym) ||
	    store_bind_opt_blob(st, 3, family_id_ct, ctlen) || store_bind_opt_text(st, 4, state) ||
	    sqlite3_bind_int64(st, 5, created_us) || store_bind_opt_int(st, 6, review_by_us, 0))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert notification");
}

static const char SQL_NOTIFICATION_GET[] =
    "SELECT state, review_by_us, lifted_us, lifted_by, attempts, sent_us, family_pseudonym"
    " FROM notifications WHERE disclosure_id = ?1";

int
store_notification_get(struct store_conn *c, const char *disclosure_id,
    struct notification_row *n)
{
	sqlite3_stmt	*st;
	const char	*s;
	int		 rc;

	memset(n, 0, sizeof(*n));
	if ((st = store_stmt(c, SQL_NOTIFICATION_GET)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		log_errx("get notification: %s", sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	if ((s = (const char *)sqlite3_column_text(st, 0)) != NULL)
		snprintf(n->state, sizeof(n->state), "%s", s);
	n->review_by_us = sqlite3_column_int64(st, 1);
	n->lifted_us = sqlite3_column_int64(st, 2);
	if ((s = (const char *)sqlite3_column_text(st, 3)) != NULL)
		snprintf(n->lifted_by, sizeof(n->lifted_by), "%s", s);
	n->attempts = sqlite3_column_int(st, 4);
	n->sent_us = sqlite3_column_int64(st, 5);
	if ((s = (const char *)sqlite3_column_text(st, 6)) != NULL)
		snprintf(n->family_pseudonym, sizeof(n->family_pseudonym), "%s", s);
	sqlite3_reset(st);
	return 0;
}

static const char SQL_NOTIFICATION_LIFT[] =
    "UPDATE notifications SET state = 'queued', lifted_us = ?2, lifted_by = ?3,"
    " next_attempt_us = 0 WHERE disclosure_id = ?1 AND state = 'held'";

int
store_notification_lift(struct store_conn *c, const char *disclosure_id, int64_t when_us,
    const char *by)
{
	struct notification_row	 n;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_notification_get(c, disclosure_id, &n)) != 0)
		return rc;
	if (strcmp(n.state, "held") != 0)
		return 2;
	if ((st = store_stmt(c, SQL_NOTIFICATION_LIFT)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) || sqlite3_bind_int64(st, 2, when_us) ||
	    store_bind_opt_text(st, 3, by))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "lift notification") == -1)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 2;
}

static const char SQL_NOTIFICATION_REVIEW[] =
    "UPDATE notifications SET review_by_us = ?2 WHERE disclosure_id = ?1 AND state = 'held'";

int
store_notification_review(struct store_conn *c, const char *disclosure_id,
    int64_t review_by_us)
{
	struct notification_row	 n;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_notification_get(c, disclosure_id, &n)) != 0)
		return rc;
	if (strcmp(n.state, "held") != 0)
		return 2;
	if ((st = store_stmt(c, SQL_NOTIFICATION_REVIEW)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) || sqlite3_bind_int64(st, 2, review_by_us))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "review notification") == -1)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 2;
}

/* ---- lifts and reviews of a hold ---- */

int
store_override_event_digest(const struct override_event_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("override-event/v1");

	store_digest_str(d, r->id);
	store_digest_str(d, r->disclosure_id);
	store_digest_str(d, r->family_pseudonym);
	store_digest_str(d, r->kind);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_int(d, r->at_us);
	store_digest_blob(d, r->reason_ct, r->reason_ctlen);
	store_digest_int(d, r->previous_review_by_us);
	store_digest_int(d, r->review_by_us);
	return store_digest_end(d, out);
}

static const char SQL_OVERRIDE_EVENT_INSERT[] =
    "INSERT INTO override_events (id, disclosure_id, family_pseudonym, kind, actor,"
    " actor_role, at_us, reason_ct, previous_review_by_us, review_by_us, record_digest,"
    " ledger_seq) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)";

int
store_override_event_insert(struct store_conn *c, const struct override_event_row *r)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, SQL_OVERRIDE_EVENT_INSERT)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, r->id) || store_bind_opt_text(st, 2, r->disclosure_id) ||
	    store_bind_opt_text(st, 3, r->family_pseudonym) || store_bind_opt_text(st, 4, r->kind) ||
	    store_bind_opt_text(st, 5, r->actor) || store_bind_opt_text(st, 6, r->actor_role) ||
	    sqlite3_bind_int64(st, 7, r->at_us) ||
	    store_bind_opt_blob(st, 8, r->reason_ct, r->reason_ctlen) ||
	    sqlite3_bind_int64(st, 9, r->previous_review_by_us) ||
	    store_bind_opt_int(st, 10, r->review_by_us, 0) ||
	    sqlite3_bind_blob(st, 11, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 12, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert override event");
}

static const char SQL_OVERRIDE_EVENTS[] =
    "SELECT id, disclosure_id, family_pseudonym, kind, actor, actor_role, at_us, reason_ct,"
    " previous_review_by_us, review_by_us, record_digest, ledger_seq"
    " FROM override_events WHERE disclosure_id = ?1 ORDER BY at_us, ledger_seq";

int
store_override_events(struct store_conn *c, const char *disclosure_id,
    int (*fn)(const struct override_event_row *, void *), void *arg)
{
	struct override_event_row	 r;
	sqlite3_stmt			*st;
	int				 rc;

	if ((st = store_stmt(c, SQL_OVERRIDE_EVENTS)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) != SQLITE_OK)
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = (const char *)sqlite3_column_text(st, 0);
		r.disclosure_id = (const char *)sqlite3_column_text(st, 1);
		r.family_pseudonym = (const char *)sqlite3_column_text(st, 2);
		r.kind = (const char *)sqlite3_column_text(st, 3);
		r.actor = (const char *)sqlite3_column_text(st, 4);
		r.actor_role = (const char *)sqlite3_column_text(st, 5);
		r.at_us = sqlite3_column_int64(st, 6);
		r.reason_ct = sqlite3_column_blob(st, 7);
		r.reason_ctlen = (size_t)sqlite3_column_bytes(st, 7);
		r.previous_review_by_us = sqlite3_column_int64(st, 8);
		r.review_by_us = sqlite3_column_int64(st, 9);
		if (sqlite3_column_bytes(st, 10) == 32)
			memcpy(r.record_digest, sqlite3_column_blob(st, 10), 32);
		r.ledger_seq = sqlite3_column_int64(st, 11);
		if (fn(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("override events: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

const char store_sql_notifications_due[] =
    "SELECT n.disclosure_id, n.family_pseudonym, n.family_id_ct, n.attempts,"
    " d.agency_id, d.purpose, d.disclosed_fields, d.created_us,"
    " CASE WHEN dl.state = 'dead' AND dl.dead_reason IN ('" DELIVERY_CONSENT_WITHDRAWN "',"
    "  '" DELIVERY_CONSENT_EXPIRED "') THEN dl.dead_us ELSE 0 END,"
    " coalesce(dl.reads > 0 OR dl.attempts > 0 OR dl.requeues > 0, 0),"
    " coalesce(dl.delivered_us > 0, 0), dl.dead_reason"
    " FROM notifications n JOIN disclosures d ON d.id = n.disclosure_id"
    " LEFT JOIN deliveries dl ON dl.disclosure_id = n.disclosure_id"
    " WHERE n.state = 'queued' AND n.next_attempt_us <= ?1"
    " ORDER BY n.next_attempt_us, n.created_us LIMIT ?2";

int
store_notifications_due(struct store_conn *c, int64_t now_us, struct notice *out, int max)
{
	sqlite3_stmt	*st;
	int		 rc, n = 0;

	if ((st = store_stmt(c, store_sql_notifications_due)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) || sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notice	*x = &out[n];
		const void	*ct = sqlite3_column_blob(st, 2);
		size_t		 ctlen = (size_t)sqlite3_column_bytes(st, 2);
		const char	*s;

		memset(x, 0, sizeof(*x));
		snprintf(x->disclosure_id, sizeof(x->disclosure_id), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(x->family_pseudonym, sizeof(x->family_pseudonym), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		x->attempts = sqlite3_column_int(st, 3);
		snprintf(x->agency_id, sizeof(x->agency_id), "%s",
		    (const char *)sqlite3_column_text(st, 4));
		snprintf(x->purpose, sizeof(x->purpose), "%s",
		    (const char *)sqlite3_column_text(st, 5));
		s = (const char *)sqlite3_column_text(st, 6);
		x->created_us = sqlite3_column_int64(st, 7);
		x->stopped_us = sqlite3_column_int64(st, 8);
		x->maybe_received = x->stopped_us != 0 && sqlite3_column_int(st, 9);
		x->received = x->stopped_us != 0 && sqlite3_column_int(st, 10);
		if (x->stopped_us != 0)
			snprintf(x->stop_reason, sizeof(x->stop_reason), "%s",
			    (const char *)sqlite3_column_text(st, 11));
		if ((x->fields_json = strdup(s != NULL ? s : "[]")) == NULL ||
		    (x->family_id_ct = malloc(ctlen > 0 ? ctlen : 1)) == NULL) {
			store_notices_free(out, n + 1);
			sqlite3_reset(st);
			return -1;
		}
		if (ctlen > 0)
			memcpy(x->family_id_ct, ct, ctlen);
		x->family_id_ctlen = ctlen;
		n++;
	}
	if (n < max && rc != SQLITE_DONE) {
		log_errx("due notifications: %s", sqlite3_errmsg(store_db(c)));
		store_notices_free(out, n);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return n;
}

void
store_notices_free(struct notice *v, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(v[i].fields_json);
		free(v[i].family_id_ct);
		v[i].fields_json = NULL;
		v[i].family_id_ct = NULL;
	}
}

static const char SQL_NOTIFICATION_SENT[] =
    "UPDATE notifications SET state = 'sent', sent_us = ?2, attempts = attempts + 1,"
    " last_status = ?3 WHERE disclosure_id = ?1 AND state = 'queued'";

int
store_notification_sent(struct store_conn *c, const char *disclosure_id, int64_t when_us,
    int status)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, SQL_NOTIFICATION_SENT)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) || sqlite3_bind_int64(st, 2, when_us) ||
	    sqlite3_bind_int(st, 3, status))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notification sent") == -1)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

static const char SQL_NOTIFICATION_RETRY[] =
    "UPDATE notifications SET attempts = attempts + 1, next_attempt_us = ?2,"
    " last_status = ?3, state = CASE WHEN ?4 THEN 'failed' ELSE state END"
    " WHERE disclosure_id = ?1 AND state = 'queued'";

int
store_notification_retry(struct store_conn *c, const char *disclosure_id,
    int64_t next_attempt_us, int status, int give_up)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, SQL_NOTIFICATION_RETRY)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, disclosure_id) || sqlite3_bind_int64(st, 2, next_attempt_us) ||
	    sqlite3_bind_int(st, 3, status) || sqlite3_bind_int(st, 4, give_up != 0))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notification retry") == -1)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

static const char SQL_NOTIFICATIONS_COUNT[] =
    "SELECT"
    " (SELECT count(*) FROM notifications WHERE state = 'queued') +"
    " (SELECT count(*) FROM request_notifications WHERE state = 'queued'),"
    " (SELECT count(*) FROM notifications WHERE state = 'held') +"
    " (SELECT count(*) FROM request_notifications WHERE state = 'held'),"
    " (SELECT count(*) FROM notifications WHERE state = 'held' AND review_by_us < ?1) +"
    " (SELECT count(*) FROM request_notifications WHERE state = 'held' AND review_by_us < ?1),"
    " (SELECT count(*) FROM notifications WHERE state = 'failed') +"
    " (SELECT count(*) FROM request_notifications WHERE state = 'failed')";

int
store_notifications_count(struct store_conn *c, int64_t now_us, struct notification_counts *k)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(k, 0, sizeof(*k));
	if ((st = store_stmt(c, SQL_NOTIFICATIONS_COUNT)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->queued = sqlite3_column_int64(st, 0);
		k->held = sqlite3_column_int64(st, 1);
		k->overdue = sqlite3_column_int64(st, 2);
		k->failed = sqlite3_column_int64(st, 3);
	} else
		log_errx("count notifications: %s", sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}
