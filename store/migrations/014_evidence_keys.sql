-- Evidence packs (docs/evidence.md): the installation's signing keys, and the index the audit
-- export of review decisions reads by.

-- The installation's Ed25519 keys, made on first use. One key of a purpose is current (not
-- retired); a retired key stays so that packs it signed can still be checked against it.
-- The private key is stored as raw bytes: anyone who can read this table (or a backup of it) can
-- sign packs in the installation's name (docs/decisions.md, "Evidence packs").
CREATE TABLE IF NOT EXISTS installation_keys (
    id           text PRIMARY KEY,          -- the key id: the RFC 7638 thumbprint of its JWK
    purpose      text NOT NULL CHECK (purpose IN ('evidence')),
    algorithm    text NOT NULL CHECK (algorithm = 'Ed25519'),
    public_key   bytea NOT NULL CHECK (length(public_key) = 32),
    private_key  bytea NOT NULL CHECK (length(private_key) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    retired_at   timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS installation_keys_current
    ON installation_keys (purpose) WHERE retired_at IS NULL;

-- The audit export reads an account's review decisions by type and time.
CREATE INDEX IF NOT EXISTS export_events_type_time ON export_events (type, occurred_at, id);

-- An evidence pack lists the webhook deliveries of the export's events.
CREATE INDEX IF NOT EXISTS webhook_deliveries_export ON webhook_deliveries (export_id, seq);
