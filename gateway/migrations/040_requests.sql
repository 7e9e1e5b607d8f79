-- Police and court requests: the request, each trustee's decision, every
-- issue of the witness statement, the family's notification (held under
-- do_not_notify until lifted) and the notices trustees see. Families appear
-- only as their keyed pseudonym; whatever is personal or free text (the
-- family id, the requester's reference, every reason) is sealed with the
-- family's data key (*_ct columns).
CREATE TABLE requests (
	id		TEXT PRIMARY KEY,
	created_us	INTEGER NOT NULL,
	agency_id	TEXT NOT NULL,		-- the requesting police or court agency
	requester	TEXT NOT NULL,		-- its principal id, "agency:<id>"
	filed_by	TEXT NOT NULL,		-- principal id: the agency, or staff on its behalf
	filed_by_role	TEXT NOT NULL,
	family_pseudonym TEXT NOT NULL,
	family_id_ct	BLOB NOT NULL,
	legal_basis	TEXT NOT NULL CHECK (legal_basis IN ('crime_sch2_p2', 'court_order',
			    'legal_proceedings_sch2_p5', 'safeguarding_sch1_p18')),
	reference_ct	BLOB NOT NULL,
	fields		TEXT NOT NULL,		-- JSON array of catalogue field names
	record_kinds	TEXT NOT NULL,		-- JSON array: disclosures, consents
	period_from	TEXT NOT NULL,		-- dates as asked (YYYY-MM-DD)
	period_to	TEXT NOT NULL,
	do_not_notify	INTEGER NOT NULL CHECK (do_not_notify IN (0, 1)),
	do_not_notify_reason_ct BLOB,
	quorum		INTEGER NOT NULL CHECK (quorum >= 1),
	refusal_ends	INTEGER NOT NULL CHECK (refusal_ends IN (0, 1)),
	state		TEXT NOT NULL CHECK (state IN ('awaiting_approval', 'approved',
			    'refused', 'closed')),
	decided_us	INTEGER,		-- when the quorum approved or it was refused
	closed_us	INTEGER,		-- when a trustee closed it (the legal hold ends)
	closed_by	TEXT,
	record_digest	BLOB NOT NULL,		-- SHA-256 of the filed request, as in the ledger
	ledger_seq	INTEGER NOT NULL,
	leaf_hash	BLOB NOT NULL
) STRICT;
CREATE INDEX requests_state ON requests(state, created_us);
CREATE INDEX requests_agency ON requests(agency_id, created_us);
CREATE INDEX requests_family ON requests(family_pseudonym);

-- One decision per trustee principal per request (the primary key makes
-- "one trustee cannot count twice" hold in the database too). Attempts the
-- quorum refused are not decisions: they are only ledger entries.
CREATE TABLE request_decisions (
	request_id	TEXT NOT NULL REFERENCES requests(id),
	trustee		TEXT NOT NULL,		-- principal id
	trustee_role	TEXT NOT NULL,
	decision	TEXT NOT NULL CHECK (decision IN ('approve', 'refuse')),
	reason_ct	BLOB NOT NULL,
	decided_us	INTEGER NOT NULL,
	record_digest	BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL,
	leaf_hash	BLOB NOT NULL,
	PRIMARY KEY (request_id, trustee)
) STRICT;
CREATE TRIGGER request_decisions_no_update BEFORE UPDATE ON request_decisions
BEGIN SELECT RAISE(ABORT, 'decisions are final'); END;
CREATE TRIGGER request_decisions_no_delete BEFORE DELETE ON request_decisions
BEGIN SELECT RAISE(ABORT, 'decisions are final'); END;

-- Every issue of a witness statement (each one is a read of the family's
-- records, and a ledger entry whose digest is the statement's).
CREATE TABLE request_statements (
	id		TEXT PRIMARY KEY,
	request_id	TEXT NOT NULL REFERENCES requests(id),
	issued_to	TEXT NOT NULL,
	issued_role	TEXT NOT NULL,
	issued_us	INTEGER NOT NULL,
	records		INTEGER NOT NULL,
	statement_digest BLOB NOT NULL,
	ledger_seq	INTEGER NOT NULL
) STRICT;
CREATE INDEX request_statements_request ON request_statements(request_id);

-- The family's notification that its records were supplied, made when the
-- request is approved: queued, or held under do_not_notify until a
-- safeguarding lead lifts it (as a safeguarding override's is).
CREATE TABLE request_notifications (
	request_id	TEXT PRIMARY KEY REFERENCES requests(id),
	family_pseudonym TEXT NOT NULL,
	family_id_ct	BLOB NOT NULL,
	state		TEXT NOT NULL CHECK (state IN ('queued', 'held', 'sent', 'failed')),
	created_us	INTEGER NOT NULL,
	lifted_us	INTEGER,
	lifted_by	TEXT,
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_attempt_us	INTEGER NOT NULL DEFAULT 0,
	last_status	INTEGER,
	sent_us		INTEGER
) STRICT;
CREATE INDEX request_notifications_due ON request_notifications(state, next_attempt_us);

-- What trustees are told: a request awaits their decision, or it was
-- decided. No personal data: ids, codes and counts only.
CREATE TABLE trustee_notices (
	id		INTEGER PRIMARY KEY,
	request_id	TEXT NOT NULL REFERENCES requests(id),
	created_us	INTEGER NOT NULL,
	kind		TEXT NOT NULL CHECK (kind IN ('request_filed', 'request_approved',
			    'request_refused', 'request_closed')),
	message		TEXT NOT NULL
) STRICT;
CREATE INDEX trustee_notices_request ON trustee_notices(request_id);

-- A statement lists a family's ledger entries within a period.
CREATE INDEX ledger_entries_family ON ledger_entries(family_pseudonym, time_us);
