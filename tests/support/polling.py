"""Waiting for something that happens elsewhere (a worker, a server) without timing it."""

import asyncio
from typing import Any


async def eventually(check: Any, attempts: int = 200, delay: float = 0.05) -> Any:
    """Poll `check()` until it returns a truthy value (bounded by attempts, not by a clock)."""
    for _ in range(attempts):
        value = await check()
        if value:
            return value
        await asyncio.sleep(delay)
    raise AssertionError("condition not reached")
