/*
 * test_store_consent.c: the consents table (gateway/store_consent.c): the
 * consents the decision sees for a family, agency and purpose, live ones
 * first, never crowded out by the agency's other purposes or by withdrawn
 * ones, whatever their number.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store.h"

#define SEC	INT64_C(1000000)
#define DAY	(86400 * SEC)

struct fixture {
	char			 dir[64];
	struct store		*store;
	struct store_conn	*c;
	int64_t			 now;
	int			 seq;
};

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof(*f));
	char		 err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/gwcons.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->store = store_open(f->dir, err, sizeof(err));
	assert_non_null(f->store);
	/* No writer thread here: the test owns the write connection. */
	f->c = store_write_conn(f->store);
	f->now = store_now_us();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 path[128];
	const char	*sfx[] = { "", "-wal", "-shm" };
	size_t		 i;

	store_close(f->store);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/gateway.db%s", f->dir, sfx[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Records one consent; withdrawn_us != 0 withdraws it. */
static void
add(struct fixture *f, const char *agency, const char *purpose, int64_t granted,
    int64_t expires, int withdrawn)
{
	static const unsigned char	ev[] = { 1, 2, 3 };
	struct consent_row		r;

	memset(&r, 0, sizeof(r));
	snprintf(r.id, sizeof(r.id), "con_%06d", ++f->seq);
	snprintf(r.family_pseudonym, sizeof(r.family_pseudonym), "fam1");
	snprintf(r.agency_id, sizeof(r.agency_id), "%s", agency);
	snprintf(r.purpose, sizeof(r.purpose), "%s", purpose);
	r.granted_us = granted;
	r.expires_us = expires;
	assert_int_equal(store_consent_insert(f->c, &r, "staff:Alex Smith", ev, sizeof(ev)), 0);
	if (withdrawn)
		assert_int_equal(store_consent_withdraw(f->c, r.id, f->now, "staff:Alex Smith", NULL, 0), 0);
}

static void
test_live_consent_for_purpose_never_crowded_out_by_other_purposes(void **state)
{
	struct fixture		*f = *state;
	struct consent_row	 out[64];
	int			 i, n;

	assert_int_equal(store_exec(f->c, "BEGIN IMMEDIATE"), 0);
	/* More live consents for another purpose of the same agency than the
	 * caller has room for, each ranking above the one that matters (no
	 * expiry, newer). */
	for (i = 0; i < 100; i++)
		add(f, "oakfield-primary", "attendance_support", f->now - DAY + i, 0, 0);
	add(f, "oakfield-primary", "education_support", f->now - 2 * DAY, f->now + 30 * DAY, 0);
	assert_int_equal(store_exec(f->c, "COMMIT"), 0);
	n = store_consents_for(f->c, "fam1", "oakfield-primary", "education_support", out, 64);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].purpose, "education_support");
	assert_int_equal(out[0].expires_us, f->now + 30 * DAY);
	n = store_consents_for(f->c, "fam1", "oakfield-primary", "attendance_support", out, 64);
	assert_int_equal(n, 64);
	for (i = 0; i < n; i++)
		assert_string_equal(out[i].purpose, "attendance_support");
}

static void
test_consents_for_live_first_and_only_that_agency_and_purpose(void **state)
{
	struct fixture		*f = *state;
	struct consent_row	 out[4];
	int			 i, n;

	assert_int_equal(store_exec(f->c, "BEGIN IMMEDIATE"), 0);
	/* Many withdrawn, newer than the live one, for the same purpose. */
	for (i = 0; i < 10; i++)
		add(f, "health-visiting", "health_visiting_support", f->now - DAY + i, 0, 1);
	add(f, "health-visiting", "health_visiting_support", f->now - 5 * DAY, f->now + DAY, 0);
	add(f, "police", "health_visiting_support", f->now - DAY, 0, 0);
	assert_int_equal(store_exec(f->c, "COMMIT"), 0);
	n = store_consents_for(f->c, "fam1", "health-visiting", "health_visiting_support", out, 4);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].withdrawn_us, 0);
	assert_int_equal(out[0].expires_us, f->now + DAY);
	for (i = 1; i < n; i++) {
		assert_string_equal(out[i].agency_id, "health-visiting");
		assert_true(out[i].withdrawn_us != 0);
	}
	assert_int_equal(store_consents_for(f->c, "fam1", "health-visiting", "no_such_purpose",
	    out, 4), 0);
	assert_int_equal(store_consents_for(f->c, "fam2", "health-visiting",
	    "health_visiting_support", out, 4), 0);
}

/* The full order: live before withdrawn, open-ended before expiring, later
 * expiry first, later grant first; a smaller max keeps the best ranked,
 * whatever order the rows were recorded in. */
static void
test_consents_for_ranked_and_best_kept(void **state)
{
	struct fixture		*f = *state;
	struct consent_row	 out[8];
	static const int	 want[] = { 5, 3, 4, 6, 2, 1 };	/* con_ numbers */
	char			 id[40];
	int			 i, n, max;

	assert_int_equal(store_exec(f->c, "BEGIN IMMEDIATE"), 0);
	add(f, "oakfield-primary", "education_support", f->now - 1 * DAY, 0, 1);
	add(f, "oakfield-primary", "education_support", f->now - 3 * DAY, f->now + 10 * DAY, 0);
	add(f, "oakfield-primary", "education_support", f->now - 5 * DAY, 0, 0);
	add(f, "oakfield-primary", "education_support", f->now - 4 * DAY, f->now + 20 * DAY, 0);
	add(f, "oakfield-primary", "education_support", f->now - 2 * DAY, 0, 0);
	add(f, "oakfield-primary", "education_support", f->now - 1 * DAY, f->now + 10 * DAY, 0);
	assert_int_equal(store_exec(f->c, "COMMIT"), 0);
	for (max = 8; max >= 1; max--) {
		n = store_consents_for(f->c, "fam1", "oakfield-primary", "education_support",
		    out, max);
		assert_int_equal(n, max < 6 ? max : 6);
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof(id), "con_%06d", want[i]);
			assert_string_equal(out[i].id, id);
		}
	}
	assert_int_equal(store_consents_for(f->c, "fam1", "oakfield-primary",
	    "education_support", out, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_live_consent_for_purpose_never_crowded_out_by_other_purposes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consents_for_ranked_and_best_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_consents_for_live_first_and_only_that_agency_and_purpose, setup, teardown),
	};

	return cmocka_run_group_tests_name("store_consent", tests, NULL, NULL);
}
