/*
 * test_ledger_verify.c: offline ledger verification names the first bad
 * sequence number for each kind of tampering, and passes an untouched ledger.
 *
 * The fixture is 10 entries with checkpoints signed at tree sizes 3, 7 and
 * 10 by a fresh Ed25519 key, exactly as the daemon would leave them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "ledger.h"
#include "ledger_verify.h"
#include "merkle.h"
#include "note.h"

#define N	10
#define ORIGIN	"families-together.example/gateway/ledger"

struct fixture {
	EVP_PKEY		*key;
	struct ledger_record	 rec[N];
	char			 reason[N][32];
	unsigned char		 leaf[N][32];
	char			*notes[3];
	uint64_t		 sizes[3];
	int64_t			 times[3];	/* signed times; 0: none */
	unsigned		 messages;
};

static void
sign_checkpoints(struct fixture *f)
{
	struct merkle_tree	*t = merkle_tree_new();
	unsigned char		 root[32];

	assert_non_null(t);
	for (int i = 0; i < N; i++)
		assert_int_equal(merkle_tree_append(t, f->leaf[i]), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(merkle_tree_root(t, f->sizes[i], root), 0);
		char *body = checkpoint_format(ORIGIN, f->sizes[i], root, f->times[i]);
		assert_non_null(body);
		free(f->notes[i]);
		f->notes[i] = note_sign(body, strlen(body), ORIGIN, f->key);
		assert_non_null(f->notes[i]);
		free(body);
	}
	merkle_tree_free(t);
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	EVP_PKEY_CTX	*kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);

	if (f == NULL || kc == NULL || EVP_PKEY_keygen_init(kc) != 1 ||
	    EVP_PKEY_keygen(kc, &f->key) != 1)
		return -1;
	EVP_PKEY_CTX_free(kc);
	for (int i = 0; i < N; i++) {
		snprintf(f->reason[i], sizeof(f->reason[i]), "reason %d", i + 1);
		f->rec[i] = (struct ledger_record){ i + 1, 1000000 + i, { "staff:A", "staff",
		    "record.read", NULL, "obj", f->reason[i], NULL } };
		if (ledger_leaf_hash(NULL, &f->rec[i], f->leaf[i]) != 0)
			return -1;
	}
	f->sizes[0] = 3;
	f->sizes[1] = 7;
	f->sizes[2] = 10;
	/* Entry seq s is at 1000000 + s - 1 us; each checkpoint a little after
	 * its newest entry. */
	for (int i = 0; i < 3; i++)
		f->times[i] = 1000000 + (int64_t)f->sizes[i] + 5;
	sign_checkpoints(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	for (int i = 0; i < 3; i++)
		free(f->notes[i]);
	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

static void
count_msg(void *arg, const char *msg)
{
	struct fixture	*f = arg;

	(void)msg;
	f->messages++;
}

/* Feeds entries idx[0..n) (indexes into the fixture) and all checkpoints. */
static int
run(struct fixture *f, const int *idx, int n, struct ledger_verify_report *rep)
{
	struct ledger_verify	*v = ledger_verify_new(f->key, ORIGIN, count_msg, f);
	int			 rc;

	assert_non_null(v);
	for (int i = 0; i < n; i++)
		assert_int_equal(ledger_verify_entry(v, &f->rec[idx[i]], f->leaf[idx[i]]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ledger_verify_checkpoint(v, f->notes[i], strlen(f->notes[i]),
		    (int64_t)f->sizes[i], NULL), 0);
	rc = ledger_verify_finish(v, rep);
	ledger_verify_free(v);
	return rc;
}

static const int all[N] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };

static void
test_untouched_ledger_verifies(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	assert_int_equal(run(f, all, N, &rep), 0);
	assert_int_equal(rep.failures, 0);
	assert_int_equal(rep.first_bad_seq, 0);
	assert_int_equal(rep.entries, N);
	assert_int_equal(rep.checkpoints_ok, 3);
	assert_int_equal(rep.latest_size, 10);
	assert_int_equal(rep.uncovered, 0);
	assert_int_equal(f->messages, 0);
	assert_string_equal(rep.origin, ORIGIN);
}

static void
test_changed_byte_is_detected_at_its_seq(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	f->reason[4][0] = 'R';				/* seq 5 */
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_int_equal(rep.first_bad_seq, 5);
	assert_true(f->messages > 0);
}

static void
test_changed_entry_with_rewritten_leaf_hash_is_caught_by_the_signed_root(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	f->reason[4][0] = 'R';				/* seq 5, leaf recomputed to match */
	assert_int_equal(ledger_leaf_hash(NULL, &f->rec[4], f->leaf[4]), 0);
	assert_int_equal(run(f, all, N, &rep), 1);
	/* The checkpoint at 3 still holds; the one at 7 names the range 4..7. */
	assert_int_equal(rep.first_bad_seq, 4);
	assert_int_equal(rep.checkpoints_ok, 1);
	assert_int_equal(rep.latest_size, 3);
}

static void
test_deleted_entry_is_detected_at_its_seq(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	const int			 idx[] = { 0, 1, 2, 3, 4, 6, 7, 8, 9 };	/* no seq 6 */

	assert_int_equal(run(f, idx, N - 1, &rep), 1);
	assert_int_equal(rep.first_bad_seq, 6);
}

static void
test_checkpoint_signed_before_an_entry_it_covers_is_refused(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	/* The checkpoint at 7 dated before entry 7 (a clock set back, or an
	 * entry dated forward after the fact). */
	f->times[1] = f->rec[6].time_us - 1;
	sign_checkpoints(f);
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_int_equal(rep.first_bad_seq, 7);
	/* Dated exactly at its newest entry is fine (and the one at 3 no later). */
	f->times[0] = f->rec[2].time_us;
	f->times[1] = f->rec[6].time_us;
	sign_checkpoints(f);
	assert_int_equal(run(f, all, N, &rep), 0);
}

static void
test_larger_checkpoint_signed_earlier_is_refused(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	f->times[0] = f->times[2] + 1;	/* size 3 signed after size 10 */
	sign_checkpoints(f);
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_true(f->messages > 0);
	/* Checkpoints without a signed time (before it existed) are not judged
	 * on time. */
	f->times[0] = f->times[1] = f->times[2] = 0;
	sign_checkpoints(f);
	assert_int_equal(run(f, all, N, &rep), 0);
}

static void
test_swapped_entries_are_detected_at_the_first(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	struct ledger_record		 tmp;
	unsigned char			 lt[32];

	/* Swap the contents (and stored leaf hashes) of seq 4 and seq 8, keeping
	 * the sequence numbers in place, as an UPDATE of two rows would. */
	tmp = f->rec[3];
	f->rec[3] = f->rec[7];
	f->rec[7] = tmp;
	f->rec[3].seq = 4;
	f->rec[7].seq = 8;
	memcpy(lt, f->leaf[3], 32);
	memcpy(f->leaf[3], f->leaf[7], 32);
	memcpy(f->leaf[7], lt, 32);
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_int_equal(rep.first_bad_seq, 4);
}

static void
test_truncated_tail_is_detected_at_the_first_missing_seq(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;

	assert_int_equal(run(f, all, 8, &rep), 1);
	assert_int_equal(rep.first_bad_seq, 9);
	assert_int_equal(rep.latest_size, 7);
	assert_int_equal(rep.uncovered, 1);
}

static void
test_checkpoint_signed_by_another_key_does_not_verify(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	EVP_PKEY_CTX			*kc = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY			*mine = f->key, *other = NULL;

	assert_non_null(kc);
	assert_int_equal(EVP_PKEY_keygen_init(kc), 1);
	assert_int_equal(EVP_PKEY_keygen(kc, &other), 1);
	EVP_PKEY_CTX_free(kc);
	f->key = other;			/* verify with a key that did not sign */
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_int_equal(rep.checkpoints_ok, 0);
	assert_int_equal(rep.first_bad_seq, 1);
	f->key = mine;
	EVP_PKEY_free(other);
}

static void
test_edited_checkpoint_note_is_refused(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	char				*p = strchr(f->notes[2], '\n') + 1;

	assert_int_equal(strncmp(p, "10\n", 3), 0);
	p[1] = '1';				/* claims 11 entries: signature breaks */
	assert_int_equal(run(f, all, N, &rep), 1);
	assert_int_equal(rep.checkpoints_ok, 2);
	assert_int_equal(rep.latest_size, 7);
}

static void
test_stored_columns_must_agree_with_the_note(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	struct ledger_verify		*v = ledger_verify_new(f->key, NULL, NULL, NULL);
	unsigned char			 wrong[32] = { 0 };

	assert_non_null(v);
	for (int i = 0; i < N; i++)
		assert_int_equal(ledger_verify_entry(v, &f->rec[i], f->leaf[i]), 0);
	assert_int_equal(ledger_verify_checkpoint(v, f->notes[2], strlen(f->notes[2]), 9,
	    wrong), 0);
	assert_int_equal(ledger_verify_finish(v, &rep), 1);
	assert_int_equal(rep.failures, 1);
	assert_string_equal(rep.origin, ORIGIN);	/* adopted from the checkpoint */
	ledger_verify_free(v);
}

static char	first_msg[512];

static void
keep_first_msg(void *arg, const char *msg)
{
	(void)arg;
	if (first_msg[0] == '\0')
		snprintf(first_msg, sizeof(first_msg), "%s", msg);
}

/* A sequence number outside 1..INT64_MAX-1 is a failure naming it, not an
 * overflow computing the next expected one (a hostile export's
 * "seq":9223372036854775807 or a hostile database's row). */
static void
test_seq_out_of_range_is_refused_naming_it(void **state)
{
	struct fixture			*f = *state;
	static const int64_t		 bad[] = { INT64_MAX, 0, -1, INT64_MIN };
	struct ledger_verify_report	 rep;
	char				 want[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ledger_verify	*v = ledger_verify_new(f->key, ORIGIN, keep_first_msg,
		    NULL);
		struct ledger_record	 r = f->rec[0];
		unsigned char		 leaf[32];

		assert_non_null(v);
		first_msg[0] = '\0';
		r.seq = bad[i];
		assert_int_equal(ledger_leaf_hash(NULL, &r, leaf), 0);
		assert_int_equal(ledger_verify_entry(v, &r, leaf), 0);
		/* Then the whole ledger: the expected seq did not move, so
		 * only the bad entry fails (its leaf is not in the signed
		 * tree either, so the roots do not match). */
		for (int k = 0; k < N; k++)
			assert_int_equal(ledger_verify_entry(v, &f->rec[k], f->leaf[k]), 0);
		assert_int_equal(ledger_verify_finish(v, &rep), 1);
		snprintf(want, sizeof(want), "seq %lld: not a valid sequence number",
		    (long long)bad[i]);
		assert_string_equal(first_msg, want);
		ledger_verify_free(v);
	}
}

/* An export cut down to its header (or an emptied database) has no entries:
 * nothing in it is vouched for, so it does not verify. */
static void
test_ledger_with_no_entries_does_not_verify(void **state)
{
	struct fixture			*f = *state;
	struct ledger_verify_report	 rep;
	struct ledger_verify		*v = ledger_verify_new(f->key, ORIGIN, count_msg, f);

	assert_non_null(v);
	assert_int_equal(ledger_verify_finish(v, &rep), 1);
	assert_int_equal(rep.entries, 0);
	assert_int_equal(rep.failures, 1);
	assert_int_equal(f->messages, 1);
	ledger_verify_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_untouched_ledger_verifies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_byte_is_detected_at_its_seq, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_changed_entry_with_rewritten_leaf_hash_is_caught_by_the_signed_root,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_entry_is_detected_at_its_seq, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkpoint_signed_before_an_entry_it_covers_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_larger_checkpoint_signed_earlier_is_refused,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapped_entries_are_detected_at_the_first,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_truncated_tail_is_detected_at_the_first_missing_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_checkpoint_signed_by_another_key_does_not_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edited_checkpoint_note_is_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stored_columns_must_agree_with_the_note,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_out_of_range_is_refused_naming_it,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_ledger_with_no_entries_does_not_verify,
		    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
