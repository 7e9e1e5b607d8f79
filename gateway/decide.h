/*
 * decide.h: the disclosure decision, one pure function. Given who asks, the
 * recipient agency's profile, the family's consents for that agency, the
 * request and the time, it says whether anything may leave, which fields,
 * on which lawful basis, and whether the family is told now or the
 * notification is held. It does no I/O, allocates nothing and keeps no
 * state: every rule is a unit test (tests/unit/test_decide.c).
 *
 * The inputs are plain views, not the loader's and store's own structs,
 * because profiles.h pulls in jansson.h (and stdio.h) and store.h pulls in
 * sqlite3.h: decide.c includes no I/O header, directly or otherwise. The
 * caller (disclosure_api.c) fills the views from struct agency and struct
 * consent_row; they only borrow strings, nothing is copied or owned.
 *
 * Rules, in the order they are applied (the first that fails refuses):
 *   role_not_permitted	the principal is neither staff nor a safeguarding lead
 *   agency_inactive	the agency is unknown (NULL) or not active
 *   agreement_expired	now is past the data-sharing agreement's expiry
 *   agreement_not_in_force now is before the day the agreement was signed
 *   privacy_notice_expired now is past the agency's privacy-notice review date
 *   purpose_not_registered the purpose is none of the agency's interests
 *   formal_request_required the purpose is answered only through a formal
 *			request (its interest's formal_request: police and
 *			court purposes by default, profiles.c): trustees'
 *			quorum and a witness statement, policy s3.2; never a
 *			disclosure, with consent or an override
 *   with an override:
 *     role_not_permitted  the principal is not a safeguarding lead
 *     override_not_permitted the purpose is not one that may be shared
 *			   without consent (its interest's override_permitted
 *			   is not set: policy Appendix 1 s2, s3.4, sharing
 *			   without consent is for safeguarding concerns, with
 *			   the relevant authorities)
 *     override_incomplete basis outside the enumeration; for
 *			   safeguarding_sch1_p18 no (or an unknown) reason why
 *			   consent was not sought; no reason; review date not
 *			   after now, or more than max_hold_days UTC days
 *			   after today (decide_review_date)
 *     hold_with_override a notification hold given as well: the override
 *			   already holds the notification (never reached
 *			   through HTTP: disclosure_api.c answers 400 first)
 *   without one:
 *     with a notification hold (consent-based sharing, the family not told
 *     because telling would put someone at risk: policy s3.4, Appendix 1 s2):
 *       role_not_permitted the principal is not a safeguarding lead
 *       override_incomplete no reason; review date as an override's
 *			   (field "/notification_hold/reason" or
 *			   "/notification_hold/review_by")
 *     no_consent	   no consent for this agency and purpose that is
 *			   granted (granted <= now), not withdrawn and not
 *			   expired (now <= expires, when it expires). A hold
 *			   never stands in for consent.
 *   nothing_to_disclose	none of the request's fields is in the purpose's
 *			field list
 *   special_category_condition_missing a special-category field would
 *			leave and no Art 9 condition applies
 *   lawful_basis_missing	the interest names no usable Art 6 basis (a
 *			validated profile never does this: fail closed)
 *
 * Times are microseconds since the epoch (UTC). A limit is the last instant
 * at which the thing still holds, as profiles.c and consent_api.c store a
 * date ("valid through that day": its last microsecond): the agreement is in
 * date while now <= dsa_expires_us, the notice while now <=
 * notice_review_due_us, a consent while now <= its expires_us. A limit of 0
 * (or less) has always passed: an agreement without an end date is not in
 * date (fail closed). A review date must be strictly after now, and its UTC
 * day at most max_hold_days after today's UTC day.
 */
#ifndef DECIDE_H
#define DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "principal.h"

/* One registered legitimate interest of an agency (struct interest). */
struct decide_interest {
	const char		*purpose;
	const char		*lawful_basis;		/* Art 6 basis */
	int			 override_permitted;	/* 0: only with consent */
	int			 formal_request;	/* 1: only through POST /v1/requests */
	const char		*special_category_condition; /* Art 9, or NULL */
	const char *const	*fields;
	size_t			 nfields;
};

/* What the decision needs of an agency profile (struct agency). */
struct decide_agency {
	const char			*id;
	int				 active;
	int64_t				 dsa_signed_us;	/* 0: no start */
	int64_t				 dsa_expires_us;
	int64_t				 notice_review_due_us;
	const struct decide_interest	*interests;
	size_t				 ninterests;
};

/* One consent of the family (struct consent_row). */
struct decide_consent {
	const char	*id;		/* the consent's id, named by the decision */
	const char	*agency_id;
	const char	*purpose;
	int64_t		 granted_us;
	int64_t		 expires_us;	/* 0: no expiry */
	int64_t		 withdrawn_us;	/* 0: not withdrawn */
};

/* A safeguarding override as given in the request (strings may be NULL). */
struct decide_override {
	const char	*basis;		/* legal_obligation, vital_interests,
					   safeguarding_sch1_p18, crime_sch2_p2 */
	const char	*consent_not_sought; /* for safeguarding_sch1_p18 */
	const char	*reason;	/* free text: only its presence is looked at */
	int64_t		 review_by_us;	/* 0 when missing or unparseable */
};

/* A notification hold on a disclosure made on consent (strings may be
 * NULL): the family is not told, for now, because telling them would put
 * someone at risk (policy s3.4). It changes nothing else of the decision. */
struct decide_hold {
	const char	*reason;	/* free text: only its presence is looked at */
	int64_t		 review_by_us;	/* 0 when missing or unparseable */
};

struct decide_request {
	const char			*agency_id;
	const char			*purpose;
	const char *const		*fields;	/* names of the data fields */
	size_t				 nfields;
	const struct decide_override	*override;	/* NULL: none */
	/* The furthest review date an override may set: today (UTC) plus
	 * this many days (gatewayd --max-hold-days). 0 allows none. */
	unsigned			 max_hold_days;
	/* NULL: none. With an override, refused (hold_with_override). */
	const struct decide_hold	*hold;
};

enum notify { NOTIFY_NONE = 0, NOTIFY_QUEUED, NOTIFY_HELD };

struct decision {
	int		 allowed;
	const char	*rule;		/* "allowed" or the refusing rule code */
	const char	*message;	/* a sentence without personal data */
	/* The request field a refusal is about, as a JSON Pointer (e.g.
	 * "/override/review_by" for override_incomplete), or NULL. */
	const char	*field;
	const char	*article6;	/* set when allowed */
	const char	*article9;	/* set when a special-category field leaves */
	const struct decide_interest *interest; /* the purpose's, or NULL */
	/* Field names (pointers into the request), in request order. The
	 * arrays are the caller's, each with room for request->nfields. On a
	 * refusal after the purpose is known they still say what would have
	 * been disclosed and withheld (kept with the refusal record). */
	const char	**disclosed;
	size_t		 ndisclosed;
	const char	**withheld;
	size_t		 nwithheld;
	enum notify	 notify;
	int64_t		 review_by_us;	/* NOTIFY_HELD: the hold's review date
					   (the override's or the notification
					   hold's) */
	/* Allowed without an override: the id of the consent relied on, the
	 * first live one in the order given (the store gives the one that
	 * lasts longest first, then the newest); NULL otherwise. */
	const char	*consent_id;
};

/* 1 when consent c lets agency_id have data for purpose at now_us: granted
 * (granted <= now), not withdrawn, not expired (now <= expires); else 0. */
int	decide_consent_live(const struct decide_consent *c, const char *agency_id,
	    const char *purpose, int64_t now_us);
/* 1 when any of the n consents is live (decide_consent_live) for agency_id
 * and purpose at now_us: a consent-based delivery may still be served or
 * pushed; 0 when none is (it is stopped: withdrawn or expired). */
int	decide_consents_cover(const struct decide_consent *c, size_t n,
	    const char *agency_id, const char *purpose, int64_t now_us);

/*
 * Whether the agency is in standing to receive anything now: active, its
 * data-sharing agreement in force and its privacy notice reviewed in time.
 * NULL when it is; otherwise the refusal code (agency_inactive,
 * agreement_expired, agreement_not_in_force, privacy_notice_expired, the
 * first that applies) with *message its sentence. decide() applies it to
 * new disclosures; http.c to everything an agency asks for (its inbox,
 * reads); delivery.c to every push before it is sent, so what was
 * disclosed while the agency stood is not sent once it no longer does.
 */
const char	*decide_agency_standing(const struct decide_agency *agency,
		    int64_t now_us, const char **message);

/*
 * Whether a disclosure decided earlier is still inside the agency's
 * registered legitimate interest as its profile stands now (profiles
 * reload): in is the agency's current interest for the disclosure's
 * purpose (NULL: it has none any more), fields the disclosure's signed
 * disclosed fields. NULL: inside; else the code, "purpose_not_registered"
 * or "field_not_in_interest" (a disclosed field the interest no longer
 * lists). delivery.c applies it to every push before it is sent, to the
 * inbox and its acknowledgement, and disclosure_api.c to the agency's read
 * of a disclosure not yet delivered: minimum necessary holds at send time.
 */
const char	*decide_interest_holds(const struct decide_interest *in,
		    const char *const *fields, size_t nfields);

/* Decides one disclosure. agency is NULL when agency_id names no profile.
 * consents may be NULL when nconsents is 0. special_fields lists the field
 * catalogue's special-category names (UK GDPR Art 9: health ...).
 * disclosed_buf and withheld_buf each hold req->nfields pointers (may be
 * NULL when nfields is 0). Fills *out completely and returns out->allowed
 * (1 allowed, 0 refused); never fails otherwise. */
int	decide(const struct principal *who, const struct decide_agency *agency,
	    const struct decide_consent *consents, size_t nconsents,
	    const struct decide_request *req,
	    const char *const *special_fields, size_t nspecial,
	    int64_t now_us, const char **disclosed_buf, const char **withheld_buf,
	    struct decision *out);

/* A hold's review date (review_by_us: an instant, normally the first of its
 * UTC day) against now: REVIEW_DATE_OK when it is after now and its UTC day
 * is at most max_hold_days after today's (max_hold_days 0 allows none: fail
 * closed). Used for an override's review_by and for moving a hold's review
 * date (POST /v1/overrides/{id}/review). Pure. */
enum review_date {
	REVIEW_DATE_OK = 0,
	REVIEW_DATE_NOT_FUTURE,		/* missing, past, or not after now */
	REVIEW_DATE_TOO_FAR		/* beyond today + max_hold_days */
};
enum review_date	 decide_review_date(int64_t review_by_us, int64_t now_us,
			    unsigned max_hold_days);
/* The first instant of the last UTC day a review date may fall on. */
int64_t			 decide_review_date_latest(int64_t now_us, unsigned max_hold_days);
/* A static sentence saying what is wrong; NULL for REVIEW_DATE_OK. */
const char		*decide_review_date_message(enum review_date);

/* Whether s is non-NULL and holds a character that shows: one other than
 * a control character, Unicode white space (U+00A0, U+3000, ... as well as
 * ASCII's) or an invisible format character (U+200B, U+2060, U+FEFF, the
 * soft hyphen, ...). UTF-8; a byte that starts no well-formed sequence is
 * read as ISO-8859-1. The one test for every required free text: a
 * disclosure's reason, an override's, X-Access-Reason, a hold's lift or
 * review, consent evidence, a request's reasons, a breach's reasons. */
int	decide_has_text(const char *s);

/* Whether s is one of the enumerations of DESIGN.md. */
int	decide_is_article6(const char *s);
int	decide_is_article9(const char *s);
int	decide_is_override_basis(const char *s);
int	decide_is_consent_not_sought(const char *s);
/* "queued", "held" or "none". */
const char	*notify_name(enum notify);

#endif
