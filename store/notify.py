"""Wake-ups pushed by PostgreSQL instead of polled for.

A transaction that queues webhook deliveries, or makes held ones due again, runs `pg_notify` on
CHANNEL; PostgreSQL delivers it when (and only if) the transaction commits. A process holds one
connection from its pool listening on CHANNEL (`Wakeup.run`), and every notification sets
`Wakeup.event`. The rows stay the truth: a lost connection is taken again with backoff, and each
(re)connection sets the event too, so a waiter drains once for whatever it may have missed.
"""

import asyncio
import contextlib
import logging
from typing import Any

from store.db import Pool

log = logging.getLogger("entrygo.notify")

CHANNEL = "entrygo_outbox"  # written out in the statements that signal it (store/webhooks.py)
RECONNECT_FIRST_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 10.0


class Wakeup:
    """One listening connection, taken again when it is lost; `event` is set on each signal."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.event = asyncio.Event()
        self.backend_pid: int | None = None  # the listening backend's (tests terminate it)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop` is set; an outage of the database pauses it, never ends it."""
        delay = RECONNECT_FIRST_SECONDS
        while not stop.is_set():
            try:
                await self._listen(stop)
                delay = RECONNECT_FIRST_SECONDS
            except Exception:
                log.warning("listening for %s failed; again in %.1f s", CHANNEL, delay)
            self.backend_pid = None
            if stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen(self, stop: asyncio.Event) -> None:
        lost = asyncio.Event()
        async with self.pool.acquire() as conn:
            conn.add_termination_listener(lambda *_: lost.set())
            await conn.add_listener(CHANNEL, self._heard)
            self.backend_pid = await conn.fetchval("SELECT pg_backend_pid()")
            self.event.set()  # drain once: signals sent while no one listened are lost
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
                if not lost.is_set():
                    await conn.remove_listener(CHANNEL, self._heard)
        if lost.is_set() and not stop.is_set():
            raise ConnectionError("the listening connection was lost")

    def _heard(self, *_: Any) -> None:
        self.event.set()
