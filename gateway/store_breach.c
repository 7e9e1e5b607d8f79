/*
 * store_breach.c: the breach register's rows (migration 050). Insert and
 * read only: the schema's triggers refuse any UPDATE or DELETE, so a
 * decision or correction is always a new breach_events row.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* Flags and counts: -1 is NULL. Times: 0 is NULL. */
static int64_t
col_opt_int(sqlite3_stmt *st, int i, int64_t unset)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? unset : sqlite3_column_int64(st, i);
}

/* Copies a blob column into malloc'd memory. 0 or -1. */
static int
col_blob(sqlite3_stmt *st, int i, unsigned char **out, size_t *len)
{
	int	n = sqlite3_column_bytes(st, i);

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, sqlite3_column_blob(st, i), (size_t)n);
	*len = (size_t)n;
	return 0;
}

int
store_breach_digest(const struct breach_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("breach/v1");

	store_digest_str(d, r->id);
	store_digest_int(d, r->recorded_us);
	store_digest_str(d, r->recorded_by);
	store_digest_str(d, r->recorded_role);
	store_digest_int(d, r->occurred_us);
	store_digest_int(d, r->aware_us);
	store_digest_str(d, r->types);
	store_digest_int(d, r->special_category);
	store_digest_int(d, r->approx_people);
	store_digest_int(d, r->approx_records);
	store_digest_blob(d, r->text_ct, r->text_ctlen);
	return store_digest_end(d, out);
}

int
store_breach_event_digest(const struct breach_event_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("breach_event/v1");

	store_digest_str(d, r->id);
	store_digest_str(d, r->breach_id);
	store_digest_str(d, r->kind);
	store_digest_int(d, r->at_us);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_int(d, r->high_risk);
	store_digest_int(d, r->report_to_regulator);
	store_digest_int(d, r->reported_us);
	store_digest_int(d, r->late);
	store_digest_int(d, r->notify_individuals);
	store_digest_str(d, r->art34_exception);
	store_digest_int(d, r->occurred_us);
	store_digest_int(d, r->aware_us);
	store_digest_str(d, r->types);
	store_digest_int(d, r->special_category);
	store_digest_int(d, r->approx_people);
	store_digest_int(d, r->approx_records);
	store_digest_blob(d, r->text_ct, r->text_ctlen);
	return store_digest_end(d, out);
}

int
store_breach_notice_digest(const struct breach_notice_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("breach_notice/v1");

	store_digest_str(d, r->id);
	store_digest_str(d, r->breach_id);
	store_digest_int(d, r->at_us);
	store_digest_int(d, r->notified_us);
	store_digest_str(d, r->method);
	store_digest_int(d, r->people);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_blob(d, r->text_ct, r->text_ctlen);
	return store_digest_end(d, out);
}

int
store_breach_notice_insert(struct store_conn *c, const struct breach_notice_row *r)
{
	static const char	*sql = "INSERT INTO breach_notices (id, breach_id, at_us, "
				    "notified_us, method, people, actor, actor_role, text_ct, "
				    "record_digest, ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->breach_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, r->at_us) ||
	    sqlite3_bind_int64(st, 4, r->notified_us) ||
	    sqlite3_bind_text(st, 5, r->method, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 6, r->people) ||
	    sqlite3_bind_text(st, 7, r->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 8, r->actor_role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 9, r->text_ct, (int)r->text_ctlen, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 10, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 11, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert breach notice");
}

int
store_breach_notice_family_insert(struct store_conn *c, const char *notice_id,
    const char *pseudonym, int64_t ledger_seq)
{
	static const char	*sql = "INSERT INTO breach_notice_families (notice_id, "
				    "family_pseudonym, ledger_seq) VALUES (?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, notice_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert breach notice family");
}

int
store_breach_notice_families_each(struct store_conn *c, const char *notice_id,
    int (*fn)(const char *, int64_t, void *), void *arg)
{
	static const char	*sql = "SELECT family_pseudonym, ledger_seq FROM "
				    "breach_notice_families WHERE notice_id = ?";
	sqlite3_stmt		*st;
	const char		*p;
	int			 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, notice_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = (const char *)sqlite3_column_text(st, 0);
		if ((ret = fn(p != NULL ? p : "", sqlite3_column_int64(st, 1), arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret != 0)
		return ret;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_family_notice_rows(struct store_conn *c, const char *pseudonym,
    int (*fn)(const char *, const struct breach_notice_row *, int64_t, void *), void *arg)
{
	static const char	*sql = "SELECT f.notice_id, f.ledger_seq, n.id, n.breach_id, "
				    "n.at_us, n.notified_us, n.method, n.people, n.actor, "
				    "n.actor_role, n.text_ct, n.record_digest, n.ledger_seq "
				    "FROM breach_notice_families f "
				    "LEFT JOIN breach_notices n ON n.id = f.notice_id "
				    "WHERE f.family_pseudonym = ?";
	struct breach_notice_row r;
	sqlite3_stmt		*st;
	const char		*id;
	int			 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		memset(&r, 0, sizeof(r));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			store_copy_text(r.id, sizeof(r.id), sqlite3_column_text(st, 2));
			store_copy_text(r.breach_id, sizeof(r.breach_id),
			    sqlite3_column_text(st, 3));
			r.at_us = sqlite3_column_int64(st, 4);
			r.notified_us = sqlite3_column_int64(st, 5);
			store_copy_text(r.method, sizeof(r.method), sqlite3_column_text(st, 6));
			r.people = sqlite3_column_int64(st, 7);
			store_copy_text(r.actor, sizeof(r.actor), sqlite3_column_text(st, 8));
			store_copy_text(r.actor_role, sizeof(r.actor_role),
			    sqlite3_column_text(st, 9));
			r.text_ct = (unsigned char *)sqlite3_column_blob(st, 10);
			r.text_ctlen = (size_t)sqlite3_column_bytes(st, 10);
			if (sqlite3_column_bytes(st, 11) == 32)
				memcpy(r.record_digest, sqlite3_column_blob(st, 11), 32);
			r.ledger_seq = sqlite3_column_int64(st, 12);
		}
		if ((ret = fn(id != NULL ? id : "", sqlite3_column_type(st, 2) != SQLITE_NULL ?
		    &r : NULL, sqlite3_column_int64(st, 1), arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret != 0)
		return ret;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_breach_notices_each(struct store_conn *c, const char *breach_id,
    int (*fn)(const struct breach_notice_row *, void *), void *arg)
{
	static const char	*sql = "SELECT id, breach_id, at_us, notified_us, method, people, "
				    "actor, actor_role, text_ct, record_digest, ledger_seq, "
				    "(SELECT count(*) FROM breach_notice_families f "
				    "WHERE f.notice_id = breach_notices.id) "
				    "FROM breach_notices WHERE breach_id = ? "
				    "ORDER BY notified_us, ledger_seq";
	struct breach_notice_row r;
	sqlite3_stmt		*st;
	int			 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, breach_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		store_copy_text(r.id, sizeof(r.id), sqlite3_column_text(st, 0));
		store_copy_text(r.breach_id, sizeof(r.breach_id), sqlite3_column_text(st, 1));
		r.at_us = sqlite3_column_int64(st, 2);
		r.notified_us = sqlite3_column_int64(st, 3);
		store_copy_text(r.method, sizeof(r.method), sqlite3_column_text(st, 4));
		r.people = sqlite3_column_int64(st, 5);
		store_copy_text(r.actor, sizeof(r.actor), sqlite3_column_text(st, 6));
		store_copy_text(r.actor_role, sizeof(r.actor_role), sqlite3_column_text(st, 7));
		r.text_ct = (unsigned char *)sqlite3_column_blob(st, 8);
		r.text_ctlen = (size_t)sqlite3_column_bytes(st, 8);
		if (sqlite3_column_bytes(st, 9) == 32)
			memcpy(r.record_digest, sqlite3_column_blob(st, 9), 32);
		r.ledger_seq = sqlite3_column_int64(st, 10);
		r.families = sqlite3_column_int64(st, 11);
		if ((ret = fn(&r, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret != 0)
		return ret;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_breach_families_told(struct store_conn *c, const char *breach_id, int64_t *count)
{
	static const char	*sql = "SELECT count(DISTINCT f.family_pseudonym) "
				    "FROM breach_notice_families f JOIN breach_notices n "
				    "ON n.id = f.notice_id WHERE n.breach_id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, breach_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_breach_read_digest(const struct breach_read_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("breach_read/v1");

	store_digest_str(d, r->id);
	store_digest_str(d, r->breach_id);
	store_digest_int(d, r->read_us);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_blob(d, r->reason_ct, r->reason_ctlen);
	return store_digest_end(d, out);
}

int
store_breach_read_insert(struct store_conn *c, const struct breach_read_row *r)
{
	static const char	*sql = "INSERT INTO breach_reads (id, breach_id, read_us, actor, "
				    "actor_role, reason_ct, record_digest, ledger_seq) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    (r->breach_id[0] != '\0' ?
	    sqlite3_bind_text(st, 2, r->breach_id, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 2)) ||
	    sqlite3_bind_int64(st, 3, r->read_us) ||
	    sqlite3_bind_text(st, 4, r->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, r->actor_role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 6, r->reason_ct, (int)r->reason_ctlen, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 7, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 8, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert breach read");
}

int
store_breach_insert(struct store_conn *c, const struct breach_row *r)
{
	static const char	*sql = "INSERT INTO breaches (id, recorded_us, recorded_by, "
				    "recorded_role, occurred_us, aware_us, types, special_category, "
				    "approx_people, approx_records, text_ct, record_digest, ledger_seq) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, r->recorded_us) ||
	    sqlite3_bind_text(st, 3, r->recorded_by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, r->recorded_role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, r->occurred_us) ||
	    sqlite3_bind_int64(st, 6, r->aware_us) ||
	    sqlite3_bind_text(st, 7, r->types, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 8, r->special_category) ||
	    sqlite3_bind_int64(st, 9, r->approx_people) ||
	    sqlite3_bind_int64(st, 10, r->approx_records) ||
	    sqlite3_bind_blob(st, 11, r->text_ct, (int)r->text_ctlen, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 12, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 13, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert breach");
}

int
store_breach_event_insert(struct store_conn *c, const struct breach_event_row *r)
{
	static const char	*sql = "INSERT INTO breach_events (id, breach_id, kind, at_us, "
				    "actor, actor_role, high_risk, report_to_regulator, reported_us, "
				    "late, notify_individuals, art34_exception, occurred_us, aware_us, "
				    "types, special_category, approx_people, approx_records, text_ct, "
				    "record_digest, ledger_seq) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->breach_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, r->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 4, r->at_us) ||
	    sqlite3_bind_text(st, 5, r->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, r->actor_role, -1, SQLITE_STATIC) ||
	    store_bind_opt_int(st, 7, r->high_risk, -1) ||
	    store_bind_opt_int(st, 8, r->report_to_regulator, -1) ||
	    store_bind_opt_int(st, 9, r->reported_us, 0) ||
	    store_bind_opt_int(st, 10, r->late, -1) ||
	    store_bind_opt_int(st, 11, r->notify_individuals, -1))
		return store_bind_failed(c, st);
	/* "" is unset (struct breach_event_row): NULL in the row. */
	if (store_bind_opt_text(st, 12, r->art34_exception[0] != '\0' ? r->art34_exception : NULL) ||
	    store_bind_opt_int(st, 13, r->occurred_us, 0) ||
	    store_bind_opt_int(st, 14, r->aware_us, 0) ||
	    store_bind_opt_text(st, 15, r->types[0] != '\0' ? r->types : NULL) ||
	    store_bind_opt_int(st, 16, r->special_category, -1) ||
	    store_bind_opt_int(st, 17, r->approx_people, -1) ||
	    store_bind_opt_int(st, 18, r->approx_records, -1) ||
	    sqlite3_bind_blob(st, 19, r->text_ct, (int)r->text_ctlen, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 20, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 21, r->ledger_seq))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert breach event");
}

#define BREACH_COLS	"id, recorded_us, recorded_by, recorded_role, occurred_us, aware_us, " \
			"types, special_category, approx_people, approx_records, text_ct, " \
			"record_digest, ledger_seq"

/* Fills r from the current row; r->text_ct is malloc'd. 0 or -1. */
static int
breach_from(sqlite3_stmt *st, struct breach_row *r)
{
	memset(r, 0, sizeof(*r));
	store_copy_text(r->id, sizeof(r->id), sqlite3_column_text(st, 0));
	r->recorded_us = sqlite3_column_int64(st, 1);
	store_copy_text(r->recorded_by, sizeof(r->recorded_by), sqlite3_column_text(st, 2));
	store_copy_text(r->recorded_role, sizeof(r->recorded_role), sqlite3_column_text(st, 3));
	r->occurred_us = sqlite3_column_int64(st, 4);
	r->aware_us = sqlite3_column_int64(st, 5);
	store_copy_text(r->types, sizeof(r->types), sqlite3_column_text(st, 6));
	r->special_category = sqlite3_column_int(st, 7);
	r->approx_people = sqlite3_column_int64(st, 8);
	r->approx_records = sqlite3_column_int64(st, 9);
	if (sqlite3_column_bytes(st, 11) == 32)
		memcpy(r->record_digest, sqlite3_column_blob(st, 11), 32);
	r->ledger_seq = sqlite3_column_int64(st, 12);
	return col_blob(st, 10, &r->text_ct, &r->text_ctlen);
}

int
store_breach_get(struct store_conn *c, const char *id, struct breach_row *r)
{
	static const char	*sql = "SELECT " BREACH_COLS " FROM breaches WHERE id = ?";
	sqlite3_stmt		*st;
	int			 rc, ret;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = breach_from(st, r);
	else
		ret = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_reset(st);
	return ret;
}

int
store_breaches_each(struct store_conn *c, int max,
    int (*fn)(const struct breach_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " BREACH_COLS " FROM breaches "
				    "ORDER BY recorded_us DESC, id LIMIT ?";
	struct breach_row	 r;
	sqlite3_stmt		*st;
	int			 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, max))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (breach_from(st, &r) == -1) {
			ret = -1;
			break;
		}
		ret = fn(&r, arg);
		free(r.text_ct);
		if (ret != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		return -1;
	return ret;
}

int
store_breach_events_each(struct store_conn *c, const char *breach_id,
    int (*fn)(const struct breach_event_row *, void *), void *arg)
{
	static const char	*sql = "SELECT id, breach_id, kind, at_us, actor, actor_role, "
				    "high_risk, report_to_regulator, reported_us, late, "
				    "notify_individuals, art34_exception, occurred_us, aware_us, types, "
				    "special_category, approx_people, approx_records, text_ct, "
				    "record_digest, ledger_seq FROM breach_events WHERE breach_id = ? "
				    "ORDER BY at_us, ledger_seq";
	struct breach_event_row	 r;
	sqlite3_stmt		*st;
	int			 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, breach_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		store_copy_text(r.id, sizeof(r.id), sqlite3_column_text(st, 0));
		store_copy_text(r.breach_id, sizeof(r.breach_id), sqlite3_column_text(st, 1));
		store_copy_text(r.kind, sizeof(r.kind), sqlite3_column_text(st, 2));
		r.at_us = sqlite3_column_int64(st, 3);
		store_copy_text(r.actor, sizeof(r.actor), sqlite3_column_text(st, 4));
		store_copy_text(r.actor_role, sizeof(r.actor_role), sqlite3_column_text(st, 5));
		r.high_risk = (int)col_opt_int(st, 6, -1);
		r.report_to_regulator = (int)col_opt_int(st, 7, -1);
		r.reported_us = col_opt_int(st, 8, 0);
		r.late = (int)col_opt_int(st, 9, -1);
		r.notify_individuals = (int)col_opt_int(st, 10, -1);
		store_copy_text(r.art34_exception, sizeof(r.art34_exception),
		    sqlite3_column_text(st, 11));
		r.occurred_us = col_opt_int(st, 12, 0);
		r.aware_us = col_opt_int(st, 13, 0);
		store_copy_text(r.types, sizeof(r.types), sqlite3_column_text(st, 14));
		r.special_category = (int)col_opt_int(st, 15, -1);
		r.approx_people = col_opt_int(st, 16, -1);
		r.approx_records = col_opt_int(st, 17, -1);
		if (sqlite3_column_bytes(st, 19) == 32)
			memcpy(r.record_digest, sqlite3_column_blob(st, 19), 32);
		r.ledger_seq = sqlite3_column_int64(st, 20);
		if (col_blob(st, 18, &r.text_ct, &r.text_ctlen) == -1) {
			ret = -1;
			break;
		}
		ret = fn(&r, arg);
		free(r.text_ct);
		if (ret != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret == 0 && rc != SQLITE_DONE)
		return -1;
	return ret;
}
