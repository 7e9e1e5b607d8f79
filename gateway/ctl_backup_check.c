/*
 * ctl_backup_check.c: "gatewayctl backup check", the age of copies made by
 * "gatewayctl backup", for cron or monitoring to alert on.
 *
 *   backup check [--max-age DAYS] COPY...
 *
 * A copy keeps every family erased on request or past retention after it
 * was made readable (with the master key) for as long as it is kept, so it
 * is to be kept a short, fixed time (backup_meta.h: BACKUP_MAX_AGE_DAYS by
 * default). For each COPY, one line on stdout: when it was made (its
 * backup.json) and how many whole days old it is, "ok" or why not. Exit 0
 * every copy is at most DAYS old; 1 one is older, or has no readable
 * made_at (no backup.json: not made by this gatewayctl, or its
 * verification failed; damaged; made in the future), so its age is
 * unknown; 2 usage. Reads only.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup_meta.h"
#include "ctl.h"
#include "ledger_head.h"
#include "rfc3339.h"
#include "store.h"

/* One copy's line; 0 ok, 1 flagged. */
static int
check_one(const char *dir, unsigned max_days, int64_t now_us)
{
	struct backup_meta	 m;
	char			 path[4096], err[128], t[32], *text;
	size_t			 len = 0;
	int64_t			 age;
	int			 rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, BACKUP_META_FILE) >=
	    sizeof(path)) {
		printf("%s: age unknown: path too long\n", dir);
		return 1;
	}
	/* A small file read whole, as the ledger head is. */
	if ((text = ledger_head_read(path, &len)) == NULL) {
		printf("%s: age unknown: no readable made_at (%s: %s)\n", dir, BACKUP_META_FILE,
		    errno == ENOENT ? "missing" : strerror(errno));
		return 1;
	}
	rc = backup_meta_parse(text, len, &m, err, sizeof(err));
	free(text);
	if (rc == -1) {
		printf("%s: age unknown: no readable made_at (%s: %s)\n", dir, BACKUP_META_FILE,
		    err);
		return 1;
	}
	rfc3339_fmt(m.made_us, t);
	switch (backup_age(m.made_us, now_us, max_days, &age)) {
	case BACKUP_AGE_OK:
		printf("%s: made %s, %lld days old (limit %u): ok\n", dir, t,
		    (long long)(age < 0 ? 0 : age / BACKUP_DAY_US), max_days);
		return 0;
	case BACKUP_AGE_TOO_OLD:
		printf("%s: made %s, %lld days old (limit %u): too old: it keeps families "
		    "erased or expired since readable; remove it\n", dir, t,
		    (long long)(age / BACKUP_DAY_US), max_days);
		return 1;
	case BACKUP_AGE_FUTURE:
		break;
	}
	printf("%s: age unknown: made_at %s is later than now\n", dir, t);
	return 1;
}

int
ctl_backup_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "max-age", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 }
	};
	unsigned long	 n;
	unsigned	 max_days = BACKUP_MAX_AGE_DAYS;
	int64_t		 now_us;
	char		*end;
	int		 ch, i, flagged = 0;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0 ||
			    n < 1 || n > BACKUP_MAX_AGE_DAYS_MAX) {
				fprintf(stderr, "gatewayctl: backup check: --max-age takes a whole "
				    "number of days, 1 to %d\n", BACKUP_MAX_AGE_DAYS_MAX);
				ctl_backup_usage(stderr);
				return 2;
			}
			max_days = (unsigned)n;
			break;
		default:
			ctl_backup_usage(stderr);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "gatewayctl: backup check: name at least one copy (a directory "
		    "gatewayctl backup made)\n");
		ctl_backup_usage(stderr);
		return 2;
	}
	if (ctl_confine(NULL, NULL) == -1)	/* it only reads the copies */
		return 2;
	now_us = store_now_us();
	for (i = optind; i < argc; i++)
		flagged += check_one(argv[i], max_days, now_us);
	if (flagged > 0)
		fprintf(stderr, "gatewayctl: backup check: %d of %d copies older than %u days or "
		    "of unknown age\n", flagged, argc - optind, max_days);
	return flagged > 0 ? 1 : 0;
}
