-- Notices pushed to their agency (recipient_notice.h, delivery.c): a push
-- agency whose profile names delivery.notices_url is sent each of its
-- notices by the delivery worker, over the same mutual TLS, with the same
-- retries, as its disclosures. One row per notice once a push was tried:
-- its attempts, when the next is due, and how it ended. A 2xx is the
-- agency's acknowledgement, recorded on the notice itself (acked_us,
-- acked_seq, a recipient.notice_acknowledged entry) as POST
-- /v1/notices/{id}/ack records it; a push given up leaves the notice in
-- GET /v1/notices, to be collected. Ids, times and codes only.
CREATE TABLE notice_pushes (
	notice_id	TEXT PRIMARY KEY REFERENCES recipient_notices(id),
	state		TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR
			    state = 'given_up'),
	attempts	INTEGER NOT NULL DEFAULT 0,
	next_us		INTEGER NOT NULL DEFAULT 0,	-- pending: the next attempt's time
	last_attempt_us	INTEGER NOT NULL DEFAULT 0,
	last_status	INTEGER NOT NULL DEFAULT 0,	-- HTTP status, 0 none
	last_error	TEXT				-- a fault or reason code, NULL after a 2xx
) STRICT;
CREATE INDEX notice_pushes_due ON notice_pushes(next_us) WHERE state = 'pending';
