-- The people a breach touched, told (UK GDPR Art 34; the policy's breach
-- flow chart: "inform those individuals without undue delay"): each time
-- the charity tells them, a row of its own, append-only like the rest of
-- the register. When and how they were told and how many are plain (what
-- the flag and the regulator need); what they were told is free text,
-- sealed under the register key. breach.individuals_notified in the ledger
-- carries the row's digest.
CREATE TABLE breach_notices (
	id		TEXT PRIMARY KEY,
	breach_id	TEXT NOT NULL REFERENCES breaches(id),
	at_us		INTEGER NOT NULL,		-- when it was recorded
	notified_us	INTEGER NOT NULL,		-- when the people were told
	method		TEXT NOT NULL CHECK (method IN ('letter', 'email', 'phone',
			    'in_person', 'public_notice', 'other')),
	people		INTEGER NOT NULL CHECK (people >= 1),
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	text_ct		BLOB NOT NULL,			-- sealed JSON: {"summary": ...}
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX breach_notices_breach ON breach_notices(breach_id, notified_us);

CREATE TRIGGER breach_notices_no_update BEFORE UPDATE ON breach_notices
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breach_notices_no_delete BEFORE DELETE ON breach_notices
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
