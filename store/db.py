"""The store's edge, typed: what a connection and a pool offer the repositories and services.

asyncpg ships no type information, so these protocols name exactly the part of its API we use,
no more: a member is added here when code starts using it. An `asyncpg.Connection`, a pooled
connection and an `asyncpg.Pool` satisfy them (tests/store/test_db_types.py checks each member
against the driver). Every signature that takes a connection or a pool takes one of these, never
`Any`; rows are read inside `store/` only, where repositories turn them into records.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType
from typing import Any, Protocol, TypeVar, runtime_checkable

T_co = TypeVar("T_co", covariant=True)


@runtime_checkable
class Row(Protocol):
    """One result row (`asyncpg.Record`): read by column name or position, or `dict(row)`."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def keys(self) -> Iterator[str]: ...


@runtime_checkable
class Block(Protocol[T_co]):
    """An `async with` block that never swallows the exception leaving it."""

    async def __aenter__(self) -> T_co: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None: ...


@runtime_checkable
class Queries(Protocol):
    """What runs a statement: a connection, or the pool (each call on a connection of its own)."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None: ...

    async def fetch(self, query: str, *args: Any) -> list[Row]: ...

    async def fetchrow(self, query: str, *args: Any) -> Row | None: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...


@runtime_checkable
class Connection(Queries, Protocol):
    """A connection, or a pooled connection lent for a block: statements plus a transaction."""

    def transaction(self) -> Block[None]: ...

    # LISTEN on a connection held for the process's life (store/notify.py)
    async def add_listener(self, channel: str, callback: Callable[..., Any]) -> None: ...

    async def remove_listener(self, channel: str, callback: Callable[..., Any]) -> None: ...

    def add_termination_listener(self, callback: Callable[..., Any]) -> None: ...


@runtime_checkable
class Pool(Queries, Protocol):
    """The process's pool: the same statements, `acquire` to lend a connection, and `close`."""

    def acquire(self) -> Block[Connection]: ...

    async def close(self) -> None: ...


@runtime_checkable
class NewConnection(Connection, Protocol):
    """A connection the pool has just opened, before lending it: where codecs are registered."""

    async def set_type_codec(
        self,
        typename: str,
        *,
        encoder: Callable[[Any], str],
        decoder: Callable[[str], Any],
        schema: str,
        format: str,
    ) -> None: ...


def one(row: Row | None) -> Row:
    """The row of a statement that always returns one (`INSERT … RETURNING`, an aggregate)."""
    if row is None:
        raise LookupError("the statement returned no row")
    return row
