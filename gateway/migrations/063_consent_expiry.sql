-- Consents by expiry: the delivery worker's sweep finds the consents that
-- ran out since its last look, not every delivery not yet acknowledged.
CREATE INDEX consents_expiry ON consents(expires_us) WHERE expires_us != 0;
