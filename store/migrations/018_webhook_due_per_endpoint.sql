-- The probe of an endpoint held by its breaker takes the longest-due delivery first in line
-- through this index (store/webhook_holds.py `probe_candidate`), not by reading its backlog.
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_due
    ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'PENDING';
