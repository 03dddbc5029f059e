-- Restricted-party screening lists (the Consolidated Screening List), one row per imported
-- version and one per listed entry. A version is immutable once imported: plans name the version
-- they were screened against (planHash input), so its entries must never change under them.
-- Planning uses the newest version by list date (then by import). The list is the US
-- government's, the same for every account.
CREATE TABLE IF NOT EXISTS screening_lists (
    version      text PRIMARY KEY,
    list_date    date NOT NULL,
    source_name  text NOT NULL,
    entry_count  integer NOT NULL CHECK (entry_count > 0),
    imported_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS screening_lists_newest ON screening_lists (list_date DESC, imported_at DESC);

CREATE TABLE IF NOT EXISTS screening_entries (
    version      text NOT NULL REFERENCES screening_lists (version) ON DELETE CASCADE,
    position     integer NOT NULL,
    entry_id     text NOT NULL,
    source       text NOT NULL,
    name         text NOT NULL,
    alt_names    text[] NOT NULL,
    entity_type  text,
    programs     text[] NOT NULL,
    countries    text[] NOT NULL,
    PRIMARY KEY (version, position)
);
