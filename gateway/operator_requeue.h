/*
 * operator_requeue.h: an operator's re-queue, as gatewayd ledgers it.
 * gatewayctl (deliveries retry, notifications retry, notices retry) writes
 * a re-queue straight into the database, gatewayd running or not, but the
 * ledger has one appender, gatewayd: its workers find the re-queues not yet
 * ledgered and append an entry for each, in a writer job, before anything
 * re-queued is sent. The entry is the same for all three: the operator as
 * actor (operator:NAME, role "operator"), the action, the family's
 * pseudonym, the re-queued record's id as object, and the time of the
 * re-queue as the reason ("requeued_at=" RFC 3339). Nothing personal.
 */
#ifndef OPERATOR_REQUEUE_H
#define OPERATOR_REQUEUE_H

#include <stdint.h>

struct ledger;
struct store_conn;

/* Appends the entry (inside a writer job, ledger_append) and fills *seq.
 * 0 or -1. */
int	operator_requeue_ledger(struct ledger *, struct store_conn *, const char *action,
	    const char *actor, const char *pseudonym, const char *object_id, int64_t at_us,
	    int64_t *seq);

#endif
