-- Foundation: family keys, consents.
-- Personal values are never stored in plain text: families are named by a
-- keyed pseudonym (HMAC-SHA256), personal fields are AES-256-GCM sealed with
-- the family's data key, which is itself wrapped by the master key.
CREATE TABLE family_keys (
	pseudonym	TEXT PRIMARY KEY,
	wrapped_key	BLOB,			-- NULL once destroyed (erasure, retention)
	created_us	INTEGER NOT NULL,
	destroyed_us	INTEGER
) STRICT;

CREATE TABLE consents (
	id		TEXT PRIMARY KEY,
	family_pseudonym TEXT NOT NULL,
	agency_id	TEXT NOT NULL,
	purpose		TEXT NOT NULL,
	evidence_ct	BLOB NOT NULL,		-- sealed with the family key
	recorded_by	TEXT NOT NULL,
	granted_us	INTEGER NOT NULL,
	expires_us	INTEGER NOT NULL DEFAULT 0,
	withdrawn_us	INTEGER NOT NULL DEFAULT 0,
	withdrawn_by	TEXT
) STRICT;
CREATE INDEX consents_family_agency ON consents(family_pseudonym, agency_id);
