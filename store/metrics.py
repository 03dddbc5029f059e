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
