-- GET /api/exports lists in creation order; ids derived from idempotency keys are not time-sorted
CREATE INDEX IF NOT EXISTS exports_account_created ON exports(account_id, created_at, id);
