/*
 * journal_guard.c: whether gatewayd may start with the erasure journal it
 * is given (journal_guard.h). The decision is pure; the rest looks at the
 * journal's file and, only when it is missing, at the database.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "journal_guard.h"
#include "store.h"

enum journal_presence
journal_presence(int exists, int held, int asked)
{
	if (exists)
		return JOURNAL_PRESENT;
	if (!held)
		return JOURNAL_MAKE_FRESH;
	return asked ? JOURNAL_MAKE_NEW : JOURNAL_REFUSE;
}

/* Whether the database at db holds ledger entries: 1, 0 (no database, an
 * empty file: a start cut short before its first one), -1 with err. */
static int
store_holds_records(const char *db, char *err, size_t errlen)
{
	struct ledger_db	*l;
	struct stat		 st;
	char			 e[512];
	int			 r;

	if (stat(db, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "gateway.db: %s", strerror(errno));
		return -1;
	}
	if (st.st_size == 0)
		return 0;
	if ((l = store_ledger_db_open(db, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "%s", e);
		return -1;
	}
	if ((r = store_ledger_db_empty(l)) == -1)
		snprintf(err, errlen, "gateway.db: %s", store_ledger_db_error(l));
	store_ledger_db_close(l);
	return r == -1 ? -1 : !r;
}

int
journal_guard_check(const char *path, const char *data_dir, int asked,
    enum journal_presence *out, char *err, size_t errlen)
{
	char		db[PATH_MAX], e[512];
	struct stat	st;
	int		held = 0;

	*out = JOURNAL_REFUSE;
	if (stat(path, &st) == 0) {
		*out = journal_presence(1, 0, asked);
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "erasure journal %s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(db, sizeof(db), "%s/gateway.db", data_dir) >= sizeof(db)) {
		snprintf(err, errlen, "%s/gateway.db: path too long", data_dir);
		return -1;
	}
	if ((held = store_holds_records(db, e, sizeof(e))) == -1) {
		snprintf(err, errlen, "erasure journal %s is missing, and whether the store "
		    "holds records could not be told (%s): not starting without it", path, e);
		return -1;
	}
	if ((*out = journal_presence(0, held, asked)) != JOURNAL_REFUSE)
		return 0;
	snprintf(err, errlen, "erasure journal %s is missing, but the store in %s holds "
	    "records: started without its journal, a restored copy serves again what was "
	    "erased and offers again consents withdrawn after the copy was made. Start with "
	    "--erasure-journal naming the newest journal (the live one kept apart from the "
	    "data directory, never the copy's own); only if no journal is left (lost with "
	    "its disk, or never made: gatewayd made it at the first erasure before) start "
	    "once with --new-erasure-journal, and erasures made after the copy must then "
	    "be made again by hand", path, data_dir);
	return -1;
}

int
journal_guard_same_disk(const char *path, const char *data_dir)
{
	struct stat	j, d;

	if (stat(path, &j) == -1 || stat(data_dir, &d) == -1)
		return -1;
	return j.st_dev == d.st_dev;
}
