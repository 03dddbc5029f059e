"""One asyncpg pool per process, with JSON codecs registered on every connection and PostgreSQL's
JIT off: our statements are short, and a plan whose estimate crosses `jit_above_cost` (the
outbox's claim over a lateral join estimates ~450,000) spent 26 ms compiling to save nothing.

A connection goes back to the pool without asyncpg's reset statement (`SELECT
pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`), one more round trip and four
statements on every release. Our session state is undone where it is made: a transaction is
rolled back if still open (asyncpg does that whatever the reset), `migrate` unlocks its advisory
lock, `Wakeup` unlistens its channel, and nothing else sets session state (only `SET LOCAL` and
transaction-scoped locks); tests/store/test_pool.py holds each to it."""

import json
from typing import Any

import asyncpg

from store.db import Connection, NewConnection, Pool


async def _init_connection(conn: NewConnection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=_dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def _keep_session(conn: Connection) -> None:
    """What the pool runs on release besides asyncpg's own rollback of an open transaction:
    nothing (the module's docstring says why)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> Pool:
    """Open the process's pool."""
    pool: Pool | None = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=30,
        server_settings={"jit": "off"},
        reset=_keep_session,
    )
    assert pool is not None
    return pool
