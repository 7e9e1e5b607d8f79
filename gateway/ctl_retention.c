/*
 * ctl_retention.c: gatewayctl retention run, one retention sweep from the
 * command line (retention.h), for an operator or a cron job when the
 * daemon is not running (a decommissioned gateway, a maintenance window).
 *
 * It opens the data directory itself, so it takes the data-directory lock
 * first and refuses while gatewayd holds it: the running daemon already
 * sweeps at start-up and every --retention-interval, and a second process
 * appending to the ledger would fork the daemon's Merkle tree (WAL would
 * let both write; the ledger's consistency would not survive it). Entries
 * are appended and a checkpoint signed exactly as the daemon would, so
 * `gatewayctl ledger verify` passes afterwards.
 *
 * --as-of DATE judges retention as at a later date than now (applying
 * retention that would fall due by then, e.g. before handing equipment
 * back). It cannot be in the past, and the ledger's "retention.sweep"
 * entry records it, so an early expiry is never silent. It records the
 * refusal period too (--refusal-retention-days, as gatewayd's).
 *
 * --ledger-head-copy FILE, as gatewayd's: the copy of ledger.head kept
 * outside the data directory is checked with it, and moved forward with it
 * by the checkpoints this run signs (head_guard.h). Left out, the run
 * checks and moves ledger.head alone; gatewayd's next start then brings
 * the copy up to it.
 *
 * The write-ahead log is truncated at the end of every run (a destroyed
 * key's bytes must not survive there, from this run or an earlier one).
 * When a reader (a backup, an sqlite3 shell) holds the log, that is
 * retried with backoff for PURGE_WAIT_S; then the command exits 1, saying
 * the destroyed keys' bytes may remain in the log.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "datalock.h"
#include "gateway.h"
#include "head_guard.h"
#include "ledger.h"
#include "log.h"
#include "profiles.h"
#include "retention.h"
#include "schemas.h"
#include "store.h"
#include "vault.h"
#include "writer.h"

/* How long a pending write-ahead log truncation is retried before giving up. */
#define PURGE_WAIT_S	30

void
ctl_retention_usage(FILE *f)
{
	fprintf(f,
	    "usage: gatewayctl retention run [--data DIR] [--profiles DIR] [--schemas DIR]\n"
	    "                                [--master-key FILE] [--as-of DATE]\n"
	    "                                [--refusal-retention-days N]\n"
	    "                                [--consent-max-days N]\n"
	    "                                [--ledger-head-copy FILE]\n"
	    "defaults: var/, agency-profiles/, schemas/, DIR/master.key, now, %d, %d\n"
	    "(give the daemon's --refusal-retention-days and --consent-max-days when they\n"
	    "are not the defaults, and its --ledger-head-copy when it keeps one)\n",
	    RETENTION_REFUSAL_DAYS, CONSENT_MAX_DAYS);
}

static int
usage_error(void)
{
	ctl_retention_usage(stderr);
	return 2;
}

static int
run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "profiles", required_argument, NULL, 'a' },
		{ "schemas", required_argument, NULL, 's' },
		{ "master-key", required_argument, NULL, 'k' },
		{ "as-of", required_argument, NULL, 'o' },
		{ "refusal-retention-days", required_argument, NULL, 'D' },
		{ "consent-max-days", required_argument, NULL, 'X' },
		{ "ledger-head-copy", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct gateway			gw;
	struct profiles			*loaded;
	struct retention_summary	sum;
	char				err[1024], keypath[PATH_MAX], t[32];
	char				copydir[PATH_MAX];
	int64_t				now, as_of;
	const char			*as_of_arg = NULL;
	unsigned long			 days;
	int				ch, lock = -1, rc = 1;

	memset(&gw, 0, sizeof(gw));
	config_defaults(&gw.cfg);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': gw.cfg.data_dir = optarg; break;
		case 'a': gw.cfg.profiles_dir = optarg; break;
		case 's': gw.cfg.schemas_dir = optarg; break;
		case 'k': gw.cfg.master_key = optarg; break;
		case 'o': as_of_arg = optarg; break;
		case 'K': gw.cfg.ledger_head_copy = optarg; break;
		case 'D':
			if (parse_uint(optarg, RETENTION_REFUSAL_DAYS_MAX, &days) == -1 ||
			    days == 0) {
				fprintf(stderr, "gatewayctl: --refusal-retention-days: 1 to %d\n",
				    RETENTION_REFUSAL_DAYS_MAX);
				return 2;
			}
			gw.cfg.refusal_retention_days = (unsigned)days;
			break;
		case 'X':
			if (parse_uint(optarg, CONSENT_MAX_DAYS_MAX, &days) == -1 || days == 0) {
				fprintf(stderr, "gatewayctl: --consent-max-days: 1 to %d\n",
				    CONSENT_MAX_DAYS_MAX);
				return 2;
			}
			gw.cfg.consent_max_days = (unsigned)days;
			break;
		default: return usage_error();
		}
	}
	if (optind != argc)
		return usage_error();
	now = store_now_us();
	as_of = now;
	if (as_of_arg != NULL) {
		if (store_time_parse(as_of_arg, &as_of) == -1) {
			fprintf(stderr, "gatewayctl: --as-of: not a date\n");
			return 2;
		}
		if (as_of < now) {
			fprintf(stderr, "gatewayctl: --as-of is before now (the start of that UTC "
			    "day): give a later date, or leave it out to sweep as of now\n");
			return 2;
		}
	}
	if (gw.cfg.master_key == NULL) {
		snprintf(keypath, sizeof(keypath), "%s/master.key", gw.cfg.data_dir);
		gw.cfg.master_key = keypath;
	}
	if (gw.cfg.ledger_head_copy != NULL) {
		if (head_guard_copy_check(gw.cfg.data_dir, gw.cfg.ledger_head_copy, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "gatewayctl: %s\n", err);
			return 2;
		}
		if (head_copy_dir(gw.cfg.ledger_head_copy, copydir, sizeof(copydir)) == -1) {
			fprintf(stderr, "gatewayctl: --ledger-head-copy: path too long\n");
			return 2;
		}
	}
	/* The data directory (the erasure journal is gatewayd's), and the
	 * ledger head copy's; before the writer's thread. */
	if (ctl_confine(gw.cfg.data_dir, gw.cfg.ledger_head_copy != NULL ? copydir : NULL) == -1)
		return 2;
	if ((lock = datalock_acquire(gw.cfg.data_dir, "gatewayctl retention run", err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "gatewayctl: %s\n"
		    "  (a running gatewayd sweeps at start-up and every --retention-interval; "
		    "stop it to sweep from here)\n", err);
		return 1;
	}
	if ((gw.schemas = schemas_load(gw.cfg.schemas_dir, err, sizeof(err))) == NULL ||
	    schemas_get(gw.schemas, "agency-profile") == NULL) {
		fprintf(stderr, "gatewayctl: schemas: %s\n", gw.schemas ? "no agency-profile" : err);
		goto out;
	}
	if ((loaded = profiles_load(gw.cfg.profiles_dir,
	    schemas_get(gw.schemas, "agency-profile"), err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: agency profile %s\n", err);
		goto out;
	}
	gw.profiles = loaded;	/* _Atomic: published once loaded */
	if ((gw.vault = vault_open(gw.cfg.master_key, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		goto out;
	}
	if ((gw.store = store_open(gw.cfg.data_dir, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: store: %s\n", err);
		goto out;
	}
	if ((gw.writer = writer_start(gw.store)) == NULL) {
		fprintf(stderr, "gatewayctl: cannot start the writer\n");
		goto out;
	}
	writer_on_commit(gw.writer, vault_committed, gw.vault);	/* its key cache */
	if ((gw.ledger = ledger_open_copy(gw.store, gw.writer, gw.cfg.data_dir, NULL, 0,
	    gw.cfg.ledger_head_copy, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		goto out;
	}
	if (retention_sweep(&gw, as_of, "gatewayctl", &sum) == 0) {
		printf("retention as of %s: %lld families looked at, %lld expired (keys "
		    "destroyed), %lld held by a legal hold or a safeguarding obligation, %lld "
		    "kept for an unknown interest, %lld kept for a police or court request not as "
		    "its ledger entries signed; %lld idempotency keys past 24 h deleted\n",
		    store_time_fmt(as_of, t), (long long)sum.families, (long long)sum.expired,
		    (long long)sum.held, (long long)sum.unknown, (long long)sum.unverified,
		    (long long)sum.idempotency_keys);
		rc = 0;
	}
	/* Always, not only when this sweep destroyed keys: an earlier run
	 * may have left the log untruncated. */
	if (retention_purge_wait(&gw, PURGE_WAIT_S) != 0) {
		fprintf(stderr, "gatewayctl: the write-ahead log (%s/gateway.db-wal) could not be "
		    "truncated for %d s: a reader holds it, and destroyed keys' bytes may remain "
		    "in it; run again once it is gone (gatewayd truncates it at start-up too)\n",
		    gw.cfg.data_dir, PURGE_WAIT_S);
		rc = 1;
	}
out:
	ledger_stop(gw.ledger);
	writer_stop(gw.writer);
	ledger_free(gw.ledger);
	store_close(gw.store);
	vault_free(gw.vault);
	profiles_free(gw.profiles);
	schemas_free(gw.schemas);
	datalock_release(lock);
	return rc;
}

int
ctl_retention(int argc, char **argv)
{
	if (argc < 2)
		return usage_error();
	if (strcmp(argv[1], "run") == 0)
		return run(argc - 1, argv + 1);
	return usage_error();
}
