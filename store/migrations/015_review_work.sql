-- Review work shared between people (docs/console.md "A shared queue"): who holds an export
-- under review, and the changes a reviewer asked for. Each change is also an export event
-- (REVIEW_CLAIMED, REVIEW_RELEASED, REVIEW_ASSIGNED, CHANGES_REQUESTED), written in the same
-- transaction; these rows are what the queue filters and sorts by.

-- One holder per export: the person (a key id, or a session's actor) working on its review.
CREATE TABLE IF NOT EXISTS review_holders (
    export_id          text PRIMARY KEY REFERENCES exports(id) ON DELETE CASCADE,
    account_id         text NOT NULL REFERENCES accounts(id),
    holder             text NOT NULL,
    holder_label       text,
    -- who assigned it (NULL: the holder claimed it)
    assigned_by        text,
    assigned_by_label  text,
    since              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS review_holders_account_holder ON review_holders(account_id, holder);

-- A reviewer asked for changes to a plan: the export goes back to that reviewer once a plan
-- with another planHash arrives (`answered_plan_hash`).
CREATE TABLE IF NOT EXISTS review_change_requests (
    id                  bigserial PRIMARY KEY,
    export_id           text NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    requested_by        text NOT NULL,
    requested_by_label  text,
    plan_hash           text NOT NULL,
    reason_codes        text[] NOT NULL,
    comment             text,
    requested_at        timestamptz NOT NULL DEFAULT now(),
    answered_plan_hash  text,
    answered_at         timestamptz
);
CREATE INDEX IF NOT EXISTS review_change_requests_open
    ON review_change_requests(export_id, id DESC) WHERE answered_at IS NULL;
