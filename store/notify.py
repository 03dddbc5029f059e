"""Wake-ups pushed by PostgreSQL instead of polled for.

A transaction that queues webhook deliveries, or makes held ones due again, runs `pg_notify` on
CHANNEL; one that appends events runs it on EVENTS_CHANNEL with the account, the export and its
own transaction id. PostgreSQL delivers a notification when (and only if) the transaction
commits. A process holds one connection from its pool listening on a channel (`Wakeup.run`), and
every notification sets `Wakeup.event` and is handed to `on_signal`. The rows stay the truth: a
lost connection is taken again with backoff, and each (re)connection sets the event (and calls
`on_signal` with None), so a waiter drains once for whatever it may have missed.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from store.db import Pool

log = logging.getLogger("entrygo.notify")

CHANNEL = "entrygo_outbox"  # written out in the statements that signal it (store/webhooks.py)
# "<account> <export or empty> <txid>", from store/exports.py and store/destinations.py
EVENTS_CHANNEL = "entrygo_events"
RECONNECT_FIRST_SECONDS = 0.2
RECONNECT_MAX_SECONDS = 10.0


class Wakeup:
    """One listening connection, taken again when it is lost; `event` is set on each signal."""

    def __init__(
        self,
        pool: Pool,
        channel: str = CHANNEL,
        on_signal: Callable[[str | None], None] | None = None,
    ) -> None:
        self.pool = pool
        self.channel = channel
        self.on_signal = on_signal  # the payload; None on each (re)connection
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
                log.warning("listening for %s failed; again in %.1f s", self.channel, delay)
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
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(lost.wait())]
            # the pool does not reset a connection it takes back (store/pool.py): whatever
            # happens once LISTEN may have run, the channel is unlistened before release
            try:
                await conn.add_listener(self.channel, self._heard)
                self.backend_pid = await conn.fetchval("SELECT pg_backend_pid()")
                self.event.set()  # drain once: signals sent while no one listened are lost
                if self.on_signal is not None:
                    self.on_signal(None)
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for w in waits:
                    w.cancel()
                if not lost.is_set():
                    await conn.remove_listener(self.channel, self._heard)
        if lost.is_set() and not stop.is_set():
            raise ConnectionError("the listening connection was lost")

    def _heard(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.event.set()
        if self.on_signal is not None:
            self.on_signal(payload)
