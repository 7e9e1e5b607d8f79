-- A police or court request's do_not_notify hold is reviewed like a
-- safeguarding override's (DESIGN.md: "A hold past its review date is
-- flagged"): review_by_us is set when the hold starts (approval plus
-- --max-hold-days), counted in the held and overdue gauges; lifting it takes
-- a reason, sealed under the family key. Holds already in place get the
-- default 90 days from when they began.
ALTER TABLE request_notifications ADD COLUMN review_by_us INTEGER;
ALTER TABLE request_notifications ADD COLUMN lift_reason_ct BLOB;
UPDATE request_notifications SET review_by_us = created_us + 90 * 86400000000
	WHERE state = 'held';
