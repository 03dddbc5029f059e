"""Statements counted: a pool (store/db.py's `Pool`) that hands out the real pool's connections
and counts every statement run on them or on the pool itself, for tests that hold a use case to
its number of round trips."""

from collections.abc import Callable, Iterable, Sequence
from types import TracebackType
from typing import Any

from store.db import Block, Connection, Pool, Row


class CountingConnection:
    """A connection whose statements are counted (one per call)."""

    def __init__(self, conn: Connection, counter: "CountingPool") -> None:
        self._conn = conn
        self._counter = counter

    async def execute(self, query: str, *args: Any) -> str:
        self._counter.statements.append(query)
        return await self._conn.execute(query, *args)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None:
        self._counter.statements.append(command)
        await self._conn.executemany(command, args)

    async def fetch(self, query: str, *args: Any) -> list[Row]:
        self._counter.statements.append(query)
        return await self._conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> Row | None:
        self._counter.statements.append(query)
        return await self._conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        self._counter.statements.append(query)
        return await self._conn.fetchval(query, *args)

    def transaction(self) -> Block[None]:
        return self._conn.transaction()

    async def add_listener(self, channel: str, callback: Callable[..., Any]) -> None:
        await self._conn.add_listener(channel, callback)

    async def remove_listener(self, channel: str, callback: Callable[..., Any]) -> None:
        await self._conn.remove_listener(channel, callback)

    def add_termination_listener(self, callback: Callable[..., Any]) -> None:
        self._conn.add_termination_listener(callback)


class CountingPool:
    """The real pool, each statement it or a connection it lent runs kept in `statements`."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.statements: list[str] = []

    def acquire(self) -> Block[Connection]:
        return _Lent(self, self._pool.acquire())

    async def close(self) -> None:
        """The real pool belongs to the caller: nothing to close."""

    async def execute(self, query: str, *args: Any) -> str:
        self.statements.append(query)
        return await self._pool.execute(query, *args)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None:
        self.statements.append(command)
        await self._pool.executemany(command, args)

    async def fetch(self, query: str, *args: Any) -> list[Row]:
        self.statements.append(query)
        return await self._pool.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> Row | None:
        self.statements.append(query)
        return await self._pool.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.statements.append(query)
        return await self._pool.fetchval(query, *args)


class _Lent:
    """A connection of the real pool, lent counted for an `async with` block."""

    def __init__(self, counter: CountingPool, block: Block[Connection]) -> None:
        self._counter = counter
        self._block = block

    async def __aenter__(self) -> Connection:
        return CountingConnection(await self._block.__aenter__(), self._counter)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None:
        await self._block.__aexit__(exc_type, exc, tb)
