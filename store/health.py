"""The database probe behind /api/system/health and /api/system/ready."""

import asyncio

from store.db import Pool


async def database_ok(pool: Pool, seconds: float) -> bool:
    """True when a pooled connection answers `SELECT 1` within `seconds`; never raises."""
    try:
        async with asyncio.timeout(seconds):
            async with pool.acquire() as conn:
                return bool(await conn.fetchval("SELECT 1"))
    except Exception:  # down, unreachable, pool closed or too slow: all mean "down"
        return False
