-- Writes that call Temporal claim their key with a lease instead of holding a transaction open.
ALTER TABLE idempotency_keys ADD COLUMN locked_until timestamptz;
