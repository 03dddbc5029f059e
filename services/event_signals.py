"""This process's waiters on new events: the event streams and the console's live pages.

One listening connection (`store.notify.Wakeup` on EVENTS_CHANNEL) hears every commit that
appended events, with its account, export and transaction id, and wakes only the waiters of that
account (or of that export). A quiet account costs nothing but its waiters' heartbeats. A
(re)connection wakes every waiter once, for whatever was missed while no one listened.
"""

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from store.db import Pool
from store.notify import EVENTS_CHANNEL, Wakeup

log = logging.getLogger("entrygo.events")


class Waiter:
    """One stream's or page's wait: `event` is set by each signal of what it watches, and
    `pending` is the newest signalled transaction (its events may not be readable yet: the feed
    serves a transaction only once every older one has ended)."""

    def __init__(self, account_id: str, export_id: str | None) -> None:
        self.account_id = account_id
        self.export_id = export_id
        self.event = asyncio.Event()
        self.pending = 0

    def signal(self, txid: int) -> None:
        self.pending = max(self.pending, txid)
        self.event.set()

    async def wait(self, seconds: float) -> bool:
        """True when signalled within `seconds` (the event is cleared for the next)."""
        try:
            await asyncio.wait_for(self.event.wait(), seconds)
        except TimeoutError:
            return False
        self.event.clear()
        return True


class EventSignals:
    """Signals of committed events, fanned out to this process's waiters by account."""

    def __init__(self, pool: Pool) -> None:
        self.wakeup = Wakeup(pool, EVENTS_CHANNEL, self._heard)
        self._waiters: dict[str, set[Waiter]] = {}

    async def run(self, stop: asyncio.Event) -> None:
        await self.wakeup.run(stop)

    @contextlib.contextmanager
    def watch(self, account_id: str, export_id: str | None = None) -> Iterator[Waiter]:
        """A waiter on the account's events (or one export's) for the life of the block."""
        waiter = Waiter(account_id, export_id)
        self._waiters.setdefault(account_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            waiting = self._waiters.get(account_id)
            if waiting is not None:
                waiting.discard(waiter)
                if not waiting:
                    del self._waiters[account_id]

    def _heard(self, payload: str | None) -> None:
        if payload is None:  # (re)connected: anything may have been missed
            for waiting in self._waiters.values():
                for waiter in waiting:
                    waiter.event.set()
            return
        account_id, export_id, txid = _parse(payload)
        for waiter in self._waiters.get(account_id, ()):
            if waiter.export_id is None or waiter.export_id == export_id:
                waiter.signal(txid)


def _parse(payload: str) -> tuple[str, str, int]:
    """ "<account> <export or empty> <txid>" (store/exports.py, store/destinations.py)."""
    parts = payload.split(" ")
    if len(parts) != 3 or not parts[2].isdigit():
        log.warning("an event signal that does not parse: %r", payload[:200])
        return "", "", 0
    return parts[0], parts[1], int(parts[2])
