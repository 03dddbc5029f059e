-- The outbox claims the due heads of each endpoint whose breaker lets deliveries go, in due
-- order, through this index (store/webhooks.py `_CLAIM`): a claim reads what is due at the open
-- endpoints, never the backlog of an endpoint held for long.
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint_due
    ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'PENDING';
-- webhook_deliveries_due (next_attempt_at) stays: next_due_in reads the earliest retry with it.
