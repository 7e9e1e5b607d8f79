/*
 * decide.c: the disclosure decision (see decide.h for the rules and their
 * order). Pure: no I/O header, no allocation, no clock, no globals that
 * change. Everything arrives as arguments and leaves in struct decision;
 * the strings it returns are static or borrowed from the arguments.
 *
 * Lawful basis (UK GDPR Art 6, recorded with every allowed disclosure):
 *   without an override, the legitimate interest's own basis;
 *   with one, from the override's basis:
 *     legal_obligation      -> legal_obligation (Art 6(1)(c))
 *     vital_interests       -> vital_interests (Art 6(1)(d))
 *     safeguarding_sch1_p18 -> public_task (Art 6(1)(e)). DPA 2018 Sch 1
 *	para 18 is an Art 9(2)(g) "substantial public interest" condition for
 *	sharing without consent to protect a child or an individual at risk;
 *	the Art 6 basis that rests on the same public interest is 6(1)(e).
 *	legal_obligation would claim a specific statutory duty on the charity,
 *	and when one exists the override's own legal_obligation basis says so.
 *     crime_sch2_p2         -> the interest's basis, or public_task when that
 *	is consent. Sch 2 para 2 (crime and taxation) is an exemption from
 *	transparency and some rights, not a lawful basis: the basis still
 *	comes from the interest, except that consent cannot be relied on when
 *	consent was deliberately not sought.
 * Special category (Art 9), whenever a catalogue special-category field
 * leaves: under a safeguarding_sch1_p18 override that condition; under a
 * vital_interests override whose consent_not_sought is
 * consent_cannot_be_given, vital_interests (Art 9(2)(c) covers only a data
 * subject physically or legally incapable of giving consent); otherwise the
 * interest's condition, with three exclusions:
 *   explicit_consent under any override (there is no consent to rely on);
 *   vital_interests unless an override says consent_cannot_be_given (with
 *	a live consent the family evidently could give it);
 *   safeguarding_sch1_p18 under an override that gives no reason from
 *	para 18(2) why consent was not sought.
 * Nothing applicable refuses the whole disclosure:
 * special_category_condition_missing.
 */
#include <string.h>

#include "decide.h"

static const char *const article6[] = {
	"consent", "legal_obligation", "vital_interests", "public_task",
	"legitimate_interests", NULL
};
static const char *const article9[] = {
	"explicit_consent", "vital_interests", "legal_claims",
	"safeguarding_sch1_p18", "health_social_care", NULL
};
static const char *const override_bases[] = {
	"legal_obligation", "vital_interests", "safeguarding_sch1_p18",
	"crime_sch2_p2", NULL
};
static const char *const consent_not_sought[] = {
	"consent_cannot_be_given", "cannot_reasonably_obtain",
	"would_prejudice_protection", NULL
};

static int
in_list(const char *s, const char *const *list)
{
	if (s == NULL)
		return 0;
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int
in_array(const char *s, const char *const *arr, size_t n)
{
	size_t	i;

	if (s == NULL || arr == NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (arr[i] != NULL && strcmp(s, arr[i]) == 0)
			return 1;
	return 0;
}

int
decide_is_article6(const char *s)
{
	return in_list(s, article6);
}

int
decide_is_article9(const char *s)
{
	return in_list(s, article9);
}

int
decide_is_override_basis(const char *s)
{
	return in_list(s, override_bases);
}

int
decide_is_consent_not_sought(const char *s)
{
	return in_list(s, consent_not_sought);
}

const char *
notify_name(enum notify n)
{
	switch (n) {
	case NOTIFY_QUEUED:
		return "queued";
	case NOTIFY_HELD:
		return "held";
	case NOTIFY_NONE:
		break;
	}
	return "none";
}

/*
 * Code points that show nothing, so that a string of them only is no text:
 * every control character (Cc: C0, DEL, C1), every Unicode White_Space
 * character (U+0009-000D, U+0020, U+0085, U+00A0, U+1680, U+2000-200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000) and the Default_Ignorable_Code_Point
 * characters (soft hyphen, zero-width and joiner characters, direction
 * marks and embeddings, word joiner and invisible operators, variation
 * selectors, the Hangul fillers, U+FEFF, tags), plus U+2800 BRAILLE
 * PATTERN BLANK, which is drawn as a blank cell. Sorted, not overlapping.
 */
static const struct {
	uint32_t	lo, hi;
} invisible[] = {
	{ 0x0000, 0x0020 }, { 0x007f, 0x00a0 }, { 0x00ad, 0x00ad },
	{ 0x034f, 0x034f }, { 0x061c, 0x061c }, { 0x115f, 0x1160 },
	{ 0x1680, 0x1680 }, { 0x17b4, 0x17b5 }, { 0x180b, 0x180f },
	{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x206f },
	{ 0x2800, 0x2800 }, { 0x3000, 0x3000 }, { 0x3164, 0x3164 },
	{ 0xfe00, 0xfe0f }, { 0xfeff, 0xfeff }, { 0xffa0, 0xffa0 },
	{ 0xfff0, 0xfff8 }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
	{ 0xe0000, 0xe0fff },
};

static int
is_invisible(uint32_t cp)
{
	size_t	i;

	for (i = 0; i < sizeof(invisible) / sizeof(invisible[0]); i++) {
		if (cp < invisible[i].lo)
			return 0;
		if (cp <= invisible[i].hi)
			return 1;
	}
	return 0;
}

/*
 * The code point of the well-formed UTF-8 sequence at s (RFC 3629: no
 * overlong form, no surrogate, nothing past U+10FFFF) and its length in
 * *len; otherwise the first byte read as ISO-8859-1, *len 1. JSON bodies
 * are already well-formed (Jansson refuses any other), so the fallback
 * only reads header values (X-Access-Reason), which HTTP long carried as
 * ISO-8859-1: a lone 0xA0 byte is a no-break space there, not text.
 */
static uint32_t
utf8_next(const unsigned char *s, size_t *len)
{
	uint32_t	cp, min;
	size_t		n, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return s[0];
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return s[0];
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return s[0];
	*len = n;
	return cp;
}

int
decide_has_text(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 len;

	if (s == NULL)
		return 0;
	for (; *p != '\0'; p += len)
		if (!is_invisible(utf8_next(p, &len)))
			return 1;
	return 0;
}

#define DAY_US	(INT64_C(86400) * 1000000)

/* The first instant of t's UTC day. */
static int64_t
utc_day_start(int64_t t)
{
	int64_t	r = t % DAY_US;

	return t - (r < 0 ? r + DAY_US : r);
}

int64_t
decide_review_date_latest(int64_t now_us, unsigned max_hold_days)
{
	return utc_day_start(now_us) + (int64_t)max_hold_days * DAY_US;
}

enum review_date
decide_review_date(int64_t review_by_us, int64_t now_us, unsigned max_hold_days)
{
	if (review_by_us <= now_us)
		return REVIEW_DATE_NOT_FUTURE;
	if (utc_day_start(review_by_us) > decide_review_date_latest(now_us, max_hold_days))
		return REVIEW_DATE_TOO_FAR;
	return REVIEW_DATE_OK;
}

const char *
decide_review_date_message(enum review_date r)
{
	switch (r) {
	case REVIEW_DATE_NOT_FUTURE:
		return "An override needs a review date in the future.";
	case REVIEW_DATE_TOO_FAR:
		return "The review date is further ahead than a hold may run "
		    "(gatewayd --max-hold-days, counted in UTC days from today): "
		    "a hold must be reviewed sooner, and can be reviewed again.";
	case REVIEW_DATE_OK:
		break;
	}
	return NULL;
}

/* Still within the limit, its last valid instant (decide.h: a limit <= 0
 * has always passed). */
static int
within(int64_t now_us, int64_t limit_us)
{
	return limit_us > 0 && now_us <= limit_us;
}

int
decide_consent_live(const struct decide_consent *c, const char *agency_id,
    const char *purpose, int64_t now_us)
{
	if (c->agency_id == NULL || c->purpose == NULL ||
	    strcmp(c->agency_id, agency_id) != 0 || strcmp(c->purpose, purpose) != 0)
		return 0;
	if (c->granted_us <= 0 || c->granted_us > now_us)
		return 0;
	/* A withdrawal takes effect at once, whatever its recorded time. */
	if (c->withdrawn_us != 0)
		return 0;
	if (c->expires_us != 0 && !within(now_us, c->expires_us))
		return 0;
	return 1;
}

int
decide_consents_cover(const struct decide_consent *c, size_t n, const char *agency_id,
    const char *purpose, int64_t now_us)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (decide_consent_live(&c[i], agency_id, purpose, now_us))
			return 1;
	return 0;
}

static const struct decide_interest *
find_interest(const struct decide_agency *a, const char *purpose)
{
	size_t	i;

	if (purpose == NULL || a->interests == NULL)
		return NULL;
	for (i = 0; i < a->ninterests; i++)
		if (a->interests[i].purpose != NULL &&
		    strcmp(a->interests[i].purpose, purpose) == 0)
			return &a->interests[i];
	return NULL;
}

static int
refuse(struct decision *out, const char *rule, const char *message)
{
	out->allowed = 0;
	out->rule = rule;
	out->message = message;
	out->field = NULL;
	out->article6 = NULL;
	out->article9 = NULL;
	out->consent_id = NULL;
	out->notify = NOTIFY_NONE;
	out->review_by_us = 0;
	return 0;
}

/* The override's checks (decide.h); NULL when complete, else the sentence
 * and, in *field, the JSON Pointer of the field at fault. */
static const char *
override_problem(const struct decide_override *o, int64_t now_us, unsigned max_hold_days,
    const char **field)
{
	enum review_date	rd;

	if (!decide_is_override_basis(o->basis)) {
		*field = "/override/basis";
		return "The override's basis is not one of legal_obligation, "
		    "vital_interests, safeguarding_sch1_p18, crime_sch2_p2.";
	}
	if (strcmp(o->basis, "safeguarding_sch1_p18") == 0 &&
	    !decide_is_consent_not_sought(o->consent_not_sought)) {
		*field = "/override/consent_not_sought";
		return "An override under safeguarding_sch1_p18 must say why "
		    "consent was not sought.";
	}
	if (!decide_has_text(o->reason)) {
		*field = "/override/reason";
		return "An override needs a written reason.";
	}
	if ((rd = decide_review_date(o->review_by_us, now_us, max_hold_days)) != REVIEW_DATE_OK) {
		*field = "/override/review_by";
		return decide_review_date_message(rd);
	}
	return NULL;
}

/* A notification hold's checks (decide.h): as an override's reason and
 * review date. NULL when complete, else the sentence and *field. */
static const char *
hold_problem(const struct decide_hold *h, int64_t now_us, unsigned max_hold_days,
    const char **field)
{
	enum review_date	rd;

	if (!decide_has_text(h->reason)) {
		*field = "/notification_hold/reason";
		return "A notification hold needs a written reason: who would be put at risk "
		    "by telling the family, and how.";
	}
	if ((rd = decide_review_date(h->review_by_us, now_us, max_hold_days)) != REVIEW_DATE_OK) {
		*field = "/notification_hold/review_by";
		return rd == REVIEW_DATE_NOT_FUTURE ?
		    "A notification hold needs a review date in the future." :
		    decide_review_date_message(rd);
	}
	return NULL;
}

static const char *
override_article6(const char *basis, const struct decide_interest *in)
{
	if (strcmp(basis, "legal_obligation") == 0)
		return "legal_obligation";
	if (strcmp(basis, "vital_interests") == 0)
		return "vital_interests";
	if (strcmp(basis, "safeguarding_sch1_p18") == 0)
		return "public_task";
	/* crime_sch2_p2 */
	if (decide_is_article6(in->lawful_basis) &&
	    strcmp(in->lawful_basis, "consent") != 0)
		return in->lawful_basis;
	return "public_task";
}

/* Art 9(2)(c): only for a data subject who cannot give consent. */
static int
consent_cannot_be_given(const struct decide_override *o)
{
	return o != NULL && o->consent_not_sought != NULL &&
	    strcmp(o->consent_not_sought, "consent_cannot_be_given") == 0;
}

static const char *
article9_condition(const struct decide_override *o, const struct decide_interest *in)
{
	const char	*c = in->special_category_condition;

	if (o != NULL) {
		if (strcmp(o->basis, "safeguarding_sch1_p18") == 0)
			return "safeguarding_sch1_p18";
		if (strcmp(o->basis, "vital_interests") == 0 && consent_cannot_be_given(o))
			return "vital_interests";
	}
	if (!decide_is_article9(c))
		return NULL;
	if (strcmp(c, "explicit_consent") == 0 && o != NULL)
		return NULL;
	if (strcmp(c, "vital_interests") == 0 && !consent_cannot_be_given(o))
		return NULL;
	if (strcmp(c, "safeguarding_sch1_p18") == 0 && o != NULL &&
	    !decide_is_consent_not_sought(o->consent_not_sought))
		return NULL;
	return c;
}

const char *
decide_agency_standing(const struct decide_agency *agency, int64_t now_us,
    const char **message)
{
	if (!agency->active) {
		*message = "The agency is not active.";
		return "agency_inactive";
	}
	if (!within(now_us, agency->dsa_expires_us)) {
		*message = "The agency's data-sharing agreement has expired.";
		return "agreement_expired";
	}
	if (now_us < agency->dsa_signed_us) {
		*message = "The agency's data-sharing agreement is not yet in force "
		    "(signed in the future).";
		return "agreement_not_in_force";
	}
	if (!within(now_us, agency->notice_review_due_us)) {
		*message = "The agency's privacy notice review is overdue.";
		return "privacy_notice_expired";
	}
	*message = NULL;
	return NULL;
}

const char *
decide_interest_holds(const struct decide_interest *in, const char *const *fields,
    size_t nfields)
{
	size_t	i, k;

	if (in == NULL)
		return "purpose_not_registered";
	for (i = 0; i < nfields; i++) {
		for (k = 0; k < in->nfields; k++)
			if (fields[i] != NULL && in->fields[k] != NULL &&
			    strcmp(fields[i], in->fields[k]) == 0)
				break;
		if (k == in->nfields)
			return "field_not_in_interest";
	}
	return NULL;
}

int
decide(const struct principal *who, const struct decide_agency *agency,
    const struct decide_consent *consents, size_t nconsents,
    const struct decide_request *req,
    const char *const *special_fields, size_t nspecial,
    int64_t now_us, const char **disclosed_buf, const char **withheld_buf,
    struct decision *out)
{
	const struct decide_interest	*in;
	const struct decide_override	*o = req->override;
	const struct decide_hold	*h = req->hold;
	const char			*code, *message;
	size_t				 i;
	int				 special = 0, live = 0;

	memset(out, 0, sizeof(*out));
	out->disclosed = disclosed_buf;
	out->withheld = withheld_buf;

	if (who == NULL ||
	    (who->role != ROLE_STAFF && who->role != ROLE_SAFEGUARDING_LEAD))
		return refuse(out, "role_not_permitted",
		    "Only staff and safeguarding leads may disclose.");
	if (agency == NULL || agency->id == NULL || req->agency_id == NULL ||
	    strcmp(agency->id, req->agency_id) != 0)
		return refuse(out, "agency_inactive",
		    "No active agency has this id.");
	if ((code = decide_agency_standing(agency, now_us, &message)) != NULL)
		return refuse(out, code, message);
	in = find_interest(agency, req->purpose);
	if (in == NULL)
		return refuse(out, "purpose_not_registered",
		    "The purpose is not one of the agency's registered legitimate interests.");
	out->interest = in;
	if (in->formal_request)
		return refuse(out, "formal_request_required",
		    "This purpose is answered only through a formal request (POST /v1/requests), "
		    "approved by a quorum of trustees and answered with a witness statement.");

	/* Minimum necessary: what the purpose lists may leave, the rest is
	 * withheld and named. Worked out now so refusals can record it too. */
	for (i = 0; i < req->nfields; i++) {
		const char *f = req->fields[i];

		if (in_array(f, in->fields, in->nfields)) {
			out->disclosed[out->ndisclosed++] = f;
			if (in_array(f, special_fields, nspecial))
				special = 1;
		} else
			out->withheld[out->nwithheld++] = f;
	}

	if (o != NULL) {
		const char *problem, *field = NULL;

		if (who->role != ROLE_SAFEGUARDING_LEAD)
			return refuse(out, "role_not_permitted",
			    "Only a safeguarding lead may give a safeguarding override.");
		if (h != NULL) {
			refuse(out, "hold_with_override",
			    "A safeguarding override already holds the family notification: "
			    "give the override without a notification hold.");
			out->field = "/notification_hold";
			return 0;
		}
		if (!in->override_permitted)
			return refuse(out, "override_not_permitted",
			    "This purpose may not be shared without consent: a safeguarding "
			    "override is for referrals to the authorities that act on a "
			    "safeguarding concern.");
		if ((problem = override_problem(o, now_us, req->max_hold_days, &field)) != NULL) {
			refuse(out, "override_incomplete", problem);
			out->field = field;
			return 0;
		}
	} else {
		const char *problem, *field = NULL;

		/* A hold keeps the family from being told; it is a safeguarding
		 * decision, and it never replaces consent (checked next). */
		if (h != NULL && who->role != ROLE_SAFEGUARDING_LEAD)
			return refuse(out, "role_not_permitted",
			    "Only a safeguarding lead may hold a family notification.");
		if (h != NULL &&
		    (problem = hold_problem(h, now_us, req->max_hold_days, &field)) != NULL) {
			refuse(out, "override_incomplete", problem);
			out->field = field;
			return 0;
		}
		for (i = 0; i < nconsents && consents != NULL && !live; i++)
			if ((live = decide_consent_live(&consents[i], req->agency_id,
			    req->purpose, now_us)))
				out->consent_id = consents[i].id;
		if (!live)
			return refuse(out, "no_consent",
			    "The family holds no live consent for this agency and purpose.");
	}

	if (out->ndisclosed == 0)
		return refuse(out, "nothing_to_disclose",
		    "None of the fields may be disclosed for this purpose.");
	if (special) {
		out->article9 = article9_condition(o, in);
		if (out->article9 == NULL)
			return refuse(out, "special_category_condition_missing",
			    "A special-category field would leave without an Article 9 condition.");
	}
	if (o != NULL)
		out->article6 = override_article6(o->basis, in);
	else if (decide_is_article6(in->lawful_basis))
		out->article6 = in->lawful_basis;
	if (out->article6 == NULL)
		return refuse(out, "lawful_basis_missing",
		    "The purpose names no Article 6 lawful basis.");

	out->allowed = 1;
	out->rule = "allowed";
	out->message = "Disclosure allowed.";
	if (o != NULL) {
		out->notify = NOTIFY_HELD;
		out->review_by_us = o->review_by_us;
	} else if (h != NULL) {
		out->notify = NOTIFY_HELD;
		out->review_by_us = h->review_by_us;
	} else
		out->notify = NOTIFY_QUEUED;
	return 1;
}
