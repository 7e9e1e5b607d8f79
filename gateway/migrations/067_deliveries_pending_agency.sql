-- The agencies with a delivery still pending, and each one's pending rows
-- (push or pull, in the inbox or waiting for the family's notice), for the
-- reload's look at agencies gone from the profiles (delivery.c,
-- follow_modes: store_deliveries_next_pending_agency and
-- store_deliveries_agency_gone). Without it that look read every pending
-- row, the whole of every inbox, at each start and SIGHUP; with it, one
-- seek per agency. Only pending rows: the delivered bulk is not in it.
CREATE INDEX deliveries_pending_agency ON deliveries(agency_id) WHERE state = 'pending';
