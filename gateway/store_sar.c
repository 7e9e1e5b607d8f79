/*
 * store_sar.c: the rows a subject-access export is made of, and the record
 * of each export (migration 051's subject_access_reads). Every disclosure
 * and request of the family is read, held or not: what is left out (a
 * refused attempt, what an active safeguarding override, a notification
 * hold or a do_not_notify request keeps from the family) is decided by
 * sar_api.c from each row as its ledger entry signed it and the signed
 * lift (sar_shown.h), not here on columns nobody signed; what goes with an
 * item (its reads, statements, notices) is kept only for an item listed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* Steps sql, whose one parameter is the family's pseudonym, handing each
 * row to row() (which makes the caller's record of it and calls the
 * caller's fn: 0 to go on). 0, row's non-zero value, or -1 (logged). */
static int
each_row(struct store_conn *c, const char *sql, const char *pseudonym,
    int (*row)(sqlite3_stmt *, void *), void *arg, const char *what)
{
	sqlite3_stmt	*st;
	int		 rc, ret = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((ret = row(st, arg)) != 0)
			break;
	sqlite3_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_errx("subject access %s: %s", what, sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return ret;
}

struct disclosure_walk {
	int	(*fn)(const struct sar_disclosure *, void *);
	void	*arg;
};

static int
disclosure_row(sqlite3_stmt *st, void *arg)
{
	struct disclosure_walk	*w = arg;
	struct sar_disclosure	 d;

	memset(&d, 0, sizeof(d));
	d.id = store_col_text(st, 0);
	d.created_us = sqlite3_column_int64(st, 1);
	d.agency_id = store_col_text(st, 2);
	d.purpose = store_col_text(st, 3);
	d.article6 = store_col_text(st, 4);
	d.article9 = store_col_text(st, 5);
	d.disclosed_fields = store_col_text(st, 6);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		d.data_ct = sqlite3_column_blob(st, 7);
		d.data_ctlen = (size_t)sqlite3_column_bytes(st, 7);
	}
	d.consent_id = store_col_text(st, 8);
	d.delivery_state = store_col_text(st, 9);
	d.dead_reason = store_col_text(st, 10);
	d.delivered_us = sqlite3_column_int64(st, 11);
	d.notification_state = store_col_text(st, 12);
	d.notified_us = sqlite3_column_int64(st, 13);
	d.override_basis = store_col_text(st, 14);
	d.lifted_us = sqlite3_column_int64(st, 15);
	d.notification_hold = sqlite3_column_int(st, 16);
	d.receipt = sqlite3_column_int(st, 17);
	return w->fn(&d, w->arg);
}

int
store_sar_disclosures(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_disclosure *, void *), void *arg)
{
	/*
	 * Every one, refused and held ones too: the caller checks each as
	 * signed and leaves out a refused attempt (it shared nothing, and can
	 * be the first step of a safeguarding referral that then went ahead
	 * under a held override) and a held one not lifted as signed.
	 */
	static const char	*sql = "SELECT d.id, d.created_us, d.agency_id, d.purpose, "
				    "d.article6, d.article9, d.disclosed_fields, d.data_ct, "
				    "d.consent_id, dl.state, dl.dead_reason, dl.delivered_us, "
				    "n.state, coalesce(n.sent_us, 0), d.override_basis, "
				    "coalesce(n.lifted_us, 0), d.hold_reason_ct IS NOT NULL, "
				    "dl.body_sha256 IS NOT NULL "
				    "FROM disclosures d LEFT JOIN notifications n "
				    "ON n.disclosure_id = d.id "
				    "LEFT JOIN deliveries dl ON dl.disclosure_id = d.id "
				    "WHERE d.family_pseudonym = ? ORDER BY d.created_us, d.id";
	struct disclosure_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, disclosure_row, &w, "disclosures");
}

struct access_walk {
	int	(*fn)(const struct sar_access *, void *);
	void	*arg;
};

static int
access_row(sqlite3_stmt *st, void *arg)
{
	struct access_walk	*w = arg;
	struct sar_access	 a;

	a.record_id = store_col_text(st, 0);
	a.read_us = sqlite3_column_int64(st, 1);
	a.actor = store_col_text(st, 2);
	a.actor_role = store_col_text(st, 3);
	if (a.record_id == NULL || a.actor_role == NULL)
		return 0;
	return w->fn(&a, w->arg);
}

int
store_sar_accesses(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_access *, void *), void *arg)
{
	/* Reads of the family's disclosures: the caller keeps those of the
	 * ones it lists only (a read of one held is left out with it). */
	static const char	*sql = "SELECT r.disclosure_id, r.read_us, r.actor, r.actor_role "
				    "FROM disclosure_reads r JOIN disclosures d ON d.id = r.disclosure_id "
				    "WHERE d.family_pseudonym = ? ORDER BY r.read_us, r.id";
	struct access_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, access_row, &w, "reads");
}

int
store_sar_consent_accesses(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_access *, void *), void *arg)
{
	/* Consents are never held back from the family: every read of one. */
	static const char	*sql = "SELECT consent_id, read_us, actor, actor_role "
				    "FROM consent_reads WHERE family_pseudonym = ? "
				    "ORDER BY read_us, id";
	struct access_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, access_row, &w, "consent reads");
}

int
store_sar_request_accesses(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_access *, void *), void *arg)
{
	/* Reads of the family's requests (GET /v1/requests/{id}): the caller
	 * keeps those of the ones it lists only (a read of one still under
	 * its do_not_notify hold is left out with it). A trustee's read of the
	 * witness statement (GET /v1/requests/{id}/statement, which holds the
	 * family's shared records themselves) is a read by the charity too;
	 * the requester's copy is listed as a statement supplied instead. */
	static const char	*sql = "SELECT request_id, read_us, actor, actor_role FROM ("
				    "SELECT q.request_id, q.read_us, q.actor, q.actor_role, q.id AS k "
				    "FROM request_reads q JOIN requests r ON r.id = q.request_id "
				    "WHERE r.family_pseudonym = ?1 "
				    "UNION ALL "
				    "SELECT s.request_id, s.issued_us, s.issued_to, s.issued_role, s.id "
				    "FROM request_statements s JOIN requests r ON r.id = s.request_id "
				    "WHERE r.family_pseudonym = ?1 AND s.issued_role <> 'agency'"
				    ") ORDER BY read_us, k";
	struct access_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, access_row, &w, "request reads");
}

int
store_sar_exports(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_access *, void *), void *arg)
{
	/* Exports are never held back: one shows only what the family may
	 * see, so that it was made says nothing of what was left out. */
	static const char	*sql = "SELECT id, read_us, actor, actor_role "
				    "FROM subject_access_reads WHERE family_pseudonym = ? "
				    "ORDER BY read_us, id";
	struct access_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, access_row, &w, "exports");
}

struct request_walk {
	int	(*fn)(const struct sar_request *, void *);
	void	*arg;
};

static int
request_row(sqlite3_stmt *st, void *arg)
{
	struct request_walk	*w = arg;
	struct sar_request	 q;

	memset(&q, 0, sizeof(q));
	q.id = store_col_text(st, 0);
	q.created_us = sqlite3_column_int64(st, 1);
	q.agency_id = store_col_text(st, 2);
	q.legal_basis = store_col_text(st, 3);
	q.fields = store_col_text(st, 4);
	q.period_from = store_col_text(st, 5);
	q.period_to = store_col_text(st, 6);
	q.state = store_col_text(st, 7);
	q.decided_us = sqlite3_column_int64(st, 8);
	q.closed_us = sqlite3_column_int64(st, 9);
	q.notified_us = sqlite3_column_int64(st, 10);
	q.lifted_us = sqlite3_column_int64(st, 11);
	if (q.id == NULL || q.agency_id == NULL || q.state == NULL)
		return 0;
	return w->fn(&q, w->arg);
}

int
store_sar_requests(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_request *, void *), void *arg)
{
	/*
	 * Every one, do_not_notify ones too: the police or court asked that
	 * the family not be told; that hold lives on the request's
	 * notification (held until a safeguarding lead lifts it; made only
	 * when the request is approved), and the caller leaves the request
	 * out until a lift is signed.
	 */
	static const char	*sql = "SELECT r.id, r.created_us, r.agency_id, r.legal_basis, "
				    "r.fields, r.period_from, r.period_to, r.state, r.decided_us, "
				    "r.closed_us, coalesce(n.sent_us, 0), coalesce(n.lifted_us, 0) "
				    "FROM requests r LEFT JOIN request_notifications n "
				    "ON n.request_id = r.id "
				    "WHERE r.family_pseudonym = ? ORDER BY r.created_us, r.id";
	struct request_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, request_row, &w, "requests");
}

struct statement_walk {
	int	(*fn)(const struct sar_statement *, void *);
	void	*arg;
};

static int
statement_row(sqlite3_stmt *st, void *arg)
{
	struct statement_walk	*w = arg;
	struct sar_statement	 s;

	s.request_id = store_col_text(st, 0);
	s.issued_us = sqlite3_column_int64(st, 1);
	s.records = sqlite3_column_int64(st, 2);
	if (s.request_id == NULL)
		return 0;
	return w->fn(&s, w->arg);
}

int
store_sar_statements(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_statement *, void *), void *arg)
{
	/* Of the family's requests, the statements the requesting agency was
	 * given (not the trustees' own reads): the caller keeps those of the
	 * requests it lists only. */
	static const char	*sql = "SELECT s.request_id, s.issued_us, s.records "
				    "FROM request_statements s JOIN requests r ON r.id = s.request_id "
				    "WHERE r.family_pseudonym = ? AND s.issued_role = 'agency' "
				    "ORDER BY s.issued_us, s.id";
	struct statement_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, statement_row, &w, "statements");
}

struct breach_notice_walk {
	int	(*fn)(const struct sar_breach_notice *, void *);
	void	*arg;
};

static int
breach_notice_row(sqlite3_stmt *st, void *arg)
{
	struct breach_notice_walk	*w = arg;
	struct sar_breach_notice	 n;

	n.notice_id = store_col_text(st, 0);
	n.breach_id = store_col_text(st, 1);
	n.notified_us = sqlite3_column_int64(st, 2);
	n.method = store_col_text(st, 3);
	if (n.notice_id == NULL || n.breach_id == NULL || n.method == NULL)
		return 0;
	return w->fn(&n, w->arg);
}

int
store_sar_breach_notices(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct sar_breach_notice *, void *), void *arg)
{
	static const char		*sql = "SELECT n.id, n.breach_id, n.notified_us, n.method "
					    "FROM breach_notice_families f "
					    "JOIN breach_notices n ON n.id = f.notice_id "
					    "WHERE f.family_pseudonym = ? ORDER BY n.notified_us, n.id";
	struct breach_notice_walk	 w = { fn, arg };

	return each_row(c, sql, pseudonym, breach_notice_row, &w, "breach notices");
}

struct consent_walk {
	int		(*fn)(const struct consent_row *, void *);
	void		*arg;
	const char	*pseudonym;
};

static int
consent_row_of(sqlite3_stmt *st, void *arg)
{
	struct consent_walk	*w = arg;
	struct consent_row	 r;

	memset(&r, 0, sizeof(r));
	store_copy_text(r.id, sizeof(r.id), sqlite3_column_text(st, 0));
	snprintf(r.family_pseudonym, sizeof(r.family_pseudonym), "%s", w->pseudonym);
	store_copy_text(r.agency_id, sizeof(r.agency_id), sqlite3_column_text(st, 1));
	store_copy_text(r.purpose, sizeof(r.purpose), sqlite3_column_text(st, 2));
	r.granted_us = sqlite3_column_int64(st, 3);
	r.expires_us = sqlite3_column_int64(st, 4);
	r.withdrawn_us = sqlite3_column_int64(st, 5);
	return w->fn(&r, w->arg);
}

int
store_sar_consents(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct consent_row *, void *), void *arg)
{
	static const char	*sql = "SELECT id, agency_id, purpose, granted_us, expires_us, "
				    "withdrawn_us FROM consents WHERE family_pseudonym = ? "
				    "ORDER BY granted_us, id";
	struct consent_walk	 w = { fn, arg, pseudonym };

	return each_row(c, sql, pseudonym, consent_row_of, &w, "consents");
}

int
store_sar_read_digest(const struct sar_read_row *r, unsigned char out[32])
{
	struct store_digest	*d = store_digest_begin("subject_access_read/v1");

	store_digest_str(d, r->id);
	store_digest_str(d, r->family_pseudonym);
	store_digest_str(d, r->actor);
	store_digest_str(d, r->actor_role);
	store_digest_int(d, r->read_us);
	store_digest_blob(d, r->reason_ct, r->reason_ctlen);
	return store_digest_end(d, out);
}

int
store_sar_read_insert(struct store_conn *c, const struct sar_read_row *r)
{
	static const char	*sql = "INSERT INTO subject_access_reads (id, family_pseudonym, "
				    "actor, actor_role, read_us, reason_ct, record_digest, ledger_seq) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->family_pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, r->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, r->actor_role, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, r->read_us) ||
	    (r->reason_ct != NULL ? sqlite3_bind_blob(st, 6, r->reason_ct, (int)r->reason_ctlen,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 6)) ||
	    sqlite3_bind_blob(st, 7, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 8, r->ledger_seq))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("insert subject access read: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}
