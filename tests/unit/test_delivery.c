/*
 * test_delivery.c: the delivery outbox and inbox rows (store_delivery.c)
 * and the pieces of delivery.c that need no network: libcurl results mapped
 * to retry faults. The body built from a stored disclosure is
 * test_disclosure_signed.c's (it needs a ledger). The transfers themselves
 * are driven end to end by tests/integration/test_delivery.sh against a
 * real mTLS receiver.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "delivery.h"
#include "gateway.h"
#include "profiles.h"
#include "store.h"
#include "vault.h"

#define SEC	INT64_C(1000000)

struct fixture {
	char			 dir[64];
	struct store		*store;
	struct store_conn	*c;
	struct vault		*vault;
	struct gateway		 gw;
	int64_t			 now;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[256], key[128];
	FILE		*kf;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwdeliv.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	f->c = store_write_conn(f->store);	/* no writer thread: the test owns it */
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	assert_non_null(kf = fopen(key, "w"));
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, kf);
	fclose(kf);
	chmod(key, 0600);
	assert_non_null(f->vault = vault_open(key, err, sizeof(err)));
	f->gw.vault = f->vault;
	f->gw.store = f->store;
	f->now = store_now_us();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	vault_free(f->vault);
	store_close(f->store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const struct agency push_agency = { .id = "health-visiting", .delivery = DELIVERY_PUSH };
static const struct agency pull_agency = { .id = "oakfield-primary", .delivery = DELIVERY_PULL };
static const struct agency pull_other = { .id = "police", .delivery = DELIVERY_PULL };

/* Stores an allowed disclosure of data (sealed under the family key) to
 * agency_id and queues its delivery, in one transaction, as disclosure_api
 * does, with current as the profiles in force at the commit. */
static void
record_in(struct fixture *f, const char *id, const char *agency_id,
    const struct profiles *current, const char *pseudonym, const char *data,
    const char *fields, int64_t when, int awaits_notice)
{
	struct disclosure_row	 r;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	static const unsigned char reason[] = { 1 };

	assert_int_equal(store_exec(f->c, "BEGIN IMMEDIATE"), 0);
	assert_int_equal(vault_seal(f->vault, f->c, pseudonym, data, strlen(data), &ct, &ctlen), 0);
	memset(&r, 0, sizeof(r));
	r.id = id;
	r.created_us = when;
	r.actor = "staff:Alex Smith";
	r.actor_role = "staff";
	r.agency_id = agency_id;
	r.purpose = "education_support";
	r.family_pseudonym = pseudonym;
	r.decision = "allowed";
	r.rule = "allowed";
	r.article6 = "public_task";
	r.requested_fields = fields;
	r.disclosed_fields = fields;
	r.withheld_fields = "[]";
	r.data_ct = ct;
	r.data_ctlen = ctlen;
	r.reason_ct = reason;
	r.reason_ctlen = sizeof(reason);
	r.ledger_seq = 1;
	assert_int_equal(store_disclosure_digest(&r, r.record_digest), 0);
	assert_int_equal(store_disclosure_insert(f->c, &r), 0);
	assert_int_equal(delivery_enqueue(f->c, id, current, agency_id, pseudonym, when,
	    awaits_notice), 0);
	assert_int_equal(store_exec(f->c, "COMMIT"), 0);
	free(ct);
}

/* As record_in, with a's profile the one in force. */
static void
record(struct fixture *f, const char *id, const struct agency *a, const char *pseudonym,
    const char *data, const char *fields, int64_t when, int awaits_notice)
{
	struct agency	copy = *a;
	struct profiles	current = { .agencies = &copy, .n = 1 };

	record_in(f, id, a->id, &current, pseudonym, data, fields, when, awaits_notice);
}

static void
disclose(struct fixture *f, const char *id, const struct agency *a, const char *pseudonym,
    const char *data, const char *fields, int64_t when)
{
	record(f, id, a, pseudonym, data, fields, when, 0);
}

static void
queue(struct fixture *f, const char *id, const struct agency *a, int64_t when)
{
	disclose(f, id, a, "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]", when);
}

/* Queued to wait for the family's notice (a notifier is configured). */
static void
hold(struct fixture *f, const char *id, const struct agency *a, int64_t when)
{
	record(f, id, a, "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]", when, 1);
}

/* A consent of the family for oakfield-primary's education_support. */
static void
consent(struct fixture *f, const char *id, const char *pseudonym, int64_t expires_us)
{
	struct consent_row	k;
	static const unsigned char evidence[] = { 1 };

	memset(&k, 0, sizeof(k));
	snprintf(k.id, sizeof(k.id), "%s", id);
	snprintf(k.family_pseudonym, sizeof(k.family_pseudonym), "%s", pseudonym);
	snprintf(k.agency_id, sizeof(k.agency_id), "oakfield-primary");
	snprintf(k.purpose, sizeof(k.purpose), "education_support");
	k.granted_us = f->now - 10 * SEC;
	k.expires_us = expires_us;
	assert_int_equal(store_consent_insert(f->c, &k, "staff:Alex Smith", evidence,
	    sizeof(evidence)), 0);
}

static struct delivery_row
get(struct fixture *f, const char *id)
{
	struct delivery_row	r;

	assert_int_equal(store_delivery_get(f->c, id, &r), 0);
	return r;
}

/* A reload can switch an agency's mode between a disclosure's decision
 * (which read the profile then in force) and its commit, after the reload
 * moved what waited (delivery_follow_modes): the row takes the mode of the
 * profiles in force at the commit; an agency gone from them is a push, to
 * be dead-lettered agency_unknown by the worker. */
static void
test_mode_is_that_of_the_profiles_at_commit(void **state)
{
	struct agency	now_pull[] = { pull_other, { .id = "health-visiting",
			    .delivery = DELIVERY_PULL } };
	struct agency	now_push[] = { push_agency, { .id = "oakfield-primary",
			    .delivery = DELIVERY_PUSH } };
	struct profiles	pulls = { .agencies = now_pull, .n = 2 }, pushes = { .agencies = now_push, .n = 2 },
			gone = { .agencies = now_pull, .n = 1 };

	(void)state;
	assert_string_equal(delivery_mode_at_commit(&pulls, "health-visiting"), "pull");
	assert_string_equal(delivery_mode_at_commit(&pushes, "health-visiting"), "push");
	assert_string_equal(delivery_mode_at_commit(&pushes, "oakfield-primary"), "push");
	assert_string_equal(delivery_mode_at_commit(&pulls, "police"), "pull");
	assert_string_equal(delivery_mode_at_commit(&gone, "health-visiting"), "push");
	assert_string_equal(delivery_mode_at_commit(&gone, "nobody"), "push");
}

/* The decision read health-visiting as push; by the commit a reload made
 * it pull: the row is in its inbox, never a push the worker would
 * dead-letter agency_not_push. And back: oakfield-primary decided as pull,
 * committed as push, is due at once. */
static void
test_enqueue_takes_the_mode_in_force_at_commit(void **state)
{
	struct fixture		*f = *state;
	struct agency		 after[] = { { .id = "health-visiting", .delivery = DELIVERY_PULL },
				    { .id = "oakfield-primary", .delivery = DELIVERY_PUSH } };
	struct profiles		 current = { .agencies = after, .n = 2 };
	struct delivery_row	 rows[4];
	struct delivery_row	 r;

	record_in(f, "dsc_hv", push_agency.id, &current, "aa11", "{\"child_name\":\"Ada\"}",
	    "[\"child_name\"]", f->now, 0);
	record_in(f, "dsc_op", pull_agency.id, &current, "aa11", "{\"child_name\":\"Ada\"}",
	    "[\"child_name\"]", f->now, 0);
	r = get(f, "dsc_hv");
	assert_string_equal(r.mode, "pull");
	assert_string_equal(r.state, "pending");
	r = get(f, "dsc_op");
	assert_string_equal(r.mode, "push");
	assert_int_equal(store_deliveries_due(f->c, f->now, rows, 4), 1);
	assert_string_equal(rows[0].disclosure_id, "dsc_op");
}

static void
test_curl_timeouts_map_to_timeout(void **state)
{
	(void)state;
	assert_int_equal(delivery_fault_of_curl(CURLE_OPERATION_TIMEDOUT), RETRY_FAULT_TIMEOUT);
	assert_int_equal(delivery_fault_of_curl(CURLE_OK), RETRY_FAULT_NONE);
}

static void
test_curl_connection_errors_map_to_connect(void **state)
{
	(void)state;
	assert_int_equal(delivery_fault_of_curl(CURLE_COULDNT_CONNECT), RETRY_FAULT_CONNECT);
	assert_int_equal(delivery_fault_of_curl(CURLE_COULDNT_RESOLVE_HOST), RETRY_FAULT_CONNECT);
	assert_int_equal(delivery_fault_of_curl(CURLE_SEND_ERROR), RETRY_FAULT_CONNECT);
	assert_int_equal(delivery_fault_of_curl(CURLE_RECV_ERROR), RETRY_FAULT_CONNECT);
	assert_int_equal(delivery_fault_of_curl(CURLE_GOT_NOTHING), RETRY_FAULT_CONNECT);
	assert_int_equal(delivery_fault_of_curl(CURLE_PARTIAL_FILE), RETRY_FAULT_CONNECT);
}

static void
test_curl_peer_verification_maps_to_tls(void **state)
{
	(void)state;
	assert_int_equal(delivery_fault_of_curl(CURLE_PEER_FAILED_VERIFICATION), RETRY_FAULT_TLS);
	assert_int_equal(delivery_fault_of_curl(CURLE_SSL_CONNECT_ERROR), RETRY_FAULT_TLS);
	assert_int_equal(retry_classify(delivery_fault_of_curl(CURLE_PEER_FAILED_VERIFICATION), 0),
	    RETRY_TRANSIENT);
}

static void
test_curl_pin_mismatch_is_its_own_fault_permanent_for_a_push(void **state)
{
	(void)state;
	assert_int_equal(delivery_fault_of_curl(CURLE_SSL_PINNEDPUBKEYNOTMATCH), RETRY_FAULT_PIN);
	assert_string_equal(retry_fault_name(delivery_fault_of_curl(CURLE_SSL_PINNEDPUBKEYNOTMATCH)),
	    "pin_mismatch");
	assert_int_equal(retry_classify_push(delivery_fault_of_curl(CURLE_SSL_PINNEDPUBKEYNOTMATCH),
	    0), RETRY_PERMANENT);
}

static void
test_curl_local_configuration_errors_are_permanent(void **state)
{
	(void)state;
	assert_int_equal(delivery_fault_of_curl(CURLE_URL_MALFORMAT), RETRY_FAULT_LOCAL);
	assert_int_equal(delivery_fault_of_curl(CURLE_UNSUPPORTED_PROTOCOL), RETRY_FAULT_LOCAL);
	assert_int_equal(delivery_fault_of_curl(CURLE_SSL_CERTPROBLEM), RETRY_FAULT_LOCAL);
	assert_int_equal(delivery_fault_of_curl(CURLE_SSL_CACERT_BADFILE), RETRY_FAULT_LOCAL);
	assert_int_equal(retry_classify(delivery_fault_of_curl(CURLE_URL_MALFORMAT), 0),
	    RETRY_PERMANENT);
}

static void
test_enqueue_push_is_due_at_once(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 due[4];

	queue(f, "dsc_1", &push_agency, f->now);
	struct delivery_row r = get(f, "dsc_1");
	assert_string_equal(r.mode, "push");
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 0);
	assert_int_equal(store_deliveries_due(f->c, f->now, due, 4), 1);
	assert_string_equal(due[0].disclosure_id, "dsc_1");
	assert_int_equal(store_deliveries_due(f->c, f->now - 1, due, 4), 0);
}

static void
test_pull_is_never_due_for_push(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 due[4];
	int64_t			 when;

	queue(f, "dsc_pull", &pull_agency, f->now);
	assert_string_equal(get(f, "dsc_pull").mode, "pull");
	assert_int_equal(store_deliveries_due(f->c, f->now + 3600 * SEC, due, 4), 0);
	assert_int_equal(store_delivery_next_due(f->c, 0, &when), 1);
}

static void
test_retry_waits_until_next_attempt(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 due[4];
	int64_t			 when;

	queue(f, "dsc_1", &push_agency, f->now);
	assert_int_equal(store_delivery_retry(f->c, "dsc_1", 1, f->now, 503, "http_503",
	    f->now + 5 * SEC), 0);
	assert_int_equal(store_deliveries_due(f->c, f->now + 5 * SEC - 1, due, 4), 0);
	assert_int_equal(store_deliveries_due(f->c, f->now + 5 * SEC, due, 4), 1);
	assert_int_equal(due[0].attempts, 1);
	assert_int_equal(due[0].last_status, 503);
	assert_string_equal(due[0].last_error, "http_503");
	assert_int_equal(store_delivery_next_due(f->c, f->now, &when), 0);
	assert_int_equal(when, f->now + 5 * SEC);
	assert_int_equal(store_delivery_next_due(f->c, f->now + 5 * SEC, &when), 1);
}

static void
test_delivered_is_final_and_keeps_the_receipt(void **state)
{
	struct fixture		*f = *state;
	unsigned char		 sha[32];
	struct delivery_row	 due[4];

	memset(sha, 0xab, sizeof(sha));
	queue(f, "dsc_1", &push_agency, f->now);
	assert_int_equal(store_delivery_delivered(f->c, "dsc_1", 1, f->now + 1, 200, sha), 0);
	struct delivery_row r = get(f, "dsc_1");
	assert_string_equal(r.state, "delivered");
	assert_int_equal(r.delivered_us, f->now + 1);
	assert_int_equal(store_deliveries_due(f->c, f->now + 3600 * SEC, due, 4), 0);
	/* A late result for a delivered row changes nothing. */
	assert_int_equal(store_delivery_retry(f->c, "dsc_1", 2, f->now, 503, "x", f->now), 1);
	assert_int_equal(store_delivery_dead(f->c, "dsc_1", 2, f->now, 400, "x", "permanent"), 1);
	assert_int_equal(store_delivery_delivered(f->c, "dsc_1", 2, f->now, 200, sha), 1);
	assert_string_equal(get(f, "dsc_1").state, "delivered");
}

static void
test_dead_letter_can_be_requeued_once_dead(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 due[4];

	queue(f, "dsc_1", &push_agency, f->now);
	assert_int_equal(store_delivery_requeue(f->c, "dsc_1", f->now, "operator:x"), 2);
	assert_int_equal(store_delivery_dead(f->c, "dsc_1", 1, f->now, 400, "http_400",
	    "permanent"), 0);
	struct delivery_row r = get(f, "dsc_1");
	assert_string_equal(r.state, "dead");
	assert_string_equal(r.dead_reason, "permanent");
	assert_int_equal(store_deliveries_due(f->c, f->now + 3600 * SEC, due, 4), 0);
	assert_int_equal(store_delivery_requeue(f->c, "dsc_1", f->now + SEC, "operator:x"), 0);
	r = get(f, "dsc_1");
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 0);
	assert_int_equal(r.requeues, 1);
	assert_int_equal(store_deliveries_due(f->c, f->now + SEC, due, 4), 1);
	assert_int_equal(store_delivery_requeue(f->c, "dsc_none", f->now, "operator:x"), 1);
}

struct gone_seen {
	int	n;
	int	read;	/* of those, how many the agency had read */
};

static int
gone_seen(const char *id, const char *pseudonym, int reads, void *arg)
{
	struct gone_seen	*g = arg;

	assert_true(strncmp(id, "dsc_", 4) == 0);
	assert_string_equal(pseudonym, "aa11");
	g->n++;
	g->read += reads > 0;
	return 0;
}

/* An agency gone from the profiles: its inbox items (more than a round of
 * 64, one read and never acked) become dead letters agency_unknown, each
 * seen once; its push is due now; its pull held for the family's notice
 * becomes a push still held (never released by a re-queue before the
 * family is told). Another agency's rows are left alone. A re-queued dead
 * letter is a push again, for the worker to place by the profiles. */
static void
test_agency_gone_dead_letters_its_inbox(void **state)
{
	struct fixture		*f = *state;
	struct gone_seen	 g = { 0, 0 };
	struct delivery_row	 r;
	char			 id[40], next[64];
	int			 i;

	for (i = 0; i < 70; i++) {
		snprintf(id, sizeof(id), "dsc_p%02d", i);
		queue(f, id, &pull_agency, f->now + i);
	}
	assert_int_equal(store_inbox_read(f->c, "dsc_p03"), 0);
	hold(f, "dsc_held", &pull_agency, f->now);
	queue(f, "dsc_other", &pull_other, f->now);
	queue(f, "dsc_push", &push_agency, f->now);
	assert_int_equal(store_delivery_retry(f->c, "dsc_push", 1, f->now, 503, "http_503",
	    f->now + 3600 * SEC), 0);

	assert_int_equal(store_deliveries_next_pending_agency(f->c, "", next, sizeof(next)), 0);
	assert_string_equal(next, "health-visiting");
	assert_int_equal(store_deliveries_next_pending_agency(f->c, next, next, sizeof(next)), 0);
	assert_string_equal(next, "oakfield-primary");
	assert_int_equal(store_deliveries_next_pending_agency(f->c, next, next, sizeof(next)), 0);
	assert_string_equal(next, "police");
	assert_int_equal(store_deliveries_next_pending_agency(f->c, next, next, sizeof(next)), 1);

	assert_int_equal(store_deliveries_agency_gone(f->c, "oakfield-primary", f->now + SEC,
	    gone_seen, &g), 70);
	assert_int_equal(g.n, 70);
	assert_int_equal(g.read, 1);
	r = get(f, "dsc_p03");
	assert_string_equal(r.state, "dead");
	assert_string_equal(r.mode, "pull");
	assert_string_equal(r.dead_reason, DELIVERY_AGENCY_UNKNOWN);
	assert_int_equal(r.reads, 1);
	assert_string_equal(get(f, "dsc_p69").state, "dead");
	r = get(f, "dsc_held");
	assert_string_equal(r.state, "pending");
	assert_string_equal(r.mode, "push");
	assert_true(r.next_attempt_us == DELIVERY_AWAITS_NOTICE);
	assert_string_equal(get(f, "dsc_other").state, "pending");
	assert_string_equal(get(f, "dsc_other").mode, "pull");

	g.n = 0;
	assert_int_equal(store_deliveries_agency_gone(f->c, "health-visiting", f->now + SEC,
	    gone_seen, &g), 0);
	assert_int_equal(g.n, 0);
	r = get(f, "dsc_push");
	assert_string_equal(r.state, "pending");
	assert_true(r.next_attempt_us == f->now + SEC);

	assert_int_equal(store_delivery_requeue(f->c, "dsc_p03", f->now + 2 * SEC,
	    "operator:x"), 0);
	r = get(f, "dsc_p03");
	assert_string_equal(r.state, "pending");
	assert_string_equal(r.mode, "push");
	assert_int_equal(r.reads, 1);
}

static void
test_list_and_counts_by_state(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 rows[8];
	struct delivery_counts	 k;
	unsigned char		 sha[32] = { 0 };

	queue(f, "dsc_a", &push_agency, f->now);
	queue(f, "dsc_b", &push_agency, f->now + 1);
	queue(f, "dsc_c", &push_agency, f->now + 2);
	queue(f, "dsc_d", &pull_agency, f->now + 3);
	assert_int_equal(store_delivery_dead(f->c, "dsc_b", 1, f->now, 400, "http_400",
	    "permanent"), 0);
	assert_int_equal(store_delivery_delivered(f->c, "dsc_c", 1, f->now, 200, sha), 0);
	assert_int_equal(store_deliveries_list(f->c, NULL, rows, 8), 3);	/* a, b, d */
	assert_string_equal(rows[0].disclosure_id, "dsc_a");
	assert_string_equal(rows[1].disclosure_id, "dsc_b");
	assert_string_equal(rows[2].disclosure_id, "dsc_d");
	assert_int_equal(store_deliveries_list(f->c, "dead", rows, 8), 1);
	assert_int_equal(store_deliveries_list(f->c, "delivered", rows, 8), 1);
	assert_int_equal(store_delivery_counts(f->c, &k), 0);
	assert_int_equal(k.push_pending, 1);
	assert_int_equal(k.pull_pending, 1);
	assert_int_equal(k.dead, 1);
}

static void
test_inbox_holds_only_the_agencys_own_pull_items(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 rows[8];

	queue(f, "dsc_1", &pull_agency, f->now);
	queue(f, "dsc_2", &pull_other, f->now + 1);
	queue(f, "dsc_3", &push_agency, f->now + 2);
	queue(f, "dsc_4", &pull_agency, f->now + 3);
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", 0, "", rows, 8), 2);
	assert_string_equal(rows[0].disclosure_id, "dsc_1");
	assert_string_equal(rows[1].disclosure_id, "dsc_4");
	assert_int_equal(store_inbox_page(f->c, "police", 0, "", rows, 8), 1);
	assert_int_equal(store_inbox_page(f->c, "health-visiting", 0, "", rows, 8), 0);
}

static void
test_inbox_pages_by_cursor(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 rows[8];

	/* Same creation time: the id breaks the tie, so no item is skipped. */
	queue(f, "dsc_1", &pull_agency, f->now);
	queue(f, "dsc_2", &pull_agency, f->now);
	queue(f, "dsc_3", &pull_agency, f->now + 1);
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", 0, "", rows, 1), 1);
	assert_string_equal(rows[0].disclosure_id, "dsc_1");
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", f->now, "dsc_1", rows, 1), 1);
	assert_string_equal(rows[0].disclosure_id, "dsc_2");
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", f->now, "dsc_2", rows, 8), 1);
	assert_string_equal(rows[0].disclosure_id, "dsc_3");
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", f->now + 1, "dsc_3", rows, 8),
	    0);
}

/* The connection's cached statement whose SQL holds all of the needles. */
static sqlite3_stmt *
cached(struct fixture *f, const char *n1, const char *n2, const char *n3)
{
	sqlite3_stmt	*st = NULL;
	const char	*sql;

	while ((st = sqlite3_next_stmt(store_db(f->c), st)) != NULL) {
		sql = sqlite3_sql(st);
		if (strstr(sql, n1) != NULL && strstr(sql, n2) != NULL &&
		    strstr(sql, n3) != NULL)
			return st;
	}
	return NULL;
}

/* Whether EXPLAIN QUERY PLAN of sql mentions what. */
static int
plan_says(struct fixture *f, const char *sql, const char *what)
{
	sqlite3_stmt	*st;
	char		*q;
	int		 found = 0;

	assert_non_null(q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql));
	assert_int_equal(sqlite3_prepare_v2(store_db(f->c), q, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strstr((const char *)sqlite3_column_text(st, 3), what) != NULL)
			found = 1;
	sqlite3_finalize(st);
	sqlite3_free(q);
	return found;
}

/*
 * Deliveries held for the family's notice are never in a page nor in the
 * inbox gauge, and are not in deliveries_inbox at all: neither a poll at
 * the end of the inbox nor the gauge's count steps over them (the poll
 * did, a table lookup each: 30 ms at 44k held). Released, one is in the
 * inbox at once.
 */
#define HELD	200
static void
test_inbox_reads_no_held_delivery(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 rows[8];
	struct delivery_counts	 k;
	sqlite3_stmt		*st;
	char			 id[32];
	int			 i, steps;

	queue(f, "dsc_0", &pull_agency, f->now);
	for (i = 0; i < HELD; i++) {
		snprintf(id, sizeof(id), "dsc_h%03d", i);
		hold(f, id, &pull_agency, f->now + 1 + i);
	}
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", 0, "", rows, 8), 1);
	assert_string_equal(rows[0].disclosure_id, "dsc_0");
	assert_non_null(st = cached(f, "FROM deliveries", "agency_id = ?", "ORDER BY"));
	assert_true(plan_says(f, sqlite3_sql(st), "INDEX deliveries_inbox"));

	sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", f->now, "dsc_0", rows, 8),
	    0);
	steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	print_message("inbox poll past the end: %d VM steps over %d held\n", steps, HELD);
	assert_true(steps < HELD);
	assert_int_equal(store_delivery_counts(f->c, &k), 0);
	assert_int_equal(k.pull_pending, 1);
	assert_non_null(st = cached(f, "count(*)", "deliveries_inbox", "deliveries_due"));
	sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	assert_int_equal(store_delivery_counts(f->c, &k), 0);
	steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	print_message("delivery counts: %d VM steps over %d held\n", steps, HELD);
	assert_true(steps < HELD);

	assert_int_equal(store_delivery_release_after_notice(f->c, "dsc_h007", f->now + HELD),
	    1);
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", f->now, "dsc_0", rows, 8),
	    1);
	assert_string_equal(rows[0].disclosure_id, "dsc_h007");
	assert_int_equal(store_delivery_counts(f->c, &k), 0);
	assert_int_equal(k.pull_pending, 2);
}

/* The delivery worker's sweep looks up the consents that ran out in its
 * window (through their expiry index), not the deliveries; and which of
 * those families still have something to stop. */
static void
test_sweep_window_finds_the_consents_that_ran_out_in_it(void **state)
{
	struct fixture		*f = *state;
	struct lapsed_row	 g[4], after;
	char			 sql[160];

	consent(f, "cns_old", "aa11", f->now - 100 * SEC);
	consent(f, "cns_in", "aa11", f->now - 5 * SEC);
	consent(f, "cns_in2", "bb22", f->now - 3 * SEC);
	consent(f, "cns_later", "cc33", f->now + 100 * SEC);
	consent(f, "cns_never", "dd44", 0);
	assert_int_equal(store_consents_ended(f->c, f->now - 60 * SEC, f->now, NULL, g, 4), 2);
	assert_string_equal(g[0].family_pseudonym, "aa11");
	assert_string_equal(g[0].agency_id, "oakfield-primary");
	assert_string_equal(g[0].purpose, "education_support");
	assert_string_equal(g[0].disclosure_id, "");
	assert_string_equal(g[1].family_pseudonym, "bb22");
	/* Paged after the last one seen. */
	after = g[0];
	assert_int_equal(store_consents_ended(f->c, f->now - 60 * SEC, f->now, &after, g, 4), 1);
	assert_string_equal(g[0].family_pseudonym, "bb22");
	assert_int_equal(store_consents_ended(f->c, f->now - 60 * SEC, f->now, NULL, g, 1), 1);
	assert_int_equal(store_consents_ended(f->c, f->now, f->now + 200 * SEC, NULL, g, 4), 1);
	assert_string_equal(g[0].family_pseudonym, "cc33");

	/* Stoppable: a pending delivery made on a consent, not one made
	 * without (an override), nor one already stopped. */
	queue(f, "dsc_1", &pull_agency, f->now);
	assert_int_equal(store_deliveries_stoppable(f->c, "aa11", "oakfield-primary",
	    "education_support"), 0);
	assert_int_equal(store_exec(f->c, "UPDATE disclosures SET consent_id = 'cns_in' "
	    "WHERE id = 'dsc_1'"), 0);
	assert_int_equal(store_deliveries_stoppable(f->c, "aa11", "oakfield-primary",
	    "education_support"), 1);
	assert_int_equal(store_deliveries_stoppable(f->c, "bb22", "oakfield-primary",
	    "education_support"), 0);
	assert_int_equal(store_deliveries_stoppable(f->c, "aa11", "oakfield-primary",
	    "attendance_support"), 0);
	snprintf(sql, sizeof(sql), "UPDATE deliveries SET state = 'dead', dead_reason = '%s' "
	    "WHERE disclosure_id = 'dsc_1'", DELIVERY_CONSENT_EXPIRED);
	assert_int_equal(store_exec(f->c, sql), 0);
	assert_int_equal(store_deliveries_stoppable(f->c, "aa11", "oakfield-primary",
	    "education_support"), 0);
}

static void
test_ack_only_by_the_recipient_and_once(void **state)
{
	struct fixture		*f = *state;
	struct delivery_row	 rows[8];
	unsigned char		 sha[32] = { 7 };

	queue(f, "dsc_1", &pull_agency, f->now);
	queue(f, "dsc_push", &push_agency, f->now);
	assert_int_equal(store_inbox_ack(f->c, "police", "dsc_1", f->now, sha), 1);
	assert_int_equal(store_inbox_ack(f->c, "health-visiting", "dsc_push", f->now, sha), 1);
	assert_int_equal(store_inbox_ack(f->c, "oakfield-primary", "dsc_none", f->now, sha), 1);
	assert_int_equal(store_inbox_read(f->c, "dsc_1"), 0);
	assert_int_equal(store_inbox_ack(f->c, "oakfield-primary", "dsc_1", f->now, sha), 0);
	assert_int_equal(store_inbox_ack(f->c, "oakfield-primary", "dsc_1", f->now, sha), 2);
	struct delivery_row r = get(f, "dsc_1");
	assert_string_equal(r.state, "delivered");
	assert_int_equal(r.reads, 1);
	assert_int_equal(store_inbox_page(f->c, "oakfield-primary", 0, "", rows, 8), 0);
	assert_int_equal(store_inbox_read(f->c, "dsc_1"), 1);
}

static void
test_events_are_recorded(void **state)
{
	struct fixture		*f = *state;
	struct delivery_event	 e = { .disclosure_id = "dsc_1", .attempt = 1, .kind = "push",
	    .actor = "system", .http_status = 503, .fault = "http_503", .outcome = "retry" };

	queue(f, "dsc_1", &push_agency, f->now);
	e.started_us = e.finished_us = f->now;
	assert_int_equal(store_delivery_event(f->c, &e), 0);
	e.outcome = "bogus";	/* the schema allows only the listed outcomes */
	assert_int_equal(store_delivery_event(f->c, &e), -1);
}

static void
test_attach_refuses_a_missing_database(void **state)
{
	struct fixture	*f = *state;
	struct store	*s;
	char		 err[256], path[128];

	snprintf(path, sizeof(path), "%s/nothing.db", f->dir);
	assert_null(store_attach(path, 0, err, sizeof(err)));
	assert_int_equal(access(path, F_OK), -1);	/* and did not create it */
	snprintf(path, sizeof(path), "%s/gateway.db", f->dir);
	assert_non_null(s = store_attach(path, 0, err, sizeof(err)));
	/* read-only: a write is refused */
	assert_int_equal(store_delivery_enqueue(store_write_conn(s), "dsc_x", "police", "aa",
	    "pull", f->now, 0), -1);
	store_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_curl_timeouts_map_to_timeout),
		cmocka_unit_test(test_curl_connection_errors_map_to_connect),
		cmocka_unit_test(test_curl_peer_verification_maps_to_tls),
		cmocka_unit_test(test_curl_pin_mismatch_is_its_own_fault_permanent_for_a_push),
		cmocka_unit_test(test_curl_local_configuration_errors_are_permanent),
		cmocka_unit_test(test_mode_is_that_of_the_profiles_at_commit),
		cmocka_unit_test_setup_teardown(test_enqueue_push_is_due_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enqueue_takes_the_mode_in_force_at_commit,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_pull_is_never_due_for_push, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_waits_until_next_attempt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delivered_is_final_and_keeps_the_receipt,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_letter_can_be_requeued_once_dead,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_agency_gone_dead_letters_its_inbox, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_list_and_counts_by_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_holds_only_the_agencys_own_pull_items,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_pages_by_cursor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inbox_reads_no_held_delivery, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_sweep_window_finds_the_consents_that_ran_out_in_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ack_only_by_the_recipient_and_once,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_are_recorded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_refuses_a_missing_database,
		    setup, teardown),
	};

	return cmocka_run_group_tests_name("delivery", tests, NULL, NULL);
}
