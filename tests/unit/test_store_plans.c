/*
 * test_store_plans.c: the statements of frequent paths (store.h, "cost must
 * stay with the work at hand") held to their query plans on a real store
 * with every migration applied. A plan that scans a table, sorts a whole
 * backlog, or reaches a family's rows through the agency's index costs in
 * proportion to everything ever stored: the delivery sweep once read every
 * undelivered item each second (227 ms at 40,000), the notifier sorted the
 * whole queue for each batch of 16 (300 ms at 49,000). SQLite has no
 * statistics here (nothing runs ANALYZE), so its choice is the schema's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "store.h"

struct fixture {
	char			 dir[64];
	struct store		*store;
	struct store_conn	*c;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwplans.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(f->store = store_open(f->dir, err, sizeof(err)));
	f->c = store_write_conn(f->store);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* The plan's detail lines, one per line, into out. */
static void
plan(struct fixture *f, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt	*st;
	char		*q;
	size_t		 n = 0;

	assert_non_null(q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql));
	assert_int_equal(sqlite3_prepare_v2(store_db(f->c), q, -1, &st, NULL), SQLITE_OK);
	sqlite3_free(q);
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW)
		n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s\n",
		    (const char *)sqlite3_column_text(st, 3));
	assert_true(n < outlen);
	sqlite3_finalize(st);
}

/* Every table reached by a search on an index, nothing sorted apart. */
static void
assert_seeks_only(const char *p)
{
	if (strstr(p, "SCAN ") != NULL || strstr(p, "TEMP B-TREE") != NULL)
		fail_msg("plan reads or sorts more than the work at hand:\n%s", p);
}

static void
test_stop_for_consent_reads_only_the_familys_disclosures(void **state)
{
	char	p[1024];

	plan(*state, store_sql_stoppable, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH x USING INDEX disclosures_family "
	    "(family_pseudonym=? AND rowid>?)"));
}

/* An erasure stops the deliveries waiting for the family's notice: it
 * reads the family's disclosures, not the outbox. */
static void
test_erasure_stops_only_the_familys_waiting_deliveries(void **state)
{
	char	p[1024];

	plan(*state, store_sql_awaiting_notice, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH x USING INDEX disclosures_family "
	    "(family_pseudonym=? AND rowid>?)"));
}

/* Deliveries kept waiting for a notice given up on pin_mismatch
 * (notify_wait.h) are found, and released, through the few failed
 * notifications, each delivery by its key: never a walk of every pending
 * delivery (a million inbox items at each look). */
static void
test_waits_on_given_up_notices_read_only_the_failed_notifications(void **state)
{
	char	p[1024];

	plan(*state, store_sql_given_up_notice_oldest, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH n USING INDEX notifications_due (state=?)"));
	assert_non_null(strstr(p, "SEARCH d USING INDEX sqlite_autoindex_deliveries_1 "
	    "(disclosure_id=?)"));
	plan(*state, store_sql_given_up_notices_release, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH deliveries USING INDEX sqlite_autoindex_deliveries_1 "
	    "(disclosure_id=?)"));
	assert_null(strstr(p, "deliveries_state"));
}

static void
test_sweep_reads_only_the_consents_that_ran_out(void **state)
{
	char	p[1024];

	plan(*state, store_sql_consents_ended, p, sizeof(p));
	assert_non_null(strstr(p, "USING INDEX consents_expiry (expires_us>? AND "
	    "expires_us<?)"));
	/* DISTINCT over the window's few consents may sort them; nothing
	 * else is read. */
	assert_null(strstr(p, "SCAN "));
}

/* The delivery worker's pass over every candidate (at start, and when a
 * lapsed delivery turns up) pages through the deliveries in their key's
 * order: through the state index each page of 64 sorted every pending row
 * again (a million inbox items: the pass never ended). */
static void
test_a_full_lapse_pass_pages_through_the_deliveries_without_sorting(void **state)
{
	char	p[1024];

	plan(*state, store_sql_deliveries_lapsed, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH d USING INDEX sqlite_autoindex_deliveries_1 "
	    "(disclosure_id>?)"));
}

static void
test_notifier_takes_a_batch_without_sorting_the_queue(void **state)
{
	char	p[1024];

	plan(*state, store_sql_notifications_due, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "USING INDEX notifications_due"));
	plan(*state, store_sql_request_notifications_due, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "USING INDEX request_notifications_due"));
}

/* Statistics for a period read that period's disclosures, not all. */
static void
test_statistics_read_only_the_period(void **state)
{
	char	p[2048];

	plan(*state, store_sql_stats_disclosures, p, sizeof(p));
	assert_null(strstr(p, "SCAN disclosures"));
	assert_non_null(strstr(p, "SEARCH d USING INDEX disclosures_agency (agency_id=? AND "
	    "created_us>? AND created_us<?)"));
}

/* An Idempotency-Key is found by its HMAC, and the sweep deletes the
 * old rows through their time's index: neither reads the whole table. */
static void
test_idempotency_key_found_and_purged_by_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_idempotency_get, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH idempotency_keys USING PRIMARY KEY (key_mac=?)"));
	plan(*state, store_sql_idempotency_purge, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "INDEX idempotency_keys_created (created_us<?)"));
}

/* The sweep and an erasure find a family's signed request filings through
 * the family's index, and each one's row by its id: neither the ledger nor
 * the requests are read whole, nothing is sorted. */
static void
test_a_familys_request_filings_are_read_through_its_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_request_filings, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH e USING INDEX ledger_entries_family (family_pseudonym=?)"));
	assert_non_null(strstr(p, "SEARCH r USING INDEX sqlite_autoindex_requests_1 (id=?)"));
}

/* The subject-access export finds a family's signed disclosure.allowed
 * entries the same way, and each one's row by its id. */
static void
test_a_familys_disclosure_allowances_are_read_through_its_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_disclosure_allowances, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH e USING INDEX ledger_entries_family (family_pseudonym=?)"));
	assert_non_null(strstr(p, "SEARCH d USING INDEX sqlite_autoindex_disclosures_1 (id=?)"));
}

/* A family's entries of one action (a breach notice's family_told, a
 * litigation hold's placement): the family's index, in its order. */
static void
test_a_familys_entries_of_one_action_are_read_through_its_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_family_entries, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "SEARCH ledger_entries USING INDEX ledger_entries_family "
	    "(family_pseudonym=?)"));
}

/* An erasure's or a withdrawal's notices read the family's records, found
 * through their rows and through the family's ledger entries: never a
 * table's whole (the sorts are of those few records). */
static void
test_notice_holdings_read_only_the_familys_records(void **state)
{
	char	p[2048];

	plan(*state, store_sql_notice_holdings, p, sizeof(p));
	if (strstr(p, "SCAN ") != NULL)
		fail_msg("plan reads more than the family's records:\n%s", p);
	assert_non_null(strstr(p, "USING INDEX disclosures_family (family_pseudonym=?)"));
	assert_non_null(strstr(p, "USING INDEX requests_family (family_pseudonym=?)"));
	assert_non_null(strstr(p, "USING INDEX ledger_entries_family (family_pseudonym=?)"));
}

/* A consent's own ledger entries, read by every disclosure decided on it
 * (consent_signed.c), are found through an index on the consent: not by
 * reading every entry of its family (a family with thousands of
 * disclosures has thousands of entries), nor sorted. */
static void
test_a_consents_ledger_entries_are_read_through_its_own_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_consent_entries, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "USING INDEX ledger_entries_consent (family_pseudonym=? AND "
	    "object_id=?)"));
}

/* A breach's own ledger entries, read by every view of the register and
 * every decision on a breach (breach_signed.c), are found through an index
 * on the breach: they name no family, and without it each view would read
 * the whole ledger. In seq order without a sort. */
static void
test_a_breachs_ledger_entries_are_read_through_their_own_index(void **state)
{
	char	p[1024];

	plan(*state, store_sql_breach_entries, p, sizeof(p));
	assert_seeks_only(p);
	assert_non_null(strstr(p, "USING INDEX ledger_entries_breach (object_id=?)"));
}

/* The register's breach.recorded entries (is a breach missing whole?) are
 * read from the register's entries only, not the ledger's. */
static void
test_the_registers_recordings_are_read_from_its_entries_only(void **state)
{
	char	p[1024];

	plan(*state, store_sql_breach_recordings, p, sizeof(p));
	if (strstr(p, "SCAN e\n") != NULL || strstr(p, "TEMP B-TREE") != NULL)
		fail_msg("plan reads or sorts the whole ledger:\n%s", p);
	assert_non_null(strstr(p, "SCAN e USING INDEX ledger_entries_breach\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_stop_for_consent_reads_only_the_familys_disclosures, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_erasure_stops_only_the_familys_waiting_deliveries, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_full_lapse_pass_pages_through_the_deliveries_without_sorting, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_waits_on_given_up_notices_read_only_the_failed_notifications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_reads_only_the_consents_that_ran_out,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_notifier_takes_a_batch_without_sorting_the_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statistics_read_only_the_period, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_idempotency_key_found_and_purged_by_index,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_familys_request_filings_are_read_through_its_index, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_familys_disclosure_allowances_are_read_through_its_index, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_familys_entries_of_one_action_are_read_through_its_index,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_notice_holdings_read_only_the_familys_records,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_consents_ledger_entries_are_read_through_its_own_index, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_breachs_ledger_entries_are_read_through_their_own_index, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_the_registers_recordings_are_read_from_its_entries_only, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
