"""One asyncpg pool per process, with JSON codecs registered on every connection and PostgreSQL's
JIT off: our statements are short, and a plan whose estimate crosses `jit_above_cost` (the
outbox's claim over a lateral join estimates ~450,000) spent 26 ms compiling to save nothing."""

import json
from typing import Any

import asyncpg

from store.db import NewConnection, Pool


async def _init_connection(conn: NewConnection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=_dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


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
    )
    assert pool is not None
    return pool
