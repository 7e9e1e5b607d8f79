/*
 * store_notice_push_requeue.c: an operator's second go at a notice's push
 * that was given up (gatewayctl notices retry), and the operator's list of
 * notices' pushes (migrations 072, 073).
 *
 * A re-queue makes the push pending with its attempts from zero but due at
 * STORE_NOTICE_PUSH_UNLEDGERED (never, as far as the worker's due query
 * goes) and records a notice_push_requeues row; the daemon ledgers that row
 * and only then makes the push due (store_notice_push_requeue_ledgered),
 * so the ledger names the operator before anything is pushed. Only a push
 * given up, of a notice its agency has not acknowledged (by collecting it
 * from GET /v1/notices since), is re-queued.
 */
#include <string.h>

#include "log.h"
#include "store.h"

int
store_notice_push_requeue(struct store_conn *c, const char *id, int64_t when_us, const char *by)
{
	static const char	 find[] = "SELECT coalesce(p.state, ''), n.acked_us "
	    "FROM recipient_notices n LEFT JOIN notice_pushes p ON p.notice_id = n.id "
	    "WHERE n.id = ?";
	static const char	 requeue[] = "UPDATE notice_pushes SET state = 'pending', "
	    "attempts = 0, next_us = ?2 WHERE notice_id = ?1 AND state = 'given_up'";
	static const char	 ins[] = "INSERT INTO notice_push_requeues (notice_id, actor, "
	    "at_us) VALUES (?, ?, ?)";
	sqlite3_stmt		*st;
	char			 state[16] = "";
	int64_t			 acked = 0;
	int			 rc;

	if ((st = store_stmt(c, find)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_copy_text(state, sizeof(state), sqlite3_column_text(st, 0));
		acked = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 1;
	if (rc != SQLITE_ROW) {
		log_errx("notice push requeue: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	if (strcmp(state, "given_up") != 0)
		return 2;	/* pending, never tried, or taken by the agency */
	if (acked != 0)
		return 3;	/* collected and acknowledged since */
	if ((st = store_stmt(c, requeue)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, STORE_NOTICE_PUSH_UNLEDGERED))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notice push requeue") == -1)
		return -1;
	if (sqlite3_changes(store_db(c)) != 1)
		return 2;
	if ((st = store_stmt(c, ins)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, when_us))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "notice push requeue row");
}

int
store_notice_push_requeues_unledgered(struct store_conn *c, struct requeue_row *out, int max)
{
	static const char	 sql[] = "SELECT r.id, r.notice_id, n.family_pseudonym, r.actor, "
	    "r.at_us FROM notice_push_requeues r INDEXED BY notice_push_requeues_unledgered "
	    "JOIN recipient_notices n ON n.id = r.notice_id "
	    "WHERE r.ledger_seq IS NULL ORDER BY r.id LIMIT ?";

	return store_requeue_rows(c, sql, "unledgered notice push re-queues", out, max);
}

int
store_notice_push_requeue_ledgered(struct store_conn *c, const struct requeue_row *r,
    int64_t seq, int64_t now_us)
{
	static const char	 mark[] = "UPDATE notice_push_requeues SET ledger_seq = ?2 "
	    "WHERE id = ?1 AND ledger_seq IS NULL";
	static const char	 due[] = "UPDATE notice_pushes SET next_us = ?2 "
	    "WHERE notice_id = ?1 AND state = 'pending' AND next_us = ?3";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, mark)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, r->id) || sqlite3_bind_int64(st, 2, seq))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notice push requeue ledgered") == -1)
		return -1;
	if (sqlite3_changes(store_db(c)) != 1)
		return -1;
	if ((st = store_stmt(c, due)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->object_id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now_us) ||
	    sqlite3_bind_int64(st, 3, STORE_NOTICE_PUSH_UNLEDGERED))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "notice push requeue due");
}

int
store_notice_pushes_list(struct store_conn *c, const char *state,
    struct notice_push_list_row *out, int max)
{
	static const char	 sql[] = "SELECT p.notice_id, n.agency_id, n.kind, p.state, "
	    "p.attempts, p.last_status, coalesce(p.last_error, ''), p.next_us, "
	    "p.last_attempt_us, n.acked_us FROM notice_pushes p "
	    "JOIN recipient_notices n ON n.id = p.notice_id "
	    "WHERE ?1 = 'all' OR (?1 = 'delivered' AND p.state = 'delivered') "
	    "OR (n.acked_us = 0 AND (p.state = ?1 OR "
	    "(?1 = 'open' AND p.state IN ('pending', 'given_up')))) "
	    "ORDER BY n.created_us, n.id LIMIT ?2";
	sqlite3_stmt		*st;
	int			 n = 0, rc = SQLITE_DONE;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC) || sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notice_push_list_row *r = &out[n++];

		memset(r, 0, sizeof(*r));
		store_copy_text(r->notice_id, sizeof(r->notice_id), sqlite3_column_text(st, 0));
		store_copy_text(r->agency_id, sizeof(r->agency_id), sqlite3_column_text(st, 1));
		store_copy_text(r->kind, sizeof(r->kind), sqlite3_column_text(st, 2));
		store_copy_text(r->state, sizeof(r->state), sqlite3_column_text(st, 3));
		r->attempts = sqlite3_column_int(st, 4);
		r->last_status = sqlite3_column_int(st, 5);
		store_copy_text(r->last_error, sizeof(r->last_error), sqlite3_column_text(st, 6));
		r->next_us = sqlite3_column_int64(st, 7);
		r->last_attempt_us = sqlite3_column_int64(st, 8);
		r->acked_us = sqlite3_column_int64(st, 9);
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE) {
		log_errx("notice pushes list: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return n;
}
