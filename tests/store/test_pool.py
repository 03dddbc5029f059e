"""The pool gives a connection back without asyncpg's reset statement, so the session state our
code makes must be undone where it is made: each place that makes some is held to it here."""

import asyncio

import pytest

from store.db import Pool
from store.migrate import migrate
from store.notify import Wakeup
from store.pool import create_pool

RESET = "SELECT pg_advisory_unlock_all()"


async def _one(database_url: str) -> Pool:
    return await create_pool(database_url, min_size=1, max_size=1)


async def _last_statement(pool: Pool, database_url: str, pid: int) -> str:
    other = await create_pool(database_url, min_size=1, max_size=1)
    try:
        query = await other.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)
    finally:
        await other.close()
    assert isinstance(query, str)
    return query


async def test_a_released_connection_runs_no_reset_statement(database_url: str) -> None:
    pool = await _one(database_url)
    try:
        async with pool.acquire() as conn:
            pid = await conn.fetchval("SELECT pg_backend_pid() /* last before release */")
        last = await _last_statement(pool, database_url, pid)
        assert "last before release" in last
        assert RESET not in last
    finally:
        await pool.close()


async def test_an_open_transaction_is_rolled_back_on_release(database_url: str) -> None:
    pool = await _one(database_url)
    try:
        async with pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("CREATE TABLE left_open (n int)")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT to_regclass('left_open')") is None
    finally:
        await pool.close()


async def test_migrate_leaves_no_advisory_lock(database_url: str) -> None:
    pool = await _one(database_url)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        async with pool.acquire() as conn:
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        assert held == 0
    finally:
        await pool.close()


@pytest.mark.parametrize("channel", ["entrygo_outbox", "entrygo_events"])
async def test_a_wakeup_leaves_no_channel_listened(database_url: str, channel: str) -> None:
    pool = await _one(database_url)
    try:
        wakeup = Wakeup(pool, channel)
        stop = asyncio.Event()
        task = asyncio.create_task(wakeup.run(stop))
        await wakeup.event.wait()
        stop.set()
        await task
        async with pool.acquire() as conn:
            assert await conn.fetch("SELECT pg_listening_channels()") == []
    finally:
        await pool.close()
