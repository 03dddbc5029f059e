-- The review escalation chain of an account (docs/operations.md "Review escalation"): who the leads are
-- and how long after the review deadline an open review moves to the leads' queue.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS review_escalation jsonb;
