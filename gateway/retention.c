/*
 * retention.c: the retention sweep and erasure on request (retention.h).
 *
 * A sweep reads every family with a live key and its retention anchors on
 * a read connection, judges each with retention_verdict(), and destroys
 * the keys of those past retention in writer jobs of up to SWEEP_BATCH
 * families. Each job judges its families again on the write connection
 * (a disclosure may have arrived since) and judges what stands in the way
 * (store_erasure_obstacles(), erasure_verdict(): a legal hold, or a
 * safeguarding obligation still being met, as erasure on request does),
 * and checks each police or court request about the family against its
 * ledger entries (requests_as_signed: one not as signed keeps the family,
 * and so does one the ledger signed as filed about it whose row is gone
 * from it) before vault_destroy(); each destruction leaves a family_erasures mark
 * and a "family.expired" ledger entry with the family's pseudonym only.
 * After a batch that destroyed anything the write-ahead log is truncated,
 * so no page image still holding a wrapped key survives there; while a
 * reader stops that, the truncation is pending and retried (below).
 * Erasure on request judges the same obstacles in its own job and is held
 * by each police or court request about the family as its ledger entries
 * signed it (requests_hold_erasure), not as its row says. Both are held by
 * a litigation hold as its entries signed it too (legal_hold_signed.h): a
 * placement with no trustee's signed release, whatever its row says.
 *
 * Who sweeps: the daemon, in its own thread, at start-up and then every
 * interval; and `gatewayctl retention run`, only while no daemon runs on
 * the data directory (the ledger's tree and signed checkpoints belong to
 * one process at a time: a second appender would fork the tree), which
 * the data-directory lock (datalock.h) enforces.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "consent_api.h"
#include "erasure_journal.h"
#include "gateway.h"
#include "idempotency.h"
#include "ledger.h"
#include "legal_hold_signed.h"
#include "log.h"
#include "metrics.h"
#include "monowait.h"
#include "principal.h"
#include "profiles.h"
#include "recipient_notice.h"
#include "request_signed.h"
#include "retention.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

#define SWEEP_BATCH	64

static const struct principal system_actor = { .role = ROLE_NONE, .id = "system" };

/* Families the last sweep kept because a record's interest is in no
 * profile (gateway_retention_unknown_families). */
static atomic_llong last_unknown;

/*
 * The write-ahead log purge. After a key is destroyed the log is truncated
 * (store_wal_truncate), so that no page image still holding the wrapped
 * key survives there. A reader holding a snapshot (a backup, an operator's
 * sqlite3 shell, a long read) makes that fail after 250 ms: the purge is
 * then pending, shown in /metrics (gateway_wal_purge_pending) and the log,
 * and the retention thread retries with backoff (PURGE_FIRST_MS doubling
 * to PURGE_CAP_MS) until it succeeds, whether or not sweeps are on.
 * An attempt holds writers back while it waits (a TRUNCATE checkpoint
 * blocks them): the backoff keeps that to a few 250 ms stalls a minute at
 * most. purge.lock serialises truncations, so that "pending" is always
 * the outcome of the latest one, which began after every destruction
 * whose purge_wal() has returned.
 */
#define PURGE_FIRST_MS	1000
#define PURGE_CAP_MS	60000
#define PURGE_NAG_S	600	/* a purge still pending is logged again this often */

static struct {
	pthread_mutex_t	lock;
	atomic_int	pending;
	int64_t		since_us;	/* when it became pending */
	int64_t		logged_us;	/* when that was last logged */
	int64_t		attempts;	/* failed since then */
} purge = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void	sweeper_kick(void);

/* Truncates the log. 0 done; 1 still pending (the retention thread, when
 * it runs, retries; gatewayctl calls retention_purge_wait()). */
static int
purge_wal(struct gateway *gw)
{
	const char	*why;
	int64_t		 now;
	int		 rc, was;

	pthread_mutex_lock(&purge.lock);
	rc = store_wal_truncate(gw->store);
	why = rc == 1 ? "a reader holds it" : "an error, logged above";
	rc = rc != 0;
	now = store_now_us();
	was = atomic_load(&purge.pending);
	if (!rc && was) {
		log_info("write-ahead log truncated after %lld failed attempts over %lld s: "
		    "destroyed keys' bytes are gone from it", (long long)purge.attempts,
		    (long long)((now - purge.since_us) / 1000000));
	} else if (rc && !was) {
		purge.since_us = purge.logged_us = now;
		purge.attempts = 1;
		log_warnx("write-ahead log not truncated (%s): destroyed keys' bytes may "
		    "remain in it until it is; retrying", why);
	} else if (rc) {
		purge.attempts++;
		/* Each retry refused, for --verbose (a test waits for one). */
		log_debug("write-ahead log not truncated on attempt %lld (%s)",
		    (long long)purge.attempts, why);
		if (now - purge.logged_us >= (int64_t)PURGE_NAG_S * 1000000) {
			purge.logged_us = now;
			log_warnx("write-ahead log still not truncated after %lld attempts over "
			    "%lld s (%s)", (long long)purge.attempts,
			    (long long)((now - purge.since_us) / 1000000), why);
		}
	}
	atomic_store(&purge.pending, rc);
	pthread_mutex_unlock(&purge.lock);
	if (rc)
		sweeper_kick();
	return rc;
}

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* max_s on the monotonic clock: a step of the wall clock neither cuts the
 * wait short nor draws it out. */
int
retention_purge_wait(struct gateway *gw, unsigned max_s)
{
	int64_t		deadline = mono_ms() + (int64_t)max_s * 1000;
	int64_t		wait_ms = PURGE_FIRST_MS, left_ms;

	while (purge_wal(gw) != 0) {
		struct timespec	ts;

		if ((left_ms = deadline - mono_ms()) <= 0)
			return -1;
		if (wait_ms > left_ms)
			wait_ms = left_ms;
		ts.tv_sec = (time_t)(wait_ms / 1000);
		ts.tv_nsec = (long)(wait_ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
		wait_ms = wait_ms * 2 > PURGE_CAP_MS ? PURGE_CAP_MS : wait_ms * 2;
	}
	return 0;
}

/* The profiles' retention for an agency's interest; for purpose "*" (a
 * police or court request, which has a legal basis instead of a purpose)
 * the agency's longest. -1 when unknown. */
static int
profile_days(void *arg, const char *agency_id, const char *purpose)
{
	const struct profiles	*p = arg;
	const struct agency	*ag;
	const struct interest	*in;
	size_t			 i;
	int			 days = -1;

	if ((ag = profiles_find(p, agency_id)) == NULL)
		return -1;
	if (strcmp(purpose, "*") == 0) {
		for (i = 0; i < ag->ninterests; i++)
			if (ag->interests[i].retention_days > days)
				days = ag->interests[i].retention_days;
		return days >= 1 ? days : -1;
	}
	if ((in = agency_interest(ag, purpose)) == NULL || in->retention_days < 1)
		return -1;
	return in->retention_days;
}

/* ---- the sweep ---- */

/* The periods of gw's profiles and configuration. */
static struct retention_periods
periods_of(struct gateway *gw)
{
	return (struct retention_periods){ .days = profile_days, .arg = (void *)gw->profiles,
	    .refusal_days = (int)gw->cfg.refusal_retention_days };
}

struct candidates {
	struct retention_periods periods;
	int64_t			 as_of_us;
	struct retention_summary *sum;
	char			(*v)[65];
	size_t			 n, cap;
};

static int
collect_cb(const char *pseudonym, const struct retention_anchor *a, size_t n, void *arg)
{
	struct candidates	*c = arg;
	enum retention_verdict	 v;

	c->sum->families++;
	v = retention_verdict(a, n, &c->periods, c->as_of_us, NULL);
	if (v == RETENTION_UNKNOWN)
		c->sum->unknown++;
	if (v != RETENTION_EXPIRED)
		return 0;
	if (c->n == c->cap) {
		size_t	ncap = c->cap ? 2 * c->cap : 64;
		void	*nv = realloc(c->v, ncap * sizeof(*c->v));

		if (nv == NULL)
			return -1;
		c->v = nv;
		c->cap = ncap;
	}
	memcpy(c->v[c->n++], pseudonym, 65);
	return 0;
}

struct hold_end {
	struct gateway		*gw;
	struct store_conn	*c;
	const struct erasure_row *r;
};

/* A held notification of the family ended: its ledger entry, as the
 * notifier's for one it finds erased, under the system's name (the
 * erasure's actor is on its family.erased entry): a witness statement
 * takes a notice's end only from the system (statement.c check_notice),
 * and a restored copy's request still approved must not read as tampered
 * with once the journal makes the erasure again. */
static int
hold_ended(const char *id, void *arg)
{
	struct hold_end		*h = arg;
	struct ledger_entry	 e = { "system", "system", "notification.failed",
				    h->r->family_pseudonym, id, "family_erased", NULL };

	return ledger_append(h->gw->ledger, h->c, &e, NULL, NULL);
}

/* A delivery that waited for the family's notice stopped: its ledger
 * entry, as a consent's end writes for the deliveries it stops (ids and a
 * code only). */
static int
awaiting_stopped(const char *id, void *arg)
{
	struct hold_end		*h = arg;
	struct ledger_entry	 e = { h->r->actor, h->r->actor_role, "delivery.stopped",
				    h->r->family_pseudonym, id, DELIVERY_FAMILY_ERASED, NULL };

	writer_log_info("delivery %s stopped: the family's records went before its "
	    "notice", id);
	return ledger_append(h->gw->ledger, h->c, &e, NULL, NULL);
}

/* One family's destruction inside a writer job: the mark, the ledger
 * entry, the key, its held notifications ended (nobody is left to tell:
 * they would stay held, and counted overdue, for ever), and the deliveries
 * still waiting for its notice stopped (the family can no longer be told
 * first, so the agency is never to have them: released, a pull would list
 * the disclosure and a push would die family_erased with an alert). 0
 * destroyed, 2 already gone, -1 error. */
static int
destroy_family(struct gateway *gw, struct store_conn *c, const char *pseudonym,
    const struct principal *who, const char *kind, const char *ground,
    const unsigned char *reason_digest, int64_t now_us, int64_t as_of_us, int64_t *seq)
{
	struct erasure_row	 r;
	struct ledger_entry	 e;
	int			 rc;

	if ((rc = vault_destroy(gw->vault, c, pseudonym, now_us)) != 0)
		return rc == 1 ? 2 : -1;
	memset(&r, 0, sizeof(r));
	snprintf(r.family_pseudonym, sizeof(r.family_pseudonym), "%s", pseudonym);
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	r.at_us = now_us;
	snprintf(r.actor, sizeof(r.actor), "%s", who->id);
	snprintf(r.actor_role, sizeof(r.actor_role), "%s",
	    who->role == ROLE_NONE ? "system" : role_name(who->role));
	snprintf(r.ground, sizeof(r.ground), "%s", ground);
	r.as_of_us = as_of_us;
	if (reason_digest != NULL) {
		memcpy(r.reason_digest, reason_digest, 32);
		r.has_reason = 1;
	}
	if (store_erasure_digest(&r, r.record_digest) == -1)
		return -1;
	e = (struct ledger_entry){ .actor = r.actor, .actor_role = r.actor_role,
	    .action = strcmp(kind, "expired") == 0 ? "family.expired" : "family.erased",
	    .family_pseudonym = pseudonym, .object_id = NULL, .reason = ground,
	    .record_digest = r.record_digest };
	if (ledger_append(gw->ledger, c, &e, &r.ledger_seq, NULL) == -1 ||
	    store_erasure_insert(c, &r) == -1 ||
	    store_holds_end_for_family(c, pseudonym, hold_ended,
	    &(struct hold_end){ gw, c, &r }) == -1 ||
	    store_deliveries_stop_awaiting_notice(c, pseudonym, now_us, awaiting_stopped,
	    &(struct hold_end){ gw, c, &r }) == -1)
		return -1;
	if (seq != NULL)
		*seq = r.ledger_seq;
	return 0;
}

struct recheck {
	struct retention_periods periods;
	int64_t			 as_of_us;
	enum retention_verdict	 v;
	int			 seen;
};

static int
recheck_cb(const char *pseudonym, const struct retention_anchor *a, size_t n, void *arg)
{
	struct recheck	*r = arg;

	(void)pseudonym;
	r->seen = 1;
	r->v = retention_verdict(a, n, &r->periods, r->as_of_us, NULL);
	return 0;
}

/*
 * Whether every police or court request about the family is what its
 * ledger entries signed (request_signed.h), asked of a family about to
 * expire only, on the writer's connection in the job that would destroy
 * its key. Its anchor (COALESCE(closed_us, decided_us, created_us)) and its
 * state (open: a legal hold) are read from the row by the queries above: a
 * row edited by someone who can write the database but holds no key (an
 * approval's or a closure's time moved back, an approved request set to
 * refused) could otherwise bring the family's expiry forward, and a row
 * deleted or moved to another family takes both away. So each row of the
 * family is checked (request_signed), and then each request the ledger
 * signed as filed about it must still have its row there
 * (request_filings_signed: one indexed read of the family's entries). Only
 * signed facts let a family go: a request that differs or has no row, or
 * that cannot be checked now (an entry not in the tree yet, a read that
 * failed), keeps it, as a hold does, until a sweep finds its row as signed
 * again. Logged with the request's id (and the check's, its entry's seq)
 * only. 0 all as signed; 1 kept; -1 error.
 */
struct family_requests {
	struct gateway		*gw;
	struct store_conn	*c;
	int			 kept;
};

/* Request id's check gave rc (1 not as signed, -1 not checked now): the
 * family is kept. */
static int
kept_for(const char *id, int rc, void *arg)
{
	struct family_requests	*f = arg;

	if (rc == 1)
		log_errx("retention: request %s is not what its ledger entries signed: "
		    "its family is kept (counted unverified) until its row is put back", id);
	else
		log_errx("retention: request %s could not be checked against its ledger "
		    "entries now: its family is kept (counted unverified) until the next sweep",
		    id);
	f->kept = 1;
	return 1;	/* one is enough to keep the family */
}

static int
request_as_signed(const struct request_row *rq, void *arg)
{
	struct family_requests	*f = arg;
	int			 rc;

	if ((rc = request_signed(f->gw->ledger, f->c, rq, NULL, 0)) == 0)
		return 0;
	return kept_for(rq->id, rc, f);
}

static int
requests_as_signed(struct gateway *gw, struct store_conn *c, const char *pseudonym)
{
	struct family_requests	f = { .gw = gw, .c = c };

	if (store_requests_of_family(c, pseudonym, request_as_signed, &f) != 0 ||
	    (!f.kept && request_filings_signed(gw->ledger, c, pseudonym, kept_for, &f) != 0))
		return -1;
	return f.kept;
}

struct batch_job {
	struct gateway		 *gw;
	char			(*v)[65];
	size_t			  n;
	int64_t			  as_of_us;
	int64_t			  expired, held, unverified;
};

static int
batch_job(struct store_conn *c, void *arg)
{
	struct batch_job	*j = arg;
	int64_t			 now = store_now_us();
	size_t			 i;
	int			 rc;

	j->expired = j->held = j->unverified = 0;
	for (i = 0; i < j->n; i++) {
		struct recheck		r = { .periods = periods_of(j->gw),
					    .as_of_us = j->as_of_us };
		struct erasure_obstacles o;

		if (store_retention_family(c, j->v[i], recheck_cb, &r) != 0)
			return -1;
		if (!r.seen || r.v != RETENTION_EXPIRED)
			continue;	/* erased meanwhile, or a new record */
		if ((rc = requests_as_signed(j->gw, c, j->v[i])) == -1)
			return -1;
		if (rc == 1) {
			j->unverified++;
			continue;
		}
		if (store_erasure_obstacles(c, j->v[i], now, &o) == -1 ||
		    (rc = legal_hold_signed_held(j->gw->ledger, c, j->v[i])) == -1)
			return -1;
		o.legal_hold |= rc;	/* a litigation hold as signed */
		if (erasure_verdict(&o) != ERASURE_ALLOWED) {
			j->held++;
			continue;
		}
		rc = destroy_family(j->gw, c, j->v[i], &system_actor, "expired", "retention",
		    NULL, now, j->as_of_us, NULL);
		if (rc == -1)
			return -1;
		if (rc == 0)
			j->expired++;
	}
	return 0;
}

struct sweep_note_job {
	struct gateway			*gw;
	const struct retention_summary	*sum;
	int64_t				 as_of_us;
	const char			*via;
};

static int
sweep_note_job(struct store_conn *c, void *arg)
{
	struct sweep_note_job	*j = arg;
	struct ledger_entry	 e;
	char			 reason[200], t[32];
	int			 n;

	n = snprintf(reason, sizeof(reason), "via=%s as_of=%s families=%lld expired=%lld held=%lld "
	    "unknown=%lld refusal_days=%u", j->via, store_time_fmt(j->as_of_us, t),
	    (long long)j->sum->families, (long long)j->sum->expired, (long long)j->sum->held,
	    (long long)j->sum->unknown, j->gw->cfg.refusal_retention_days);
	/* Families kept for a request not as signed: named only when there
	 * are any, so that a sweep's entry reads as it always has otherwise. */
	if (j->sum->unverified > 0 && n > 0 && (size_t)n < sizeof(reason))
		snprintf(reason + n, sizeof(reason) - (size_t)n, " unverified=%lld",
		    (long long)j->sum->unverified);
	e = (struct ledger_entry){ .actor = "system", .actor_role = "system",
	    .action = "retention.sweep", .reason = reason };
	return ledger_append(j->gw->ledger, c, &e, NULL, NULL);
}

/*
 * Consents recorded before consents had a longest life (gateway.h
 * CONSENT_MAX_DAYS) and still live without an expiry are given one, granted
 * + the longest life, with a "consent.limited" ledger entry each: a consent
 * nobody revisits no longer keeps its family identifiable for good. Rounds
 * of LIMIT_BATCH consents, one writer job each; a consent so old that its
 * new expiry has passed ends at once, and the sweep that follows measures
 * its retention from then.
 */
#define LIMIT_BATCH	64

struct limit_job {
	struct gateway	*gw;
	int		 done;		/* fewer than a full round were left */
	long long	 limited;
};

static int
limit_job(struct store_conn *c, void *arg)
{
	struct limit_job	*j = arg;
	struct consent_row	 rows[LIMIT_BATCH];
	struct ledger_entry	 e;
	char			 reason[96], t[32];
	int64_t			 until;
	int			 n, i, rc;

	if ((n = store_consents_open_ended(c, rows, LIMIT_BATCH)) < 0)
		return -1;
	j->done = n < LIMIT_BATCH;
	for (i = 0; i < n; i++) {
		until = rows[i].granted_us + (int64_t)j->gw->cfg.consent_max_days * RETENTION_DAY_US;
		if ((rc = store_consent_set_expiry(c, rows[i].id, until)) == -1)
			return -1;
		if (rc == 1)
			continue;
		snprintf(reason, sizeof(reason), "expires_at=%s limit_days=%u",
		    store_time_fmt(until, t), j->gw->cfg.consent_max_days);
		e = (struct ledger_entry){ .actor = "system", .actor_role = "system",
		    .action = "consent.limited", .family_pseudonym = rows[i].family_pseudonym,
		    .object_id = rows[i].id, .reason = reason };
		if (ledger_append(j->gw->ledger, c, &e, NULL, NULL) != 0)
			return -1;
		j->limited++;
	}
	return 0;
}

int
retention_limit_consents(struct gateway *gw)
{
	struct limit_job	j = { .gw = gw };

	do {
		if (writer_submit(gw->writer, limit_job, &j) != 0)
			return -1;
	} while (!j.done);
	if (j.limited > 0)
		log_info("retention: %lld consents without an expiry now end %u days after they "
		    "were given", j.limited, gw->cfg.consent_max_days);
	return 0;
}

/* The Idempotency-Key rows past their window (idempotency.h): ids of
 * nothing personal, but kept no longer than a retry needs them. */
struct idem_purge_job {
	int64_t	before_us;
	int64_t	deleted;
};

static int
idem_purge_job(struct store_conn *c, void *arg)
{
	struct idem_purge_job	*j = arg;

	return (j->deleted = store_idempotency_purge(c, j->before_us)) < 0 ? -1 : 0;
}

int
retention_sweep(struct gateway *gw, int64_t as_of_us, const char *via,
    struct retention_summary *sum)
{
	struct candidates	 cand = { .periods = periods_of(gw), .as_of_us = as_of_us,
				    .sum = sum };
	struct sweep_note_job	 note = { .gw = gw, .sum = sum, .as_of_us = as_of_us, .via = via };
	struct store_conn	*c;
	size_t			 i;
	int			 rc = 0;

	memset(sum, 0, sizeof(*sum));
	if (retention_limit_consents(gw) == -1) {
		log_errx("retention sweep failed: consents without an expiry could not be limited");
		return -1;
	}
	if ((c = store_read_begin(gw->store)) == NULL)
		return -1;
	rc = store_retention_families(c, collect_cb, &cand);
	store_read_end(gw->store, c);
	for (i = 0; rc == 0 && i < cand.n; i += SWEEP_BATCH) {
		struct batch_job j = { .gw = gw, .v = cand.v + i, .as_of_us = as_of_us,
		    .n = cand.n - i < SWEEP_BATCH ? cand.n - i : SWEEP_BATCH };

		if (writer_submit(gw->writer, batch_job, &j) != 0) {
			rc = -1;
			break;
		}
		sum->expired += j.expired;
		sum->held += j.held;
		sum->unverified += j.unverified;
	}
	free(cand.v);
	if (rc == 0) {
		struct idem_purge_job ip = { .before_us = store_now_us() - IDEM_WINDOW_US };

		if (writer_submit(gw->writer, idem_purge_job, &ip) != 0)
			rc = -1;
		sum->idempotency_keys = ip.deleted;
	}
	if (sum->expired > 0 || atomic_load(&purge.pending))
		(void)purge_wal(gw);	/* pending: the thread (or the caller) retries */
	if (rc == 0)
		rc = writer_submit(gw->writer, sweep_note_job, &note) == 0 ? 0 : -1;
	if (rc == 0) {
		atomic_store(&last_unknown, sum->unknown);
		log_info("retention sweep: %lld families, %lld expired, %lld held, %lld unknown "
		    "interest, %lld unverified request; %lld idempotency keys past %lld h deleted",
		    (long long)sum->families, (long long)sum->expired, (long long)sum->held,
		    (long long)sum->unknown, (long long)sum->unverified,
		    (long long)sum->idempotency_keys, IDEM_WINDOW_US / 3600000000LL);
		if (sum->unverified > 0)
			log_errx("retention: %lld families past retention were kept: a police or "
			    "court request about each is not what its ledger entries signed (a row "
			    "edited, deleted or moved in the database?) or could not be checked now; "
			    "the request ids are logged above", (long long)sum->unverified);
		if (sum->unknown > 0)
			log_warnx("retention: %lld families are kept for good: a consent, police or "
			    "court request, or allowed disclosure names an agency interest no profile "
			    "has now (a profile or interest removed?); they expire only once a "
			    "profile gives it a retention again", (long long)sum->unknown);
	} else
		log_errx("retention sweep failed (what was committed is recorded)");
	return rc;
}

/* ---- erasure on request ---- */

struct erase_job {
	struct gateway		*gw;
	const char		*pseudonym;
	const struct principal	*who;
	const char		*ground;
	const unsigned char	*reason_digest;
	int			 outcome;
	int64_t			 seq;
	int			 notices;	/* recipients told (recipient_notice.h) */
};

/*
 * Whether a police or court request about the family holds its erasure on
 * request by what its ledger entries signed (request_signed.h), checked in
 * the writer job that would destroy the key. store_legal_hold_active()
 * reads the request's state and its legal_holds row, neither signed: set
 * to refused or closed (its hold released to match) by someone who can
 * write the database but holds no key, an open request would otherwise let
 * the erasure through and destroy what a court asked for. A request whose
 * row is as signed holds while its state is open (awaiting_approval,
 * approved: migration 040); one that is not as signed holds too (fail
 * safe, as the sweep keeps its family), and so does one the ledger signed
 * as filed about the family that has no row of it now (deleted, or moved
 * to another family: request_filings_signed), logged with its id (and the
 * check's, its entry's seq) only. 0 none holds; 1 one does; -1 a check
 * could not be made (nothing is erased).
 */
struct erase_requests {
	struct gateway		*gw;
	struct store_conn	*c;
	int			 held;
};

/* Request id's check gave rc (1 not as signed: it holds; -1 not checked
 * now: nothing is erased). */
static int
held_by(const char *id, int rc, void *arg)
{
	struct erase_requests	*f = arg;

	if (rc == -1) {
		log_errx("erasure: request %s could not be checked against its ledger entries "
		    "now: nothing is erased", id);
		return -1;
	}
	log_errx("erasure: request %s is not what its ledger entries signed: the "
	    "family's erasure is refused (legal_hold) until its row is put back", id);
	f->held = 1;
	return 0;	/* each one, so that every forged row is logged */
}

static int
request_holds_erasure(const struct request_row *rq, void *arg)
{
	struct erase_requests	*f = arg;
	int			 rc;

	if ((rc = request_signed(f->gw->ledger, f->c, rq, NULL, 0)) != 0)
		return held_by(rq->id, rc, f);
	if (strcmp(rq->state, "awaiting_approval") == 0 || strcmp(rq->state, "approved") == 0)
		f->held = 1;
	return 0;
}

static int
requests_hold_erasure(struct gateway *gw, struct store_conn *c, const char *pseudonym)
{
	struct erase_requests	f = { .gw = gw, .c = c };

	if (store_requests_of_family(c, pseudonym, request_holds_erasure, &f) != 0 ||
	    request_filings_signed(gw->ledger, c, pseudonym, held_by, &f) != 0)
		return -1;
	return f.held;
}

static int
erase_job(struct store_conn *c, void *arg)
{
	struct erase_job	*j = arg;
	struct erasure_obstacles o;
	struct ledger_entry	 e;
	enum erasure_verdict	 v;
	int64_t			 now = store_now_us();
	int			 rc;

	if ((rc = store_family_key_state(c, j->pseudonym)) <= 0) {
		j->outcome = rc == 0 ? 1 : -1;
		return -1;
	}
	if (rc == 2) {
		j->outcome = 2;
		return -1;
	}
	if (store_erasure_obstacles(c, j->pseudonym, store_now_us(), &o) == -1 ||
	    (rc = requests_hold_erasure(j->gw, c, j->pseudonym)) == -1) {
		j->outcome = -1;
		return -1;
	}
	o.legal_hold |= rc;	/* a request's signed state, or its row forged */
	/* A litigation hold by its signed entries: a row released or deleted
	 * without a trustee's signed release does not let the erasure through. */
	if ((rc = legal_hold_signed_held(j->gw->ledger, c, j->pseudonym)) == -1) {
		j->outcome = -1;
		return -1;
	}
	o.legal_hold |= rc;
	if ((v = erasure_verdict(&o)) != ERASURE_ALLOWED) {
		/* Refused: recorded (committed), nothing destroyed. The code
		 * only: not which hold, not which disclosure. */
		e = (struct ledger_entry){ .actor = j->who->id,
		    .actor_role = role_name(j->who->role), .action = "family.erasure_refused",
		    .family_pseudonym = j->pseudonym, .reason = erasure_verdict_code(v) };
		if (ledger_append(j->gw->ledger, c, &e, NULL, NULL) == -1) {
			j->outcome = -1;
			return -1;
		}
		j->outcome = v == ERASURE_LEGAL_HOLD ? 3 : 4;
		return 0;
	}
	rc = destroy_family(j->gw, c, j->pseudonym, j->who, "erased", j->ground,
	    j->reason_digest, now, now, &j->seq);
	/* Art 19: every agency that may hold the family's data is told. */
	if (rc == 0 && (j->notices = recipient_notices_make(j->gw, c, NOTICE_FAMILY_ERASED,
	    j->pseudonym, NULL, NULL, NULL, j->who, now)) < 0)
		rc = -1;
	j->outcome = rc;
	return rc == 0 ? 0 : -1;
}

int
retention_erase(struct gateway *gw, const char *pseudonym, const struct principal *who,
    const char *ground, const unsigned char reason_digest[32], int64_t *seq,
    int *purge_pending, int *recipients)
{
	struct erase_job	j = { .gw = gw, .pseudonym = pseudonym, .who = who,
				    .ground = ground, .reason_digest = reason_digest, .outcome = -1 };
	int			pending, rc;

	/* A refusal (3, 4) commits its ledger entry: a failed commit is a
	 * failure (nothing recorded; asked again, it is). A lost batch says
	 * nothing either: "erased already" may be another erasure of the
	 * same batch, rolled back with it (writer.h). */
	if ((rc = writer_submit(gw->writer, erase_job, &j)) != 0)
		return rc == WRITER_LOST || j.outcome == 0 || j.outcome >= 3 ? -1 : j.outcome;
	if (j.outcome != 0)
		return j.outcome;	/* refused, and recorded */
	pending = purge_wal(gw);
	if (seq != NULL)
		*seq = j.seq;
	if (purge_pending != NULL)
		*purge_pending = pending;
	if (recipients != NULL)
		*recipients = j.notices;
	return 0;
}

/* ---- the erasure journal, after a restore ---- */

struct reapply_job {
	struct gateway	*gw;
	const char	*pseudonym;
	const char	*ground;
	int		 done;
};

static const struct principal journal_actor = { .role = ROLE_NONE,
	.id = "system:erasure_journal" };

static int
reapply_job(struct store_conn *c, void *arg)
{
	struct reapply_job	*j = arg;
	int64_t			 now = store_now_us();
	int			 rc;

	j->done = 0;
	if ((rc = store_family_key_state(c, j->pseudonym)) != 1)
		return rc == -1 ? -1 : 0;	/* gone already, or never here */
	if ((rc = destroy_family(j->gw, c, j->pseudonym, &journal_actor, "erased", j->ground,
	    NULL, now, now, NULL)) == -1)
		return -1;
	/* The notices the lost database made went with it: made again (an
	 * agency that acknowledged one there is told twice, not never). */
	if (rc == 0 && recipient_notices_make(j->gw, c, NOTICE_FAMILY_ERASED, j->pseudonym,
	    NULL, NULL, NULL, &journal_actor, now) < 0)
		return -1;
	j->done = rc == 0;
	return 0;
}

/* A withdrawal journaled after the copy was made: the consent, if this
 * copy holds it and it is live here, is withdrawn at its original time, as
 * POST /v1/consents/{id}/withdraw does (consent_withdraw_in: the same
 * ledger entry and stopped deliveries), actor "system:erasure_journal".
 * One the copy does not hold was recorded after it: nothing to do. */
struct rewithdraw_job {
	struct gateway		*gw;
	const struct journal_line *l;
	int			 done;
};

static int
rewithdraw_job(struct store_conn *c, void *arg)
{
	struct rewithdraw_job		*j = arg;
	struct consent_withdrawal	 w = { .gw = j->gw, .who = &journal_actor,
					    .id = j->l->consent_id, .when_us = j->l->at_us };
	struct consent_row		 row;
	int				 rc;

	j->done = 0;
	if ((rc = store_consent_get(c, j->l->consent_id, &row)) != 0)
		return rc == -1 ? -1 : 0;	/* recorded after the copy was made */
	if (row.withdrawn_us != 0)
		return 0;			/* withdrawn here already */
	if (consent_withdraw_in(c, &w) != 0)
		return -1;
	j->done = 1;
	return 0;
}

struct reapply_walk {
	struct gateway	*gw;
	long long	 n, withdrawn;
};

static int
reapply_cb(const struct journal_line *l, void *arg)
{
	struct reapply_walk	*w = arg;
	struct reapply_job	 j = { .gw = w->gw, .pseudonym = l->pseudonym,
				    .ground = l->ground };
	struct rewithdraw_job	 wj = { .gw = w->gw, .l = l };

	if (l->kind == JOURNAL_WITHDRAWAL) {
		if (writer_submit(w->gw->writer, rewithdraw_job, &wj) != 0)
			return -1;
		w->withdrawn += wj.done;
		return 0;
	}
	if (writer_submit(w->gw->writer, reapply_job, &j) != 0)
		return -1;
	w->n += j.done;
	return 0;
}

int
retention_reapply_journal(struct gateway *gw, const char *path, long long *reapplied,
    char *err, size_t errlen)
{
	struct reapply_walk	w = { .gw = gw };
	int			torn = 0, rc;

	*reapplied = 0;
	if (errlen > 0)
		err[0] = '\0';
	rc = erasure_journal_walk(path, reapply_cb, &w, &torn, err, errlen);
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errlen, "erasure journal %s: an erasure or withdrawal could not be "
		    "made again", path);
	if (torn)
		log_warnx("erasure journal %s: its last line was cut short (a crash while it was "
		    "written) and is skipped (and cut off before the next line is appended)", path);
	*reapplied = w.n + w.withdrawn;
	if (w.withdrawn > 0)
		log_warnx("erasure journal: %lld consent withdrawals made since this database was "
		    "copied were made again", w.withdrawn);
	if (w.n > 0) {
		log_warnx("erasure journal: %lld erasures made since this database was copied were "
		    "made again", w.n);
		(void)purge_wal(gw);
	}
	return rc == 0 ? 0 : -1;
}

/* ---- the erasure journal, after a crash ---- */

/* What the journal holds, by kind: one walk of it for both. */
struct journal_held {
	struct erasure_journal_set	erased;		/* pseudonyms */
	struct erasure_journal_set	withdrawn;	/* consent ids */
};

static int
journal_held_cb(const struct journal_line *l, void *arg)
{
	struct journal_held	*h = arg;

	return l->kind == JOURNAL_WITHDRAWAL ?
	    erasure_journal_set_add_consent(&h->withdrawn, l->consent_id) :
	    erasure_journal_set_add(&h->erased, l->pseudonym);
}

struct complete_walk {
	const struct erasure_journal_set	*held;
	const char				*path;
	long long				 n;
	char					*err;
	size_t					 errlen;
};

static int
complete_cb(const struct erasure_row *r, void *arg)
{
	struct complete_walk	*w = arg;

	if (erasure_journal_set_holds(w->held, r->family_pseudonym))
		return 0;
	if (erasure_journal_append(w->path, r->family_pseudonym, r->at_us, r->ground,
	    r->ledger_seq, w->err, w->errlen) != 0)
		return -1;
	w->n++;
	return 0;
}

static int
complete_withdrawal_cb(const struct consent_withdrawal_row *r, void *arg)
{
	struct complete_walk	*w = arg;

	if (erasure_journal_set_holds(w->held, r->id))
		return 0;
	if (erasure_journal_append_withdrawal(w->path, r->id, r->family_pseudonym,
	    r->withdrawn_us, r->ledger_seq, w->err, w->errlen) != 0)
		return -1;
	w->n++;
	return 0;
}

int
retention_complete_journal(struct gateway *gw, const char *path, long long *appended,
    char *err, size_t errlen)
{
	struct journal_held	 held = { { 0 }, { 0 } };
	struct complete_walk	 we = { .held = &held.erased, .path = path, .err = err,
				    .errlen = errlen };
	struct complete_walk	 ww = { .held = &held.withdrawn, .path = path, .err = err,
				    .errlen = errlen };
	struct store_conn	*c;
	int			 torn, rc;

	*appended = 0;
	if (errlen > 0)
		err[0] = '\0';
	if ((rc = erasure_journal_walk(path, journal_held_cb, &held, &torn, err, errlen)) == 0) {
		erasure_journal_set_sort(&held.erased);
		erasure_journal_set_sort(&held.withdrawn);
		if ((c = store_read_begin(gw->store)) == NULL)
			rc = -1;
		else {
			if ((rc = store_erasures_on_request(c, complete_cb, &we)) == 0)
				rc = store_consent_withdrawals(c, complete_withdrawal_cb, &ww);
			store_read_end(gw->store, c);
		}
	}
	erasure_journal_set_free(&held.erased);
	erasure_journal_set_free(&held.withdrawn);
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errlen, "erasure journal %s: the erasures and consent withdrawals "
		    "the database records could not be read", path);
	*appended = we.n + ww.n;
	if (we.n > 0)
		log_warnx("erasure journal: %lld erasures on request the database records were "
		    "not in it (a crash or a failed write after they were made, or a journal made "
		    "new) and were appended", we.n);
	if (ww.n > 0)
		log_warnx("erasure journal: %lld consent withdrawals the database records were not "
		    "in it (a crash or a failed write after they were made, a journal made new, "
		    "or made before withdrawals were journaled) and were appended", ww.n);
	return rc == 0 ? 0 : -1;
}

int
retention_journal_erasure(struct gateway *gw, const char *path, const char *pseudonym,
    int *appended, char *err, size_t errlen)
{
	struct erasure_row	 r;
	struct store_conn	*c;
	int			 rc;

	*appended = 0;
	if ((c = store_read_begin(gw->store)) == NULL) {
		snprintf(err, errlen, "erasure journal: the store cannot be read");
		return -1;
	}
	rc = store_erasure_get(c, pseudonym, &r);
	store_read_end(gw->store, c);
	if (rc == -1) {
		snprintf(err, errlen, "erasure journal: the erasure cannot be read");
		return -1;
	}
	if (rc == 1 || strcmp(r.kind, "erased") != 0)
		return 1;
	if (erasure_journal_ensure(path, pseudonym, r.at_us, r.ground, r.ledger_seq, appended,
	    err, errlen) != 0)
		return -1;
	if (*appended)
		log_warnx("erasure journal: the erasure of ledger entry %lld, asked for again, was "
		    "not in it and was appended", (long long)r.ledger_seq);
	return 0;
}

int
retention_journal_withdrawal(struct gateway *gw, const char *path, const char *consent_id,
    int *appended, char *err, size_t errlen)
{
	struct consent_withdrawal_row	 r;
	struct store_conn		*c;
	int				 rc;

	*appended = 0;
	if ((c = store_read_begin(gw->store)) == NULL) {
		snprintf(err, errlen, "erasure journal: the store cannot be read");
		return -1;
	}
	rc = store_consent_withdrawal(c, consent_id, &r);
	store_read_end(gw->store, c);
	if (rc == -1) {
		snprintf(err, errlen, "erasure journal: the withdrawal cannot be read");
		return -1;
	}
	if (rc == 1)
		return 1;
	if (erasure_journal_ensure_withdrawal(path, r.id, r.family_pseudonym, r.withdrawn_us,
	    r.ledger_seq, appended, err, errlen) != 0)
		return -1;
	if (*appended)
		log_warnx("erasure journal: the consent withdrawal of ledger entry %lld, asked for "
		    "again, was not in it and was appended", (long long)r.ledger_seq);
	return 0;
}

/* ---- the daemon's thread ---- */

/*
 * One thread sweeps (at start-up, then every interval_s; none when 0) and
 * retries a pending write-ahead log purge (always, sweeps or not; once at
 * start-up too, for a log a crashed run left behind). It waits on a
 * monotonic clock for whichever is due first, or for a kick: a purge that
 * just failed elsewhere (an erasure) restarts the backoff.
 */
static struct {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 running, stopping, kicked;
	unsigned	 interval_s;
	struct gateway	*gw;
} sweeper = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* A purge failed: the thread retries from the first backoff step. Not
 * from the thread itself, which schedules its own retries. */
static void
sweeper_kick(void)
{
	pthread_mutex_lock(&sweeper.lock);
	if (sweeper.running && !pthread_equal(pthread_self(), sweeper.thread)) {
		sweeper.kicked = 1;
		pthread_cond_signal(&sweeper.cond);
	}
	pthread_mutex_unlock(&sweeper.lock);
}

static void *
sweep_main(void *arg)
{
	struct retention_summary	sum;
	struct timespec			until;
	int64_t				now, next_sweep, next_purge, due;
	int64_t				backoff = PURGE_FIRST_MS;

	(void)prctl(PR_SET_NAME, "gw-retention", 0, 0, 0);	/* in top(1), perf, gdb */
	/* A sweep reads the whole store: it yields the CPU to requests
	 * (Linux: setpriority on a thread id niced that thread only). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);

	(void)arg;
	/* A run that crashed may have left a log holding destroyed keys. */
	(void)purge_wal(sweeper.gw);
	next_sweep = mono_ms();
	next_purge = next_sweep + backoff;
	for (;;) {
		now = mono_ms();
		if (sweeper.interval_s > 0 && now >= next_sweep) {
			if (retention_sweep(sweeper.gw, store_now_us(), "daemon", &sum) == -1)
				log_errx("retention sweep failed; next try in %u s",
				    sweeper.interval_s);
			now = mono_ms();
			next_sweep = now + (int64_t)sweeper.interval_s * 1000;
		}
		if (atomic_load(&purge.pending) && now >= next_purge) {
			if (purge_wal(sweeper.gw) == 0) {
				backoff = PURGE_FIRST_MS;
			} else {
				backoff = backoff * 2 > PURGE_CAP_MS ? PURGE_CAP_MS : backoff * 2;
				next_purge = mono_ms() + backoff;
			}
		}
		due = sweeper.interval_s > 0 ? next_sweep : INT64_MAX;
		if (atomic_load(&purge.pending) && next_purge < due)
			due = next_purge;
		until.tv_sec = (time_t)(due / 1000);
		until.tv_nsec = (long)(due % 1000) * 1000000;
		pthread_mutex_lock(&sweeper.lock);
		while (!sweeper.stopping && !sweeper.kicked &&
		    (due == INT64_MAX ? pthread_cond_wait(&sweeper.cond, &sweeper.lock) :
		    pthread_cond_timedwait(&sweeper.cond, &sweeper.lock, &until)) == 0)
			;
		if (sweeper.kicked) {
			sweeper.kicked = 0;
			backoff = PURGE_FIRST_MS;
			next_purge = mono_ms() + backoff;
		}
		if (sweeper.stopping) {
			pthread_mutex_unlock(&sweeper.lock);
			break;
		}
		pthread_mutex_unlock(&sweeper.lock);
	}
	return NULL;
}

static double
unknown_gauge(void *arg)
{
	(void)arg;
	return (double)atomic_load(&last_unknown);
}

static double
purge_gauge(void *arg)
{
	(void)arg;
	return (double)atomic_load(&purge.pending);
}

int
retention_start(struct gateway *gw, unsigned interval_s)
{
	if (gw->metrics != NULL) {
		metrics_gauge(gw->metrics, "gateway_retention_unknown_families",
		    "Families the last retention sweep kept because a record names an agency "
		    "interest no profile has (kept until the profile is restored).",
		    unknown_gauge, NULL);
		metrics_gauge(gw->metrics, "gateway_wal_purge_pending",
		    "1 while the write-ahead log could not be truncated after a family key was "
		    "destroyed (a reader holds it): the key's bytes may remain there; retried "
		    "with backoff.", purge_gauge, NULL);
	}
	sweeper.gw = gw;
	sweeper.interval_s = interval_s;
	sweeper.stopping = sweeper.kicked = 0;
	if (monowait_cond_init(&sweeper.cond) != 0)
		return -1;
	/* Held across pthread_create: the thread's first kick check sees
	 * its own id. */
	pthread_mutex_lock(&sweeper.lock);
	if (pthread_create(&sweeper.thread, NULL, sweep_main, NULL) != 0) {
		pthread_mutex_unlock(&sweeper.lock);
		pthread_cond_destroy(&sweeper.cond);
		return -1;
	}
	sweeper.running = 1;
	pthread_mutex_unlock(&sweeper.lock);
	return 0;
}

void
retention_stop(struct gateway *gw)
{
	(void)gw;
	pthread_mutex_lock(&sweeper.lock);
	if (!sweeper.running) {
		pthread_mutex_unlock(&sweeper.lock);
		return;
	}
	sweeper.stopping = 1;
	pthread_cond_signal(&sweeper.cond);
	pthread_mutex_unlock(&sweeper.lock);
	pthread_join(sweeper.thread, NULL);
	pthread_mutex_lock(&sweeper.lock);
	sweeper.running = 0;
	pthread_mutex_unlock(&sweeper.lock);
	pthread_cond_destroy(&sweeper.cond);
}
