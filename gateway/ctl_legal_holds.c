/*
 * ctl_legal_holds.c: "gatewayctl legal-holds list", the legal holds as the
 * database holds them, read-only, beside a running gatewayd or not:
 *
 *   gatewayctl legal-holds [--data DIR] list [--all]
 *
 * One line per hold: the family's pseudonym (never its id, which the
 * gateway does not keep), the hold's id, its source (litigation, or a
 * police or court request), its reference (a case reference or the
 * request's id), when it was placed and when released ("-" while open).
 * Open holds only unless --all. Never a reason (sealed under the family
 * key) nor who placed or released it. The rows as stored: erasure and the
 * sweep judge a litigation hold by its signed ledger entries
 * (legal_hold_signed.h), so a row edited behind the gateway's back shows
 * here as edited; GET /v1/families/{id}/legal-holds/{hold_id} checks one.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "store.h"

void
ctl_legal_holds_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl legal-holds [--data DIR] list [--all]\n"
	    "default DIR: var; open holds only unless --all; no reasons, no names\n");
}

struct walk {
	int	n;
};

static int
line(const struct legal_hold_row *h, void *arg)
{
	struct walk	*w = arg;
	char		 placed[32], released[32];

	printf("%-64s %-30s %-10s %-30s %-27s %s\n", h->family_pseudonym, h->id, h->source,
	    h->reference != NULL ? h->reference : "-", store_time_fmt(h->opened_us, placed),
	    h->released_by != NULL ? store_time_fmt(h->released_us, released) : "-");
	w->n++;
	return 0;
}

int
ctl_legal_holds(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*data = "var";
	struct store	*s;
	struct walk	 w = { 0 };
	char		 err[512], db[PATH_MAX];
	int		 ch, all = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'a': all = 1; break;
		default: ctl_legal_holds_usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || strcmp(argv[optind], "list") != 0) {
		ctl_legal_holds_usage(stderr);
		return 2;
	}
	if (snprintf(db, sizeof(db), "%s/gateway.db", data) >= (int)sizeof(db)) {
		fprintf(stderr, "gatewayctl: --data: path too long\n");
		return 2;
	}
	/* The directory only: SQLite's -shm index and log beside the database. */
	if (ctl_confine(data, NULL) == -1)
		return 2;
	if ((s = store_attach(db, 0, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	printf("%-64s %-30s %-10s %-30s %-27s %s\n", "FAMILY_PSEUDONYM", "HOLD", "SOURCE",
	    "REFERENCE", "PLACED", "RELEASED");
	rc = store_legal_holds_each(store_write_conn(s), all, line, &w);
	store_close(s);
	if (rc != 0) {
		fprintf(stderr, "gatewayctl: cannot read the legal holds\n");
		return 2;
	}
	fprintf(stderr, "%d %slegal hold%s\n", w.n, all ? "" : "open ", w.n == 1 ? "" : "s");
	return 0;
}
