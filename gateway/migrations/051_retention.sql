-- Retention and erasure. A family's personal fields are sealed under its
-- data key (family_keys); expiry and erasure destroy that key, so the data
-- is gone while every row, digest and ledger entry stays and verifies.
--
-- legal_holds: a hold stops erasure and expiry while it applies (released_us
-- NULL). The police/court requests module opens one per open request
-- (source 'request', reference = the request id) and releases it when the
-- request ends; 'litigation' holds are for claims the charity is party to.
-- store_legal_hold_active() is the one place that decides "held".
CREATE TABLE legal_holds (
	id		TEXT PRIMARY KEY,
	family_pseudonym TEXT NOT NULL,
	source		TEXT NOT NULL CHECK (source IN ('request', 'litigation')),
	reference	TEXT,			-- the request id, or a case reference (no personal data)
	opened_us	INTEGER NOT NULL,
	opened_by	TEXT NOT NULL,
	released_us	INTEGER,
	released_by	TEXT
) STRICT;
CREATE INDEX legal_holds_family ON legal_holds(family_pseudonym);

-- One row per family whose key was destroyed: the mark that its records
-- expired (retention) or were erased (on request). Never updated or deleted.
CREATE TABLE family_erasures (
	family_pseudonym TEXT PRIMARY KEY,
	kind		TEXT NOT NULL CHECK (kind IN ('expired', 'erased')),
	at_us		INTEGER NOT NULL,
	actor		TEXT NOT NULL,		-- "system" for the sweep
	actor_role	TEXT NOT NULL,
	ground		TEXT NOT NULL,		-- 'retention', or the Art 17(1) ground
	as_of_us	INTEGER NOT NULL,	-- the instant retention was judged at
	reason_digest	BLOB,			-- SHA-256 of the staff member's reason (the text
						-- itself would be personal data outliving the key)
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE TRIGGER family_erasures_no_update BEFORE UPDATE ON family_erasures
BEGIN SELECT RAISE(ABORT, 'erasure marks are permanent'); END;
CREATE TRIGGER family_erasures_no_delete BEFORE DELETE ON family_erasures
BEGIN SELECT RAISE(ABORT, 'erasure marks are permanent'); END;

-- Every subject-access export: who made it, when, and why (the access
-- reason, sealed under the family key; NULL once that key is gone).
CREATE TABLE subject_access_reads (
	id		TEXT PRIMARY KEY,
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	read_us		INTEGER NOT NULL,
	reason_ct	BLOB,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX subject_access_reads_family ON subject_access_reads(family_pseudonym);
