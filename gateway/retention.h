/*
 * retention.h: keeping less, for less long. Each legitimate interest of an
 * agency profile carries a retention period (struct interest retention_days);
 * a family's data key is destroyed (vault_destroy: crypto-erasure) once
 * every record of the family is past the retention of its interest, or at
 * once when the family's erasure is asked for, unless a legal hold applies.
 * The rows, their digests and the ledger stay, so the ledger still
 * verifies; the personal fields sealed under the key are gone for good.
 *
 * retention_rule.c: the verdict, pure.
 * retention.c: the sweep (daemon thread and gatewayctl) and erasure.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stddef.h>
#include <stdint.h>

#define RETENTION_DAY_US	(INT64_C(86400) * 1000000)
/* An anchor that never runs out: a live consent without an end date. */
#define RETENTION_FOREVER	INT64_MAX

/* What one family's retention is measured from: per record kind, agency
 * and purpose, the latest such instant (a disclosure: when it was made; a
 * consent: when it ended, RETENTION_FOREVER while live). A refused
 * disclosure shared nothing: it is one anchor of its own (refused set,
 * agency and purpose left empty), measured with the refusal period and
 * never with the interest it named, which may be a typo or a profile
 * since removed. Strings borrowed. */
struct retention_anchor {
	const char	*agency_id;
	const char	*purpose;
	int64_t		 anchor_us;
	int		 refused;	/* the latest refused disclosure(s) */
};

enum retention_verdict {
	RETENTION_KEEP = 0,	/* some record is still within its period */
	RETENTION_EXPIRED,	/* every record is past its period */
	RETENTION_UNKNOWN	/* a record's interest is not in any profile: kept */
};

/* Retention in days of agency_id's interest purpose, or -1 when the
 * profiles name no such interest. */
typedef int (*retention_days_fn)(void *arg, const char *agency_id, const char *purpose);

/* The periods a verdict measures with. */
struct retention_periods {
	retention_days_fn	 days;		/* records that shared or allow sharing */
	void			*arg;		/* days()'s */
	int			 refusal_days;	/* refused disclosures, whatever they named */
};

/*
 * A refused disclosure's default period (gatewayd and gatewayctl retention
 * run --refusal-retention-days, 1 to RETENTION_REFUSAL_DAYS_MAX). Nothing
 * left, so the refusal's ledger entry (rule, pseudonym, no personal data)
 * stays for good and the sealed part (the staff member's reason) is all
 * this period keeps. A year covers what it is kept for: a complaint or a
 * subject-access request about an attempt to share, and a yearly review
 * of refused attempts. It is a fixed number, not the shortest interest in
 * the profiles, so it moves neither with a profile added or removed nor
 * with the agency a refusal named, and it is shorter than every interest
 * in the shipped profiles (6 to 25 years): a refusal never keeps a family
 * longer than a disclosure would.
 */
#define RETENTION_REFUSAL_DAYS		365
#define RETENTION_REFUSAL_DAYS_MAX	36525	/* 100 years */

/*
 * The verdict for one family at as_of_us. A record is past retention when
 * anchor + days (whole days of 86400 s) is before as_of_us; the family is
 * expired when all its records are (a family with no records left is
 * expired). An allowed disclosure, consent or request whose interest is
 * unknown keeps the family: failing closed means keeping, never
 * destroying on a configuration mistake. A refused disclosure is never
 * unknown: it has the refusal period (refusal_days below 1 keeps it, as
 * unknown). *until_us (may be NULL) gets the instant after which the
 * verdict turns to expired, or RETENTION_FOREVER when it never will on its
 * own.
 */
enum retention_verdict retention_verdict(const struct retention_anchor *a, size_t n,
		    const struct retention_periods *p, int64_t as_of_us, int64_t *until_us);

/*
 * What stands between a family and the destruction of its data key, read
 * in the writer job that would destroy it (store_erasure_obstacles()).
 * A safeguarding obligation still being met: a family notification held
 * under a safeguarding override that no safeguarding lead has lifted (an
 * overdue one too: a hold past its review date is held until a lead lifts
 * or reviews it), or a delivery the agency has not acknowledged (pending,
 * push or pull, or a dead letter an operator can re-queue) of a
 * disclosure made under an override or on legal_obligation. Destroying
 * the key then would stop the referral reaching the agency (the push and
 * the inbox need the key) and end the hold without a lead's lift (Policy
 * Appendix 1 s2; UK GDPR Art 17(3)(b)).
 */
/* How long an undelivered override or legal-obligation disclosure (a pull
 * not collected, a dead letter not re-queued) keeps its family from being
 * erased or expired (store_erasure_obstacles). */
#define ERASURE_DELIVERY_GRACE_DAYS	30

struct erasure_obstacles {
	int	legal_hold;	/* store_legal_hold_active() */
	int64_t	held_notices;	/* notifications held under an override */
	int64_t	undelivered;	/* override/legal_obligation deliveries not acknowledged */
};

enum erasure_verdict {
	ERASURE_ALLOWED = 0,
	ERASURE_LEGAL_HOLD,	/* 409 legal_hold: which hold is not said */
	ERASURE_SAFEGUARDING	/* 409 safeguarding_in_progress */
};

/* Whether the family's key may be destroyed now (erasure on request and
 * expiry alike). Pure. A legal hold is named first: its reply says nothing
 * of what else there is. */
enum erasure_verdict erasure_verdict(const struct erasure_obstacles *);

/* The ledger's reason code of a refused verdict ("legal_hold",
 * "safeguarding_in_progress"), or NULL for ERASURE_ALLOWED. Pure. */
const char	*erasure_verdict_code(enum erasure_verdict);

struct gateway;
struct principal;

/* What a sweep did. */
struct retention_summary {
	int64_t	families;	/* with a live key, looked at */
	int64_t	expired;	/* keys destroyed now */
	int64_t	held;		/* past retention but under a legal hold or a
				 * safeguarding obligation (erasure_verdict) */
	int64_t	unknown;	/* kept: an interest no profile names */
	int64_t	unverified;	/* past retention by their rows, but kept: a
				 * police or court request about the family is
				 * not what its ledger entries signed, or could
				 * not be checked now (request_signed.h) */
	int64_t	idempotency_keys; /* Idempotency-Key rows older than their
				 * window (idempotency.h), deleted */
};

/* One sweep at as_of_us (normally now): destroys the key of every family
 * past retention and not held, each with a family_erasures mark and a
 * "family.expired" ledger entry (actor "system", no personal data), deletes
 * the Idempotency-Key rows older than IDEM_WINDOW_US by the clock (not
 * as_of_us: the window is the clients' retry time, not the records'), then a
 * "retention.sweep" entry with the counts, as_of and via ("daemon",
 * "gatewayctl"). 0 (summary filled), -1 error (what was committed stays
 * committed and recorded). */
int	retention_sweep(struct gateway *, int64_t as_of_us, const char *via,
	    struct retention_summary *);

/* Erasure on request (Art 17) of the family with this pseudonym, by who,
 * on ground, with the digest of the staff member's reason. 0 erased; 1 no
 * such family; 2 already erased or expired; 3 a legal hold applies; 4 a
 * safeguarding obligation is still being met (erasure_verdict); -1. A
 * refusal (3, 4) is a "family.erasure_refused" ledger entry (actor, the
 * pseudonym, the verdict's code; nothing else). A police or court request
 * about the family holds it (3) while its signed state is open, or when its
 * row is not what its ledger entries signed (request_signed.h).
 * Once erased, *purge_pending (may be NULL) is 1 when the write-ahead log
 * could not be truncated yet (a reader holds it), so the wrapped key's
 * bytes may still be there: the retention thread retries until it is, and
 * *recipients (may be NULL) the agencies told of it (recipient_notice.h). */
int	retention_erase(struct gateway *, const char *pseudonym, const struct principal *who,
	    const char *ground, const unsigned char reason_digest[32], int64_t *ledger_seq,
	    int *purge_pending, int *recipients);

/* Consents recorded without an expiry (by a gateway from before consents
 * had a longest life) are given one, granted + cfg.consent_max_days, each
 * with a "consent.limited" ledger entry (actor system). Every sweep does it
 * first; gatewayd also does it at start, before serving, so that no such
 * consent authorises a disclosure past its longest life in between. 0 or -1. */
int	retention_limit_consents(struct gateway *);

/* At start, before serving: every erasure in the journal at path
 * (erasure_journal.h) whose family's key this database still holds (a
 * copy restored from before the erasure) is made again: the key destroyed,
 * a family_erasures mark and a "family.erased" ledger entry with the
 * journal's ground, actor "system:erasure_journal". Legal holds do not stop
 * it: the erasure was made, lawfully, after them. Likewise every consent
 * withdrawal in it whose consent this database holds live is made again,
 * at its original time, as the live withdrawal does (consent_api.h
 * consent_withdraw_in: "consent.withdrawn" and a "delivery.stopped" for
 * each delivery it stops, actor "system:erasure_journal"); one of a consent
 * the copy does not hold was recorded after it, and needs nothing. Lines
 * are taken in the journal's order. *reapplied counts both.
 * 0, or -1 with err set (a journal that cannot be read or is damaged: the
 * gateway must not start and serve what was erased). */
int	retention_reapply_journal(struct gateway *, const char *path, long long *reapplied,
	    char *err, size_t errlen);

/* At start, after retention_reapply_journal() and before serving: every
 * erasure on request the database records (family_erasures, kind erased)
 * that the journal at path does not hold is appended to it, fsync'd (an
 * erasure committed, then a crash or a failed append before its line was
 * written). The same for every consent the database records withdrawn.
 * *appended counts them; logged, with no pseudonym. 0, or -1 with err set
 * (the journal could not be read or appended to). */
int	retention_complete_journal(struct gateway *, const char *path, long long *appended,
	    char *err, size_t errlen);

/* For an erasure asked for again (retention_erase() returned 2): when the
 * family was erased on request (not expired), its erasure is appended to
 * the journal at path unless the journal holds it already. 0 the journal
 * holds it (*appended 1 when it did only now); 1 not an erasure on
 * request; -1 with err set. */
int	retention_journal_erasure(struct gateway *, const char *path, const char *pseudonym,
	    int *appended, char *err, size_t errlen);

/* For a withdrawal asked for again (409 already_withdrawn): the consent's
 * withdrawal is appended to the journal at path unless the journal holds
 * it already. 0 the journal holds it (*appended 1 when it did only now); 1
 * no such withdrawal; -1 with err set. */
int	retention_journal_withdrawal(struct gateway *, const char *path, const char *consent_id,
	    int *appended, char *err, size_t errlen);

/* Without the daemon's thread (gatewayctl): truncates the write-ahead log,
 * retrying with backoff for up to max_s seconds while a reader holds it.
 * 0 truncated; -1 still pending. */
int	retention_purge_wait(struct gateway *, unsigned max_s);

/* Registers the gauges (gateway_retention_unknown_families,
 * gateway_wal_purge_pending) and starts the daemon's retention thread: a
 * write-ahead log truncation at start-up, a sweep at start-up and then
 * every interval_s seconds (0: no sweeps), and the retries of a pending
 * truncation (with backoff, whether or not sweeps are on). 0 or -1. */
int	retention_start(struct gateway *, unsigned interval_s);
/* Stops the thread (waits for a sweep in progress). Before writer_stop(). */
void	retention_stop(struct gateway *);

#endif
