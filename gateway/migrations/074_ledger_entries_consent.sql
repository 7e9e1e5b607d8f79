-- A consent's own ledger entries (consent.recorded, consent.withdrawn,
-- consent.limited), by the consent: every disclosure decided on a consent
-- checks them (consent_signed.c), inside the one writer. Through
-- ledger_entries_family that read every entry the family ever had and
-- sorted them. Partial: only consent entries are indexed (a few per
-- consent), so recording a disclosure writes nothing more.
CREATE INDEX ledger_entries_consent ON ledger_entries(family_pseudonym, object_id)
	WHERE action IN ('consent.recorded', 'consent.withdrawn', 'consent.limited');
