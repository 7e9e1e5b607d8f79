-- Notices to recipients (UK GDPR Art 19; recipient_notice.h): when a
-- family's records are erased on request, or a consent an agency received
-- data on is withdrawn with no other consent covering, each agency that
-- may hold something of theirs (a delivery it acknowledged, an inbox item
-- it was served, a push attempted, a disclosure it read; for an erasure
-- also a witness statement the police or a court was issued) is told, by
-- the disclosure and request ids it holds and never by any personal value. The agency
-- collects them with GET /v1/notices and acknowledges each (POST
-- /v1/notices/{id}/ack): the acknowledgement is the charity's proof it
-- told the recipient. Rows are written once and only acked_us changes;
-- they hold ids and the family's pseudonym, as the ledger does, and are
-- kept as long as it is.
CREATE TABLE recipient_notices (
	id		TEXT PRIMARY KEY,		-- "ntc_" + ULID
	agency_id	TEXT NOT NULL,
	kind		TEXT NOT NULL CHECK (kind = 'family_erased' OR kind = 'consent_withdrawn'),
	family_pseudonym TEXT NOT NULL,
	consent_id	TEXT,				-- consent_withdrawn: the consent
	created_us	INTEGER NOT NULL,
	disclosure_ids	TEXT NOT NULL,			-- JSON array of disclosure ids
	request_ids	TEXT NOT NULL,			-- JSON array of request ids (statements issued)
	record_digest	BLOB NOT NULL,			-- as in the ledger entry
	ledger_seq	INTEGER NOT NULL,
	acked_us	INTEGER NOT NULL DEFAULT 0,	-- 0: not yet acknowledged
	acked_seq	INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX recipient_notices_agency ON recipient_notices(agency_id, created_us)
	WHERE acked_us = 0;
CREATE INDEX recipient_notices_family ON recipient_notices(family_pseudonym);
CREATE TRIGGER recipient_notices_no_delete BEFORE DELETE ON recipient_notices
BEGIN SELECT RAISE(ABORT, 'recipient notices are permanent'); END;
