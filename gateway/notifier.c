/*
 * notifier.c: the family-notification worker (see notifier.h).
 *
 * One thread. It wakes when kicked (a notification was queued or a hold
 * lifted) or once a second, reads the queued notifications that are due
 * (state 'queued': a held one is never selected) in one short read, then
 * for each: opens the family id it must address (sealed under the family
 * key) and builds the message in its own short read, checks in another that
 * the family key still exists just before posting (no read snapshot is held
 * across HTTP posts, so an erasure committed meanwhile is seen, and the
 * writer's checkpoints are never held back by a slow receiver), and POSTs
 * one JSON document with libcurl. The outcome is recorded in a writer job:
 * sent (with a ledger entry), or a retry at the time retry.c picks, or failed
 * (a ledger entry too) when retry.c says the notification is dead (a
 * permanent error, or the attempt limit). An erased family (key destroyed)
 * is permanent: never posted, failed with reason family_erased, and a
 * delivery that waited for that notice is stopped, never released. Any other
 * failure to build the message (a busy database, ...) is transient and
 * retried like a network fault. Police and court requests'
 * notifications (request_notifications, store_requests.c) take the same
 * path: the family is told which agency, under which legal basis, which
 * fields were asked, when it was approved. A disclosure whose delivery a
 * consent withdrawal stopped before the agency acknowledged it is told as
 * such ("delivery": stopped, and whether it may have reached the agency
 * first), not only as shared. Idempotency-Key is the
 * disclosure (or request) id, so a receiver can drop the duplicate a crash
 * between send and record might cause. Over https the webhook is mutual
 * TLS: the gateway's client certificate (the one deliveries present), the
 * receiver's certificate checked against --notify-ca when given (the
 * system CAs otherwise: a warning at start unless --notify-pin is given),
 * its key against --notify-pin when given (spki_pin.h), TLS 1.2 or later, no
 * proxy, no redirect. A webhook whose key is not one of --notify-pin
 * (pin_mismatch) is not retried, as an agency's server is not
 * (retry_classify_push): the flag or the webhook is wrong, not the network;
 * the notification is failed at once (reason pin_mismatch), said once at
 * error level with its id, counted in gateway_notify_pin_mismatches_total,
 * and re-queued by gatewayctl notifications retry once put right. Plain
 * http is accepted only to a loopback address (a test sink).
 * The family is told first: a disclosure's delivery waits while its
 * notification is queued (delivery_enqueue); recording the notification
 * sent, or given up on, releases it (store_delivery_release_after_notice)
 * and wakes the delivery worker. Given up for pin_mismatch, the delivery
 * keeps waiting for an operator's re-queue as long as the notice would
 * have been retried (notify_wait.h), and goes once that is over
 * (release_waits_over). Without a notify URL nothing waits.
 * The notification row is not signed: a notice goes only to the family its
 * disclosure (or request) names as signed, and its outcome is ledgered
 * under that family, never under the one the row names. A row addressed to
 * another family is given up at once (record_integrity_failed), its sealed
 * family id swapped with it or not (then it does not open under that
 * family's key: tampering, not a fault to retry for hours). The disclosure
 * (or request) is read and checked once per attempt, and what the row says
 * of it compared with that checked record. Nor is the row's state signed: a
 * notice its signed record says was held (an override, a notification hold,
 * do_not_notify) goes only once the family's ledger holds a safeguarding
 * lead's lift of it as signed (hold_signed.h); a held row set to queued
 * behind the gateway's back is given up as record_integrity_failed.
 * Nothing here logs a family id, a field value or a reason.
 * gateway_notifier_passes_total in /metrics counts the worker's passes, each
 * once its posts have their answers.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/prctl.h>

#include "disclosure_signed.h"
#include "gateway.h"
#include "hold_signed.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "monowait.h"
#include "delivery.h"
#include "notifier.h"
#include "notify_wait.h"
#include "operator_requeue.h"
#include "profiles.h"
#include "request_signed.h"
#include "retry.h"
#include "spki_pin.h"
#include "statement.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "witness.h"
#include "writer.h"

#define NOTIFY_BATCH		16
/* Retries (retry.h: capped exponential, full jitter): the first within a
 * second, never more than an hour apart, given up after 30 attempts, i.e.
 * after some 9 hours on average (18 at most) of a webhook that does not
 * answer: a family is not left untold because the messaging service was
 * down for an afternoon. (It was 10 attempts at most 5 minutes apart: a
 * half-hour outage, and those families were never told.) A permanent
 * refusal (4xx) still fails at once. */
static const struct retry_policy notify_policy = {
	.base_us = 1000000, .cap_us = 3600000000LL, .max_attempts = 30
};
#define NOTIFY_POLL_MS		1000

_Static_assert(sizeof(((struct config *)0)->notify_pins) / sizeof(const char *) == SPKI_PIN_MAX,
    "--notify-pin holds as many pins as a list may");

struct notifier {
	struct gateway	*gw;
	char		*url;		/* NULL: nothing is sent */
	int		 https;		/* else http to a loopback address */
	char		 client_cert[PATH_MAX];	/* tls_dir/gateway-client.crt */
	char		 client_key[PATH_MAX];
	const char	*ca_file;	/* --notify-ca, or NULL: system CAs */
	char		*pins;		/* --notify-pin joined (spki_pin.h), or NULL */
	pthread_t	 thread;
	int		 running;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 kicked;
	int		 stopping;
	CURL		*curl;
	int		 curl_global;	/* curl_global_init() succeeded */
	/* An outcome the store would not take (disk full, I/O error): kept
	 * and recorded again before anything more is sent, so a notification
	 * the webhook took is not sent again only because its receipt could
	 * not be written. The worker backs off meanwhile. */
	int		 has_unrecorded;
	struct notice	 unrecorded_x;	/* its id, pseudonym and created_us only */
	/* When (store_now_us) to look again for deliveries that kept waiting
	 * for a notice given up for pin_mismatch (notify_wait.h) and may go
	 * now: 0 at start (whatever an earlier run left), INT64_MAX when none
	 * waits. The worker's own. */
	int64_t		 wait_check_us;
	struct outcome_job_copy {
		struct retry_decision	 d;
		int			 status;
		int64_t			 now_us;
		char			 family[65];	/* outcome_job's family */
	}		 unrecorded;
};

static uint64_t
random64(void *arg)
{
	uint64_t	v = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)store_now_us() * 0x9e3779b97f4a7c15ULL;
	return v;
}

/* What went wrong below HTTP, in retry.h's terms. */
static enum retry_fault
fault_of(CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return RETRY_FAULT_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return RETRY_FAULT_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
		return RETRY_FAULT_TLS;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:	/* --notify-pin */
		return RETRY_FAULT_PIN;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
		return RETRY_FAULT_LOCAL;
	default:
		return RETRY_FAULT_CONNECT;
	}
}

/* ---- gauges ---- */

/* The four gauges, from one count per scrape (metrics_gauge_set). */
static int
gauges_read(void *arg, double *v)
{
	struct notifier			*n = arg;
	struct notification_counts	 k;
	struct store_conn		*c;
	int				 rc;

	if ((c = store_read_begin(n->gw->store)) == NULL)
		return -1;
	rc = store_notifications_count(c, store_now_us(), &k);
	store_read_end(n->gw->store, c);
	if (rc != 0)
		return -1;
	v[0] = (double)k.queued;
	v[1] = (double)k.held;
	v[2] = (double)k.overdue;
	v[3] = (double)k.failed;
	return 0;
}

/* Registered once the notifier is started (they read n). */
static struct notifier *
gauges(struct notifier *n)
{
	static const char *const names[] = { "gateway_notifications_queued",
	    "gateway_notifications_held", "gateway_notifications_overdue",
	    "gateway_notifications_failed" };
	static const char *const helps[] = { "Family notifications waiting to be sent.",
	    ("Family notifications held: under a safeguarding override or a notification "
	    "hold, or a police or court request's do_not_notify."),
	    "Held notifications past their review date.",
	    "Family notifications given up after the retry limit." };

	metrics_gauge_set(n->gw->metrics, 4, names, helps, gauges_read, n);
	return n;
}

/* ---- one notification ---- */

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

/* What the family is told: with whom, why, which fields, when. For a
 * police or court request, supplied is the fields its witness statement
 * carries (request_notice_signed()), which may be fewer than those asked. */
static char *
payload(struct gateway *gw, const struct notice *x, const char *family_id, json_t *supplied)
{
	const struct agency	*a = profiles_find(gw->profiles, x->agency_id);
	const struct interest	*in = agency_interest(a, x->purpose);
	json_t			*o, *fields;
	const char		*why = in != NULL ? in->description : NULL;
	char			*s, at[32], stopped[32];

	if (why == NULL)	/* a police or court request: its legal basis */
		why = statement_basis_text(x->purpose);
	if (supplied != NULL)
		fields = json_incref(supplied);
	else if ((fields = json_loads(x->fields_json, 0, NULL)) == NULL)
		return NULL;
	o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:s*, s:o, s:s}",
	    "notification_id", x->disclosure_id,
	    "family_id", family_id,
	    "shared_with", "agency_id", x->agency_id,
	    "name", a != NULL && a->name != NULL ? a->name : x->agency_id,
	    "purpose", x->purpose,
	    "purpose_description", why,
	    "fields", fields,
	    "shared_at", store_time_fmt(x->created_us, at));
	if (o == NULL)
		return NULL;
	/* A police or court request: what the trustees approved (the fields
	 * asked, supplied as a witness statement), said as such, not only in
	 * the words of a disclosure ("shared_at" is the approval); "fields" is
	 * what the statement carries of them, "fields_requested" all asked. */
	if (x->request && (json_object_set_new(o, "kind", json_string("formal_request")) != 0 ||
	    json_object_set_new(o, "approved_at", json_string(at)) != 0 ||
	    json_object_set_new(o, "fields_requested", json_loads(x->fields_json, 0, NULL)) != 0 ||
	    json_object_set_new(o, "supplied_as", json_string("witness_statement")) != 0)) {
		json_decref(o);
		return NULL;
	}
	/* The family withdrew the consent, or it expired with none other
	 * covering, before the agency acknowledged it: say the delivery was
	 * stopped and why, and whether it may have reached the agency before
	 * that, rather than only that it was shared; received when the agency
	 * confirmed a push written before the stop. */
	if (x->stopped_us != 0 && json_object_set_new(o, "delivery",
	    json_pack("{s:s, s:s, s:s, s:b, s:b}",
	    "state", "stopped", "reason", x->stop_reason[0] != '\0' ? x->stop_reason :
	    DELIVERY_CONSENT_WITHDRAWN,
	    "stopped_at", store_time_fmt(x->stopped_us, stopped),
	    "may_have_been_received", x->maybe_received || x->received,
	    "received", x->received)) != 0) {
		json_decref(o);
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* One attempt's result: the HTTP status (0 when none came), the transport
 * fault, and a Retry-After the receiver asked for. */
struct attempt {
	long		 status;
	enum retry_fault fault;
	int64_t		 retry_after_us;
};

/* Mutual TLS to the webhook: our client certificate, the receiver checked
 * against --notify-ca alone when given (no CA directory), else the system
 * CAs, and its key against --notify-pin when given. */
static CURLcode
tls_options(struct notifier *n)
{
	CURLcode	rc;

	if ((rc = curl_easy_setopt(n->curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSL_VERIFYPEER, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSL_VERIFYHOST, 2L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSLCERT, n->client_cert)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSLCERTTYPE, "PEM")) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSLKEY, n->client_key)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_SSLKEYTYPE, "PEM")) != CURLE_OK)
		return rc;
	if (n->ca_file != NULL &&
	    ((rc = curl_easy_setopt(n->curl, CURLOPT_CAINFO, n->ca_file)) != CURLE_OK ||
	    (rc = curl_easy_setopt(n->curl, CURLOPT_CAPATH, NULL)) != CURLE_OK))
		return rc;
	if (n->pins != NULL &&
	    (rc = curl_easy_setopt(n->curl, CURLOPT_PINNEDPUBLICKEY, n->pins)) != CURLE_OK)
		return rc;
	return CURLE_OK;
}

/* POSTs body to the webhook. Never fails otherwise: a local problem is a
 * fault like any other. */
static void
post(struct notifier *n, const char *id, const char *body, struct attempt *at)
{
	struct curl_slist	*h = NULL, *t;
	char			 idem[80];
	curl_off_t		 ra = 0;
	CURLcode		 rc = CURLE_OUT_OF_MEMORY;

	memset(at, 0, sizeof(*at));
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", id);
	if ((t = curl_slist_append(h, "Content-Type: application/json")) == NULL)
		goto out;
	h = t;
	if ((t = curl_slist_append(h, idem)) == NULL)
		goto out;
	h = t;
	curl_easy_reset(n->curl);
	if (curl_easy_setopt(n->curl, CURLOPT_URL, n->url) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_PROTOCOLS_STR, n->https ? "https" : "http") != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_PROXY, "") != CURLE_OK ||
	    (n->https && tls_options(n) != CURLE_OK) ||
	    curl_easy_setopt(n->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_TIMEOUT_MS, 10000L) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_HTTPHEADER, h) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(n->curl, CURLOPT_WRITEFUNCTION, discard) != CURLE_OK) {
		rc = CURLE_FAILED_INIT;
		goto out;
	}
	rc = curl_easy_perform(n->curl);
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(n->curl, CURLINFO_RESPONSE_CODE, &at->status);
		if (curl_easy_getinfo(n->curl, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			at->retry_after_us = (int64_t)(ra < 86400 ? ra : 86400) * 1000000;
	}
	/* The body (it names the family) must not linger in curl's handle. */
	(void)curl_easy_setopt(n->curl, CURLOPT_POSTFIELDS, NULL);
out:
	at->fault = fault_of(rc);
	curl_slist_free_all(h);
}

struct outcome_job {
	struct notifier		*n;
	const struct notice	*x;
	/* The family the disclosure or request names as signed, whose
	 * ledger trail the outcome joins; "" when that could not be
	 * established (then the entry names none: never the family the
	 * unsigned notification row names, which may be another's). */
	const char		*family;
	struct retry_decision	 d;
	int			 status;	/* HTTP status, or -1 without one */
	int64_t			 now_us;
	int			 released;	/* a delivery waiting for this notice went */
	int			 kept;		/* it keeps waiting (notify_wait.h) */
};

static int
release_all_job(struct store_conn *c, void *arg)
{
	int	n;

	(void)arg;
	if ((n = store_deliveries_release_all_awaiting(c, store_now_us())) < 0)
		return -1;
	if (n > 0)
		writer_log_warnx("%d deliveries that waited for the family's notice go "
		    "without it", n);
	return 0;
}

/* A police or court request's notification (request_notifications, ids
 * "req_..."), rather than a disclosure's. */
static int
is_request(const struct notice *x)
{
	return strncmp(x->disclosure_id, "req_", 4) == 0;
}

/* Given up because the family's records were erased: nobody was told. */
static int
erased_untold(const struct outcome_job *j)
{
	return j->d.verdict == RETRY_DEAD && j->d.reason != NULL &&
	    strcmp(j->d.reason, DELIVERY_FAMILY_ERASED) == 0;
}

static int
outcome_job(struct store_conn *c, void *arg)
{
	struct outcome_job	*j = arg;
	struct ledger_entry	 le;
	int			 rc, stopped = 0;

	if (is_request(j->x) && j->d.verdict == RETRY_DELIVERED)
		rc = store_request_notification_sent(c, j->x->disclosure_id, j->now_us, j->status);
	else if (is_request(j->x))
		rc = store_request_notification_retry(c, j->x->disclosure_id,
		    j->d.verdict == RETRY_SCHEDULED ? j->d.next_us : 0, j->status,
		    j->d.verdict == RETRY_DEAD);
	else if (j->d.verdict == RETRY_DELIVERED)
		rc = store_notification_sent(c, j->x->disclosure_id, j->now_us, j->status);
	else
		rc = store_notification_retry(c, j->x->disclosure_id,
		    j->d.verdict == RETRY_SCHEDULED ? j->d.next_us : 0, j->status,
		    j->d.verdict == RETRY_DEAD);
	if (rc != 0)
		return rc;	/* 1: no longer queued; nothing to record */
	if (j->d.verdict == RETRY_SCHEDULED)
		return 0;
	/* Told (or it cannot be done): the agency may have it now. Not when
	 * the family was erased before it could be told: then the delivery
	 * that waited for the notice is stopped for good (the erasure itself
	 * stops it, retention.c; this covers whatever was left waiting), and
	 * the agency never learns of the disclosure. Nor, for a while, when
	 * the webhook's key was not pinned: an operator may put that right
	 * and re-queue the notice, so the delivery keeps waiting as long as
	 * the notice would have been retried (notify_wait.h; the disclosure
	 * and its notification are made in one transaction, so its
	 * created_us is the notification's). */
	if (!is_request(j->x)) {
		if (erased_untold(j))
			stopped = store_delivery_stop_awaiting_notice(c, j->x->disclosure_id,
			    j->now_us);
		else if (notify_wait_decide(&notify_policy, j->d.reason, j->x->created_us,
		    j->now_us) == NOTIFY_WAIT_KEEP)
			j->kept = 1;
		else
			j->released = store_delivery_release_after_notice(c,
			    j->x->disclosure_id, j->now_us);
		if (stopped < 0 || j->released < 0)
			return -1;
	}
	memset(&le, 0, sizeof(le));
	le.actor = "system";
	le.actor_role = "system";
	le.action = j->d.verdict == RETRY_DELIVERED ? "notification.sent" : "notification.failed";
	le.family_pseudonym = j->family != NULL && j->family[0] != '\0' ? j->family : NULL;
	le.object_id = j->x->disclosure_id;
	le.reason = j->d.reason;
	if (ledger_append(j->n->gw->ledger, c, &le, NULL, NULL) != 0)
		return -1;
	if (stopped != 1)
		return 0;
	/* As the erasure writes for each delivery it stops (ids and a code). */
	writer_log_info("delivery %s stopped: the family's records went before its "
	    "notice", j->x->disclosure_id);
	le.action = "delivery.stopped";
	le.reason = DELIVERY_FAMILY_ERASED;
	return ledger_append(j->n->gw->ledger, c, &le, NULL, NULL);
}

/* A notification's disclosure (or request) row, read once on build()'s
 * connection and checked against its ledger entries (signed_record()):
 * what the family is addressed by and told of is taken from it. */
struct signed_record {
	struct disclosure_row	*d;	/* a disclosure's notice, else NULL */
	struct request_row	*rq;	/* a police or court request's, else NULL */
};

static void
signed_record_free(struct signed_record *r)
{
	store_disclosure_free(r->d);
	store_request_free(r->rq);
	r->d = NULL;
	r->rq = NULL;
}

/* The disclosure (or request) x names, read on c and checked against its
 * ledger entries (disclosure_signed.h, request_signed.h) into *r, and the
 * family it names into family[65]: the notification row's own family is
 * not signed, and decides who is told. 0 done (*r holds the checked row;
 * the caller frees it with signed_record_free); 2 the record is gone or not
 * as signed (logged, by the check); -1 a read failed. */
static int
signed_record(struct gateway *gw, struct store_conn *c, const struct notice *x,
    struct signed_record *r, char family[65])
{
	int	rc;

	family[0] = '\0';
	memset(r, 0, sizeof(*r));
	if (x->request) {
		if ((rc = store_request_get(c, x->disclosure_id, &r->rq)) != 0)
			return rc == 1 ? 2 : -1;
		if ((rc = request_signed(gw->ledger, c, r->rq, NULL, 0)) == 0)
			snprintf(family, 65, "%s", r->rq->family_pseudonym);
	} else {
		if ((rc = store_disclosure_get(c, x->disclosure_id, &r->d)) != 0)
			return rc == 1 ? 2 : -1;
		if ((rc = disclosure_signed(gw->ledger, c, r->d)) == 0)
			snprintf(family, 65, "%s", r->d->family_pseudonym);
	}
	if (rc != 0)
		signed_record_free(r);
	return rc == 1 ? 2 : rc;
}

/* Whether what x says of its police or court request (the agency, the
 * legal basis, the fields asked and the approval's time the family is told:
 * read from the rows when it fell due) is what rq, the request as its
 * ledger entries signed it (signed_record(): request_signed.h, decided_us
 * the time of the signed decision that reached the quorum), says; and then
 * the fields its witness statement carries that the family may be told of
 * (witness_told(): of those asked, each that a record of the period, up to
 * the quorum, holds, leaving out a disclosure whose notice is held); none
 * when it holds none (a family must not be told that what the charity never
 * held went to the police). *supplied NULL (the fields asked are said
 * instead) when the statement cannot be drawn up at all (too many records,
 * or records that differ from the ledger: the requester gets none then
 * either). 0 yes; 2 the request was never approved as signed (logged: the
 * family is not told a forged date); -1 a read failed, or the rows changed
 * since it fell due (retried). build() has checked that the notification
 * row names the request's family. */
static int
request_notice_signed(struct gateway *gw, struct store_conn *c, const struct notice *x,
    const struct request_row *rq, json_t **supplied)
{
	int	n;

	*supplied = NULL;
	if (rq->decided_us == 0) {
		/* A notice is made when the quorum is reached: none was. */
		log_errx("notification %s: its request was never approved as signed; not "
		    "sent", x->disclosure_id);
		return 2;
	}
	if (strcmp(rq->agency_id, x->agency_id) != 0 ||
	    strcmp(rq->legal_basis, x->purpose) != 0 || x->fields_json == NULL ||
	    strcmp(rq->fields, x->fields_json) != 0 || rq->decided_us != x->created_us) {
		log_errx("notification %s: its request changed since it fell due; checked "
		    "again at the next look", x->disclosure_id);
		return -1;
	}
	return witness_told(gw, c, rq, supplied, &n) == WITNESS_ERROR ? -1 : 0;
}

/* Whether what x says of its disclosure (the agency, the purpose, the
 * fields: read from the row when it fell due) is what d, the disclosure as
 * its ledger entry signed it (signed_record(): disclosure_signed.h), says.
 * 0 yes; -1 no (logged; retried). */
static int
notice_signed(const struct notice *x, const struct disclosure_row *d)
{
	char	agency[sizeof(x->agency_id)], purpose[sizeof(x->purpose)];

	/* As the notification's columns were read (store_notifications_due). */
	snprintf(agency, sizeof(agency), "%s", d->agency_id);
	snprintf(purpose, sizeof(purpose), "%s", d->purpose);
	if (strcmp(agency, x->agency_id) != 0 || strcmp(purpose, x->purpose) != 0 ||
	    x->fields_json == NULL || strcmp(d->disclosed_fields, x->fields_json) != 0) {
		log_errx("notification %s: its disclosure changed since it fell due; "
		    "checked again at the next look", x->disclosure_id);
		return -1;
	}
	return 0;
}

/* A notice its signed record says was held at its making (an override or a
 * notification hold on the disclosure, do_not_notify on the request) goes
 * only once a signed lift released it (hold_signed.h): the notification
 * row's state is not signed, and a row set to queued by whoever can write
 * the database must not tell the family. family is the signed family.
 * 0 it may go; 2 never lifted as signed (logged; given up as tampering,
 * as a record not as signed is); -1 try again (a read failed, or a lift
 * committed a moment ago is not in the tree yet). */
static int
hold_released(struct gateway *gw, struct store_conn *c, const struct notice *x,
    const struct signed_record *rec, const char *family)
{
	int	held, rc;

	held = x->request ? rec->rq->do_not_notify : hold_made_held(rec->d);
	if (!held)
		return 0;
	if ((rc = hold_released_signed(gw->ledger, c, family, x->disclosure_id,
	    x->request)) == 1)
		return 0;
	if (rc == 0) {
		log_errx("notification %s: held by its signed record and never lifted as "
		    "signed; not sent", x->disclosure_id);
		return 2;
	}
	return -1;
}

/* Whether fid (fidlen bytes, as opened) is the family id whose pseudonym
 * is pseudonym. */
static int
family_id_is(const struct vault *v, const char *fid, size_t fidlen, const char *pseudonym)
{
	char	p[65];

	if (fid == NULL || strlen(fid) != fidlen)
		return 0;
	vault_pseudonym(v, fid, p);
	return strcmp(p, pseudonym) == 0;
}

/* The message for x, built in its own short read: opens the family id,
 * reads the disclosure (or request) once and checks it against its ledger
 * entries, checks that the notification row names the family that record
 * names as signed and that the rest of what the row says is the record's,
 * and makes the payload. family[65] is set to the signed family whenever it
 * was established ("" otherwise), even when no message is made. 0 and
 * *body (malloc'd; the caller wipe_free()s it), 1 the family was erased
 * (its key destroyed), 2 the disclosure's or request's rows are not what
 * their ledger entries signed, or the row's sealed family id opens to
 * something not the family's id (family_id_is), or the notification row is addressed to
 * another family (whether or not its sealed id opens under that family's
 * key), or the record says its notice was held and no signed lift released
 * it (hold_released), -1 a failure that may pass (a busy database, a sealed id that does
 * not open for the family the record names ...). */
static int
build(struct notifier *n, const struct notice *x, char **body, char family[65])
{
	struct signed_record	 rec = { NULL, NULL };
	struct store_conn	*c;
	json_t			*supplied = NULL;
	char			*fid = NULL;
	size_t			 fidlen = 0;
	int			 rc, src;

	*body = NULL;
	family[0] = '\0';
	if ((c = store_read_begin(n->gw->store)) == NULL)
		return -1;
	rc = vault_unseal(n->gw->vault, c, x->family_pseudonym, x->family_id_ct,
	    x->family_id_ctlen, &fid, &fidlen);
	/* Whatever the unseal gave: the outcome is ledgered under the signed
	 * family, and a row pointed at another family is tampering, neither
	 * an erasure of this one's (that family erased) nor a fault that may
	 * pass (its sealed id, left as it was, does not open under that
	 * family's key). */
	src = signed_record(n->gw, c, x, &rec, family);
	if (src == 0 && strcmp(family, x->family_pseudonym) != 0) {
		/* Never tell one family of another's disclosure or request. It
		 * will not change by itself. */
		log_errx("notification %s: addressed to a family its %s does not name; not "
		    "sent", x->disclosure_id, x->request ? "request" : "disclosure");
		rc = 2;
	} else if (rc == 0 && src != 0)
		rc = src;
	else if (rc == 1 && src == -1)
		rc = -1;	/* the family is not known yet: retried */
	else if (rc == -1 && src == 2)
		rc = 2;		/* the record not as signed: no retry will tell it */
	if (rc == 0 && !family_id_is(n->gw->vault, fid, fidlen, family)) {
		/* A seal's associated data is only its family: another of the
		 * family's sealed values (a hold's reason, the data) put in the
		 * row opens as well. The id must be the family's own. */
		log_errx("notification %s: its sealed family id is not the family's (another "
		    "sealed value put in its place?); not sent", x->disclosure_id);
		rc = 2;
	}
	if (rc == 0 && x->request)
		rc = request_notice_signed(n->gw, c, x, rec.rq, &supplied);
	if (rc == 0 && !x->request)
		rc = notice_signed(x, rec.d);
	if (rc == 0)
		rc = hold_released(n->gw, c, x, &rec, family);
	store_read_end(n->gw->store, c);
	signed_record_free(&rec);
	if (rc != 0) {
		wipe_free(fid);
		json_decref(supplied);
		return rc == 1 || rc == 2 ? rc : -1;
	}
	*body = payload(n->gw, x, fid, supplied);
	json_decref(supplied);
	wipe_free(fid);
	return *body != NULL ? 0 : -1;
}

/* Whether the family's key still exists, in a fresh short read: 0 it does,
 * 1 it was destroyed (or never made), -1 unknown (try again later). */
static int
family_erased(struct notifier *n, const char *pseudonym)
{
	struct store_conn	*c;
	unsigned char		*wrapped = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((c = store_read_begin(n->gw->store)) == NULL)
		return -1;
	rc = store_family_key_get(c, pseudonym, &wrapped, &len);
	store_read_end(n->gw->store, c);
	if (rc == 0) {
		OPENSSL_cleanse(wrapped, len);
		free(wrapped);
		return 0;
	}
	return rc == -1 ? -1 : 1;
}

/* Whether d gives a notification up because the webhook presented a key
 * not one of --notify-pin (send_one sets that reason code). */
static int
pin_refused_outcome(const struct retry_decision *d)
{
	return d->verdict == RETRY_DEAD && d->reason != NULL &&
	    strcmp(d->reason, retry_fault_name(RETRY_FAULT_PIN)) == 0;
}

/* A notification given up, now recorded, because the webhook presented a
 * key not one of --notify-pin: counted, and said once at error level with
 * its id only (the disclosure's or the request's), since --notify-pin or
 * the webhook is to be put right, or it is someone else's server. */
static void
pin_refused(struct notifier *n, const char *id)
{
	metrics_add(n->gw->metrics, "gateway_notify_pin_mismatches_total",
	    "Family notifications whose webhook presented a key not one of --notify-pin: "
	    "nothing sent, given up at once.", NULL, 1);
	log_errx("ALERT notification %s failed (pin_mismatch): the webhook presented a key "
	    "not one of --notify-pin: nothing sent; put --notify-pin or the webhook right, "
	    "then gatewayctl notifications retry %s", id, id);
}

/* After an outcome was recorded: a delivery that keeps waiting for the
 * notice given up (notify_wait.h) is looked at again when its wait ends. */
static void
note_kept(struct notifier *n, const struct outcome_job *j)
{
	int64_t	until;

	if (!j->kept)
		return;
	until = notify_wait_until(&notify_policy, j->x->created_us);
	if (until < n->wait_check_us)
		n->wait_check_us = until;
}

/* 0, or -1 when the outcome could not be recorded (kept in n). */
static int
send_one(struct notifier *n, const struct notice *x)
{
	struct outcome_job	 j;
	struct attempt		 at;
	enum retry_class	 cls;
	char			*body = NULL, family[65];
	unsigned		 attempts = (unsigned)x->attempts + 1;
	int			 rc;

	memset(&j, 0, sizeof(j));
	memset(&at, 0, sizeof(at));
	j.n = n;
	j.x = x;
	j.family = family;
	if ((rc = build(n, x, &body, family)) == 0)
		rc = family_erased(n, x->family_pseudonym);
	if (rc == 0) {
		post(n, x->disclosure_id, body, &at);
		/* A key not one of --notify-pin: given up at once, as an
		 * agency's push is (retry.h). */
		cls = retry_classify_push(at.fault, at.status);
	} else if (rc == 1) {
		/* Erased: nobody is left to address, and never will be. */
		log_info("notification %s: the family's records were erased; not sent",
		    x->disclosure_id);
		at.fault = RETRY_FAULT_LOCAL;
		cls = RETRY_PERMANENT;
	} else if (rc == 2) {
		/* Tampered with (logged by disclosure_signed or
		 * request_signed, or build: a row addressed to another
		 * family, a held notice never lifted as signed): the family is not told what the row says now (a
		 * request's forged approval date among it), and no other
		 * family is told of it at all. Given up
		 * at once, as a dead push is; an operator re-queues it once
		 * the row is restored. */
		at.fault = RETRY_FAULT_LOCAL;
		cls = RETRY_PERMANENT;
	} else {
		log_errx("notification %s: cannot build the message now; will retry",
		    x->disclosure_id);
		at.fault = RETRY_FAULT_LOCAL;
		cls = RETRY_TRANSIENT;
	}
	wipe_free(body);	/* whole, not to its first NUL (wipe.h) */
	j.now_us = store_now_us();
	j.status = at.fault == RETRY_FAULT_NONE ? (int)at.status : -1;
	retry_decide(&notify_policy, attempts, cls, j.now_us, at.retry_after_us, random64, NULL,
	    &j.d);
	if (rc == 1)
		j.d.reason = DELIVERY_FAMILY_ERASED;
	else if (rc == 2)
		j.d.reason = DELIVERY_RECORD_INTEGRITY;
	else if (at.fault == RETRY_FAULT_PIN && j.d.verdict == RETRY_DEAD)
		j.d.reason = retry_fault_name(RETRY_FAULT_PIN);	/* pin_refused() says it */
	if (j.d.verdict != RETRY_DELIVERED && !pin_refused_outcome(&j.d))
		log_warnx("notification %s: attempt %u failed (%s %ld): %s", x->disclosure_id,
		    attempts, retry_fault_name(at.fault), at.status, j.d.reason);
	/* -1, or WRITER_LOST (its batch did not commit); 1 is not queued. */
	if ((rc = writer_submit(n->gw->writer, outcome_job, &j)) < 0) {
		log_errx("notification %s: outcome not recorded; kept, recorded again before "
		    "anything more is sent", x->disclosure_id);
		memset(&n->unrecorded_x, 0, sizeof(n->unrecorded_x));
		snprintf(n->unrecorded_x.disclosure_id, sizeof(n->unrecorded_x.disclosure_id),
		    "%s", x->disclosure_id);
		snprintf(n->unrecorded_x.family_pseudonym,
		    sizeof(n->unrecorded_x.family_pseudonym), "%s", x->family_pseudonym);
		n->unrecorded_x.created_us = x->created_us;
		n->unrecorded.d = j.d;
		n->unrecorded.status = j.status;
		n->unrecorded.now_us = j.now_us;
		snprintf(n->unrecorded.family, sizeof(n->unrecorded.family), "%s", family);
		n->has_unrecorded = 1;
		return -1;
	}
	if (rc == 0 && pin_refused_outcome(&j.d))
		pin_refused(n, x->disclosure_id);
	note_kept(n, &j);
	if (j.released > 0)
		delivery_kick(n->gw->delivery);
	if (j.d.verdict == RETRY_DELIVERED) {
		metrics_add(n->gw->metrics, "gateway_notifications_sent_total",
		    "Family notifications delivered to the webhook.", NULL, 1);
		log_info("notification %s sent", x->disclosure_id);
	} else
		metrics_add(n->gw->metrics, "gateway_notification_failures_total",
		    "Failed attempts to deliver a family notification.", NULL, 1);
	return 0;
}

/* The kept outcome, recorded now if the store takes it. 0 (or nothing
 * kept), -1 still refused. */
static int
record_unrecorded(struct notifier *n)
{
	struct outcome_job	j;
	int			rc;

	if (!n->has_unrecorded)
		return 0;
	memset(&j, 0, sizeof(j));
	j.n = n;
	j.x = &n->unrecorded_x;
	j.family = n->unrecorded.family;
	j.d = n->unrecorded.d;
	j.status = n->unrecorded.status;
	j.now_us = n->unrecorded.now_us;
	if ((rc = writer_submit(n->gw->writer, outcome_job, &j)) < 0)
		return -1;
	if (rc == 0 && pin_refused_outcome(&j.d))
		pin_refused(n, n->unrecorded_x.disclosure_id);
	note_kept(n, &j);
	if (j.released > 0)
		delivery_kick(n->gw->delivery);
	n->has_unrecorded = 0;
	log_info("notification %s: outcome recorded", n->unrecorded_x.disclosure_id);
	return 0;
}

/* Sends due[0..k) (k < 0: none) and frees them. No store connection is
 * held here: each send takes its own short reads. */
static void
send_batch(struct notifier *n, struct notice *due, int k)
{
	int	i;

	for (i = 0; i < k; i++) {
		pthread_mutex_lock(&n->lock);
		if (n->stopping) {
			pthread_mutex_unlock(&n->lock);
			break;
		}
		pthread_mutex_unlock(&n->lock);
		if (send_one(n, &due[i]) == -1)
			break;	/* the rest wait until the store takes writes */
	}
	if (k > 0)
		store_notices_free(due, k);
}

#define REQUEUE_BATCH	32

struct requeue_job {
	struct notifier			*n;
	struct notify_requeue_row	 r[REQUEUE_BATCH];
	int				 count;
};

/* Operators' re-queues (gatewayctl notifications retry) into the ledger,
 * each its own "notification.requeued" entry with the operator as actor,
 * and only then due (store_notify_requeue.c). */
static int
requeue_job(struct store_conn *c, void *arg)
{
	struct requeue_job	*j = arg;
	int64_t			 seq, now = store_now_us();
	int			 i;

	for (i = 0; i < j->count; i++)
		if (operator_requeue_ledger(j->n->gw->ledger, c, "notification.requeued",
		    j->r[i].actor, j->r[i].family_pseudonym, j->r[i].ref, j->r[i].at_us, &seq) != 0 ||
		    store_notify_requeue_ledgered(c, &j->r[i], seq, now) != 0)
			return -1;
	return 0;
}

/* 0, or -1 when re-queues are waiting and could not be ledgered (they are
 * not sent until they are; the rest goes on). */
static int
ledger_requeues(struct notifier *n)
{
	struct requeue_job	 j = { .n = n };
	struct store_conn	*c;

	if ((c = store_read_begin(n->gw->store)) == NULL)
		return -1;
	j.count = store_notify_requeues_unledgered(c, j.r, REQUEUE_BATCH);
	store_read_end(n->gw->store, c);
	if (j.count <= 0)
		return j.count;
	if (writer_submit(n->gw->writer, requeue_job, &j) != 0) {
		log_errx("re-queued notifications not recorded in the ledger; not sent until they are");
		return -1;
	}
	log_info("%d re-queued notification%s recorded in the ledger", j.count,
	    j.count == 1 ? "" : "s");
	return 0;
}

struct wait_over_job {
	int64_t	created_by_us;
	int	released;
};

static int
wait_over_job(struct store_conn *c, void *arg)
{
	struct wait_over_job	*j = arg;

	j->released = store_deliveries_release_given_up_notices(c, j->created_by_us,
	    store_now_us());
	return j->released < 0 ? -1 : 0;
}

/* Deliveries that kept waiting for a notice given up for pin_mismatch
 * (notify_wait.h), no operator having re-queued it, go once their wait is
 * over, as for any notice given up: looked for at start, then only when
 * the earliest wait ends (n->wait_check_us). A failure is tried again on
 * the next pass. */
static void
release_waits_over(struct notifier *n)
{
	struct wait_over_job	 j = { 0 };
	struct store_conn	*c;
	int64_t			 now = store_now_us(), oldest = 0, until;
	int			 rc;

	if (now < n->wait_check_us)
		return;
	if ((c = store_read_begin(n->gw->store)) == NULL)
		return;
	rc = store_deliveries_oldest_given_up_notice(c, &oldest);
	store_read_end(n->gw->store, c);
	if (rc == -1)
		return;
	if (rc == 1) {
		n->wait_check_us = INT64_MAX;
		return;
	}
	if ((until = notify_wait_until(&notify_policy, oldest)) > now) {
		n->wait_check_us = until;
		return;
	}
	j.created_by_us = notify_wait_created_by(&notify_policy, now);
	if (writer_submit(n->gw->writer, wait_over_job, &j) != 0) {
		log_errx("deliveries whose family notice was given up (pin_mismatch) could not "
		    "be released; tried again");
		return;
	}
	if (j.released > 0) {
		log_warnx("%d deliveries that waited for a family notice given up for "
		    "pin_mismatch go without it: their wait is over", j.released);
		delivery_kick(n->gw->delivery);
	}
	n->wait_check_us = 0;	/* the next pass finds the next oldest */
}

/* Reads what is due (one short read per kind) and sends it; returns how
 * many were due (a full batch means look again at once), or -1 when an
 * outcome waits to be recorded (nothing is sent then). */
static int
run_due(struct notifier *n)
{
	struct notice		 due[NOTIFY_BATCH];
	struct store_conn	*c;
	int			 k, r;

	if (record_unrecorded(n) == -1)
		return -1;
	(void)ledger_requeues(n);
	release_waits_over(n);
	if ((c = store_read_begin(n->gw->store)) == NULL)
		return 0;
	k = store_notifications_due(c, store_now_us(), due, NOTIFY_BATCH);
	store_read_end(n->gw->store, c);
	send_batch(n, due, k);
	if (n->has_unrecorded)
		return -1;
	/* Then police and court requests' notifications. */
	if ((c = store_read_begin(n->gw->store)) == NULL)
		return k < 0 ? 0 : k;
	r = store_request_notifications_due(c, store_now_us(), due, NOTIFY_BATCH);
	store_read_end(n->gw->store, c);
	send_batch(n, due, r);
	if (n->has_unrecorded)
		return -1;
	return k > r ? k : r < 0 ? 0 : r;
}

/* Kept by address (metrics_add): one name for every call. */
static const char passes_name[] = "gateway_notifier_passes_total";
static const char passes_help[] = "Passes of the notification worker over what is due (each "
    "second, when kicked, or to record again an outcome the store refused), each counted "
    "once its sends have their answers.";

static void *
worker(void *arg)
{
	struct notifier	*n = arg;
	struct timespec	 ts;
	int		 more = 0, rc;
	int64_t		 wait_ms = NOTIFY_POLL_MS, backoff_ms = 0;

	(void)prctl(PR_SET_NAME, "gw-notifier", 0, 0, 0);	/* in top(1), perf, gdb */

	for (;;) {
		pthread_mutex_lock(&n->lock);
		if (!more && (!n->kicked || backoff_ms > 0) && !n->stopping) {
			monowait_after(&ts, wait_ms * 1000000);
			(void)pthread_cond_timedwait(&n->cond, &n->lock, &ts);
		}
		n->kicked = 0;
		if (n->stopping) {
			pthread_mutex_unlock(&n->lock);
			break;
		}
		pthread_mutex_unlock(&n->lock);
		/* While the store refuses the outcomes: less and less often,
		 * up to 30 s, and a kick does not cut the wait short. */
		rc = run_due(n);
		/* Its posts are answered (one at a time, in this thread): a
		 * test waits on this count, not on a guess of the pace. */
		metrics_add(n->gw->metrics, passes_name, passes_help, NULL, 1);
		if (rc == -1) {
			backoff_ms = backoff_ms == 0 ? NOTIFY_POLL_MS :
			    backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
			wait_ms = backoff_ms;
			more = 0;
		} else {
			backoff_ms = 0;
			wait_ms = NOTIFY_POLL_MS;
			more = rc == NOTIFY_BATCH;
		}
	}
	return NULL;
}

static int
is_loopback(const char *host)
{
	return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

/* https anywhere; plain http only to this machine (a development receiver).
 * Sets *https. */
static int
check_url(const char *url, int *https, char *err, size_t errlen)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	int	 ok = 0;

	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = (*https = strcmp(scheme, "https") == 0) ||
		    (strcmp(scheme, "http") == 0 && is_loopback(host));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	if (!ok)
		snprintf(err, errlen, "notify URL: must be https (or http to a loopback address)");
	return ok ? 0 : -1;
}

static int
readable(const char *path, const char *what, char *err, size_t errlen)
{
	if (access(path, R_OK) == -1) {
		snprintf(err, errlen, "notifier: %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

/* What notifier_start() refuses, with nothing started: the URL, and over
 * https the client certificate, key (their paths into cert and key, each
 * PATH_MAX) and --notify-ca. */
static int
check_config(const struct config *cfg, int *https, char *cert, char *key, char *err,
    size_t errlen)
{
	*https = 0;
	if (cfg->notify_url == NULL || cfg->notify_url[0] == '\0')
		return 0;
	if (check_url(cfg->notify_url, https, err, errlen) == -1)
		return -1;
	if (cfg->notify_ca != NULL && !*https) {
		snprintf(err, errlen, "--notify-ca: the notify URL is not https");
		return -1;
	}
	if (cfg->notify_npins > 0 && !*https) {
		snprintf(err, errlen, "--notify-pin: the notify URL is not https");
		return -1;
	}
	if (cfg->notify_npins > SPKI_PIN_MAX) {
		snprintf(err, errlen, "--notify-pin: at most %d", SPKI_PIN_MAX);
		return -1;
	}
	for (unsigned i = 0; i < cfg->notify_npins; i++)
		if (!spki_pin_valid(cfg->notify_pins[i])) {
			snprintf(err, errlen, "--notify-pin: not a pin: \"sha256//\" and the "
			    "base64 of a SHA-256 (44 characters, one '=')");
			return -1;
		}
	if (!*https)
		return 0;
	if ((size_t)snprintf(cert, PATH_MAX, "%s/gateway-client.crt", cfg->tls_dir) >= PATH_MAX ||
	    (size_t)snprintf(key, PATH_MAX, "%s/gateway-client.key", cfg->tls_dir) >= PATH_MAX) {
		snprintf(err, errlen, "notifier: --tls path too long");
		return -1;
	}
	if (readable(cert, "client certificate", err, errlen) == -1 ||
	    readable(key, "client key", err, errlen) == -1 ||
	    (cfg->notify_ca != NULL && readable(cfg->notify_ca, "--notify-ca", err, errlen) == -1))
		return -1;
	return 0;
}

int
notifier_check(const struct config *cfg, char *err, size_t errlen)
{
	char	cert[PATH_MAX], key[PATH_MAX];
	int	https;

	return check_config(cfg, &https, cert, key, err, errlen);
}

struct notifier *
notifier_start(struct gateway *gw, char *err, size_t errlen)
{
	struct notifier	*n;

	if ((n = calloc(1, sizeof(*n))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->gw = gw;
	pthread_mutex_init(&n->lock, NULL);
	/* Its timer runs on the monotonic clock: a step of the wall clock
	 * neither stalls nor hurries it (monowait.h). */
	if (monowait_cond_init(&n->cond) != 0) {
		pthread_mutex_destroy(&n->lock);
		free(n);
		snprintf(err, errlen, "notifier: cannot initialise its timer");
		return NULL;
	}
	if (gw->cfg.notify_url == NULL || gw->cfg.notify_url[0] == '\0') {
		log_warnx("no --notify-url: families are not told of what is shared about them; "
		    "their notifications stay queued until gatewayd runs with one");
		/* Deliveries an earlier run held for a notice go now: none will
		 * come from this run. */
		if (writer_submit(gw->writer, release_all_job, NULL) != 0)
			log_errx("deliveries waiting for a family notice could not be released");
		return gauges(n);
	}
	if (check_config(&gw->cfg, &n->https, n->client_cert, n->client_key, err,
	    errlen) == -1)
		goto fail;
	if (n->https)
		n->ca_file = gw->cfg.notify_ca;
	if (gw->cfg.notify_npins > 0 && (n->pins = spki_pin_join(gw->cfg.notify_pins,
	    gw->cfg.notify_npins)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* Nothing but the public CAs stands between the families' notices
	 * and whoever one of them certifies for the webhook's host. */
	if (n->https && n->ca_file == NULL && n->pins == NULL)
		log_warnx("notifier: neither --notify-ca nor --notify-pin: the webhook is "
		    "trusted on any certificate a system CA issues for its host");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errlen, "notifier: cannot initialise libcurl");
		goto fail;
	}
	n->curl_global = 1;
	if ((n->curl = curl_easy_init()) == NULL ||
	    (n->url = strdup(gw->cfg.notify_url)) == NULL) {
		snprintf(err, errlen, "notifier: cannot initialise libcurl");
		goto fail;
	}
	metrics_add(gw->metrics, passes_name, passes_help, NULL, 0);	/* 0 until the first */
	if (pthread_create(&n->thread, NULL, worker, n) != 0) {
		snprintf(err, errlen, "notifier: cannot start its thread");
		goto fail;
	}
	n->running = 1;
	return gauges(n);
fail:
	notifier_stop(n);
	return NULL;
}

int
notifier_running(const struct notifier *n)
{
	return n != NULL && n->url != NULL;
}

void
notifier_kick(struct notifier *n)
{
	if (n == NULL || !n->running)
		return;
	pthread_mutex_lock(&n->lock);
	n->kicked = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

void
notifier_stop(struct notifier *n)
{
	if (n == NULL)
		return;
	if (n->running) {
		pthread_mutex_lock(&n->lock);
		n->stopping = 1;
		pthread_cond_signal(&n->cond);
		pthread_mutex_unlock(&n->lock);
		pthread_join(n->thread, NULL);
	}
	if (n->curl != NULL)
		curl_easy_cleanup(n->curl);
	if (n->curl_global)
		curl_global_cleanup();
	free(n->url);
	free(n->pins);
	pthread_cond_destroy(&n->cond);
	pthread_mutex_destroy(&n->lock);
	free(n);
}
