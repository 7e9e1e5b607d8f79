-- Delivery of allowed disclosures to their agencies: the durable outbox
-- (push: POSTed over mutual TLS by the delivery worker) and the inbox (pull:
-- collected by the agency from GET /v1/inbox), one row per disclosure,
-- written in the same transaction that records the disclosure.
-- No personal data here: the body is built from the sealed disclosure row
-- at the moment it is sent; only its SHA-256 is kept, as the receipt.
CREATE TABLE deliveries (
	disclosure_id	TEXT PRIMARY KEY REFERENCES disclosures(id),
	agency_id	TEXT NOT NULL,
	family_pseudonym TEXT NOT NULL,
	mode		TEXT NOT NULL CHECK (mode IN ('push', 'pull')),
	-- pending: not yet acknowledged by the agency (push: no 2xx yet; pull:
	-- not acked); delivered: acknowledged; dead: given up (push only),
	-- until an operator re-queues it (gatewayctl deliveries retry).
	state		TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
	created_us	INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 0,	-- since creation or the last re-queue
	next_attempt_us	INTEGER NOT NULL DEFAULT 0,
	last_attempt_us	INTEGER NOT NULL DEFAULT 0,
	last_status	INTEGER NOT NULL DEFAULT 0,	-- HTTP status of the last attempt, 0 none
	last_error	TEXT,				-- fault class of the last attempt, or NULL
	delivered_us	INTEGER NOT NULL DEFAULT 0,	-- push: the 2xx; pull: the ack
	body_sha256	BLOB,				-- SHA-256 of the body the agency acknowledged
	dead_us		INTEGER NOT NULL DEFAULT 0,
	dead_reason	TEXT,
	requeues	INTEGER NOT NULL DEFAULT 0,
	reads		INTEGER NOT NULL DEFAULT 0	-- pull: times served from the inbox
) STRICT;
CREATE INDEX deliveries_due ON deliveries(next_attempt_us)
	WHERE state = 'pending' AND mode = 'push';
CREATE INDEX deliveries_inbox ON deliveries(agency_id, created_us, disclosure_id)
	WHERE state = 'pending' AND mode = 'pull';
CREATE INDEX deliveries_state ON deliveries(state, created_us);

-- Everything that happened to a delivery: each push attempt and its outcome,
-- each inbox read and the ack, each operator re-queue.
CREATE TABLE delivery_attempts (
	id		INTEGER PRIMARY KEY,
	disclosure_id	TEXT NOT NULL REFERENCES deliveries(disclosure_id),
	attempt		INTEGER NOT NULL,	-- push: 1-based attempt number; else 0
	kind		TEXT NOT NULL CHECK (kind IN ('push', 'read', 'ack', 'requeue')),
	actor		TEXT NOT NULL,		-- "system", the agency principal, the operator
	started_us	INTEGER NOT NULL,
	finished_us	INTEGER NOT NULL,
	http_status	INTEGER NOT NULL DEFAULT 0,
	fault		TEXT,			-- retry.h fault name, NULL on success
	detail		TEXT,			-- e.g. libcurl's error name; never personal data
	outcome		TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'dead', 'read',
			    'acked', 'requeued')),
	next_attempt_us	INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX delivery_attempts_disclosure ON delivery_attempts(disclosure_id);
