/*
 * test_disclosure_signed.c: a disclosure row checked against its own
 * signed ledger entry (gateway/disclosure_signed.c) and the delivery body
 * built only from such a row (delivery.c delivery_body), over a real store,
 * writer, ledger and vault: a row as written is served, at once (inside
 * the batch that wrote it, and by a reader the moment it is answered); a
 * row whose sealed values were swapped with another of the family's, or
 * whose plain column was changed, or that names another disclosure's entry,
 * or an entry the gateway did not write, is not; a delivery to an agency the disclosure's entry did not sign is
 * not built. And the body itself: exactly the disclosed values, nothing
 * once the family's key is destroyed; its receipt no plain digest of them
 * (a guessed value is not confirmed by hashing a candidate body), and
 * not recomputable once the family's key is destroyed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "delivery.h"
#include "disclosure_signed.h"
#include "gateway.h"
#include "ledger.h"
#include "profiles.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

struct fixture {
	char		 dir[64];
	struct gateway	 gw;
};

static const struct agency push_agency = { .id = "health-visiting", .delivery = DELIVERY_PUSH };

/* The current profiles delivery_body() reads: the agency's interest covers
 * what the tests disclose (delivery_interest_lapsed). */
static const char *interest_fields[] = { "child_name", "school_name", NULL };
static struct interest current_interest = {
	.purpose = "education_support", .lawful_basis = "consent",
	.fields = interest_fields, .nfields = 2,
};
static struct agency current_agency = {
	.id = "health-visiting", .delivery = DELIVERY_PUSH,
	.interests = &current_interest, .ninterests = 1,
};
static struct profiles current_profiles = { .agencies = &current_agency, .n = 1 };

/* One allowed disclosure, as disclosure_api.c records it: sealed, digested,
 * its ledger entry carrying the digest, the row naming the entry, its
 * delivery queued; check: then checked inside the same job (signed). */
struct disclose {
	struct fixture	*f;
	const char	*id, *pseudonym, *data, *fields;
	int		 check;
	int		 signed_rc;
	int64_t		 seq;
	int		 forge;		/* the entry inserted behind the ledger's back,
					   with a correct leaf hash */
	const char	*consent_id;	/* made on this consent (NULL: none) */
};

static int
disclose_job(struct store_conn *c, void *arg)
{
	struct disclose		*j = arg;
	struct agency		 copy = push_agency;
	struct profiles		 current = { .agencies = &copy, .n = 1 };
	struct disclosure_row	 r, *got = NULL;
	struct ledger_entry	 le;
	unsigned char		*ct = NULL;
	size_t			 ctlen = 0;
	static const unsigned char reason[] = { 1 };
	int			 rc = -1;

	if (vault_seal(j->f->gw.vault, c, j->pseudonym, j->data, strlen(j->data), &ct, &ctlen) != 0)
		return -1;
	memset(&r, 0, sizeof(r));
	r.id = j->id;
	r.created_us = store_now_us();
	r.actor = "staff:Alex Smith";
	r.actor_role = "staff";
	r.agency_id = push_agency.id;
	r.purpose = "education_support";
	r.family_pseudonym = j->pseudonym;
	r.decision = "allowed";
	r.rule = "allowed";
	r.article6 = "public_task";
	r.requested_fields = j->fields;
	r.disclosed_fields = j->fields;
	r.withheld_fields = "[]";
	r.data_ct = ct;
	r.data_ctlen = ctlen;
	r.reason_ct = reason;
	r.reason_ctlen = sizeof(reason);
	r.consent_id = j->consent_id;
	if (store_disclosure_digest(&r, r.record_digest) != 0)
		goto out;
	memset(&le, 0, sizeof(le));
	le.actor = r.actor;
	le.actor_role = r.actor_role;
	le.action = "disclosure.allowed";
	le.family_pseudonym = r.family_pseudonym;
	le.object_id = r.id;
	le.reason = r.rule;
	le.record_digest = r.record_digest;
	if (j->forge) {
		struct ledger_record	lr = { 0, store_now_us(), le };
		int64_t			tail, t;

		if (store_ledger_tail(c, &tail, &t, NULL) != 0)
			goto out;
		lr.seq = tail + 1;
		if (ledger_leaf_hash(NULL, &lr, r.leaf_hash) != 0 ||
		    store_ledger_insert(c, &lr, r.leaf_hash) != 0)
			goto out;
		r.ledger_seq = lr.seq;
	} else if (ledger_append(j->f->gw.ledger, c, &le, &r.ledger_seq, r.leaf_hash) != 0)
		goto out;
	if (store_disclosure_insert(c, &r) != 0 ||
	    delivery_enqueue(c, r.id, &current, r.agency_id, r.family_pseudonym, r.created_us,
	    0) != 0)
		goto out;
	j->seq = r.ledger_seq;
	if (j->check) {
		/* Not committed yet, so not in the tree: the leaf kept for it. */
		if (store_disclosure_get(c, r.id, &got) != 0)
			goto out;
		j->signed_rc = disclosure_signed(j->f->gw.ledger, c, got);
		store_disclosure_free(got);
	}
	rc = 0;
out:
	free(ct);
	return rc;
}

static int64_t
disclose(struct fixture *f, const char *id, const char *pseudonym, const char *data,
    const char *fields)
{
	struct disclose	j = { f, id, pseudonym, data, fields, 0, -1, 0, 0, NULL };

	assert_int_equal(writer_submit(f->gw.writer, disclose_job, &j), 0);
	return j.seq;
}

static int
sql_job(struct store_conn *c, void *arg)
{
	return store_exec(c, arg);
}

/* What someone who can write the database file does behind the gateway. */
static void
tamper(struct fixture *f, const char *sql)
{
	assert_int_equal(writer_submit(f->gw.writer, sql_job, (void *)sql), 0);
}

/* disclosure_signed() of id, on a read connection. */
static int
check(struct fixture *f, const char *id)
{
	struct store_conn	*c;
	struct disclosure_row	*d = NULL;
	int			 rc;

	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(store_disclosure_get(c, id, &d), 0);
	rc = disclosure_signed(f->gw.ledger, c, d);
	store_disclosure_free(d);
	store_read_end(f->gw.store, c);
	return rc;
}

/* delivery_body() of id to agency, on a read connection; the body freed. */
static int
body_rc(struct fixture *f, const char *id, const char *agency)
{
	struct store_conn	*c;
	char			*body = NULL;
	size_t			 len = 0;
	unsigned char		 sha[32];
	int			 rc;

	assert_non_null(c = store_read_begin(f->gw.store));
	rc = delivery_body(&f->gw, c, id, agency, &body, &len, sha, NULL);
	store_read_end(f->gw.store, c);
	if (rc != 0)
		assert_null(body);
	delivery_body_free(body, len);
	return rc;
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[512], key[128];
	FILE		*kf;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwdsig.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_non_null(f->gw.store = store_open(f->dir, err, sizeof(err)));
	assert_non_null(f->gw.writer = writer_start(f->gw.store));
	assert_non_null(f->gw.ledger = ledger_open(f->gw.store, f->gw.writer, f->dir, NULL, 0, err,
	    sizeof(err)));
	snprintf(key, sizeof(key), "%s/master.key", f->dir);
	assert_non_null(kf = fopen(key, "w"));
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, kf);
	fclose(kf);
	chmod(key, 0600);
	assert_non_null(f->gw.vault = vault_open(key, err, sizeof(err)));
	f->gw.profiles = &current_profiles;
	writer_on_commit(f->gw.writer, vault_committed, f->gw.vault);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 cmd[128];

	ledger_stop(f->gw.ledger);
	writer_stop(f->gw.writer);
	ledger_free(f->gw.ledger);
	vault_free(f->gw.vault);
	store_close(f->gw.store);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Read at once: inside the batch that wrote it (its entry not yet in the
 * tree), and by a reader as soon as the writer answers. */
static void
test_a_row_as_written_is_signed_at_once(void **state)
{
	struct fixture	*f = *state;
	struct disclose	 j = { f, "dsc_now", "aa11", "{\"child_name\":\"Ada\"}",
			    "[\"child_name\"]", 1, -1, 0, 0, NULL };

	assert_int_equal(writer_submit(f->gw.writer, disclose_job, &j), 0);
	assert_int_equal(j.signed_rc, 0);
	assert_int_equal(check(f, "dsc_now"), 0);
	assert_int_equal(body_rc(f, "dsc_now", "health-visiting"), 0);
}

/* The GCM associated data is the family's pseudonym alone: two of its
 * disclosures' sealed values swapped would open as each other's. */
static void
test_values_swapped_between_a_familys_rows_are_refused(void **state)
{
	struct fixture	*f = *state;

	disclose(f, "dsc_a", "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	disclose(f, "dsc_b", "aa11", "{\"child_name\":\"Bea\"}", "[\"child_name\"]");
	tamper(f, "CREATE TEMP TABLE swap AS SELECT id, data_ct FROM disclosures "
	    "WHERE id IN ('dsc_a', 'dsc_b')");
	tamper(f, "UPDATE disclosures SET data_ct = (SELECT data_ct FROM swap WHERE swap.id = "
	    "CASE disclosures.id WHEN 'dsc_a' THEN 'dsc_b' ELSE 'dsc_a' END) "
	    "WHERE id IN ('dsc_a', 'dsc_b')");
	tamper(f, "DROP TABLE swap");
	assert_int_equal(check(f, "dsc_a"), 1);
	assert_int_equal(check(f, "dsc_b"), 1);
	assert_int_equal(body_rc(f, "dsc_a", "health-visiting"), 3);
	assert_int_equal(body_rc(f, "dsc_b", "health-visiting"), 3);
}

static void
test_a_changed_column_is_refused(void **state)
{
	struct fixture	*f = *state;

	disclose(f, "dsc_c", "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	disclose(f, "dsc_d", "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	tamper(f, "UPDATE disclosures SET agency_id = 'police' WHERE id = 'dsc_c'");
	tamper(f, "UPDATE disclosures SET disclosed_fields = '[\"child_name\",\"address\"]' "
	    "WHERE id = 'dsc_d'");
	assert_int_equal(check(f, "dsc_c"), 1);
	assert_int_equal(check(f, "dsc_d"), 1);
	assert_int_equal(body_rc(f, "dsc_c", "police"), 3);
	assert_int_equal(body_rc(f, "dsc_d", "health-visiting"), 3);
}

/* A disclosure's digest gives its consent and its notification hold's
 * sealed reason no mark of which is which (both optional, both a length
 * and bytes): a row made on consent whose consent id is moved into the hold
 * column would digest the same and pass as signed, now saying the family
 * notification was held (hold_signed.h: the notice is then never sent, the
 * export refused) and naming no consent. Neither column out of its own form
 * (a consent id is text, a sealed reason starts with the seal's version
 * byte) is taken as signed. */
static void
test_a_consent_moved_into_the_hold_column_is_not_signed(void **state)
{
	struct fixture	*f = *state;
	struct disclose	 j = { f, "dsc_cons", "aa11", "{\"child_name\":\"Ada\"}",
			    "[\"child_name\"]", 0, -1, 0, 0, "con_01JEXAMPLE0000000000000000" };

	assert_int_equal(writer_submit(f->gw.writer, disclose_job, &j), 0);
	assert_int_equal(check(f, "dsc_cons"), 0);
	tamper(f, "UPDATE disclosures SET hold_reason_ct = CAST(consent_id AS BLOB), "
	    "consent_id = NULL WHERE id = 'dsc_cons'");
	assert_int_equal(check(f, "dsc_cons"), 1);
	assert_int_equal(body_rc(f, "dsc_cons", "health-visiting"), 3);
}

/* A row copied whole onto another's id, or made to name another
 * disclosure's entry (or one that does not exist), is not signed for it. */
static void
test_a_row_naming_another_entry_is_refused(void **state)
{
	struct fixture	*f = *state;
	int64_t		 seq_e;

	seq_e = disclose(f, "dsc_e", "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	disclose(f, "dsc_f", "aa11", "{\"child_name\":\"Bea\"}", "[\"child_name\"]");
	disclose(f, "dsc_g", "aa11", "{\"child_name\":\"Cy\"}", "[\"child_name\"]");
	char sql[160];
	snprintf(sql, sizeof(sql), "UPDATE disclosures SET ledger_seq = %lld WHERE id = 'dsc_f'",
	    (long long)seq_e);
	tamper(f, sql);
	tamper(f, "UPDATE disclosures SET ledger_seq = 999999 WHERE id = 'dsc_g'");
	assert_int_equal(check(f, "dsc_e"), 0);
	assert_int_equal(check(f, "dsc_f"), 1);
	assert_int_equal(check(f, "dsc_g"), 1);
}

static int
append_job(struct store_conn *c, void *arg)
{
	struct fixture		*f = arg;
	struct ledger_entry	 le = { "system", "system", "test.append", NULL, NULL, NULL, NULL };

	return ledger_append(f->gw.ledger, c, &le, NULL, NULL);
}

/* An entry the gateway did not write, with a leaf hash as good as its
 * own, is never taken as signed: while the tree has not been asked to
 * take it (no append since), the row is not served for now (-1, after
 * the wait for a commit hook); once the next append finds it, the ledger's
 * alarm is raised and the row differs (1). */
static void
test_an_entry_the_gateway_did_not_write_is_not_signed(void **state)
{
	struct fixture	*f = *state;
	struct disclose	 j = { f, "dsc_forged", "aa11", "{\"child_name\":\"Ada\"}",
			    "[\"child_name\"]", 0, -1, 0, 1, NULL };

	assert_int_equal(writer_submit(f->gw.writer, disclose_job, &j), 0);
	assert_true((uint64_t)j.seq > ledger_size(f->gw.ledger));
	assert_int_equal(check(f, "dsc_forged"), -1);
	assert_int_not_equal(writer_submit(f->gw.writer, append_job, f), 0);
	assert_int_equal(ledger_alarmed(f->gw.ledger), 1);
	assert_int_equal(check(f, "dsc_forged"), 1);
}

/* The deliveries row says where it goes: only to the agency the
 * disclosure's entry signed. */
static void
test_a_delivery_to_another_agency_is_not_built(void **state)
{
	struct fixture	*f = *state;

	disclose(f, "dsc_h", "aa11", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	assert_int_equal(body_rc(f, "dsc_h", "police"), 3);
	assert_int_equal(body_rc(f, "dsc_h", "health-visiting"), 0);
}

static void
test_body_is_exactly_the_disclosed_values(void **state)
{
	struct fixture		*f = *state;
	struct store_conn	*c;
	char			*body, *again;
	size_t			 len, againlen;
	unsigned char		 sha[32], want[32];
	json_t			*o;

	disclose(f, "dsc_b", "bb22", "{\"child_name\":\"Ada\",\"school_name\":\"Oak\"}",
	    "[\"child_name\",\"school_name\"]");
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(delivery_body(&f->gw, c, "dsc_b", "health-visiting", &body, &len, sha,
	    NULL), 0);
	assert_non_null(o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL));
	assert_string_equal(json_string_value(json_object_get(o, "disclosure_id")), "dsc_b");
	assert_string_equal(json_string_value(json_object_get(o, "agency_id")), "health-visiting");
	assert_string_equal(json_string_value(json_object_get(o, "purpose")), "education_support");
	assert_string_equal(json_string_value(json_object_get(json_object_get(o, "lawful_basis"),
	    "article6")), "public_task");
	assert_string_equal(json_string_value(json_object_get(o, "notification")), "queued");
	char *data = json_dumps(json_object_get(o, "data"), JSON_COMPACT);
	assert_string_equal(data, "{\"child_name\":\"Ada\",\"school_name\":\"Oak\"}");
	free(data);
	json_decref(o);
	/* Its receipt: the family-keyed MAC of exactly these bytes. */
	assert_int_equal(vault_receipt_mac(f->gw.vault, c, "bb22", body, len, want), 0);
	assert_memory_equal(sha, want, 32);
	/* The same body every time: retries carry the same bytes and signature. */
	assert_int_equal(delivery_body(&f->gw, c, "dsc_b", "health-visiting", &again, &againlen,
	    want, NULL), 0);
	store_read_end(f->gw.store, c);
	assert_int_equal(againlen, len);
	assert_memory_equal(again, body, len);
	delivery_body_free(again, againlen);
	delivery_body_free(body, len);
}

static int
destroy_job(struct store_conn *c, void *arg)
{
	struct fixture	*f = arg;

	return vault_destroy(f->gw.vault, c, "cc33", store_now_us()) == 0 ? 0 : -1;
}

static void
test_body_after_erasure_is_gone(void **state)
{
	struct fixture	*f = *state;

	disclose(f, "dsc_x", "cc33", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	assert_int_equal(writer_submit(f->gw.writer, destroy_job, f), 0);
	assert_int_equal(body_rc(f, "dsc_x", "health-visiting"), 2);
	assert_int_equal(body_rc(f, "dsc_none", "health-visiting"), 1);
}

static int
destroy_dd44_job(struct store_conn *c, void *arg)
{
	struct fixture	*f = arg;

	return vault_destroy(f->gw.vault, c, "dd44", store_now_us()) == 0 ? 0 : -1;
}

/* The receipt delivery_body() gives (kept on the deliveries row and in the
 * ledger's delivery entries) against someone holding the store or the
 * ledger: every member of the body but the values is a plain column of the
 * disclosure row, so a plain SHA-256 of the body would confirm a guessed
 * value (here the true one) by hashing the candidate body; before the
 * erasure and after it. Keyed by the family's own key, nothing is left to
 * recompute it with once that key is destroyed. */
static void
test_receipt_confirms_no_guessed_value_before_or_after_erasure(void **state)
{
	struct fixture		*f = *state;
	struct store_conn	*c;
	char			*body, *other;
	size_t			 len, otherlen;
	unsigned char		 receipt[32], guess[32], again[32], theirs[32];

	disclose(f, "dsc_r", "dd44", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	disclose(f, "dsc_s", "ee55", "{\"child_name\":\"Ada\"}", "[\"child_name\"]");
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(delivery_body(&f->gw, c, "dsc_r", "health-visiting", &body, &len,
	    receipt, NULL), 0);
	assert_int_equal(delivery_body(&f->gw, c, "dsc_s", "health-visiting", &other, &otherlen,
	    theirs, NULL), 0);
	store_read_end(f->gw.store, c);
	/* The attacker's candidate: the body with the guessed value (right). */
	assert_int_equal(EVP_Digest(body, len, guess, NULL, EVP_sha256(), NULL), 1);
	assert_memory_not_equal(receipt, guess, 32);
	/* Per family: the same bytes under another family's key differ. */
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(vault_receipt_mac(f->gw.vault, c, "ee55", body, len, again), 0);
	store_read_end(f->gw.store, c);
	assert_memory_not_equal(receipt, again, 32);
	assert_memory_not_equal(receipt, theirs, 32);
	/* Erased: the key that made the receipt is gone, so nothing kept can
	 * recompute it. */
	assert_int_equal(writer_submit(f->gw.writer, destroy_dd44_job, f), 0);
	assert_non_null(c = store_read_begin(f->gw.store));
	assert_int_equal(vault_receipt_mac(f->gw.vault, c, "dd44", body, len, again), 1);
	store_read_end(f->gw.store, c);
	delivery_body_free(other, otherlen);
	delivery_body_free(body, len);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_a_row_as_written_is_signed_at_once, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_values_swapped_between_a_familys_rows_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_changed_column_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_row_naming_another_entry_is_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_a_consent_moved_into_the_hold_column_is_not_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_an_entry_the_gateway_did_not_write_is_not_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_delivery_to_another_agency_is_not_built,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_body_is_exactly_the_disclosed_values, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_body_after_erasure_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_receipt_confirms_no_guessed_value_before_or_after_erasure, setup, teardown),
	};

	return cmocka_run_group_tests_name("disclosure_signed", tests, NULL, NULL);
}
