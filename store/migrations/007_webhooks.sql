-- Events pushed to clients: webhook endpoints, the delivery outbox the worker drains, and the
-- account-wide event feed's stable order.

CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id           text PRIMARY KEY,
    account_id   text NOT NULL REFERENCES accounts(id),
    url          text NOT NULL,
    secret       text NOT NULL,
    event_types  text[],            -- NULL: every type
    description  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_account ON webhook_endpoints(account_id, id);

-- One row per (endpoint, event), written in the transaction that appends the event, so no event
-- is ever without its deliveries. The worker sends them in seq order per (endpoint, export).
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               bigserial PRIMARY KEY,
    endpoint_id      text NOT NULL REFERENCES webhook_endpoints(id),
    event_id         text NOT NULL REFERENCES export_events(id),
    export_id        text NOT NULL,
    seq              integer NOT NULL,
    event_type       text NOT NULL,
    status           text NOT NULL DEFAULT 'PENDING',   -- PENDING, DELIVERED, FAILED (given up)
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_until     timestamptz,
    last_error       text,
    last_status_code integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_due
    ON webhook_deliveries(next_attempt_at) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS webhook_deliveries_stream
    ON webhook_deliveries(endpoint_id, export_id, seq) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id DESC);

-- The feed's order: the transaction that appended an event. A reader serves only events of
-- transactions older than every one still running, so a page never skips an event that
-- commits later.
ALTER TABLE export_events ADD COLUMN IF NOT EXISTS txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX IF NOT EXISTS export_events_feed ON export_events(txid, export_id, seq);
