/*
 * test_sar_redact.c: what a subject-access copy holds back for a human
 * redaction review (gateway/sar_redact.c): values that may name or concern
 * others are withheld and named unless staff asked for them after review.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "sar_redact.h"

static json_t *
item(void)
{
	json_t	*d = json_loads("{\"referral_reason\":\"Reported by a neighbour, J. Roe\","
	    "\"child_name\":\"Ada\",\"domestic_abuse_indicator\":true,"
	    "\"safeguarding_concerns\":\"Partner B. Smith shouts at the child\","
	    "\"school_name\":\"Oakfield\"}", 0, NULL);

	assert_non_null(d);
	return d;
}

static char *
names(const json_t *a)
{
	char	*s = json_dumps(a, JSON_COMPACT);

	assert_non_null(s);
	return s;
}

static void
test_values_that_may_name_others_are_withheld_and_named_by_default(void **state)
{
	json_t	*d = item(), *review = json_array(), *withheld = json_array();
	char	*w, *r, *left;

	(void)state;
	assert_int_equal(sar_redact(d, 0, review, withheld), 0);
	/* Catalogue order, whatever order they were stored in. */
	w = names(withheld);
	r = names(review);
	assert_string_equal(w,
	    "[\"safeguarding_concerns\",\"domestic_abuse_indicator\",\"referral_reason\"]");
	assert_string_equal(r, w);
	left = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(left, "{\"child_name\":\"Ada\",\"school_name\":\"Oakfield\"}");
	free(w);
	free(r);
	free(left);
	json_decref(d);
	json_decref(review);
	json_decref(withheld);
}

static void
test_values_released_only_when_asked_for_after_review(void **state)
{
	json_t	*d = item(), *review = json_array(), *withheld = json_array();
	char	*r;

	(void)state;
	assert_int_equal(sar_redact(d, 1, review, withheld), 0);
	assert_int_equal(json_array_size(withheld), 0);
	r = names(review);
	assert_string_equal(r,
	    "[\"safeguarding_concerns\",\"domestic_abuse_indicator\",\"referral_reason\"]");
	assert_int_equal(json_object_size(d), 5);
	assert_string_equal(json_string_value(json_object_get(d, "safeguarding_concerns")),
	    "Partner B. Smith shouts at the child");
	free(r);
	json_decref(d);
	json_decref(review);
	json_decref(withheld);
}

static void
test_item_of_the_familys_own_particulars_needs_no_review(void **state)
{
	json_t	*d = json_loads("{\"child_name\":\"Ada\",\"postcode\":\"NS1 1AA\","
	    "\"child_protection_status\":\"none\"}", 0, NULL);
	json_t	*review = json_array(), *withheld = json_array();

	(void)state;
	assert_int_equal(sar_redact(d, 0, review, withheld), 0);
	assert_int_equal(json_array_size(review), 0);
	assert_int_equal(json_array_size(withheld), 0);
	assert_int_equal(json_object_size(d), 3);
	json_decref(d);
	json_decref(review);
	json_decref(withheld);
}

/* A name the catalogue does not know is held back after the known ones. */
static void
test_value_outside_the_catalogue_is_withheld(void **state)
{
	json_t	*d = json_loads("{\"partner_name\":\"B. Smith\",\"child_name\":\"Ada\","
	    "\"housing_risk\":\"arrears\"}", 0, NULL);
	json_t	*review = json_array(), *withheld = json_array();
	char	*w;

	(void)state;
	assert_int_equal(sar_redact(d, 0, review, withheld), 0);
	w = names(withheld);
	assert_string_equal(w, "[\"housing_risk\",\"partner_name\"]");
	assert_int_equal(json_object_size(d), 1);
	assert_non_null(json_object_get(d, "child_name"));
	free(w);
	json_decref(d);
	json_decref(review);
	json_decref(withheld);
}

static void
test_values_that_are_not_an_object_are_refused(void **state)
{
	json_t	*d = json_string("Partner B. Smith"), *review = json_array(),
		*withheld = json_array();

	(void)state;
	assert_int_equal(sar_redact(d, 0, review, withheld), -1);
	assert_int_equal(sar_redact(NULL, 0, review, withheld), -1);
	json_decref(d);
	json_decref(review);
	json_decref(withheld);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_that_may_name_others_are_withheld_and_named_by_default),
		cmocka_unit_test(test_values_released_only_when_asked_for_after_review),
		cmocka_unit_test(test_item_of_the_familys_own_particulars_needs_no_review),
		cmocka_unit_test(test_value_outside_the_catalogue_is_withheld),
		cmocka_unit_test(test_values_that_are_not_an_object_are_refused),
	};

	return cmocka_run_group_tests_name("sar_redact", tests, NULL, NULL);
}
