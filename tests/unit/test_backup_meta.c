/*
 * test_backup_meta.c: gateway/backup_meta.c, what a copy says of itself
 * (backup.json) and the verdict on its age: a copy older than the limit,
 * or one whose made_at cannot be read or lies in the future, is flagged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "backup_meta.h"
#include "rfc3339.h"

#define DAY	BACKUP_DAY_US

static int64_t
at(const char *s)
{
	int64_t	us;

	assert_int_equal(rfc3339_parse(s, &us), 0);
	return us;
}

static void
test_backup_json_says_when_and_whether_keys_and_reads_back(void **state)
{
	struct backup_meta	 m = { .made_us = at("2026-12-05T10:00:00.25Z"),
				    .keys_included = 1, .ledger_head_included = 0 }, back;
	char			*s, err[128];

	(void)state;
	s = backup_meta_format(&m);
	assert_non_null(s);
	assert_string_equal(s, "{\"backup_format\":1,\"made_at\":\"2026-12-05T10:00:00.250000Z\","
	    "\"keys_included\":true,\"ledger_head_included\":false}\n");
	assert_int_equal(backup_meta_parse(s, strlen(s), &back, err, sizeof(err)), 0);
	assert_true(back.made_us == m.made_us);
	assert_int_equal(back.keys_included, 1);
	assert_int_equal(back.ledger_head_included, 0);
	free(s);
}

static void
test_a_copy_without_a_readable_made_at_has_no_age(void **state)
{
	static const char	*bad[] = { "", "[]", "not json", "{}",
				    "{\"made_at\":12}", "{\"made_at\":\"yesterday\"}",
				    "{\"made_at\":\"2026-12-05T10:00:00Z\",\"made_at\":\"2026-12-06\"}" };
	static const char	*odd = "{\"made_at\":\"2026-12-05\",\"keys_included\":\"yes\","
				    "\"future\":1}";
	struct backup_meta	 m;
	char			 err[128];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(backup_meta_parse(bad[i], strlen(bad[i]), &m, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
	/* Flags not said, or not booleans, are unknown; others ignored. */
	assert_int_equal(backup_meta_parse(odd, strlen(odd), &m, err, sizeof(err)), 0);
	assert_int_equal(m.keys_included, -1);
	assert_int_equal(m.ledger_head_included, -1);
}

static void
test_a_copy_older_than_the_limit_is_flagged(void **state)
{
	int64_t	made = at("2026-11-01T00:00:00Z"), age;

	(void)state;
	assert_int_equal(backup_age(made, made + 35 * DAY, 35, &age), BACKUP_AGE_OK);
	assert_true(age == 35 * DAY);
	assert_int_equal(backup_age(made, made + 35 * DAY + 1, 35, NULL), BACKUP_AGE_TOO_OLD);
	assert_int_equal(backup_age(made, made + 400 * DAY, 365, NULL), BACKUP_AGE_TOO_OLD);
	assert_int_equal(backup_age(made, made, 1, NULL), BACKUP_AGE_OK);
}

static void
test_a_copy_made_in_the_future_has_no_age(void **state)
{
	int64_t	now = at("2026-11-01T00:00:00Z");

	(void)state;
	assert_int_equal(backup_age(now + BACKUP_FUTURE_SLACK_US, now, 35, NULL), BACKUP_AGE_OK);
	assert_int_equal(backup_age(now + BACKUP_FUTURE_SLACK_US + 1, now, 35, NULL),
	    BACKUP_AGE_FUTURE);
	assert_int_equal(backup_age(now + 400 * DAY, now, 35, NULL), BACKUP_AGE_FUTURE);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_backup_json_says_when_and_whether_keys_and_reads_back),
		cmocka_unit_test(test_a_copy_without_a_readable_made_at_has_no_age),
		cmocka_unit_test(test_a_copy_older_than_the_limit_is_flagged),
		cmocka_unit_test(test_a_copy_made_in_the_future_has_no_age),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
