"""Review work shared between people: who holds each export under review, the changes reviewers
asked for, and the account's reviewers (migration 015). The caller holds the export's row
locked (store.exports.lock_export) while it changes them and appends their events."""

from dataclasses import dataclass
from datetime import datetime

from domain.review_work import ChangeRequest, ReviewHolder
from store.db import Connection, Queries, Row


@dataclass(frozen=True)
class Reviewer:
    """A key of the account that may review: its id and what people call it."""

    actor: str
    label: str


def _holder(row: Row) -> ReviewHolder:
    return ReviewHolder(
        actor=row["holder"],
        label=row["holder_label"],
        since=row["since"],
        assigned_by=row["assigned_by"],
        assigned_by_label=row["assigned_by_label"],
    )


async def holder_of(conn: Queries, export_id: str) -> ReviewHolder | None:
    """Who holds the export, if anyone."""
    row = await conn.fetchrow("SELECT * FROM review_holders WHERE export_id = $1", export_id)
    return _holder(row) if row is not None else None


async def holders_of(
    conn: Queries, account_id: str, export_ids: list[str]
) -> dict[str, ReviewHolder]:
    """The holders of these exports of the account, by export id."""
    rows = await conn.fetch(
        "SELECT * FROM review_holders WHERE account_id = $1 AND export_id = any($2::text[])",
        account_id,
        export_ids,
    )
    return {r["export_id"]: _holder(r) for r in rows}


async def set_holder(
    conn: Connection, account_id: str, export_id: str, holder: ReviewHolder
) -> None:
    """Make `holder` the export's one holder (replacing any other)."""
    await conn.execute(
        """INSERT INTO review_holders (export_id, account_id, holder, holder_label, assigned_by,
                                       assigned_by_label, since)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (export_id) DO UPDATE SET
               holder = EXCLUDED.holder, holder_label = EXCLUDED.holder_label,
               assigned_by = EXCLUDED.assigned_by,
               assigned_by_label = EXCLUDED.assigned_by_label, since = EXCLUDED.since""",
        export_id,
        account_id,
        holder.actor,
        holder.label,
        holder.assigned_by,
        holder.assigned_by_label,
        holder.since,
    )


async def clear_holder(conn: Connection, export_id: str) -> None:
    """Nobody holds the export any more."""
    await conn.execute("DELETE FROM review_holders WHERE export_id = $1", export_id)


async def add_change_request(conn: Connection, export_id: str, request: ChangeRequest) -> None:
    """Remember that a reviewer asked for changes to the export's plan."""
    await conn.execute(
        """INSERT INTO review_change_requests
               (export_id, requested_by, requested_by_label, plan_hash, reason_codes, comment,
                requested_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        export_id,
        request.requested_by,
        request.label,
        request.plan_hash,
        request.reason_codes,
        request.comment,
        request.requested_at,
    )


def _change_request(row: Row) -> ChangeRequest:
    return ChangeRequest(
        requested_by=row["requested_by"],
        label=row["requested_by_label"],
        plan_hash=row["plan_hash"],
        reason_codes=list(row["reason_codes"]),
        comment=row["comment"],
        requested_at=row["requested_at"],
        answered_plan_hash=row["answered_plan_hash"],
        answered_at=row["answered_at"],
    )


async def last_change_request(conn: Queries, export_id: str) -> ChangeRequest | None:
    """The newest change request of the export, answered or not."""
    row = await conn.fetchrow(
        "SELECT * FROM review_change_requests WHERE export_id = $1 ORDER BY id DESC LIMIT 1",
        export_id,
    )
    return _change_request(row) if row is not None else None


async def open_change_request(conn: Queries, export_id: str) -> ChangeRequest | None:
    """The newest change request no new plan has answered yet."""
    row = await conn.fetchrow(
        """SELECT * FROM review_change_requests WHERE export_id = $1 AND answered_at IS NULL
           ORDER BY id DESC LIMIT 1""",
        export_id,
    )
    return _change_request(row) if row is not None else None


async def answer_change_requests(
    conn: Connection, export_id: str, plan_hash: str, at: datetime
) -> None:
    """A new plan answers every open change request of the export."""
    await conn.execute(
        """UPDATE review_change_requests SET answered_plan_hash = $2, answered_at = $3
           WHERE export_id = $1 AND answered_at IS NULL""",
        export_id,
        plan_hash,
        at,
    )


async def reviewers(conn: Queries, account_id: str) -> list[Reviewer]:
    """Who may be given an export's review, by label: the account's keys with the reviewer role
    that are not revoked, and the people who signed in with the identity provider (their actor
    `oidc:<subject>`, migration 013)."""
    rows = await conn.fetch(
        """SELECT id AS actor, coalesce(label, name) AS label FROM api_keys
           WHERE account_id = $1 AND 'reviewer' = any(roles) AND revoked_at IS NULL
           UNION ALL
           SELECT 'oidc:' || subject, label FROM console_people WHERE account_id = $1
           ORDER BY label, actor""",
        account_id,
    )
    return [Reviewer(actor=r["actor"], label=r["label"]) for r in rows]


async def with_open_change_requests(conn: Queries, export_ids: list[str]) -> set[str]:
    """Those of the exports whose reviewer's change request waits for a new plan."""
    rows = await conn.fetch(
        """SELECT DISTINCT export_id FROM review_change_requests
           WHERE export_id = any($1::text[]) AND answered_at IS NULL""",
        export_ids,
    )
    return {r["export_id"] for r in rows}
