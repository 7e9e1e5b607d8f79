/*
 * ctl_deliveries.c: gatewayctl deliveries, the operator's view of the
 * delivery outbox and inbox, and the way to give a dead letter another go.
 *
 *   gatewayctl deliveries [--db FILE] [list] [--state pending|dead|delivered|open|all]
 *   gatewayctl deliveries [--db FILE] retry ID
 *
 * list prints one line per delivery: disclosure id, agency, mode, state,
 * attempts, last HTTP status, last error, and when it is next due (pending)
 * or why it died (dead). No personal data: no family, no content. Default
 * state "open" (pending and dead).
 *
 * retry re-queues a dead delivery straight in the database: pending
 * again as a push (the worker moves it to the inbox if the agency's profile
 * says pull, or dead-letters it agency_unknown again if the agency is still
 * gone), attempts from zero, due now, recorded in delivery_attempts as a
 * "requeue" by operator:$USER. gatewayd need not be stopped: its delivery
 * worker looks at the outbox at least once a second and sends it, with the
 * same Idempotency-Key, recording the new attempts in the ledger. The
 * re-queue itself is ledgered by gatewayd (the ledger's only appender)
 * before it sends: "delivery.requeued" with operator:$USER as actor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store.h"

#define LIST_MAX	10000

void
ctl_deliveries_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl deliveries [--db FILE] [list] "
	    "[--state pending|dead|delivered|open|all]\n"
	    "       gatewayctl deliveries [--db FILE] retry ID\n"
	    "default FILE: var/gateway.db\n");
}

static int
list(struct store *s, const char *state)
{
	struct store_conn	*c = store_write_conn(s);
	struct delivery_row	*rows;
	const char		*states[3];
	char			 t[32], why[96];
	int			 n, i, k, ns = 0, total = 0, cut = 0;

	if (strcmp(state, "open") == 0)
		states[ns++] = NULL;	/* pending and dead */
	else if (strcmp(state, "all") == 0) {
		states[ns++] = NULL;
		states[ns++] = "delivered";
	} else if (strcmp(state, "pending") == 0 || strcmp(state, "dead") == 0 ||
	    strcmp(state, "delivered") == 0)
		states[ns++] = state;
	else {
		fprintf(stderr, "gatewayctl: --state %s: not a delivery state (pending, dead, "
		    "delivered, open or all)\n", state);
		ctl_deliveries_usage(stderr);
		return 2;
	}
	if ((rows = calloc(LIST_MAX, sizeof(*rows))) == NULL)
		return 2;
	printf("%-30s %-24s %-4s %-9s %8s %6s %-16s %s\n", "DISCLOSURE", "AGENCY", "MODE",
	    "STATE", "ATTEMPTS", "STATUS", "LAST_ERROR", "NEXT_DUE/DEAD_REASON/DELIVERED");
	for (k = 0; k < ns; k++) {
		if ((n = store_deliveries_list(c, states[k], rows, LIST_MAX)) < 0) {
			fprintf(stderr, "gatewayctl: cannot read deliveries\n");
			free(rows);
			return 2;
		}
		for (i = 0; i < n; i++) {
			const struct delivery_row *r = &rows[i];
			const char *what;
			if (strcmp(r->state, "pending") == 0 &&
			    r->next_attempt_us == DELIVERY_AWAITS_NOTICE)
				what = "after the family's notice";
			else if (strcmp(r->state, "pending") == 0)
				what = strcmp(r->mode, "pull") == 0 ? "in inbox" :
				    ctl_due(r->next_attempt_us, t);
			else if (strcmp(r->state, "dead") == 0 && r->delivered_us != 0) {
				/* stopped, yet the agency acknowledged a push
				 * written before the stop */
				snprintf(why, sizeof(why), "%s, received %s", r->dead_reason,
				    store_time_fmt(r->delivered_us, t));
				what = why;
			} else if (strcmp(r->state, "dead") == 0)
				what = r->dead_reason;
			else
				what = store_time_fmt(r->delivered_us, t);
			printf("%-30s %-24s %-4s %-9s %8d %6d %-16s %s\n", r->disclosure_id,
			    r->agency_id, r->mode, r->state, r->attempts, r->last_status,
			    r->last_error[0] ? r->last_error : "-", what);
		}
		total += n;
		if (n == LIST_MAX)
			cut = 1;
	}
	free(rows);
	fprintf(stderr, "%d deliver%s\n", total, total == 1 ? "y" : "ies");
	if (cut)
		fprintf(stderr, "gatewayctl: only the oldest %d of each state are listed and "
		    "there are more: list one state at a time (--state dead for the dead "
		    "letters)\n", LIST_MAX);
	return 0;
}

int
ctl_deliveries(int argc, char **argv)
{
	static const struct ctl_queue q = {
		.default_state = "open",
		.usage = ctl_deliveries_usage,
		.list = list,
		.requeue = store_delivery_requeue,
		.refused = {
			"no such delivery",
			"not dead; only a dead letter can be re-queued",
			"stopped because the family withdrew the consent it relied on, or "
			    "that consent expired, with none other covering; it is never sent "
			    "again",
			"the family's records were erased (or are past retention): there is "
			    "nothing left to send",
		},
		.done = "gatewayd sends it within a second (same Idempotency-Key)",
		.done_stopped = "it will be sent when gatewayd starts (same Idempotency-Key)",
	};

	return ctl_queue_main(&q, argc, argv);
}
