-- Ledger: the append-only record of every access and decision. Each entry
-- is a leaf of an RFC 6962 Merkle tree (leaf_hash = SHA-256(0x00 || the
-- canonical encoding in gateway/ledger_entry.c)); checkpoints are the signed
-- tree heads (C2SP signed notes). No personal data: families appear only as
-- their keyed pseudonym, free text only as a digest.
CREATE TABLE ledger_entries (
	seq		 INTEGER PRIMARY KEY,	-- 1, 2, 3 ...; leaf index = seq - 1
	time_us		 INTEGER NOT NULL,	-- UTC microseconds since the epoch
	actor		 TEXT NOT NULL,
	actor_role	 TEXT NOT NULL,
	action		 TEXT NOT NULL,
	family_pseudonym TEXT,
	object_id	 TEXT,
	reason		 TEXT,
	record_digest	 BLOB,			-- 32 bytes or NULL
	leaf_hash	 BLOB NOT NULL		-- 32 bytes
) STRICT;

CREATE TABLE ledger_checkpoints (
	tree_size	 INTEGER PRIMARY KEY,
	root		 BLOB NOT NULL,		-- 32 bytes, as in the note
	time_us		 INTEGER NOT NULL,	-- when it was signed (not itself signed)
	note		 TEXT NOT NULL		-- the whole signed note
) STRICT;

-- Append-only against mistakes (not against an attacker, who could drop
-- these: the signed checkpoints are what detect tampering).
CREATE TRIGGER ledger_entries_append_only_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_entries_append_only_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER ledger_checkpoints_append_only_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
CREATE TRIGGER ledger_checkpoints_append_only_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
