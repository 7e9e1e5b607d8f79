/*
 * recipient_notice.h: telling the recipients (UK GDPR Art 19). When the
 * family's records are erased on request (Art 17), or a consent an agency
 * received their data on is withdrawn and no other consent covers that
 * agency and purpose, every agency that may hold something of theirs is
 * told, in the same writer job as the erasure or the withdrawal: one
 * notice per agency, naming the disclosure ids it may hold (and, for an
 * erasure, the police or court requests whose witness statement it was
 * issued) and never a personal value, recorded in recipient_notices (migration 070) with a
 * "recipient.notified" ledger entry. A withdrawal's notice leaves out
 * the ids the family's earlier notices (of either kind) named to that
 * agency, each such notice only as its ledger entry signed it, and is not
 * made when none is left; an erasure's names all. The agency collects its notices with
 * GET /v1/notices and acknowledges each (POST /v1/notices/{id}/ack, a
 * "recipient.notice_acknowledged" entry): the charity's proof that it told
 * the recipient. A push agency whose profile names delivery.notices_url is
 * also sent each one (delivery.c, the body recipient_notice_json's): its
 * 2xx is recorded as that acknowledgement, by recipient_notice_ack as the
 * POST's; until then the notice stays in GET /v1/notices. What the agency
 * then does is its own duty: erase, or keep on a lawful basis of its own.
 *
 * Not told: expiry (the charity's own retention, not the family's act),
 * and anything the agency never had (a delivery stopped before it was
 * served, pushed or read).
 *
 * Who is told of a record is what its row says only once the row is checked
 * against its ledger entries (disclosure_signed.h, request_signed.h): a row
 * whose agency, family or anything else was changed by someone who can
 * write the database file but holds no key is told to no agency (not to the
 * one it names now, which may be another's) and is logged by its id,
 * record_integrity_failed. A family's records are found through their rows
 * and through the family's signed ledger entries, so one moved to another
 * family is logged too rather than left out unseen.
 */
#ifndef RECIPIENT_NOTICE_H
#define RECIPIENT_NOTICE_H

#include <stdint.h>

#include <jansson.h>

struct disclosure_row;
struct gateway;
struct notice_row;
struct principal;
struct ledger;
struct store_conn;

enum notice_kind {
	NOTICE_FAMILY_ERASED,		/* "family_erased" */
	NOTICE_CONSENT_WITHDRAWN	/* "consent_withdrawn" */
};

const char	*notice_kind_name(enum notice_kind);
/* What the agency is asked to do, in a sentence, for a kind's name; NULL
 * for a name that is not one. */
const char	*notice_kind_advice(const char *kind);

/* Whether disclosure d, as its ledger entry signed it (disclosure_signed.h:
 * the caller has checked it), is one a notice of kind about pseudonym's
 * family names to the agency d names: the family's, allowed, and for
 * NOTICE_CONSENT_WITHDRAWN made to agency_id for purpose on a consent. 1
 * yes, 0 no. Whether the agency may hold it is the store's
 * (store_notice_holdings). */
int	recipient_notice_names(enum notice_kind, const char *pseudonym, const char *agency_id,
	    const char *purpose, const struct disclosure_row *d);

/* Makes the notices of one act, inside its writer job (on the writer
 * thread): for NOTICE_FAMILY_ERASED every agency that may hold any of the
 * family's disclosures; for NOTICE_CONSENT_WITHDRAWN the consent's agency,
 * for the disclosures made for its purpose on a consent (consent_id,
 * agency_id and purpose are the consent's; NULL for an erasure), less
 * what earlier notices to it named. who is the actor of the act. The
 * number of notices made (0: nothing new to tell), or -1. */
int	recipient_notices_make(struct gateway *, struct store_conn *, enum notice_kind,
	    const char *pseudonym, const char *consent_id, const char *agency_id,
	    const char *purpose, const struct principal *who, int64_t now_us);

/* The record digest a notice's ledger entries carry (store_digest.c's
 * encoding, tag "recipient_notice v1"): its id, agency, kind, consent id
 * (NULL or "": none), creation time, disclosure ids and request ids. 0 or
 * -1. */
/* Whether notice row n is the one its "recipient.notified" ledger entry
 * signed (at n->ledger_seq, for its family, with the digest of its id,
 * agency, kind, consent, time and ids). Every notice the agency is given
 * (GET /v1/notices, a push) is checked here first: a row put in the
 * database behind the gateway's back, or re-addressed to another agency,
 * is not given to anyone. 1 yes; 0 no (logged: the notice id and the seq);
 * 2 its entry is committed but not in the tree yet (try again); -1 error. */
int	recipient_notice_signed(struct ledger *, struct store_conn *c,
	    const struct notice_row *n);

/* The notice as the agency is given it, by GET /v1/notices and by push:
 * notice_id, kind, created_at, disclosure_ids, request_ids, consent_id,
 * what_to_do, ledger_seq (ids, a kind and times; never the pseudonym).
 * NULL when its ids do not parse or on no memory. */
json_t	*recipient_notice_json(const struct notice_row *);

/* Records the acknowledgement of notice id by agency_id, inside a writer
 * job: a "recipient.notice_acknowledged" entry ("agency:ID" as actor, role
 * agency; reason the notice's kind, or via, when not NULL, after it:
 * "KIND;VIA") and the row marked acked at now_us by that entry. *seq and
 * leaf (either may be NULL) receive the entry's. 0 acked, 1 no such notice
 * for that agency, 2 acknowledged already, 3 the row is not as its ledger
 * entry signed it (recipient_notice_signed: logged), -1 error. */
int	recipient_notice_ack(struct gateway *, struct store_conn *, const char *id,
	    const char *agency_id, const char *via, int64_t now_us, int64_t *seq,
	    unsigned char leaf[32]);

int	recipient_notice_digest(const char *id, const char *agency_id, const char *kind,
	    const char *consent_id, int64_t created_us, const char *disclosure_ids,
	    const char *request_ids, unsigned char out[32]);

#endif
