-- A breach's own ledger entries (breach.recorded, breach.amended,
-- breach.decided, breach.individuals_notified), by the breach: every view
-- of the register and every decision on a breach checks its rows against
-- them (breach_signed.c), and a row deleted is found only from its entry.
-- The entries name no family (the register keeps none), so no other index
-- reaches them by the breach. Partial: only these entries are indexed (a
-- few per breach), so nothing else the ledger records writes more.
CREATE INDEX ledger_entries_breach ON ledger_entries(object_id)
	WHERE action IN ('breach.recorded', 'breach.amended', 'breach.decided',
	    'breach.individuals_notified');
