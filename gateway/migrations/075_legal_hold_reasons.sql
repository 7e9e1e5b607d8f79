-- Litigation holds placed and released by the trustees (legal_hold_api.c).
-- Each placement and release is a signed ledger entry ("legal_hold.placed",
-- "legal_hold.released") whose record digest covers the row as then; the
-- free-text reasons are sealed under the family key (as consent and request
-- reasons are), never in the ledger. Request holds (source 'request') keep
-- both NULL: their reasons are the request's.
ALTER TABLE legal_holds ADD COLUMN reason_ct BLOB;
ALTER TABLE legal_holds ADD COLUMN release_reason_ct BLOB;
ALTER TABLE legal_holds ADD COLUMN ledger_seq INTEGER;
