/*
 * delivery.c: the delivery worker (see delivery.h for the contract).
 *
 * One thread owns a libcurl multi handle. It reads due rows from the outbox
 * (a read connection), starts up to max_inflight transfers, and sleeps in
 * curl_multi_poll until a transfer progresses, the next retry falls due,
 * delivery_kick() wakes it (a disclosure was just committed), or poll_ms
 * passes (rows re-queued by gatewayctl from outside the process). Finished
 * transfers are classified and scheduled by retry.c (retry_classify_push: a
 * server whose key is not one of the profile's server_pins is a dead letter
 * at once, said at error level, counted in
 * gateway_delivery_pin_mismatches_total) and recorded as soon as
 * they are collected, those of one poll together, in one writer job: the
 * attempt row, the row's new state, and the ledger entry (delivery.attempt,
 * delivery.delivered with the body's receipt (vault_receipt_mac), or
 * delivery.dead plus an alert.delivery_dead entry). One whose row is no
 * longer pending by then (a consent's end or an operator stopped it while
 * it was in flight) is not made a dead letter, whatever its verdict (a
 * pin_mismatch too): no ALERT, nothing counted as a dead letter or a pin
 * mismatch (tell). If the store refuses
 * the job, the results are kept and recorded again, less and less often
 * (that wait timed on CLOCK_MONOTONIC: a wall clock stepped back must not
 * lengthen it; rows keep wall-clock times), nothing new starting meanwhile. At stop, what finished is recorded
 * before the worker returns; transfers still in flight are abandoned,
 * their rows pending, sent again after the restart.
 *
 * A re-queue an operator wrote with gatewayctl (it has no ledger of its
 * own) is ledgered here, "delivery.requeued" (a notice's push:
 * "recipient.notice_push_requeued") with the operator as actor
 * (operator_requeue.h), before the delivery or the notice is sent again.
 *
 * Each transfer is POST over HTTPS only, TLS 1.2 or later, with the
 * gateway's client certificate, the agency's own server CA and nothing else
 * (no system CA path, no proxy from the environment, no redirects), peer
 * and host name verified. The body is unsealed when the transfer starts and
 * cleansed when it ends; it is never logged. Once connected, just before
 * the request is written, the row is read again: a delivery stopped
 * meanwhile (a consent withdrawal) is not sent, nor one no live consent
 * covers any more (an expiry), nor one the agency's registered interest
 * no longer covers as the profiles now stand (a reload since its body
 * was built: a dead letter with the code, as before it started).
 *
 * Every poll the worker also stops, with a ledger entry, the deliveries
 * made on a consent that no live consent covers any more since one expired
 * (the sweep: each_lapsed): a withdrawal stops its own in its request, an
 * expiry has none. Whether a live consent covers a delivery is asked of
 * the consents as their signed ledger entries say they are, everywhere
 * (delivery_consent_covers): a consent row copied in, or its expiry
 * moved on, with sqlite3 keeps nothing going.
 *
 * The worker also pushes each notice to recipients (recipient_notice.h) to
 * a push agency whose profile names delivery.notices_url, with the same
 * client certificate, server CA, retry policy, timeouts and slots: the
 * body is the notice as GET /v1/notices gives it, signed as a delivery is
 * but with NOTICE_SIG_CONTEXT, the notice id its Idempotency-Key. The
 * notices' state is their own (notice_pushes, migration 072), not a
 * deliveries row: a 2xx is recorded as the agency's acknowledgement of the
 * notice (recipient_notice_ack, as POST /v1/notices/{id}/ack, its reason
 * saying it came by push); a failure is retried per the policy (a key not
 * pinned: given up at once, as a delivery dies), and once
 * given up (no dead letter: nothing is lost) the notice waits in GET
 * /v1/notices as any other, until an operator re-queues the push
 * (gatewayctl notices retry). Each failed attempt and the giving up are
 * ledgered as a delivery's are: "recipient.notice_push_attempt",
 * "recipient.notice_push_given_up" (codes only). A notice acknowledged
 * meanwhile is not sent, nor one whose row is not as its
 * "recipient.notified" entry signed it (given up at once,
 * record_integrity_failed).
 *
 * /metrics counts the worker's passes (gateway_delivery_passes_total) and
 * says how many pushes are on the wire (gateway_delivery_in_flight): what
 * shows that the worker has looked, and found nothing to send, without a
 * guess of how long that takes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/prctl.h>

#include "consent_signed.h"
#include "decide.h"
#include "delivery.h"
#include "disclosure_signed.h"
#include "gateway.h"
#include "hold_signed.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "monowait.h"
#include "operator_requeue.h"
#include "profiles.h"
#include "recipient_notice.h"
#include "signer.h"
#include "store.h"
#include "vault.h"
#include "wipe.h"
#include "writer.h"

#define SEC		INT64_C(1000000)
#define MS		INT64_C(1000)

/* One transfer in flight. */
struct xfer {
	struct xfer		*next;
	struct delivery		*dl;
	int			 stopped;	/* no longer pending when it was to be sent */
	int			 written;	/* still_pending let the request go */
	int			 notice;	/* a notice's push, id the notice's */
	char			 agency[64];	/* its agency (a notice's, a delivery's) */
	/* A delivery: the signed purpose and disclosed fields its body was
	 * built from, to check the agency's interest again just before the
	 * request is written; lapsed, the code when that found it outside. */
	char			*purpose;
	json_t			*fields;
	const char		*lapsed;
	CURL			*easy;
	struct curl_slist	*hdrs;
	char			 id[40];
	char			 pseudonym[65];
	int			 attempt;	/* this attempt's number, 1-based */
	int64_t			 started_us;
	char			*body;
	size_t			 len;
	unsigned char		 sha[32];
	char			 errbuf[CURL_ERROR_SIZE];
};

/* One finished attempt, waiting to be recorded. */
struct result {
	int			 notice;	/* a notice's push (xfer) */
	char			 agency[64];	/* notice: its agency */
	char			 id[40];
	char			 pseudonym[65];
	int			 attempt;
	int64_t			 started_us;
	int64_t			 finished_us;
	int			 status;	/* HTTP status, 0 none */
	int			 written;	/* the request was let go (xfer) */
	/* Set by record_job: the row was no longer pending (a consent's end,
	 * an operator) when the outcome was to be written; not made a dead
	 * letter, whatever the verdict (record). */
	int			 stopped;
	enum retry_fault	 fault;
	const char		*detail;	/* static: libcurl's message or ours */
	const char		*dead_reason;	/* overrides the decision's reason */
	struct retry_decision	 d;
	unsigned char		 sha[32];
	int			 have_sha;
};

struct batch {
	struct delivery		*dl;
	struct result		*r;
	size_t			 n;
};

struct delivery {
	struct gateway		*gw;
	struct signer		*signer;
	struct delivery_config	 cfg;
	char			 keyid_hdr[128];
	CURLM			*multi;
	pthread_t		 thread;
	int			 started;
	int			 curl_global;
	pthread_mutex_t		 lock;
	int			 kicked;	/* under lock */
	int			 stopping;	/* under lock */
	int			 refollow;	/* under lock: follow_modes again */
	struct xfer		*inflight;
	/* Transfers on the wire (also read by a scrape: in_flight_read). */
	atomic_uint		 ninflight;
	struct delivery_row	*rows;		/* scratch for fill() */
	int			 nrows;
	struct result		*results;	/* scratch for collect() */
	size_t			 nresults, maxresults;
	int64_t			 lapse_next;	/* the next sweep for consents' ends */
	int64_t			 lapse_since;	/* its window's start; 0: every candidate */
};

#define LAPSE_CONSENTS	64	/* a family's consents for one agency and purpose */
#define LAPSE_BATCH	64
/* How far back each sweep's window reaches: past any stall of a batch
 * between a decision and its commit, by far (a look costs a lookup of the
 * few consents that ran out in it, whatever its length). */
#define LAPSE_OVERLAP	(600 * SEC)

int
delivery_consent_covers(struct ledger *l, struct store_conn *c, const char *pseudonym,
    const char *agency_id, const char *purpose, int64_t now)
{
	struct consent_row	 rows[LAPSE_CONSENTS];
	struct decide_consent	 v[LAPSE_CONSENTS];
	int			 n, i;

	if ((n = store_consents_for(c, pseudonym, agency_id, purpose, rows,
	    LAPSE_CONSENTS)) < 0 ||
	    (n > 0 && (n = consent_rows_signed(l, c, rows, n)) < 0))
		return -1;
	for (i = 0; i < n; i++)
		v[i] = (struct decide_consent){ rows[i].id, rows[i].agency_id, rows[i].purpose,
		    rows[i].granted_us, rows[i].expires_us, rows[i].withdrawn_us };
	return decide_consents_cover(v, (size_t)n, agency_id, purpose, now);
}

/* 1 (and *r) when disclosure_id's delivery is a candidate no live consent
 * covers any more at now, 0 when not, -1 error. */
static int
lapsed_one(struct ledger *l, struct store_conn *c, const char *id, int64_t now,
    struct lapsed_row *r)
{
	int	rc;

	if ((rc = store_deliveries_lapsed(c, id, NULL, now, r, 1)) <= 0)
		return rc;
	if ((rc = delivery_consent_covers(l, c, r->family_pseudonym, r->agency_id, r->purpose,
	    now)) == -1)
		return -1;
	return !rc;
}

int
delivery_consent_lapsed(struct ledger *l, struct store_conn *c, const char *id, int64_t now)
{
	struct lapsed_row	r;

	return lapsed_one(l, c, id, now, &r);
}

struct lapse_arg {
	struct gateway		*gw;
	struct store_conn	*c;
	const char		*pseudonym;
	int64_t			 now;
	int			 total;	/* deliveries stopped */
};

/* One delivery stopped for an expiry: its ledger entry (ids and a code). */
static int
lapsed_entry(const char *disclosure_id, void *arg)
{
	struct lapse_arg	*a = arg;
	struct ledger_entry	 e = { "system", "system", "delivery.stopped", a->pseudonym,
				    disclosure_id, DELIVERY_CONSENT_EXPIRED, NULL };

	writer_log_info("delivery %s stopped: no live consent covers it any more (%s)",
	    disclosure_id, DELIVERY_CONSENT_EXPIRED);
	return ledger_append(a->gw->ledger, a->c, &e, NULL, NULL);
}

/* As a withdrawal stops: all of the family's for the agency and purpose
 * that relied on a consent. */
static int
stop_one(const struct lapsed_row *r, void *arg)
{
	struct lapse_arg	*a = arg;
	int			 rc;

	a->pseudonym = r->family_pseudonym;
	if ((rc = store_deliveries_stop_for_consent(a->c, r->family_pseudonym, r->agency_id,
	    r->purpose, a->now, DELIVERY_CONSENT_EXPIRED, lapsed_entry, a)) < 0)
		return -1;
	a->total += rc;
	return 0;
}

static int
found_one(const struct lapsed_row *r, void *arg)
{
	(void)r;
	(void)arg;
	return 1;
}

/*
 * A pass over every candidate meets a family, agency and purpose once per
 * delivery (make bench's s5 store: a million inbox items of 100 families),
 * and whether a live consent covers them, asked of the consents as signed,
 * is the same all pass long (now is fixed; a stop stops all of theirs at
 * once). So each is asked once per pass: the ones met are noted here, in
 * LAPSE_MEMO_SLOTS by hash, LAPSE_MEMO_PROBES tries each. One that finds
 * no room is asked again, which is never wrong, only slower.
 */
#define LAPSE_MEMO_SLOTS	4096
#define LAPSE_MEMO_PROBES	16

struct lapse_memo {
	struct lapsed_row	row;
	int			used;
};

static uint64_t
triple_hash(const struct lapsed_row *r)
{
	const char	*s[3] = { r->family_pseudonym, r->agency_id, r->purpose };
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */
	const unsigned char *p;
	int		 i;

	for (i = 0; i < 3; i++) {
		for (p = (const unsigned char *)s[i]; *p != '\0'; p++)
			h = (h ^ *p) * 1099511628211ULL;
		h = (h ^ 0xff) * 1099511628211ULL;	/* no byte of text: ends each */
	}
	return h;
}

/* 1 when r's family, agency and purpose were met before in this pass, 0
 * when not (noted now, if there is room). */
static int
memo_met(struct lapse_memo *m, const struct lapsed_row *r)
{
	size_t	i, k;

	if (m == NULL)
		return 0;
	i = (size_t)(triple_hash(r) % LAPSE_MEMO_SLOTS);
	for (k = 0; k < LAPSE_MEMO_PROBES; k++, i = (i + 1) % LAPSE_MEMO_SLOTS) {
		if (!m[i].used) {
			m[i].row = *r;
			m[i].used = 1;
			return 0;
		}
		if (strcmp(m[i].row.family_pseudonym, r->family_pseudonym) == 0 &&
		    strcmp(m[i].row.agency_id, r->agency_id) == 0 &&
		    strcmp(m[i].row.purpose, r->purpose) == 0)
			return 1;
	}
	return 0;
}

/*
 * The sweep. Calls fn for each family, agency and purpose no live consent
 * covers any more at now and with something left to stop: those of the
 * consents whose expiry fell in (since, now], looked up through the
 * consents (a few a day, whatever the inboxes hold); or, when since is 0,
 * those of every candidate delivery (store_deliveries_lapsed: a pass over
 * what is not yet acknowledged, once at start and when a lapsed delivery
 * turns up that a window missed; each family, agency and purpose asked
 * once: lapse_memo). fn returns 0 to go on, 1 to stop here, -1 on error.
 * 1 when fn stopped, 0 when all were seen, -1 error.
 */
static int
each_lapsed(struct ledger *l, struct store_conn *c, int64_t since, int64_t now,
    int (*fn)(const struct lapsed_row *, void *), void *arg)
{
	struct lapsed_row	 rows[LAPSE_BATCH], after;
	struct lapse_memo	*memo = NULL;
	int			 n, i, rc = 0;

	/* Without room for it the pass is only slower. */
	if (since == 0)
		memo = calloc(LAPSE_MEMO_SLOTS, sizeof(*memo));
	memset(&after, 0, sizeof(after));
	do {
		n = since == 0 ? store_deliveries_lapsed(c, NULL, after.disclosure_id, now, rows,
		    LAPSE_BATCH) : store_consents_ended(c, since, now, &after, rows, LAPSE_BATCH);
		if (n < 0) {
			rc = -1;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (memo_met(memo, &rows[i]))
				continue;
			rc = delivery_consent_covers(l, c, rows[i].family_pseudonym,
			    rows[i].agency_id, rows[i].purpose, now);
			if (rc == 0 && since != 0)
				rc = !store_deliveries_stoppable(c, rows[i].family_pseudonym,
				    rows[i].agency_id, rows[i].purpose);
			if (rc == -1)
				goto out;
			if (rc == 1)
				continue;
			if ((rc = fn(&rows[i], arg)) != 0)
				goto out;
		}
		if (n > 0)
			after = rows[n - 1];
	} while (n == LAPSE_BATCH);
	rc = 0;
out:
	free(memo);
	return rc;
}

int
delivery_stop_lapsed_one(struct gateway *gw, struct store_conn *c, const char *id,
    int64_t now)
{
	struct lapse_arg	a = { gw, c, NULL, now, 0 };
	struct lapsed_row	r;
	int			rc;

	if ((rc = lapsed_one(gw->ledger, c, id, now, &r)) != 1)
		return rc;
	return stop_one(&r, &a) == 0 ? a.total : -1;
}

struct lapse_job {
	struct gateway	*gw;
	int64_t		 since, now;
	int		 stopped;
};

static int
lapse_job(struct store_conn *c, void *arg)
{
	struct lapse_job	*j = arg;
	struct lapse_arg	 a = { j->gw, c, NULL, j->now, 0 };

	if (each_lapsed(j->gw->ledger, c, j->since, j->now, stop_one, &a) != 0)
		return -1;
	j->stopped = a.total;
	return 0;
}

/* A lapsed delivery turned up that the sweep has not stopped: the next
 * sweep, now, looks at every candidate, not only at its window. */
static void
sweep_all(struct delivery *dl)
{
	dl->lapse_next = 0;
	dl->lapse_since = 0;
}

void
delivery_config_defaults(struct delivery_config *c)
{
	memset(c, 0, sizeof(*c));
	retry_policy_defaults(&c->policy);
	c->connect_timeout_ms = 10000;
	c->timeout_ms = 30000;
	c->max_inflight = 32;
	c->poll_ms = 1000;
}

const char *
delivery_mode_at_commit(const struct profiles *current, const char *agency_id)
{
	const struct agency	*a = profiles_find(current, agency_id);

	return a == NULL || a->delivery == DELIVERY_PUSH ? "push" : "pull";
}

/*
 * The mode is taken here, in the writer job, from the profiles in force
 * now, never from the profile the request's decision read: a reload that
 * switched the agency between the two has already had its follow_modes job
 * run (the writer runs one job at a time, and the job is submitted after
 * the swap), so a row queued with the older mode would stay so: a push to
 * a pull agency dead-lettered agency_not_push, or a pull for a push agency
 * waiting in an inbox nobody reads.
 */
int
delivery_enqueue(struct store_conn *c, const char *id, const struct profiles *current,
    const char *agency_id, const char *pseudonym, int64_t now_us, int awaits_notice)
{
	return store_delivery_enqueue(c, id, agency_id, pseudonym,
	    delivery_mode_at_commit(current, agency_id), now_us, awaits_notice);
}

void
delivery_body_free(char *body, size_t len)
{
	(void)len;	/* the whole block, past the body's end (wipe.h) */
	wipe_free(body);
}

/* Whether disclosure id's signed purpose and disclosed fields (its
 * disclosed_fields, parsed) are still inside agency_id's registered
 * interest as the profiles in force have it: delivery_interest_lapsed()'s
 * answer, for a row already parsed (delivery_body) or for what a push
 * started with, checked again just before its request is written
 * (still_pending). */
static int
interest_lapsed(struct gateway *gw, const char *id, const char *agency_id, const char *purpose,
    const json_t *fields, const char **code)
{
	const struct profiles	*p = atomic_load(&gw->profiles);
	const struct interest	*in;
	struct decide_interest	 view;
	const char		**names;
	json_t			*v;
	size_t			 i, n;

	*code = NULL;
	if (!json_is_array(fields) ||
	    (names = calloc(json_array_size(fields) + 1, sizeof(*names))) == NULL)
		return -1;
	n = json_array_size(fields);
	json_array_foreach(fields, i, v)
		if ((names[i] = json_string_value(v)) == NULL) {
			free(names);
			return -1;
		}
	in = agency_interest(p != NULL ? profiles_find(p, agency_id) : NULL, purpose);
	if (in != NULL) {
		memset(&view, 0, sizeof(view));
		view.purpose = in->purpose;
		view.fields = in->fields;
		view.nfields = in->nfields;
	}
	*code = decide_interest_holds(in != NULL ? &view : NULL, names, n);
	free(names);
	if (*code == NULL)
		return 0;
	log_info("delivery %s: outside %s's registered interest now (%s): not delivered",
	    id, agency_id, *code);
	return 1;
}

int
delivery_interest_lapsed(struct gateway *gw, const struct disclosure_row *row, const char **code)
{
	json_t	*fields;
	int	 rc;

	*code = NULL;
	if ((fields = json_loads(row->disclosed_fields, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	rc = interest_lapsed(gw, row->id, row->agency_id, row->purpose, fields, code);
	json_decref(fields);
	return rc;
}

/* delivery_body(), and for a push (purpose and fields not NULL) the
 * signed purpose and parsed field list the interest was checked on, kept
 * to check it again just before the request is written (still_pending):
 * *purpose malloc'd, *fields a reference, both the caller's once 0. */
static int
build_body(struct gateway *gw, struct store_conn *c, const char *id, const char *agency_id,
    char **body, size_t *len, unsigned char sha[32], const char **lapsed, char **purpose,
    json_t **fields_out)
{
	struct disclosure_row	*row = NULL;
	json_t			*o = NULL, *data = NULL, *fields = NULL;
	char			*pt = NULL, *out = NULL, at[32];
	const char		*why = NULL;
	size_t			 ptlen = 0;
	int			 rc;

	*body = NULL;
	*len = 0;
	if (lapsed != NULL)
		*lapsed = NULL;
	if ((rc = store_disclosure_get(c, id, &row)) != 0)
		return rc;
	if (strcmp(row->decision, "allowed") != 0 || row->data_ct == NULL) {
		rc = 1;
		goto out;
	}
	/* Only what the ledger signed, to the agency it signed: the row's
	 * columns and sealed values as its entry's digest says, and the
	 * deliveries row (which says where it goes) naming that agency. */
	if ((rc = disclosure_signed(gw->ledger, c, row)) != 0) {
		rc = rc == 1 ? 3 : -1;
		goto out;
	}
	if (agency_id == NULL || strcmp(agency_id, row->agency_id) != 0) {
		log_errx("delivery %s: its agency is not the disclosure's (as its ledger entry "
		    "#%lld signed): not delivered", row->id, (long long)row->ledger_seq);
		rc = 3;
		goto out;
	}
	/* Only while the agency's interest, as its profile stands now, still
	 * covers the purpose and every field disclosed (a reload narrowed it:
	 * decide_interest_holds). */
	if ((fields = json_loads(row->disclosed_fields, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
		rc = -1;
		goto out;
	}
	if ((rc = interest_lapsed(gw, row->id, row->agency_id, row->purpose, fields,
	    &why)) != 0) {
		if (rc == 1 && lapsed != NULL)
			*lapsed = why;
		rc = rc == 1 ? 4 : -1;
		goto out;
	}
	rc = vault_unseal(gw->vault, c, row->family_pseudonym, row->data_ct, row->data_ctlen,
	    &pt, &ptlen);
	if (rc != 0) {
		rc = rc == 1 ? 2 : -1;
		goto out;
	}
	rc = -1;
	if ((data = json_loadb(pt, ptlen, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:{s:s, s:s*}, s:O, s:O, s:s, s:s}",
	    "disclosure_id", row->id,
	    "agency_id", row->agency_id,
	    "purpose", row->purpose,
	    "lawful_basis", "article6", row->article6 != NULL ? row->article6 : "",
	    "article9", row->article9,
	    "disclosed_fields", fields,
	    "data", data,
	    "notification", hold_made_held(row) ? "held" : "queued",
	    "created_at", store_time_fmt(row->created_us, at));
	if (o == NULL || (out = json_dumps(o, JSON_COMPACT)) == NULL)
		goto out;
	*body = out;
	*len = strlen(out);
	/* The receipt kept of it: keyed by the family's own key, never a
	 * plain digest of the values (vault_receipt_mac). */
	if ((rc = vault_receipt_mac(gw->vault, c, row->family_pseudonym, out, *len, sha)) != 0) {
		delivery_body_free(out, *len);
		*body = NULL;
		rc = rc == 1 ? 2 : -1;
		goto out;
	}
	rc = -1;
	if (purpose != NULL && fields_out != NULL) {
		if ((*purpose = strdup(row->purpose)) == NULL) {
			delivery_body_free(out, *len);
			*body = NULL;
			goto out;
		}
		*fields_out = json_incref(fields);
	}
	rc = 0;
out:
	json_decref(o);
	json_decref(data);	/* the values: Jansson wipes them (wipe.h), as pt is */
	json_decref(fields);
	wipe_free(pt);
	store_disclosure_free(row);
	return rc;
}

int
delivery_body(struct gateway *gw, struct store_conn *c, const char *id, const char *agency_id,
    char **body, size_t *len, unsigned char sha[32], const char **lapsed)
{
	return build_body(gw, c, id, agency_id, body, len, sha, lapsed, NULL, NULL);
}

enum retry_fault
delivery_fault_of_curl(int code)
{
	switch ((CURLcode)code) {
	case CURLE_OK:
		return RETRY_FAULT_NONE;
	case CURLE_OPERATION_TIMEDOUT:
		return RETRY_FAULT_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CIPHER:
		return RETRY_FAULT_TLS;
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:	/* the profile's server_pins */
		return RETRY_FAULT_PIN;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_BAD_FUNCTION_ARGUMENT:
	case CURLE_FAILED_INIT:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_TOO_MANY_REDIRECTS:
		return RETRY_FAULT_LOCAL;
	default:
		/* Refused, reset, unreachable, DNS, a reply cut short or garbled:
		 * the network or the receiver, worth another try. */
		return RETRY_FAULT_CONNECT;
	}
}

static uint64_t
random64(void *arg)
{
	uint64_t	v = 0;

	(void)arg;
	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint64_t)store_now_us() * UINT64_C(6364136223846793005);
	return v;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p; (void)arg;
	return size * n;
}

static int
stopping(struct delivery *dl)
{
	int	s;

	pthread_mutex_lock(&dl->lock);
	s = dl->stopping;
	pthread_mutex_unlock(&dl->lock);
	return s;
}

/* One of dl's flags (kicked, refollow), read and cleared under its lock. */
static int
take_flag(struct delivery *dl, int *flag)
{
	int	f;

	pthread_mutex_lock(&dl->lock);
	f = *flag;
	*flag = 0;
	pthread_mutex_unlock(&dl->lock);
	return f;
}

static void
refollow(struct delivery *dl)
{
	pthread_mutex_lock(&dl->lock);
	dl->refollow = 1;
	pthread_mutex_unlock(&dl->lock);
}

static int follow_modes_now(struct gateway *);

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->hdrs);
	delivery_body_free(x->body, x->len);
	free(x->purpose);
	json_decref(x->fields);
	free(x);
}

static struct result *
result_new(struct delivery *dl)
{
	struct result	*r;

	if (dl->nresults == dl->maxresults) {
		size_t	 n = dl->maxresults ? dl->maxresults * 2 : 64;
		if ((r = realloc(dl->results, n * sizeof(*r))) == NULL)
			return NULL;
		dl->results = r;
		dl->maxresults = n;
	}
	r = &dl->results[dl->nresults++];
	memset(r, 0, sizeof(*r));
	return r;
}

/* What a disclosure's delivery and a notice's push share of an attempt
 * that failed before anything was sent: the result, filled (NULL: out of
 * memory, said). */
static struct result *
unmade_attempt(struct delivery *dl, const char *what, const char *id, const char *pseudonym,
    int attempts, int64_t now, const char *reason)
{
	struct result	*r;

	if ((r = result_new(dl)) == NULL) {
		log_errx("out of memory recording %s %s", what, id);
		return NULL;
	}
	snprintf(r->id, sizeof(r->id), "%s", id);
	snprintf(r->pseudonym, sizeof(r->pseudonym), "%s", pseudonym);
	r->attempt = attempts + 1;
	r->started_us = r->finished_us = now;
	r->fault = RETRY_FAULT_LOCAL;
	r->detail = reason;
	r->dead_reason = reason;
	return r;
}

/* An unmade attempt retried with the policy's backoff, given up once the
 * attempts are used up; logged. */
static void
unmade_retry(struct delivery *dl, struct result *r, const char *what, int64_t now,
    const char *reason)
{
	retry_decide(&dl->cfg.policy, (unsigned)r->attempt, RETRY_TRANSIENT, now, 0, random64,
	    NULL, &r->d);
	log_info("%s %s: attempt %d not made (%s); %s", what, r->id, r->attempt, reason,
	    r->d.verdict == RETRY_SCHEDULED ? "retrying later" : "giving up");
}

/*
 * An attempt that failed before anything was sent, recorded now. Permanent
 * (the agency gone or inactive, the family erased, the disclosure missing):
 * a dead letter at once. Transient (the store busy, memory, the family key
 * not unwrapped just now): counted and retried with the policy's backoff,
 * dead only once the attempts are used up, as a network failure would be.
 */
static void
local_failure(struct delivery *dl, const struct delivery_row *row, int64_t now,
    const char *reason, int transient)
{
	struct result	*r;

	if ((r = unmade_attempt(dl, "delivery", row->disclosure_id, row->family_pseudonym,
	    row->attempts, now, reason)) == NULL)
		return;
	if (!transient) {
		r->d.verdict = RETRY_DEAD;
		r->d.reason = "permanent";
		return;
	}
	unmade_retry(dl, r, "delivery", now, reason);
}

static void
fail_now(struct delivery *dl, const struct delivery_row *row, int64_t now, const char *reason)
{
	local_failure(dl, row, now, reason, 0);
}

/* What is said of a push found stopped (its row no longer pending) before
 * its request was written: ids only. */
static void
said_stopped(const char *what, const char *id)
{
	log_info("%s %s: stopped before it was sent", what, id);
}

#define SETOPT(e, o, v) do { if (curl_easy_setopt((e), (o), (v)) != CURLE_OK) goto fail; } while (0)

/* still_pending for a notice's push: not sent once the agency acknowledged
 * it (by POST /v1/notices/{id}/ack since the due notices were read). */
static int
notice_still_pending(struct xfer *x)
{
	struct store_conn	*c;
	struct notice_row	 n;
	int			 rc, pending = 0;

	if ((c = store_read_begin(x->dl->gw->store)) == NULL)
		return CURL_PREREQFUNC_ABORT;
	rc = store_notice_get(c, x->id, &n);
	store_read_end(x->dl->gw->store, c);
	if (rc == 0) {
		pending = n.acked_us == 0 && strcmp(n.agency_id, x->agency) == 0;
		notice_rows_free(&n, 1);
	}
	if (pending) {
		x->written = 1;
		return CURL_PREREQFUNC_OK;
	}
	if (rc != -1)
		x->stopped = 1;
	return CURL_PREREQFUNC_ABORT;
}

/* CURLOPT_PREREQFUNCTION: the connection is up and the request is about
 * to be written. The row is read again in a fresh read, so a consent
 * withdrawal (or an operator) that stopped the delivery after the due rows
 * were read, while this connection was being made, is seen: nothing is
 * sent. So is a reload that narrowed the agency's interest since the body
 * was built: its signed purpose and fields (kept on x) are checked against
 * the profiles in force (interest_lapsed), and outside them nothing is
 * sent, x->lapsed says why (finish: a dead letter). What commits between
 * this read and the write itself is not (a window of microseconds, not of
 * a TLS handshake). Unreadable: not sent, retried like a network fault. */
static int
still_pending(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct xfer		*x = arg;
	struct store_conn	*c;
	struct delivery_row	 row;
	int			 rc;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	if (x->notice)
		return notice_still_pending(x);
	if ((c = store_read_begin(x->dl->gw->store)) == NULL)
		return CURL_PREREQFUNC_ABORT;
	rc = store_delivery_get(c, x->id, &row);
	/* Pending, but made on a consent none covers any more (one expired
	 * since the due rows were read): not sent; the sweep stops it. */
	if (rc == 0 && strcmp(row.state, "pending") == 0 &&
	    (rc = delivery_consent_lapsed(x->dl->gw->ledger, c, x->id, store_now_us())) == 1) {
		sweep_all(x->dl);
		rc = 2;
	}
	store_read_end(x->dl->gw->store, c);
	/* Still pending and covered, but the agency's registered interest
	 * narrowed (a reload) since the body was built: not sent, a dead
	 * letter with the code as start() makes it (finish). */
	if (rc == 0 && strcmp(row.state, "pending") == 0 &&
	    (rc = interest_lapsed(x->dl->gw, x->id, x->agency, x->purpose, x->fields,
	    &x->lapsed)) == 1)
		return CURL_PREREQFUNC_ABORT;
	if (rc == 0 && strcmp(row.state, "pending") == 0) {
		x->written = 1;
		return CURL_PREREQFUNC_OK;
	}
	if (rc != -1)
		x->stopped = 1;
	return CURL_PREREQFUNC_ABORT;
}

/* Signs x's body (context || id || "\n" || body), sets up its transfer to
 * url with a's server CA and adds it to the multi handle. 0 started; -1
 * not (x freed): left for the next look. */
static int
launch(struct delivery *dl, struct xfer *x, const struct agency *a, const char *url,
    const char *context)
{
	unsigned char		 sig[64], *msg = NULL;
	char			 b64[96], hdr[256];
	size_t			 mlen, clen = strlen(context), ilen;
	int			 rc;

	/* The detached signature over context || id || "\n" || body. */
	ilen = strlen(x->id);
	mlen = clen + ilen + 1 + x->len;
	if ((msg = malloc(mlen)) == NULL)
		goto fail;
	memcpy(msg, context, clen);
	memcpy(msg + clen, x->id, ilen);
	msg[clen + ilen] = '\n';
	memcpy(msg + clen + ilen + 1, x->body, x->len);
	rc = signer_sign_detached(dl->signer, msg, mlen, sig, NULL, 0);
	wipe_free(msg);		/* it holds the body */
	if (rc != 0) {
		log_errx("%s %s: cannot sign; will try again", x->notice ? "notice push" :
		    "delivery", x->id);
		goto fail;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, sizeof(sig));

	if ((x->easy = curl_easy_init()) == NULL)
		goto fail;
	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", x->id);
	if ((x->hdrs = curl_slist_append(x->hdrs, "Content-Type: application/json")) == NULL ||
	    curl_slist_append(x->hdrs, hdr) == NULL ||
	    (snprintf(hdr, sizeof(hdr), "X-Gateway-Signature: ed25519=%s", b64),
	    curl_slist_append(x->hdrs, hdr)) == NULL ||
	    curl_slist_append(x->hdrs, dl->keyid_hdr) == NULL ||
	    curl_slist_append(x->hdrs, "Expect:") == NULL)
		goto fail;
	SETOPT(x->easy, CURLOPT_URL, url);
	SETOPT(x->easy, CURLOPT_PROTOCOLS_STR, "https");
	SETOPT(x->easy, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(x->easy, CURLOPT_PROXY, "");		/* never a proxy from the environment */
	SETOPT(x->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(x->easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(x->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(x->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(x->easy, CURLOPT_CAINFO, a->push_ca_file);
	SETOPT(x->easy, CURLOPT_CAPATH, NULL);		/* the agency's CA only */
	if (a->push_crl_file != NULL)			/* a revoked server is refused */
		SETOPT(x->easy, CURLOPT_CRLFILE, a->push_crl_file);
	/* delivery.server_pins: the server's key must also be one pinned
	 * (CURLE_SSL_PINNEDPUBKEYNOTMATCH before a byte is sent: pin_mismatch). */
	if (a->push_pins != NULL)
		SETOPT(x->easy, CURLOPT_PINNEDPUBLICKEY, a->push_pins);
	SETOPT(x->easy, CURLOPT_SSLCERT, dl->cfg.client_cert);
	SETOPT(x->easy, CURLOPT_SSLCERTTYPE, "PEM");
	SETOPT(x->easy, CURLOPT_SSLKEY, dl->cfg.client_key);
	SETOPT(x->easy, CURLOPT_SSLKEYTYPE, "PEM");
	SETOPT(x->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)dl->cfg.connect_timeout_ms);
	SETOPT(x->easy, CURLOPT_TIMEOUT_MS, (long)dl->cfg.timeout_ms);
	SETOPT(x->easy, CURLOPT_NOSIGNAL, 1L);
	SETOPT(x->easy, CURLOPT_USERAGENT, "sharing-gateway/1");
	SETOPT(x->easy, CURLOPT_HTTPHEADER, x->hdrs);
	SETOPT(x->easy, CURLOPT_POST, 1L);
	SETOPT(x->easy, CURLOPT_POSTFIELDS, x->body);
	SETOPT(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->len);
	SETOPT(x->easy, CURLOPT_WRITEFUNCTION, discard);
	SETOPT(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(x->easy, CURLOPT_PRIVATE, x);
	SETOPT(x->easy, CURLOPT_PREREQFUNCTION, still_pending);
	SETOPT(x->easy, CURLOPT_PREREQDATA, x);
	if (curl_multi_add_handle(dl->multi, x->easy) != CURLM_OK)
		goto fail;
	x->next = dl->inflight;
	dl->inflight = x;
	dl->ninflight++;
	log_debug("%s %s: attempt %d to %s", x->notice ? "notice push" : "delivery", x->id,
	    x->attempt, a->id);
	return 0;
fail:
	xfer_free(x);
	return -1;
}

/* Starts one transfer for row (body built on c). 0 started, -1 recorded as
 * failed (fail_now) or left for the next look. */
static int
start(struct delivery *dl, struct store_conn *c, const struct delivery_row *row, int64_t now)
{
	const struct agency	*a;
	struct xfer		*x;
	const char		*code, *message, *lapsed = NULL;
	int			 rc;

	a = profiles_find(dl->gw->profiles, row->agency_id);
	if (a == NULL) {
		fail_now(dl, row, now, DELIVERY_AGENCY_UNKNOWN);
		return -1;
	}
	/* A push row for an agency now pull: the reload's follow_modes job has
	 * not run yet (or the store refused it). Not a dead letter: fill()
	 * moves it to the inbox as that job does. */
	if (a->delivery != DELIVERY_PUSH) {
		refollow(dl);
		return -1;
	}
	if (a->push_url == NULL) {	/* profiles.c refuses a push profile without */
		fail_now(dl, row, now, "agency_not_push");
		return -1;
	}
	/* Nothing more to an agency made inactive, whose data-sharing
	 * agreement has ended or whose privacy notice is overdue since the
	 * disclosure was made (as its inbox would refuse it); an operator may
	 * re-queue once it is in order. */
	if ((code = profiles_standing(a, now, &message)) != NULL) {
		fail_now(dl, row, now, code);
		return -1;
	}
	/* Made on a consent and none covers it any more (expired since the
	 * sweep looked): not sent; the sweep stops it at the next look. */
	if ((rc = delivery_consent_lapsed(dl->gw->ledger, c, row->disclosure_id, now)) != 0) {
		if (rc == 1)
			sweep_all(dl);
		return -1;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return -1;
	x->dl = dl;
	snprintf(x->id, sizeof(x->id), "%s", row->disclosure_id);
	snprintf(x->pseudonym, sizeof(x->pseudonym), "%s", row->family_pseudonym);
	snprintf(x->agency, sizeof(x->agency), "%s", row->agency_id);
	x->attempt = row->attempts + 1;
	x->started_us = now;
	rc = build_body(dl->gw, c, row->disclosure_id, row->agency_id, &x->body, &x->len,
	    x->sha, &lapsed, &x->purpose, &x->fields);
	if (rc != 0) {
		xfer_free(x);
		if (rc == -1)
			local_failure(dl, row, now, "body_unavailable", 1);
		else	/* 4: the profile no longer covers it; an operator may
			 * re-queue once it does again */
			fail_now(dl, row, now, rc == 2 ? "family_erased" : rc == 3 ?
			    DELIVERY_RECORD_INTEGRITY : rc == 4 ? lapsed : "disclosure_missing");
		return -1;
	}

	return launch(dl, x, a, a->push_url, DELIVERY_SIG_CONTEXT);
}

static int
in_flight(struct delivery *dl, const char *id)
{
	struct xfer	*x;

	for (x = dl->inflight; x != NULL; x = x->next)
		if (strcmp(x->id, id) == 0)
			return 1;
	return 0;
}

/*
 * A notice's push that could not be made (its body not built: the store,
 * memory, ids that do not parse), recorded now as a failed attempt and
 * retried with the policy's backoff, given up once the attempts are used
 * up: the notice is then collected, as any other.
 */
static void
notice_failure(struct delivery *dl, const struct notice_push_row *row, int64_t now,
    const char *reason)
{
	struct result	*r;

	if ((r = unmade_attempt(dl, "notice push", row->notice_id, row->family_pseudonym,
	    row->attempts, now, reason)) == NULL)
		return;
	r->notice = 1;
	snprintf(r->agency, sizeof(r->agency), "%s", row->agency_id);
	if (strcmp(reason, DELIVERY_RECORD_INTEGRITY) == 0) {
		/* Not as its ledger entry signed: no retry makes it so. */
		r->d.verdict = RETRY_DEAD;
		r->d.reason = "permanent";
		return;
	}
	unmade_retry(dl, r, "notice push", now, reason);
}

/* Starts the push of notice row to agency a (its notices_url), the body
 * the notice as GET /v1/notices gives it (recipient_notice_json), read on
 * c. 0 started, -1 recorded as failed (notice_failure) or left for the
 * next look. */
static int
start_notice(struct delivery *dl, struct store_conn *c, const struct agency *a,
    const struct notice_push_row *row, int64_t now)
{
	struct notice_row	 n;
	struct xfer		*x;
	json_t			*o = NULL;
	int			 rc;

	if ((rc = store_notice_get(c, row->notice_id, &n)) != 0) {
		if (rc == -1)
			notice_failure(dl, row, now, "body_unavailable");
		return -1;
	}
	/* Only a notice as its ledger entry signed it, to the agency it names
	 * (recipient_notice_signed): a row put in or re-addressed behind the
	 * gateway's back is given up at once, record_integrity_failed. */
	if ((rc = recipient_notice_signed(dl->gw->ledger, c, &n)) != 1 ||
	    strcmp(n.agency_id, a->id) != 0) {
		notice_rows_free(&n, 1);
		if (rc != 2)
			notice_failure(dl, row, now, rc == -1 ? "body_unavailable" :
			    DELIVERY_RECORD_INTEGRITY);
		return -1;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		notice_rows_free(&n, 1);
		return -1;
	}
	x->dl = dl;
	x->notice = 1;
	snprintf(x->agency, sizeof(x->agency), "%s", a->id);
	/* Bounded: inlined into fill_notices, gcc cannot tell the row's size. */
	snprintf(x->id, sizeof(x->id), "%.*s", (int)sizeof(x->id) - 1, row->notice_id);
	snprintf(x->pseudonym, sizeof(x->pseudonym), "%.*s", (int)sizeof(x->pseudonym) - 1,
	    row->family_pseudonym);
	x->attempt = row->attempts + 1;
	x->started_us = now;
	if ((o = recipient_notice_json(&n)) == NULL ||
	    (x->body = json_dumps(o, JSON_COMPACT)) == NULL) {
		json_decref(o);
		notice_rows_free(&n, 1);
		xfer_free(x);
		notice_failure(dl, row, now, "body_unavailable");
		return -1;
	}
	json_decref(o);
	notice_rows_free(&n, 1);
	x->len = strlen(x->body);
	return launch(dl, x, a, a->notices_url, NOTICE_SIG_CONTEXT);
}

#define NOTICE_BATCH	16

/* Starts the pushes of notices due to the agencies whose profiles name a
 * notices_url, while slots are free. An agency not in standing (made
 * inactive, its agreement ended or not in force, its privacy notice
 * overdue) is sent nothing, as its GET /v1/notices is refused (http.c):
 * its notices wait, neither tried nor given up, until its profile is put
 * right. */
static void
fill_notices(struct delivery *dl, struct store_conn *c, int64_t now)
{
	const struct profiles	*p = atomic_load(&dl->gw->profiles);
	struct notice_push_row	 rows[NOTICE_BATCH];
	const char		*message;
	size_t			 k;
	int			 n, i;

	for (k = 0; k < p->n && dl->ninflight < dl->cfg.max_inflight; k++) {
		const struct agency *a = &p->agencies[k];

		if (a->delivery != DELIVERY_PUSH || a->notices_url == NULL ||
		    profiles_standing(a, now, &message) != NULL)
			continue;
		if ((n = store_notice_pushes_due(c, a->id, now, rows, NOTICE_BATCH)) < 0)
			return;
		for (i = 0; i < n && dl->ninflight < dl->cfg.max_inflight; i++) {
			if (in_flight(dl, rows[i].notice_id))
				continue;
			(void)start_notice(dl, c, a, &rows[i], now);
		}
	}
}

#define REQUEUE_BATCH	32

struct requeue_batch {
	struct delivery		*dl;
	struct requeue_row	 r[REQUEUE_BATCH];	/* deliveries' */
	struct requeue_row	 nr[REQUEUE_BATCH];	/* notices' pushes' */
	int			 n, nn;
};

/* Operators' re-queues into the ledger, each with its own entry
 * (operator_requeue.h), marked so in the same job: a delivery's
 * "delivery.requeued", a notice's push "recipient.notice_push_requeued"
 * (and only then due). */
static int
requeue_job(struct store_conn *c, void *arg)
{
	struct requeue_batch	*b = arg;
	struct ledger		*l = b->dl->gw->ledger;
	int64_t			 seq, now = store_now_us();
	int			 i;

	for (i = 0; i < b->n; i++)
		if (operator_requeue_ledger(l, c, "delivery.requeued", b->r[i].actor,
		    b->r[i].family_pseudonym, b->r[i].object_id, b->r[i].at_us, &seq) != 0 ||
		    store_requeue_ledgered(c, b->r[i].id, seq) != 0)
			return -1;
	for (i = 0; i < b->nn; i++)
		if (operator_requeue_ledger(l, c, "recipient.notice_push_requeued", b->nr[i].actor,
		    b->nr[i].family_pseudonym, b->nr[i].object_id, b->nr[i].at_us, &seq) != 0 ||
		    store_notice_push_requeue_ledgered(c, &b->nr[i], seq, now) != 0)
			return -1;
	return 0;
}

/* Re-queues gatewayctl wrote since the last look (of deliveries and of
 * notices' pushes), ledgered before they are sent again. *c is the read
 * connection, ended and begun again around the writer job when there is
 * something to ledger (NULL when it could not be begun again). */
static void
ledger_requeues(struct delivery *dl, struct store_conn **c)
{
	struct requeue_batch	 b = { .dl = dl };

	b.n = store_requeues_unledgered(*c, b.r, REQUEUE_BATCH);
	b.nn = store_notice_push_requeues_unledgered(*c, b.nr, REQUEUE_BATCH);
	if (b.n < 0)
		b.n = 0;		/* looked for again at the next look */
	if (b.nn < 0)
		b.nn = 0;
	if (b.n == 0 && b.nn == 0)
		return;
	store_read_end(dl->gw->store, *c);
	if (writer_submit(dl->gw->writer, requeue_job, &b) != 0)
		log_errx("re-queued deliveries or notice pushes not recorded in the ledger; not "
		    "sent until they are");
	else {
		if (b.n > 0)
			log_info("%d re-queued deliver%s recorded in the ledger", b.n,
			    b.n == 1 ? "y" : "ies");
		if (b.nn > 0)
			log_info("%d re-queued notice push%s recorded in the ledger", b.nn,
			    b.nn == 1 ? "" : "es");
	}
	*c = store_read_begin(dl->gw->store);
}

/* Deliveries no live consent covers any more since one expired, stopped
 * (a writer job only when the look on *c, the read connection, finds one:
 * ended and begun again around it, NULL when it could not be). The window
 * moves on only when the look, and the job if one was needed, succeeded;
 * it reaches LAPSE_OVERLAP back, for a disclosure decided before an expiry
 * and committed after the look (the serving paths refuse it meanwhile). */
static void
stop_lapsed(struct delivery *dl, struct store_conn **c, int64_t now)
{
	struct lapse_job	j = { dl->gw, dl->lapse_since, now, 0 };
	int			rc;

	if ((rc = each_lapsed(dl->gw->ledger, *c, j.since, now, found_one, NULL)) == -1)
		return;
	if (rc == 1) {
		store_read_end(dl->gw->store, *c);
		rc = writer_submit(dl->gw->writer, lapse_job, &j);
		*c = store_read_begin(dl->gw->store);
		if (rc != 0) {
			log_errx("deliveries whose consent expired not stopped; not sent "
			    "meanwhile");
			dl->lapse_next = 0;
			return;
		}
		log_info("%d deliver%s stopped: the consent relied on expired, no other "
		    "covers", j.stopped, j.stopped == 1 ? "y" : "ies");
	}
	dl->lapse_since = now - LAPSE_OVERLAP > 0 ? now - LAPSE_OVERLAP : 1;
}

/* Starts what is due; returns when to look at the outbox next. */
static int64_t
fill(struct delivery *dl, int64_t now)
{
	struct store_conn	*c;
	int64_t			 next = now + (int64_t)dl->cfg.poll_ms * MS, when;
	int			 n, i;

	if ((c = store_read_begin(dl->gw->store)) == NULL)
		return next;
	ledger_requeues(dl, &c);
	if (c == NULL)
		return next;
	if (now >= dl->lapse_next) {
		dl->lapse_next = now + (int64_t)dl->cfg.poll_ms * MS;
		stop_lapsed(dl, &c, now);
		if (c == NULL)
			return next;
	}
	/* Notices first: few, small, and each the charity's duty to tell. */
	fill_notices(dl, c, now);
	if (store_notice_push_next_due(c, now, &when) == 0 && when < next)
		next = when;
	n = store_deliveries_due(c, now, dl->rows, dl->nrows);
	for (i = 0; i < n && dl->ninflight < dl->cfg.max_inflight; i++) {
		const struct delivery_row *r = &dl->rows[i];

		if (in_flight(dl, r->disclosure_id))
			continue;
		/* Re-queued, and the re-queue not yet in the ledger (written
		 * since the look above, or the ledger refused it): not yet. */
		if (r->attempts == 0 && r->requeues > 0 &&
		    store_requeue_unledgered(c, r->disclosure_id) != 0)
			continue;
		(void)start(dl, c, r, now);
	}
	if (store_delivery_next_due(c, now, &when) == 0 && when < next)
		next = when;
	store_read_end(dl->gw->store, c);
	/* Waiting deliveries to their agencies' modes (start() found a push
	 * for a pull agency, or the reload's job was refused): what a pending
	 * row of an agency now push needs is then due at once. */
	if (take_flag(dl, &dl->refollow)) {
		if (follow_modes_now(dl->gw) == 0)
			next = now;
		else {
			log_errx("waiting deliveries not yet moved to their agencies' delivery "
			    "modes; tried again at the next look");
			refollow(dl);
		}
	}
	return next;
}

static void
finish(struct delivery *dl, struct xfer *x, CURLcode code)
{
	struct result		*r;
	struct curl_header	*h = NULL;
	long			 status = 0;
	int64_t			 retry_after = 0;
	enum retry_class	 cls;
	const char		*what = x->notice ? "notice push" : "delivery";

	if (x->stopped) {	/* its row says why; nothing to record */
		said_stopped(what, x->id);
		return;
	}
	/* Outside the agency's interest as the profile stood just before the
	 * request was to be written (still_pending): not sent, a dead letter
	 * with the code, as start() would have made it (fail_now). */
	if (x->lapsed != NULL) {
		if ((r = unmade_attempt(dl, what, x->id, x->pseudonym, x->attempt - 1,
		    store_now_us(), x->lapsed)) != NULL) {
			r->d.verdict = RETRY_DEAD;
			r->d.reason = "permanent";
		}
		return;
	}
	if ((r = result_new(dl)) == NULL) {
		log_errx("out of memory recording %s %s; it stays pending", what, x->id);
		return;
	}
	r->notice = x->notice;
	snprintf(r->agency, sizeof(r->agency), "%s", x->agency);
	snprintf(r->id, sizeof(r->id), "%s", x->id);
	snprintf(r->pseudonym, sizeof(r->pseudonym), "%s", x->pseudonym);
	r->attempt = x->attempt;
	r->started_us = x->started_us;
	r->finished_us = store_now_us();
	r->fault = delivery_fault_of_curl((int)code);
	if (code == CURLE_OK) {
		if (curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
			status = 0;
		if (curl_easy_header(x->easy, "Retry-After", 0, CURLH_HEADER, -1, &h) ==
		    CURLHE_OK && h != NULL)
			retry_after = retry_after_parse(h->value);
		r->detail = NULL;
	} else
		r->detail = curl_easy_strerror(code);
	r->status = (int)status;
	r->written = x->written;
	memcpy(r->sha, x->sha, 32);
	r->have_sha = 1;
	/* A key not one of the profile's server_pins: a dead letter (a
	 * notice's push given up) at once, logged as an error once recorded
	 * (record). */
	cls = retry_classify_push(r->fault, status);
	retry_decide(&dl->cfg.policy, (unsigned)r->attempt, cls, r->finished_us, retry_after,
	    random64, NULL, &r->d);
	if (r->fault == RETRY_FAULT_PIN && r->d.verdict == RETRY_DEAD)
		return;
	if (r->d.verdict == RETRY_SCHEDULED)
		log_info("%s %s: attempt %d failed (%s %ld%s%s); retry in %lld ms", what, r->id,
		    r->attempt, retry_fault_name(r->fault), status, r->detail ? ": " : "",
		    r->detail ? r->detail : "",
		    (long long)((r->d.next_us - r->finished_us) / MS));
	else if (r->d.verdict == RETRY_DEAD)
		log_warnx("%s %s: attempt %d failed (%s %ld%s%s); giving up (%s)", what, r->id,
		    r->attempt, retry_fault_name(r->fault), status, r->detail ? ": " : "",
		    r->detail ? r->detail : "", r->d.reason);
	else
		log_debug("%s %s: delivered on attempt %d (http %ld)", what, r->id, r->attempt,
		    status);
}

/* Moves finished transfers to the results. */
static void
collect(struct delivery *dl)
{
	CURLMsg		*m;
	struct xfer	*x, **pp;
	int		 left;

	while ((m = curl_multi_info_read(dl->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		if (curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x) != CURLE_OK ||
		    x == NULL)
			continue;
		finish(dl, x, m->data.result);
		curl_multi_remove_handle(dl->multi, x->easy);
		for (pp = &dl->inflight; *pp != NULL; pp = &(*pp)->next)
			if (*pp == x) {
				*pp = x->next;
				break;
			}
		dl->ninflight--;
		xfer_free(x);
	}
}

static int
ledger(struct delivery *dl, struct store_conn *c, const struct result *r, const char *action,
    const char *reason, const unsigned char *digest)
{
	struct ledger_entry	le;

	memset(&le, 0, sizeof(le));
	le.actor = "system";
	le.actor_role = "system";
	le.action = action;
	le.family_pseudonym = r->pseudonym;
	le.object_id = r->id;
	le.reason = reason;
	le.record_digest = digest;
	return ledger_append(dl->gw->ledger, c, &le, NULL, NULL);
}

/* The attempt's row in delivery_attempts: what r's push met, as outcome. */
static int
attempt_row(struct store_conn *c, const struct result *r, const char *why,
    const char *outcome, int64_t next_us)
{
	struct delivery_event	e;

	memset(&e, 0, sizeof(e));
	e.disclosure_id = r->id;
	e.attempt = r->attempt;
	e.kind = "push";
	e.actor = "system";
	e.started_us = r->started_us;
	e.finished_us = r->finished_us;
	e.http_status = r->status;
	e.fault = r->d.verdict == RETRY_DELIVERED ? NULL : why;
	e.detail = r->detail;
	e.outcome = outcome;
	e.next_attempt_us = next_us;
	return store_delivery_event(c, &e);
}

/* The outcome of a push that a consent's end (withdrawn, or expired with
 * none other covering) stopped while it was in flight, its request already
 * let go (still_pending): the agency may hold the data, so the attempt is
 * kept though the row stays stopped, never sent again. The attempt is a
 * row and is counted (a family's notice then says the agency may have
 * received it); a 2xx is the agency's receipt, its time and the body's
 * receipt (vault_receipt_mac) kept on the row and ledgered
 * "delivery.delivered_after_stop" with it; any other answer, or none (a timeout, the connection
 * lost after the request went), "delivery.attempt". An attempt whose
 * request never went (connecting, TLS, a local failure) is left as the
 * stop left it. 0 recorded, 1 nothing to record (never written, or the row
 * is not such a stopped push), -1 error. */
static int
record_after_stop(struct delivery *dl, struct store_conn *c, const struct result *r,
    const char *why)
{
	int	took = r->d.verdict == RETRY_DELIVERED, rc;

	if (r->status == 0 && !r->written)
		return 1;
	rc = store_delivery_after_stop(c, r->id, r->attempt, r->finished_us, r->status,
	    took ? NULL : why, took ? r->sha : NULL);
	if (rc != 0)
		return rc;
	if (attempt_row(c, r, why, took ? "delivered" : "dead", 0) == -1)
		return -1;
	if (took)
		writer_log_warnx("delivery %s: the agency acknowledged it (http %d) after the end "
		    "of its consent stopped it; its receipt is recorded", r->id, r->status);
	if (ledger(dl, c, r, took ? "delivery.delivered_after_stop" : "delivery.attempt", why,
	    took ? r->sha : NULL) != 0)
		return -1;
	return 0;
}

/*
 * The outcome of a notice's push. A 2xx is the agency's acknowledgement,
 * recorded as its POST /v1/notices/{id}/ack is (recipient_notice_ack: the
 * same entry, its reason "KIND;push_http_STATUS"), unless it acknowledged
 * the notice meanwhile. A failure is ledgered as a delivery's is: retried,
 * "recipient.notice_push_attempt" (the fault or status); given up,
 * "recipient.notice_push_given_up" (the fault or status, then why:
 * "http_400;permanent", "connect_failed;attempts_exhausted"): the notice
 * then waits in GET /v1/notices, as for an agency that has no notices_url,
 * until the agency collects it or an operator re-queues the push
 * (gatewayctl notices retry). Ids and codes only. 0 or -1.
 */
static int
notice_record(struct delivery *dl, struct store_conn *c, const struct result *r)
{
	char		 why[64], gave[96];
	const char	*reason;
	int		 rc;

	if (r->fault == RETRY_FAULT_NONE)
		snprintf(why, sizeof(why), "http_%d", r->status);
	else
		snprintf(why, sizeof(why), "%s", r->dead_reason != NULL ? r->dead_reason :
		    retry_fault_name(r->fault));
	switch (r->d.verdict) {
	case RETRY_DELIVERED:
		snprintf(why, sizeof(why), "push_http_%d", r->status);
		if ((rc = recipient_notice_ack(dl->gw, c, r->id, r->agency, why, r->finished_us,
		    NULL, NULL)) == -1)
			return -1;
		if (rc == 3) {
			/* Its row changed since it was checked and sent: no
			 * acknowledgement of a record not as signed. */
			writer_log_warnx("notice %s: pushed to %s (http %d) but its row no longer "
			    "matches its ledger entry: the acknowledgement is not recorded",
			    r->id, r->agency, r->status);
			snprintf(gave, sizeof(gave), "%s;%s", why, DELIVERY_RECORD_INTEGRITY);
			return store_notice_push_result(c, r->id, r->attempt, r->finished_us,
			    r->status, "given_up", DELIVERY_RECORD_INTEGRITY, 0) == -1 ? -1 :
			    ledger(dl, c, r, "recipient.notice_push_given_up", gave, NULL);
		}
		if (rc == 2)
			writer_log_info("notice %s: pushed to %s (http %d), which had acknowledged "
			    "it already", r->id, r->agency, r->status);
		return store_notice_push_result(c, r->id, r->attempt, r->finished_us, r->status,
		    "delivered", NULL, 0);
	case RETRY_SCHEDULED:
		if (store_notice_push_result(c, r->id, r->attempt, r->finished_us, r->status,
		    "pending", why, r->d.next_us) == -1)
			return -1;
		return ledger(dl, c, r, "recipient.notice_push_attempt", why, NULL);
	case RETRY_DEAD:
	default:
		reason = r->dead_reason != NULL ? r->dead_reason : r->d.reason;
		snprintf(gave, sizeof(gave), "%s;%s", why, r->d.reason);
		if (store_notice_push_result(c, r->id, r->attempt, r->finished_us, r->status,
		    "given_up", why, 0) == -1 ||
		    ledger(dl, c, r, "recipient.notice_push_given_up", gave, NULL) != 0)
			return -1;
		if (r->fault != RETRY_FAULT_PIN)	/* record() says it, an error */
			writer_log_warnx("notice %s: its push to %s was given up (%s, %s); it "
			    "waits in GET /v1/notices for the agency to collect (gatewayctl "
			    "notices retry %s pushes it again)", r->id, r->agency, why, reason,
			    r->id);
		return 0;
	}
}

static int
record_job(struct store_conn *c, void *arg)
{
	struct batch		*b = arg;
	struct delivery		*dl = b->dl;
	struct result		*r;
	char			 why[64];
	const char		*outcome;
	size_t			 i;
	int			 rc;

	for (i = 0; i < b->n; i++) {
		r = &b->r[i];
		r->stopped = 0;		/* a job tried again reads the row again */
		if (r->notice) {
			if (notice_record(dl, c, r) == -1)
				return -1;
			continue;
		}
		outcome = r->d.verdict == RETRY_DELIVERED ? "delivered" :
		    r->d.verdict == RETRY_SCHEDULED ? "retry" : "dead";
		if (r->fault == RETRY_FAULT_NONE)
			snprintf(why, sizeof(why), "http_%d", r->status);
		else
			snprintf(why, sizeof(why), "%s", retry_fault_name(r->fault));
		switch (r->d.verdict) {
		case RETRY_DELIVERED:
			rc = store_delivery_delivered(c, r->id, r->attempt, r->finished_us,
			    r->status, r->sha);
			break;
		case RETRY_SCHEDULED:
			rc = store_delivery_retry(c, r->id, r->attempt, r->finished_us,
			    r->status, why, r->d.next_us);
			break;
		case RETRY_DEAD:
		default:
			rc = store_delivery_dead(c, r->id, r->attempt, r->finished_us,
			    r->status, why, r->dead_reason != NULL ? r->dead_reason : r->d.reason);
			break;
		}
		if (rc == -1)
			return -1;
		/* No longer pending: a consent's end stopped it while the
		 * request was in flight (what the agency answered is still
		 * recorded), or an operator or a restart got there first.
		 * Whatever the verdict, not a dead letter this attempt made. */
		if (rc == 1) {
			r->stopped = 1;
			if (record_after_stop(dl, c, r, why) == -1)
				return -1;
			continue;
		}
		if (attempt_row(c, r, why, outcome, r->d.next_us) == -1)
			return -1;
		switch (r->d.verdict) {
		case RETRY_DELIVERED:
			rc = ledger(dl, c, r, "delivery.delivered", why, r->sha);
			break;
		case RETRY_SCHEDULED:
			rc = ledger(dl, c, r, "delivery.attempt", why, NULL);
			break;
		case RETRY_DEAD:
		default:
			snprintf(why, sizeof(why), "%s",
			    r->dead_reason != NULL ? r->dead_reason : r->d.reason);
			rc = ledger(dl, c, r, "delivery.dead", why, NULL);
			if (rc == 0)
				rc = ledger(dl, c, r, "alert.delivery_dead", why, NULL);
			break;
		}
		if (rc != 0)
			return -1;
	}
	return 0;
}

/* A push (a delivery's or a notice's) refused because the agency's server
 * presented a key its profile does not pin, now recorded as a dead letter
 * (a notice's push given up): counted, and said once at error level, ids
 * only, since it is a profile to put right or someone else's server. */
static void
pin_refused(struct delivery *dl, const struct result *r)
{
	metrics_add(dl->gw->metrics, "gateway_delivery_pin_mismatches_total",
	    "Pushes to an agency whose server presented a key not one of its profile's "
	    "delivery.server_pins: nothing sent, a dead letter (a notice's push given up) at "
	    "once.", r->notice ? "push=\"notice\"" : "push=\"delivery\"", 1);
	if (r->notice)
		log_errx("ALERT notice %s: the server of agency %s presented a key not one of its "
		    "profile's delivery.server_pins (pin_mismatch): nothing sent, its push given "
		    "up; put the profile or the server right, then gatewayctl notices retry %s",
		    r->id, r->agency, r->id);
	else
		log_errx("ALERT delivery %s is a dead letter (pin_mismatch): the server of agency "
		    "%s presented a key not one of its profile's delivery.server_pins: nothing "
		    "sent; put the profile or the server right, then gatewayctl deliveries "
		    "retry %s", r->id, r->agency, r->id);
}

/* What a recorded result is counted as in /metrics and said as in the log,
 * once its job has committed. One found stopped (record_job: its row no
 * longer pending) was not made a dead letter by this attempt, whatever its
 * verdict: no ALERT, nothing counted as a dead letter or a pin mismatch;
 * counted outcome "stopped" (or "delivered": the agency took it), and said
 * stopped if its request never went. */
static void
tell(struct delivery *dl, const struct result *r)
{
	const char	*why;

	if (r->notice) {
		if (r->fault == RETRY_FAULT_PIN && r->d.verdict == RETRY_DEAD)
			pin_refused(dl, r);
		metrics_add(dl->gw->metrics, "gateway_notice_pushes_total",
		    "Pushes of notices to recipients by outcome.",
		    r->d.verdict == RETRY_DELIVERED ? "outcome=\"delivered\"" :
		    r->d.verdict == RETRY_SCHEDULED ? "outcome=\"retry\"" :
		    "outcome=\"given_up\"", 1);
		return;
	}
	/* delivered whenever the agency took it, a stopped one stopped. */
	metrics_add(dl->gw->metrics, "gateway_deliveries_total", "Delivery attempts by outcome.",
	    r->d.verdict == RETRY_DELIVERED ? "outcome=\"delivered\"" :
	    r->stopped ? "outcome=\"stopped\"" :
	    r->d.verdict == RETRY_SCHEDULED ? "outcome=\"retry\"" : "outcome=\"dead\"", 1);
	if (r->stopped) {
		if (!r->written && r->status == 0)
			said_stopped("delivery", r->id);
		return;
	}
	if (r->d.verdict == RETRY_DELIVERED || r->d.verdict == RETRY_SCHEDULED)
		return;
	if (r->fault == RETRY_FAULT_PIN)	/* said by pin_refused, an error */
		pin_refused(dl, r);
	metrics_add(dl->gw->metrics, "gateway_delivery_dead_letters_total",
	    "Deliveries given up and left for an operator (alert).", NULL, 1);
	if (r->fault == RETRY_FAULT_PIN)
		return;
	why = r->dead_reason != NULL ? r->dead_reason : r->d.reason;
	/* The retry hint only where a retry can send it. */
	if (strcmp(why, "family_erased") == 0)
		log_warnx("ALERT delivery %s is a dead letter (%s): nothing is left to send",
		    r->id, why);
	else
		log_warnx("ALERT delivery %s is a dead letter (%s): gatewayctl deliveries retry %s",
		    r->id, why, r->id);
}

/* Records every finished attempt in one writer job. 0, or -1 when the job
 * failed: nothing was recorded, and the results are kept to be recorded
 * again (the worker starts nothing new meanwhile: a push the agency took
 * is never sent again only because its receipt could not be written). */
static int
record(struct delivery *dl)
{
	struct batch	b = { .dl = dl, .r = dl->results, .n = dl->nresults };
	size_t		i;

	if (dl->nresults == 0)
		return 0;
	if (writer_submit(dl->gw->writer, record_job, &b) == 0) {
		for (i = 0; i < b.n; i++)
			tell(dl, &b.r[i]);
		dl->nresults = 0;
		return 0;
	}
	log_errx("could not record %zu delivery results; kept, recorded again before anything "
	    "more is sent", b.n);
	return -1;
}

/* Kept by address (metrics_add): one name for every call. */
static const char passes_name[] = "gateway_delivery_passes_total";
static const char passes_help[] = "Passes of the delivery worker: each time it came to look "
    "at its outbox (a timer, a kick) and started what was due, or held it while results "
    "waited to be recorded.";

static void *
worker(void *arg)
{
	struct delivery	*dl = arg;
	int64_t		 now, next_check = 0, wait_ms, backoff_ms = 0, mono;
	int64_t		 record_at = 0;	/* monotonic (monowait_now_us) */
	struct xfer	*x;
	int		 running, kicked, look;

	(void)prctl(PR_SET_NAME, "gw-delivery", 0, 0, 0);	/* in top(1), perf, gdb */

	while (!stopping(dl)) {
		now = store_now_us();
		kicked = take_flag(dl, &dl->kicked);
		look = kicked || now >= next_check;
		/* Nothing new starts while results wait to be recorded. */
		if (look && dl->ninflight < dl->cfg.max_inflight && dl->nresults == 0)
			next_check = fill(dl, now);
		if (curl_multi_perform(dl->multi, &running) != CURLM_OK)
			log_errx("curl_multi_perform failed");
		collect(dl);
		/* Recorded at once: a stop (or a crash) soon after an agency
		 * answered must not lose its receipt. Only a failed record()
		 * puts the next try off, on the monotonic clock: the wall
		 * clock stepped back meanwhile would put it off by the step. */
		if (dl->nresults > 0 && monowait_now_us() >= record_at) {
			if (record(dl) == 0) {
				next_check = 0;		/* slots freed: look again now */
				backoff_ms = 0;
			} else {
				/* The store refuses writes (disk full, I/O error):
				 * try again, less and less often, up to 30 s. */
				backoff_ms = backoff_ms == 0 ? (int64_t)dl->cfg.poll_ms :
				    backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
				record_at = monowait_now_us() + backoff_ms * MS;
			}
		}
		/* A pass done: what it started is in flight (counted by
		 * in_flight_read), what it held is still held. Tests wait on
		 * this count, not on a guess of the worker's pace. */
		if (look)
			metrics_add(dl->gw->metrics, passes_name, passes_help, NULL, 1);
		if (dl->nresults > 0) {
			/* Nothing starts until they are recorded: the next try
			 * is all there is to wait for (and transfers in flight,
			 * which wake the poll). */
			mono = monowait_now_us();
			wait_ms = record_at <= mono ? 0 : (record_at - mono + MS - 1) / MS;
			if (wait_ms > dl->cfg.poll_ms)
				wait_ms = dl->cfg.poll_ms;
			if (wait_ms == 0)
				continue;
		} else {
			now = store_now_us();
			wait_ms = next_check <= now ? 0 : (next_check - now + MS - 1) / MS;
			if (dl->ninflight >= dl->cfg.max_inflight || wait_ms > dl->cfg.poll_ms)
				wait_ms = dl->cfg.poll_ms;
			if (next_check <= now && dl->ninflight < dl->cfg.max_inflight)
				continue;
		}
		if (curl_multi_poll(dl->multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK)
			usleep(1000);
	}
	/* What finished is recorded before the worker goes (one more try if
	 * the store refused until now): each receipt read is kept. */
	if (dl->nresults > 0 && record(dl) == -1)
		log_errx("stopping with %zu delivery results unrecorded: each is sent again "
		    "after the restart, unless the end of its consent stopped it", dl->nresults);
	/* Abandon what is in flight: the rows stay pending, sent after restart. */
	while ((x = dl->inflight) != NULL) {
		dl->inflight = x->next;
		curl_multi_remove_handle(dl->multi, x->easy);
		xfer_free(x);
	}
	dl->ninflight = 0;
	return NULL;
}

static int
readable(const char *path, char *err, size_t errlen, const char *what)
{
	if (path == NULL || access(path, R_OK) == -1) {
		snprintf(err, errlen, "%s %s: %s", what, path != NULL ? path : "(none)",
		    path != NULL ? strerror(errno) : "not configured");
		return -1;
	}
	return 0;
}

/* The three gauges, from one count of the deliveries table per scrape
 * (metrics_gauge_set). */
static const char *const gauge_names[] = { "gateway_delivery_outbox_depth",
    "gateway_delivery_inbox_depth", "gateway_delivery_dead_letters" };
static const char *const gauge_helps[] = {
    "Push deliveries not yet acknowledged by their agency.",
    "Pull deliveries an agency can collect from its inbox now.",
    "Deliveries in the dead-letter state now." };

/* Pushes (deliveries and notices) started and not yet collected: 0 read
 * after a pass means whatever that pass or an earlier one started has its
 * answer (or its fault). */
static double
in_flight_read(void *arg)
{
	struct delivery	*dl = arg;

	return (double)atomic_load(&dl->ninflight);
}

static int
gauges_read(void *arg, double *v)
{
	struct delivery		*dl = arg;
	struct delivery_counts	 k;
	struct store_conn	*c;
	int			 rc;

	if ((c = store_read_begin(dl->gw->store)) == NULL)
		return -1;
	rc = store_delivery_counts(c, &k);
	store_read_end(dl->gw->store, c);
	if (rc != 0)
		return -1;
	v[0] = (double)k.push_pending;
	v[1] = (double)k.pull_pending;
	v[2] = (double)k.dead;
	return 0;
}

#define GONE_LINES	16	/* item ALERT lines per job, all agencies gone */

struct gone_arg {
	struct gateway		*gw;
	struct store_conn	*c;
	int			 total;		/* this agency's dead letters */
	int			 lines;		/* item lines this job wrote */
};

/* One inbox item of an agency gone, now a dead letter: its ledger entries
 * as the worker's (record_job): delivery.dead and alert.delivery_dead,
 * ids and the reason only, and the ALERT line. */
static int
gone_entry(const char *disclosure_id, const char *pseudonym, int reads, void *arg)
{
	struct gone_arg		*a = arg;
	struct ledger_entry	 e = { "system", "system", "delivery.dead", pseudonym,
				    disclosure_id, DELIVERY_AGENCY_UNKNOWN, NULL };

	if (ledger_append(a->gw->ledger, a->c, &e, NULL, NULL) != 0)
		return -1;
	e.action = "alert.delivery_dead";
	if (ledger_append(a->gw->ledger, a->c, &e, NULL, NULL) != 0)
		return -1;
	/* A line each for the first few of the job only, whichever agencies
	 * they were for: the log keeps a bounded number of a batch's lines
	 * (writer_log), and no agency's summary line, written after its
	 * items, may be the one dropped. */
	a->total++;
	if (a->lines++ >= GONE_LINES)
		return 0;
	/* Read but never acknowledged: the agency may hold it (a re-queue
	 * offers it again under the same id, as after any dead letter). */
	if (reads > 0)
		writer_log_warnx("ALERT delivery %s is a dead letter (%s; read %d time(s), never "
		    "acknowledged): gatewayctl deliveries retry %s", disclosure_id,
		    DELIVERY_AGENCY_UNKNOWN, reads, disclosure_id);
	else
		writer_log_warnx("ALERT delivery %s is a dead letter (%s): gatewayctl deliveries "
		    "retry %s", disclosure_id, DELIVERY_AGENCY_UNKNOWN, disclosure_id);
	return 0;
}

/*
 * At start and after each reload: deliveries waiting for an agency follow
 * its profile's delivery mode, so a switch from push to pull (or back)
 * strands nothing (a push row for a pull agency would only die
 * agency_not_push; a pull row for a push agency would wait in an inbox
 * nobody reads). And what waits for an agency the profiles no longer have
 * (its profile removed) is given up as the worker gives up a push to it,
 * a dead letter agency_unknown an operator can re-queue if it comes back
 * (store_deliveries_agency_gone): no certificate maps to its inbox any
 * more, so an item left there would wait for ever, no one told that the
 * referral never arrived. All in this one job, over one profile set.
 */
struct follow_arg {
	struct gateway	*gw;
	int		 dead;		/* out: inbox items made dead letters */
};

static int
follow_modes(struct store_conn *c, void *arg)
{
	struct follow_arg	*f = arg;
	struct gateway		*gw = f->gw;
	const struct profiles	*p = atomic_load(&gw->profiles);	/* one set throughout */
	struct gone_arg		 g = { gw, c, 0, 0 };
	int64_t			 now = store_now_us();
	char			 agency[64] = "";
	size_t			 i;
	int			 n, rc;

	f->dead = 0;		/* a batch that failed runs its jobs again */
	for (i = 0; i < p->n; i++) {
		const struct agency *a = &p->agencies[i];

		if ((n = store_deliveries_follow_mode(c, a->id,
		    a->delivery == DELIVERY_PUSH ? "push" : "pull", now)) < 0)
			return -1;
		if (n > 0)
			writer_log_info("delivery: %d waiting delivery(ies) to %s now go by %s, "
			    "as its profile says", n, a->id,
			    a->delivery == DELIVERY_PUSH ? "push" : "pull");
	}
	while ((rc = store_deliveries_next_pending_agency(c, agency, agency,
	    sizeof(agency))) == 0) {
		if (profiles_find(p, agency) != NULL)
			continue;
		g.total = 0;
		if (store_deliveries_agency_gone(c, agency, now, gone_entry, &g) < 0)
			return -1;
		f->dead += g.total;
		if (g.total > 0)
			writer_log_warnx("ALERT delivery: agency %s is not in the profiles in "
			    "force: %d item(s) of its inbox are dead letters (%s)%s; its pushes "
			    "die so at the worker's next look; gatewayctl deliveries list --state "
			    "dead", agency, g.total, DELIVERY_AGENCY_UNKNOWN,
			    g.lines > GONE_LINES ? ", not all of them named above" : "");
	}
	return rc == 1 ? 0 : -1;
}

/* follow_modes, committed; its dead letters then counted in
 * gateway_delivery_dead_letters_total like the worker's. 0 or -1. */
static int
follow_modes_now(struct gateway *gw)
{
	struct follow_arg	f = { gw, 0 };

	if (writer_submit(gw->writer, follow_modes, &f) != 0)
		return -1;
	if (f.dead > 0)
		metrics_add(gw->metrics, "gateway_delivery_dead_letters_total",
		    "Deliveries given up and left for an operator (alert).", NULL,
		    (double)f.dead);
	return 0;
}

int
delivery_follow_modes(struct delivery *dl)
{
	int	rc = 0;

	if (follow_modes_now(dl->gw) != 0) {
		refollow(dl);		/* the worker tries again */
		rc = -1;
	}
	delivery_kick(dl);
	return rc;
}

int
delivery_check(const struct delivery_config *cfg, char *err, size_t errlen)
{
	/* Each push agency's server CA file is profiles.c's to refuse: a
	 * profile naming one that cannot be read does not load. */
	if (readable(cfg->client_cert, err, errlen, "delivery client certificate") == -1 ||
	    readable(cfg->client_key, err, errlen, "delivery client key") == -1)
		return -1;
	return 0;
}

struct delivery *
delivery_start(struct gateway *gw, struct signer *signer, const struct delivery_config *cfg,
    char *err, size_t errlen)
{
	struct delivery	*dl;

	if (delivery_check(cfg, err, errlen) == -1)
		return NULL;
	if (retry_policy_check(&cfg->policy) == -1 || cfg->max_inflight == 0 ||
	    cfg->poll_ms == 0 || cfg->timeout_ms == 0 || cfg->connect_timeout_ms == 0) {
		snprintf(err, errlen, "delivery: invalid retry policy or limits");
		return NULL;
	}
	if (follow_modes_now(gw) != 0) {
		snprintf(err, errlen, "delivery: cannot bring waiting deliveries in line with the "
		    "profiles' delivery modes");
		return NULL;
	}
	if ((dl = calloc(1, sizeof(*dl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {	/* reference-counted */
		snprintf(err, errlen, "delivery: cannot initialise libcurl");
		free(dl);
		return NULL;
	}
	dl->curl_global = 1;
	dl->gw = gw;
	dl->signer = signer;
	dl->cfg = *cfg;
	snprintf(dl->keyid_hdr, sizeof(dl->keyid_hdr), "X-Gateway-Key-Id: %s",
	    signer_fingerprint(signer));
	pthread_mutex_init(&dl->lock, NULL);
	dl->nrows = (int)cfg->max_inflight * 2;
	if ((dl->rows = calloc((size_t)dl->nrows, sizeof(*dl->rows))) == NULL ||
	    (dl->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "delivery: cannot initialise libcurl");
		delivery_stop(dl);
		return NULL;
	}
	(void)curl_multi_setopt(dl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)cfg->max_inflight);
	if (pthread_create(&dl->thread, NULL, worker, dl) != 0) {
		snprintf(err, errlen, "delivery: cannot start the worker thread");
		delivery_stop(dl);
		return NULL;
	}
	dl->started = 1;
	metrics_gauge_set(gw->metrics, 3, gauge_names, gauge_helps, gauges_read, dl);
	metrics_gauge(gw->metrics, "gateway_delivery_in_flight",
	    "Pushes (deliveries and notices) sent and not yet answered.", in_flight_read, dl);
	metrics_add(gw->metrics, passes_name, passes_help, NULL, 0);	/* 0 until the first */
	return dl;
}

void
delivery_kick(struct delivery *dl)
{
	if (dl == NULL)
		return;
	pthread_mutex_lock(&dl->lock);
	dl->kicked = 1;
	pthread_mutex_unlock(&dl->lock);
	(void)curl_multi_wakeup(dl->multi);
}

void
delivery_stop(struct delivery *dl)
{
	if (dl == NULL)
		return;
	if (dl->started) {
		pthread_mutex_lock(&dl->lock);
		dl->stopping = 1;
		pthread_mutex_unlock(&dl->lock);
		(void)curl_multi_wakeup(dl->multi);
		pthread_join(dl->thread, NULL);
	}
	if (dl->multi != NULL)
		curl_multi_cleanup(dl->multi);
	if (dl->curl_global)
		curl_global_cleanup();
	pthread_mutex_destroy(&dl->lock);
	free(dl->rows);
	free(dl->results);
	free(dl);
}
