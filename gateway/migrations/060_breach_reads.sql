-- Reads of the breach register's free text (breach_api.c), the record of
-- access the policy asks for: who read it, when, and why. The reason
-- (X-Access-Reason) may name people, so it is sealed under the register's
-- key, as the register's own text is; the ledger's breach.register_read
-- entry carries the row's digest (over the sealed reason, whose random
-- nonce makes it unguessable from the reason). A read of the whole register
-- (the list) has no breach_id. Kept as the register is: never updated or
-- deleted.
CREATE TABLE breach_reads (
	id		TEXT PRIMARY KEY,
	breach_id	TEXT,			-- NULL: the list
	read_us		INTEGER NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	reason_ct	BLOB NOT NULL,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX breach_reads_breach ON breach_reads(breach_id, read_us);

CREATE TRIGGER breach_reads_no_update BEFORE UPDATE ON breach_reads
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breach_reads_no_delete BEFORE DELETE ON breach_reads
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
