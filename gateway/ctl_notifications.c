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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store.h"

#define LIST_MAX	10000

void
ctl_notifications_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl notifications [--db FILE] [list] "
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
		fprintf(stderr, "gatewayctl: --state %s: not a notification state (queued, "
		    "held, sent, failed or all)\n", state);
		ctl_notifications_usage(stderr);
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
			    ctl_due(r->next_attempt_us, t);
		else
			what = "-";
		printf("%-10s %-30s %-7s %8d %6d %s\n", r->kind, r->ref, r->state, r->attempts,
		    r->last_status, what);
	}
	free(rows);
	fprintf(stderr, "%d notification%s\n", n, n == 1 ? "" : "s");
	if (n == LIST_MAX)
		fprintf(stderr, "gatewayctl: only the oldest %d are listed and there are more: "
		    "list one state at a time (--state failed for the failed ones)\n",
		    LIST_MAX);
	return 0;
}

int
ctl_notifications(int argc, char **argv)
{
	static const struct ctl_queue q = {
		.default_state = "failed",
		.usage = ctl_notifications_usage,
		.list = list,
		.requeue = store_notify_requeue,
		.refused = {
			"no such notification",
			"the notification has not failed; only a failed one can be "
			    "re-queued",
			"the family was erased; there is no one to notify",
		},
		.done = "gatewayd records the re-queue in the ledger, then sends the "
		    "notification within a few seconds",
		.done_stopped = "when gatewayd starts it records the re-queue in the "
		    "ledger, then sends the notification",
	};

	return ctl_queue_main(&q, argc, argv);
}
