/*
 * test_fields.c: the field catalogue (gateway/fields.c) against the
 * enumeration in schemas/agency-profile.schema.json, so neither can drift.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "fields.h"

static json_t *
field_enum(json_t **root)
{
	json_error_t	e;

	*root = json_load_file("schemas/agency-profile.schema.json", 0, &e);
	assert_non_null(*root);
	return json_object_get(json_object_get(json_object_get(*root, "definitions"),
	    "field"), "enum");
}

static void
test_catalogue_matches_profile_schema(void **state)
{
	json_t	*root, *en, *v;
	size_t	 i;

	(void)state;
	en = field_enum(&root);
	assert_true(json_is_array(en));
	assert_int_equal(json_array_size(en), field_catalogue_len);
	json_array_foreach(en, i, v) {
		assert_non_null(field_find(json_string_value(v)));
		assert_string_equal(field_catalogue[i].name, json_string_value(v));
	}
	json_decref(root);
}

static void
test_special_category_is_the_health_fields_and_send_status(void **state)
{
	size_t	i, n = 0;

	(void)state;
	for (i = 0; i < field_catalogue_len; i++) {
		int health = strcmp(field_catalogue[i].category, "health") == 0;
		int send = strcmp(field_catalogue[i].name, "send_status") == 0;

		assert_int_equal(field_catalogue[i].special, health || send);
		n += (size_t)field_catalogue[i].special;
	}
	assert_int_equal(n, field_special_len);
	for (i = 0; i < field_special_len; i++)
		assert_true(field_find(field_special[i])->special);
}

static void
test_send_status_is_special_category_education(void **state)
{
	const struct field_def	*f = field_find("send_status");
	size_t			 i;
	int			 listed = 0;

	(void)state;
	assert_non_null(f);
	/* Special educational needs *and disability*: health data (Art 9),
	 * still an education record. */
	assert_true(f->special);
	assert_string_equal(f->category, "education");
	for (i = 0; i < field_special_len; i++)
		listed |= strcmp(field_special[i], "send_status") == 0;
	assert_true(listed);
}

static void
test_unknown_field_is_not_in_catalogue(void **state)
{
	(void)state;
	assert_null(field_find("criminal_record"));
	assert_null(field_find(NULL));
}

/*
 * The fields a subject-access copy holds back for review are every free-text
 * field of the family record (a string with no enumeration or format, long
 * enough for a narrative: schemas/family-record.schema.json) and
 * domestic_abuse_indicator (what someone disclosed of a member of the
 * household), and nothing else: not the family's own particulars.
 */
static void
test_free_text_and_what_was_said_of_others_are_marked_third_party(void **state)
{
	json_error_t	 e;
	json_t		*root, *props, *p;
	size_t		 i;

	(void)state;
	root = json_load_file("schemas/family-record.schema.json", 0, &e);
	assert_non_null(root);
	props = json_object_get(root, "properties");
	for (i = 0; i < field_catalogue_len; i++) {
		const char	*name = field_catalogue[i].name;
		const char	*type;
		int		 narrative;

		assert_non_null(p = json_object_get(props, name));
		type = json_string_value(json_object_get(p, "type"));
		narrative = type != NULL && strcmp(type, "string") == 0 &&
		    json_object_get(p, "enum") == NULL && json_object_get(p, "format") == NULL &&
		    json_integer_value(json_object_get(p, "maxLength")) >= 1000;
		if (field_catalogue[i].third_party != (narrative ||
		    strcmp(name, "domestic_abuse_indicator") == 0))
			fail_msg("%s: third_party %d", name, field_catalogue[i].third_party);
		assert_int_equal(field_needs_review(name), field_catalogue[i].third_party);
	}
	assert_true(field_needs_review("safeguarding_concerns"));
	assert_true(field_needs_review("referral_reason"));
	assert_true(field_needs_review("parent_mental_health"));
	assert_false(field_needs_review("child_name"));
	json_decref(root);
}

/* Nothing is known of a name outside the catalogue: it is held back. */
static void
test_field_outside_the_catalogue_needs_review(void **state)
{
	(void)state;
	assert_true(field_needs_review("partner_name"));
	assert_true(field_needs_review(""));
	assert_true(field_needs_review(NULL));
}

/* fields_json() writes what jansson would: the stored text is the same. */
static void
test_fields_json_is_what_jansson_writes(void **state)
{
	const char *const	 names[] = { "child_name", "a\"b", "back\\slash", "tab\tnl\n",
	    "ctl\x01\x1f\x7f", "\b\f\r", "caf\xc3\xa9 \xe2\x80\xa8", "/slash", "" };
	const size_t		 n = sizeof(names) / sizeof(names[0]);
	json_t			*a;
	char			*want, *got;

	(void)state;
	for (size_t k = 0; k <= n; k++) {
		assert_non_null(a = json_array());
		for (size_t i = 0; i < k; i++)
			assert_int_equal(json_array_append_new(a, json_string(names[i])), 0);
		want = json_dumps(a, JSON_COMPACT);
		got = fields_json(names, k);
		assert_non_null(want);
		assert_non_null(got);
		assert_string_equal(got, want);
		free(want);
		free(got);
		json_decref(a);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalogue_matches_profile_schema),
		cmocka_unit_test(test_special_category_is_the_health_fields_and_send_status),
		cmocka_unit_test(test_send_status_is_special_category_education),
		cmocka_unit_test(test_unknown_field_is_not_in_catalogue),
		cmocka_unit_test(test_fields_json_is_what_jansson_writes),
		cmocka_unit_test(test_free_text_and_what_was_said_of_others_are_marked_third_party),
		cmocka_unit_test(test_field_outside_the_catalogue_needs_review),
	};

	return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
