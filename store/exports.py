"""Exports: the projection inspect reads, and the append-only, gapless event log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.approval import Approval, Attention
from domain.planning.document import PlanDocument
from domain.status import PRE_EXECUTION
from store.db import Connection, Queries
from store.errors import NotFound
from store.ids import new_id
from store.records import EventRecord, ExportRecord


@dataclass(frozen=True)
class NewEvent:
    """An event to append; (export, dedupe key) is unique, so a retried write is harmless."""

    type: str
    dedupe_key: str
    actor: str
    data: dict[str, Any]


# One statement, one round trip: the events not yet there take the next seqs in order, each is
# queued for every live endpoint of the account that wants its type (an event is never without
# its deliveries), and the feed's and the outbox's signals go out at commit (never for a
# rollback; store/notify.py).
_APPEND = """
WITH given AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[])
        WITH ORDINALITY AS g(id, dedupe_key, type, actor, data, n)
), fresh AS (
    SELECT g.*, row_number() OVER (ORDER BY g.n) AS k
    FROM given g
    WHERE NOT EXISTS (SELECT 1 FROM export_events e
                      WHERE e.export_id = $1 AND e.dedupe_key = g.dedupe_key)
), appended AS (
    INSERT INTO export_events (id, export_id, seq, dedupe_key, type, occurred_at, actor, data)
    SELECT f.id, $1, last.seq + f.k, f.dedupe_key, f.type, $7, f.actor, f.data
    FROM fresh f,
         (SELECT coalesce(max(seq), 0) AS seq FROM export_events WHERE export_id = $1) last
    RETURNING id, seq, type
), queued AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_id, export_id, seq, event_type)
    SELECT w.id, a.id, $1, a.seq, a.type
    FROM appended a
    JOIN exports x ON x.id = $1
    JOIN webhook_endpoints w ON w.account_id = x.account_id AND w.deleted_at IS NULL
         AND (w.event_types IS NULL OR a.type = any(w.event_types))
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM appended) AS appended,
       (SELECT count(pg_notify('entrygo_events',
                               x.account_id || ' ' || x.id || ' ' || pg_current_xact_id()))
        FROM exports x WHERE x.id = $1 AND EXISTS (SELECT 1 FROM appended)) AS feed,
       (SELECT count(pg_notify('entrygo_outbox', ''))
        WHERE EXISTS (SELECT 1 FROM queued)) AS outbox
"""


async def append_events(
    conn: Connection, export_id: str, events: list[NewEvent], occurred_at: datetime
) -> int:
    """Append events in order with the next seq, in one statement; returns how many were new.

    The caller holds the export row locked (`hold_export`, `lock_export`, or an UPDATE of it),
    which serialises seq assignment.
    """
    if not events:
        return 0
    row = await conn.fetchrow(
        _APPEND,
        export_id,
        [new_id("evt") for _ in events],
        [e.dedupe_key for e in events],
        [e.type for e in events],
        [e.actor for e in events],
        [e.data for e in events],
        occurred_at,
    )
    assert row is not None
    return int(row["appended"])


async def lock_export(conn: Connection, export_id: str) -> ExportRecord | None:
    """The export row, locked for this transaction."""
    row = await conn.fetchrow("SELECT * FROM exports WHERE id = $1 FOR UPDATE", export_id)
    return ExportRecord.from_row(row) if row is not None else None


async def hold_export(conn: Connection, export_id: str) -> None:
    """Lock the export row for this transaction without reading it (its plan is the largest
    value we store, and these writers need only the lock)."""
    await conn.execute("SELECT FROM exports WHERE id = $1 FOR UPDATE", export_id)


async def save_plan(
    conn: Connection,
    *,
    export_id: str,
    account_id: str,
    warehouse_id: str,
    broker_id: str,
    destination: str,
    order_ids: list[str],
    plan: PlanDocument,
    approval: Approval,
) -> None:
    """Insert the export or replace its plan (re-plan)."""
    await conn.execute(
        """INSERT INTO exports (id, account_id, warehouse_id, broker_id, destination_country,
                                order_ids, status, readiness_state, plan_hash, plan, approval,
                                workflow_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::text::jsonb, $11, 'export-' || $1)
           ON CONFLICT (id) DO UPDATE SET
               warehouse_id = EXCLUDED.warehouse_id, broker_id = EXCLUDED.broker_id,
               destination_country = EXCLUDED.destination_country,
               order_ids = EXCLUDED.order_ids, status = EXCLUDED.status,
               readiness_state = EXCLUDED.readiness_state, plan_hash = EXCLUDED.plan_hash,
               plan = EXCLUDED.plan, approval = EXCLUDED.approval, updated_at = now()""",
        export_id,
        account_id,
        warehouse_id,
        broker_id,
        destination,
        order_ids,
        plan.status,
        plan.readiness_state,
        plan.plan_hash,
        plan.model_dump_json(),  # the plan's JSON as text, written once (no dict in between)
        approval.model_dump(mode="json"),
    )


async def get_export(conn: Queries, account_id: str, export_id: str) -> ExportRecord:
    """The export's projection row in the account."""
    row = await conn.fetchrow(
        "SELECT * FROM exports WHERE id = $1 AND account_id = $2", export_id, account_id
    )
    if row is None:
        raise NotFound("export")
    return ExportRecord.from_row(row)


async def get_plan(conn: Queries, account_id: str, export_id: str) -> PlanDocument:
    """The export's stored plan in the account, validated from the column's JSON text (no Python
    dict in between, and none of the row's other columns read)."""
    text = await conn.fetchval(
        "SELECT plan::text FROM exports WHERE id = $1 AND account_id = $2", export_id, account_id
    )
    if text is None:
        raise NotFound("export")
    return PlanDocument.model_validate_json(text)


async def created_before(conn: Queries, export_id: str, moment: datetime) -> bool:
    """True when the export exists and was created before `moment`."""
    created = await conn.fetchval("SELECT created_at FROM exports WHERE id = $1", export_id)
    return created is not None and bool(created < moment)


async def list_exports(
    conn: Queries,
    account_id: str,
    status: str | None,
    readiness: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> list[ExportRecord]:
    """A page of exports in creation order (`created_at`, then id), after the given row."""
    after_time, after_id = after if after is not None else (None, None)
    return [
        ExportRecord.from_row(row)
        for row in await conn.fetch(
            """SELECT * FROM exports WHERE account_id = $1
                 AND ($2::text IS NULL OR status = $2)
                 AND ($3::text IS NULL OR readiness_state = $3)
                 AND ($4::timestamptz IS NULL OR (created_at, id) > ($4::timestamptz, $5::text))
               ORDER BY created_at, id LIMIT $6""",
            account_id,
            status,
            readiness,
            after_time,
            after_id,
            limit,
        )
    ]


async def list_events(conn: Queries, export_id: str, after: int, limit: int) -> list[EventRecord]:
    """Events with seq > after, in order."""
    rows = await conn.fetch(
        """SELECT * FROM export_events WHERE export_id = $1 AND seq > $2
           ORDER BY seq LIMIT $3""",
        export_id,
        after,
        limit,
    )
    return [EventRecord.from_row(row) for row in rows]


async def latest_events(conn: Queries, export_id: str, limit: int = 100) -> list[EventRecord]:
    """The latest `limit` events, in seq order."""
    rows = await conn.fetch(
        "SELECT * FROM export_events WHERE export_id = $1 ORDER BY seq DESC LIMIT $2",
        export_id,
        limit,
    )
    return [EventRecord.from_row(row) for row in reversed(rows)]


async def abandon(conn: Connection, export_id: str) -> None:
    """Remove an export whose workflow was stopped before its client ever saw it.

    Only before execution: then nothing else refers to it, and the same request (same
    idempotency key) may plan it afresh under the same id.
    """
    async with conn.transaction():
        row = await lock_export(conn, export_id)
        if row is None or row.status not in PRE_EXECUTION:
            return
        await conn.execute("DELETE FROM export_events WHERE export_id = $1", export_id)
        await conn.execute("DELETE FROM exports WHERE id = $1", export_id)


async def get_export_by_id(conn: Queries, export_id: str) -> ExportRecord | None:
    """The export's row, for the worker (which acts for the export, not for a key)."""
    row = await conn.fetchrow("SELECT * FROM exports WHERE id = $1", export_id)
    return ExportRecord.from_row(row) if row is not None else None


async def database_now(conn: Connection) -> datetime:
    """The database's transaction time: events and rows of one step share it."""
    now: datetime = await conn.fetchval("SELECT now()")
    return now


async def update_projection(
    conn: Connection,
    export_id: str,
    *,
    status: str | None,
    approval: Approval | None,
    attention: Attention | None,
    clear_attention: bool,
    execution_requested: bool | None,
    at: Any,
    final: list[str],
) -> bool:
    """Apply a workflow transition to the projection (which locks its row for the rest of the
    transaction); a final status is never left. False when there is no such row."""
    done = await conn.execute(
        """UPDATE exports SET
               status = CASE WHEN status = any($8::text[]) THEN status
                             ELSE coalesce($2, status) END,
               approval = CASE WHEN status = any($8::text[]) THEN approval
                               ELSE coalesce($3::jsonb, approval) END,
               attention = CASE WHEN $5 THEN NULL ELSE coalesce($4::jsonb, attention) END,
               execution_requested = coalesce($6, execution_requested),
               updated_at = $7
           WHERE id = $1""",
        export_id,
        status,
        approval.model_dump(mode="json") if approval else None,
        attention.model_dump(mode="json") if attention else None,
        clear_attention,
        execution_requested,
        at,
        final,
    )
    return done == "UPDATE 1"


async def save_broker_side(conn: Connection, export_id: str, side: dict[str, Any]) -> None:
    """The broker's side of the export as the workflow holds it (docs/broker-protocol.md)."""
    await conn.execute("UPDATE exports SET broker_side = $2 WHERE id = $1", export_id, side)
