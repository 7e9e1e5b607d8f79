/*
 * store_consent.c: the consents table. A consent is never deleted or
 * edited after it is recorded, except that withdrawal stamps it, once, and
 * that one recorded without an expiry (before consents had a longest life,
 * gateway.h consent_max_days) is given one, once.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

static void
row_from(sqlite3_stmt *st, struct consent_row *r)
{
	store_copy_text(r->id, sizeof(r->id), sqlite3_column_text(st, 0));
	store_copy_text(r->family_pseudonym, sizeof(r->family_pseudonym), sqlite3_column_text(st, 1));
	store_copy_text(r->agency_id, sizeof(r->agency_id), sqlite3_column_text(st, 2));
	store_copy_text(r->purpose, sizeof(r->purpose), sqlite3_column_text(st, 3));
	r->granted_us = sqlite3_column_int64(st, 4);
	r->expires_us = sqlite3_column_int64(st, 5);
	r->withdrawn_us = sqlite3_column_int64(st, 6);
}

#define CONSENT_COLS	"id, family_pseudonym, agency_id, purpose, granted_us, expires_us, withdrawn_us"

int
store_consent_insert(struct store_conn *c, const struct consent_row *r, const char *by,
    const unsigned char *ev, size_t evlen)
{
	static const char	*sql = "INSERT INTO consents (id, family_pseudonym, agency_id, "
				    "purpose, evidence_ct, recorded_by, granted_us, expires_us) "
				    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, r->family_pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, r->agency_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, r->purpose, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 5, ev, (int)evlen, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 7, r->granted_us) ||
	    sqlite3_bind_int64(st, 8, r->expires_us))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("insert consent: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_consent_get(struct store_conn *c, const char *id, struct consent_row *r)
{
	static const char	*sql = "SELECT " CONSENT_COLS " FROM consents WHERE id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		row_from(st, r);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_consent_withdraw(struct store_conn *c, const char *id, int64_t when, const char *by,
    const unsigned char *reason_ct, size_t reason_ctlen)
{
	static const char	*sql = "UPDATE consents SET withdrawn_us = ?1, withdrawn_by = ?2, "
				    "withdraw_reason_ct = ?4 WHERE id = ?3 AND withdrawn_us = 0";
	struct consent_row	 r;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_consent_get(c, id, &r)) != 0)
		return rc;
	if (r.withdrawn_us != 0)
		return 2;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when) ||
	    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC) ||
	    store_bind_opt_blob(st, 4, reason_ct, reason_ctlen))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The order store_consents_for() returns consents in: live before
 * withdrawn, open-ended before expiring, later expiry first, then the later
 * grant. <0 if a ranks before b. */
static int
consent_rank(const struct consent_row *a, const struct consent_row *b)
{
	if ((a->withdrawn_us == 0) != (b->withdrawn_us == 0))
		return a->withdrawn_us == 0 ? -1 : 1;
	if ((a->expires_us == 0) != (b->expires_us == 0))
		return a->expires_us == 0 ? -1 : 1;
	if (a->expires_us != b->expires_us)
		return a->expires_us > b->expires_us ? -1 : 1;
	if (a->granted_us != b->granted_us)
		return a->granted_us > b->granted_us ? -1 : 1;
	return 0;
}

/*
 * Ranked here rather than by ORDER BY ... LIMIT, which made SQLite open a
 * temporary b-tree for every disclosure's decision (a family has one or a
 * few consents per agency and purpose): each row read is inserted into out
 * by rank, the lowest-ranked falling off once max are kept; equal ranks
 * keep the order read.
 */
int
store_consents_for(struct store_conn *c, const char *pseudonym, const char *agency_id,
    const char *purpose, struct consent_row *out, int max)
{
	static const char	*sql = "SELECT " CONSENT_COLS " FROM consents "
				    "WHERE family_pseudonym = ? AND agency_id = ? AND purpose = ?";
	struct consent_row	 r;
	sqlite3_stmt		*st;
	int			 n = 0, i, rc;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, agency_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, purpose, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		row_from(st, &r);
		for (i = n; i > 0 && consent_rank(&r, &out[i - 1]) < 0; i--)
			;
		if (i == max)
			continue;	/* ranks below all max kept */
		if (n < max)
			n++;
		memmove(&out[i + 1], &out[i], (size_t)(n - 1 - i) * sizeof(out[0]));
		out[i] = r;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return n;
}

int
store_consents_open_ended(struct store_conn *c, struct consent_row *out, int max)
{
	static const char	*sql = "SELECT " CONSENT_COLS " FROM consents "
				    "WHERE expires_us = 0 AND withdrawn_us = 0 ORDER BY rowid LIMIT ?";
	sqlite3_stmt		*st;
	int			 n = 0, rc;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		row_from(st, &out[n++]);
	if (n < max && rc != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return n;
}

int
store_consent_set_expiry(struct store_conn *c, const char *id, int64_t expires_us)
{
	static const char	*sql = "UPDATE consents SET expires_us = ?2 "
				    "WHERE id = ?1 AND expires_us = 0";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, expires_us))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

/* A malloc'd copy of a blob column: NULL and 0 when the column is NULL. 0
 * or -1. */
static int
blob_copy(sqlite3_stmt *st, int i, unsigned char **out, size_t *len)
{
	const void	*b;
	int		 n;

	*out = NULL;
	*len = 0;
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	b = sqlite3_column_blob(st, i);
	n = sqlite3_column_bytes(st, i);
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return -1;
	if (n > 0)
		memcpy(*out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int
store_consent_sealed(struct store_conn *c, const char *id, unsigned char **ev,
    size_t *evlen, unsigned char **reason, size_t *reasonlen)
{
	static const char	*sql = "SELECT evidence_ct, withdraw_reason_ct FROM consents "
				    "WHERE id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	*ev = *reason = NULL;
	*evlen = *reasonlen = 0;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (blob_copy(st, 0, ev, evlen) != 0 ||
	    blob_copy(st, 1, reason, reasonlen) != 0))
		rc = SQLITE_NOMEM;
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	free(*ev);
	free(*reason);
	*ev = *reason = NULL;
	*evlen = *reasonlen = 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

#define WITHDRAWAL_SQL	"SELECT c.id, c.family_pseudonym, c.withdrawn_us, " \
			"(SELECT max(l.seq) FROM ledger_entries l " \
			"WHERE l.family_pseudonym = c.family_pseudonym AND " \
			"l.action = 'consent.withdrawn' AND l.object_id = c.id) " \
			"FROM consents c WHERE c.withdrawn_us != 0 "

static int
withdrawal_rows(struct store_conn *c, const char *sql, const char *id,
    int (*fn)(const struct consent_withdrawal_row *, void *), void *arg)
{
	struct consent_withdrawal_row	 r;
	sqlite3_stmt			*st;
	int				 rc = SQLITE_DONE, ret = 0, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (id != NULL && sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	while (ret == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		store_copy_text(r.id, sizeof(r.id), sqlite3_column_text(st, 0));
		store_copy_text(r.family_pseudonym, sizeof(r.family_pseudonym),
		    sqlite3_column_text(st, 1));
		r.withdrawn_us = sqlite3_column_int64(st, 2);
		r.ledger_seq = sqlite3_column_int64(st, 3);	/* NULL: 0 */
		n++;
		ret = fn(&r, arg);
	}
	if (ret == 0 && rc != SQLITE_DONE) {
		log_errx("consent withdrawals: %s", sqlite3_errmsg(store_db(c)));
		ret = -1;
	}
	sqlite3_reset(st);
	if (ret == 0 && id != NULL && n == 0)
		return 1;
	return ret;
}

int
store_consent_withdrawals(struct store_conn *c,
    int (*fn)(const struct consent_withdrawal_row *, void *), void *arg)
{
	return withdrawal_rows(c, WITHDRAWAL_SQL "ORDER BY c.withdrawn_us, c.id", NULL, fn, arg);
}

static int
copy_withdrawal(const struct consent_withdrawal_row *r, void *arg)
{
	*(struct consent_withdrawal_row *)arg = *r;
	return 0;
}

int
store_consent_withdrawal(struct store_conn *c, const char *id,
    struct consent_withdrawal_row *out)
{
	return withdrawal_rows(c, WITHDRAWAL_SQL "AND c.id = ?1", id, copy_withdrawal, out);
}

/* ---- reads of a consent (068) ---- */

int
store_consent_read_digest(const struct record_read_row *r, unsigned char out[32])
{
	return store_record_read_digest("consent-read/v1", r, out);
}

int
store_consent_read_insert(struct store_conn *c, const struct record_read_row *r)
{
	static const char	*sql = "INSERT INTO consent_reads (id, consent_id, "
	    "family_pseudonym, actor, actor_role, read_us, reason_ct, record_digest, ledger_seq) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

	return store_record_read_insert(c, sql, "insert consent read", r);
}
