-- Idempotency-Key on POST /v1/disclosures, /v1/consents and /v1/requests
-- (idempotency.h): the first committed outcome of a (principal, route,
-- key), so that a client's retry after a lost reply is answered with it
-- instead of making a second disclosure, consent or request. The raw key
-- is never kept: key_mac is HMAC-SHA256 of (principal id, route, key) and
-- body_mac HMAC-SHA256 of (key_mac, request body), both under a key
-- derived from the master key for this alone (vault_idempotency_mac).
-- reply is the reply's bytes as sent (JSON of ids, codes, field names,
-- dates and ledger references: no personal data). Written in the same
-- writer job as the record it answers for; kept at least 24 hours, then
-- removed by the retention sweep (store_idempotency_purge), which finds
-- them by created_us.
CREATE TABLE idempotency_keys (
	key_mac		BLOB PRIMARY KEY,
	body_mac	BLOB NOT NULL,
	status		INTEGER NOT NULL,
	reply		BLOB NOT NULL,
	created_us	INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_us);
