"""What several benchmarks need: free ports and a PostgreSQL to write into."""

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from store.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


def server_url() -> tuple[str, Any]:
    """DATABASE_URL, else the embedded server under .entrygo/bench (and its handle)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, None
    from entrygo.embedded_pg import embedded_url, start_embedded

    server = start_embedded(ROOT / ".entrygo" / "bench")
    return embedded_url(server), server


@asynccontextmanager
async def fresh_database(url: str) -> AsyncIterator[str]:
    """A new database with the project's schema, dropped afterwards."""
    name = f"entrygo_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    db_url = with_database(url, name)
    try:
        conn = await asyncpg.connect(db_url)
        await migrate(conn)
        await conn.close()
        yield db_url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
