/*
 * retention.c: the retention sweep and erasure on request (retention.h).
 *
 * A sweep reads every family with a live key and its retention anchors on
 * a read connection, judges each with retention_verdict(), and destroys
 * the keys of those past retention in writer jobs of up to SWEEP_BATCH
 * families. Each job judges its families again on the write connection
 * (a disclosure may have arrived since) and asks store_legal_hold_active()
 * before vault_destroy(); each destruction leaves a family_erasures mark
 * and a "family.expired" ledger entry with the family's pseudonym only.
 * After a batch that destroyed anything the write-ahead log is truncated,
 * so no page image still holding a wrapped key survives there.
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

#include "gateway.h"
#include "ledger.h"
#include "log.h"
#include "metrics.h"
#include "principal.h"
#include "profiles.h"
#include "retention.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

#define SWEEP_BATCH	64

static const struct principal system_actor = { .role = ROLE_NONE, .id = "system" };

/* Families the last sweep kept because a record's interest is in no
 * profile (gateway_retention_unknown_families). */
static atomic_llong last_unknown;

/* Set when the write-ahead log could not be truncated after a key was
 * destroyed (readers were busy): the next sweep tries again. */
static atomic_int wal_dirty;

static void
purge_wal(struct gateway *gw)
{
	int	rc = store_wal_truncate(gw->store);

	atomic_store(&wal_dirty, rc != 0);
	if (rc != 0)
		log_warnx("write-ahead log not truncated yet: the next sweep tries again");
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

/* One family's destruction inside a writer job: the mark, the ledger
 * entry, the key. 0 destroyed, 2 already gone, -1 error. */
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
	    store_erasure_insert(c, &r) == -1)
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

struct batch_job {
	struct gateway		 *gw;
	char			(*v)[65];
	size_t			  n;
	int64_t			  as_of_us;
	int64_t			  expired, held;
};

static int
batch_job(struct store_conn *c, void *arg)
{
	struct batch_job	*j = arg;
	int64_t			 now = store_now_us();
	size_t			 i;
	int			 rc;

	j->expired = j->held = 0;
	for (i = 0; i < j->n; i++) {
		struct recheck	r = { .periods = periods_of(j->gw), .as_of_us = j->as_of_us };

		if (store_retention_family(c, j->v[i], recheck_cb, &r) != 0)
			return -1;
		if (!r.seen || r.v != RETENTION_EXPIRED)
			continue;	/* erased meanwhile, or a new record */
		if ((rc = store_legal_hold_active(c, j->v[i])) == -1)
			return -1;
		if (rc == 1) {
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

	snprintf(reason, sizeof(reason), "via=%s as_of=%s families=%lld expired=%lld held=%lld "
	    "unknown=%lld refusal_days=%u", j->via, store_time_fmt(j->as_of_us, t),
	    (long long)j->sum->families, (long long)j->sum->expired, (long long)j->sum->held,
	    (long long)j->sum->unknown, j->gw->cfg.refusal_retention_days);
	e = (struct ledger_entry){ .actor = "system", .actor_role = "system",
	    .action = "retention.sweep", .reason = reason };
	return ledger_append(j->gw->ledger, c, &e, NULL, NULL);
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
	}
	free(cand.v);
	if (sum->expired > 0 || atomic_load(&wal_dirty))
		purge_wal(gw);
	if (rc == 0)
		rc = writer_submit(gw->writer, sweep_note_job, &note) == 0 ? 0 : -1;
	if (rc == 0) {
		atomic_store(&last_unknown, sum->unknown);
		log_info("retention sweep: %lld families, %lld expired, %lld held, %lld unknown "
		    "interest", (long long)sum->families, (long long)sum->expired,
		    (long long)sum->held, (long long)sum->unknown);
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
};

static int
erase_job(struct store_conn *c, void *arg)
{
	struct erase_job	*j = arg;
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
	if ((rc = store_legal_hold_active(c, j->pseudonym)) != 0) {
		j->outcome = rc == 1 ? 3 : -1;
		return -1;
	}
	rc = destroy_family(j->gw, c, j->pseudonym, j->who, "erased", j->ground,
	    j->reason_digest, now, now, &j->seq);
	j->outcome = rc;
	return rc == 0 ? 0 : -1;
}

int
retention_erase(struct gateway *gw, const char *pseudonym, const struct principal *who,
    const char *ground, const unsigned char reason_digest[32], int64_t *seq)
{
	struct erase_job	j = { .gw = gw, .pseudonym = pseudonym, .who = who,
				    .ground = ground, .reason_digest = reason_digest, .outcome = -1 };

	if (writer_submit(gw->writer, erase_job, &j) != 0)
		return j.outcome == 0 ? -1 : j.outcome;
	purge_wal(gw);
	if (seq != NULL)
		*seq = j.seq;
	return 0;
}

/* ---- the daemon's thread ---- */

static struct {
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 running, stopping;
	unsigned	 interval_s;
	struct gateway	*gw;
} sweeper = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void *
sweep_main(void *arg)
{
	struct retention_summary	sum;
	struct timespec			until;

	(void)prctl(PR_SET_NAME, "gw-retention", 0, 0, 0);	/* in top(1), perf, gdb */
	/* A sweep reads the whole store: it yields the CPU to requests
	 * (Linux: setpriority on a thread id niced that thread only). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10);

	(void)arg;
	for (;;) {
		if (retention_sweep(sweeper.gw, store_now_us(), "daemon", &sum) == -1)
			log_errx("retention sweep failed; next try in %u s", sweeper.interval_s);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += sweeper.interval_s;
		pthread_mutex_lock(&sweeper.lock);
		while (!sweeper.stopping &&
		    pthread_cond_timedwait(&sweeper.cond, &sweeper.lock, &until) == 0)
			;
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

int
retention_start(struct gateway *gw, unsigned interval_s)
{
	pthread_condattr_t	ca;

	if (gw->metrics != NULL)
		metrics_gauge(gw->metrics, "gateway_retention_unknown_families",
		    "Families the last retention sweep kept because a record names an agency "
		    "interest no profile has (kept until the profile is restored).",
		    unknown_gauge, NULL);
	if (interval_s == 0)
		return 0;
	sweeper.gw = gw;
	sweeper.interval_s = interval_s;
	sweeper.stopping = 0;
	if (pthread_condattr_init(&ca) != 0 || pthread_cond_init(&sweeper.cond, &ca) != 0)
		return -1;
	pthread_condattr_destroy(&ca);
	if (pthread_create(&sweeper.thread, NULL, sweep_main, NULL) != 0) {
		pthread_cond_destroy(&sweeper.cond);
		return -1;
	}
	sweeper.running = 1;
	return 0;
}

void
retention_stop(struct gateway *gw)
{
	(void)gw;
	if (!sweeper.running)
		return;
	pthread_mutex_lock(&sweeper.lock);
	sweeper.stopping = 1;
	pthread_cond_signal(&sweeper.cond);
	pthread_mutex_unlock(&sweeper.lock);
	pthread_join(sweeper.thread, NULL);
	pthread_cond_destroy(&sweeper.cond);
	sweeper.running = 0;
}
