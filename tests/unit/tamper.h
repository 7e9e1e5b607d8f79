/*
 * tamper.h: what the unit tests that edit a store behind the gateway's back
 * share: one SQL statement (or several) run on DIR/gateway.db over a
 * connection of the test's own, as someone with the file would, while the
 * gateway's store, writer and ledger may have it open. Include after
 * cmocka.h (it asserts).
 */
#ifndef TEST_TAMPER_H
#define TEST_TAMPER_H

#include <stdio.h>

#include <sqlite3.h>

/* Runs sql on dir/gateway.db; any failure fails the test. */
static inline void
tamper(const char *dir, const char *sql)
{
	char	 db[128];
	sqlite3	*h;

	assert_true((size_t)snprintf(db, sizeof(db), "%s/gateway.db", dir) < sizeof(db));
	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	/* The gateway's own threads may hold the write lock a moment. */
	assert_int_equal(sqlite3_busy_timeout(h, 10000), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

#endif
