"""The audit export of an account's review decisions (docs/evidence.md): a bounded page with a
cursor, or every decision of the window as CSV, read and written a batch at a time."""

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from domain.audit import DECISION_TYPES, decision_ruleset
from services.context import Context
from services.models.evidence import AuditDecision
from store import audit
from store.audit import DecisionFilter, DecisionRecord

DEFAULT_WINDOW = timedelta(days=30)
CSV_BATCH = 500
CSV_COLUMNS = (
    "exportId", "eventId", "seq", "type", "occurredAt", "keyId", "subject", "label", "name",
    "email", "planHash", "rulesetVersion", "comment", "reason", "reasonCodes", "assignee",
    "assigneeLabel", "previousHolder",
)  # fmt: skip
# a cell a spreadsheet would run as a formula is written with a leading apostrophe
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditQuery:
    """Decisions in [start, end) after a position (`occurredAt`, event id), at most `limit`."""

    start: datetime
    end: datetime
    after: tuple[datetime, str] | None
    limit: int


@dataclass(frozen=True)
class AuditList:
    """A page of decisions; `last` is the last row's position when another page may follow."""

    data: list[AuditDecision]
    last: tuple[datetime, str] | None


def window(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The window asked for: both bounds as given (a time without a zone is UTC), an open end
    ending now, an open start 30 days before the end."""
    end = _utc(end) if end is not None else now
    if start is not None:
        return _utc(start), end
    earliest = datetime.min.replace(tzinfo=UTC)
    return (end - DEFAULT_WINDOW if end - earliest > DEFAULT_WINDOW else earliest), end


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _text(data: dict[str, object], *keys: str) -> str | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _codes(value: object) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(code) for code in value]


def decision_view(record: DecisionRecord) -> AuditDecision:
    """A decision event as an audit row: who (the event's key, else its actor), on which plan
    (the event's planHash, else the plan recorded last before it), with which rule pack."""
    data = record.data
    plan_hash = _text(data, "planHash") or record.planned_hash
    if plan_hash is None and record.type == "EXPORT_REJECTED":
        plan_hash = record.current_plan_hash  # a rejection is final: its plan is the last one
    return AuditDecision(
        export_id=record.export_id,
        event_id=record.event_id,
        seq=record.seq,
        type=record.type,
        occurred_at=record.occurred_at,
        key_id=_text(data, "keyId") or record.actor,
        subject=_text(data, "subject"),
        label=_text(data, "label") or record.key_label,
        name=_text(data, "name") or record.key_name,
        email=_text(data, "email"),
        plan_hash=plan_hash,
        ruleset_version=decision_ruleset(
            plan_hash,
            record.current_plan_hash,
            record.current_ruleset,
            record.planned_at.astimezone(UTC).date() if record.planned_at else None,
        ),
        comment=_text(data, "comment", "text"),
        reason=_text(data, "reason"),
        reason_codes=_codes(data.get("reasonCodes")),
        assignee=_text(data, "to", "assignee"),
        assignee_label=_text(data, "toLabel"),
        previous_holder=_text(data, "from"),
    )


def _filter(ctx: Context, query: AuditQuery) -> DecisionFilter:
    return DecisionFilter(
        account_id=ctx.account_id,
        types=DECISION_TYPES,
        start=query.start,
        end=query.end,
        after=query.after,
        limit=query.limit,
    )


async def audit_page(ctx: Context, query: AuditQuery) -> AuditList:
    """A page of the account's decisions in the window, in time order."""
    async with ctx.connect() as conn:
        rows = await audit.decisions(conn, _filter(ctx, query))
    last = (rows[-1].occurred_at, rows[-1].event_id) if len(rows) == query.limit else None
    return AuditList([decision_view(r) for r in rows], last)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = " ".join(str(item) for item in value)
    text = value.isoformat().replace("+00:00", "Z") if isinstance(value, datetime) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_rows(rows: list[AuditDecision]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        values = row.model_dump(by_alias=True)
        writer.writerow([_cell(values[column]) for column in CSV_COLUMNS])
    return buffer.getvalue().encode("utf-8")


async def audit_csv(ctx: Context, query: AuditQuery) -> AsyncIterator[bytes]:
    """Every decision of the window after `query.after` as CSV (a header, then a row each),
    read CSV_BATCH rows at a time: a year of decisions is never in memory at once."""
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(CSV_COLUMNS)
    yield header.getvalue().encode("utf-8")
    page = AuditQuery(query.start, query.end, query.after, CSV_BATCH)
    while True:
        batch = await audit_page(ctx, page)
        if batch.data:
            yield _csv_rows(batch.data)
        if batch.last is None:
            return
        page = AuditQuery(query.start, query.end, batch.last, CSV_BATCH)
