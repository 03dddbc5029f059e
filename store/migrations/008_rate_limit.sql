-- The per-account request rate limit, shared by every API process: one row per account per
-- one-minute window (store/ratelimit.py). UNLOGGED: the counters are written on every
-- authenticated request and are worth nothing after a crash (a crash forgets the current window;
-- PostgreSQL empties an unlogged table on recovery), so they skip the write-ahead log. The free
-- space left on each page lets the count's updates stay heap-only (no index entry per update).
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_windows (
    account_id    text NOT NULL,
    window_start  timestamptz NOT NULL,
    count         integer NOT NULL,
    PRIMARY KEY (account_id, window_start)
) WITH (fillfactor = 50);
