"""store.db: the driver's connection, pooled connection, pool and row satisfy our protocols.

asyncpg has no type information, so mypy cannot check that `Connection`, `Pool`, `Row`, … name
only what the driver offers: these tests do, member by member, against the driver's classes and
on live objects. A protocol member the driver lacks, or a parameter it does not take, fails here.
"""

import inspect
import json
from collections.abc import Callable
from typing import Any, Protocol

import asyncpg
import pytest
from asyncpg.pool import PoolAcquireContext, PoolConnectionProxy
from asyncpg.transaction import Transaction

from store import db
from store.pool import create_pool

# each protocol, and the driver's classes that must satisfy it
SATISFIED_BY: list[tuple[type, list[type]]] = [
    (db.Queries, [asyncpg.Connection, PoolConnectionProxy, asyncpg.Pool]),
    (db.Connection, [asyncpg.Connection, PoolConnectionProxy]),
    (db.NewConnection, [asyncpg.Connection]),
    (db.Pool, [asyncpg.Pool]),
    (db.Row, [asyncpg.Record]),
    (db.Block, [Transaction, PoolAcquireContext]),
]


P = inspect.Parameter
POSITIONAL = (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)


def members(protocol: type) -> dict[str, Callable[..., Any]]:
    """The methods a protocol declares, its own and its protocol bases'."""
    found: dict[str, Callable[..., Any]] = {}
    for cls in reversed(protocol.__mro__):
        if getattr(cls, "_is_protocol", False) and cls.__module__ != "typing":
            found.update(
                {
                    k: v
                    for k, v in vars(cls).items()
                    # what typing adds to a protocol (its __init__, hooks) is not declared in it
                    if inspect.isfunction(v) and v.__qualname__.startswith(f"{cls.__qualname__}.")
                }
            )
    return found


def refusals(ours: Callable[..., Any], theirs: Callable[..., Any]) -> list[str]:
    """The parameters of our signature a call to the driver's could not pass, and the driver's
    required parameters ours does not pass."""
    mine = list(inspect.signature(ours).parameters.values())[1:]  # without self
    try:
        real = list(inspect.signature(theirs).parameters.values())[1:]
    except ValueError:  # a method written in C (asyncpg.Record's): only its existence is checked
        return []
    kinds = {q.kind for q in real}
    by_name = {q.name: q for q in real}
    positional = [q for q in real if q.kind in POSITIONAL]
    ours_positional = [p for p in mine if p.kind in POSITIONAL]
    out = []
    for p in mine:
        if p.kind is P.VAR_POSITIONAL:
            fits = P.VAR_POSITIONAL in kinds
        elif p.kind in POSITIONAL:
            i = ours_positional.index(p)
            fits = (i < len(positional) or P.VAR_POSITIONAL in kinds) and (
                p.kind is P.POSITIONAL_ONLY or positional[i].name == p.name
            )
        else:
            q = by_name.get(p.name)
            fits = (q is not None and q.kind is not P.POSITIONAL_ONLY) or P.VAR_KEYWORD in kinds
        if not fits:
            out.append(p.name)
    out += [
        f"{q.name} required"
        for q in real
        if q.default is q.empty
        and q.kind is not P.VAR_POSITIONAL
        and q.kind is not P.VAR_KEYWORD
        and not (q in positional and positional.index(q) < len(ours_positional))
        and not (q.kind is P.KEYWORD_ONLY and q.name in {p.name for p in mine})
    ]
    return out


def problems(protocol: type, driver: type) -> list[str]:
    out = []
    for name, ours in members(protocol).items():
        theirs = getattr(driver, name, None)
        if theirs is None:
            out.append(f"{driver.__name__} has no {name}")
            continue
        # the pool's connection proxy wraps the driver's coroutines in plain functions
        if (
            driver is not PoolConnectionProxy
            and inspect.isfunction(theirs)
            and inspect.iscoroutinefunction(ours) != inspect.iscoroutinefunction(theirs)
        ):
            out.append(f"{driver.__name__}.{name}: async or not differs")
        out += [f"{driver.__name__}.{name}: {r}" for r in refusals(ours, theirs)]
    return out


@pytest.mark.parametrize(
    ("protocol", "driver"),
    [(p, d) for p, classes in SATISFIED_BY for d in classes],
    ids=lambda v: v.__name__,
)
def test_every_member_exists_with_its_parameters(protocol: type, driver: type) -> None:
    assert members(protocol)
    assert problems(protocol, driver) == []


def test_a_member_or_a_parameter_the_driver_lacks_is_reported() -> None:
    class Invented(db.Connection, Protocol):
        async def fetchall(self, query: str) -> None: ...

        async def fetch(self, query: str, *args: Any, limit: int = 0) -> list[db.Row]: ...

        def transaction(self, mode: str) -> db.Block[None]: ...

        async def set_type_codec(self, typename: str) -> None: ...

    assert sorted(problems(Invented, asyncpg.Connection)) == [
        "Connection has no fetchall",
        "Connection.fetch: limit",
        "Connection.set_type_codec: decoder required",
        "Connection.set_type_codec: encoder required",
        "Connection.transaction: mode",
    ]


async def test_live_objects_are_instances_and_answer(database_url: str) -> None:
    pool = await create_pool(database_url, min_size=1, max_size=1)
    assert isinstance(pool, db.Pool)
    assert isinstance(pool.acquire(), db.Block)
    try:
        await use(pool)
        async with pool.acquire() as conn:
            assert isinstance(conn, db.Connection)
            assert isinstance(conn, db.NewConnection)
            transaction = conn.transaction()
            assert isinstance(transaction, db.Block)
            async with transaction:
                await use(conn)
            # the pool's init registered the JSON codecs through `set_type_codec`
            assert await conn.fetchval("""SELECT '{"a": [1]}'::jsonb""") == {"a": [1]}
            assert await conn.fetchval("SELECT $1::jsonb", {"b": 2}) == {"b": 2}
    finally:
        await pool.close()
    with pytest.raises(asyncpg.InterfaceError):
        await pool.fetchval("SELECT 1")  # closed


async def use(queries: db.Queries) -> None:
    """Call every statement member as store/ does, and read the rows as store/ does."""
    assert await queries.execute("SELECT 1") == "SELECT 1"
    assert await queries.executemany("SELECT $1::int", [(1,), (2,)]) is None
    rows = await queries.fetch("SELECT n, n * 2 AS twice FROM generate_series(1, $1::int) AS n", 2)
    assert all(isinstance(row, db.Row) for row in rows)
    assert [(row["n"], row[1]) for row in rows] == [(1, 2), (2, 4)]
    assert [dict(row) for row in rows] == [{"n": 1, "twice": 2}, {"n": 2, "twice": 4}]
    assert list(rows[0].keys()) == ["n", "twice"]
    row = await queries.fetchrow("SELECT 'x' AS v")
    assert isinstance(row, db.Row)
    assert row["v"] == "x"
    assert await queries.fetchrow("SELECT 1 WHERE false") is None
    assert await queries.fetchval("SELECT $1::text", "y") == "y"
    assert db.one(row) is row
    with pytest.raises(LookupError):
        db.one(None)
    assert json.loads(json.dumps(dict(row))) == {"v": "x"}
