/*
 * store_delivery.c: the deliveries and delivery_attempts tables (migration
 * 030): the outbox the delivery worker drains, the pull inbox, and the
 * history of every attempt, read, ack and re-queue. Only ids, states,
 * times, statuses and digests live here; the content is built from the
 * sealed disclosure when it is sent or served.
 *
 * State changes are guarded by the state they expect (UPDATE ... WHERE
 * state = 'pending'), so a late result can never overwrite what an operator
 * or an ack did in between: the caller learns it from the return value.
 */
#include <string.h>

#include "log.h"
#include "store.h"

#define DELIVERY_COLS	"disclosure_id, agency_id, family_pseudonym, mode, state, " \
			"created_us, attempts, next_attempt_us, last_attempt_us, " \
			"last_status, last_error, delivered_us, dead_us, dead_reason, " \
			"requeues, reads"

static void
row_from(sqlite3_stmt *st, struct delivery_row *r)
{
	store_copy_text(r->disclosure_id, sizeof(r->disclosure_id), sqlite3_column_text(st, 0));
	store_copy_text(r->agency_id, sizeof(r->agency_id), sqlite3_column_text(st, 1));
	store_copy_text(r->family_pseudonym, sizeof(r->family_pseudonym), sqlite3_column_text(st, 2));
	store_copy_text(r->mode, sizeof(r->mode), sqlite3_column_text(st, 3));
	store_copy_text(r->state, sizeof(r->state), sqlite3_column_text(st, 4));
	r->created_us = sqlite3_column_int64(st, 5);
	r->attempts = sqlite3_column_int(st, 6);
	r->next_attempt_us = sqlite3_column_int64(st, 7);
	r->last_attempt_us = sqlite3_column_int64(st, 8);
	r->last_status = sqlite3_column_int(st, 9);
	store_copy_text(r->last_error, sizeof(r->last_error), sqlite3_column_text(st, 10));
	r->delivered_us = sqlite3_column_int64(st, 11);
	r->dead_us = sqlite3_column_int64(st, 12);
	store_copy_text(r->dead_reason, sizeof(r->dead_reason), sqlite3_column_text(st, 13));
	r->requeues = sqlite3_column_int(st, 14);
	r->reads = sqlite3_column_int(st, 15);
}

/* Steps an UPDATE guarded by state: 0 one row changed, 1 none, -1 error. */
static int
step_guarded(struct store_conn *c, sqlite3_stmt *st, const char *what)
{
	if (store_step_done(c, st, what) == -1)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : 1;
}

/* Reads up to max rows of a prepared SELECT of DELIVERY_COLS. */
static int
rows_from(struct store_conn *c, sqlite3_stmt *st, struct delivery_row *out, int max,
    const char *what)
{
	int	n = 0, rc = SQLITE_DONE;

	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		row_from(st, &out[n++]);
	if (n < max && rc != SQLITE_DONE) {
		log_errx("%s: %s", what, sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return n;
}

int
store_delivery_enqueue(struct store_conn *c, const char *id, const char *agency,
    const char *pseudonym, const char *mode, int64_t created_us, int awaits_notice)
{
	static const char	*sql = "INSERT INTO deliveries (disclosure_id, agency_id, "
				    "family_pseudonym, mode, state, created_us, next_attempt_us) "
				    "VALUES (?, ?, ?, ?, 'pending', ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, agency, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, mode, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, created_us) ||
	    sqlite3_bind_int64(st, 6, awaits_notice ? DELIVERY_AWAITS_NOTICE : created_us))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "enqueue delivery");
}

/* Runs sql, an UPDATE of delivery id's row while it waits for the family's
 * notice (?1 the id, ?2 when, ?3 the marker): rows changed (0 or 1), or -1. */
static int
awaiting_update(struct store_conn *c, const char *sql, const char *id, int64_t when,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, when) ||
	    sqlite3_bind_int64(st, 3, DELIVERY_AWAITS_NOTICE))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, what) != 0)
		return -1;
	return sqlite3_changes(store_db(c));
}

int
store_delivery_release_after_notice(struct store_conn *c, const char *id, int64_t now_us)
{
	return awaiting_update(c, "UPDATE deliveries SET next_attempt_us = ?2 "
	    "WHERE disclosure_id = ?1 AND state = 'pending' AND next_attempt_us = ?3",
	    id, now_us, "release delivery");
}

/* The failed notifications (a few: each one an operator's to look at),
 * each delivery by its key; the unary + keeps SQLite off deliveries_state,
 * a walk of every pending delivery (test_store_plans). */
const char store_sql_given_up_notice_oldest[] =
    "SELECT min(n.created_us) FROM notifications n "
    "JOIN deliveries d ON d.disclosure_id = n.disclosure_id "
    "WHERE n.state = 'failed' AND +d.state = 'pending' "
    "AND +d.next_attempt_us = " DELIVERY_AWAITS_NOTICE_SQL;

int
store_deliveries_oldest_given_up_notice(struct store_conn *c, int64_t *created_us)
{
	sqlite3_stmt		*st;
	int			 rc, found;

	if ((st = store_stmt(c, store_sql_given_up_notice_oldest)) == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		log_errx("deliveries waiting on a given-up notice: %s", sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	found = sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (found)
		*created_us = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return found ? 0 : 1;
}

/* By the few failed notifications' keys, as store_sql_given_up_notice_oldest. */
const char store_sql_given_up_notices_release[] =
    "UPDATE deliveries SET next_attempt_us = ?1 "
    "WHERE +state = 'pending' AND +next_attempt_us = ?2 "
    "AND disclosure_id IN (SELECT disclosure_id FROM notifications "
    "WHERE state = 'failed' AND created_us <= ?3)";

int
store_deliveries_release_given_up_notices(struct store_conn *c, int64_t created_by_us,
    int64_t now_us)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_given_up_notices_release)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_int64(st, 2, DELIVERY_AWAITS_NOTICE) ||
	    sqlite3_bind_int64(st, 3, created_by_us))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "release deliveries after given-up notices") != 0)
		return -1;
	return sqlite3_changes(store_db(c));
}

int
store_delivery_stop_awaiting_notice(struct store_conn *c, const char *id, int64_t when)
{
	/* next_attempt_us is left as it is: the row stays marked as never
	 * released (disclosure_api.c keeps it from the agency by that). */
	return awaiting_update(c, "UPDATE deliveries SET state = 'dead', dead_us = ?2, "
	    "dead_reason = '" DELIVERY_FAMILY_ERASED "' "
	    "WHERE disclosure_id = ?1 AND state = 'pending' AND next_attempt_us = ?3",
	    id, when, "stop delivery awaiting notice");
}

/* One round of st (bound; columns: a disclosure id, the rowid to go on
 * after): up to 64 ids into ids, *after moved to the last row's, st reset
 * before anything changes the rows it read. The count, or -1 (label in the
 * log). */
static int
id_round(struct store_conn *c, sqlite3_stmt *st, char ids[64][40], sqlite3_int64 *after,
    const char *label)
{
	int	n, rc = SQLITE_DONE;

	for (n = 0; n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
		store_copy_text(ids[n], sizeof(ids[n]), sqlite3_column_text(st, 0));
		*after = sqlite3_column_int64(st, 1);
	}
	if (n < 64 && rc != SQLITE_DONE) {
		log_errx("%s: %s", label, sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return n;
}

/* The family's deliveries still waiting for its notice, through the
 * family's index of disclosures (as store_sql_stoppable), each delivery by
 * its key: the family's few rows, never the outbox. ?1 the family, ?2 the
 * rowid to go on after (0: from the first). */
const char store_sql_awaiting_notice[] =
    "SELECT d.disclosure_id, x.rowid FROM disclosures x "
    "INDEXED BY disclosures_family "
    "JOIN deliveries d ON d.disclosure_id = x.id "
    "WHERE x.family_pseudonym = ? AND x.rowid > ? AND d.state = 'pending' "
    "AND d.next_attempt_us = " DELIVERY_AWAITS_NOTICE_SQL " ORDER BY x.rowid LIMIT 64";

int
store_deliveries_stop_awaiting_notice(struct store_conn *c, const char *pseudonym,
    int64_t when, int (*fn)(const char *, void *), void *arg)
{
	char			 ids[64][40];
	sqlite3_stmt		*st;
	sqlite3_int64		 after = 0;
	int			 n, i, rc, total = 0;

	/* In rounds of up to 64, as store_deliveries_stop_for_consent: no
	 * statement is stepped while another changes the rows it reads. */
	do {
		if ((st = store_stmt(c, store_sql_awaiting_notice)) == NULL)
			return -1;
		if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int64(st, 2, after))
			return store_bind_failed(c, st);
		if ((n = id_round(c, st, ids, &after, "deliveries awaiting notice")) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if ((rc = store_delivery_stop_awaiting_notice(c, ids[i], when)) < 0)
				return -1;
			if (rc == 1 && fn(ids[i], arg) != 0)
				return -1;
			total += rc;
		}
	} while (n == 64);
	return total;
}

int
store_deliveries_release_all_awaiting(struct store_conn *c, int64_t now_us)
{
	static const char	*sql = "UPDATE deliveries SET next_attempt_us = ?1 "
				    "WHERE state = 'pending' AND next_attempt_us = ?2";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) || sqlite3_bind_int64(st, 2, DELIVERY_AWAITS_NOTICE))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "release deliveries") != 0)
		return -1;
	return sqlite3_changes(store_db(c));
}

int
store_delivery_get(struct store_conn *c, const char *id, struct delivery_row *r)
{
	static const char	*sql = "SELECT " DELIVERY_COLS " FROM deliveries "
				    "WHERE disclosure_id = ?";
	sqlite3_stmt		*st;
	int			 n;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((n = rows_from(c, st, r, 1, "get delivery")) < 0)
		return -1;
	return n == 1 ? 0 : 1;
}

int
store_deliveries_due(struct store_conn *c, int64_t now_us, struct delivery_row *out, int max)
{
	/* INDEXED BY: with no statistics the planner took deliveries_state
	 * and read every pending row, the whole of every pull inbox too, on
	 * each poll (1.5 cores with a million undelivered inbox rows). */
	static const char	*sql = "SELECT " DELIVERY_COLS " FROM deliveries "
				    "INDEXED BY deliveries_due "
				    "WHERE state = 'pending' AND mode = 'push' AND next_attempt_us <= ? "
				    "ORDER BY next_attempt_us, disclosure_id LIMIT ?";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	return rows_from(c, st, out, max, "deliveries due");
}

int
store_delivery_next_due(struct store_conn *c, int64_t after_us, int64_t *when)
{
	static const char	*sql = "SELECT min(next_attempt_us) FROM deliveries "
				    "INDEXED BY deliveries_due "
				    "WHERE state = 'pending' AND mode = 'push' AND next_attempt_us > ?";
	sqlite3_stmt		*st;
	int			 rc, ret = -1;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, after_us))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_NULL)
			ret = 1;
		else {
			*when = sqlite3_column_int64(st, 0);
			ret = 0;
		}
	} else
		log_errx("next due: %s", sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return ret;
}

int
store_delivery_event(struct store_conn *c, const struct delivery_event *e)
{
	static const char	*sql = "INSERT INTO delivery_attempts (disclosure_id, attempt, "
				    "kind, actor, started_us, finished_us, http_status, fault, detail, "
				    "outcome, next_attempt_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, e->disclosure_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 2, e->attempt) ||
	    sqlite3_bind_text(st, 3, e->kind, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, e->actor, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, e->started_us) ||
	    sqlite3_bind_int64(st, 6, e->finished_us) ||
	    sqlite3_bind_int(st, 7, e->http_status) ||
	    sqlite3_bind_text(st, 8, e->fault, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 9, e->detail, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 10, e->outcome, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 11, e->next_attempt_us))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "delivery event");
}

int
store_delivery_delivered(struct store_conn *c, const char *id, int attempts, int64_t when,
    int status, const unsigned char sha[32])
{
	/* Whatever the row's mode now: an agency switched to pull (SIGHUP,
	 * store_deliveries_follow_mode) while this push was in flight has
	 * still received it, and its receipt is the record (mode back to
	 * push, out of the inbox). */
	static const char	*sql = "UPDATE deliveries SET state = 'delivered', mode = 'push', "
				    "attempts = ?, last_attempt_us = ?, last_status = ?, "
				    "last_error = NULL, delivered_us = ?, body_sha256 = ? "
				    "WHERE disclosure_id = ? AND state = 'pending'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, attempts) ||
	    sqlite3_bind_int64(st, 2, when) ||
	    sqlite3_bind_int(st, 3, status) ||
	    sqlite3_bind_int64(st, 4, when) ||
	    sqlite3_bind_blob(st, 5, sha, 32, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return step_guarded(c, st, "delivered");
}

int
store_delivery_retry(struct store_conn *c, const char *id, int attempts, int64_t when,
    int status, const char *fault, int64_t next_us)
{
	static const char	*sql = "UPDATE deliveries SET attempts = ?, last_attempt_us = ?, "
				    "last_status = ?, last_error = ?, next_attempt_us = ? "
				    "WHERE disclosure_id = ? AND state = 'pending' AND mode = 'push'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, attempts) ||
	    sqlite3_bind_int64(st, 2, when) ||
	    sqlite3_bind_int(st, 3, status) ||
	    sqlite3_bind_text(st, 4, fault, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, next_us) ||
	    sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return step_guarded(c, st, "retry");
}

int
store_delivery_dead(struct store_conn *c, const char *id, int attempts, int64_t when,
    int status, const char *fault, const char *reason)
{
	static const char	*sql = "UPDATE deliveries SET state = 'dead', attempts = ?, "
				    "last_attempt_us = ?, last_status = ?, last_error = ?, "
				    "dead_us = ?, dead_reason = ? "
				    "WHERE disclosure_id = ? AND state = 'pending' AND mode = 'push'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, attempts) ||
	    sqlite3_bind_int64(st, 2, when) ||
	    sqlite3_bind_int(st, 3, status) ||
	    sqlite3_bind_text(st, 4, fault, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, when) ||
	    sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return step_guarded(c, st, "dead");
}

int
store_delivery_after_stop(struct store_conn *c, const char *id, int attempts, int64_t when,
    int status, const char *fault, const unsigned char sha[32])
{
	static const char	*sql = "UPDATE deliveries SET attempts = ?1, "
				    "last_attempt_us = ?2, last_status = ?3, last_error = ?4, "
				    "delivered_us = CASE WHEN ?5 IS NULL THEN delivered_us ELSE ?2 END, "
				    "body_sha256 = coalesce(?5, body_sha256) "
				    "WHERE disclosure_id = ?6 AND state = 'dead' AND dead_reason IN ('"
				    DELIVERY_CONSENT_WITHDRAWN "', '" DELIVERY_CONSENT_EXPIRED "') "
				    "AND mode = 'push' AND attempts < ?1";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, attempts) ||
	    sqlite3_bind_int64(st, 2, when) ||
	    sqlite3_bind_int(st, 3, status) ||
	    sqlite3_bind_text(st, 4, fault, -1, SQLITE_STATIC) ||
	    (sha != NULL ? sqlite3_bind_blob(st, 5, sha, 32, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 5)) ||
	    sqlite3_bind_text(st, 6, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return step_guarded(c, st, "answered after a stop");
}

int
store_delivery_requeue(struct store_conn *c, const char *id, int64_t when, const char *by)
{
	/* As a push, whatever its mode was: gatewayctl does not know the
	 * profiles in force, the worker does (a pull dead letter, an inbox
	 * item whose agency was gone, might otherwise wait in the inbox of an
	 * agency still gone or now push; the worker moves it to the inbox of
	 * a pull agency, as follow_modes does). */
	static const char	*sql = "UPDATE deliveries SET state = 'pending', mode = 'push', "
				    "attempts = 0, next_attempt_us = ?, dead_us = 0, dead_reason = NULL, "
				    "requeues = requeues + 1 WHERE disclosure_id = ? AND state = 'dead'";
	struct delivery_row	 r;
	struct delivery_event	 e;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_delivery_get(c, id, &r)) != 0)
		return rc;
	if (strcmp(r.state, "dead") != 0)
		return 2;
	if (store_delivery_stopped_by_consent(r.state, r.dead_reason))
		return 3;	/* the consent ended (withdrawn, expired): never sent again */
	if ((rc = store_family_key_state(c, r.family_pseudonym)) == -1)
		return -1;
	if (rc != 1)
		return 4;	/* erased or expired: its body cannot be made */
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when) ||
	    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = step_guarded(c, st, "requeue")) != 0)
		return rc == 1 ? 2 : -1;
	memset(&e, 0, sizeof(e));
	e.disclosure_id = id;
	e.kind = "requeue";
	e.actor = by;
	e.started_us = e.finished_us = e.next_attempt_us = when;
	e.outcome = "requeued";
	return store_delivery_event(c, &e);
}

/* Reads re-queue rows (sql: its columns id, object id, family pseudonym,
 * actor, time; one parameter, the limit) into out: a delivery's and a
 * notice push's re-queues alike. Count or -1 (logged, what naming them). */
int
store_requeue_rows(struct store_conn *c, const char *sql, const char *what,
    struct requeue_row *out, int max)
{
	sqlite3_stmt	*st;
	int		 n = 0, rc = SQLITE_DONE;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].id = sqlite3_column_int64(st, 0);
		store_copy_text(out[n].object_id, sizeof(out[n].object_id),
		    sqlite3_column_text(st, 1));
		store_copy_text(out[n].family_pseudonym, sizeof(out[n].family_pseudonym),
		    sqlite3_column_text(st, 2));
		store_copy_text(out[n].actor, sizeof(out[n].actor), sqlite3_column_text(st, 3));
		out[n].at_us = sqlite3_column_int64(st, 4);
		n++;
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE) {
		log_errx("%s: %s", what, sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return n;
}

int
store_requeues_unledgered(struct store_conn *c, struct requeue_row *out, int max)
{
	static const char	sql[] = "SELECT a.id, a.disclosure_id, d.family_pseudonym, a.actor, "
				    "a.finished_us FROM delivery_attempts a "
				    "INDEXED BY delivery_requeues_unledgered "
				    "JOIN deliveries d ON d.disclosure_id = a.disclosure_id "
				    "WHERE a.kind = 'requeue' AND a.ledger_seq IS NULL "
				    "ORDER BY a.id LIMIT ?";

	return store_requeue_rows(c, sql, "unledgered re-queues", out, max);
}

int
store_requeue_unledgered(struct store_conn *c, const char *id)
{
	static const char	*sql = "SELECT count(*) FROM delivery_attempts "
				    "WHERE disclosure_id = ? AND kind = 'requeue' AND ledger_seq IS NULL";
	sqlite3_stmt		*st;
	int			 rc, n = -1;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0) > 0;
	else
		log_errx("re-queue of %s: %s", id, sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return n;
}

int
store_requeue_ledgered(struct store_conn *c, int64_t id, int64_t seq)
{
	static const char	*sql = "UPDATE delivery_attempts SET ledger_seq = ? "
				    "WHERE id = ? AND kind = 'requeue' AND ledger_seq IS NULL";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, seq) || sqlite3_bind_int64(st, 2, id))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "re-queue ledgered") != 0)
		return -1;
	return sqlite3_changes(store_db(c)) == 1 ? 0 : -1;
}

/* The attempt count is kept across a switch either way: it is what a
 * family's notice reads as "may have been received" (store_disclosures.c),
 * and a push sent before a switch may have been. */
int
store_deliveries_follow_mode(struct store_conn *c, const char *agency_id, const char *mode,
    int64_t now)
{
	static const char	*sql = "UPDATE deliveries SET mode = ?2, state = 'pending', "
				    "next_attempt_us = CASE WHEN state = 'pending' AND "
				    "next_attempt_us = ?4 THEN ?4 ELSE ?3 END, "
				    "dead_us = 0, dead_reason = NULL "
				    "WHERE agency_id = ?1 AND mode != ?2 AND (state = 'pending' OR "
				    "(state = 'dead' AND dead_reason = 'agency_not_push'))";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, agency_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, now) ||
	    sqlite3_bind_int64(st, 4, DELIVERY_AWAITS_NOTICE))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "follow delivery mode") != 0)
		return -1;
	return sqlite3_changes(store_db(c));
}

int
store_deliveries_next_pending_agency(struct store_conn *c, const char *after, char *out,
    size_t outlen)
{
	/* One seek in the partial index per agency, however many rows wait. */
	static const char	*sql = "SELECT agency_id FROM deliveries "
				    "INDEXED BY deliveries_pending_agency "
				    "WHERE state = 'pending' AND agency_id > ? "
				    "ORDER BY agency_id LIMIT 1";
	sqlite3_stmt		*st;
	int			 rc, ret = -1;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	/* A copy: out may be after itself. */
	if (sqlite3_bind_text(st, 1, after, -1, SQLITE_TRANSIENT))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_copy_text(out, outlen, sqlite3_column_text(st, 0));
		ret = 0;
	} else if (rc == SQLITE_DONE)
		ret = 1;
	else
		log_errx("agencies with pending deliveries: %s", sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return ret;
}

/* Runs sql (?1 the agency, ?2 now if it has one) on a gone agency's
 * pending rows: the rows changed, or -1. */
static int
gone_update(struct store_conn *c, const char *sql, const char *agency_id, int64_t now,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, agency_id, -1, SQLITE_STATIC) ||
	    (sqlite3_bind_parameter_count(st) > 1 && sqlite3_bind_int64(st, 2, now)))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, what) != 0)
		return -1;
	return sqlite3_changes(store_db(c));
}

int
store_deliveries_agency_gone(struct store_conn *c, const char *agency_id, int64_t now,
    int (*fn)(const char *, const char *, int, void *), void *arg)
{
	static const char	*held = "UPDATE deliveries "
				    "INDEXED BY deliveries_pending_agency SET mode = 'push' "
				    "WHERE agency_id = ?1 AND state = 'pending' AND mode = 'pull' "
				    "AND next_attempt_us = " DELIVERY_AWAITS_NOTICE_SQL;
	static const char	*hurry = "UPDATE deliveries "
				    "INDEXED BY deliveries_pending_agency SET next_attempt_us = ?2 "
				    "WHERE agency_id = ?1 AND state = 'pending' AND mode = 'push' "
				    "AND next_attempt_us > ?2 "
				    "AND next_attempt_us != " DELIVERY_AWAITS_NOTICE_SQL;
	/* The inbox: released pull rows, read or not (nothing is delivered
	 * before the agency's ack), each by its rowid from where the last
	 * round ended. */
	static const char	*inbox = "SELECT disclosure_id, rowid, family_pseudonym, reads "
				    "FROM deliveries INDEXED BY deliveries_pending_agency "
				    "WHERE agency_id = ?1 AND state = 'pending' AND rowid > ?2 "
				    "AND mode = 'pull' "
				    "AND next_attempt_us != " DELIVERY_AWAITS_NOTICE_SQL " "
				    "ORDER BY rowid LIMIT 64";
	static const char	*dead = "UPDATE deliveries SET state = 'dead', dead_us = ?, "
				    "dead_reason = '" DELIVERY_AGENCY_UNKNOWN "' "
				    "WHERE disclosure_id = ? AND state = 'pending' AND mode = 'pull'";
	struct {
		char	id[40];
		char	pseudonym[65];
		int	reads;
	}			 r[64];
	sqlite3_stmt		*st;
	sqlite3_int64		 after = 0;
	int			 n, i, rc = SQLITE_DONE, total = 0;

	if (gone_update(c, held, agency_id, now, "gone agency: held pulls") == -1 ||
	    gone_update(c, hurry, agency_id, now, "gone agency: pushes") == -1)
		return -1;
	/* In rounds of up to 64, as store_deliveries_stop_for_consent (see
	 * id_round): no statement is stepped while another changes the rows
	 * it reads. */
	do {
		if ((st = store_stmt(c, inbox)) == NULL)
			return -1;
		if (sqlite3_bind_text(st, 1, agency_id, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int64(st, 2, after))
			return store_bind_failed(c, st);
		for (n = 0; n < 64 && (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
			store_copy_text(r[n].id, sizeof(r[n].id), sqlite3_column_text(st, 0));
			after = sqlite3_column_int64(st, 1);
			store_copy_text(r[n].pseudonym, sizeof(r[n].pseudonym),
			    sqlite3_column_text(st, 2));
			r[n].reads = sqlite3_column_int(st, 3);
		}
		if (n < 64 && rc != SQLITE_DONE) {
			log_errx("gone agency's inbox: %s", sqlite3_errmsg(store_db(c)));
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
		for (i = 0; i < n; i++) {
			if ((st = store_stmt(c, dead)) == NULL)
				return -1;
			if (sqlite3_bind_int64(st, 1, now) ||
			    sqlite3_bind_text(st, 2, r[i].id, -1, SQLITE_STATIC))
				return store_bind_failed(c, st);
			if (store_step_done(c, st, "gone agency: dead letter") != 0 ||
			    fn(r[i].id, r[i].pseudonym, r[i].reads, arg) != 0)
				return -1;
		}
		total += n;
	} while (n == 64);
	return total;
}

/* A delivery a consent's end stopped: dead with one of the two reasons. */
#define STOPPED_BY_CONSENT(d)	"(" d "dead_reason = '" DELIVERY_CONSENT_WITHDRAWN "' OR " \
				d "dead_reason = '" DELIVERY_CONSENT_EXPIRED "')"
/* Not acknowledged by the agency and not yet stopped by a consent's end:
 * pending, or a dead letter an operator could otherwise re-queue (not one
 * of a family since erased either: nothing is left to send, and it stays
 * recorded as stopped by the erasure, not by a consent ending later). */
#define STOPPABLE(d)	"(" d "state = 'pending' OR (" d "state = 'dead' AND NOT " \
			STOPPED_BY_CONSENT(d) " AND " d "dead_reason IS NOT '" \
			DELIVERY_FAMILY_ERASED "'))"

int
store_delivery_stopped_by_consent(const char *state, const char *dead_reason)
{
	return state != NULL && strcmp(state, "dead") == 0 && dead_reason != NULL &&
	    (strcmp(dead_reason, DELIVERY_CONSENT_WITHDRAWN) == 0 ||
	    strcmp(dead_reason, DELIVERY_CONSENT_EXPIRED) == 0);
}

/* The family's disclosures to the agency for the purpose that relied
 * on a consent, any consent (the one that lapsed while another
 * covered, too), whose delivery the agency has not acknowledged:
 * pending, or a dead letter an operator could otherwise re-queue.
 * Through the family's index, named: without statistics SQLite takes
 * disclosures_agency, every disclosure the agency ever had (880 ms
 * for one family among 49,000 disclosures, 68 ms this way). ?1 the
 * family, ?2 the rowid to go on after (0: from the first), ?3 the agency,
 * ?4 the purpose. */
const char store_sql_stoppable[] =
    "SELECT d.disclosure_id, x.rowid FROM disclosures x "
    "INDEXED BY disclosures_family "
    "JOIN deliveries d ON d.disclosure_id = x.id "
    "WHERE x.family_pseudonym = ? AND x.rowid > ? AND x.agency_id = ? "
    "AND x.purpose = ? AND x.consent_id IS NOT NULL "
    "AND " STOPPABLE("d.") " ORDER BY x.rowid LIMIT 64";

int
store_deliveries_stop_for_consent(struct store_conn *c, const char *pseudonym,
    const char *agency_id, const char *purpose, int64_t when, const char *reason,
    int (*fn)(const char *, void *), void *arg)
{
	static const char	*upd = "UPDATE deliveries SET state = 'dead', dead_us = ?, "
				    "dead_reason = ? WHERE disclosure_id = ? AND " STOPPABLE("");
	char			 ids[64][40];
	sqlite3_stmt		*st;
	sqlite3_int64		 after = 0;
	int			 n, i, total = 0;

	/* In rounds of up to 64, so no statement is stepped while another
	 * changes the rows it reads; each round goes on from where the last
	 * one ended (one pass over the family's disclosures in all). */
	do {
		if ((st = store_stmt(c, store_sql_stoppable)) == NULL)
			return -1;
		if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int64(st, 2, after) ||
		    sqlite3_bind_text(st, 3, agency_id, -1, SQLITE_STATIC) ||
		    sqlite3_bind_text(st, 4, purpose, -1, SQLITE_STATIC))
			return store_bind_failed(c, st);
		if ((n = id_round(c, st, ids, &after, "deliveries to stop")) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			if ((st = store_stmt(c, upd)) == NULL)
				return -1;
			if (sqlite3_bind_int64(st, 1, when) ||
			    sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC) ||
			    sqlite3_bind_text(st, 3, ids[i], -1, SQLITE_STATIC))
				return store_bind_failed(c, st);
			if (store_step_done(c, st, "stop delivery") != 0 || fn(ids[i], arg) != 0)
				return -1;
		}
		total += n;
	} while (n == 64);
	return total;
}

/* Steps st, bound, into out (up to max lapsed_rows: disclosure id, family,
 * agency, purpose), and resets it. The count, or -1 (label in the log). */
static int
lapsed_rows(struct store_conn *c, sqlite3_stmt *st, struct lapsed_row *out, int max,
    const char *label)
{
	int	n, rc = SQLITE_DONE;

	for (n = 0; n < max && (rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
		store_copy_text(out[n].disclosure_id, sizeof(out[n].disclosure_id),
		    sqlite3_column_text(st, 0));
		store_copy_text(out[n].family_pseudonym, sizeof(out[n].family_pseudonym),
		    sqlite3_column_text(st, 1));
		store_copy_text(out[n].agency_id, sizeof(out[n].agency_id),
		    sqlite3_column_text(st, 2));
		store_copy_text(out[n].purpose, sizeof(out[n].purpose),
		    sqlite3_column_text(st, 3));
	}
	if (n < max && rc != SQLITE_DONE) {
		log_errx("%s: %s", label, sqlite3_errmsg(store_db(c)));
		n = -1;
	}
	sqlite3_reset(st);
	return n;
}

/* Every delivery that relied on a consent and may still be stopped:
 * whether a live consent covers it is delivery_consent_covers()'s to
 * say, from the consents as their signed ledger entries say, never
 * from the row of the consent it relied on as stored (an expiry or a
 * withdrawal edited there must not keep it going): pending and dead
 * ones. ?3 (now) is bound but decides nothing here. Walked in the
 * key's order (INDEXED BY), so each page reads on from the last and a
 * pass is linear in the deliveries: through the state index every page
 * re-read and sorted all the pending rows, quadratic (s5's million
 * inbox items kept the delivery thread busy for over ten minutes). */
#define LAPSED(by)	"SELECT d.disclosure_id, x.family_pseudonym, x.agency_id, " \
			"x.purpose FROM deliveries d " \
			"INDEXED BY sqlite_autoindex_deliveries_1 " \
			"JOIN disclosures x ON x.id = d.disclosure_id " \
			"WHERE " by " AND d.state IN ('pending', 'dead') " \
			"AND x.consent_id IS NOT NULL AND " STOPPABLE("d.") " " \
			"AND d.disclosure_id > ?2 " \
			"ORDER BY d.disclosure_id LIMIT ?4"
const char store_sql_deliveries_lapsed[] = LAPSED("?1 IS NULL");
static const char sql_delivery_lapsed[] = LAPSED("d.disclosure_id = ?1");
#undef LAPSED

int
store_deliveries_lapsed(struct store_conn *c, const char *disclosure_id,
    const char *after_id, int64_t now, struct lapsed_row *out, int max)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, disclosure_id != NULL ? sql_delivery_lapsed :
	    store_sql_deliveries_lapsed)) == NULL)
		return -1;
	if ((disclosure_id != NULL ? sqlite3_bind_text(st, 1, disclosure_id, -1,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 1)) ||
	    sqlite3_bind_text(st, 2, after_id != NULL ? after_id : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, now) ||
	    sqlite3_bind_int(st, 4, max))
		return store_bind_failed(c, st);
	return lapsed_rows(c, st, out, max, "lapsed deliveries");
}

int
store_deliveries_stoppable(struct store_conn *c, const char *pseudonym, const char *agency_id,
    const char *purpose)
{
	sqlite3_stmt	*st;
	int		 rc, n = -1;

	if ((st = store_stmt(c, store_sql_stoppable)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, 0) ||
	    sqlite3_bind_text(st, 3, agency_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, purpose, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW || rc == SQLITE_DONE)
		n = rc == SQLITE_ROW;
	else
		log_errx("stoppable deliveries: %s", sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return n;
}
#undef STOPPABLE
#undef STOPPED_BY_CONSENT

/* Through consents_expiry (only consents with an expiry): the few that ran
 * out in the window, not the deliveries they covered. */
const char store_sql_consents_ended[] =
    "SELECT DISTINCT '', family_pseudonym, agency_id, purpose "
    "FROM consents INDEXED BY consents_expiry "
    "WHERE expires_us != 0 AND expires_us > ?1 AND expires_us <= ?2 "
    "AND (family_pseudonym, agency_id, purpose) > (?3, ?4, ?5) "
    "ORDER BY family_pseudonym, agency_id, purpose LIMIT ?6";

int
store_consents_ended(struct store_conn *c, int64_t since_us, int64_t now_us,
    const struct lapsed_row *after, struct lapsed_row *out, int max)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, store_sql_consents_ended)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since_us) || sqlite3_bind_int64(st, 2, now_us) ||
	    sqlite3_bind_text(st, 3, after != NULL ? after->family_pseudonym : "", -1,
	    SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, after != NULL ? after->agency_id : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 5, after != NULL ? after->purpose : "", -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 6, max))
		return store_bind_failed(c, st);
	return lapsed_rows(c, st, out, max, "consents ended");
}

int
store_deliveries_list(struct store_conn *c, const char *state, struct delivery_row *out, int max)
{
	static const char	*one = "SELECT " DELIVERY_COLS " FROM deliveries "
				    "WHERE state = ? ORDER BY created_us, disclosure_id LIMIT ?";
	static const char	*open = "SELECT " DELIVERY_COLS " FROM deliveries "
				    "WHERE state IN ('pending', 'dead') "
				    "ORDER BY created_us, disclosure_id LIMIT ?";
	sqlite3_stmt		*st;

	if (state != NULL) {
		if ((st = store_stmt(c, one)) == NULL)
			return -1;
		if (sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC) ||
		    sqlite3_bind_int(st, 2, max))
			return store_bind_failed(c, st);
	} else {
		if ((st = store_stmt(c, open)) == NULL)
			return -1;
		if (sqlite3_bind_int(st, 1, max))
			return store_bind_failed(c, st);
	}
	return rows_from(c, st, out, max, "list deliveries");
}

int
store_delivery_counts(struct store_conn *c, struct delivery_counts *k)
{
	/* Each count from the index that holds just those rows (index only,
	 * no table rows read): a fifth of the time of one pass over the
	 * table at a million deliveries. Not the delivered ones: nothing
	 * showed that count, and it grows for ever (130 ms a scrape at a
	 * million). */
	static const char	*sql = "SELECT "
				    "(SELECT count(*) FROM deliveries INDEXED BY deliveries_due "
				    "  WHERE state = 'pending' AND mode = 'push'), "
				    "(SELECT count(*) FROM deliveries INDEXED BY deliveries_inbox "
				    "  WHERE " DELIVERY_IN_INBOX "), "
				    "(SELECT count(*) FROM deliveries INDEXED BY deliveries_state "
				    "  WHERE state = 'dead')";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		k->push_pending = sqlite3_column_int64(st, 0);
		k->pull_pending = sqlite3_column_int64(st, 1);
		k->dead = sqlite3_column_int64(st, 2);
	} else
		log_errx("delivery counts: %s", sqlite3_errmsg(store_db(c)));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_inbox_page(struct store_conn *c, const char *agency, int64_t after_us,
    const char *after_id, struct delivery_row *out, int max)
{
	/* The held deliveries are not in deliveries_inbox, and the literal
	 * term lets SQLite use it: a poll at the end of the inbox reads no
	 * row it then skips. */
	static const char	*sql = "SELECT " DELIVERY_COLS " FROM deliveries "
				    "INDEXED BY deliveries_inbox "
				    "WHERE agency_id = ? AND " DELIVERY_IN_INBOX " "
				    "AND (created_us, disclosure_id) > (?, ?) "
				    "ORDER BY created_us, disclosure_id LIMIT ?";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, agency, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, after_us) ||
	    sqlite3_bind_text(st, 3, after_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 4, max))
		return store_bind_failed(c, st);
	return rows_from(c, st, out, max, "inbox page");
}

int
store_inbox_read(struct store_conn *c, const char *id)
{
	static const char	*sql = "UPDATE deliveries SET reads = reads + 1 "
				    "WHERE disclosure_id = ? AND state = 'pending' AND mode = 'pull'";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	return step_guarded(c, st, "inbox read");
}

int
store_inbox_ack(struct store_conn *c, const char *agency, const char *id, int64_t when,
    const unsigned char sha[32])
{
	static const char	*sql = "UPDATE deliveries SET state = 'delivered', "
				    "delivered_us = ?, body_sha256 = ? "
				    "WHERE disclosure_id = ? AND state = 'pending' AND mode = 'pull'";
	struct delivery_row	 r;
	sqlite3_stmt		*st;
	int			 rc;

	if ((rc = store_delivery_get(c, id, &r)) != 0)
		return rc;
	/* Another agency's item, a pushed one, or one still waiting for the
	 * family's notice does not exist for the caller. */
	if (strcmp(r.agency_id, agency) != 0 || strcmp(r.mode, "pull") != 0 ||
	    r.next_attempt_us == DELIVERY_AWAITS_NOTICE)
		return 1;
	if (strcmp(r.state, "pending") != 0)
		return 2;
	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, when) ||
	    sqlite3_bind_blob(st, 2, sha, 32, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = step_guarded(c, st, "inbox ack")) == 1)
		return 2;
	return rc;
}
