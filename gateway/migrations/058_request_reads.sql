-- Every read of a police or court request's personal data (GET
-- /v1/requests/{id} with X-Access-Reason, once approved): who, when and
-- why, like subject_access_reads and disclosure_reads. The reason is sealed
-- under the family key (NULL when that key was already gone); erasure and
-- expiry destroy the key, so the reason becomes unreadable while the row,
-- its digest and its ledger entry stay. The request.read ledger entry
-- carries record_digest, the digest of this row with its sealed reason (a
-- random nonce each time), never a digest of the reason alone, which a
-- short reason would let anyone guess.
CREATE TABLE request_reads (
	id		TEXT PRIMARY KEY,
	request_id	TEXT NOT NULL REFERENCES requests(id),
	family_pseudonym TEXT NOT NULL,
	actor		TEXT NOT NULL,
	actor_role	TEXT NOT NULL,
	read_us		INTEGER NOT NULL,
	reason_ct	BLOB,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX request_reads_request ON request_reads(request_id, read_us);
CREATE INDEX request_reads_family ON request_reads(family_pseudonym);

-- Why a trustee closed a request (POST /v1/requests/{id}/close "reason"),
-- sealed under the family key next to closed_us and closed_by, as a
-- consent's withdrawal reason (054) and a hold's lift reason (056) are. A
-- closure is not a read, and a request closes once: a column, not a row.
-- The request.closed entry carries the digest of the closure (id,
-- closed_us, closed_by, this sealed reason). Closures made before this
-- migration kept no reason (NULL).
ALTER TABLE requests ADD COLUMN close_reason_ct BLOB;
