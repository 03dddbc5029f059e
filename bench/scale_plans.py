"""The scale benchmark's look inside PostgreSQL: the SQL each read runs, its plan, and the bytes.

The statements are not written out here: each read's service function runs against a
`RecordingPool`, which passes every statement to a real connection and keeps its text and
arguments; each kept statement is then run again as `EXPLAIN (FORMAT JSON)` with the same
arguments, and its plan tree is searched for sequential scans.
"""

import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from api.pagination import read_time_cursor, time_cursor
from config.settings import Settings
from services import events
from services.context import Context, Intent, Runtime
from services.exports import queue, reading
from services.exports.reading import ExportQuery
from services.temporal import TemporalGate
from store.accounts import Principal
from store.db import Block, Connection, Row


@dataclass(frozen=True)
class Statement:
    """One statement a read ran, with its arguments."""

    sql: str
    args: tuple[Any, ...]


class RecordingConnection:
    """A real connection that keeps every statement run through it."""

    def __init__(self, conn: Connection, kept: list[Statement]) -> None:
        self.conn = conn
        self.kept = kept

    async def execute(self, query: str, *args: Any) -> str:
        self.kept.append(Statement(query, args))
        return await self.conn.execute(query, *args)

    async def executemany(self, command: str, args: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(command, args)

    async def fetch(self, query: str, *args: Any) -> list[Row]:
        self.kept.append(Statement(query, args))
        return await self.conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> Row | None:
        self.kept.append(Statement(query, args))
        return await self.conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        self.kept.append(Statement(query, args))
        return await self.conn.fetchval(query, *args)

    def transaction(self) -> Block[None]:
        return self.conn.transaction()

    async def add_listener(self, channel: str, callback: Callable[..., Any]) -> None:
        raise NotImplementedError  # reads never listen

    async def remove_listener(self, channel: str, callback: Callable[..., Any]) -> None:
        raise NotImplementedError

    def add_termination_listener(self, callback: Callable[..., Any]) -> None:
        raise NotImplementedError


class _Lent:
    """`pool.acquire()` of the recording pool: lends its one connection, keeps it after."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def __aenter__(self) -> Connection:
        return self.conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> None:
        return None


class RecordingPool(RecordingConnection):
    """The pool a service borrows from: every connection it lends is the one recording one."""

    def acquire(self) -> Block[Connection]:
        return _Lent(self)

    async def close(self) -> None:
        return None


# The reads the benchmark times, as their services run them (no Temporal: inspect without `live`).
Read = Callable[[Context], Awaitable[object]]


def reads(
    account_id: str, deep_list: str, deep_feed: str, export_id: str
) -> dict[str, tuple[str, Read]]:
    """Name → (the HTTP call it answers, the service call) for each timed read."""
    list_after = ExportQuery(None, None, read_time_cursor(deep_list), 50)
    return {
        "exports first page": (
            "GET /api/exports",
            lambda ctx: reading.list_exports(ctx, ExportQuery(None, None, None, 50)),
        ),
        "exports deep page": (
            "GET /api/exports?cursor=…",
            lambda ctx: reading.list_exports(ctx, list_after),
        ),
        "review queue": ("GET /console", queue.queues),
        "feed first page": (
            "GET /api/events",
            lambda ctx: events.page(ctx, events.FeedQuery(None, 100)),
        ),
        "feed deep page": (
            "GET /api/events?after=…",
            lambda ctx: events.page(ctx, events.FeedQuery(events.parse_cursor(deep_feed), 100)),
        ),
        "inspect": (
            "GET /api/exports/{id}",
            lambda ctx: reading.inspect(ctx, export_id, live=False),
        ),
    }


@dataclass
class Verdict:
    """The plans of one read's statements: sequential scans of big tables, and tables that no
    index could serve (a full scan even with sequential scans turned off: it grows with them)."""

    statements: int = 0
    seq_on_big: list[str] = field(default_factory=list)
    unindexed: list[str] = field(default_factory=list)

    @property
    def indexed(self) -> bool:
        return not self.seq_on_big


def _walk(node: dict[str, Any]) -> Iterable[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _scans(plan: dict[str, Any]) -> list[tuple[str, str, str | None, bool]]:
    """(node type, table or index, index, full) of every scan: full when nothing bounds it (a
    Seq Scan, or an index walked without an index condition)."""
    found = []
    for node in _walk(plan):
        relation, index = node.get("Relation Name"), node.get("Index Name")
        if relation is None and index is None:
            continue
        kind = node["Node Type"]
        full = kind == "Seq Scan" or (kind.startswith("Index") and "Index Cond" not in node)
        found.append((kind, relation or "", index, full))
    return found


async def _plan(conn: Connection, statement: Statement) -> dict[str, Any]:
    raw = await conn.fetchval("EXPLAIN (FORMAT JSON) " + statement.sql, *statement.args)
    plan: dict[str, Any] = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    return plan


async def big_tables(conn: Connection, exports: int) -> dict[str, int]:
    """Tables that grow with the exports (at least half a row per export), with their rows."""
    rows = await conn.fetch(
        """SELECT relname, n_live_tup FROM pg_stat_user_tables
           WHERE n_live_tup >= $1 ORDER BY n_live_tup DESC""",
        max(exports // 2, 1),
    )
    return {r["relname"]: r["n_live_tup"] for r in rows}


async def explain(
    conn: Connection, settings: Settings, principal: Principal, read: Read, big: set[str]
) -> tuple[Verdict, list[str]]:
    """Run `read` recording its statements, EXPLAIN each; the verdict and the plans' lines."""
    kept: list[Statement] = []
    pool = RecordingPool(conn, kept)
    runtime = Runtime(pool=pool, temporal=TemporalGate(settings), settings=settings)
    await read(Context(runtime, Intent(principal)))
    verdict = Verdict()
    lines: list[str] = []
    seen: set[str] = set()
    for statement in kept:
        if statement.sql in seen or "FROM" not in statement.sql.upper():
            continue  # `SELECT now()` and the like read no table
        seen.add(statement.sql)
        plan = await _plan(conn, statement)
        verdict.statements += 1
        scans = _scans(plan)
        verdict.seq_on_big += [t for kind, t, _, _ in scans if kind == "Seq Scan" and t in big]
        text = "; ".join(
            f"{k} on {t}" if i is None else f"{k} {t} using {i}" for k, t, i, _ in scans
        )
        if any(full for *_, full in scans):
            # a small table is scanned whatever its indexes; would an index serve it if it grew?
            async with conn.transaction():
                await conn.execute("SET LOCAL enable_seqscan = off")
                forced = _scans(await _plan(conn, statement))
            missing = sorted({t for _, t, _, full in forced if full and t})
            verdict.unindexed += missing
            if missing:
                text += f"  [no index serves: {', '.join(missing)}]"
        first = " ".join(statement.sql.split())[:80]
        lines.append(f"    {first}…  cost {plan['Total Cost']:.0f}: {text}")
    return verdict, lines


async def table_bytes(conn: Connection, top: int = 8) -> list[tuple[str, int, int]]:
    """The largest tables: (name, total bytes with indexes and TOAST, live rows)."""
    rows = await conn.fetch(
        """SELECT relname, pg_total_relation_size(relid) AS bytes, n_live_tup
           FROM pg_stat_user_tables ORDER BY bytes DESC LIMIT $1""",
        top,
    )
    return [(r["relname"], r["bytes"], r["n_live_tup"]) for r in rows]


async def database_bytes(conn: Connection) -> int:
    """pg_database_size of the current database."""
    size: int = await conn.fetchval("SELECT pg_database_size(current_database())")
    return size


async def deep_cursors(conn: Connection, account_id: str, depth: float) -> tuple[str, str]:
    """Cursors `depth` (0..1) of the way into the export list and into the feed."""
    n = await conn.fetchval("SELECT count(*) FROM exports WHERE account_id = $1", account_id)
    row = await conn.fetchrow(
        """SELECT created_at, id FROM exports WHERE account_id = $1
           ORDER BY created_at, id OFFSET $2 LIMIT 1""",
        account_id,
        int(n * depth),
    )
    m = await conn.fetchval("SELECT count(*) FROM export_events")
    event = await conn.fetchrow(
        "SELECT txid::text, export_id, seq FROM export_events ORDER BY txid, export_id, seq "
        "OFFSET $1 LIMIT 1",
        int(m * depth),
    )
    assert row is not None
    assert event is not None
    feed = f"{event['txid']}.{event['export_id']}.{event['seq']}"
    return time_cursor(row["created_at"], row["id"]), feed
