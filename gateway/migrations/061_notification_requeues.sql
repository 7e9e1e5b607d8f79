-- An operator's re-queue of a family notification that failed (gatewayctl
-- notifications retry), as 057 did for deliveries: gatewayctl writes the
-- row and makes the notification queued again but not yet due (its
-- next_attempt_us the largest integer) straight into the database while
-- gatewayd runs; gatewayd, the ledger's only appender, appends a
-- "notification.requeued" entry for each row without a ledger_seq, sets it,
-- and only then makes the notification due: nothing re-queued is sent
-- before the ledger says who re-queued it.
CREATE TABLE notification_requeues (
	id		INTEGER PRIMARY KEY,
	kind		TEXT NOT NULL CHECK (kind IN ('disclosure', 'request')),
	ref		TEXT NOT NULL,		-- the disclosure id or the request id
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,		-- operator:$USER
	at_us		INTEGER NOT NULL,
	ledger_seq	INTEGER
) STRICT;
CREATE INDEX notification_requeues_unledgered ON notification_requeues(id)
	WHERE ledger_seq IS NULL;
