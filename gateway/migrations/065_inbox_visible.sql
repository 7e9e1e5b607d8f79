-- The agency's inbox without the deliveries held for the family's notice
-- (next_attempt_us = DELIVERY_AWAITS_NOTICE, INT64_MAX): they are the
-- newest pending pull rows whenever a notifier is configured and pile up
-- while the family-messaging service is down, and in this index every
-- inbox read that reached the end of the inbox looked each one up in the
-- table only to skip it (44k held rows: 30 ms a poll, not 0.1).
-- SQLite uses a partial index only for a query whose WHERE carries this
-- same literal term, so the queries that read it spell it in full
-- (DELIVERY_AWAITS_NOTICE_SQL in store.h), not as a bound parameter.
DROP INDEX deliveries_inbox;
CREATE INDEX deliveries_inbox ON deliveries(agency_id, created_us, disclosure_id)
	WHERE state = 'pending' AND mode = 'pull' AND next_attempt_us != 9223372036854775807;
