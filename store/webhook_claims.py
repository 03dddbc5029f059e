"""Which webhook deliveries the outbox sends next: the due ones first in line for their stream,
at endpoints whose breaker lets deliveries go, and when the next one falls due."""

from store import webhooks
from store.db import Connection, Queries
from store.webhooks import DueDelivery

# A delivery waits for the one before it in its stream: the same endpoint and the same export
# (export events) or the same destination (destination events); exactly one of the two is set.
# Per endpoint whose breaker lets deliveries go (no row, or CLOSED; a held endpoint's backlog is
# never read, nor charged an attempt), the first pending delivery of each stream (one ordered
# walk of the streams index), those due and not leased.
_CLAIM = """
WITH candidates AS (
    SELECT h.id, h.next_attempt_at
    FROM webhook_endpoints w
    CROSS JOIN LATERAL (
        SELECT DISTINCT ON (p.export_id, p.destination_id)
               p.id, p.next_attempt_at, p.leased_until
        FROM webhook_deliveries p
        WHERE p.endpoint_id = w.id AND p.status = 'PENDING'
        ORDER BY p.export_id, p.destination_id, p.seq) h
    WHERE h.next_attempt_at <= now() AND (h.leased_until IS NULL OR h.leased_until < now())
      AND NOT EXISTS (SELECT 1 FROM destinations dst
                      WHERE dst.id = 'webhook:' || w.id AND dst.state <> 'CLOSED')
    ORDER BY h.next_attempt_at
    LIMIT $1
),
due AS (
    -- checked again on the row as locked: one leased or sent by another outbox since this
    -- statement began is not taken twice
    SELECT d.id FROM webhook_deliveries d JOIN candidates c ON c.id = d.id
    WHERE d.status = 'PENDING' AND (d.leased_until IS NULL OR d.leased_until < now())
    ORDER BY c.next_attempt_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d
SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
FROM due WHERE d.id = due.id
RETURNING d.id
"""


async def claim_due(conn: Connection, limit: int, lease_seconds: float) -> list[DueDelivery]:
    """Lease up to `limit` deliveries that are due and first in line for their stream, to
    endpoints whose breaker is closed; a sender that dies leaves its lease to lapse, and the
    delivery is tried again."""
    # one statement: its locks and its lease are taken and committed together
    claimed = await conn.fetch(_CLAIM, limit, float(lease_seconds))
    return await webhooks.leased(conn, [r["id"] for r in claimed])


async def next_due_in(conn: Queries) -> float | None:
    """Seconds until the earliest pending delivery falls due (its retry time, or the end of a
    lease a sender that died left behind), or an endpoint's breaker is due a probe (None when
    nothing waits on a time): read through the due-time indexes."""
    return await conn.fetchval(  # type: ignore[no-any-return]
        """SELECT extract(epoch FROM least(
               (SELECT min(next_attempt_at) FROM webhook_deliveries
                WHERE status = 'PENDING' AND next_attempt_at > now()),
               (SELECT min(leased_until) FROM webhook_deliveries
                WHERE status = 'PENDING' AND leased_until > now()),
               (SELECT min(coalesce(probe_until, next_probe_at)) FROM destinations
                WHERE kind = 'webhook' AND state IN ('OPEN', 'HALF_OPEN')
                  AND coalesce(probe_until, next_probe_at) > now())) - now())::float8"""
    )
