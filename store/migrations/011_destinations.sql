-- Destinations under fleet control (docs/fleet-control.md): every broker, warehouse and webhook
-- endpoint a side effect goes to, with its circuit breaker. A row is made the first time a send
-- to it is admitted; no row means CLOSED.
CREATE TABLE IF NOT EXISTS destinations (
    id              text PRIMARY KEY,            -- 'broker:<id>', 'warehouse:<id>', 'webhook:<id>'
    account_id      text NOT NULL REFERENCES accounts (id),
    kind            text NOT NULL CHECK (kind IN ('broker', 'warehouse', 'webhook')),
    ref_id          text NOT NULL,
    state           text NOT NULL DEFAULT 'CLOSED'
                    CHECK (state IN ('CLOSED', 'OPEN', 'HALF_OPEN', 'PAUSED')),
    since           timestamptz NOT NULL DEFAULT now(),
    failures        timestamptz[] NOT NULL DEFAULT '{}',  -- transient failures since a success
    opened_times    integer NOT NULL DEFAULT 0,
    next_probe_at   timestamptz,
    probe_export_id text,
    probe_until     timestamptz,
    paused_reason   text,
    paused_by       text,
    last_error      text,
    last_failure_at timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS destinations_account ON destinations (account_id, id);

-- The recent failures of each destination (the newest few are kept), for the operator.
CREATE TABLE IF NOT EXISTS destination_failures (
    id             bigserial PRIMARY KEY,
    destination_id text NOT NULL REFERENCES destinations (id),
    at             timestamptz NOT NULL DEFAULT now(),
    export_id      text,
    error_class    text NOT NULL,
    message        text NOT NULL,
    transient      boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS destination_failures_recent ON destination_failures (destination_id, id DESC);

-- What happened to a destination (opened, closed, paused, resumed), in order.
CREATE TABLE IF NOT EXISTS destination_events (
    id             text PRIMARY KEY,
    destination_id text NOT NULL REFERENCES destinations (id),
    account_id     text NOT NULL,
    type           text NOT NULL,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    data           jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS destination_events_of ON destination_events (destination_id, occurred_at);

-- The destination an export waits for, as its workflow last wrote it ({destination, state,
-- since}; NULL when it waits for none): inspect's `waitingFor`, and who a release wakes.
ALTER TABLE exports ADD COLUMN IF NOT EXISTS waiting_for jsonb;
CREATE INDEX IF NOT EXISTS exports_waiting_for ON exports ((waiting_for ->> 'destination'), updated_at)
    WHERE waiting_for IS NOT NULL;
