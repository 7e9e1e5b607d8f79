-- The personal-data breach register (UK GDPR Art 33(5)): every breach, and
-- every decision and amendment about it, each a row of its own. Nothing is
-- ever updated in place or deleted: the triggers below refuse it, so a
-- later decision or a correction is a new row and the history stays whole.
--
-- Free text (what happened, consequences, measures, the data categories as
-- written, every reason) may name people, so it is sealed (AES-256-GCM)
-- under the register's own data key: a family_keys row with the reserved
-- pseudonym "register:breaches", which no family pseudonym (64 hex digits)
-- can equal and which neither retention nor erasure ever destroys, because
-- the register must be kept. The structured fields stay plain: they are
-- what the deadline, the flags and an auditor need, and they hold no one's
-- personal data.
CREATE TABLE breaches (
	id		TEXT PRIMARY KEY,
	recorded_us	INTEGER NOT NULL,
	recorded_by	TEXT NOT NULL,		-- principal id
	recorded_role	TEXT NOT NULL,
	occurred_us	INTEGER NOT NULL,
	aware_us	INTEGER NOT NULL,	-- the 72-hour clock starts here
	types		TEXT NOT NULL,		-- JSON array: confidentiality, integrity, availability
	special_category INTEGER NOT NULL CHECK (special_category IN (0, 1)),
	approx_people	INTEGER NOT NULL CHECK (approx_people >= 0),
	approx_records	INTEGER NOT NULL CHECK (approx_records >= 0),
	text_ct		BLOB NOT NULL,		-- sealed JSON: description, consequences, measures, data_categories
	record_digest	BLOB NOT NULL,		-- SHA-256 of the row, as in the ledger
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX breaches_aware ON breaches(aware_us);

-- Decisions (the data-protection trustee's) and amendments (anyone who may
-- record a breach), in the order they were made. For an amendment the
-- structured columns hold the corrected values (NULL: unchanged) and
-- text_ct the corrected free text and the amendment's reason.
CREATE TABLE breach_events (
	id		TEXT PRIMARY KEY,
	breach_id	TEXT NOT NULL REFERENCES breaches(id),
	kind		TEXT NOT NULL CHECK (kind IN ('decision', 'amendment')),
	at_us		INTEGER NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	-- decision
	high_risk	INTEGER CHECK (high_risk IN (0, 1)),
	report_to_regulator INTEGER CHECK (report_to_regulator IN (0, 1)),
	reported_us	INTEGER,		-- when the regulator was first reported to
	late		INTEGER CHECK (late IN (0, 1)),	-- that report came after the deadline
	notify_individuals INTEGER CHECK (notify_individuals IN (0, 1)),
	art34_exception	TEXT,
	-- amendment
	occurred_us	INTEGER,
	aware_us	INTEGER,
	types		TEXT,
	special_category INTEGER CHECK (special_category IN (0, 1)),
	approx_people	INTEGER,
	approx_records	INTEGER,
	text_ct		BLOB NOT NULL,		-- sealed JSON: reasons / corrected text
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX breach_events_breach ON breach_events(breach_id, at_us);

CREATE TRIGGER breaches_no_update BEFORE UPDATE ON breaches
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breaches_no_delete BEFORE DELETE ON breaches
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breach_events_no_update BEFORE UPDATE ON breach_events
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breach_events_no_delete BEFORE DELETE ON breach_events
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
