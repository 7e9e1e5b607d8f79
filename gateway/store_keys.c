/*
 * store_keys.c: the family_keys table, which holds each family's data key
 * only in wrapped form (vault.c wraps and unwraps). Destroying a key NULLs
 * it in place and stamps the time: the row stays, so the family can never
 * silently get a fresh key that would make new records look continuous
 * with erased ones.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"

int
store_family_key_get(struct store_conn *c, const char *pseudonym, unsigned char **wrapped,
    size_t *len)
{
	static const char	*sql = "SELECT wrapped_key FROM family_keys WHERE pseudonym = ?";
	sqlite3_stmt		*st;
	int			 rc, n;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 2;
	}
	if (rc != SQLITE_ROW) {
		log_errx("family key: %s", sqlite3_errmsg(store_db(c)));
		sqlite3_reset(st);
		return -1;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		sqlite3_reset(st);
		return 1;
	}
	n = sqlite3_column_bytes(st, 0);
	if ((*wrapped = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
		sqlite3_reset(st);
		return -1;
	}
	memcpy(*wrapped, sqlite3_column_blob(st, 0), (size_t)n);
	*len = (size_t)n;
	sqlite3_reset(st);
	return 0;
}

int
store_family_key_put(struct store_conn *c, const char *pseudonym, const unsigned char *wrapped,
    size_t len, int64_t now_us)
{
	static const char	*sql = "INSERT INTO family_keys (pseudonym, wrapped_key, created_us) "
				    "VALUES (?, ?, ?)";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, pseudonym, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 2, wrapped, (int)len, SQLITE_STATIC) ||
	    sqlite3_bind_int64(st, 3, now_us))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_errx("family key insert: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return 0;
}

int
store_family_key_destroy(struct store_conn *c, const char *pseudonym, int64_t now_us)
{
	static const char	*sql = "UPDATE family_keys SET wrapped_key = NULL, destroyed_us = ? "
				    "WHERE pseudonym = ? AND wrapped_key IS NOT NULL";
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now_us) ||
	    sqlite3_bind_text(st, 2, pseudonym, -1, SQLITE_STATIC))
		return store_bind_failed(c, st);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_changes(store_db(c)) > 0 ? 0 : 1;
}
