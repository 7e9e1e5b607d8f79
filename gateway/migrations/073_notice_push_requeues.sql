-- An operator's re-queue of a notice's push that was given up (gatewayctl
-- notices retry), as 057 and 061 did for deliveries and family
-- notifications: gatewayctl writes the row and makes the push pending
-- again but not yet due (its next_us the largest integer) straight into
-- the database while gatewayd runs; gatewayd, the ledger's only appender,
-- appends a "recipient.notice_push_requeued" entry for each row without a
-- ledger_seq, sets it, and only then makes the push due: nothing
-- re-queued is pushed before the ledger says who re-queued it. Ids, the
-- operator's account and times only.
CREATE TABLE notice_push_requeues (
	id		INTEGER PRIMARY KEY,
	notice_id	TEXT NOT NULL REFERENCES recipient_notices(id),
	actor		TEXT NOT NULL,		-- operator:NAME
	at_us		INTEGER NOT NULL,
	ledger_seq	INTEGER
) STRICT;
CREATE INDEX notice_push_requeues_unledgered ON notice_push_requeues(id)
	WHERE ledger_seq IS NULL;
