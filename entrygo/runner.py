"""Running a CLI command's work against the configured database: the pool (migrated first),
the operator's runtime, JSON output."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from config.settings import Settings, load_settings
from store.db import Pool

if TYPE_CHECKING:
    from services.context import Runtime

T = TypeVar("T")


def database_settings() -> tuple[Settings, Any]:
    """Settings with a database URL: DATABASE_URL, else the embedded server under data_dir."""
    from entrygo.embedded_pg import embedded_url, start_embedded  # noqa: PLC0415

    settings = load_settings()
    server = None
    if settings.database_url is None:
        server = start_embedded(settings.data_dir)
        settings.database_url = embedded_url(server)
    return settings, server


def with_pool(work: Callable[[Settings, Pool], Awaitable[T]]) -> T:
    """Run `work(settings, pool)` against the configured database (migrated first)."""
    from store.migrate import migrate  # noqa: PLC0415
    from store.pool import create_pool  # noqa: PLC0415

    settings, _server = database_settings()

    async def run() -> T:
        assert settings.database_url is not None
        pool = await create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
            return await work(settings, pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


def as_operator(call: Callable[["Runtime"], Awaitable[T]]) -> T:
    """Run an installation-wide use case (no account to act in) on the configured database."""
    from services.context import Runtime  # noqa: PLC0415
    from services.temporal import TemporalGate  # noqa: PLC0415

    async def work(settings: Settings, pool: Pool) -> T:
        return await call(Runtime(pool, TemporalGate(settings), settings))

    return with_pool(work)
