/*
 * store_stats.c: grouped counts for the statistics endpoint. The queries
 * select agency, purpose, month and outcome, and the family's pseudonym
 * only so that stats_api.c can count the distinct families behind each
 * cell (suppress.c hides a cell of few families however many events it
 * counts); the pseudonym never leaves the process. No id or sealed column
 * is ever read here.
 */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "store.h"

static int
each_count(struct store_conn *c, sqlite3_stmt *st, int64_t from_us, int64_t to_us,
    int (*fn)(const struct stats_count *, void *), void *arg)
{
	struct stats_count	k;
	int			rc, ret = 0;

	if (sqlite3_bind_int64(st, 1, from_us) ||
	    sqlite3_bind_int64(st, 2, to_us))
		return store_bind_failed(c, st);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k.agency_id = (const char *)sqlite3_column_text(st, 0);
		k.purpose = (const char *)sqlite3_column_text(st, 1);
		k.month = (const char *)sqlite3_column_text(st, 2);
		k.outcome = (const char *)sqlite3_column_text(st, 3);
		k.n = sqlite3_column_int64(st, 4);
		k.family = (const char *)sqlite3_column_text(st, 5);
		if (k.agency_id == NULL || k.purpose == NULL || k.month == NULL ||
		    k.outcome == NULL || k.family == NULL)
			continue;
		if ((ret = fn(&k, arg)) != 0)
			break;
	}
	sqlite3_reset(st);
	if (ret == 0 && rc != SQLITE_DONE) {
		log_errx("stats: %s", sqlite3_errmsg(store_db(c)));
		return -1;
	}
	return ret;
}

/*
 * Only the period's disclosures are read, whatever the store holds: no
 * index leads with created_us (one more for every disclosure to write), so
 * the agencies are walked one seek each (a, the distinct agency_id values
 * of disclosures_agency) and each agency's period read through that index
 * (agency_id, created_us). A plain WHERE on created_us scanned every
 * disclosure ever kept, even for a day.
 */
const char store_sql_stats_disclosures[] =
    "WITH RECURSIVE a(id) AS ("
    " SELECT (SELECT min(agency_id) FROM disclosures)"
    " UNION ALL SELECT (SELECT min(agency_id) FROM disclosures WHERE agency_id > a.id)"
    " FROM a WHERE a.id IS NOT NULL) "
    "SELECT d.agency_id, d.purpose, "
    "strftime('%Y-%m', d.created_us / 1000000, 'unixepoch'), d.rule, count(*), "
    "d.family_pseudonym "
    "FROM a JOIN disclosures d INDEXED BY disclosures_agency ON d.agency_id = a.id "
    "WHERE d.created_us >= ?1 AND d.created_us < ?2 GROUP BY 1, 2, 3, 4, 6";

int
store_stats_disclosures(struct store_conn *c, int64_t from_us, int64_t to_us,
    int (*fn)(const struct stats_count *, void *), void *arg)
{
	sqlite3_stmt	*st;

	if ((st = store_stmt(c, store_sql_stats_disclosures)) == NULL)
		return -1;
	return each_count(c, st, from_us, to_us, fn, arg);
}

int
store_stats_consents(struct store_conn *c, int64_t from_us, int64_t to_us,
    int (*fn)(const struct stats_count *, void *), void *arg)
{
	static const char	*sql = "SELECT agency_id, purpose, m, outcome, count(*), f FROM ("
				    "  SELECT agency_id, purpose, "
				    "    strftime('%Y-%m', granted_us / 1000000, 'unixepoch') AS m, "
				    "    'recorded' AS outcome, family_pseudonym AS f FROM consents "
				    "    WHERE granted_us >= ?1 AND granted_us < ?2 "
				    "  UNION ALL "
				    "  SELECT agency_id, purpose, "
				    "    strftime('%Y-%m', withdrawn_us / 1000000, 'unixepoch'), "
				    "    'withdrawn', family_pseudonym FROM consents "
				    "    WHERE withdrawn_us > 0 AND withdrawn_us >= ?1 AND withdrawn_us < ?2"
				    ") GROUP BY 1, 2, 3, 4, 6";
	sqlite3_stmt		*st;

	if ((st = store_stmt(c, sql)) == NULL)
		return -1;
	return each_count(c, st, from_us, to_us, fn, arg);
}
