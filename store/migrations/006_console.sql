-- The review console: its signing secret, its sessions, and what reviewers saw of a plan.

-- One secret for every API process: session cookies are signed with it (made once, on first use).
CREATE TABLE IF NOT EXISTS console_secret (
    id          smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    secret      bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A signed-in reviewer. The cookie carries the session token and its signature; only the
-- token's SHA-256 is stored, so the table alone opens no session.
CREATE TABLE IF NOT EXISTS console_sessions (
    token_hash  bytea PRIMARY KEY,
    account_id  text NOT NULL REFERENCES accounts(id),
    key_id      text NOT NULL REFERENCES api_keys(id),
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX IF NOT EXISTS console_sessions_expiry ON console_sessions(expires_at);

-- The plan a reviewer looked at or decided on, per order: what "changed since the last review"
-- is measured against.
CREATE TABLE IF NOT EXISTS review_snapshots (
    id          bigserial PRIMARY KEY,
    export_id   text NOT NULL REFERENCES exports(id),
    key_id      text NOT NULL,
    label       text,
    plan_hash   text NOT NULL,
    reason      text NOT NULL,
    decisions   jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS review_snapshots_export ON review_snapshots(export_id, created_at DESC, id DESC);
