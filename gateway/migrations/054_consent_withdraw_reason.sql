-- Why a consent was withdrawn, when the family said (POST
-- /v1/consents/{id}/withdraw "reason"), sealed under the family key like
-- the evidence it was given with; part of the withdrawal's ledger digest.
ALTER TABLE consents ADD COLUMN withdraw_reason_ct BLOB;
