-- Safeguarding holds after the disclosure: every lift and every review of a
-- held family notification, by a safeguarding lead, with a written reason
-- (sealed under the family key, like every free text) and, for a review,
-- the new review date (the old one is kept beside it). The ledger entry of
-- each (override.lifted / override.reviewed) carries the row's digest.
-- Rows are never updated or deleted. Written with IF NOT EXISTS: it is
-- numbered below migrations applied before it existed (store.c: late[]).
CREATE TABLE IF NOT EXISTS override_events (
	id		TEXT PRIMARY KEY,
	disclosure_id	TEXT NOT NULL REFERENCES disclosures(id),
	family_pseudonym TEXT NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('lifted', 'reviewed')),
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	at_us		INTEGER NOT NULL,
	reason_ct	BLOB NOT NULL,		-- sealed
	previous_review_by_us INTEGER NOT NULL,	-- the hold's review date before
	review_by_us	INTEGER,		-- reviewed: the new one; NULL when lifted
	record_digest	BLOB NOT NULL,		-- SHA-256 of the row, as in the ledger
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS override_events_disclosure ON override_events(disclosure_id, at_us);
CREATE TRIGGER IF NOT EXISTS override_events_no_update BEFORE UPDATE ON override_events
BEGIN SELECT RAISE(ABORT, 'override events are permanent'); END;
CREATE TRIGGER IF NOT EXISTS override_events_no_delete BEFORE DELETE ON override_events
BEGIN SELECT RAISE(ABORT, 'override events are permanent'); END;
