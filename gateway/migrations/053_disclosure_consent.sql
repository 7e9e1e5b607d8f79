-- The consent an allowed disclosure relied on (decide.h: the live consent
-- it found), NULL for a refusal and for a safeguarding override made
-- without consent. A withdrawal stops what was not yet delivered under it
-- (consent_api.c); the disclosure, its reply and a statement name it.
ALTER TABLE disclosures ADD COLUMN consent_id TEXT;
