"""Heartbeats while an activity runs, so a worker that dies mid-step is noticed in seconds."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from temporalio import activity

HEARTBEAT_EVERY_SECONDS = 1.0


@asynccontextmanager
async def heartbeating(every: float = HEARTBEAT_EVERY_SECONDS) -> AsyncIterator[None]:
    """Heartbeat every `every` seconds until the block ends, the first after `every`.

    A step that ends within a second sends none: each heartbeat is a call to the Temporal
    server and a write of the activity's state there, and most steps take milliseconds. A
    worker that dies at once is still noticed: the heartbeat timeout runs from the start.
    A local activity sends none: the server keeps no state for it, and the workflow task it runs
    in is what times out when its worker dies.
    """
    if activity.info().is_local:
        yield
        return

    async def beat() -> None:
        while True:
            await asyncio.sleep(every)
            activity.heartbeat()

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
