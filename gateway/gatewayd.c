/*
 * gatewayd.c: the daemon's main. Reads flags over the embedded defaults,
 * checks everything before trusting it (schemas, agency profiles, keys,
 * certificates: any problem stops start-up with a message naming it), opens
 * the store, starts the writer and the HTTPS server, then waits for SIGTERM
 * or SIGINT (meanwhile reloading the agency profiles, CAs and revocation
 * lists on SIGHUP, all or nothing, and reporting a revocation list in force
 * that passes its nextUpdate) and shuts down in order: stop accepting,
 * finish requests in flight, drain the writer, close the store. Nothing
 * acknowledged is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "datalock.h"
#include "delivery.h"
#include "durable.h"
#include "erasure_journal.h"
#include "gateway.h"
#include "head_guard.h"
#include "http.h"
#include "journal_guard.h"
#include "leafcache.h"
#include "ledger.h"
#include "ledger_selfcheck.h"
#include "log.h"
#include "metrics.h"
#include "nocore.h"
#include "landlock.h"
#include "restored_copy.h"
#include "sandbox.h"
#include "notifier.h"
#include "profiles.h"
#include "ratelimit.h"
#include "retention.h"
#include "schemas.h"
#include "server.h"
#include "tlscred.h"
#include "signer.h"
#include "store.h"
#include "suppress.h"
#include "vault.h"
#include "writer.h"
#include "wipe.h"

/* On stdout for --help (exit 0, so that `gatewayd --help | less` shows it),
 * on stderr for a usage error (exit 2), as gatewayctl does. */
static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewayd [--check] [--bind ADDR] [--port N] [--port-file FILE]\n"
	    "                [--data DIR] [--profiles DIR] [--schemas DIR] [--tls DIR]\n"
	    "                [--master-key FILE] [--notify-url URL] [--notify-ca FILE]\n"
	    "                [--notify-pin sha256//BASE64]...\n"
	    "                [--threads N]\n"
	    "                [--max-body BYTES] [--conn-limit N] [--per-ip-limit N]\n"
	    "                [--agency-url ID=URL]... [--agency-notices-url ID=URL]...\n"
	    "                [--delivery-attempts N]\n"
	    "                [--delivery-backoff MS[:CAP_MS]] [--delivery-timeout MS]\n"
	    "                [--delivery-inflight N] [--request-quorum N]\n"
	    "                [--request-refusal-ends yes|no] [--stats-threshold N]\n"
	    "                [--retention-interval SECONDS] [--refusal-retention-days N]\n"
	    "                [--ledger-selfcheck-interval SECONDS]\n"
	    "                [--ledger-selfcheck-rate ENTRIES_PER_S]\n"
	    "                [--max-hold-days N] [--read-limit PER_MIN[:BURST]]\n"
	    "                [--consent-max-days N] [--erasure-journal FILE]\n"
	    "                [--new-erasure-journal] [--accept-missing-ledger-head]\n"
	    "                [--ledger-head-copy FILE]\n"
	    "                [--verbose] | --routes\n"
	    "defaults: 127.0.0.1:8443, data in var/, agency-profiles/, schemas/, certs/dev/;\n"
	    "  a sweep every 3600 s; the ledger re-read against its tree every %d s at\n"
	    "  most, %d entries a second at most;\n"
	    "  a refused disclosure keeps its family %d days,\n"
	    "  whatever agency and purpose it named (--refusal-retention-days);\n"
	    "  a consent lasts at most %d days (--consent-max-days);\n"
	    "  the erasure journal is DATA_DIR/erasures.journal (keep it on another disk:\n"
	    "  --erasure-journal); when restoring a copy, start with the newest journal,\n"
	    "  never the copy's own: a journal missing beside a store that holds records\n"
	    "  stops the start, unless --new-erasure-journal says a new, empty one is\n"
	    "  intended (erasures made after the copy are then not made again);\n"
	    "  DATA_DIR/ledger.head missing beside a store with signed checkpoints stops\n"
	    "  the start, unless --accept-missing-ledger-head says its loss is intended\n"
	    "  (the newest stored checkpoint is then trusted as the head);\n"
	    "  --ledger-head-copy keeps a second ledger.head outside DATA_DIR, checked\n"
	    "  and written as it is (missing: refused as ledger.head missing is)\n",
	    LEDGER_SELFCHECK_INTERVAL_S, LEDGER_SELFCHECK_RATE, RETENTION_REFUSAL_DAYS,
	    CONSENT_MAX_DAYS);
}

/* The longest --delivery-backoff base or cap: retry.c's 7 days, in ms. */
#define BACKOFF_MAX_MS	(7UL * 86400 * 1000)

/*
 * Creates the master key only for a brand-new installation (no database
 * yet): silently making a new key beside existing data would lose it all.
 * Written whole under a temporary name, fsync'd, then linked into place
 * (never over an existing file) and the directory fsync'd: a start cut
 * short leaves no master.key, or a whole one, never an empty or partial
 * file that every later start would refuse. A temporary file such a start
 * left is removed here.
 */
static int
ensure_master_key(const char *path, const char *data_dir)
{
	unsigned char	key[32];
	char		db[PATH_MAX], tmp[PATH_MAX];
	int		fd = -1, rc = -1;

	if (access(path, F_OK) == 0)
		return 0;
	snprintf(db, sizeof(db), "%s/gateway.db", data_dir);
	if (access(db, F_OK) == 0) {
		log_errx("master key %s is missing but %s exists: refusing to start", path, db);
		return -1;
	}
	if (mkdir(data_dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.new", path) >= sizeof(tmp)) {
		log_errx("master key %s: path too long", path);
		return -1;
	}
	(void)unlink(tmp);
	if (RAND_bytes(key, sizeof(key)) != 1) {
		log_errx("master key %s: no random bytes", path);
		goto out;
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 ||
	    durable_write_all(fd, key, sizeof(key)) == -1 || fsync(fd) == -1) {
		log_errx("master key %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		log_errx("master key %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (link(tmp, path) == -1) {
		log_errx("master key %s: %s", path, strerror(errno));
		goto out;
	}
	if (durable_sync_dir(path) == -1) {
		log_errx("master key %s: fsync of its directory: %s", path, strerror(errno));
		goto out;
	}
	log_info("created a new master key for a new installation");
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

/*
 * The port file is opened (emptied, or made) before the daemon confines
 * itself (landlock.h: it may make files only in its data directory), and
 * the port written into it in one write once it listens: a reader that
 * waits for the file to be non-empty reads the whole line.
 */
static int
port_file_open(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
}

static int
port_file_write(int fd, unsigned port)
{
	char	line[16];
	int	n;

	n = snprintf(line, sizeof(line), "%u\n", port);
	if (write(fd, line, (size_t)n) != n || fsync(fd) == -1)
		return -1;
	return 0;
}

static double
landlock_gauge(void *arg)
{
	return (double)*(const int *)arg;
}

static void
print_route(const struct route *r, void *arg)
{
	(void)arg;
	printf("%s %s\n", r->method, r->pattern);
}

#define MAX_URL_OVERRIDES	16

/* --agency-url ID=URL and --agency-notices-url ID=URL, in the order given. */
struct url_override {
	const char	*arg;		/* "ID=URL" */
	int		 notices;	/* --agency-notices-url */
};

/* --agency-url ID=URL: deliver a push agency's disclosures to URL instead
 * of its profile's (tests start receivers on free ports; a deployment can
 * point at a staging endpoint); --agency-notices-url ID=URL: push its
 * notices to URL (its profile's delivery.notices_url, or none). The agency
 * must exist and be push; on a reload (strict 0) one that no longer is
 * keeps its profile's way, with a warning. */
static int
override_urls(struct profiles *p, const struct url_override *ov, size_t n, int strict)
{
	size_t		 i, k, idlen;
	const char	*flag;

	for (i = 0; i < n; i++) {
		const char *eq = strchr(ov[i].arg, '=');

		flag = ov[i].notices ? "--agency-notices-url" : "--agency-url";
		if (eq == NULL || eq == ov[i].arg || strncmp(eq + 1, "https://", 8) != 0) {
			log_errx("%s %s: expected ID=https://...", flag, ov[i].arg);
			return -1;
		}
		idlen = (size_t)(eq - ov[i].arg);
		for (k = 0; k < p->n; k++)
			if (strlen(p->agencies[k].id) == idlen &&
			    strncmp(p->agencies[k].id, ov[i].arg, idlen) == 0)
				break;
		if (k == p->n || p->agencies[k].delivery != DELIVERY_PUSH) {
			if (!strict) {
				log_warnx("%s: %.*s is no longer a push agency; ignored", flag,
				    (int)idlen, ov[i].arg);
				continue;
			}
			log_errx("%s: %.*s is not a push agency", flag, (int)idlen, ov[i].arg);
			return -1;
		}
		if (ov[i].notices) {
			p->agencies[k].notices_url = eq + 1;
			log_info("agency %s: notices go to %s (%s)", p->agencies[k].id, eq + 1,
			    flag);
		} else {
			p->agencies[k].push_url = eq + 1;
			log_info("agency %s: deliveries go to %s (%s)", p->agencies[k].id, eq + 1,
			    flag);
		}
	}
	return 0;
}

/* Profile sets replaced by SIGHUP: requests and workers may still hold
 * pointers into them, so they are freed only at exit. */
static struct profiles	**retired;
static size_t		  nretired;

/* SIGHUP: the agency profiles, CAs and revocation lists again, and the
 * gateway's own key and certificate, all or nothing. A profile that no
 * longer loads, or a CA, list, key or certificate that does not (or a key
 * that is not the certificate's), leaves everything in force as it was. The
 * TLS handshake's credentials follow (server_trust_prepare): new connections
 * trust the new set of CAs and are served the new certificate, open ones
 * keep theirs and are checked again by auth.c on their next request. */
static void
reload(struct gateway *gw, struct server *srv, const struct url_override *url_ov,
    size_t nurl_ov)
{
	struct profiles	*np, *old, **nr;
	struct tlscred	*cred = NULL;
	unsigned	 what = 0;
	char		 err[512], served[256], serial[64], when[32];
	time_t		 t;
	struct tm	 tm;

	if ((nr = realloc(retired, (nretired + 1) * sizeof(*nr))) == NULL) {
		log_errx("SIGHUP: out of memory; nothing reloaded");
		return;
	}
	retired = nr;
	if ((np = profiles_load(gw->cfg.profiles_dir, schemas_get(gw->schemas, "agency-profile"),
	    err, sizeof(err))) == NULL) {
		log_errx("SIGHUP: agency profile %s; nothing reloaded, the profiles, CAs and "
		    "revocation lists in force stay", err);
		return;
	}
	/*
	 * The same files as the set in force (a SIGHUP for fresh revocation
	 * lists, say): keep that set, so that a reload on a timer does not
	 * retire one more set each time (retired sets are kept to exit).
	 */
	old = atomic_load(&gw->profiles);
	if (profiles_same(np, old)) {
		profiles_free(np);
		np = old;
	} else
		(void)override_urls(np, url_ov, nurl_ov, 0);
	if (srv != NULL && server_trust_prepare(srv, np, &cred, &what, err,
	    sizeof(err)) == -1) {
		if (np != old)
			profiles_free(np);
		log_errx("SIGHUP: the TLS handshake's credentials: %s; nothing reloaded, the "
		    "profiles, CAs, revocation lists and the gateway's certificate in force stay",
		    err);
		return;
	}
	if (auth_reload(gw->auth, np, err, sizeof(err)) == -1) {
		tlscred_unref(cred);
		if (np != old)
			profiles_free(np);
		log_errx("SIGHUP: reload failed, the profiles, CAs and revocation lists already "
		    "in force stay: %s", err);
		return;
	}
	if (np != old) {
		(void)atomic_exchange(&gw->profiles, np);
		retired[nretired++] = old;
	}
	served[0] = '\0';
	if (cred != NULL) {
		server_trust_install(srv, cred);
		if (what & TLSCRED_SERVER_CERT) {
			t = server_cert_not_after(srv, serial, sizeof(serial));
			if (t == -1 || gmtime_r(&t, &tm) == NULL || strftime(when, sizeof(when),
			    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
				snprintf(when, sizeof(when), "unknown");
			snprintf(served, sizeof(served), "; new connections are served the "
			    "gateway's new certificate (serial %s, notAfter %s)", serial, when);
		}
	}
	log_info("SIGHUP: %zu agency profiles, CAs and revocation lists reloaded%s%s%s", np->n,
	    np == old ? " (the profiles' own files unchanged, so their set in force is kept; "
	    "the CAs and revocation lists were read again and are in force)" : "",
	    what & TLSCRED_CAS ? "; new connections' handshakes trust the new set of CAs" : "",
	    served);
	if (gw->delivery != NULL && delivery_follow_modes(gw->delivery) == -1)
		log_errx("SIGHUP: waiting deliveries not yet moved to their agencies' new "
		    "delivery modes; the delivery worker tries again");
}

static double
crl_next_update_gauge(void *arg)
{
	time_t	t = auth_crl_next_update(arg, NULL, 0);

	return t == AUTH_NO_EXPIRY ? 0 : (double)t;
}

static double
server_cert_gauge(void *arg)
{
	time_t	t = server_cert_not_after(arg, NULL, 0);

	return t == -1 ? 0 : (double)t;
}

static double
crl_stale_gauge(void *arg)
{
	time_t	t = auth_crl_next_update(arg, NULL, 0);

	return t != AUTH_NO_EXPIRY && time(NULL) > t ? 1 : 0;
}

/*
 * A revocation list in force can pass its nextUpdate while gatewayd runs: it
 * stays in force (a stale list is better than none, and a reload refuses an
 * out-of-date one), but the log says so once per set of lists loaded, and
 * /metrics shows it (gateway_crl_stale). Returns how many seconds the main
 * loop may wait before looking again: until just after the earliest
 * nextUpdate, an hour at most.
 */
static time_t
crl_watch(const struct auth *a, unsigned *warned)
{
	char	which[4096], when[32];
	time_t	next = auth_crl_next_update(a, which, sizeof(which)), now = time(NULL);
	struct tm tm;

	if (next == AUTH_NO_EXPIRY)
		return 3600;
	if (now <= next)
		return next - now + 1 < 3600 ? next - now + 1 : 3600;
	if (*warned != auth_generation(a)) {
		*warned = auth_generation(a);
		if (gmtime_r(&next, &tm) == NULL || strftime(when, sizeof(when),
		    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			snprintf(when, sizeof(when), "@%lld", (long long)next);
		log_warnx("revocation list %s is out of date: its nextUpdate %s has passed. It "
		    "stays in force; have its CA issue a fresh one and send SIGHUP (gatewayd "
		    "will not start with an out-of-date list)", which, when);
	}
	return 3600;
}

static double
ledger_size_gauge(void *arg)
{
	return (double)ledger_size(arg);
}

static double
ledger_tree_gauge(void *arg)
{
	return (double)ledger_tree_bytes(arg);
}

/* The leaf cache's counters, read together (ledger_leaf_cache_stats). */
static const char *const leaf_cache_names[] = { "gateway_ledger_leaf_cache_hits",
    "gateway_ledger_leaf_cache_misses", "gateway_ledger_leaf_cache_bytes" };
static const char *const leaf_cache_helps[] = {
    "Checks of an older ledger entry (not in the tree's newest block of 256) that found "
    "its block's leaf hashes in the leaf cache, since start.",
    "Checks of an older ledger entry that read its block back from the store and "
    "checked it against the tree (then kept in the leaf cache), since start.",
    "Memory the leaf cache holds (at most 64 blocks of 8 KiB)." };

static int
leaf_cache_gauges(void *arg, double *v)
{
	struct leafcache_stats	st;

	ledger_leaf_cache_stats(arg, &st);
	v[0] = (double)st.hits;
	v[1] = (double)st.misses;
	v[2] = (double)st.bytes;
	return 0;
}

/* The ledger self-check's progress, read together (ledger_selfcheck.h). */
static const char *const selfcheck_names[] = { "gateway_ledger_selfcheck_passes_total",
    "gateway_ledger_selfcheck_entries_total",
    "gateway_ledger_selfcheck_last_pass_age_seconds" };
static const char *const selfcheck_helps[] = {
    "Full passes of the ledger self-check since start: every stored entry re-read, its "
    "leaf recomputed from its columns and checked against the tree.",
    "Ledger entries the self-check has re-read and checked since start.",
    "Seconds since the self-check's last full pass ended (since start while none has): "
    "about --ledger-selfcheck-interval, or the ledger's size over "
    "--ledger-selfcheck-rate when that is longer." };

static int
selfcheck_gauges(void *arg, double *v)
{
	struct ledger_selfcheck_stats	st;

	ledger_selfcheck_stats(arg, &st);
	v[0] = (double)st.passes;
	v[1] = (double)st.entries;
	v[2] = st.age_s;
	return 0;
}

static double
writer_depth_gauge(void *arg)
{
	return (double)writer_queue_depth(arg);
}

static double
writer_batches_gauge(void *arg)
{
	struct writer_stats	st;

	writer_stats(arg, &st);
	return (double)st.batches;
}

static double
writer_jobs_gauge(void *arg)
{
	struct writer_stats	st;

	writer_stats(arg, &st);
	return (double)st.jobs;
}

static double
writer_failed_gauge(void *arg)
{
	struct writer_stats	st;

	writer_stats(arg, &st);
	return (double)st.failed;
}

static double
writer_idle_gauge(void *arg)
{
	struct writer_stats	st;

	writer_stats(arg, &st);
	return (double)st.idle_us / 1e6;
}

static double
writer_commit_gauge(void *arg)
{
	struct writer_stats	st;

	writer_stats(arg, &st);
	return (double)st.commit_us / 1e6;
}

/*
 * The erasure journal as journal_guard_check() judged it, before the store
 * is opened: made empty for a store that holds nothing yet (so that every
 * later start finds it: one missing then is one lost, or a copy restored
 * without it), or when --new-erasure-journal asked for a new one. A
 * journal inside the data directory's file system is lost with it: said
 * at every start, as it is not wrong, only unsafe. 0, or -1 (logged).
 */
static int
start_journal(const struct config *cfg, enum journal_presence journal)
{
	char	err[512];

	switch (journal) {
	case JOURNAL_PRESENT:
		if (cfg->new_erasure_journal)
			log_warnx("--new-erasure-journal: the erasure journal %s exists and is "
			    "used as it is; leave the flag off", cfg->erasure_journal);
		break;
	case JOURNAL_MAKE_NEW:
		log_warnx("erasure journal %s: made new and empty (--new-erasure-journal): "
		    "erasures and consent withdrawals made after this database was copied are "
		    "not made again; leave the flag off from now on", cfg->erasure_journal);
		/* FALLTHROUGH */
	case JOURNAL_MAKE_FRESH:
		if (erasure_journal_create(cfg->erasure_journal, err, sizeof(err)) == -1) {
			log_errx("%s", err);
			return -1;
		}
		break;
	case JOURNAL_REFUSE:
		return -1;	/* journal_guard_check() said why */
	}
	if (journal_guard_same_disk(cfg->erasure_journal, cfg->data_dir) == 1)
		log_warnx("erasure journal %s is on the data directory's disk: lost with it, "
		    "a restored copy would serve again what was erased since; keep it on "
		    "another disk (--erasure-journal)", cfg->erasure_journal);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'P' },
		{ "data", required_argument, NULL, 'd' },
		{ "profiles", required_argument, NULL, 'a' },
		{ "schemas", required_argument, NULL, 's' },
		{ "tls", required_argument, NULL, 't' },
		{ "master-key", required_argument, NULL, 'k' },
		{ "notify-url", required_argument, NULL, 'n' },
		{ "notify-ca", required_argument, NULL, 'C' },
		{ "notify-pin", required_argument, NULL, 'N' },
		{ "threads", required_argument, NULL, 'T' },
		{ "max-body", required_argument, NULL, 'm' },
		{ "request-quorum", required_argument, NULL, 'Q' },
		{ "request-refusal-ends", required_argument, NULL, 'E' },
		{ "max-hold-days", required_argument, NULL, 'H' },
		{ "read-limit", required_argument, NULL, 'W' },
		{ "stats-threshold", required_argument, NULL, 'S' },
		{ "retention-interval", required_argument, NULL, 'r' },
		{ "refusal-retention-days", required_argument, NULL, 'D' },
		{ "ledger-selfcheck-interval", required_argument, NULL, 'Y' },
		{ "ledger-selfcheck-rate", required_argument, NULL, 'Z' },
		{ "consent-max-days", required_argument, NULL, 'X' },
		{ "erasure-journal", required_argument, NULL, 'J' },
		{ "new-erasure-journal", no_argument, NULL, 'j' },
		{ "accept-missing-ledger-head", no_argument, NULL, 'G' },
		{ "ledger-head-copy", required_argument, NULL, 'K' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "routes", no_argument, NULL, 'R' },
		{ "conn-limit", required_argument, NULL, 'L' },
		{ "per-ip-limit", required_argument, NULL, 'I' },
		{ "agency-url", required_argument, NULL, 'U' },
		{ "agency-notices-url", required_argument, NULL, 'u' },
		{ "delivery-attempts", required_argument, NULL, 'A' },
		{ "delivery-backoff", required_argument, NULL, 'B' },
		{ "delivery-timeout", required_argument, NULL, 'O' },
		{ "delivery-inflight", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct gateway	 gw;
	struct server	*srv = NULL;
	struct ledger_selfcheck *selfcheck = NULL;
	struct delivery_config dcfg;
	struct url_override url_ov[MAX_URL_OVERRIDES];
	size_t		 nurl_ov = 0;
	char		 client_crt[PATH_MAX], client_key[PATH_MAX];
	char		 err[1024], keypath[PATH_MAX], journalpath[PATH_MAX];
	char		 copydir[PATH_MAX];
	long long	 reapplied = 0, appended = 0;
	struct profiles	*loaded;
	unsigned long	 n;
	sigset_t	 sigs;
	struct timespec	 wait;
	unsigned	 crl_warned = 0;
	enum journal_presence journal = JOURNAL_REFUSE;
	struct landlock_spec	 lspec;
	int		 ch, sig, rc = 1, lock = -2, portfd = -1, landlock = 0;

	/* Everything the daemon creates is its own alone: the store's log and
	 * shared-memory files (SQLite makes them 0644 otherwise, beside a 0600
	 * database), the ledger head, the port file. */
	umask(077);
	/* What jansson frees is wiped: decrypted values and request bodies
	 * pass through its strings (wipe.h). Before any json call. */
	wipe_json_install();
	/* Keys and records in memory never reach a core file (nocore.h). */
	if (nocore() == -1)
		log_warnx("core dumps could not be turned off; a crash may write keys and "
		    "records to a core file");
	/* No program started, no other process read, whatever a request does
	 * (sandbox.h); before the first thread, so every thread inherits it. */
	if (sandbox_enter(err, sizeof(err)) == -1) {
		log_warnx("refusing to start unconfined: %s", err);
		return 1;
	}
	memset(&gw, 0, sizeof(gw));
	config_defaults(&gw.cfg);
	delivery_config_defaults(&dcfg);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': gw.cfg.check_only = 1; break;
		case 'b': gw.cfg.bind = optarg; break;
		case 'p':
			if (parse_uint(optarg, 65535, &n) == -1) {
				fprintf(stderr, "gatewayd: --port: not a port number\n");
				return 2;
			}
			gw.cfg.port = (unsigned)n;
			break;
		case 'P': gw.cfg.port_file = optarg; break;
		case 'd': gw.cfg.data_dir = optarg; break;
		case 'a': gw.cfg.profiles_dir = optarg; break;
		case 's': gw.cfg.schemas_dir = optarg; break;
		case 't': gw.cfg.tls_dir = optarg; break;
		case 'k': gw.cfg.master_key = optarg; break;
		case 'J': gw.cfg.erasure_journal = optarg; break;
		case 'j': gw.cfg.new_erasure_journal = 1; break;
		case 'G': gw.cfg.accept_missing_ledger_head = 1; break;
		case 'K': gw.cfg.ledger_head_copy = optarg; break;
		case 'n': gw.cfg.notify_url = optarg; break;
		case 'C': gw.cfg.notify_ca = optarg; break;
		case 'N':	/* checked with the URL (notifier_check) */
			if (gw.cfg.notify_npins < sizeof(gw.cfg.notify_pins) /
			    sizeof(gw.cfg.notify_pins[0]))
				gw.cfg.notify_pins[gw.cfg.notify_npins] = optarg;
			gw.cfg.notify_npins++;
			break;
		case 'T':
			if (parse_uint(optarg, 256, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --threads: 1 to 256\n");
				return 2;
			}
			gw.cfg.threads = (unsigned)n;
			break;
		case 'm':
			if (parse_uint(optarg, 64UL << 20, &n) == -1 || n < 1024) {
				fprintf(stderr, "gatewayd: --max-body: 1024 to 67108864\n");
				return 2;
			}
			gw.cfg.max_body = n;
			break;
		case 'L':
			if (parse_uint(optarg, 100000, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --conn-limit: 1 to 100000\n");
				return 2;
			}
			gw.cfg.conn_limit = (unsigned)n;
			break;
		case 'I':
			if (parse_uint(optarg, 100000, &n) == -1) {
				fprintf(stderr, "gatewayd: --per-ip-limit: 0 (none) to 100000\n");
				return 2;
			}
			gw.cfg.per_ip_limit = (unsigned)n;
			break;
		case 'Q':
			/* A quorum is of distinct trustees: one alone never suffices. */
			if (parse_uint(optarg, 64, &n) == -1 || n < 2) {
				fprintf(stderr, "gatewayd: --request-quorum: 2 to 64 trustees\n");
				return 2;
			}
			gw.cfg.request_quorum = (unsigned)n;
			break;
		case 'E':
			if (strcmp(optarg, "yes") != 0 && strcmp(optarg, "no") != 0) {
				fprintf(stderr, "gatewayd: --request-refusal-ends: yes or no\n");
				return 2;
			}
			gw.cfg.request_refusal_ends = strcmp(optarg, "yes") == 0;
			break;
		case 'S':
			if (parse_uint(optarg, 1000000, &n) == -1 ||
			    !suppress_threshold_ok((int)n)) {
				fprintf(stderr, "gatewayd: --stats-threshold: %d to 1000000\n",
				    SUPPRESS_MIN_THRESHOLD);
				return 2;
			}
			gw.cfg.stats_threshold = (int)n;
			break;
		case 'r':
			if (parse_uint(optarg, 7 * 86400, &n) == -1) {
				fprintf(stderr, "gatewayd: --retention-interval: 0 (off) to 604800 s\n");
				return 2;
			}
			gw.cfg.retention_interval = (unsigned)n;
			break;
		case 'Y':
			if (parse_uint(optarg, 7 * 86400, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --ledger-selfcheck-interval: 1 to "
				    "604800 s\n");
				return 2;
			}
			gw.cfg.ledger_selfcheck_interval = (unsigned)n;
			break;
		case 'Z':
			if (parse_uint(optarg, 100000000, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --ledger-selfcheck-rate: 1 to 100000000 "
				    "entries a second\n");
				return 2;
			}
			gw.cfg.ledger_selfcheck_rate = (unsigned)n;
			break;
		case 'D':
			if (parse_uint(optarg, RETENTION_REFUSAL_DAYS_MAX, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --refusal-retention-days: 1 to %d\n",
				    RETENTION_REFUSAL_DAYS_MAX);
				return 2;
			}
			gw.cfg.refusal_retention_days = (unsigned)n;
			break;
		case 'X':
			if (parse_uint(optarg, CONSENT_MAX_DAYS_MAX, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --consent-max-days: 1 to %d\n",
				    CONSENT_MAX_DAYS_MAX);
				return 2;
			}
			gw.cfg.consent_max_days = (unsigned)n;
			break;
		case 'H':
			if (parse_uint(optarg, 366, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --max-hold-days: 1 to 366\n");
				return 2;
			}
			gw.cfg.max_hold_days = (unsigned)n;
			break;
		case 'W': {	/* PER_MIN[:BURST], the burst PER_MIN when left out */
			char		 lim[32], *colon;
			unsigned long	 burst;

			snprintf(lim, sizeof(lim), "%s", optarg);
			if ((colon = strchr(lim, ':')) != NULL)
				*colon = '\0';
			if (strlen(optarg) >= sizeof(lim) || parse_uint(lim, 600000, &n) == -1 ||
			    parse_uint(colon != NULL ? colon + 1 : lim, 600000, &burst) == -1 ||
			    (n > 0 && burst == 0)) {
				fprintf(stderr, "gatewayd: --read-limit: PER_MIN[:BURST], 0 (none) to "
				    "600000, burst 1 to 600000\n");
				return 2;
			}
			gw.cfg.read_limit = (unsigned)n;
			gw.cfg.read_burst = (unsigned)burst;
			break;
		}
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h': usage(stdout); return 0;
		case 'R': router_foreach(print_route, NULL); return 0;
		case 'U':
		case 'u':
			if (nurl_ov == MAX_URL_OVERRIDES) {
				fprintf(stderr, "gatewayd: --agency-url and --agency-notices-url: "
				    "at most %d in all\n", MAX_URL_OVERRIDES);
				return 2;
			}
			url_ov[nurl_ov].arg = optarg;
			url_ov[nurl_ov++].notices = ch == 'u';
			break;
		case 'A':
			if (parse_uint(optarg, 1000, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --delivery-attempts: 1 to 1000\n");
				return 2;
			}
			dcfg.policy.max_attempts = (unsigned)n;
			break;
		case 'B': {	/* BASE_MS[:CAP_MS], the cap at least BASE when left out */
			char		 b[32], *colon;
			unsigned long	 cap = 0;
			int		 ok;

			snprintf(b, sizeof(b), "%s", optarg);
			if ((colon = strchr(b, ':')) != NULL)
				*colon = '\0';
			ok = strlen(optarg) < sizeof(b) && parse_uint(b, BACKOFF_MAX_MS, &n) == 0 &&
			    (colon == NULL || parse_uint(colon + 1, BACKOFF_MAX_MS, &cap) == 0);
			if (ok) {
				dcfg.policy.base_us = (int64_t)n * 1000;
				if (colon != NULL)
					dcfg.policy.cap_us = (int64_t)cap * 1000;
				else if (dcfg.policy.cap_us < dcfg.policy.base_us)
					dcfg.policy.cap_us = dcfg.policy.base_us;
			}
			if (!ok || retry_policy_check(&dcfg.policy) == -1) {
				fprintf(stderr, "gatewayd: --delivery-backoff: BASE_MS[:CAP_MS], "
				    "0 < BASE <= CAP <= 604800000 (7 days)\n");
				return 2;
			}
			break;
		}
		case 'O':
			if (parse_uint(optarg, 3600000, &n) == -1 || n < 100) {
				fprintf(stderr, "gatewayd: --delivery-timeout: 100 to 3600000 ms\n");
				return 2;
			}
			dcfg.timeout_ms = (unsigned)n;
			if (dcfg.connect_timeout_ms > n)
				dcfg.connect_timeout_ms = (unsigned)n;
			break;
		case 'F':
			if (parse_uint(optarg, 1024, &n) == -1 || n == 0) {
				fprintf(stderr, "gatewayd: --delivery-inflight: 1 to 1024\n");
				return 2;
			}
			dcfg.max_inflight = (unsigned)n;
			break;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "gatewayd: unexpected argument \"%s\" (every setting is a "
		    "--flag)\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (gw.cfg.master_key == NULL) {
		snprintf(keypath, sizeof(keypath), "%s/master.key", gw.cfg.data_dir);
		gw.cfg.master_key = keypath;
	}
	if (gw.cfg.erasure_journal == NULL) {
		snprintf(journalpath, sizeof(journalpath), "%s/%s", gw.cfg.data_dir,
		    ERASURE_JOURNAL_FILE);
		gw.cfg.erasure_journal = journalpath;
	}

	/*
	 * GnuTLS (every client's session) and libcurl (deliveries, notices)
	 * append each session's secrets to the file SSLKEYLOGFILE names:
	 * anyone with that file and a capture of the traffic reads the
	 * families' data in it. A debugging aid the gateway never honours: the
	 * variable is dropped before any handshake, and said.
	 */
	if (getenv("SSLKEYLOGFILE") != NULL) {
		log_warnx("SSLKEYLOGFILE is set: ignored; the gateway never writes TLS session "
		    "secrets anywhere");
		(void)unsetenv("SSLKEYLOGFILE");
	}

	/* Signals: handled synchronously by the main thread only. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if ((gw.schemas = schemas_load(gw.cfg.schemas_dir, err, sizeof(err))) == NULL) {
		log_errx("schemas: %s", err);
		goto out;
	}
	if (schemas_get(gw.schemas, "agency-profile") == NULL) {
		log_errx("schemas: %s/agency-profile.schema.json is missing", gw.cfg.schemas_dir);
		goto out;
	}
	/* Loaded into a plain pointer, then published (gw.profiles is
	 * _Atomic: an assignment to it is not a value clang compares). */
	if ((loaded = profiles_load(gw.cfg.profiles_dir,
	    schemas_get(gw.schemas, "agency-profile"), err, sizeof(err))) == NULL) {
		log_errx("agency profile %s", err);
		goto out;
	}
	gw.profiles = loaded;
	if (override_urls(gw.profiles, url_ov, nurl_ov, 1) == -1)
		goto out;
	if ((gw.auth = auth_load(gw.cfg.tls_dir, gw.profiles, err, sizeof(err))) == NULL) {
		log_errx("certificates: %s", err);
		goto out;
	}
	for (size_t i = 0; i < gw.profiles->n; i++)
		if (gw.profiles->agencies[i].crl_file == NULL)
			log_warnx("agency %s: its profile names no certificates.crl_file: its CA "
			    "cannot revoke its certificates here (only removing the pin can)",
			    gw.profiles->agencies[i].id);
	/* What the server, the delivery worker and the notifier refuse when
	 * they start, checked by the same functions now: --check fails on
	 * anything the start would, and a start fails before the store is
	 * opened. */
	snprintf(client_crt, sizeof(client_crt), "%s/gateway-client.crt", gw.cfg.tls_dir);
	snprintf(client_key, sizeof(client_key), "%s/gateway-client.key", gw.cfg.tls_dir);
	dcfg.client_cert = client_crt;
	dcfg.client_key = client_key;
	if (server_check(&gw, err, sizeof(err)) == -1 ||
	    delivery_check(&dcfg, err, sizeof(err)) == -1 ||
	    notifier_check(&gw.cfg, err, sizeof(err)) == -1 ||
	    journal_guard_check(gw.cfg.erasure_journal, gw.cfg.data_dir,
	    gw.cfg.new_erasure_journal, &journal, err, sizeof(err)) == -1 ||
	    (gw.cfg.ledger_head_copy != NULL && head_guard_copy_check(gw.cfg.data_dir,
	    gw.cfg.ledger_head_copy, err, sizeof(err)) == -1) ||
	    head_guard_check_pair(gw.cfg.data_dir, gw.cfg.ledger_head_copy,
	    gw.cfg.accept_missing_ledger_head, err, sizeof(err)) == -1) {
		log_errx("%s", err);
		goto out;
	}
	if (gw.cfg.check_only && access(gw.cfg.master_key, F_OK) == -1) {
		printf("configuration OK: %zu agency profiles, schemas, certificates; "
		    "no master key yet (made at first start)\n", gw.profiles->n);
		rc = 0;
		goto out;
	}
	/* A port another process holds stops the start here, before a
	 * master key, a store or a ledger entry is made, and before the
	 * delivery worker, the notifier or a retention sweep runs for a
	 * gateway that would never serve. (--check runs beside the gateway
	 * it checks, so the port in use is no fault of the configuration.) */
	if (!gw.cfg.check_only && server_can_listen(&gw, err, sizeof(err)) == -1) {
		log_errx("%s", err);
		goto out;
	}
	if (ensure_master_key(gw.cfg.master_key, gw.cfg.data_dir) == -1)
		goto out;
	if ((gw.vault = vault_open(gw.cfg.master_key, err, sizeof(err))) == NULL) {
		log_errx("%s", err);
		goto out;
	}
	if (gw.cfg.check_only &&
	    signer_check(gw.cfg.data_dir, LEDGER_ORIGIN, err, sizeof(err)) != 0) {
		log_errx("ledger key: %s", err);
		goto out;
	}
	if (gw.cfg.check_only) {
		printf("configuration OK: %zu agency profiles, schemas, certificates, master key\n",
		    gw.profiles->n);
		rc = 0;
		goto out;
	}
	if ((gw.metrics = metrics_create()) == NULL)
		goto out;
	if (gw.cfg.read_limit > 0 &&
	    ((gw.reads = ratelimit_new(gw.cfg.read_limit, gw.cfg.read_burst)) == NULL ||
	    (gw.refusals = ratelimit_new(gw.cfg.read_limit, gw.cfg.read_burst)) == NULL))
		goto out;
	/* One process owns the data directory (datalock.h). */
	if ((mkdir(gw.cfg.data_dir, 0700) == -1 && errno != EEXIST) ||
	    (lock = datalock_acquire(gw.cfg.data_dir, "gatewayd", err, sizeof(err))) == -1) {
		log_errx("%s", lock == -1 ? err : strerror(errno));
		goto out;
	}
	if (start_journal(&gw.cfg, journal) == -1)
		goto out;
	if (gw.cfg.port_file != NULL && (portfd = port_file_open(gw.cfg.port_file)) == -1) {
		log_errx("port file %s: %s", gw.cfg.port_file, strerror(errno));
		goto out;
	}
	/* From here on the daemon writes only in its data directory and the
	 * journal (landlock.h); still one thread, so every later one is
	 * confined too. */
	memset(&lspec, 0, sizeof(lspec));
	lspec.data_dir = gw.cfg.data_dir;
	lspec.journal = gw.cfg.erasure_journal;
	if (gw.cfg.ledger_head_copy != NULL) {
		if (head_copy_dir(gw.cfg.ledger_head_copy, copydir, sizeof(copydir)) == -1) {
			log_errx("--ledger-head-copy: path too long");
			goto out;
		}
		lspec.file_dir = copydir;
	}
	lspec.port = gw.cfg.port;
	if ((landlock = landlock_enter(&lspec, err, sizeof(err))) == -1) {
		log_errx("refusing to start less confined than it says: %s", err);
		goto out;
	}
	if (landlock == 0)
		log_warnx("this kernel has no Landlock: the daemon may write wherever its user "
		    "may (only the seccomp filter confines it)");
	if ((gw.store = store_open(gw.cfg.data_dir, err, sizeof(err))) == NULL) {
		log_errx("store: %s", err);
		goto out;
	}
	if ((gw.writer = writer_start(gw.store)) == NULL) {
		log_errx("cannot start the writer");
		goto out;
	}
	writer_on_commit(gw.writer, vault_committed, gw.vault);	/* its key cache */
	if ((gw.ledger = ledger_open_copy(gw.store, gw.writer, gw.cfg.data_dir, NULL,
	    gw.cfg.accept_missing_ledger_head, gw.cfg.ledger_head_copy, err,
	    sizeof(err))) == NULL) {
		log_errx("%s", err);
		goto out;
	}
	/* Consents from before consents had a longest life are limited, and
	 * erasures a restored copy predates made again, before anything is
	 * served. */
	if (retention_limit_consents(&gw) == -1) {
		log_errx("consents without an expiry could not be limited; not serving");
		goto out;
	}
	if (retention_reapply_journal(&gw, gw.cfg.erasure_journal, &reapplied, err,
	    sizeof(err)) == -1) {
		log_errx("%s (fix or move the journal; gatewayd will not serve what may "
		    "have been erased)", err);
		goto out;
	}
	/* And the other way: erasures committed whose line a crash (or a
	 * failed append) kept out of the journal are appended now. Not fatal:
	 * what is served is right either way; a restore needs the line. */
	if (retention_complete_journal(&gw, gw.cfg.erasure_journal, &appended, err,
	    sizeof(err)) == -1)
		log_errx("%s: erasures made here may be missing from the journal, and a restored "
		    "copy would not make them again (retried at the next start)", err);
	/* A copy gatewayctl backup made: its age said, and a retention sweep
	 * before serving (restored_copy.h). */
	if (restored_copy_start(&gw, reapplied, journal == JOURNAL_MAKE_NEW) == -1)
		goto out;
	metrics_gauge(gw.metrics, "gateway_crl_next_update_timestamp_seconds",
	    "The earliest nextUpdate (Unix time) among the revocation lists in force "
	    "(0: none has one).", crl_next_update_gauge, gw.auth);
	metrics_gauge(gw.metrics, "gateway_crl_stale",
	    "1 when a revocation list in force is past its nextUpdate: it stays in force "
	    "until a fresh one is loaded (SIGHUP); gatewayd will not start with it.",
	    crl_stale_gauge, gw.auth);
	metrics_gauge(gw.metrics, "gateway_ledger_entries",
	    "Committed ledger entries (the Merkle tree's size).", ledger_size_gauge, gw.ledger);
	metrics_gauge(gw.metrics, "gateway_ledger_tree_bytes",
	    "Memory the ledger's Merkle tree holds (leaf hashes stay in the store).",
	    ledger_tree_gauge, gw.ledger);
	metrics_gauge_set(gw.metrics, 3, leaf_cache_names, leaf_cache_helps, leaf_cache_gauges,
	    gw.ledger);
	metrics_gauge(gw.metrics, "gateway_writer_queue_depth",
	    "Jobs waiting for the next group commit.", writer_depth_gauge, gw.writer);
	metrics_gauge(gw.metrics, "gateway_writer_batches",
	    "Group commits since start (each one transaction, one fsync).",
	    writer_batches_gauge, gw.writer);
	metrics_gauge(gw.metrics, "gateway_writer_jobs",
	    "Writes committed since start; divided by gateway_writer_batches, the mean batch.",
	    writer_jobs_gauge, gw.writer);
	metrics_gauge(gw.metrics, "gateway_writer_failed_batches",
	    "Group commits that failed (disk full, I/O error) and were rolled back whole: "
	    "every request in them was answered 503 store_unavailable.",
	    writer_failed_gauge, gw.writer);
	metrics_gauge(gw.metrics, "gateway_writer_idle_seconds",
	    "Time the writer thread waited for work since start; 1 - its rate says how busy "
	    "the one thread every write passes through is.",
	    writer_idle_gauge, gw.writer);
	metrics_gauge(gw.metrics, "gateway_writer_commit_seconds",
	    "Time the writer thread spent in COMMIT (the log's write and fsync) since start.",
	    writer_commit_gauge, gw.writer);
	/* Delivery signs with the ledger key: agencies know one public key.
	 * Started before the notifier, which wakes it when a delivery that
	 * waited for the family's notice may go (gw.delivery is set before
	 * the notifier's thread exists). */
	if ((gw.delivery = delivery_start(&gw, ledger_signer(gw.ledger), &dcfg, err,
	    sizeof(err))) == NULL) {
		log_errx("%s", err);
		goto out;
	}
	if ((gw.notifier = notifier_start(&gw, err, sizeof(err))) == NULL) {
		log_errx("%s", err);
		goto out;
	}
	requests_metrics(&gw);
	breach_metrics_register(&gw);
	notices_metrics_register(&gw);
	if (retention_start(&gw, gw.cfg.retention_interval) == -1) {
		log_errx("cannot start the retention sweep");
		goto out;
	}
	/* Every stored entry re-read against the tree, continuously: an entry
	 * edited so that no *_signed check finds it raises the alarm. */
	if ((selfcheck = ledger_selfcheck_start(gw.ledger, gw.store,
	    gw.cfg.ledger_selfcheck_interval, gw.cfg.ledger_selfcheck_rate)) == NULL)
		goto out;
	metrics_gauge_set(gw.metrics, 3, selfcheck_names, selfcheck_helps, selfcheck_gauges,
	    selfcheck);
	if ((srv = server_start(&gw, err, sizeof(err))) == NULL) {
		log_errx("%s", err);
		goto out;
	}
	metrics_gauge(gw.metrics, "gateway_tls_server_cert_not_after_timestamp_seconds",
	    "The notAfter (Unix time) of the gateway's own certificate new connections are "
	    "served (0: unknown); a renewed one is taken by SIGHUP.", server_cert_gauge, srv);
	metrics_gauge(gw.metrics, "gateway_landlock_abi",
	    "The Landlock ABI version confining the daemon's writes, binds and signals "
	    "(0: the kernel has none, and only the seccomp filter confines it).",
	    landlock_gauge, &landlock);
	if (portfd != -1 && port_file_write(portfd, server_port(srv)) == -1) {
		log_errx("cannot write the port file");
		goto out;
	}
	log_info("listening on https://%s:%u (%zu agencies; Landlock ABI %d)", gw.cfg.bind,
	    server_port(srv), gw.profiles->n, landlock);

	for (;;) {
		wait.tv_sec = crl_watch(gw.auth, &crl_warned);
		wait.tv_nsec = 0;
		if ((sig = sigtimedwait(&sigs, NULL, &wait)) == -1)
			continue;	/* EAGAIN: time to look at the lists again */
		if (sig == SIGHUP) {
			reload(&gw, srv, url_ov, nurl_ov);
			continue;
		}
		log_info("signal %d: shutting down", sig);
		break;
	}
	rc = 0;
out:
	server_stop(srv, 10);
	retention_stop(&gw);
	notifier_stop(gw.notifier);
	delivery_stop(gw.delivery);	/* transfers in flight stay pending: resent at start */
	ledger_selfcheck_stop(selfcheck);	/* it asks the writer */
	ledger_stop(gw.ledger);		/* "gateway.stopped" and a final checkpoint */
	writer_stop(gw.writer);
	ledger_free(gw.ledger);
	store_close(gw.store);
	metrics_free(gw.metrics);
	ratelimit_free(gw.reads);
	ratelimit_free(gw.refusals);
	vault_free(gw.vault);
	auth_free(gw.auth);
	profiles_free(gw.profiles);
	while (nretired > 0)
		profiles_free(retired[--nretired]);
	free(retired);
	schemas_free(gw.schemas);
	datalock_release(lock);
	if (portfd != -1)
		close(portfd);
	if (rc == 0 && !gw.cfg.check_only)
		log_info("stopped cleanly");
	return rc;
}
