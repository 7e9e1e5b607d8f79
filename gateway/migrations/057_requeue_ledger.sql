-- An operator's re-queue of a dead letter (gatewayctl deliveries retry)
-- goes into the signed ledger. gatewayctl writes the delivery_attempts row
-- (kind 'requeue', actor operator:$USER) straight into the database while
-- gatewayd runs, and the ledger has one appender, gatewayd: its delivery
-- worker finds the re-queues not yet in the ledger, appends a
-- "delivery.requeued" entry for each and sets ledger_seq, before it sends
-- the delivery again. Re-queues made before this migration are ledgered at
-- the first start after it, with the time they were made in the reason.
ALTER TABLE delivery_attempts ADD COLUMN ledger_seq INTEGER;
CREATE INDEX delivery_requeues_unledgered ON delivery_attempts(id)
	WHERE kind = 'requeue' AND ledger_seq IS NULL;
