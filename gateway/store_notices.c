/*
 * store_notices.c: the recipient_notices table (migration 070) and the
 * query that finds who may hold a family's data. recipient_notice.h owns
 * what a notice means and when one is made; this file only reads and
 * writes rows. A notice is inserted once, and only its acknowledgement
 * changes it (acked_us, acked_seq); a trigger refuses deletes. Also the
 * notice_pushes table (migration 072): each push of a notice to its
 * agency, for the delivery worker.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* The family's disclosures and requests are found both through their rows
 * (disclosures_family, requests_family) and through the family's signed
 * ledger entries that filed them (ledger_entries_family): a row moved to
 * another family is still found, to be checked and named as not signed.
 * Each disclosure joined to its delivery by primary key. "May hold": the
 * agency acknowledged it, was served it from the inbox, was pushed it
 * (whatever the answer: a timeout may follow a receipt), or read it by id;
 * with requests (an erasure) also a police or court request whose witness
 * statement was issued to the requester. Nothing else of the rows is
 * filtered on here: their agency, purpose, consent and decision are
 * unsigned columns, read by the caller from the row it has checked. */
const char store_sql_notice_holdings[] =
    "SELECT d.agency_id, d.id, 0 FROM disclosures d JOIN deliveries v ON v.disclosure_id = d.id "
    "WHERE d.id IN (SELECT x.id FROM disclosures x WHERE x.family_pseudonym = ?1 "
    "UNION SELECT e.object_id FROM ledger_entries e WHERE e.family_pseudonym = ?1 "
    "AND e.action = 'disclosure.allowed') "
    "AND (v.state = 'delivered' OR v.reads > 0 OR (v.mode = 'push' AND v.last_attempt_us != 0) "
    "OR EXISTS (SELECT 1 FROM disclosure_reads r WHERE r.disclosure_id = d.id "
    "AND r.actor_role = 'agency')) "
    "UNION ALL "
    "SELECT q.agency_id, q.id, 1 FROM requests q WHERE ?2 != 0 "
    "AND q.id IN (SELECT y.id FROM requests y WHERE y.family_pseudonym = ?1 "
    "UNION SELECT e.object_id FROM ledger_entries e WHERE e.family_pseudonym = ?1 "
    "AND e.action = 'request.filed') "
    "AND EXISTS (SELECT 1 FROM request_statements s WHERE s.request_id = q.id "
    "AND s.issued_role = 'agency') "
    "ORDER BY 1, 2";

int
store_notice_holdings(struct store_conn *c, const char *pseudonym, int with_requests,
    int (*fn)(const char *, int, void *), void *arg)
{
	sqlite3_stmt	*st;
	int		 rc, out = 0;

	if ((st = store_stmt(c, store_sql_notice_holdings)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, with_requests != 0) != SQLITE_OK)
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = store_col_text(st, 1);

		if (id == NULL)
			continue;
		if ((out = fn(id, sqlite3_column_int(st, 2), arg)) != 0)
			break;
	}
	if (out == 0 && rc != SQLITE_DONE) {
		log_errx("recipient notices: who holds the family's data: %s",
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		out = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

int
store_notice_insert(struct store_conn *c, const struct notice_row *n)
{
	static const char	 sql[] = "INSERT INTO recipient_notices (id, agency_id, kind, "
	    "family_pseudonym, consent_id, created_us, disclosure_ids, request_ids, "
	    "record_digest, ledger_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, n->id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, n->agency_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 3, n->kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, n->family_pseudonym, -1, SQLITE_STATIC) != SQLITE_OK ||
	    store_bind_opt_text(st, 5, n->consent_id[0] != '\0' ? n->consent_id : NULL) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, n->created_us) != SQLITE_OK ||
	    sqlite3_bind_text(st, 7, n->disclosure_ids, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 8, n->request_ids, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob(st, 9, n->record_digest, 32, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, n->ledger_seq) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_errx("recipient notice: insert: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
		return -1;
	}
	return 0;
}

#define NOTICE_COLS "id, agency_id, kind, family_pseudonym, consent_id, created_us, " \
	"disclosure_ids, record_digest, ledger_seq, acked_us, request_ids"

static int
notice_from(sqlite3_stmt *st, struct notice_row *r)
{
	const void	*b;
	const char	*ids;

	memset(r, 0, sizeof(*r));
	store_copy_text(r->id, sizeof(r->id), sqlite3_column_text(st, 0));
	store_copy_text(r->agency_id, sizeof(r->agency_id), sqlite3_column_text(st, 1));
	store_copy_text(r->kind, sizeof(r->kind), sqlite3_column_text(st, 2));
	store_copy_text(r->family_pseudonym, sizeof(r->family_pseudonym),
	    sqlite3_column_text(st, 3));
	store_copy_text(r->consent_id, sizeof(r->consent_id), sqlite3_column_text(st, 4));
	r->created_us = sqlite3_column_int64(st, 5);
	ids = store_col_text(st, 6);
	if ((r->disclosure_ids = strdup(ids != NULL ? ids : "[]")) == NULL)
		return -1;
	if ((b = sqlite3_column_blob(st, 7)) != NULL && sqlite3_column_bytes(st, 7) == 32)
		memcpy(r->record_digest, b, 32);
	r->ledger_seq = sqlite3_column_int64(st, 8);
	r->acked_us = sqlite3_column_int64(st, 9);
	ids = store_col_text(st, 10);
	if ((r->request_ids = strdup(ids != NULL ? ids : "[]")) == NULL) {
		free(r->disclosure_ids);
		r->disclosure_ids = NULL;
		return -1;
	}
	return 0;
}

void
notice_rows_free(struct notice_row *v, int n)
{
	int	i;

	for (i = 0; i < n; i++) {
		free(v[i].disclosure_ids);
		free(v[i].request_ids);
		v[i].disclosure_ids = v[i].request_ids = NULL;
	}
}

/* Through recipient_notices_agency (unacknowledged only). */
int
store_notices_unacked(struct store_conn *c, const char *agency_id, int skip,
    struct notice_row *out, int max)
{
	static const char	 sql[] = "SELECT " NOTICE_COLS " FROM recipient_notices "
	    "WHERE agency_id = ?1 AND acked_us = 0 ORDER BY created_us, id LIMIT ?2 OFFSET ?3";
	sqlite3_stmt		*st;
	int			 rc = SQLITE_DONE, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, agency_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, max) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, skip) != SQLITE_OK)
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (notice_from(st, &out[n]) == -1) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
	}
	if (n == max)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		notice_rows_free(out, n);
		log_errx("recipient notices: list failed");
		return -1;
	}
	return n;
}

int
store_notice_get(struct store_conn *c, const char *id, struct notice_row *r)
{
	static const char	 sql[] = "SELECT " NOTICE_COLS " FROM recipient_notices "
	    "WHERE id = ?";
	sqlite3_stmt		*st;
	int			 rc, out;

	memset(r, 0, sizeof(*r));
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		out = notice_from(st, r);
	else
		out = rc == SQLITE_DONE ? 1 : -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

int
store_notice_ack(struct store_conn *c, const char *id, int64_t when_us, int64_t seq)
{
	static const char	 sql[] = "UPDATE recipient_notices SET acked_us = ?2, "
	    "acked_seq = ?3 WHERE id = ?1 AND acked_us = 0";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, when_us) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, seq) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(sqlite3_db_handle(st)) == 1 ? 0 : 1;
}

int
store_notices_unacked_count(struct store_conn *c, int64_t *count, int64_t *oldest_us)
{
	static const char	 sql[] = "SELECT count(*), coalesce(min(created_us), 0) "
	    "FROM recipient_notices WHERE acked_us = 0";
	sqlite3_stmt		*st;
	int			 rc;

	*count = *oldest_us = 0;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		*oldest_us = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Through recipient_notices_family (the subject-access export). */
int
store_notices_of_family(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct notice_row *, void *), void *arg)
{
	static const char	 sql[] = "SELECT " NOTICE_COLS " FROM recipient_notices "
	    "WHERE family_pseudonym = ? ORDER BY created_us, id";
	struct notice_row	 r;
	sqlite3_stmt		*st;
	int			 rc, out = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) != SQLITE_OK)
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (notice_from(st, &r) == -1) {
			out = -1;
			break;
		}
		out = fn(&r, arg);
		notice_rows_free(&r, 1);
		if (out != 0)
			break;
	}
	if (out == 0 && rc != SQLITE_DONE)
		out = -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

/* Through recipient_notices_agency (its unacknowledged notices), each
 * joined to its push by primary key. */
int
store_notice_pushes_due(struct store_conn *c, const char *agency_id, int64_t now,
    struct notice_push_row *out, int max)
{
	static const char	 sql[] = "SELECT n.id, n.agency_id, n.family_pseudonym, "
	    "coalesce(p.attempts, 0) FROM recipient_notices n "
	    "LEFT JOIN notice_pushes p ON p.notice_id = n.id "
	    "WHERE n.agency_id = ?1 AND n.acked_us = 0 "
	    "AND (p.notice_id IS NULL OR (p.state = 'pending' AND p.next_us <= ?2)) "
	    "ORDER BY n.created_us, n.id LIMIT ?3";
	sqlite3_stmt		*st;
	int			 rc = SQLITE_DONE, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, agency_id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, max) != SQLITE_OK)
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notice_push_row	*r = &out[n++];

		memset(r, 0, sizeof(*r));
		store_copy_text(r->notice_id, sizeof(r->notice_id), sqlite3_column_text(st, 0));
		store_copy_text(r->agency_id, sizeof(r->agency_id), sqlite3_column_text(st, 1));
		store_copy_text(r->family_pseudonym, sizeof(r->family_pseudonym),
		    sqlite3_column_text(st, 2));
		r->attempts = sqlite3_column_int(st, 3);
	}
	if (n == max)
		rc = SQLITE_DONE;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_errx("recipient notices: pushes due: %s",
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return -1;
	}
	return n;
}

/* Through notice_pushes_due. */
int
store_notice_push_next_due(struct store_conn *c, int64_t after_us, int64_t *when)
{
	static const char	 sql[] = "SELECT min(p.next_us) FROM notice_pushes p "
	    "JOIN recipient_notices n ON n.id = p.notice_id "
	    "WHERE p.state = 'pending' AND p.next_us > ?1 AND n.acked_us = 0";
	sqlite3_stmt		*st;
	int			 rc, out;

	*when = 0;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, after_us) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		*when = sqlite3_column_int64(st, 0);
		out = 0;
	} else
		out = rc == SQLITE_ROW ? 1 : -1;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return out;
}

int
store_notice_push_result(struct store_conn *c, const char *id, int attempt, int64_t finished,
    int status, const char *state, const char *error, int64_t next_us)
{
	static const char	 sql[] = "INSERT INTO notice_pushes (notice_id, state, attempts, "
	    "next_us, last_attempt_us, last_status, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
	    "ON CONFLICT (notice_id) DO UPDATE SET state = ?2, attempts = ?3, next_us = ?4, "
	    "last_attempt_us = ?5, last_status = ?6, last_error = ?7";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, attempt) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, next_us) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, finished) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, status) != SQLITE_OK ||
	    store_bind_opt_text(st, 7, error) != SQLITE_OK)
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_errx("recipient notices: push result: %s", sqlite3_errmsg(sqlite3_db_handle(st)));
		return -1;
	}
	return 0;
}
