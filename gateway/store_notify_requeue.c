/*
 * store_notify_requeue.c: an operator's second go at a family notification
 * that failed (gatewayctl notifications retry), and the operator's list of
 * notifications (migration 061). Both notification tables are covered:
 * notifications (of disclosures) and request_notifications (of police and
 * court requests), told apart by kind.
 *
 * A re-queue makes the notification queued with its attempts from zero but
 * due at STORE_NOTIFY_UNLEDGERED (never, as far as the notifier's due query
 * goes) and records a notification_requeues row; the daemon ledgers that
 * row and only then makes the notification due (store_notify_requeue_
 * ledgered), so the ledger names the operator before anything is sent.
 * A notification that failed because the family's records were erased is
 * never re-queued: there is no one left to address.
 */
#include <string.h>

#include "log.h"
#include "store.h"

static const char *const kinds[2] = { "disclosure", "request" };

/* Looks the notification up in table k: 0 found (state and pseudonym
 * copied), 1 not there, -1 error. */
static int
find(struct store_conn *c, int k, const char *id, char state[16], char pseudonym[65])
{
	static const char *const sql[2] = {
		"SELECT state, family_pseudonym FROM notifications WHERE disclosure_id = ?",
		"SELECT state, family_pseudonym FROM request_notifications WHERE request_id = ?",
	};
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = store_stmt(c, sql[k])) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_copy_text(state, 16, sqlite3_column_text(st, 0));
		store_copy_text(pseudonym, 65, sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
store_notify_requeue(struct store_conn *c, const char *id, int64_t when_us, const char *by)
{
	static const char *const requeue[2] = {
		"UPDATE notifications SET state = 'queued', attempts = 0, last_status = NULL, "
		"next_attempt_us = ?2 WHERE disclosure_id = ?1 AND state = 'failed'",
		"UPDATE request_notifications SET state = 'queued', attempts = 0, "
		"last_status = NULL, next_attempt_us = ?2 WHERE request_id = ?1 AND state = 'failed'",
	};
	static const char	*ins = "INSERT INTO notification_requeues (kind, ref, "
				    "family_pseudonym, actor, at_us) VALUES (?, ?, ?, ?, ?)";
	char			 state[16], pseudonym[65];
	sqlite3_stmt		*st;
	int			 k, rc = 1;

	for (k = 0; k < 2 && rc == 1; k++)
		if ((rc = find(c, k, id, state, pseudonym)) == -1)
			return -1;
	if (rc == 1)
		return 1;
	k--;
	if (strcmp(state, "failed") != 0)
		return 2;
	if ((rc = store_family_key_state(c, pseudonym)) == -1)
		return -1;
	if (rc != 1)
		return 3;	/* erased (or never keyed): no one to address */
	if ((st = store_stmt(c, requeue[k])) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, STORE_NOTIFY_UNLEDGERED))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notification requeue") == -1)
		return -1;
	if ((st = store_stmt(c, ins)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, kinds[k], -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 3, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_text(st, 4, by, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, when_us))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "notification requeue row");
}

int
store_notify_requeues_unledgered(struct store_conn *c, struct notify_requeue_row *out, int max)
{
	static const char	*sql = "SELECT id, kind, ref, family_pseudonym, actor, at_us "
				    "FROM notification_requeues INDEXED BY "
				    "notification_requeues_unledgered WHERE ledger_seq IS NULL "
				    "ORDER BY id LIMIT ?";
	sqlite3_stmt		*st;
	int			 n = 0, rc = SQLITE_DONE;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		out[n].id = sqlite3_column_int64(st, 0);
		store_copy_text(out[n].kind, sizeof(out[n].kind), sqlite3_column_text(st, 1));
		store_copy_text(out[n].ref, sizeof(out[n].ref), sqlite3_column_text(st, 2));
		store_copy_text(out[n].family_pseudonym, sizeof(out[n].family_pseudonym),
		    sqlite3_column_text(st, 3));
		store_copy_text(out[n].actor, sizeof(out[n].actor), sqlite3_column_text(st, 4));
		out[n].at_us = sqlite3_column_int64(st, 5);
		n++;
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE) {
		log_errx("unledgered notification re-queues: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return n;
}

int
store_notify_requeue_ledgered(struct store_conn *c, const struct notify_requeue_row *r,
    int64_t seq, int64_t now_us)
{
	static const char	*mark = "UPDATE notification_requeues SET ledger_seq = ?2 "
				    "WHERE id = ?1 AND ledger_seq IS NULL";
	static const char *const due[2] = {
		"UPDATE notifications SET next_attempt_us = ?2 "
		"WHERE disclosure_id = ?1 AND state = 'queued' AND next_attempt_us = ?3",
		"UPDATE request_notifications SET next_attempt_us = ?2 "
		"WHERE request_id = ?1 AND state = 'queued' AND next_attempt_us = ?3",
	};
	sqlite3_stmt		*st;
	int			 k = strcmp(r->kind, "request") == 0;

	if ((st = store_stmt(c, mark)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, r->id) || sqlite3_bind_int64(st, 2, seq))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "notification requeue ledgered") == -1)
		return -1;
	if ((st = store_stmt(c, due[k])) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, r->ref, -1, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 2, now_us) ||
	    sqlite3_bind_int64(st, 3, STORE_NOTIFY_UNLEDGERED))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "notification requeue due");
}

int
store_notify_list(struct store_conn *c, const char *state, struct notify_list_row *out, int max)
{
	static const char	*sql =
	    "SELECT 'disclosure', disclosure_id, state, attempts, coalesce(last_status, 0), "
	    "next_attempt_us, coalesce(sent_us, 0), created_us FROM notifications "
	    "WHERE ?1 IS NULL OR state = ?1 "
	    "UNION ALL "
	    "SELECT 'request', request_id, state, attempts, coalesce(last_status, 0), "
	    "next_attempt_us, coalesce(sent_us, 0), created_us FROM request_notifications "
	    "WHERE ?1 IS NULL OR state = ?1 "
	    "ORDER BY 8 LIMIT ?2";
	sqlite3_stmt		*st;
	int			 n = 0, rc = SQLITE_DONE;

	if (max <= 0 || (st = store_stmt(c, sql)) == NULL)
		return -1;
	if (store_bind_opt_text(st, 1, state) || sqlite3_bind_int(st, 2, max))
		return store_bind_failed(c, st);
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct notify_list_row *r = &out[n++];

		store_copy_text(r->kind, sizeof(r->kind), sqlite3_column_text(st, 0));
		store_copy_text(r->ref, sizeof(r->ref), sqlite3_column_text(st, 1));
		store_copy_text(r->state, sizeof(r->state), sqlite3_column_text(st, 2));
		r->attempts = sqlite3_column_int(st, 3);
		r->last_status = sqlite3_column_int(st, 4);
		r->next_attempt_us = sqlite3_column_int64(st, 5);
		r->sent_us = sqlite3_column_int64(st, 6);
		r->created_us = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	if (n < max && rc != SQLITE_DONE)
		return -1;
	return n;
}
