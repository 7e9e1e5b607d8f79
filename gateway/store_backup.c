/*
 * store_backup.c: a consistent copy of the store while gatewayd runs.
 *
 * The copy is SQLite's own VACUUM INTO, run on a connection of this
 * process's own (never the daemon's): one read transaction, so it is the
 * database as of one commit, every acknowledged disclosure before that
 * commit in it and nothing half-written, while the daemon goes on writing
 * (WAL readers do not block the writer). The copy is then fsync'd and
 * checked (PRAGMA integrity_check) by opening it again. Nothing here
 * changes the source.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"

int
store_backup_into(const char *src, const char *dst, char *err, size_t errlen)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st = NULL;
	const unsigned char *ok;
	int		 fd, rc = -1;

	/* Read-write but never created: a WAL reader must be able to use the
	 * shared-memory index the daemon keeps. */
	if (sqlite3_open_v2(src, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", src, db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	sqlite3_busy_timeout(db, 30000);
	if (sqlite3_exec(db, "SELECT 1 FROM ledger_entries LIMIT 0", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: not a gateway database (%s)", src, sqlite3_errmsg(db));
		goto out;
	}
	if (sqlite3_prepare_v2(db, "VACUUM INTO ?", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, dst, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_DONE) {
		snprintf(err, errlen, "copying %s to %s: %s", src, dst, sqlite3_errmsg(db));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_close(db);
	db = NULL;

	/* VACUUM INTO does not sync what it wrote. */
	if ((fd = open(dst, O_RDWR | O_CLOEXEC)) == -1 || fchmod(fd, 0600) == -1 ||
	    fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", dst, strerror(errno));
		if (fd != -1)
			close(fd);
		goto out;
	}
	close(fd);

	if (sqlite3_open_v2(dst, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, errlen, "%s: cannot check the copy: %s", dst,
		    db ? sqlite3_errmsg(db) : "cannot open");
		goto out;
	}
	ok = sqlite3_column_text(st, 0);
	if (ok == NULL || strcmp((const char *)ok, "ok") != 0) {
		snprintf(err, errlen, "%s: the copy fails its integrity check: %s", dst,
		    ok ? (const char *)ok : "?");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
