/*
 * test_decide.c: every rule of the disclosure decision (gateway/decide.c),
 * one named test each, plus the boundaries of every date it compares.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "decide.h"

#define SEC	INT64_C(1000000)
#define DAY	(86400 * SEC)
#define NOW	(INT64_C(1790000000) * SEC)	/* a fixed "now" (2026) */

static const char *const referral_fields[] = {
	"child_name", "date_of_birth", "address", "health_summary", NULL
};
static const char *const school_fields[] = { "child_name", "school", NULL };
static const char *const special[] = { "health_summary", "disability" };

/* One test's world: an agency with two interests, the family's consents,
 * a request and the decision buffers. Tests change what they need. */
struct world {
	struct principal	 who;
	struct decide_interest	 interests[2];
	struct decide_agency	 agency;
	struct decide_consent	 consents[4];
	size_t			 nconsents;
	const char		*fields[8];
	struct decide_override	 override;
	struct decide_hold	 hold;
	struct decide_request	 req;
	const char		*disclosed[8];
	const char		*withheld[8];
	struct decision		 d;
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->who.role = ROLE_STAFF;
	strcpy(w->who.id, "staff:Alex Smith");
	w->interests[0] = (struct decide_interest){
		.purpose = "early_help_referral", .lawful_basis = "consent",
		.override_permitted = 1,
		.special_category_condition = "explicit_consent",
		.fields = referral_fields, .nfields = 4 };
	w->interests[1] = (struct decide_interest){
		.purpose = "school_liaison", .lawful_basis = "legitimate_interests",
		.special_category_condition = NULL,
		.fields = school_fields, .nfields = 2 };
	w->agency = (struct decide_agency){
		.id = "county-health", .active = 1,
		.dsa_expires_us = NOW + 30 * DAY,
		.notice_review_due_us = NOW + 60 * DAY,
		.interests = w->interests, .ninterests = 2 };
	w->consents[0] = (struct decide_consent){
		.agency_id = "county-health", .purpose = "early_help_referral",
		.granted_us = NOW - 10 * DAY };
	w->nconsents = 1;
	w->fields[0] = "child_name";
	w->fields[1] = "address";
	w->req = (struct decide_request){
		.agency_id = "county-health", .purpose = "early_help_referral",
		.fields = w->fields, .nfields = 2, .max_hold_days = 90 };
	w->override = (struct decide_override){
		.basis = "safeguarding_sch1_p18",
		.consent_not_sought = "would_prejudice_protection",
		.reason = "Disclosure to protect a child from harm.",
		.review_by_us = NOW + 14 * DAY };
	w->hold = (struct decide_hold){
		.reason = "Telling the family would alert the abuser in the household.",
		.review_by_us = NOW + 14 * DAY };
}

/* A consent-based disclosure whose family notification is held. */
static void
use_hold(struct world *w, enum role role)
{
	w->who.role = role;
	w->req.hold = &w->hold;
}

static void
use_override(struct world *w, enum role role)
{
	w->who.role = role;
	w->req.override = &w->override;
}

static int
run_at(struct world *w, int64_t now)
{
	return decide(&w->who, &w->agency, w->consents, w->nconsents, &w->req,
	    special, 2, now, w->disclosed, w->withheld, &w->d);
}

static int
run(struct world *w)
{
	return run_at(w, NOW);
}

static void
assert_refused(struct world *w, const char *rule)
{
	assert_int_equal(w->d.allowed, 0);
	assert_string_equal(w->d.rule, rule);
	assert_non_null(w->d.message);
	assert_null(w->d.article6);
	assert_int_equal(w->d.notify, NOTIFY_NONE);
}

/* ---- the allowed path ---- */

static void
test_live_consent_allows_and_queues_notification(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.allowed, 1);
	assert_string_equal(w.d.rule, "allowed");
	assert_string_equal(w.d.article6, "consent");
	assert_null(w.d.article9);
	assert_int_equal(w.d.notify, NOTIFY_QUEUED);
	assert_int_equal(w.d.ndisclosed, 2);
	assert_int_equal(w.d.nwithheld, 0);
	assert_string_equal(notify_name(w.d.notify), "queued");
}

/* ---- role ---- */

static void
test_role_not_permitted_for_other_principals(void **state)
{
	static const enum role others[] = {
		ROLE_NONE, ROLE_TRUSTEE, ROLE_DP_TRUSTEE, ROLE_AUDITOR, ROLE_AGENCY
	};
	struct world w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		world_init(&w);
		w.who.role = others[i];
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "role_not_permitted");
	}
	world_init(&w);
	assert_int_equal(decide(NULL, &w.agency, w.consents, 1, &w.req, special, 2,
	    NOW, w.disclosed, w.withheld, &w.d), 0);
	assert_refused(&w, "role_not_permitted");
}

static void
test_safeguarding_lead_may_disclose_with_consent(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.who.role = ROLE_SAFEGUARDING_LEAD;
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.notify, NOTIFY_QUEUED);
}

/* ---- agency ---- */

static void
test_agency_inactive(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.active = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agency_inactive");
}

static void
test_agency_unknown_is_agency_inactive(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	assert_int_equal(decide(&w.who, NULL, w.consents, 1, &w.req, special, 2,
	    NOW, w.disclosed, w.withheld, &w.d), 0);
	assert_refused(&w, "agency_inactive");
	/* A profile that is not the one asked for is as good as none. */
	w.req.agency_id = "another-agency";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agency_inactive");
}

static void
test_agency_inactive_comes_before_agreement_expired(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.active = 0;
	w.agency.dsa_expires_us = NOW - DAY;
	w.agency.notice_review_due_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agency_inactive");
}

static void
test_agreement_expired(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.dsa_expires_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agreement_expired");
}

static void
test_agreement_expired_boundary(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.dsa_expires_us = NOW;
	assert_int_equal(run(&w), 1);		/* its last microsecond in date */
	w.agency.dsa_expires_us = NOW - 1;
	assert_int_equal(run(&w), 0);		/* expired a microsecond ago */
	assert_refused(&w, "agreement_expired");
	w.agency.dsa_expires_us = 0;		/* no end date: fail closed */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agreement_expired");
}

/* The agreement is in force from its signing day (00:00 UTC) on. */
static void
test_agreement_not_in_force(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.dsa_signed_us = NOW + 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agreement_not_in_force");
	w.agency.dsa_signed_us = NOW;
	assert_int_equal(run(&w), 1);
}

static void
test_agreement_expired_comes_before_privacy_notice_expired(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.dsa_expires_us = NOW - DAY;
	w.agency.notice_review_due_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agreement_expired");
}

static void
test_privacy_notice_expired(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.notice_review_due_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "privacy_notice_expired");
}

static void
test_privacy_notice_expired_boundary(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.agency.notice_review_due_us = NOW;
	assert_int_equal(run(&w), 1);		/* due now: not yet overdue */
	w.agency.notice_review_due_us = NOW - 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "privacy_notice_expired");
}

/* What stops a new disclosure stops everything else sent to the agency
 * (inbox, push): one rule, decide_agency_standing, answering as decide(). */
static void
test_agency_standing_is_the_decisions_rule(void **state)
{
	struct world	 w;
	const char	*msg;
	int		 i;

	(void)state;
	for (i = 0; i < 5; i++) {
		world_init(&w);
		switch (i) {
		case 1: w.agency.active = 0; break;
		case 2: w.agency.dsa_expires_us = NOW - 1; break;
		case 3: w.agency.dsa_signed_us = NOW + 1; break;
		case 4: w.agency.notice_review_due_us = NOW - 1; break;
		}
		msg = "unset";
		if (i == 0) {
			assert_null(decide_agency_standing(&w.agency, NOW, &msg));
			assert_null(msg);
			assert_int_equal(run(&w), 1);
			continue;
		}
		assert_int_equal(run(&w), 0);
		assert_non_null(decide_agency_standing(&w.agency, NOW, &msg));
		assert_string_equal(decide_agency_standing(&w.agency, NOW, &msg), w.d.rule);
		assert_non_null(msg);
	}
}

/* ---- purpose ---- */

static void
test_purpose_not_registered(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.req.purpose = "marketing";
	w.consents[0].purpose = "marketing";	/* consent does not make a purpose */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "purpose_not_registered");
	assert_null(w.d.interest);
	assert_int_equal(w.d.ndisclosed, 0);
}

static void
test_purpose_not_registered_comes_before_no_consent(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.req.purpose = "marketing";
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "purpose_not_registered");
}

/* ---- which consent a disclosure relied on ---- */

static void
test_disclosure_names_consent_used(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	/* A withdrawn one first, then a live one: the live one is named. */
	w.consents[0].id = "con_withdrawn";
	w.consents[0].withdrawn_us = NOW - DAY;
	w.consents[1] = (struct decide_consent){ .id = "con_live",
		.agency_id = "county-health", .purpose = "early_help_referral",
		.granted_us = NOW - 2 * DAY };
	w.consents[2] = (struct decide_consent){ .id = "con_also_live",
		.agency_id = "county-health", .purpose = "early_help_referral",
		.granted_us = NOW - 3 * DAY };
	w.nconsents = 3;
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.consent_id, "con_live");
	/* A refusal after a live consent was found names none. */
	w.fields[0] = "favourite_colour";
	w.req.nfields = 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "nothing_to_disclose");
	assert_null(w.d.consent_id);
	/* Nor does a safeguarding override, which relies on no consent. */
	world_init(&w);
	w.consents[0].id = "con_live";
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 1);
	assert_null(w.d.consent_id);
}

/* ---- police and court purposes: through the trustees only ---- */

static void
test_formal_request_purpose_refused_outside_a_request(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.interests[0].formal_request = 1;
	w.interests[0].override_permitted = 0;
	/* With a live consent for it (as if one had been recorded) ... */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "formal_request_required");
	assert_int_equal(w.d.ndisclosed, 0);
	/* ... without one ... */
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "formal_request_required");
	/* ... and by a safeguarding lead with an override. */
	world_init(&w);
	w.interests[0].formal_request = 1;
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "formal_request_required");
	/* The agency's other purpose is ordinary sharing still. */
	world_init(&w);
	w.interests[0].formal_request = 1;
	w.req.purpose = "school_liaison";
	w.consents[0].purpose = "school_liaison";
	assert_int_equal(run(&w), 1);
}

/* ---- consent ---- */

static void
test_no_consent(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
	assert_int_equal(decide(&w.who, &w.agency, NULL, 0, &w.req, special, 2,
	    NOW, w.disclosed, w.withheld, &w.d), 0);
	assert_refused(&w, "no_consent");
}

static void
test_no_consent_when_consent_is_for_another_purpose(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].purpose = "school_liaison";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_no_consent_when_consent_is_for_another_agency(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].agency_id = "city-housing";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

/* A consent-based delivery is served while any of the family's consents
 * for the agency and purpose is live: one withdrawn while another covers,
 * until that other expires (delivery.c, the stop on expiry). */
static void
test_consents_cover_until_the_last_live_one_expires(void **state)
{
	struct decide_consent	c[2] = {
		{ "c1", "oakfield-primary", "education_support", NOW - 10 * SEC, 0, NOW - SEC },
		{ "c2", "oakfield-primary", "education_support", NOW - 10 * SEC, NOW + SEC, 0 },
	};

	(void)state;
	assert_int_equal(decide_consents_cover(c, 2, "oakfield-primary", "education_support",
	    NOW), 1);
	assert_int_equal(decide_consents_cover(c, 2, "oakfield-primary", "education_support",
	    NOW + SEC), 1);		/* through its last microsecond */
	assert_int_equal(decide_consents_cover(c, 2, "oakfield-primary", "education_support",
	    NOW + SEC + 1), 0);
	assert_int_equal(decide_consents_cover(c, 2, "oakfield-primary", "attendance_support",
	    NOW), 0);
	assert_int_equal(decide_consents_cover(c, 2, "city-housing", "education_support",
	    NOW), 0);
	assert_int_equal(decide_consents_cover(c, 1, "oakfield-primary", "education_support",
	    NOW), 0);
	assert_int_equal(decide_consents_cover(NULL, 0, "oakfield-primary",
	    "education_support", NOW), 0);
}

static void
test_consent_withdrawn_a_second_ago_refuses(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].withdrawn_us = NOW - SEC;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_consent_withdrawn_a_microsecond_ago_refuses(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].withdrawn_us = NOW - 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
	w.consents[0].withdrawn_us = NOW;	/* at once */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_consent_expired_refuses(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].expires_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_consent_expiry_boundary(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].expires_us = NOW + 1;
	assert_int_equal(run(&w), 1);
	w.consents[0].expires_us = NOW;		/* its last valid microsecond */
	assert_int_equal(run(&w), 1);
	w.consents[0].expires_us = NOW - 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_consent_granted_in_the_future_is_not_live(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[0].granted_us = NOW + 1;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
	w.consents[0].granted_us = NOW;		/* granted this instant */
	assert_int_equal(run(&w), 1);
}

static void
test_one_live_consent_among_dead_ones_suffices(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.consents[1] = w.consents[0];
	w.consents[2] = w.consents[0];
	w.consents[0].withdrawn_us = NOW - DAY;
	w.consents[1].expires_us = NOW - DAY;
	w.nconsents = 3;
	assert_int_equal(run(&w), 1);
	w.nconsents = 2;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

/* ---- notification hold: consent-based, the family not told (policy s3.4) ---- */

static void
test_hold_by_staff_refused(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_hold(&w, ROLE_STAFF);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "role_not_permitted");
}

static void
test_hold_by_safeguarding_lead_allowed_on_consent_and_held(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.rule, "allowed");
	assert_int_equal(w.d.notify, NOTIFY_HELD);
	assert_int_equal(w.d.review_by_us, NOW + 14 * DAY);
	/* Still the consent's sharing: its basis, the consent named. */
	assert_string_equal(w.d.article6, "consent");
	assert_null(w.d.consent_id);		/* world's consent has no id */
	w.consents[0].id = "con_1";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.consent_id, "con_1");
}

static void
test_hold_on_purpose_without_override_permitted(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.interests[0].override_permitted = 0;	/* consent only, like marac */
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.notify, NOTIFY_HELD);
}

static void
test_hold_never_replaces_consent(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
	world_init(&w);
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	w.consents[0].withdrawn_us = NOW - SEC;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

static void
test_hold_without_reason_is_incomplete(void **state)
{
	static const char *const blank[] = { NULL, "", " \t\n ", "\xe2\x80\x8b" };
	struct world w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
		world_init(&w);
		use_hold(&w, ROLE_SAFEGUARDING_LEAD);
		w.hold.reason = blank[i];
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "override_incomplete");
		assert_string_equal(w.d.field, "/notification_hold/reason");
	}
}

static void
test_hold_review_date_as_an_overrides(void **state)
{
	static const int64_t bad[] = { 0, NOW - DAY, NOW, NOW + 91 * DAY };
	struct world w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		world_init(&w);
		use_hold(&w, ROLE_SAFEGUARDING_LEAD);
		w.hold.review_by_us = bad[i];
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "override_incomplete");
		assert_string_equal(w.d.field, "/notification_hold/review_by");
		assert_int_equal(decide_review_date(bad[i], NOW, 90) == REVIEW_DATE_OK, 0);
	}
	world_init(&w);
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	w.hold.review_by_us = NOW + 1;
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.review_by_us, NOW + 1);
	w.hold.review_by_us = NOW + 2 * DAY;
	w.req.max_hold_days = 1;		/* tomorrow at the latest */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
}

static void
test_hold_with_override_refused(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	use_hold(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "hold_with_override");
	assert_string_equal(w.d.field, "/notification_hold");
}

/* ---- safeguarding override ---- */

static void
test_override_by_staff_refused(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_STAFF);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "role_not_permitted");
}

static void
test_override_by_safeguarding_lead_allowed_and_held(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.nconsents = 0;			/* instead of consent */
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.rule, "allowed");
	assert_int_equal(w.d.notify, NOTIFY_HELD);
	assert_int_equal(w.d.review_by_us, NOW + 14 * DAY);
	assert_string_equal(notify_name(w.d.notify), "held");
}

static void
test_override_holds_even_when_consent_is_live(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.notify, NOTIFY_HELD);
}

static void
test_override_not_permitted_for_purpose_without_the_flag(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.nconsents = 0;
	w.req.purpose = "school_liaison";	/* override_permitted not set */
	w.fields[1] = "school";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_not_permitted");
	/* What would have left is still worked out for the refusal record. */
	assert_int_equal(w.d.ndisclosed, 2);
	assert_ptr_equal(w.d.interest, &w.interests[1]);
	/* The flag, not the purpose's name, decides. */
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.interests[0].override_permitted = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_not_permitted");
	w.interests[0].override_permitted = 1;
	assert_int_equal(run(&w), 1);
}

static void
test_override_not_permitted_even_with_live_consent(void **state)
{
	struct world w;

	(void)state;
	/* A live consent does not make an override legitimate; without the
	 * override the same request goes through on the consent. */
	world_init(&w);
	w.interests[0].override_permitted = 0;
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_not_permitted");
	w.req.override = NULL;
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.notify, NOTIFY_QUEUED);
}

static void
test_role_not_permitted_comes_before_override_not_permitted(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.interests[0].override_permitted = 0;
	use_override(&w, ROLE_STAFF);
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "role_not_permitted");
}

static void
test_override_not_permitted_comes_before_override_incomplete(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.interests[0].override_permitted = 0;
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.reason = NULL;
	w.override.review_by_us = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_not_permitted");
}

static void
test_override_incomplete_basis_outside_enumeration(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "public_task";	/* an Art 6 basis, not an override basis */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.basis = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
}

static void
test_override_incomplete_sch1_p18_without_consent_not_sought(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.consent_not_sought = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.consent_not_sought = "too_busy";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	/* Other bases do not need it. */
	w.override.basis = "legal_obligation";
	assert_int_equal(run(&w), 1);
}

static void
test_override_incomplete_without_reason(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.reason = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.reason = " \t\n ";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
}

static void
test_override_incomplete_review_date_boundary(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.review_by_us = 0;		/* missing */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.review_by_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.review_by_us = NOW;		/* today is not the future */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.review_by_us = NOW + 1;
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.review_by_us, NOW + 1);
}

/* NOW is 2026-09-21T14:13:20Z: TODAY is its UTC midnight. */
#define TODAY	(NOW - NOW % DAY)

static void
test_override_incomplete_review_date_beyond_max_hold_days(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.review_by_us = TODAY + 90 * DAY;	/* the last date allowed */
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.review_by_us, TODAY + 90 * DAY);
	assert_null(w.d.field);
	w.override.review_by_us = TODAY + 91 * DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	assert_string_equal(w.d.field, "/override/review_by");
	assert_string_equal(w.d.message, decide_review_date_message(REVIEW_DATE_TOO_FAR));
	/* 9999-12-31 */
	w.override.review_by_us = INT64_C(253402214400) * SEC;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	/* The limit is the configured one ... */
	w.req.max_hold_days = 7;
	w.override.review_by_us = TODAY + 8 * DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
	w.override.review_by_us = TODAY + 7 * DAY;
	assert_int_equal(run(&w), 1);
	/* ... and none configured allows no hold at all (fail closed). */
	w.req.max_hold_days = 0;
	w.override.review_by_us = TODAY + DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "override_incomplete");
}

static void
test_review_date_limit_counts_utc_days(void **state)
{
	int64_t	midnight = TODAY, last = TODAY + DAY - 1;

	(void)state;
	/* The same limit whatever the time of day: 90 days from today's date. */
	assert_int_equal(decide_review_date_latest(midnight, 90), TODAY + 90 * DAY);
	assert_int_equal(decide_review_date_latest(last, 90), TODAY + 90 * DAY);
	assert_int_equal(decide_review_date(TODAY + 90 * DAY, last, 90), REVIEW_DATE_OK);
	assert_int_equal(decide_review_date(TODAY + 90 * DAY, midnight, 90), REVIEW_DATE_OK);
	/* Any instant of the last day is that day. */
	assert_int_equal(decide_review_date(TODAY + 91 * DAY - 1, NOW, 90), REVIEW_DATE_OK);
	assert_int_equal(decide_review_date(TODAY + 91 * DAY, NOW, 90), REVIEW_DATE_TOO_FAR);
	/* Past midnight the window moves on by a day. */
	assert_int_equal(decide_review_date(TODAY + 91 * DAY, TODAY + DAY, 90), REVIEW_DATE_OK);
	assert_int_equal(decide_review_date(NOW, NOW, 90), REVIEW_DATE_NOT_FUTURE);
	assert_int_equal(decide_review_date(0, NOW, 90), REVIEW_DATE_NOT_FUTURE);
	assert_null(decide_review_date_message(REVIEW_DATE_OK));
	assert_non_null(decide_review_date_message(REVIEW_DATE_NOT_FUTURE));
}

static void
test_override_incomplete_names_the_field(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = NULL;
	assert_int_equal(run(&w), 0);
	assert_string_equal(w.d.field, "/override/basis");
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.consent_not_sought = NULL;
	assert_int_equal(run(&w), 0);
	assert_string_equal(w.d.field, "/override/consent_not_sought");
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.reason = "";
	assert_int_equal(run(&w), 0);
	assert_string_equal(w.d.field, "/override/reason");
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.review_by_us = 0;
	assert_int_equal(run(&w), 0);
	assert_string_equal(w.d.field, "/override/review_by");
	/* Other refusals name no field. */
	world_init(&w);
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_null(w.d.field);
}

static void
test_override_does_not_lift_agency_rules(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.agency.dsa_expires_us = NOW - DAY;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "agreement_expired");
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.req.purpose = "marketing";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "purpose_not_registered");
}

/* ---- minimum necessary ---- */

static void
test_minimum_necessary_withholds_and_names(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[0] = "child_name";
	w.fields[1] = "criminal_record";
	w.fields[2] = "address";
	w.fields[3] = "school";			/* another purpose's field */
	w.req.nfields = 4;
	assert_int_equal(run(&w), 1);
	assert_int_equal(w.d.ndisclosed, 2);
	assert_string_equal(w.d.disclosed[0], "child_name");
	assert_string_equal(w.d.disclosed[1], "address");
	assert_int_equal(w.d.nwithheld, 2);
	assert_string_equal(w.d.withheld[0], "criminal_record");
	assert_string_equal(w.d.withheld[1], "school");
}

static void
test_nothing_to_disclose(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[0] = "criminal_record";
	w.fields[1] = "school";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "nothing_to_disclose");
	assert_int_equal(w.d.ndisclosed, 0);
	assert_int_equal(w.d.nwithheld, 2);	/* named even when refused */
	w.req.nfields = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "nothing_to_disclose");
}

static void
test_no_consent_comes_before_nothing_to_disclose(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[0] = "criminal_record";
	w.req.nfields = 1;
	w.nconsents = 0;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "no_consent");
}

/* ---- lawful basis ---- */

static void
test_lawful_basis_article6_from_interest(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.req.purpose = "school_liaison";
	w.consents[0].purpose = "school_liaison";
	w.fields[1] = "school";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article6, "legitimate_interests");
	assert_ptr_equal(w.d.interest, &w.interests[1]);
}

static void
test_lawful_basis_article6_from_override(void **state)
{
	static const struct { const char *basis, *interest, *art6; } cases[] = {
		{ "legal_obligation", "consent", "legal_obligation" },
		{ "vital_interests", "consent", "vital_interests" },
		{ "safeguarding_sch1_p18", "consent", "public_task" },
		{ "safeguarding_sch1_p18", "legitimate_interests", "public_task" },
		{ "crime_sch2_p2", "legitimate_interests", "legitimate_interests" },
		{ "crime_sch2_p2", "public_task", "public_task" },
		{ "crime_sch2_p2", "consent", "public_task" },
	};
	struct world w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		world_init(&w);
		use_override(&w, ROLE_SAFEGUARDING_LEAD);
		w.override.basis = cases[i].basis;
		w.interests[0].lawful_basis = cases[i].interest;
		assert_int_equal(run(&w), 1);
		assert_string_equal(w.d.article6, cases[i].art6);
		assert_true(decide_is_article6(w.d.article6));
	}
}

static void
test_lawful_basis_missing(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.interests[0].lawful_basis = "because";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "lawful_basis_missing");
	w.interests[0].lawful_basis = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "lawful_basis_missing");
}

static void
test_special_category_leaves_with_interest_condition(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[1] = "health_summary";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "explicit_consent");
	w.interests[0].special_category_condition = "health_social_care";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "health_social_care");
}

static void
test_special_category_condition_missing(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "special_category_condition_missing");
	assert_null(w.d.article9);
	w.interests[0].special_category_condition = "astrology";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "special_category_condition_missing");
}

static void
test_special_category_withheld_needs_no_condition(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[1] = "disability";		/* special, but not this purpose's */
	w.interests[0].special_category_condition = NULL;
	assert_int_equal(run(&w), 1);
	assert_null(w.d.article9);
	assert_int_equal(w.d.nwithheld, 1);
	assert_string_equal(w.d.withheld[0], "disability");
}

static void
test_special_category_under_sch1_p18_override(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = NULL;
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "safeguarding_sch1_p18");
	assert_string_equal(w.d.article6, "public_task");
}

static void
test_special_category_under_vital_interests_override(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "vital_interests";
	w.override.consent_not_sought = "consent_cannot_be_given";
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = NULL;
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "vital_interests");
	assert_string_equal(w.d.article6, "vital_interests");
}

static void
test_vital_interests_article9_only_when_consent_cannot_be_given(void **state)
{
	static const char *const not_incapable[] = {
		NULL, "cannot_reasonably_obtain", "would_prejudice_protection"
	};
	struct world w;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(not_incapable) / sizeof(not_incapable[0]); i++) {
		world_init(&w);
		use_override(&w, ROLE_SAFEGUARDING_LEAD);
		w.override.basis = "vital_interests";
		w.override.consent_not_sought = not_incapable[i];
		w.fields[1] = "health_summary";
		w.interests[0].special_category_condition = NULL;
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "special_category_condition_missing");
		/* The interest's own condition still serves ... */
		w.interests[0].special_category_condition = "health_social_care";
		assert_int_equal(run(&w), 1);
		assert_string_equal(w.d.article9, "health_social_care");
		assert_string_equal(w.d.article6, "vital_interests");
		/* ... but not explicit consent, nor vital_interests itself. */
		w.interests[0].special_category_condition = "explicit_consent";
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "special_category_condition_missing");
		w.interests[0].special_category_condition = "vital_interests";
		assert_int_equal(run(&w), 0);
		assert_refused(&w, "special_category_condition_missing");
	}
	/* Without a special-category field the Art 6 basis needs none of it. */
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "vital_interests";
	w.override.consent_not_sought = NULL;
	assert_int_equal(run(&w), 1);
	assert_null(w.d.article9);
	assert_string_equal(w.d.article6, "vital_interests");
}

static void
test_vital_interests_interest_condition_needs_consent_cannot_be_given(void **state)
{
	struct world w;

	(void)state;
	/* With a live consent and no override the family could consent. */
	world_init(&w);
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = "vital_interests";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "special_category_condition_missing");
	/* Under another override that says consent cannot be given, it serves. */
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "legal_obligation";
	w.override.consent_not_sought = "consent_cannot_be_given";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "vital_interests");
}

static void
test_sch1_p18_interest_condition_under_override_needs_consent_not_sought(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "vital_interests";
	w.override.consent_not_sought = NULL;
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = "safeguarding_sch1_p18";
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "special_category_condition_missing");
	w.override.consent_not_sought = "would_prejudice_protection";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "safeguarding_sch1_p18");
	/* With consent and no override the profile's condition stands. */
	world_init(&w);
	w.fields[1] = "health_summary";
	w.interests[0].special_category_condition = "safeguarding_sch1_p18";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "safeguarding_sch1_p18");
}

static void
test_special_category_explicit_consent_does_not_cover_override(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	use_override(&w, ROLE_SAFEGUARDING_LEAD);
	w.override.basis = "legal_obligation";
	w.fields[1] = "health_summary";		/* interest: explicit_consent */
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "special_category_condition_missing");
	w.interests[0].special_category_condition = "health_social_care";
	assert_int_equal(run(&w), 1);
	assert_string_equal(w.d.article9, "health_social_care");
}

static void
test_nothing_to_disclose_comes_before_special_category(void **state)
{
	struct world w;

	(void)state;
	world_init(&w);
	w.fields[0] = "disability";
	w.req.nfields = 1;
	w.interests[0].special_category_condition = NULL;
	assert_int_equal(run(&w), 0);
	assert_refused(&w, "nothing_to_disclose");
}

static void
test_has_text_refuses_white_space_only(void **state)
{
	(void)state;
	assert_false(decide_has_text(NULL));
	assert_false(decide_has_text(""));
	assert_false(decide_has_text(" \t\r\n\f\v "));
	assert_true(decide_has_text(" x "));
	assert_true(decide_has_text("\tReason"));
}

/* Spaces and format characters outside ASCII show nothing either. */
static void
test_has_text_refuses_invisible_unicode(void **state)
{
	(void)state;
	assert_false(decide_has_text("\u00a0"));		/* no-break space */
	assert_false(decide_has_text("\u200b"));		/* zero width space */
	assert_false(decide_has_text("\u3000"));		/* ideographic space */
	assert_false(decide_has_text(" \u00a0\t\u200b\r\n\u3000 "));
	assert_false(decide_has_text("\xc2\x85\u1680\u2000\u200a\u2028\u2029"
	    "\u202f\u205f"));
	assert_false(decide_has_text("\u00ad\u180e\u200c\u200d\u200e\u200f"
	    "\u2060\u2064\ufeff"));
	/* C0 and C1 controls, DEL. */
	assert_false(decide_has_text("\x01\x1f\x7f\xc2\x80\xc2\x9f"));
	assert_true(decide_has_text("a"));
	assert_true(decide_has_text("\u00e9"));
	assert_true(decide_has_text("\u00a0x"));
	assert_true(decide_has_text("\u200b\u3000\u4e00"));	/* a CJK letter */
	assert_true(decide_has_text("\U0001f600"));		/* 4-byte UTF-8 */
	/* Not UTF-8 (a header is not checked as a JSON body is): a byte that
	 * starts no well-formed sequence is read as ISO-8859-1. */
	assert_false(decide_has_text("\xa0 \xad\x85"));
	assert_true(decide_has_text("\xe9"));
	assert_true(decide_has_text("\xc0\xa0"));		/* overlong space */
	assert_true(decide_has_text("\xed\xa0\x80"));	/* a surrogate */
	assert_true(decide_has_text("\xe2\x80"));		/* cut short */
}

static void
test_enumerations(void **state)
{
	(void)state;
	assert_true(decide_is_article6("public_task"));
	assert_false(decide_is_article6("explicit_consent"));
	assert_true(decide_is_article9("legal_claims"));
	assert_false(decide_is_article9(NULL));
	assert_true(decide_is_override_basis("crime_sch2_p2"));
	assert_false(decide_is_override_basis("consent"));
	assert_true(decide_is_consent_not_sought("cannot_reasonably_obtain"));
	assert_string_equal(notify_name(NOTIFY_NONE), "none");
}

/* A disclosure decided earlier, looked at again when it is to leave: its
 * purpose must still be one of the agency's interests and every field it
 * disclosed still listed by that interest (the profile may have narrowed
 * since). */
static void
test_interest_holds_only_while_the_current_interest_covers_every_field(void **state)
{
	static const struct decide_interest school = {
		.purpose = "education_support", .lawful_basis = "consent",
		.fields = school_fields, .nfields = 2,
	};
	static const char *const both[] = { "child_name", "school" };
	static const char *const one[] = { "school" };
	static const char *const gone[] = { "child_name", "date_of_birth" };

	(void)state;
	assert_null(decide_interest_holds(&school, both, 2));
	assert_null(decide_interest_holds(&school, one, 1));
	assert_null(decide_interest_holds(&school, NULL, 0));
	assert_string_equal(decide_interest_holds(&school, gone, 2), "field_not_in_interest");
	assert_string_equal(decide_interest_holds(NULL, both, 2), "purpose_not_registered");
	assert_string_equal(decide_interest_holds(NULL, NULL, 0), "purpose_not_registered");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_consent_allows_and_queues_notification),
		cmocka_unit_test(test_role_not_permitted_for_other_principals),
		cmocka_unit_test(test_safeguarding_lead_may_disclose_with_consent),
		cmocka_unit_test(test_agency_inactive),
		cmocka_unit_test(test_agency_unknown_is_agency_inactive),
		cmocka_unit_test(test_agency_inactive_comes_before_agreement_expired),
		cmocka_unit_test(test_agreement_expired),
		cmocka_unit_test(test_agreement_expired_boundary),
		cmocka_unit_test(test_agreement_not_in_force),
		cmocka_unit_test(test_agreement_expired_comes_before_privacy_notice_expired),
		cmocka_unit_test(test_privacy_notice_expired),
		cmocka_unit_test(test_privacy_notice_expired_boundary),
		cmocka_unit_test(test_agency_standing_is_the_decisions_rule),
		cmocka_unit_test(test_purpose_not_registered),
		cmocka_unit_test(test_formal_request_purpose_refused_outside_a_request),
		cmocka_unit_test(test_disclosure_names_consent_used),
		cmocka_unit_test(test_purpose_not_registered_comes_before_no_consent),
		cmocka_unit_test(test_no_consent),
		cmocka_unit_test(test_no_consent_when_consent_is_for_another_purpose),
		cmocka_unit_test(test_no_consent_when_consent_is_for_another_agency),
		cmocka_unit_test(test_consents_cover_until_the_last_live_one_expires),
		cmocka_unit_test(test_consent_withdrawn_a_second_ago_refuses),
		cmocka_unit_test(test_consent_withdrawn_a_microsecond_ago_refuses),
		cmocka_unit_test(test_consent_expired_refuses),
		cmocka_unit_test(test_consent_expiry_boundary),
		cmocka_unit_test(test_consent_granted_in_the_future_is_not_live),
		cmocka_unit_test(test_one_live_consent_among_dead_ones_suffices),
		cmocka_unit_test(test_hold_by_staff_refused),
		cmocka_unit_test(test_hold_by_safeguarding_lead_allowed_on_consent_and_held),
		cmocka_unit_test(test_hold_on_purpose_without_override_permitted),
		cmocka_unit_test(test_hold_never_replaces_consent),
		cmocka_unit_test(test_hold_without_reason_is_incomplete),
		cmocka_unit_test(test_hold_review_date_as_an_overrides),
		cmocka_unit_test(test_hold_with_override_refused),
		cmocka_unit_test(test_override_by_staff_refused),
		cmocka_unit_test(test_override_by_safeguarding_lead_allowed_and_held),
		cmocka_unit_test(test_override_holds_even_when_consent_is_live),
		cmocka_unit_test(test_override_not_permitted_for_purpose_without_the_flag),
		cmocka_unit_test(test_override_not_permitted_even_with_live_consent),
		cmocka_unit_test(test_role_not_permitted_comes_before_override_not_permitted),
		cmocka_unit_test(test_override_not_permitted_comes_before_override_incomplete),
		cmocka_unit_test(test_override_incomplete_basis_outside_enumeration),
		cmocka_unit_test(test_override_incomplete_sch1_p18_without_consent_not_sought),
		cmocka_unit_test(test_override_incomplete_without_reason),
		cmocka_unit_test(test_override_incomplete_review_date_boundary),
		cmocka_unit_test(test_override_incomplete_review_date_beyond_max_hold_days),
		cmocka_unit_test(test_review_date_limit_counts_utc_days),
		cmocka_unit_test(test_override_incomplete_names_the_field),
		cmocka_unit_test(test_override_does_not_lift_agency_rules),
		cmocka_unit_test(test_minimum_necessary_withholds_and_names),
		cmocka_unit_test(test_nothing_to_disclose),
		cmocka_unit_test(test_no_consent_comes_before_nothing_to_disclose),
		cmocka_unit_test(test_lawful_basis_article6_from_interest),
		cmocka_unit_test(test_lawful_basis_article6_from_override),
		cmocka_unit_test(test_lawful_basis_missing),
		cmocka_unit_test(test_special_category_leaves_with_interest_condition),
		cmocka_unit_test(test_special_category_condition_missing),
		cmocka_unit_test(test_special_category_withheld_needs_no_condition),
		cmocka_unit_test(test_special_category_under_sch1_p18_override),
		cmocka_unit_test(test_special_category_under_vital_interests_override),
		cmocka_unit_test(test_vital_interests_article9_only_when_consent_cannot_be_given),
		cmocka_unit_test(test_vital_interests_interest_condition_needs_consent_cannot_be_given),
		cmocka_unit_test(test_sch1_p18_interest_condition_under_override_needs_consent_not_sought),
		cmocka_unit_test(test_special_category_explicit_consent_does_not_cover_override),
		cmocka_unit_test(test_nothing_to_disclose_comes_before_special_category),
		cmocka_unit_test(test_has_text_refuses_white_space_only),
		cmocka_unit_test(test_has_text_refuses_invisible_unicode),
		cmocka_unit_test(test_enumerations),
		cmocka_unit_test(test_interest_holds_only_while_the_current_interest_covers_every_field),
	};

	return cmocka_run_group_tests_name("decide", tests, NULL, NULL);
}
