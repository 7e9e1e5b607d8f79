-- Why a trustee read a witness statement (X-Access-Reason, required of
-- trustees; the requesting agency's reason is its request), sealed under
-- the family key: a statement holds the family's records, and every access
-- to them is kept with its reason (policy).
ALTER TABLE request_statements ADD COLUMN reason_ct BLOB;
