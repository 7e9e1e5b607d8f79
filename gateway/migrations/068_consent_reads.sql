-- Every read of a consent (GET /v1/consents/{id} with X-Access-Reason):
-- who, when and why, like disclosure_reads and request_reads. The reason
-- is sealed under the family key (NULL when that key was already gone:
-- the read is recorded all the same); erasure and expiry destroy the key,
-- so the reason becomes unreadable while the row, its digest and its
-- ledger entry stay. The consent.read ledger entry carries record_digest,
-- the digest of this row with its sealed reason (a random nonce each
-- time), never a digest of the reason alone.
CREATE TABLE consent_reads (
	id		TEXT PRIMARY KEY,
	consent_id	TEXT NOT NULL REFERENCES consents(id),
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	read_us		INTEGER NOT NULL,
	reason_ct	BLOB,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX consent_reads_consent ON consent_reads(consent_id, read_us);
CREATE INDEX consent_reads_family ON consent_reads(family_pseudonym);
