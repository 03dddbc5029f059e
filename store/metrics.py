"""What the service's gauges read from the database (all accounts: an operator's view)."""

from store.db import Queries


async def exports_by_status(conn: Queries) -> dict[str, int]:
    """How many exports stand in each status."""
    rows = await conn.fetch("SELECT status, count(*) AS n FROM exports GROUP BY status")
    return {row["status"]: int(row["n"]) for row in rows}


async def oldest_awaiting_review_seconds(conn: Queries) -> float:
    """Age of the oldest export awaiting approval, by the database's clock; 0 when none."""
    value = await conn.fetchval(
        """SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)
           FROM exports WHERE status = 'AWAITING_APPROVAL'"""
    )
    return float(value)


async def open_broker_requests(conn: Queries) -> int:
    """Broker requests waiting for an answer, over exports still working with their broker."""
    value = await conn.fetchval(
        """SELECT count(*) FROM exports e,
                  jsonb_array_elements(coalesce(e.broker_side -> 'requests', '[]'::jsonb)) r
           WHERE r ->> 'status' = 'OPEN' AND e.status = 'BROKER_ACTION_REQUIRED'"""
    )
    return int(value)


async def oldest_open_hold_seconds(conn: Queries) -> float:
    """Age of the oldest customs hold still open, by the database's clock; 0 when none is."""
    value = await conn.fetchval(
        """SELECT coalesce(extract(epoch FROM now() - min((h ->> 'openedAt')::timestamptz)), 0)
           FROM exports e,
                jsonb_array_elements(coalesce(e.broker_side -> 'holds', '[]'::jsonb)) h
           WHERE h ->> 'releasedAt' IS NULL AND e.status = 'CUSTOMS_HOLD'"""
    )
    return float(value)


async def destinations_by_state(conn: Queries) -> dict[tuple[str, str], int]:
    """How many destinations of each kind stand in each breaker state."""
    rows = await conn.fetch(
        "SELECT kind, state, count(*) AS n FROM destinations GROUP BY kind, state"
    )
    return {(row["kind"], row["state"]): int(row["n"]) for row in rows}


async def exports_waiting_by_kind(conn: Queries) -> dict[str, int]:
    """How many exports wait for a destination, by the destination's kind."""
    rows = await conn.fetch(
        """SELECT split_part(waiting_for ->> 'destination', ':', 1) AS kind, count(*) AS n
           FROM exports WHERE waiting_for IS NOT NULL GROUP BY 1"""
    )
    return {row["kind"]: int(row["n"]) for row in rows}
