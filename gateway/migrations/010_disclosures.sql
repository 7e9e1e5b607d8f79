-- Disclosures: every decision, allowed or refused, with its rule and lawful
-- basis; the family notification each allowed disclosure queues or holds;
-- and the record of every read of a disclosure (the record-of-access form).
-- Families appear only as their keyed pseudonym. Whatever is personal or
-- free text is sealed with the family's data key (*_ct columns): the values
-- that left, the staff member's reason, the override's reason, the family id
-- the notifier needs, a reader's access reason.
CREATE TABLE disclosures (
	id		TEXT PRIMARY KEY,
	created_us	INTEGER NOT NULL,
	actor		TEXT NOT NULL,		-- principal id
	actor_role	TEXT NOT NULL,
	agency_id	TEXT NOT NULL,		-- as asked for (may name no profile)
	purpose		TEXT NOT NULL,
	family_pseudonym TEXT NOT NULL,
	decision	TEXT NOT NULL CHECK (decision IN ('allowed', 'refused')),
	rule		TEXT NOT NULL,		-- 'allowed' or the refusal's rule code
	article6	TEXT,			-- set when allowed
	article9	TEXT,			-- set when a special-category field left
	requested_fields TEXT NOT NULL,		-- JSON array of field names
	disclosed_fields TEXT NOT NULL,		-- JSON array of field names
	withheld_fields	TEXT NOT NULL,		-- JSON array of field names
	data_ct		BLOB,			-- the disclosed values, sealed; NULL if refused
	reason_ct	BLOB NOT NULL,		-- the request's reason, sealed
	override_basis	TEXT,
	override_consent_not_sought TEXT,
	override_reason_ct BLOB,
	review_by_us	INTEGER,
	record_digest	BLOB NOT NULL,		-- SHA-256 of the record, as in the ledger
	ledger_seq	INTEGER NOT NULL,
	leaf_hash	BLOB NOT NULL
) STRICT;
CREATE INDEX disclosures_family ON disclosures(family_pseudonym);
CREATE INDEX disclosures_agency ON disclosures(agency_id, created_us);

-- One per allowed disclosure. queued -> sent (or failed after the retry
-- limit); held -> queued when a safeguarding lead lifts the hold.
CREATE TABLE notifications (
	disclosure_id	TEXT PRIMARY KEY REFERENCES disclosures(id),
	family_pseudonym TEXT NOT NULL,
	family_id_ct	BLOB NOT NULL,		-- sealed: the notifier's addressee
	state		TEXT NOT NULL CHECK (state IN ('queued', 'held', 'sent', 'failed')),
	created_us	INTEGER NOT NULL,
	review_by_us	INTEGER,		-- held: when the hold must be reviewed
	lifted_us	INTEGER,
	lifted_by	TEXT,
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_us	INTEGER NOT NULL DEFAULT 0,
	last_status	INTEGER,		-- HTTP status or curl error of the last try
	sent_us		INTEGER
) STRICT;
CREATE INDEX notifications_due ON notifications(state, next_attempt_us);

-- Every read of a disclosure record: who, when, and why (sealed).
CREATE TABLE disclosure_reads (
	id		TEXT PRIMARY KEY,
	disclosure_id	TEXT NOT NULL REFERENCES disclosures(id),
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	read_us		INTEGER NOT NULL,
	reason_ct	BLOB NOT NULL,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX disclosure_reads_disclosure ON disclosure_reads(disclosure_id);
