-- The broker loop (docs/broker-protocol.md). A broker may report the goods' release (then only
-- RELEASED completes an export) and has deadlines: acknowledge within, decide within.
ALTER TABLE brokers ADD COLUMN IF NOT EXISTS reports_release boolean NOT NULL DEFAULT false;
ALTER TABLE brokers ADD COLUMN IF NOT EXISTS sla jsonb;

-- What the broker said about the export's submission, as the workflow holds it (the
-- projection inspect and the broker-requests list read): requests, holds, entry, outcome.
ALTER TABLE exports ADD COLUMN IF NOT EXISTS broker_side jsonb;

-- Amendments of a submission: numbered 1, 2, … without gaps, each the package of a new plan;
-- the submission itself stays the one live submission of the export.
CREATE TABLE IF NOT EXISTS submission_amendments (
    submission_id      text NOT NULL REFERENCES broker_submissions (id),
    number             integer NOT NULL CHECK (number >= 1),
    export_id          text NOT NULL REFERENCES exports (id),
    customs_package_id text NOT NULL,
    plan_hash          text NOT NULL,
    request_id         text,
    status             text NOT NULL DEFAULT 'PREPARED',
    attempts           integer NOT NULL DEFAULT 0,
    last_error         text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    sent_at            timestamptz,
    PRIMARY KEY (submission_id, number)
);

-- Documents attached to an answer to a broker request (PDF or image), kept with their digest.
CREATE TABLE IF NOT EXISTS broker_answer_documents (
    export_id    text NOT NULL REFERENCES exports (id),
    request_id   text NOT NULL,
    sha256       text NOT NULL,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         integer NOT NULL,
    content      bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (export_id, request_id, sha256)
);
