-- A stored answer (idempotency_keys.response_body) is the JSON of a whole sync, a few hundred kB
-- for a thousand orders, written on every idempotent request: lz4 compresses it about five times
-- faster than the default pglz (3.7 ms against 0.7 ms for 650 kB). A server built without lz4
-- keeps pglz; the statement runs as dynamic SQL so that such a server never parses it.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_settings
               WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
        EXECUTE 'ALTER TABLE idempotency_keys ALTER COLUMN response_body SET COMPRESSION lz4';
    END IF;
END
$$;
