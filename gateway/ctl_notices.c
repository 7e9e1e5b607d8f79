/*
 * ctl_notices.c: gatewayctl notices, the operator's view of the pushes of
 * notices to recipients (UK GDPR Art 19 notices pushed to an agency whose
 * profile names delivery.notices_url: delivery.c, migration 072) and the
 * way to give a push that was given up another go.
 *
 *   gatewayctl notices [--db FILE] [list] [--state pending|given_up|delivered|open|all]
 *   gatewayctl notices [--db FILE] retry ID
 *
 * list prints one line per push: notice id, agency, the notice's kind,
 * state, attempts, last HTTP status, last error, and when it is next due,
 * was given up, or was acknowledged. No personal data: no family, no
 * pseudonym, no content. Default state "open" (pending and given up, of
 * notices not acknowledged); "all" also lists those the agency has
 * acknowledged since, by push or by collecting them.
 *
 * retry re-queues a given-up push of a notice not yet acknowledged (after
 * the agency fixed its endpoint, say) straight in the database, attempts
 * from zero; gatewayd need not be stopped. gatewayd, the ledger's only
 * appender, records the re-queue ("recipient.notice_push_requeued", actor
 * operator:NAME) and only then pushes it, within a second or so
 * (store_notice_push_requeue.c). Anything else is refused, exit 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "store.h"

#define LIST_MAX	10000

void
ctl_notices_usage(FILE *f)
{
	fprintf(f, "usage: gatewayctl notices [--db FILE] [list] "
	    "[--state pending|given_up|delivered|open|all]\n"
	    "       gatewayctl notices [--db FILE] retry ID\n"
	    "default FILE: var/gateway.db; ID: the notice's id (ntc_...)\n");
}

static int
list(struct store *s, const char *state)
{
	struct store_conn		*c = store_write_conn(s);
	struct notice_push_list_row	*rows;
	char				 t[32], what[64];
	int				 n, i;

	if (strcmp(state, "pending") != 0 && strcmp(state, "given_up") != 0 &&
	    strcmp(state, "delivered") != 0 && strcmp(state, "open") != 0 &&
	    strcmp(state, "all") != 0) {
		fprintf(stderr, "gatewayctl: --state %s: not a notice push state (pending, "
		    "given_up, delivered, open or all)\n", state);
		ctl_notices_usage(stderr);
		return 2;
	}
	if ((rows = calloc(LIST_MAX, sizeof(*rows))) == NULL)
		return 2;
	if ((n = store_notice_pushes_list(c, state, rows, LIST_MAX)) < 0) {
		fprintf(stderr, "gatewayctl: cannot read notice pushes\n");
		free(rows);
		return 2;
	}
	printf("%-30s %-24s %-17s %-9s %8s %6s %-16s %s\n", "NOTICE", "AGENCY", "KIND", "STATE",
	    "ATTEMPTS", "STATUS", "LAST_ERROR", "NEXT_DUE/GIVEN_UP/ACKNOWLEDGED");
	for (i = 0; i < n; i++) {
		const struct notice_push_list_row *r = &rows[i];

		if (r->acked_us != 0)
			snprintf(what, sizeof(what), "acknowledged %s",
			    store_time_fmt(r->acked_us, t));
		else if (strcmp(r->state, "pending") == 0 &&
		    r->next_us == STORE_NOTICE_PUSH_UNLEDGERED)
			snprintf(what, sizeof(what), "re-queued: waits for gatewayd to record it");
		else if (strcmp(r->state, "pending") == 0)
			snprintf(what, sizeof(what), "%s", ctl_due(r->next_us, t));
		else if (strcmp(r->state, "given_up") == 0)
			snprintf(what, sizeof(what), "given up %s",
			    store_time_fmt(r->last_attempt_us, t));
		else
			snprintf(what, sizeof(what), "-");
		printf("%-30s %-24s %-17s %-9s %8d %6d %-16s %s\n", r->notice_id, r->agency_id,
		    r->kind, r->state, r->attempts, r->last_status,
		    r->last_error[0] ? r->last_error : "-", what);
	}
	free(rows);
	fprintf(stderr, "%d notice push%s\n", n, n == 1 ? "" : "es");
	if (n == LIST_MAX)
		fprintf(stderr, "gatewayctl: only the oldest %d are listed and there are more: "
		    "list one state at a time (--state given_up for those given up)\n",
		    LIST_MAX);
	return 0;
}

int
ctl_notices(int argc, char **argv)
{
	static const struct ctl_queue q = {
		.default_state = "open",
		.usage = ctl_notices_usage,
		.list = list,
		.requeue = store_notice_push_requeue,
		.refused = {
			"no such notice",
			"its push was not given up (it is pending, was never tried, or the "
			    "agency took it); only a given-up push can be re-queued",
			"the agency has acknowledged the notice already (collected from GET "
			    "/v1/notices): there is nothing left to tell it",
		},
		.done = "gatewayd records the re-queue in the ledger, then pushes the notice "
		    "within a few seconds",
		.done_stopped = "when gatewayd starts it records the re-queue in the ledger, "
		    "then pushes the notice",
	};

	return ctl_queue_main(&q, argc, argv);
}
