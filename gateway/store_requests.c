/*
 * store_requests.c: the SQL of police and court requests (migration
 * 040_requests.sql): requests, trustee decisions, issued statements, the
 * family's notification and trustee notices; and a request and its
 * decisions as quorum.c counts them (store_request_quorum). Rows carry
 * pseudonyms, codes, field names and sealed blobs only; sealing is the
 * caller's business (vault.h).
 *
 * Writes run in writer jobs on the write connection; reads on any
 * connection. Functions return 0 on success, 1 for "no such row" where that
 * can happen, -1 on error (logged without personal data).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "hex.h"
#include "ledger.h"
#include "log.h"
#include "quorum.h"
#include "store.h"

static void
copy_col(char *dst, size_t len, sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s ? (const char *)s : "");
}

static char *
dup_col(sqlite3_stmt *st, int i)
{
	const unsigned char	*s = sqlite3_column_text(st, i);

	return strdup(s ? (const char *)s : "");
}

/* A malloc'd copy of a blob column (NULL and 0 when the column is NULL);
 * -1 on allocation failure. */
static int
dup_blob(sqlite3_stmt *st, int i, unsigned char **out, size_t *len)
{
	const void	*b = sqlite3_column_blob(st, i);
	int		 n = sqlite3_column_bytes(st, i);

	*out = NULL;
	*len = 0;
	if (b == NULL || sqlite3_column_type(st, i) == SQLITE_NULL)
		return 0;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return -1;
	memcpy(*out, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

static void
col_hash(sqlite3_stmt *st, int i, unsigned char out[32])
{
	const void	*b = sqlite3_column_blob(st, i);

	if (b != NULL && sqlite3_column_bytes(st, i) == 32)
		memcpy(out, b, 32);
	else
		memset(out, 0, 32);
}

/* ---- record digests: SHA-256 of the row as canonical JSON ---- */

static json_t *
blob_json(const unsigned char *b, size_t n)
{
	char	*h;
	json_t	*j;

	if (b == NULL)
		return json_null();
	if ((h = malloc(2 * n + 1)) == NULL)
		return NULL;
	hex_encode(b, n, h);
	j = json_string(h);
	free(h);
	return j;
}

/* SHA-256 of doc dumped compactly with sorted keys; takes doc. 0 or -1. */
static int
digest_json(json_t *doc, unsigned char out[32])
{
	char		*s;
	unsigned int	 n = 32;
	int		 ok;

	if (doc == NULL || (s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENSURE_ASCII)) == NULL) {
		json_decref(doc);
		return -1;
	}
	json_decref(doc);
	ok = EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) == 1 && n == 32;
	free(s);
	return ok ? 0 : -1;
}

int
store_request_digest(const struct request_row *r, unsigned char out[32])
{
	return digest_json(json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o,"
	    " s:s, s:s, s:s, s:s, s:b, s:o, s:i, s:b}",
	    "record", "request/v1", "id", r->id, "created_us", (json_int_t)r->created_us,
	    "agency_id", r->agency_id, "requester", r->requester, "filed_by", r->filed_by,
	    "filed_by_role", r->filed_by_role, "family_pseudonym", r->family_pseudonym,
	    "family_id_ct", blob_json(r->family_id_ct, r->family_id_ctlen),
	    "legal_basis", r->legal_basis,
	    "reference_ct", blob_json(r->reference_ct, r->reference_ctlen),
	    "fields", r->fields, "record_kinds", r->record_kinds,
	    "period_from", r->period_from, "period_to", r->period_to,
	    "do_not_notify", r->do_not_notify,
	    "do_not_notify_reason_ct", blob_json(r->dnn_reason_ct, r->dnn_reason_ctlen),
	    "quorum", r->quorum, "refusal_ends", r->refusal_ends), out);
}

int
store_request_decision_digest(const struct request_decision_row *d, unsigned char out[32])
{
	return digest_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}",
	    "record", "request_decision/v1", "request_id", d->request_id,
	    "trustee", d->trustee, "trustee_role", d->trustee_role, "decision", d->decision,
	    "reason_ct", blob_json(d->reason_ct, d->reason_ctlen),
	    "decided_us", (json_int_t)d->decided_us), out);
}

void
store_request_quorum(const struct request_row *r, const struct request_decision_row *d, int nd,
    struct quorum_config *qc, struct quorum_request *qr, struct quorum_decision *qd)
{
	int	i;

	qc->required = (unsigned)r->quorum;
	qc->refusal_ends = r->refusal_ends;
	qr->requester = r->requester;
	qr->filed_by = r->filed_by;
	for (i = 0; i < nd; i++) {
		qd[i].trustee = d[i].trustee;
		qd[i].vote = strcmp(d[i].decision, "approve") == 0 ? QUORUM_APPROVE :
		    QUORUM_REFUSE;
		qd[i].at_us = d[i].decided_us;
	}
}

/* A read of a request's personal data (058): the digest its request.read
 * entry carries, over the sealed reason, so it cannot be guessed from the
 * reason. */
int
store_request_read_digest(const struct record_read_row *r, unsigned char out[32])
{
	return digest_json(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o}",
	    "record", "request_read/v1", "id", r->id, "request_id", r->object_id,
	    "family_pseudonym", r->family_pseudonym, "actor", r->actor,
	    "actor_role", r->actor_role, "read_us", (json_int_t)r->read_us,
	    "reason_ct", blob_json(r->reason_ct, r->reason_ctlen)), out);
}

/* A closure (058): the digest its request.closed entry carries. */
int
store_request_close_digest(const char *id, int64_t closed_us, const char *closed_by,
    const unsigned char *reason_ct, size_t reason_ctlen, unsigned char out[32])
{
	return digest_json(json_pack("{s:s, s:s, s:I, s:s, s:o}",
	    "record", "request_close/v1", "id", id, "closed_us", (json_int_t)closed_us,
	    "closed_by", closed_by, "close_reason_ct", blob_json(reason_ct, reason_ctlen)), out);
}

/* ---- requests ---- */

int
store_request_insert(struct store_conn *c, const struct request_row *r)
{
	static const char	*sql = "INSERT INTO requests (id, created_us, agency_id, "
	    "requester, filed_by, filed_by_role, family_pseudonym, family_id_ct, legal_basis, "
	    "reference_ct, fields, record_kinds, period_from, period_to, do_not_notify, "
	    "do_not_notify_reason_ct, quorum, refusal_ends, state, record_digest, ledger_seq, "
	    "leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
	    "'awaiting_approval', ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, r->id) || sqlite3_bind_int64(st, 2, r->created_us) ||
	    store_bind_opt_text(st, 3, r->agency_id) || store_bind_opt_text(st, 4, r->requester) ||
	    store_bind_opt_text(st, 5, r->filed_by) || store_bind_opt_text(st, 6, r->filed_by_role) ||
	    store_bind_opt_text(st, 7, r->family_pseudonym) ||
	    store_bind_opt_blob(st, 8, r->family_id_ct, r->family_id_ctlen) ||
	    store_bind_opt_text(st, 9, r->legal_basis) ||
	    store_bind_opt_blob(st, 10, r->reference_ct, r->reference_ctlen) ||
	    store_bind_opt_text(st, 11, r->fields) || store_bind_opt_text(st, 12, r->record_kinds) ||
	    store_bind_opt_text(st, 13, r->period_from) || store_bind_opt_text(st, 14, r->period_to) ||
	    sqlite3_bind_int(st, 15, r->do_not_notify) ||
	    store_bind_opt_blob(st, 16, r->dnn_reason_ct, r->dnn_reason_ctlen) ||
	    sqlite3_bind_int(st, 17, r->quorum) || sqlite3_bind_int(st, 18, r->refusal_ends) ||
	    sqlite3_bind_blob(st, 19, r->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 20, r->ledger_seq) ||
	    sqlite3_bind_blob(st, 21, r->leaf_hash, 32, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert request");
}

#define REQUEST_COLS "id, created_us, agency_id, requester, filed_by, filed_by_role, " \
	"family_pseudonym, family_id_ct, legal_basis, reference_ct, fields, record_kinds, " \
	"period_from, period_to, do_not_notify, do_not_notify_reason_ct, quorum, " \
	"refusal_ends, state, decided_us, closed_us, closed_by, record_digest, ledger_seq, " \
	"leaf_hash, close_reason_ct"

/* A row from a REQUEST_COLS statement, owning its strings and blobs. */
static struct request_row *
request_from(sqlite3_stmt *st)
{
	struct request_row	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	copy_col(r->id, sizeof(r->id), st, 0);
	r->created_us = sqlite3_column_int64(st, 1);
	copy_col(r->agency_id, sizeof(r->agency_id), st, 2);
	copy_col(r->requester, sizeof(r->requester), st, 3);
	copy_col(r->filed_by, sizeof(r->filed_by), st, 4);
	copy_col(r->filed_by_role, sizeof(r->filed_by_role), st, 5);
	copy_col(r->family_pseudonym, sizeof(r->family_pseudonym), st, 6);
	copy_col(r->legal_basis, sizeof(r->legal_basis), st, 8);
	copy_col(r->period_from, sizeof(r->period_from), st, 12);
	copy_col(r->period_to, sizeof(r->period_to), st, 13);
	r->do_not_notify = sqlite3_column_int(st, 14);
	r->quorum = sqlite3_column_int(st, 16);
	r->refusal_ends = sqlite3_column_int(st, 17);
	copy_col(r->state, sizeof(r->state), st, 18);
	r->decided_us = sqlite3_column_int64(st, 19);
	r->closed_us = sqlite3_column_int64(st, 20);
	copy_col(r->closed_by, sizeof(r->closed_by), st, 21);
	col_hash(st, 22, r->record_digest);
	r->ledger_seq = sqlite3_column_int64(st, 23);
	col_hash(st, 24, r->leaf_hash);
	r->owned = 1;
	if ((r->fields = dup_col(st, 10)) == NULL || (r->record_kinds = dup_col(st, 11)) == NULL ||
	    dup_blob(st, 7, (unsigned char **)&r->family_id_ct, &r->family_id_ctlen) != 0 ||
	    dup_blob(st, 9, (unsigned char **)&r->reference_ct, &r->reference_ctlen) != 0 ||
	    dup_blob(st, 15, (unsigned char **)&r->dnn_reason_ct, &r->dnn_reason_ctlen) != 0 ||
	    dup_blob(st, 25, (unsigned char **)&r->close_reason_ct, &r->close_reason_ctlen) != 0) {
		store_request_free(r);
		return NULL;
	}
	return r;
}

void
store_request_free(struct request_row *r)
{
	if (r == NULL || !r->owned)
		return;
	free((char *)r->fields);
	free((char *)r->record_kinds);
	free((unsigned char *)r->family_id_ct);
	free((unsigned char *)r->reference_ct);
	free((unsigned char *)r->dnn_reason_ct);
	free((unsigned char *)r->close_reason_ct);
	free(r);
}

int
store_request_get(struct store_conn *c, const char *id, struct request_row **out)
{
	static const char	*sql = "SELECT " REQUEST_COLS " FROM requests WHERE id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	*out = NULL;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, id))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (*out = request_from(st)) == NULL)
		rc = SQLITE_NOMEM;
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	log_errx("get request: %s", sqlite3_errmsg(store_db(c)));
	return -1;
}

/* Steps a REQUEST_COLS statement, calling fn with each row (freed after). */
static int
each_request(struct store_conn *c, sqlite3_stmt *st,
    int (*fn)(const struct request_row *, void *), void *arg)
{
	struct request_row	*r;
	int			 rc, cb = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = request_from(st)) == NULL) {
			cb = -1;
			break;
		}
		cb = fn(r, arg);
		store_request_free(r);
		if (cb != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return cb > 0 ? 0 : -1;
	if (rc != SQLITE_DONE) {
		log_errx("requests: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_requests_list(struct store_conn *c, const char *agency_id, const char *state,
    int (*fn)(const struct request_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " REQUEST_COLS " FROM requests "
	    "WHERE (?1 IS NULL OR agency_id = ?1) AND (?2 IS NULL OR state = ?2) "
	    "ORDER BY created_us, id";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, agency_id) ||
	    store_bind_opt_text(st, 2, state))
		return store_bind_failed(c, st);
	return each_request(c, st, fn, arg);
}

int
store_requests_of_family(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct request_row *, void *), void *arg)
{
	/* By the family index (migration 040): a family's requests are few. */
	static const char	*sql = "SELECT " REQUEST_COLS " FROM requests "
	    "WHERE family_pseudonym = ? ORDER BY created_us, id";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_request(c, st, fn, arg);
}

int
store_requests_filed(struct store_conn *c, int64_t from_us, int64_t to_us,
    int (*fn)(const struct request_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " REQUEST_COLS " FROM requests "
	    "WHERE created_us >= ?1 AND created_us < ?2 ORDER BY created_us, id";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, from_us) ||
	    sqlite3_bind_int64(st, 2, to_us))
		return store_bind_failed(c, st);
	return each_request(c, st, fn, arg);
}

int
store_request_set_state(struct store_conn *c, const char *id, const char *state,
    int64_t decided_us)
{
	static const char	*sql = "UPDATE requests SET state = ?, decided_us = ? "
	    "WHERE id = ? AND state = 'awaiting_approval'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, state) ||
	    store_bind_opt_int(st, 2, decided_us, 0) ||
	    store_bind_opt_text(st, 3, id))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "set request state") != 0)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

int
store_request_close(struct store_conn *c, const char *id, int64_t when_us, const char *by,
    const unsigned char *reason_ct, size_t reason_ctlen)
{
	static const char	*sql = "UPDATE requests SET state = 'closed', closed_us = ?, "
	    "closed_by = ?, close_reason_ct = ? WHERE id = ? AND state != 'closed'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when_us) ||
	    store_bind_opt_text(st, 2, by) ||
	    store_bind_opt_blob(st, 3, reason_ct, reason_ctlen) ||
	    store_bind_opt_text(st, 4, id))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "close request") != 0)
		return -1;
	if (sqlite3_changes(store_db(c)) != 1)
		return 1;
	/* A do_not_notify hold outliving its request is due for review now:
	 * the investigation it protected has ended (counted overdue until a
	 * safeguarding lead lifts it). */
	static const char	*due = "UPDATE request_notifications SET review_by_us = ?1 "
	    "WHERE request_id = ?2 AND state = 'held' AND "
	    "(review_by_us IS NULL OR review_by_us > ?1)";
	if ((st = store_stmt(c, due)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when_us) || sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "hold due at close") != 0 ? -1 : 0;
}

/* ---- decisions ---- */

int
store_request_decision_insert(struct store_conn *c, const struct request_decision_row *d)
{
	static const char	*sql = "INSERT INTO request_decisions (request_id, trustee, "
	    "trustee_role, decision, reason_ct, decided_us, record_digest, ledger_seq, "
	    "leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, d->request_id) || store_bind_opt_text(st, 2, d->trustee) ||
	    store_bind_opt_text(st, 3, d->trustee_role) || store_bind_opt_text(st, 4, d->decision) ||
	    store_bind_opt_blob(st, 5, d->reason_ct, d->reason_ctlen) ||
	    sqlite3_bind_int64(st, 6, d->decided_us) ||
	    sqlite3_bind_blob(st, 7, d->record_digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 8, d->ledger_seq) ||
	    sqlite3_bind_blob(st, 9, d->leaf_hash, 32, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert request decision");
}

int
store_request_decisions(struct store_conn *c, const char *request_id,
    struct request_decision_row *out, int max)
{
	static const char	*sql = "SELECT trustee, trustee_role, decision, decided_us, "
	    "record_digest, ledger_seq, leaf_hash FROM request_decisions WHERE request_id = ? "
	    "ORDER BY ledger_seq";
	sqlite3_stmt		*st;
	int			 rc, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n >= max) {
			rc = SQLITE_FULL;
			break;
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].request_id = NULL;
		copy_col(out[n].trustee_buf, sizeof(out[n].trustee_buf), st, 0);
		copy_col(out[n].role_buf, sizeof(out[n].role_buf), st, 1);
		copy_col(out[n].decision_buf, sizeof(out[n].decision_buf), st, 2);
		out[n].trustee = out[n].trustee_buf;
		out[n].trustee_role = out[n].role_buf;
		out[n].decision = out[n].decision_buf;
		out[n].decided_us = sqlite3_column_int64(st, 3);
		col_hash(st, 4, out[n].record_digest);
		out[n].ledger_seq = sqlite3_column_int64(st, 5);
		col_hash(st, 6, out[n].leaf_hash);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("request decisions: %s", rc == SQLITE_FULL ? "too many" :
		    sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return n;
}

int
store_request_decision_reasons(struct store_conn *c, const char *request_id,
    unsigned char **ct, size_t *len, int max)
{
	static const char	*sql = "SELECT reason_ct FROM request_decisions "
	    "WHERE request_id = ? ORDER BY ledger_seq";
	sqlite3_stmt		*st;
	int			 rc, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n >= max) {
			rc = SQLITE_FULL;
			break;
		}
		if (dup_blob(st, 0, &ct[n], &len[n]) != 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("request decision reasons: %s", rc == SQLITE_FULL ? "too many" :
		    rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(store_db(c)));
		while (n > 0)
			free(ct[--n]);
		return -1;
	}
	return n;
}

/* ---- statements, notifications, notices ---- */

int
store_request_statement_insert(struct store_conn *c, const char *id, const char *request_id,
    const char *issued_to, const char *issued_role, int64_t issued_us, int records,
    const unsigned char digest[32], int64_t ledger_seq, const unsigned char *reason_ct,
    size_t reason_ctlen)
{
	static const char	*sql = "INSERT INTO request_statements (id, request_id, "
	    "issued_to, issued_role, issued_us, records, statement_digest, ledger_seq, reason_ct) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, id) ||
	    store_bind_opt_text(st, 2, request_id) ||
	    store_bind_opt_text(st, 3, issued_to) ||
	    store_bind_opt_text(st, 4, issued_role) ||
	    sqlite3_bind_int64(st, 5, issued_us) ||
	    sqlite3_bind_int(st, 6, records) ||
	    sqlite3_bind_blob(st, 7, digest, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 8, ledger_seq) ||
	    store_bind_opt_blob(st, 9, reason_ct, reason_ctlen))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert request statement");
}

/* ---- reads of a request's personal data (058) ---- */

int
store_request_read_insert(struct store_conn *c, const struct record_read_row *r)
{
	static const char	*sql = "INSERT INTO request_reads (id, request_id, "
	    "family_pseudonym, actor, actor_role, read_us, reason_ct, record_digest, ledger_seq) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

	return store_record_read_insert(c, sql, "insert request read", r);
}

int
store_request_reads(struct store_conn *c, const char *request_id,
    int (*fn)(const struct record_read_row *, void *), void *arg)
{
	static const char	*sql = "SELECT id, request_id, family_pseudonym, actor, "
	    "actor_role, read_us, reason_ct, record_digest, ledger_seq FROM request_reads "
	    "WHERE request_id = ? ORDER BY read_us, id";
	struct record_read_row	 r;
	sqlite3_stmt		*st;
	int			 rc, cb = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = (const char *)sqlite3_column_text(st, 0);
		r.object_id = (const char *)sqlite3_column_text(st, 1);
		r.family_pseudonym = (const char *)sqlite3_column_text(st, 2);
		r.actor = (const char *)sqlite3_column_text(st, 3);
		r.actor_role = (const char *)sqlite3_column_text(st, 4);
		r.read_us = sqlite3_column_int64(st, 5);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			r.reason_ct = sqlite3_column_blob(st, 6);
			r.reason_ctlen = (size_t)sqlite3_column_bytes(st, 6);
		}
		col_hash(st, 7, r.record_digest);
		r.ledger_seq = sqlite3_column_int64(st, 8);
		if (r.id == NULL || r.actor == NULL || r.actor_role == NULL ||
		    r.family_pseudonym == NULL)
			continue;
		if ((cb = fn(&r, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return cb > 0 ? 0 : -1;
	if (rc != SQLITE_DONE) {
		log_errx("request reads: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_request_notification_insert(struct store_conn *c, const char *request_id,
    const char *pseudonym, const unsigned char *family_id_ct, size_t ctlen,
    const char *state, int64_t created_us, int64_t review_by_us)
{
	static const char	*sql = "INSERT INTO request_notifications (request_id, "
	    "family_pseudonym, family_id_ct, state, created_us, review_by_us) "
	    "VALUES (?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id) ||
	    store_bind_opt_text(st, 2, pseudonym) ||
	    store_bind_opt_blob(st, 3, family_id_ct, ctlen) ||
	    store_bind_opt_text(st, 4, state) ||
	    sqlite3_bind_int64(st, 5, created_us) ||
	    store_bind_opt_int(st, 6, review_by_us, 0))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert request notification");
}

int
store_request_notification_state(struct store_conn *c, const char *request_id,
    char state[16], int64_t *lifted_us)
{
	static const char	*sql = "SELECT state, lifted_us FROM request_notifications "
	    "WHERE request_id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_col(state, 16, st, 0);
		if (lifted_us != NULL)
			*lifted_us = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? 1 : -1;
}

int
store_request_notification_review_by(struct store_conn *c, const char *request_id,
    int64_t *review_by_us)
{
	static const char	*sql = "SELECT COALESCE(review_by_us, 0) FROM request_notifications "
	    "WHERE request_id = ?";
	sqlite3_stmt		*st;
	int			 rc;

	*review_by_us = 0;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*review_by_us = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_request_notification_lift(struct store_conn *c, const char *request_id,
    int64_t when_us, const char *by, const unsigned char *reason_ct, size_t reason_ctlen)
{
	static const char	*sql = "UPDATE request_notifications SET state = 'queued', "
	    "lifted_us = ?1, lifted_by = ?2, next_attempt_us = ?3, lift_reason_ct = ?5 "
	    "WHERE request_id = ?4 AND state = 'held'";
	char			 state[16];
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_request_notification_state(c, request_id, state, NULL)) != 0)
		return rc;
	if (strcmp(state, "held") != 0)
		return 2;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when_us) ||
	    store_bind_opt_text(st, 2, by) ||
	    sqlite3_bind_int64(st, 3, when_us) ||
	    store_bind_opt_text(st, 4, request_id) ||
	    store_bind_opt_blob(st, 5, reason_ct, reason_ctlen))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "lift request notification");
}

const char store_sql_request_notifications_due[] =
    "SELECT n.request_id, n.family_pseudonym, n.family_id_ct, "
    "n.attempts, r.agency_id, r.legal_basis, r.fields, "
    "COALESCE(r.decided_us, n.created_us) FROM request_notifications n "
    "JOIN requests r ON r.id = n.request_id "
    "WHERE n.state = 'queued' AND n.next_attempt_us <= ?1 "
    "ORDER BY n.next_attempt_us, n.created_us LIMIT ?2";

int
store_request_notifications_due(struct store_conn *c, int64_t now_us, struct notice *out,
    int max)
{
	const char		*sql = store_sql_request_notifications_due;
	sqlite3_stmt		*st;
	int			 rc = SQLITE_DONE, n = 0;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notice	*x = &out[n];
		size_t		 len;

		memset(x, 0, sizeof(*x));
		copy_col(x->disclosure_id, sizeof(x->disclosure_id), st, 0);
		copy_col(x->family_pseudonym, sizeof(x->family_pseudonym), st, 1);
		x->attempts = sqlite3_column_int(st, 3);
		copy_col(x->agency_id, sizeof(x->agency_id), st, 4);
		copy_col(x->purpose, sizeof(x->purpose), st, 5);
		x->created_us = sqlite3_column_int64(st, 7);
		x->request = 1;
		if ((x->fields_json = dup_col(st, 6)) == NULL ||
		    dup_blob(st, 2, &x->family_id_ct, &len) != 0) {
			store_notices_free(out, n + 1);
			sqlite3_reset(st);
			return -1;
		}
		x->family_id_ctlen = len;
		n++;
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE) {
		log_errx("due request notifications: %s", sqlite3_errmsg(store_db(c)));
		store_notices_free(out, n);
		return -1;
	}
	return n;
}

int
store_request_notification_sent(struct store_conn *c, const char *request_id, int64_t when_us,
    int status)
{
	static const char	*sql = "UPDATE request_notifications SET state = 'sent', "
	    "sent_us = ?2, last_status = ?3, attempts = attempts + 1 "
	    "WHERE request_id = ?1 AND state = 'queued'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id) ||
	    sqlite3_bind_int64(st, 2, when_us) ||
	    sqlite3_bind_int(st, 3, status))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "request notification sent") != 0)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

int
store_request_notification_retry(struct store_conn *c, const char *request_id,
    int64_t next_attempt_us, int status, int give_up)
{
	static const char	*sql = "UPDATE request_notifications SET attempts = attempts + 1, "
	    "next_attempt_us = ?2, last_status = ?3, "
	    "state = CASE WHEN ?4 THEN 'failed' ELSE state END "
	    "WHERE request_id = ?1 AND state = 'queued'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id) ||
	    sqlite3_bind_int64(st, 2, next_attempt_us) ||
	    sqlite3_bind_int(st, 3, status) ||
	    sqlite3_bind_int(st, 4, give_up != 0))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "request notification retry") != 0)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

int
store_trustee_notice_insert(struct store_conn *c, const char *request_id, const char *kind,
    const char *message, int64_t now_us)
{
	static const char	*sql = "INSERT INTO trustee_notices (request_id, created_us, "
	    "kind, message) VALUES (?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, request_id) ||
	    sqlite3_bind_int64(st, 2, now_us) ||
	    store_bind_opt_text(st, 3, kind) ||
	    store_bind_opt_text(st, 4, message))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert trustee notice");
}

int
store_requests_count(struct store_conn *c, const char *state, int64_t *count)
{
	static const char	*sql = "SELECT count(*) FROM requests WHERE state = ?";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, state))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_requests_approved_before(struct store_conn *c, int64_t before_us,
    int (*fn)(const struct request_row *, void *), void *arg)
{
	static const char	*sql = "SELECT " REQUEST_COLS " FROM requests "
	    "WHERE state = 'approved' AND decided_us < ? ORDER BY created_us, id";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, before_us))
		return store_bind_failed(c, st);
	return each_request(c, st, fn, arg);
}

/* ---- the ledger, as a statement reads it ---- */

/* Steps an entries statement (seq, time_us, actor, actor_role, action,
 * family_pseudonym, object_id, reason, record_digest, leaf_hash), calling
 * fn per row with borrowed pointers. */
static int
each_entry(struct store_conn *c, sqlite3_stmt *st, store_ledger_entry_fn fn, void *arg)
{
	struct ledger_record	 r;
	unsigned char		 digest[32], leaf[32];
	int			 rc, cb = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.seq = sqlite3_column_int64(st, 0);
		r.time_us = sqlite3_column_int64(st, 1);
		r.e.actor = (const char *)sqlite3_column_text(st, 2);
		r.e.actor_role = (const char *)sqlite3_column_text(st, 3);
		r.e.action = (const char *)sqlite3_column_text(st, 4);
		r.e.family_pseudonym = (const char *)sqlite3_column_text(st, 5);
		r.e.object_id = (const char *)sqlite3_column_text(st, 6);
		r.e.reason = (const char *)sqlite3_column_text(st, 7);
		if (sqlite3_column_type(st, 8) == SQLITE_BLOB && sqlite3_column_bytes(st, 8) == 32) {
			memcpy(digest, sqlite3_column_blob(st, 8), 32);
			r.e.record_digest = digest;
		}
		col_hash(st, 9, leaf);
		if (r.e.actor == NULL || r.e.actor_role == NULL || r.e.action == NULL) {
			cb = -1;
			break;
		}
		if ((cb = fn(&r, leaf, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (cb != 0)
		return cb > 0 ? 0 : -1;
	if (rc != SQLITE_DONE) {
		log_errx("ledger entries: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

/* A consent's own entries, through ledger_entries_consent (migration 074):
 * the consent's few rows, in seq order without a sort, however many
 * entries its family has (tests/unit/test_store_plans.c). Every disclosure
 * decided on a consent reads them (consent_signed.c). */
const char store_sql_consent_entries[] =
    "SELECT seq, time_us, actor, actor_role, action, "
    "family_pseudonym, object_id, reason, record_digest, leaf_hash FROM ledger_entries "
    "WHERE family_pseudonym = ? AND object_id = ? "
    "AND action IN ('consent.recorded', 'consent.withdrawn', 'consent.limited') ORDER BY seq";

int
store_consent_entries(struct store_conn *c, const char *pseudonym, const char *consent_id,
    store_ledger_entry_fn fn, void *arg)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_consent_entries)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, consent_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_entry(c, st, fn, arg);
}

/* A breach's own entries, through ledger_entries_breach (migration 076):
 * the breach's few rows, in seq order without a sort, however long the
 * ledger (tests/unit/test_store_plans.c). Every view of the register and
 * every decision on a breach reads them (breach_signed.c). */
const char store_sql_breach_entries[] =
    "SELECT seq, time_us, actor, actor_role, action, "
    "family_pseudonym, object_id, reason, record_digest, leaf_hash FROM ledger_entries "
    "WHERE object_id = ? AND action IN ('breach.recorded', 'breach.amended', "
    "'breach.decided', 'breach.individuals_notified') ORDER BY seq";

int
store_breach_entries(struct store_conn *c, const char *breach_id, store_ledger_entry_fn fn,
    void *arg)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_breach_entries)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, breach_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_entry(c, st, fn, arg);
}

int
store_ledger_entries_after(struct store_conn *c, int64_t seq, int max,
    store_ledger_entry_fn fn, void *arg)
{
	static const char	*sql = "SELECT seq, time_us, actor, actor_role, action, "
	    "family_pseudonym, object_id, reason, record_digest, leaf_hash FROM ledger_entries "
	    "WHERE seq > ? ORDER BY seq LIMIT ?";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, seq) || sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	return each_entry(c, st, fn, arg);
}

/* A family's entries of one action through the family index, in its order
 * (time_us: no sort); the action is not in the index, so the family's other
 * entries are read and passed over, which a family's few hundred at most
 * make cheap. */
const char store_sql_family_entries[] =
    "SELECT seq, time_us, actor, actor_role, action, family_pseudonym, object_id, reason, "
    "record_digest, leaf_hash FROM ledger_entries WHERE family_pseudonym = ? AND action = ? "
    "ORDER BY time_us";

static int
family_entries(struct store_conn *c, const char *pseudonym, const char *action,
    store_ledger_entry_fn fn, void *arg)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_family_entries)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, action, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_entry(c, st, fn, arg);
}

int
store_family_told_entries(struct store_conn *c, const char *pseudonym,
    store_ledger_entry_fn fn, void *arg)
{
	return family_entries(c, pseudonym, "breach.family_told", fn, arg);
}

/* Every breach.recorded entry without its breach row, through the same
 * index (the register's entries only, not the ledger): in no order, which
 * the planner would otherwise buy by reading the whole ledger in seq order
 * (tests/unit/test_store_plans.c). */
const char store_sql_breach_recordings[] =
    "SELECT e.seq, e.time_us, e.actor, e.actor_role, e.action, e.family_pseudonym, "
    "e.object_id, e.reason, e.record_digest, e.leaf_hash FROM ledger_entries e "
    "WHERE e.action IN ('breach.recorded', 'breach.amended', 'breach.decided', "
    "'breach.individuals_notified') AND e.action = 'breach.recorded' "
    "AND NOT EXISTS (SELECT 1 FROM breaches b WHERE b.id = e.object_id "
    "AND b.ledger_seq = e.seq)";

int
store_breach_recordings_without_row(struct store_conn *c, store_ledger_entry_fn fn, void *arg)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_breach_recordings)) == NULL)
		return -1;
	return each_entry(c, st, fn, arg);
}

int
store_object_entries(struct store_conn *c, const char *pseudonym, const char *object_id,
    store_ledger_entry_fn fn, void *arg)
{
	static const char	*sql = "SELECT seq, time_us, actor, actor_role, action, "
	    "family_pseudonym, object_id, reason, record_digest, leaf_hash FROM ledger_entries "
	    "WHERE family_pseudonym = ? AND object_id = ? ORDER BY seq";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, object_id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return each_entry(c, st, fn, arg);
}

/* A family's legal_hold.placed entries, as its request.filed entries below
 * (legal_hold_signed.c). */
int
store_legal_hold_placements(struct store_conn *c, const char *pseudonym,
    store_ledger_entry_fn fn, void *arg)
{
	return family_entries(c, pseudonym, "legal_hold.placed", fn, arg);
}

/* A family's request.filed entries through the family index (the action is
 * not in it: the family's other entries are read and passed over, which a
 * family's few hundred at most make cheap), each row by its primary key;
 * by time_us, the index's order (no sort): tests/unit/test_store_plans.c. */
const char store_sql_request_filings[] =
    "SELECT e.seq, e.time_us, e.actor, e.actor_role, e.action, e.family_pseudonym, "
    "e.object_id, e.reason, e.record_digest, e.leaf_hash, EXISTS (SELECT 1 FROM requests r "
    "WHERE r.id = e.object_id AND r.family_pseudonym = e.family_pseudonym) "
    "FROM ledger_entries e WHERE e.family_pseudonym = ? AND e.action = 'request.filed' "
    "ORDER BY e.time_us";

struct filing_walk {
	sqlite3_stmt	*st;
	int		(*fn)(const struct ledger_record *, int, void *);
	void		*arg;
};

static int
filing_row(const struct ledger_record *r, const unsigned char *leaf, void *arg)
{
	struct filing_walk	*w = arg;

	(void)leaf;	/* a column like the others: the caller recomputes it */
	return w->fn(r, sqlite3_column_int(w->st, 10) != 0, w->arg);
}

int
store_request_filings(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct ledger_record *, int has_row, void *), void *arg)
{
	struct filing_walk	 w = { NULL, fn, arg };

	if ((w.st = store_stmt(c, store_sql_request_filings)) == NULL)
		return -1;
	if (sqlite3_bind_text(w.st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, w.st);
	return each_entry(c, w.st, filing_row, &w);
}

/* A family's disclosure.allowed entries, as its request.filed entries
 * above (the same index, the same walk), each with whether a disclosure
 * row of its object id names that family now (disclosure_signed.h
 * disclosure_allowances_signed): tests/unit/test_store_plans.c. */
const char store_sql_disclosure_allowances[] =
    "SELECT e.seq, e.time_us, e.actor, e.actor_role, e.action, e.family_pseudonym, "
    "e.object_id, e.reason, e.record_digest, e.leaf_hash, EXISTS (SELECT 1 FROM disclosures d "
    "WHERE d.id = e.object_id AND d.family_pseudonym = e.family_pseudonym) "
    "FROM ledger_entries e WHERE e.family_pseudonym = ? AND e.action = 'disclosure.allowed' "
    "ORDER BY e.time_us";

int
store_disclosure_allowances(struct store_conn *c, const char *pseudonym,
    int (*fn)(const struct ledger_record *, int has_row, void *), void *arg)
{
	struct filing_walk	 w = { NULL, fn, arg };

	if ((w.st = store_stmt(c, store_sql_disclosure_allowances)) == NULL)
		return -1;
	if (sqlite3_bind_text(w.st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, w.st);
	return each_entry(c, w.st, filing_row, &w);
}
