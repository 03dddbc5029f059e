"""Event streams are woken by the commits that append events, not polled (docs/decisions.md,
"Events pushed by LISTEN/NOTIFY"): the real feed service, which has no clock to poll on, a real
listening connection and PostgreSQL's NOTIFY. An event arrives once its commit signals; one
whose transaction is not readable yet (an older one still runs) arrives when that one ends,
before the stream's first heartbeat; a waiter of one export is not woken by another's events.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from config.settings import Settings
from services import events
from services.context import Context, Intent, Runtime
from services.event_signals import EventSignals
from services.temporal import TemporalGate
from store import exports
from store.accounts import Principal
from store.exports import NewEvent
from tests.support.exports_api import planned
from tests.support.polling import eventually
from tests.support.tenants import World


@pytest_asyncio.fixture
async def signals(pool: asyncpg.Pool) -> AsyncIterator[EventSignals]:
    running = EventSignals(pool)
    stop = asyncio.Event()
    task = asyncio.create_task(running.run(stop))
    await eventually(lambda: _true(running.wakeup.backend_pid is not None))
    yield running
    stop.set()
    await task


async def _true(value: bool) -> bool:
    return value


def context(pool: asyncpg.Pool, settings: Settings, signals: EventSignals, world: World) -> Context:
    principal = Principal(world.tenant.account_id, "tenant", "key_test", frozenset({"admin"}))
    return Context(Runtime(pool, TemporalGate(settings), settings, signals), Intent(principal))


async def note(conn: Any, export_id: str, text: str) -> None:
    assert await exports.lock_export(conn, export_id) is not None
    event = NewEvent("PUSH_TEST_NOTE", text, "test", {"text": text})
    await exports.append_events(conn, export_id, [event], await exports.database_now(conn))


class Reader:
    """A stream read in the background: what it yielded, in order (None is a heartbeat)."""

    def __init__(self, ctx: Context, after: events.Position | None) -> None:
        self.items: list[Any] = []
        self.stop = False
        self.task = asyncio.create_task(self._read(ctx, after))

    async def _read(self, ctx: Context, after: events.Position | None) -> None:
        async def stopped() -> bool:
            return self.stop

        async for item in events.stream(ctx, events.FeedQuery(after), stopped):
            self.items.append(item)

    def notes(self) -> list[str]:
        return [i.data["text"] for i in self.items if i is not None and i.type == "PUSH_TEST_NOTE"]

    async def close(self) -> None:
        self.stop = True
        self.task.cancel()


async def tail(ctx: Context) -> events.Position | None:
    """The feed's current end, so a stream starts after everything already there."""
    after: events.Position | None = None
    while True:
        page = await events.page(ctx, events.FeedQuery(after, 100))
        if not page.data:
            return after
        after = events.parse_cursor(page.next_cursor)


async def test_the_stream_reads_when_a_commit_signals_it(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    worker: Any,
    world: World,
    signals: EventSignals,
) -> None:
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    ctx = context(pool, settings, signals, world)
    reader = Reader(ctx, await tail(ctx))
    await asyncio.sleep(0.2)  # the stream has read the (empty) tail and waits
    async with pool.acquire() as conn, conn.transaction():
        await note(conn, export_id, "first")
    await eventually(lambda: _true(reader.notes() == ["first"]))
    async with pool.acquire() as conn, conn.transaction():
        await note(conn, export_id, "second")
    await eventually(lambda: _true(reader.notes() == ["first", "second"]))
    assert None not in reader.items  # no heartbeat came between: the signals woke it
    await reader.close()


async def test_an_event_behind_an_older_open_transaction_arrives_when_that_ends(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    settings: Settings,
    worker: Any,
    world: World,
    signals: EventSignals,
) -> None:
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    ctx = context(pool, settings, signals, world)
    reader = Reader(ctx, await tail(ctx))
    await asyncio.sleep(0.2)
    async with pool.acquire() as older:
        held = older.transaction()
        await held.start()
        await older.fetchval("SELECT pg_current_xact_id()")  # older, and it signals nothing
        async with pool.acquire() as conn, conn.transaction():
            await note(conn, export_id, "newer")
        await asyncio.sleep(0.3)  # "newer" was signalled and is not readable yet
        assert reader.notes() == []
        await held.commit()
    # no signal comes when the older one ends: the stream reads again until it is readable,
    # before its first heartbeat
    await eventually(lambda: _true(reader.notes() == ["newer"]))
    assert None not in reader.items
    await reader.close()


async def test_a_waiter_of_one_export_is_not_woken_by_another_exports_events(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, signals: EventSignals
) -> None:
    one = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    other = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    account = world.tenant.account_id
    with signals.watch(account) as everything, signals.watch(account, one) as mine:
        async with pool.acquire() as conn, conn.transaction():
            await note(conn, other, "theirs")
        assert await everything.wait(10.0)
        assert not mine.event.is_set()
        async with pool.acquire() as conn, conn.transaction():
            await note(conn, one, "mine")
        assert await mine.wait(10.0)
        assert mine.pending > 0
