-- A notification hold on a disclosure made on consent (POST /v1/disclosures
-- notification_hold): a safeguarding lead keeps the family from being told,
-- for now, because telling them would put someone at risk (policy s3.4,
-- Appendix 1 s2). Its reason, sealed under the family key like an
-- override's; its review date in review_by_us, as an override's. NULL when
-- there is none (and in every row from before it existed). Lifts and
-- reviews are override_events, as for an override's hold.
ALTER TABLE disclosures ADD COLUMN hold_reason_ct BLOB;
