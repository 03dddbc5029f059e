"""store.ratelimit `authenticate_and_hit`: a request's key read and its count in one statement,
the same principal as `authenticate`, counted up to the limit; a key that is unknown or revoked
reads nothing and counts nothing."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from store.accounts import authenticate, create_account, create_key, revoke_key
from store.ratelimit import authenticate_and_hit
from tests.support.statements import CountingPool

LIMIT = 3


def a_minute() -> datetime:
    """A window of this test's own, far in the future (the janitor purges only past windows)."""
    minute = uuid.uuid4().int % (60 * 24 * 365)
    return datetime(2100, 1, 1, tzinfo=UTC) + timedelta(minutes=minute, seconds=20)


async def windows(conn: asyncpg.Connection, account_id: str) -> list[int]:
    rows = await conn.fetch(
        "SELECT count FROM rate_limit_windows WHERE account_id = $1 ORDER BY window_start",
        account_id,
    )
    return [r["count"] for r in rows]


async def test_the_key_and_its_count_in_one_statement(pool: asyncpg.Pool) -> None:
    at = a_minute()
    async with pool.acquire() as conn:
        account_id = await create_account(conn, "ratelimit-key")
        _, secret = await create_key(conn, account_id, "ci", ["integration"])
        principal = await authenticate(conn, secret)
    counting = CountingPool(pool)
    async with counting.acquire() as conn:
        found = await authenticate_and_hit(conn, secret, LIMIT, at)
    assert len(counting.statements) == 1
    assert found is not None
    assert found[0] == principal
    assert (found[1].admitted, found[1].count, found[1].retry_after_seconds) == (True, 1, 40)
    async with pool.acquire() as conn:
        for expected in (2, 3):
            again = await authenticate_and_hit(conn, secret, LIMIT, at)
            assert again is not None
            assert (again[1].admitted, again[1].count) == (True, expected)
        over = await authenticate_and_hit(conn, secret, LIMIT, at)
        assert over is not None
        assert not over[1].admitted
        assert over[1].count is None
        assert await windows(conn, account_id) == [LIMIT]  # the refused one wrote nothing
        # the next window starts over
        later = await authenticate_and_hit(conn, secret, LIMIT, at + timedelta(minutes=1))
        assert later is not None
        assert (later[1].admitted, later[1].count) == (True, 1)
        assert await windows(conn, account_id) == [LIMIT, 1]


async def test_an_unknown_or_revoked_key_counts_nothing(pool: asyncpg.Pool) -> None:
    at = a_minute()
    async with pool.acquire() as conn:
        account_id = await create_account(conn, "ratelimit-revoked")
        key, secret = await create_key(conn, account_id, "ci", ["integration"])
        await revoke_key(conn, key.id, account_id)
        assert await authenticate_and_hit(conn, secret, LIMIT, at) is None
        assert await authenticate_and_hit(conn, "eg_live_" + "x" * 40, LIMIT, at) is None
        assert await windows(conn, account_id) == []
