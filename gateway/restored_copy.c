/*
 * restored_copy.c: a gatewayd started on a copy "gatewayctl backup" made
 * (restored_copy.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup_meta.h"
#include "durable.h"
#include "gateway.h"
#include "ledger_head.h"
#include "log.h"
#include "restored_copy.h"
#include "retention.h"
#include "rfc3339.h"
#include "store.h"

static const char *
keys_said(int keys)
{
	return keys == 1 ? "with the keys" : keys == 0 ? "without the keys" :
	    "keys not said";
}

/* The copy's age, told. */
static void
say_age(const char *path)
{
	struct backup_meta	 m;
	char			 err[128], t[32], *text;
	size_t			 len = 0;
	int64_t			 age;

	if ((text = ledger_head_read(path, &len)) == NULL) {
		log_warnx("started on a restored copy (%s) of unknown age: %s", path,
		    strerror(errno));
		return;
	}
	if (backup_meta_parse(text, len, &m, err, sizeof(err)) == -1) {
		free(text);
		log_warnx("started on a restored copy (%s) of unknown age: %s", path, err);
		return;
	}
	free(text);
	rfc3339_fmt(m.made_us, t);
	if (backup_age(m.made_us, store_now_us(), BACKUP_MAX_AGE_DAYS, &age) ==
	    BACKUP_AGE_FUTURE) {
		log_warnx("started on a restored copy made at %s (%s), later than now: its "
		    "age is unknown", t, keys_said(m.keys_included));
		return;
	}
	log_warnx("started on a restored copy made at %s, %lld days ago (%s): families "
	    "erased or past retention since then are in it", t,
	    (long long)(age < 0 ? 0 : age / BACKUP_DAY_US), keys_said(m.keys_included));
}

int
restored_copy_start(struct gateway *gw, long long reapplied, int journal_new)
{
	struct retention_summary	sum;
	char				meta[4096], done[4096];

	if ((size_t)snprintf(meta, sizeof(meta), "%s/%s", gw->cfg.data_dir,
	    BACKUP_META_FILE) >= sizeof(meta) ||
	    (size_t)snprintf(done, sizeof(done), "%s/%s", gw->cfg.data_dir,
	    RESTORED_COPY_FILE) >= sizeof(done)) {
		log_errx("data directory %s: path too long", gw->cfg.data_dir);
		return -1;
	}
	if (access(meta, F_OK) == -1) {
		if (errno == ENOENT)
			return 0;
		log_errx("%s: %s", meta, strerror(errno));
		return -1;
	}
	say_age(meta);
	if (journal_new)
		log_warnx("restored copy: the erasure journal was made new and empty, so no "
		    "erasure or consent withdrawal made after the copy was made again: make "
		    "them again by hand");
	else
		log_info("restored copy: %lld erasures and consent withdrawals from the erasure "
		    "journal %s made again before serving", reapplied, gw->cfg.erasure_journal);
	if (gw->cfg.retention_interval == 0) {
		log_warnx("restored copy: --retention-interval 0: no retention sweep, so "
		    "families past retention in the copy stay readable until one runs "
		    "(gatewayctl retention run, gatewayd stopped)");
	} else {
		if (retention_sweep(gw, store_now_us(), "restore", &sum) == -1) {
			log_errx("restored copy: the retention sweep failed; not serving a copy "
			    "that may hold families past retention");
			return -1;
		}
		log_info("restored copy: retention swept before serving: %lld families past "
		    "retention expired", (long long)sum.expired);
	}
	if (rename(meta, done) == -1 || durable_sync_dir(done) == -1)
		log_warnx("%s: not renamed %s (%s): the next start treats this directory as "
		    "a restored copy again", meta, RESTORED_COPY_FILE, strerror(errno));
	return 0;
}
