"""The audit trail of an account's review decisions: decision events with who made them and the
plan they were about, in time order, one bounded page at a time."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.audit import PLANNING_TYPES
from store.db import Queries, Row


@dataclass(frozen=True)
class DecisionRecord:
    """One decision event, with the key that made it and the plan in force when it was made."""

    event_id: str
    export_id: str
    seq: int
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]
    key_name: str | None
    key_label: str | None
    # the planHash of the latest plan recorded before the event, and when it was planned
    planned_hash: str | None
    planned_at: datetime | None
    current_plan_hash: str
    current_ruleset: str


@dataclass(frozen=True)
class DecisionFilter:
    """Which decisions: the account's, of these types, in [start, end), after a position, at
    most `limit`; of one export when `export_id` is set."""

    account_id: str
    types: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    after: tuple[datetime, str] | None
    limit: int
    export_id: str | None = None


def _record(row: Row) -> DecisionRecord:
    return DecisionRecord(
        event_id=row["id"],
        export_id=row["export_id"],
        seq=row["seq"],
        type=row["type"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        data=dict(row["data"] or {}),
        key_name=row["key_name"],
        key_label=row["key_label"],
        planned_hash=row["planned_hash"],
        planned_at=row["planned_at"],
        current_plan_hash=row["current_plan_hash"],
        current_ruleset=row["current_ruleset"],
    )


async def decisions(conn: Queries, where: DecisionFilter) -> list[DecisionRecord]:
    """A page of decisions in (occurredAt, event id) order, after `where.after`."""
    after_time, after_id = where.after if where.after is not None else (None, None)
    rows = await conn.fetch(
        """SELECT e.id, e.export_id, e.seq, e.type, e.occurred_at, e.actor, e.data,
                  k.name AS key_name, k.label AS key_label,
                  p.data ->> 'planHash' AS planned_hash, p.occurred_at AS planned_at,
                  x.plan_hash AS current_plan_hash,
                  x.plan ->> 'rulesetVersion' AS current_ruleset
           FROM export_events e
           JOIN exports x ON x.id = e.export_id
           LEFT JOIN api_keys k
                  ON k.id = coalesce(e.data ->> 'keyId', e.actor) AND k.account_id = x.account_id
           LEFT JOIN LATERAL (
               SELECT pe.data, pe.occurred_at FROM export_events pe
               WHERE pe.export_id = e.export_id AND pe.seq < e.seq
                 AND pe.type = any($8::text[])
               ORDER BY pe.seq DESC LIMIT 1) p ON true
           WHERE x.account_id = $1 AND e.type = any($2::text[])
             AND ($3::timestamptz IS NULL OR e.occurred_at >= $3)
             AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
             AND ($5::timestamptz IS NULL OR (e.occurred_at, e.id) > ($5::timestamptz, $6::text))
             AND ($9::text IS NULL OR e.export_id = $9)
           ORDER BY e.occurred_at, e.id
           LIMIT $7""",
        where.account_id,
        list(where.types),
        where.start,
        where.end,
        after_time,
        after_id,
        where.limit,
        list(PLANNING_TYPES),
        where.export_id,
    )
    return [_record(row) for row in rows]
