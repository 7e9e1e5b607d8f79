/*
 * test_quorum.c: every rule of the trustee quorum (gateway/quorum.c), one
 * named test each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "quorum.h"

#define T0	INT64_C(1790000000000000)

static const struct quorum_request police = { "agency:police", "agency:police" };
static const struct quorum_request on_behalf = { "agency:police", "staff:Alex Smith" };

static struct quorum_decision
dec(const char *who, enum quorum_vote v, int64_t at)
{
	struct quorum_decision	d = { who, v, at };

	return d;
}

static void
defaults_are_two_and_refusal_ends(void **state)
{
	struct quorum_config	c;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(c.required, 2);
	assert_int_equal(c.refusal_ends, 1);
}

static void
new_request_awaits_approval(void **state)
{
	struct quorum_config	c;
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, NULL, 0, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_string_equal(quorum_state_name(r.state), "awaiting_approval");
	assert_int_equal(r.approvals, 0);
	assert_int_equal(r.required, 2);
	assert_int_equal(r.closed_us, 0);
}

static void
one_approval_is_not_enough(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, d, 1, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.approvals, 1);
}

static void
two_distinct_trustees_approve(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_decision	next = dec("trustee:Sam", QUORUM_APPROVE, T0 + 5);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &next, &r), QUORUM_OK);
	assert_int_equal(r.state, QUORUM_APPROVED);
	assert_string_equal(quorum_state_name(r.state), "approved");
	assert_int_equal(r.approvals, 2);
	assert_int_equal(r.closed_us, T0 + 5);
}

static void
already_decided_same_trustee_cannot_count_twice(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_decision	again = dec("trustee:Jo", QUORUM_APPROVE, T0 + 1);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &again, &r), QUORUM_ALREADY_DECIDED);
	assert_string_equal(quorum_verdict_code(QUORUM_ALREADY_DECIDED), "already_decided");
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.approvals, 1);
}

static void
already_decided_applies_after_a_refusal_too(void **state)
{
	struct quorum_config	c = { 2, 0 };	/* refusals do not end it */
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_REFUSE, T0) };
	struct quorum_decision	change = dec("trustee:Jo", QUORUM_APPROVE, T0 + 1);

	(void)state;
	assert_int_equal(quorum_check(&c, &police, d, 1, &change, NULL), QUORUM_ALREADY_DECIDED);
}

static void
already_decided_same_person_under_another_role(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_decision	other = dec("dp_trustee:Jo", QUORUM_APPROVE, T0 + 1);

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &other, NULL), QUORUM_ALREADY_DECIDED);
}

static void
already_decided_same_person_spelt_another_way(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Catherine Read", QUORUM_APPROVE, T0) };
	struct quorum_decision	other = dec("trustee:CATHERINE  READ", QUORUM_APPROVE, T0 + 1);

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &other, NULL), QUORUM_ALREADY_DECIDED);
}

/* Decisions accepted before names were compared in case and spacing
 * keep the state they were given: a request approved then by "Catherine
 * Read" and "CATHERINE READ" stays approved (its statements verify), while
 * a third spelling now is refused as the same person. */
static void
stored_decisions_counted_as_they_were_accepted(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[2] = {
		dec("trustee:Catherine Read", QUORUM_APPROVE, T0),
		dec("trustee:CATHERINE READ", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_decision	again = dec("trustee:catherine read", QUORUM_APPROVE, T0 + 2);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, d, 2, &r);
	assert_int_equal(r.state, QUORUM_APPROVED);
	assert_int_equal(r.approvals, 2);
	assert_int_equal(quorum_check(&c, &police, d, 1, &again, NULL), QUORUM_ALREADY_DECIDED);
}

/* "Cаtherine Read" with a Cyrillic 'а' (U+0430) looks like "Catherine
 * Read": a certificate whose name is not plain ASCII decides nothing,
 * whatever else holds. */
#define CYR_A	"\xd0\xb0"

static void
trustee_name_not_ascii_refused(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Catherine Read", QUORUM_APPROVE, T0) };
	struct quorum_decision	look = dec("trustee:C" CYR_A "therine Read", QUORUM_APPROVE,
				    T0 + 1);
	struct quorum_decision	other = dec("trustee:Zo\xc3\xab Smith", QUORUM_APPROVE, T0 + 1);
	struct quorum_decision	ctl = dec("trustee:Jo\tBloggs", QUORUM_APPROVE, T0 + 1);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &look, &r),
	    QUORUM_TRUSTEE_NAME_NOT_ASCII);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.approvals, 1);
	assert_int_equal(quorum_check(&c, &police, d, 1, &other, NULL),
	    QUORUM_TRUSTEE_NAME_NOT_ASCII);
	assert_int_equal(quorum_check(&c, &police, d, 0, &look, NULL),
	    QUORUM_TRUSTEE_NAME_NOT_ASCII);
	assert_int_equal(quorum_check(&c, &police, d, 1, &ctl, NULL),
	    QUORUM_TRUSTEE_NAME_NOT_ASCII);
	assert_string_equal(quorum_verdict_code(QUORUM_TRUSTEE_NAME_NOT_ASCII),
	    "trustee_name_not_ascii");
}

/* Decisions stored before that rule, by a look-alike name, keep counting
 * as they were accepted (their statements still verify); a new decision
 * by the plain name is the same person's as the stored look-alike. */
static void
stored_look_alike_decisions_keep_counting(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[2] = {
		dec("trustee:Catherine Read", QUORUM_APPROVE, T0),
		dec("trustee:C" CYR_A "therine Read", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_decision	again = dec("trustee:CATHERINE READ", QUORUM_APPROVE, T0 + 2);
	struct quorum_decision	plain = dec("trustee:Catherine Read", QUORUM_APPROVE, T0 + 2);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, d, 2, &r);
	assert_int_equal(r.state, QUORUM_APPROVED);
	assert_int_equal(r.approvals, 2);
	assert_int_equal(quorum_check(&c, &police, d + 1, 1, &plain, NULL),
	    QUORUM_ALREADY_DECIDED);
	assert_int_equal(quorum_check(&c, &police, d + 1, 1, &again, NULL),
	    QUORUM_ALREADY_DECIDED);
}

/* Staff who filed under a look-alike name cannot approve under the plain
 * one; a letter outside ASCII stands for any one letter, no more. */
static void
requester_with_a_look_alike_name_cannot_decide(void **state)
{
	struct quorum_config	c;
	struct quorum_request	filed = { "agency:police", "staff:C" CYR_A "therine Read" };
	struct quorum_decision	me = dec("trustee:Catherine Read", QUORUM_APPROVE, T0);
	struct quorum_decision	other = dec("trustee:Caitherine Read", QUORUM_APPROVE, T0);

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &filed, NULL, 0, &me, NULL),
	    QUORUM_REQUESTER_CANNOT_DECIDE);
	assert_int_equal(quorum_check(&c, &filed, NULL, 0, &other, NULL), QUORUM_OK);
	assert_true(quorum_same_person("staff:Zo\xc3\xab", "trustee:Zoe"));
	assert_true(quorum_same_person("staff:Zo\xc3\xab", "trustee:ZO\xc3\xab"));
	assert_false(quorum_same_person("staff:Zo\xc3\xab", "trustee:Zo"));
	assert_false(quorum_same_person("staff:Zo\xc3\xab", "trustee:Zoey"));
	assert_false(quorum_same_person("staff:\xc3\xab", "trustee:Jo"));
}

/* Staff who filed under a name with a character that shows as nothing
 * (zero-width space, soft hyphen, a combining accent, a direction mark)
 * or as a space (no-break space) cannot approve under the plain one:
 * such a character is left out, or taken as a space, before names are
 * compared. */
static void
requester_with_an_invisible_character_cannot_decide(void **state)
{
	static const char *const filers[] = {
		"staff:Cath\xe2\x80\x8b" "erine Read",	/* U+200B zero-width space */
		"staff:Cath\xc2\xad" "erine Read",		/* U+00AD soft hyphen */
		"staff:Catherine\xc2\xa0Read",		/* U+00A0 no-break space */
		"staff:Catherine\xe2\x80\x83Read",		/* U+2003 em space */
		"staff:Catherine Re\xcc\x81" "ad",		/* U+0301 combining acute */
		"staff:\xe2\x80\x8e" "Catherine Read\xef\xbb\xbf",	/* LRM, BOM */
		"staff:Catherine\xc2\xa0\xe2\x80\x8b Read",	/* NBSP, ZWSP, space */
	};
	struct quorum_config	c;
	struct quorum_request	filed = { "agency:police", NULL };
	struct quorum_decision	me = dec("trustee:Catherine Read", QUORUM_APPROVE, T0);
	struct quorum_decision	other = dec("trustee:Catherine Reid", QUORUM_APPROVE, T0);
	size_t			i;

	(void)state;
	quorum_defaults(&c);
	for (i = 0; i < sizeof(filers) / sizeof(filers[0]); i++) {
		filed.filed_by = filers[i];
		assert_int_equal(quorum_check(&c, &filed, NULL, 0, &me, NULL),
		    QUORUM_REQUESTER_CANNOT_DECIDE);
		assert_true(quorum_same_person(filers[i], "trustee:catherine  read"));
		assert_int_equal(quorum_check(&c, &filed, NULL, 0, &other, NULL), QUORUM_OK);
	}
	/* Nothing but such characters is still no one. */
	assert_false(quorum_same_person("staff:\xe2\x80\x8b", "trustee:\xc2\xad"));
	assert_false(quorum_same_person("staff:\xc2\xa0", "trustee:Jo"));
}

static void
repeated_approvals_in_a_stored_list_count_once(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[3] = {
		dec("trustee:Jo", QUORUM_APPROVE, T0),
		dec("trustee:Jo", QUORUM_APPROVE, T0 + 1),
		dec("trustee:Jo", QUORUM_APPROVE, T0 + 2),
	};
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, d, 3, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.approvals, 1);
}

static void
requester_cannot_decide(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	self = dec("agency:police", QUORUM_APPROVE, T0);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, NULL, 0, &self, &r),
	    QUORUM_REQUESTER_CANNOT_DECIDE);
	assert_string_equal(quorum_verdict_code(QUORUM_REQUESTER_CANNOT_DECIDE),
	    "requester_cannot_decide");
	assert_int_equal(r.approvals, 0);
}

static void
requester_cannot_decide_when_staff_filed_it(void **state)
{
	struct quorum_config	c;
	/* The staff member who filed for the police holds a trustee
	 * certificate too: the same person, so not an independent trustee. */
	struct quorum_decision	filer = dec("trustee:Alex Smith", QUORUM_APPROVE, T0);

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &on_behalf, NULL, 0, &filer, NULL),
	    QUORUM_REQUESTER_CANNOT_DECIDE);
}

static void
requester_decisions_in_a_stored_list_do_not_count(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[2] = {
		dec("trustee:Alex Smith", QUORUM_APPROVE, T0),
		dec("trustee:Jo", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &on_behalf, d, 2, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.approvals, 1);
}

static void
refusal_ends_the_request_by_default(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_decision	no = dec("trustee:Sam", QUORUM_REFUSE, T0 + 9);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &no, &r), QUORUM_OK);
	assert_int_equal(r.state, QUORUM_REFUSED);
	assert_string_equal(quorum_state_name(r.state), "refused");
	assert_int_equal(r.refusals, 1);
	assert_int_equal(r.closed_us, T0 + 9);
}

static void
refusal_does_not_end_it_when_configured(void **state)
{
	struct quorum_config	c = { 2, 0 };
	struct quorum_decision	d[2] = {
		dec("trustee:Jo", QUORUM_REFUSE, T0),
		dec("trustee:Sam", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_decision	third = dec("trustee:Kim", QUORUM_APPROVE, T0 + 2);
	struct quorum_result	r;

	(void)state;
	quorum_state(&c, &police, d, 2, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(r.refusals, 1);
	assert_int_equal(quorum_check(&c, &police, d, 2, &third, &r), QUORUM_OK);
	assert_int_equal(r.state, QUORUM_APPROVED);
}

static void
refusal_quorum_refuses_when_refusal_does_not_end_it(void **state)
{
	struct quorum_config	c = { 2, 0 };
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_REFUSE, T0) };
	struct quorum_decision	second = dec("trustee:Sam", QUORUM_REFUSE, T0 + 1);
	struct quorum_result	r;

	(void)state;
	assert_int_equal(quorum_check(&c, &police, d, 1, &second, &r), QUORUM_OK);
	assert_int_equal(r.state, QUORUM_REFUSED);
}

static void
request_closed_after_approval(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[2] = {
		dec("trustee:Jo", QUORUM_APPROVE, T0),
		dec("trustee:Sam", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_decision	late = dec("trustee:Kim", QUORUM_REFUSE, T0 + 2);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 2, &late, &r), QUORUM_REQUEST_CLOSED);
	assert_string_equal(quorum_verdict_code(QUORUM_REQUEST_CLOSED), "request_closed");
	assert_int_equal(r.state, QUORUM_APPROVED);
	assert_int_equal(r.refusals, 0);
}

static void
request_closed_after_refusal(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_REFUSE, T0) };
	struct quorum_decision	late = dec("trustee:Sam", QUORUM_APPROVE, T0 + 1);
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, d, 1, &late, &r), QUORUM_REQUEST_CLOSED);
	assert_int_equal(r.state, QUORUM_REFUSED);
	assert_int_equal(r.approvals, 0);
}

static void
decisions_after_closure_in_a_stored_list_are_ignored(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	d[3] = {
		dec("trustee:Jo", QUORUM_REFUSE, T0),
		dec("trustee:Sam", QUORUM_APPROVE, T0 + 1),
		dec("trustee:Kim", QUORUM_APPROVE, T0 + 2),
	};
	struct quorum_result	r;

	(void)state;
	quorum_defaults(&c);
	quorum_state(&c, &police, d, 3, &r);
	assert_int_equal(r.state, QUORUM_REFUSED);
	assert_int_equal(r.approvals, 0);
	assert_int_equal(r.closed_us, T0);
}

static void
configured_quorum_of_three(void **state)
{
	struct quorum_config	c = { 3, 1 };
	struct quorum_decision	d[2] = {
		dec("trustee:Jo", QUORUM_APPROVE, T0),
		dec("trustee:Sam", QUORUM_APPROVE, T0 + 1),
	};
	struct quorum_decision	third = dec("trustee:Kim", QUORUM_APPROVE, T0 + 2);
	struct quorum_result	r;

	(void)state;
	quorum_state(&c, &police, d, 2, &r);
	assert_int_equal(r.state, QUORUM_AWAITING);
	assert_int_equal(quorum_check(&c, &police, d, 2, &third, &r), QUORUM_OK);
	assert_int_equal(r.state, QUORUM_APPROVED);
	assert_int_equal(r.required, 3);
}

static void
zero_quorum_means_the_default(void **state)
{
	struct quorum_config	c = { 0, 1 };
	struct quorum_decision	d[1] = { dec("trustee:Jo", QUORUM_APPROVE, T0) };
	struct quorum_result	r;

	(void)state;
	quorum_state(&c, &police, d, 1, &r);
	assert_int_equal(r.required, 2);
	assert_int_equal(r.state, QUORUM_AWAITING);
}

static void
invalid_decision_refused(void **state)
{
	struct quorum_config	c;
	struct quorum_decision	anon = dec(NULL, QUORUM_APPROVE, T0);
	struct quorum_decision	empty = dec("", QUORUM_APPROVE, T0);
	struct quorum_decision	novote = dec("trustee:Jo", (enum quorum_vote)0, T0);

	(void)state;
	quorum_defaults(&c);
	assert_int_equal(quorum_check(&c, &police, NULL, 0, &anon, NULL), QUORUM_INVALID);
	assert_int_equal(quorum_check(&c, &police, NULL, 0, &empty, NULL), QUORUM_INVALID);
	assert_int_equal(quorum_check(&c, &police, NULL, 0, &novote, NULL), QUORUM_INVALID);
	assert_int_equal(quorum_check(&c, &police, NULL, 0, NULL, NULL), QUORUM_INVALID);
}

static void
same_person_rules(void **state)
{
	(void)state;
	assert_true(quorum_same_person("trustee:Jo", "trustee:Jo"));
	assert_true(quorum_same_person("staff:Jo", "trustee:Jo"));
	assert_true(quorum_same_person("agency:police", "agency:police"));
	/* An agency id is not a person's name. */
	assert_false(quorum_same_person("agency:Jo", "trustee:Jo"));
	assert_false(quorum_same_person("trustee:Jo", "trustee:Joe"));
	assert_false(quorum_same_person("trustee:", "staff:"));
	assert_false(quorum_same_person(NULL, "trustee:Jo"));
	assert_false(quorum_same_person("", ""));
}

/* A second certificate for the same person, its name spelt another way,
 * is still that person: it neither counts twice nor lets a requester
 * decide (names compared in ASCII case and runs of spaces aside). */
static void
same_person_whatever_the_case_and_spacing(void **state)
{
	(void)state;
	assert_true(quorum_same_person("trustee:Catherine Read", "trustee:CATHERINE READ"));
	assert_true(quorum_same_person("staff:catherine read", "trustee:Catherine Read"));
	assert_true(quorum_same_person("trustee:Catherine  Read", "trustee:Catherine Read"));
	assert_true(quorum_same_person("trustee: Catherine Read\t", "trustee:Catherine Read"));
	assert_false(quorum_same_person("trustee:Catherine Read", "trustee:CatherineRead"));
	assert_false(quorum_same_person("trustee:Catherine Read", "trustee:Catherine Reade"));
	assert_false(quorum_same_person("trustee:Jo", "trustee:Jo Read"));
	assert_false(quorum_same_person("trustee: ", "staff:  "));
	assert_false(quorum_same_person("agency:Police", "agency:police"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_two_and_refusal_ends),
		cmocka_unit_test(new_request_awaits_approval),
		cmocka_unit_test(one_approval_is_not_enough),
		cmocka_unit_test(two_distinct_trustees_approve),
		cmocka_unit_test(already_decided_same_trustee_cannot_count_twice),
		cmocka_unit_test(already_decided_applies_after_a_refusal_too),
		cmocka_unit_test(already_decided_same_person_under_another_role),
		cmocka_unit_test(repeated_approvals_in_a_stored_list_count_once),
		cmocka_unit_test(requester_cannot_decide),
		cmocka_unit_test(requester_cannot_decide_when_staff_filed_it),
		cmocka_unit_test(requester_decisions_in_a_stored_list_do_not_count),
		cmocka_unit_test(refusal_ends_the_request_by_default),
		cmocka_unit_test(refusal_does_not_end_it_when_configured),
		cmocka_unit_test(refusal_quorum_refuses_when_refusal_does_not_end_it),
		cmocka_unit_test(request_closed_after_approval),
		cmocka_unit_test(request_closed_after_refusal),
		cmocka_unit_test(decisions_after_closure_in_a_stored_list_are_ignored),
		cmocka_unit_test(configured_quorum_of_three),
		cmocka_unit_test(zero_quorum_means_the_default),
		cmocka_unit_test(invalid_decision_refused),
		cmocka_unit_test(same_person_rules),
		cmocka_unit_test(same_person_whatever_the_case_and_spacing),
		cmocka_unit_test(already_decided_same_person_spelt_another_way),
		cmocka_unit_test(stored_decisions_counted_as_they_were_accepted),
		cmocka_unit_test(trustee_name_not_ascii_refused),
		cmocka_unit_test(stored_look_alike_decisions_keep_counting),
		cmocka_unit_test(requester_with_a_look_alike_name_cannot_decide),
		cmocka_unit_test(requester_with_an_invisible_character_cannot_decide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
