-- Every read of a litigation hold's reasons (GET
-- /v1/families/{id}/legal-holds/{hold_id} with X-Access-Reason, trustees):
-- who, when and why, like consent_reads and request_reads. The reason is
-- sealed under the family key (NULL once that key is gone); erasure and
-- expiry destroy the key, so it becomes unreadable while the row, its
-- digest and its ledger entry stay. The legal_hold.read ledger entry
-- carries record_digest, the digest of this row with its sealed reason,
-- never a digest of the reason alone.
CREATE TABLE legal_hold_reads (
	id		TEXT PRIMARY KEY,
	hold_id		TEXT NOT NULL REFERENCES legal_holds(id),
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	read_us		INTEGER NOT NULL,
	reason_ct	BLOB,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX legal_hold_reads_hold ON legal_hold_reads(hold_id, read_us);
CREATE INDEX legal_hold_reads_family ON legal_hold_reads(family_pseudonym);
