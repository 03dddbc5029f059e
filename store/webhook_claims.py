"""Which webhook deliveries the outbox sends next: the due ones first in line for their stream,
at endpoints whose breaker lets deliveries go, the next of a stream as the one before it is
marked delivered, and when the next one falls due."""

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
),
leased AS (
    UPDATE webhook_deliveries d
    SET leased_until = now() + make_interval(secs => $2), attempts = d.attempts + 1
    FROM due WHERE d.id = due.id
    RETURNING d.id, d.attempts, d.created_at, d.endpoint_id, d.event_id, d.destination_event_id
)"""
_CLAIM_SENDING = (
    _CLAIM + webhooks.SENDING + "FROM leased d" + webhooks.SENDING_JOINS + "ORDER BY d.id"
)

# A delivery the receiver took is marked DELIVERED, and in the same statement the next pending
# delivery of its stream, first in line from then on, is leased when it is due, not leased and its
# endpoint's breaker is closed (as `_CLAIM` would take it), so a stream's events follow each other
# without a claim in between; one statement, so the next is never leased before this one is
# delivered. `settled`: a success changes nothing of the endpoint's breaker (no row, or CLOSED with
# no failure counted; `destinations.settled`).
_DELIVERED = """
WITH done AS (
    UPDATE webhook_deliveries SET status = 'DELIVERED', delivered_at = now(),
        leased_until = NULL, last_status_code = $2, last_error = NULL
    WHERE id = $1
    RETURNING id, endpoint_id, export_id, destination_id
),
following AS (
    -- the statement's snapshot still sees `done` as pending: it is left out by id
    (SELECT p.id FROM webhook_deliveries p JOIN done ON p.endpoint_id = done.endpoint_id
     WHERE p.export_id = done.export_id AND p.status = 'PENDING' AND p.id <> done.id
     ORDER BY p.seq LIMIT 1)
    UNION ALL
    (SELECT p.id FROM webhook_deliveries p JOIN done ON p.endpoint_id = done.endpoint_id
     WHERE p.export_id IS NULL AND p.destination_id = done.destination_id
       AND p.status = 'PENDING' AND p.id <> done.id
     ORDER BY p.seq LIMIT 1)
),
next AS (
    SELECT d.id FROM webhook_deliveries d JOIN following f ON f.id = d.id
    WHERE d.status = 'PENDING' AND (d.leased_until IS NULL OR d.leased_until < now())
      AND d.next_attempt_at <= now()
      AND NOT EXISTS (SELECT 1 FROM destinations dst
                      WHERE dst.id = 'webhook:' || d.endpoint_id AND dst.state <> 'CLOSED')
    FOR UPDATE OF d SKIP LOCKED
),
leased AS (
    UPDATE webhook_deliveries d
    SET leased_until = now() + make_interval(secs => $3), attempts = d.attempts + 1
    FROM next WHERE d.id = next.id
    RETURNING d.id, d.attempts, d.created_at, d.endpoint_id, d.event_id, d.destination_event_id
)
SELECT NOT EXISTS (SELECT 1 FROM destinations dst JOIN done
                   ON dst.id = 'webhook:' || done.endpoint_id
                   WHERE dst.state <> 'CLOSED' OR cardinality(dst.failures) > 0) AS settled,
       n.*
FROM (SELECT 1) one LEFT JOIN ("""
_DELIVERED_SENDING = (
    _DELIVERED + webhooks.SENDING + "FROM leased d" + webhooks.SENDING_JOINS + ") n ON true"
)


async def claim_due(conn: Connection, limit: int, lease_seconds: float) -> list[DueDelivery]:
    """Lease up to `limit` deliveries that are due and first in line for their stream, to
    endpoints whose breaker is closed; a sender that dies leaves its lease to lapse, and the
    delivery is tried again."""
    # one statement: its locks and its lease are taken and committed together, and what sending
    # each needs is read with them
    return webhooks.sending(await conn.fetch(_CLAIM_SENDING, limit, float(lease_seconds)))


async def delivered_then_next(
    conn: Connection, delivery_id: int, status_code: int, lease_seconds: float
) -> tuple[bool, DueDelivery | None]:
    """Mark a delivery DELIVERED (the receiver answered 2xx) and lease the next of its stream
    when it may go now; whether the endpoint's breaker is settled, and that next delivery."""
    row = await conn.fetchrow(_DELIVERED_SENDING, delivery_id, status_code, float(lease_seconds))
    assert row is not None
    following = webhooks.sending([row]) if row["id"] is not None else []
    return bool(row["settled"]), following[0] if following else None


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
