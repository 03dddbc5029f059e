"""Destinations and their breakers (domain/destinations.py), their recent failures and events,
and the exports waiting for each (docs/fleet-control.md)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.destinations import Breaker, Change, DestinationKind, DestinationState, destination_id
from store import webhook_holds, webhooks
from store.db import Connection, Queries, Row
from store.ids import new_id

KEEP_FAILURES = 20  # recent failures kept per destination


@dataclass(frozen=True)
class DestinationRecord:
    """One destination: what it belongs to, its breaker, its last failure."""

    id: str
    account_id: str
    kind: DestinationKind
    ref_id: str
    breaker: Breaker
    last_error: str | None
    last_failure_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class FailureRecord:
    """A recent failure of a send to a destination."""

    at: datetime
    export_id: str | None
    error_class: str
    message: str
    transient: bool


@dataclass(frozen=True)
class WaitingExport:
    """An export whose workflow waits for a destination."""

    export_id: str
    workflow_id: str
    since: str


def _record(row: Row) -> DestinationRecord:
    breaker = Breaker(
        state=DestinationState(row["state"]),
        since=row["since"],
        failures=tuple(row["failures"] or ()),
        opened_times=row["opened_times"],
        next_probe_at=row["next_probe_at"],
        probe_export_id=row["probe_export_id"],
        probe_until=row["probe_until"],
        paused_reason=row["paused_reason"],
        paused_by=row["paused_by"],
    )
    return DestinationRecord(
        id=row["id"],
        account_id=row["account_id"],
        kind=DestinationKind(row["kind"]),
        ref_id=row["ref_id"],
        breaker=breaker,
        last_error=row["last_error"],
        last_failure_at=row["last_failure_at"],
        updated_at=row["updated_at"],
    )


async def lock(
    conn: Connection, account_id: str, kind: DestinationKind, ref_id: str
) -> DestinationRecord:
    """The destination's row, made CLOSED if it has none yet, locked until the transaction ends."""
    ident = destination_id(kind, ref_id)
    await conn.execute(
        """INSERT INTO destinations (id, account_id, kind, ref_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO NOTHING""",
        ident,
        account_id,
        kind.value,
        ref_id,
    )
    row = await conn.fetchrow("SELECT * FROM destinations WHERE id = $1 FOR UPDATE", ident)
    assert row is not None  # inserted above when missing
    return _record(row)


async def lock_by_id(conn: Connection, ident: str) -> DestinationRecord | None:
    """A destination's row by its id, locked; None when no send to it was ever admitted."""
    row = await conn.fetchrow("SELECT * FROM destinations WHERE id = $1 FOR UPDATE", ident)
    return _record(row) if row is not None else None


async def get(conn: Queries, account_id: str, ident: str) -> DestinationRecord | None:
    """A destination of the account."""
    row = await conn.fetchrow(
        "SELECT * FROM destinations WHERE id = $1 AND account_id = $2", ident, account_id
    )
    return _record(row) if row is not None else None


async def save(conn: Connection, ident: str, b: Breaker, now: datetime) -> None:
    """Write the breaker as decided."""
    await conn.execute(
        """UPDATE destinations SET state = $2, since = coalesce($3, since), failures = $4,
                  opened_times = $5, next_probe_at = $6, probe_export_id = $7, probe_until = $8,
                  paused_reason = $9, paused_by = $10, updated_at = $11
           WHERE id = $1""",
        ident,
        b.state.value,
        b.since,
        list(b.failures),
        b.opened_times,
        b.next_probe_at,
        b.probe_export_id,
        b.probe_until,
        b.paused_reason,
        b.paused_by,
        now,
    )


async def add_failure(
    conn: Connection,
    ident: str,
    *,
    export_id: str | None,
    error_class: str,
    message: str,
    transient: bool,
    now: datetime,
) -> None:
    """Keep a failure (the newest KEEP_FAILURES are kept) and the destination's last error."""
    await conn.execute(
        """INSERT INTO destination_failures
               (destination_id, at, export_id, error_class, message, transient)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        ident,
        now,
        export_id,
        error_class,
        message[:1000],
        transient,
    )
    await conn.execute(
        """DELETE FROM destination_failures WHERE destination_id = $1 AND id <= (
               SELECT id FROM destination_failures WHERE destination_id = $1
               ORDER BY id DESC OFFSET $2 LIMIT 1)""",
        ident,
        KEEP_FAILURES,
    )
    await conn.execute(
        "UPDATE destinations SET last_error = $2, last_failure_at = $3 WHERE id = $1",
        ident,
        message[:1000],
        now,
    )


async def recent_failures(conn: Queries, ident: str, limit: int = 5) -> list[FailureRecord]:
    """The destination's newest failures, newest first."""
    rows = await conn.fetch(
        """SELECT at, export_id, error_class, message, transient FROM destination_failures
           WHERE destination_id = $1 ORDER BY id DESC LIMIT $2""",
        ident,
        limit,
    )
    return [FailureRecord(**dict(r)) for r in rows]


async def add_event(
    conn: Connection,
    record: DestinationRecord,
    kind: str,
    actor: str,
    data: dict[str, Any],
    now: datetime,
) -> str:
    """Append one of the destination's events (numbered by `seq` per destination, its data
    naming the state the destination is in now) and, in the same transaction, its webhook
    deliveries; returns its id."""
    ident = new_id("dev")
    # its state, and the signal that the account's feed moved (delivered at commit; notify.py)
    state = await conn.fetchval(
        """SELECT state FROM destinations,
                  pg_notify('entrygo_events', account_id || '  ' || pg_current_xact_id())
           WHERE id = $1""",
        record.id,
    )
    await conn.execute(
        """INSERT INTO destination_events (id, destination_id, account_id, type, occurred_at,
                                           actor, data, seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT coalesce(max(seq), 0) + 1
                                                FROM destination_events
                                                WHERE destination_id = $2))""",
        ident,
        record.id,
        record.account_id,
        kind,
        now,
        actor,
        {"destination": record.id, "state": state, **data},
    )
    await webhooks.enqueue_destination_event(conn, ident)
    if record.kind == DestinationKind.WEBHOOK and state == DestinationState.CLOSED:
        await webhook_holds.release(conn, record.ref_id)  # an endpoint closed or resumed
    return ident


async def record_change(
    conn: Connection,
    record: DestinationRecord,
    change: Change,
    now: datetime,
    actor: str = "system",
    data: dict[str, Any] | None = None,
) -> str | None:
    """Write a breaker decision and the destination event it makes, if any (returned)."""
    await save(conn, record.id, change.breaker, now)
    if change.event is not None:
        await add_event(conn, record, change.event, actor, dict(data or {}), now)
    return change.event


async def events_of(conn: Queries, ident: str, limit: int = 50) -> list[dict[str, Any]]:
    """The destination's newest events, oldest first."""
    rows = await conn.fetch(
        """SELECT * FROM (SELECT id, type, occurred_at, actor, data FROM destination_events
                          WHERE destination_id = $1 ORDER BY occurred_at DESC, id DESC
                          LIMIT $2) e ORDER BY occurred_at, id""",
        ident,
        limit,
    )
    return [dict(r) for r in rows]


async def list_for_account(conn: Queries, account_id: str) -> list[DestinationRecord]:
    """Every destination of the account a send was ever admitted to, by id."""
    rows = await conn.fetch(
        "SELECT * FROM destinations WHERE account_id = $1 ORDER BY id", account_id
    )
    return [_record(r) for r in rows]


async def waiting_counts(conn: Queries, account_id: str) -> dict[str, int]:
    """How many exports of the account wait for each destination."""
    rows = await conn.fetch(
        """SELECT waiting_for ->> 'destination' AS destination, count(*) AS n FROM exports
           WHERE account_id = $1 AND waiting_for IS NOT NULL GROUP BY 1""",
        account_id,
    )
    return {r["destination"]: r["n"] for r in rows}


async def waiting_exports(
    conn: Queries, ident: str, after: tuple[str, str] | None, limit: int
) -> list[WaitingExport]:
    """Exports waiting for the destination, in the order they began to wait, after a cursor
    (since, export id)."""
    since, export_id = after if after is not None else ("", "")
    rows = await conn.fetch(
        """SELECT id AS export_id, workflow_id, waiting_for ->> 'waitingSince' AS since
           FROM exports
           WHERE waiting_for ->> 'destination' = $1
             AND ((waiting_for ->> 'waitingSince')::timestamptz, id) > ($2::text::timestamptz, $3::text)
           ORDER BY (waiting_for ->> 'waitingSince')::timestamptz, id LIMIT $4""",
        ident,
        since or "-infinity",
        export_id,
        limit,
    )
    return [WaitingExport(**dict(r)) for r in rows]


async def save_waiting_for(
    conn: Connection, export_id: str, waiting_for: dict[str, Any] | None
) -> None:
    """The destination the export waits for (None: none)."""
    await conn.execute(
        "UPDATE exports SET waiting_for = $2 WHERE id = $1",
        export_id,
        waiting_for,
    )


async def webhook_probe_due(conn: Queries) -> bool:
    """Whether any webhook endpoint's breaker is due a probe (one read, no lock: the outbox's
    common case is that none is; `webhook_probes_due` then checks for a delivery to probe with)."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (
                   SELECT 1 FROM destinations
                   WHERE kind = 'webhook'
                     AND ((state = 'OPEN' AND next_probe_at <= now())
                          OR (state = 'HALF_OPEN' AND probe_until <= now())))"""
        )
    )


async def webhook_probes_due(conn: Connection, limit: int) -> list[DestinationRecord]:
    """Webhook endpoints whose breaker is due a probe (OPEN with its backoff over, or HALF_OPEN
    with a probe never heard of) and that have a delivery to probe with, longest due first,
    locked until the transaction ends; rows another process holds are skipped."""
    rows = await conn.fetch(
        """SELECT * FROM destinations dst
           WHERE kind = 'webhook'
             AND ((state = 'OPEN' AND next_probe_at <= now())
                  OR (state = 'HALF_OPEN' AND probe_until <= now()))
             AND EXISTS (SELECT 1 FROM webhook_deliveries d
                         WHERE d.endpoint_id = dst.ref_id AND d.status = 'PENDING')
           ORDER BY coalesce(probe_until, next_probe_at), id LIMIT $1
           FOR UPDATE SKIP LOCKED""",
        limit,
    )
    return [_record(r) for r in rows]


async def settled(conn: Queries, ident: str) -> bool:
    """Whether a success would change nothing: no row, or CLOSED with no failure counted."""
    row = await conn.fetchrow(
        "SELECT state, cardinality(failures) AS failures FROM destinations WHERE id = $1", ident
    )
    return row is None or (row["state"] == DestinationState.CLOSED and row["failures"] == 0)


__all__ = [
    "DestinationRecord",
    "FailureRecord",
    "WaitingExport",
    "add_event",
    "add_failure",
    "events_of",
    "get",
    "list_for_account",
    "lock",
    "lock_by_id",
    "recent_failures",
    "record_change",
    "save",
    "save_waiting_for",
    "settled",
    "waiting_counts",
    "waiting_exports",
    "webhook_probe_due",
    "webhook_probes_due",
]
