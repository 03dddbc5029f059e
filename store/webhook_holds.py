"""What a webhook endpoint's breaker (`webhook:<endpoint_id>`, docs/fleet-control.md) does to its
deliveries: while it holds them the outbox claims none (store/webhook_claims.py `claim_due`); these
are the rest: the one delivery that probes, the give-up of held ones by age, their release."""

from store.db import Connection

HELD_GIVE_UP_ERROR = "gave up: the endpoint was held by its breaker"

# `p` is first in line for its stream (the same endpoint and export, or endpoint and destination)
# when no earlier delivery of it is pending (two probes of the streams index): the probe of a
# held endpoint reads its backlog in due order this way and stops at the first.
_FIRST_IN_LINE = """
    (p.export_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM webhook_deliveries q
        WHERE q.endpoint_id = p.endpoint_id AND q.export_id = p.export_id
          AND q.status = 'PENDING' AND q.seq < p.seq))
    AND (p.destination_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM webhook_deliveries q
        WHERE q.endpoint_id = p.endpoint_id AND q.export_id IS NULL
          AND q.destination_id = p.destination_id AND q.status = 'PENDING' AND q.seq < p.seq))
"""


async def probe_candidate(conn: Connection, endpoint_id: str) -> int | None:
    """The delivery that would probe the endpoint: the longest-due one first in line for its
    stream and not leased, locked (SKIP LOCKED); None when there is none. Called under the
    destination's row lock, so two outbox processes never pick two probes."""
    value: int | None = await conn.fetchval(
        """SELECT p.id FROM webhook_deliveries p
           WHERE p.endpoint_id = $1 AND p.status = 'PENDING'
             AND (p.leased_until IS NULL OR p.leased_until < now())
             AND """
        + _FIRST_IN_LINE
        + """
           ORDER BY p.next_attempt_at, p.id LIMIT 1
           FOR UPDATE OF p SKIP LOCKED""",
        endpoint_id,
    )
    return value


async def give_up_held(conn: Connection, give_up_seconds: float) -> int:
    """Held deliveries older than `give_up_seconds` are FAILED, as a delivery retried that long
    would be (attempts unchanged: none was spent); returns how many."""
    rows = await conn.fetch(
        """UPDATE webhook_deliveries d
           SET status = 'FAILED', leased_until = NULL,
               last_error = $2 || ' (' || dst.state || ')'
           FROM destinations dst
           WHERE d.status = 'PENDING' AND d.created_at < now() - make_interval(secs => $1)
             AND (d.leased_until IS NULL OR d.leased_until < now())
             AND dst.id = 'webhook:' || d.endpoint_id AND dst.state <> 'CLOSED'
           RETURNING d.id""",
        float(give_up_seconds),
        HELD_GIVE_UP_ERROR,
    )
    return len(rows)


async def release(conn: Connection, endpoint_id: str) -> None:
    """The endpoint's breaker closed: its pending deliveries are due now rather than after the
    backoff their failures during the outage earned (they still go in seq order per stream)."""
    await conn.execute(
        """WITH due AS (
               UPDATE webhook_deliveries SET next_attempt_at = now()
               WHERE endpoint_id = $1 AND status = 'PENDING' AND next_attempt_at > now()
               RETURNING 1)
           SELECT pg_notify('entrygo_outbox', '')""",
        endpoint_id,
    )
