"""What the operator's fleet view reads (docs/fleet-control.md): every destination an account
has (a broker, a warehouse, a webhook endpoint), whether or not a send to it was ever admitted,
and the exports that are stuck (ATTENTION_REQUIRED, or waiting for a destination)."""

from dataclasses import dataclass

from domain.destinations import DestinationKind
from domain.operations import Stuck
from domain.status import ExportStatus
from store.db import Queries, Row

# an account with more stuck exports than this is shown (and retried by group) this many at a time
STUCK_LIMIT = 50_000
MESSAGE_CHARS = 300


@dataclass(frozen=True)
class Owner:
    """What a destination belongs to: a broker, a warehouse or a webhook endpoint, and its name
    (a webhook endpoint's is its URL)."""

    kind: DestinationKind
    ref_id: str
    name: str


_OWNERS = """
    SELECT 'broker' AS kind, id AS ref_id, name FROM brokers WHERE account_id = $1
    UNION ALL
    SELECT 'warehouse', id, name FROM warehouses WHERE account_id = $1
    UNION ALL
    SELECT 'webhook', id, url FROM webhook_endpoints WHERE account_id = $1 AND deleted_at IS NULL
"""


def _owner(row: Row) -> Owner:
    return Owner(kind=DestinationKind(row["kind"]), ref_id=row["ref_id"], name=row["name"])


async def owners(conn: Queries, account_id: str) -> list[Owner]:
    """Every broker, warehouse and (live) webhook endpoint of the account, by kind and id."""
    rows = await conn.fetch(
        "SELECT * FROM (" + _OWNERS + ") o ORDER BY kind, ref_id",
        account_id,
    )
    return [_owner(r) for r in rows]


async def owner(conn: Queries, account_id: str, kind: DestinationKind, ref_id: str) -> Owner | None:
    """The account's broker, warehouse or (live) webhook endpoint; None when it has none."""
    row = await conn.fetchrow(
        "SELECT * FROM (" + _OWNERS + ") o WHERE kind = $2 AND ref_id = $3",
        account_id,
        kind.value,
        ref_id,
    )
    return _owner(row) if row is not None else None


async def stuck_exports(conn: Queries, account_id: str, limit: int = STUCK_LIMIT) -> list[Stuck]:
    """The account's exports in ATTENTION_REQUIRED or waiting for a destination, stuck longest
    first; a waiting export carries the state its destination is in now (the one it began to
    wait in when the destination has no row)."""
    rows = await conn.fetch(
        """SELECT e.id, e.broker_id, e.warehouse_id,
                  CASE WHEN e.status = $2 THEN e.attention ->> 'step' END AS step,
                  CASE WHEN e.status = $2 THEN e.attention ->> 'errorType' END AS error_type,
                  left(CASE WHEN e.status = $2 THEN e.attention ->> 'error'
                            ELSE d.last_error END, $3) AS message,
                  e.waiting_for ->> 'destination' AS waiting_for,
                  coalesce(d.state, e.waiting_for ->> 'state') AS destination_state,
                  coalesce(CASE WHEN e.status = $2 THEN (e.attention ->> 'at')::timestamptz END,
                           (e.waiting_for ->> 'waitingSince')::timestamptz,
                           e.updated_at) AS since
           FROM exports e
           LEFT JOIN destinations d ON d.id = e.waiting_for ->> 'destination'
                                   AND d.account_id = e.account_id
           WHERE e.account_id = $1
             AND ((e.status = $2 AND e.attention IS NOT NULL) OR e.waiting_for IS NOT NULL)
           ORDER BY since, e.id
           LIMIT $4""",
        account_id,
        ExportStatus.ATTENTION_REQUIRED.value,
        MESSAGE_CHARS,
        limit,
    )
    return [
        Stuck(
            export_id=r["id"],
            broker_id=r["broker_id"],
            warehouse_id=r["warehouse_id"],
            since=r["since"],
            step=r["step"],
            error_type=r["error_type"],
            message=r["message"],
            waiting_for=r["waiting_for"],
            destination_state=r["destination_state"],
        )
        for r in rows
    ]


__all__ = ["STUCK_LIMIT", "Owner", "owner", "owners", "stuck_exports"]
