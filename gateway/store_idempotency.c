/*
 * store_idempotency.c: the idempotency_keys table (migration 069): the
 * first committed outcome of each Idempotency-Key, found by its HMAC
 * (idempotency.h owns what the columns mean). A row is written once, in
 * the writer job of the record it answers for, never changed, and deleted
 * only by the retention sweep once it is older than the window.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

/* A key's row by its HMAC (the primary key), and the sweep's old rows by
 * the created_us index: tests/unit/test_store_plans.c holds both. */
const char store_sql_idempotency_get[] =
    "SELECT body_mac, status, reply, created_us FROM idempotency_keys WHERE key_mac = ?";
const char store_sql_idempotency_purge[] =
    "DELETE FROM idempotency_keys WHERE created_us < ?";

int
store_idempotency_get(struct store_conn *c, const unsigned char key_mac[32],
    struct idempotency_row *r)
{
	sqlite3_stmt		*st;
	const void		*b;
	int			 rc, n;

	memset(r, 0, sizeof(*r));
	if ((st = store_stmt(c, store_sql_idempotency_get)) == NULL)
		return -1;
	if (sqlite3_bind_blob(st, 1, key_mac, 32, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		b = sqlite3_column_blob(st, 0);
		if (b == NULL || sqlite3_column_bytes(st, 0) != 32) {
			sqlite3_reset(st);
			log_errx("idempotency key row: body_mac is not 32 bytes");
			return -1;
		}
		memcpy(r->body_mac, b, 32);
		r->status = sqlite3_column_int(st, 1);
		b = sqlite3_column_blob(st, 2);
		n = sqlite3_column_bytes(st, 2);
		if ((r->reply = malloc((size_t)n + 1)) == NULL) {
			sqlite3_reset(st);
			return -1;
		}
		if (n > 0)
			memcpy(r->reply, b, (size_t)n);
		r->reply[n] = '\0';
		r->reply_len = (size_t)n;
		r->created_us = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	log_errx("read idempotency key: %s", sqlite3_errmsg(store_db(c)));
	return -1;
}

int
store_idempotency_insert(struct store_conn *c, const unsigned char key_mac[32],
    const struct idempotency_row *r)
{
	static const char	*sql = "INSERT INTO idempotency_keys (key_mac, body_mac, status, "
				    "reply, created_us) VALUES (?, ?, ?, ?, ?)";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_blob(st, 1, key_mac, 32, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 2, r->body_mac, 32, SQLITE_STATIC) ||
	    sqlite3_bind_int(st, 3, r->status) ||
	    sqlite3_bind_blob(st, 4, r->reply, (int)r->reply_len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 5, r->created_us))
		return store_bind_failed(c, st);
	return store_step_done(c, st, "insert idempotency key");
}

int64_t
store_idempotency_purge(struct store_conn *c, int64_t before_us)
{
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, store_sql_idempotency_purge)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, before_us))
		return store_bind_failed(c, st);
	if (store_step_done(c, st, "purge idempotency keys") == -1)
		return -1;
	return sqlite3_changes(store_db(c));
}
