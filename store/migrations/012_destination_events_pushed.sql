-- Destination events pushed to clients (docs/fleet-control.md, "Webhook endpoints"): the
-- account feed serves them beside export events, and webhook endpoints get them through the same
-- delivery outbox. A webhook endpoint's breaker holds its deliveries (the outbox reads
-- `destinations` when it claims).

-- The feed's order is the writing transaction, as for export events (007); `seq` numbers a
-- destination's events (1, 2, ...) as an export's are numbered, so receivers order them alike.
ALTER TABLE destination_events ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE destination_events ADD COLUMN IF NOT EXISTS seq integer;
UPDATE destination_events e SET seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY destination_id ORDER BY occurred_at, id) AS seq
      FROM destination_events) n
WHERE n.id = e.id AND e.seq IS NULL;
ALTER TABLE destination_events ALTER COLUMN seq SET NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS destination_events_seq ON destination_events (destination_id, seq);
CREATE INDEX IF NOT EXISTS destination_events_feed ON destination_events (account_id, txid, id);

-- A delivery carries either an export event (event_id, export_id) or a destination event
-- (destination_event_id, destination_id), never both: one outbox, one lease, retry and give-up
-- path, one deliveries list. Deliveries go in seq order per (endpoint, export) and per
-- (endpoint, destination).
ALTER TABLE webhook_deliveries ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ALTER COLUMN export_id DROP NOT NULL;
ALTER TABLE webhook_deliveries
    ADD COLUMN IF NOT EXISTS destination_event_id text REFERENCES destination_events (id);
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS destination_id text;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_event CHECK (
    (event_id IS NOT NULL AND export_id IS NOT NULL
        AND destination_event_id IS NULL AND destination_id IS NULL)
    OR (event_id IS NULL AND export_id IS NULL
        AND destination_event_id IS NOT NULL AND destination_id IS NOT NULL));
CREATE UNIQUE INDEX IF NOT EXISTS webhook_deliveries_destination_event
    ON webhook_deliveries (endpoint_id, destination_event_id) WHERE destination_event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhook_deliveries_streams
    ON webhook_deliveries (endpoint_id, export_id, destination_id, seq) WHERE status = 'PENDING';
DROP INDEX IF EXISTS webhook_deliveries_stream;  -- the one above replaces it
-- held deliveries are never claimed: the give-up of the old ones finds them by age
CREATE INDEX IF NOT EXISTS webhook_deliveries_age
    ON webhook_deliveries (created_at) WHERE status = 'PENDING';
