/*
 * ctl_notifications.c: gatewayctl notifications, the operator's view of the
 * family notifications (of disclosures, and of police and court requests)
 * and the way to give one that failed another go.
 *
 *   gatewayctl notifications [--db FILE] [list] [--state queued|held|sent|failed|all]
 *   gatewayctl notifications [--db FILE] retry ID
 *
 * list prints one line per notification: kind, disclosure or request id,
 * state, attempts, the last HTTP status, and when it is next due or was
 * sent. No personal data: no family, no content. Default state "failed".
 *
 * retry re-queues a failed notification (after the webhook was fixed, say)
 * straight in the database, attempts from zero; gatewayd need not be
 * stopped. gatewayd, the ledger's only appender, records the re-queue
 * ("notification.requeued", actor operator:$USER) and only then sends it,
 * within a second or so (store_notify_requeue.c). A notification that
 * failed because the family's records were erased is not re-queued, nor is
 * one that is not failed (a held one waits for a safeguarding lead).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store.h"

#define LIST_MAX	10000

static void
usage(void)
{
	fprintf(stderr, "usage: gatewayctl notifications [--db FILE] [list] "
	    "[--state queued|held|sent|failed|all]\n"
	    "       gatewayctl notifications [--db FILE] retry ID\n"
	    "default FILE: var/gateway.db; ID: the disclosure's or the request's id\n");
}

static int
list(struct store *s, const char *state)
{
	struct store_conn	*c = store_write_conn(s);
	struct notify_list_row	*rows;
	char			 t[32];
	const char		*what;
	int			 n, i;

	if (strcmp(state, "all") == 0)
		state = NULL;
	else if (strcmp(state, "queued") != 0 && strcmp(state, "held") != 0 &&
	    strcmp(state, "sent") != 0 && strcmp(state, "failed") != 0) {
		usage();
		return 2;
	}
	if ((rows = calloc(LIST_MAX, sizeof(*rows))) == NULL)
		return 2;
	if ((n = store_notify_list(c, state, rows, LIST_MAX)) < 0) {
		fprintf(stderr, "gatewayctl: cannot read notifications\n");
		free(rows);
		return 2;
	}
	printf("%-10s %-30s %-7s %8s %6s %s\n", "KIND", "ID", "STATE", "ATTEMPTS", "STATUS",
	    "NEXT_DUE/SENT");
	for (i = 0; i < n; i++) {
		const struct notify_list_row *r = &rows[i];

		if (strcmp(r->state, "sent") == 0)
			what = store_time_fmt(r->sent_us, t);
		else if (strcmp(r->state, "queued") == 0)
			what = r->next_attempt_us == STORE_NOTIFY_UNLEDGERED ?
			    "re-queued: waits for gatewayd to record it" :
			    store_time_fmt(r->next_attempt_us, t);
		else
			what = "-";
		printf("%-10s %-30s %-7s %8d %6d %s\n", r->kind, r->ref, r->state, r->attempts,
		    r->last_status, what);
	}
	free(rows);
	fprintf(stderr, "%d notification%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int
retry(struct store *s, const char *id)
{
	struct store_conn	*c = store_write_conn(s);
	const char		*user = getenv("USER");
	char			 by[160];
	int			 rc;

	snprintf(by, sizeof(by), "operator:%s", user != NULL && *user ? user : "unknown");
	if (store_exec(c, "BEGIN IMMEDIATE") == -1)
		return 2;
	rc = store_notify_requeue(c, id, store_now_us(), by);
	if (rc != 0 || store_exec(c, "COMMIT") == -1) {
		(void)store_exec(c, "ROLLBACK");
		if (rc == 1)
			fprintf(stderr, "gatewayctl: no notification of %s\n", id);
		else if (rc == 2)
			fprintf(stderr, "gatewayctl: the notification of %s has not failed; only a "
			    "failed one can be re-queued\n", id);
		else if (rc == 3)
			fprintf(stderr, "gatewayctl: the family of %s was erased; there is no one "
			    "to notify\n", id);
		else
			fprintf(stderr, "gatewayctl: could not re-queue the notification of %s\n",
			    id);
		return rc >= 1 && rc <= 3 ? 1 : 2;
	}
	printf("re-queued the notification of %s: gatewayd records it in the ledger and sends "
	    "it within a few seconds\n", id);
	return 0;
}

int
ctl_notifications(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*db = "var/gateway.db", *state = "failed", *cmd = "list";
	struct store	*s;
	char		 err[512];
	int		 ch, rc, writable;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': db = optarg; break;
		case 's': state = optarg; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (optind < argc)
		cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0 && optind == argc)
		writable = 0;
	else if (strcmp(cmd, "retry") == 0 && optind == argc - 1)
		writable = 1;
	else {
		usage();
		return 2;
	}
	if ((s = store_attach(db, writable, err, sizeof(err))) == NULL) {
		fprintf(stderr, "gatewayctl: %s\n", err);
		return 2;
	}
	rc = writable ? retry(s, argv[optind]) : list(s, state);
	store_close(s);
	return rc;
}
