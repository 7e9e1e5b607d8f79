/*
 * delivery.h: getting each allowed disclosure to its agency, exactly as
 * minimised, at least once, across outages and restarts.
 *
 * The disclosure's writer job queues a delivery row (delivery_enqueue) in
 * the same transaction that records it. For a push agency the delivery
 * worker (one thread, libcurl multi: many transfers in flight) POSTs the
 * body to the agency's endpoint over mutual TLS and retries per retry.h;
 * for a pull agency the row is its inbox item (GET /v1/inbox,
 * delivery_api.c). Nothing is marked delivered before the agency
 * acknowledged it (a 2xx, or an ack), so a crash at any point means the
 * item is sent again after the restart with the same Idempotency-Key.
 *
 * The body (delivery_body) is the same for push and pull and for every
 * retry: the stored disclosure's id, agency, purpose, lawful basis, the
 * disclosed field names and values, and its creation time. It is unsealed
 * only to be sent, never logged, and cleansed after.
 *
 * Push requests carry:
 *   Content-Type: application/json
 *   Idempotency-Key: <disclosure id>   (the same on every retry)
 *   X-Gateway-Signature: ed25519=<base64 of a detached Ed25519 signature>
 *   X-Gateway-Key-Id: sha256:<hex SHA-256 of the key's DER SPKI>
 * The signature is made with the ledger signing key (the public key is
 * GET /v1/ledger/key, DATA_DIR/ledger.pub) over the message
 *   "sharing-gateway/delivery/v1\n" || Idempotency-Key || "\n" || body
 * so it binds the body to its id and cannot pass as any other signature.
 *
 * The same worker pushes each notice to recipients (recipient_notice.h) to
 * a push agency whose profile names delivery.notices_url: the body is the
 * notice as GET /v1/notices gives it, the Idempotency-Key its id, signed
 * over NOTICE_SIG_CONTEXT instead; its state is notice_pushes' (migration
 * 072), a 2xx the agency's acknowledgement (recipient_notice_ack). A push
 * given up leaves the notice to be collected.
 */
#ifndef DELIVERY_H
#define DELIVERY_H

#include <stddef.h>
#include <stdint.h>

#include "retry.h"

struct gateway;
struct ledger;
struct profiles;
struct signer;
struct store_conn;
struct delivery;
struct disclosure_row;

#define DELIVERY_SIG_CONTEXT	"sharing-gateway/delivery/v1\n"
/* A notice's push (recipient_notice.h) is signed the same way over
 * NOTICE_SIG_CONTEXT || notice id || "\n" || body: never taken for a
 * delivery's. */
#define NOTICE_SIG_CONTEXT	"sharing-gateway/notice/v1\n"

struct delivery_config {
	const char		*client_cert;	/* PEM file: the gateway's client certificate */
	const char		*client_key;	/* PEM file: its key */
	struct retry_policy	 policy;
	unsigned		 connect_timeout_ms;
	unsigned		 timeout_ms;	/* whole attempt */
	unsigned		 max_inflight;	/* transfers at once */
	unsigned		 poll_ms;	/* look at the outbox at least this often:
						   picks up gatewayctl re-queues */
};

/* Fills c with the defaults: retry_policy_defaults, connect 10 s, total
 * 30 s, 32 in flight, polling every second. Client files are left NULL. */
void		 delivery_config_defaults(struct delivery_config *c);

/* The mode ("push" or "pull") of a delivery to agency_id queued now, from
 * current, the profiles in force when it commits (not those the decision
 * read: a SIGHUP may have replaced them, and delivery_follow_modes moved
 * what waited, in between). An agency no longer in them: "push", so the
 * worker dead-letters it agency_unknown at once, as any push to a removed
 * agency, rather than leaving it in an inbox nobody can read. Pure. */
const char	*delivery_mode_at_commit(const struct profiles *current,
		    const char *agency_id);

/* Queues the delivery of allowed disclosure id to agency_id (push or pull
 * per delivery_mode_at_commit over current), inside the writer job
 * recording the disclosure; with awaits_notice it is neither sent nor in
 * the inbox until the family's notification has been sent (or given up
 * on): the notifier releases it. 0 or -1. */
int		 delivery_enqueue(struct store_conn *, const char *disclosure_id,
		    const struct profiles *current, const char *agency_id,
		    const char *pseudonym, int64_t now_us, int awaits_notice);

/* Builds the body of disclosure id from the stored row, unsealing its
 * values with the family key (on connection c), once the row is found to
 * be what its ledger entry signed (disclosure_signed) and the agency the
 * delivery goes to (agency_id, its deliveries row's) the disclosure's
 * signed one. *body is malloc'd, the caller frees it with
 * delivery_body_free(), which wipes it whole (wipe.h); sha receives the
 * receipt the gateway keeps of it (vault_receipt_mac: keyed by the family's
 * own key, never the body's plain SHA-256, which would confirm a guessed
 * value). 0 ok; 1 not found or not allowed; 2 the family's key was
 * destroyed (erased: nothing left to deliver); 3 the disclosure row or the
 * delivery's agency is not what the ledger signed (logged;
 * DELIVERY_RECORD_INTEGRITY: nothing is built); 4 the agency's interest as
 * its profile stands now no longer covers it (delivery_interest_lapsed;
 * *lapsed, when lapsed is not NULL, says which code); -1 error. */
int		 delivery_body(struct gateway *, struct store_conn *c, const char *disclosure_id,
		    const char *agency_id, char **body, size_t *len, unsigned char sha[32],
		    const char **lapsed);
/* Whether a signed disclosure row is still inside its agency's registered
 * interest as the current profiles have it (decide_interest_holds: the
 * purpose still registered, every disclosed field still listed). 0 yes; 1
 * no, *code "purpose_not_registered" or "field_not_in_interest" (logged,
 * ids and code only); -1 error (the row's field list does not parse). */
int		 delivery_interest_lapsed(struct gateway *, const struct disclosure_row *row,
		    const char **code);
/* Frees a delivery_body() body, wiped to the end of its block (len is
 * its length, kept for the callers; the wipe does not stop there). */
void		 delivery_body_free(char *body, size_t len);

/*
 * A consent's end. A delivery of a disclosure made on a consent (never one
 * made under a safeguarding override) is served (inbox, the agency's GET)
 * or pushed only while a live consent (decide_consent_live) covers its
 * family, agency and purpose. A withdrawal stops the rest at once
 * (consent_api.c); an expiry has no request of its own, so what it leaves
 * uncovered is stopped when next looked at: the delivery worker's sweep
 * every poll (the consents whose expiry fell since its last look; every
 * candidate at start), and each item of an agency's inbox page, by
 * delivery_stop_lapsed_one().
 */
/* 1 when a live consent covers pseudonym's data for agency_id and purpose
 * at now_us, 0 when none does, -1 error (or a consent entry not in the
 * ledger's tree yet: consent_rows_signed). Only consents as their signed
 * ledger entries say count (consent_rows_signed, its cache keyed by the
 * ledger's consent epoch): a row copied in, or an expiry or withdrawal
 * edited, with sqlite3 covers nothing. Every caller asks so: a withdrawal
 * (consent_api.c), the worker's sweep and its checks before a push, an
 * inbox page, an ack and an agency's read of a disclosure. */
int		 delivery_consent_covers(struct ledger *, struct store_conn *,
		    const char *pseudonym, const char *agency_id, const char *purpose,
		    int64_t now_us);
/* 1 when disclosure_id's delivery (not yet acknowledged) relied on a
 * consent and none covers it any more at now_us (delivery_consent_covers,
 * whatever the row of the consent it relied on says): not to be served or
 * pushed; 0 when it may be (a live consent covers it, it relied on none,
 * or it is not pending), -1 error. Any connection. */
int		 delivery_consent_lapsed(struct ledger *, struct store_conn *,
		    const char *disclosure_id, int64_t now_us);
/* Inside a writer job: when disclosure_id's delivery is one no live
 * consent covers any more at now_us (delivery_consent_lapsed), every
 * delivery not yet acknowledged (pending or a dead letter) of the family's
 * disclosures made on a consent to that agency for that purpose is stopped
 * as a withdrawal stops it (store_deliveries_stop_for_consent) with reason
 * DELIVERY_CONSENT_EXPIRED and a "delivery.stopped" ledger entry by
 * "system". Returns how many (0: it was not lapsed), or -1. */
int		 delivery_stop_lapsed_one(struct gateway *, struct store_conn *,
		    const char *disclosure_id, int64_t now_us);

/* Maps a libcurl result code to the retry fault classes (retry.h). */
enum retry_fault delivery_fault_of_curl(int curl_code);

/* What delivery_start() refuses in cfg (a client certificate or key that
 * cannot be read), with nothing started: for gatewayd --check. A push
 * agency's server CA file that cannot be read is refused when its profile
 * loads (profiles.c). 0, or -1 with err. */
int		 delivery_check(const struct delivery_config *cfg, char *err, size_t errlen);
/* Starts the worker over gw's store, writer, vault, profiles, ledger and
 * metrics; signs with signer. Checks that the client certificate and key
 * can be read (delivery_check; the push agencies' server CA files were,
 * when their profiles loaded). NULL with a message in err on failure. */
struct delivery	*delivery_start(struct gateway *gw, struct signer *signer,
		    const struct delivery_config *cfg, char *err, size_t errlen);
/* Tells the worker new work is queued (thread-safe; NULL is a no-op). */
void		 delivery_kick(struct delivery *);
/* After the profiles were replaced (SIGHUP): waiting deliveries take their
 * agency's delivery mode now, as at start, and what waited in the inbox of
 * an agency they no longer have becomes a dead letter agency_unknown
 * (store_deliveries_agency_gone: ledgered delivery.dead and
 * alert.delivery_dead, an ALERT line), in one writer job; the worker looks
 * again. 0,
 * or -1: left as they were, and the worker tries again at its next look. A
 * push the worker finds for an agency now pull (the job not yet run, or
 * refused) is moved the same way, never dead-lettered agency_not_push. */
int		 delivery_follow_modes(struct delivery *);
/* Stops the worker: what finished is recorded, transfers in flight are
 * abandoned (their rows stay pending and are sent again after the next
 * start), the thread is joined, everything freed. NULL is a no-op. */
void		 delivery_stop(struct delivery *);

#endif
