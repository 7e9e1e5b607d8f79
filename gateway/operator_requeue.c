/*
 * operator_requeue.c: the ledger entry of an operator's re-queue
 * (operator_requeue.h), one for deliveries, family notifications and
 * notices' pushes alike.
 */
#include <stdio.h>

#include "ledger.h"
#include "operator_requeue.h"
#include "store.h"

int
operator_requeue_ledger(struct ledger *l, struct store_conn *c, const char *action,
    const char *actor, const char *pseudonym, const char *object_id, int64_t at_us,
    int64_t *seq)
{
	struct ledger_entry	e;
	char			at[32], reason[64];

	snprintf(reason, sizeof(reason), "requeued_at=%s", store_time_fmt(at_us, at));
	e = (struct ledger_entry){ actor, "operator", action, pseudonym, object_id, reason, NULL };
	return ledger_append(l, c, &e, seq, NULL);
}
