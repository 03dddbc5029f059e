"""The pool gives a connection back without asyncpg's reset statement, so the session state our
code makes must be undone where it is made: each place that makes some is held to it here."""

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from store.db import Pool
from store.migrate import migrate
from store.notify import Wakeup
from store.pool import create_pool

RESET = "SELECT pg_advisory_unlock_all()"


@pytest_asyncio.fixture
async def one(database_url: str) -> AsyncIterator[Pool]:
    """A pool of one connection: each acquire lends the connection the last one released."""
    pool = await create_pool(database_url, min_size=1, max_size=1)
    yield pool
    await pool.close()


async def _last_statement(other: Pool, pid: int) -> str:
    """The last statement backend `pid` ran, as a connection of another pool sees it."""
    query = await other.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    assert isinstance(query, str)
    return query


async def test_a_released_connection_runs_no_reset_statement(one: Pool, pool: Pool) -> None:
    async with one.acquire() as conn:
        pid = await conn.fetchval("SELECT pg_backend_pid() /* last before release */")
    last = await _last_statement(pool, pid)
    assert "last before release" in last
    assert RESET not in last


async def test_an_open_transaction_is_rolled_back_on_release(one: Pool) -> None:
    async with one.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TABLE left_open (n int)")
    async with one.acquire() as conn:
        assert await conn.fetchval("SELECT to_regclass('left_open')") is None


async def test_migrate_leaves_no_advisory_lock(one: Pool) -> None:
    async with one.acquire() as conn:
        await migrate(conn)
    async with one.acquire() as conn:
        held = await conn.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
        )
    assert held == 0


@pytest.mark.parametrize("channel", ["entrygo_outbox", "entrygo_events"])
async def test_a_wakeup_leaves_no_channel_listened(one: Pool, channel: str) -> None:
    wakeup = Wakeup(one, channel)
    stop = asyncio.Event()
    task = asyncio.create_task(wakeup.run(stop))
    await wakeup.event.wait()
    stop.set()
    await task
    async with one.acquire() as conn:
        assert await conn.fetch("SELECT pg_listening_channels()") == []
