-- The families a breach notice told (UK GDPR Art 34, and Art 15: the
-- family's subject-access export lists the breach notices it was given).
-- Only the family's keyed pseudonym, as in the ledger: the register keeps
-- no family id, and the row outlives the family's erasure like the record
-- of what was shared. Each row is a breach.family_told ledger entry (with
-- the pseudonym and the notice's digest). Append-only like the register.
CREATE TABLE breach_notice_families (
	notice_id	TEXT NOT NULL REFERENCES breach_notices(id),
	family_pseudonym TEXT NOT NULL,
	ledger_seq	INTEGER NOT NULL,
	PRIMARY KEY (notice_id, family_pseudonym)
) STRICT;
CREATE INDEX breach_notice_families_family ON breach_notice_families(family_pseudonym);

CREATE TRIGGER breach_notice_families_no_update BEFORE UPDATE ON breach_notice_families
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
CREATE TRIGGER breach_notice_families_no_delete BEFORE DELETE ON breach_notice_families
BEGIN SELECT RAISE(ABORT, 'the breach register is append-only'); END;
