-- People sign in to the console with OpenID Connect (docs/console.md, "Signing in with OpenID
-- Connect"): a session stands for an API key or for a person of the identity provider, never both.

-- A person's session: the provider's subject, name and e-mail, the console roles their groups
-- map to (reviewer, lead, admin), and the ID token, the hint of the provider's sign-out.
ALTER TABLE console_sessions ALTER COLUMN key_id DROP NOT NULL;
ALTER TABLE console_sessions ADD COLUMN IF NOT EXISTS subject text;
ALTER TABLE console_sessions ADD COLUMN IF NOT EXISTS person_name text;
ALTER TABLE console_sessions ADD COLUMN IF NOT EXISTS email text;
ALTER TABLE console_sessions ADD COLUMN IF NOT EXISTS roles text[];
ALTER TABLE console_sessions ADD COLUMN IF NOT EXISTS id_token text;
ALTER TABLE console_sessions ADD CONSTRAINT console_sessions_key_or_person CHECK (
    (key_id IS NOT NULL AND subject IS NULL AND roles IS NULL)
    OR (key_id IS NULL AND subject IS NOT NULL AND roles IS NOT NULL));

-- A sign-in started at the provider: single use, bound to the browser that started it (only the
-- SHA-256 of the state and of the browser's cookie are kept), and short-lived. The nonce and the
-- PKCE verifier are checked and sent when the provider sends the browser back.
CREATE TABLE IF NOT EXISTS console_sign_ins (
    state_hash    bytea PRIMARY KEY,
    browser_hash  bytea NOT NULL,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    next_path     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);
CREATE INDEX IF NOT EXISTS console_sign_ins_expiry ON console_sign_ins(expires_at);

-- The people who signed in, per account: what the console shows for `oidc:<subject>` (the actor
-- their decisions and pauses record) where an event carries no label of its own.
CREATE TABLE IF NOT EXISTS console_people (
    account_id   text NOT NULL REFERENCES accounts(id),
    subject      text NOT NULL,
    name         text,
    email        text,
    label        text NOT NULL,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, subject)
);
