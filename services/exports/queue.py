"""The review queue: exports awaiting a reviewer (oldest first), exports whose broker waits for
an answer, and exports that need attention, filtered by warehouse, broker and reason code."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.broker_loop.machine import open_requests
from domain.broker_loop.state import BrokerRequest, BrokerSide
from domain.money import to_number
from domain.planning.models import PlanOutcome
from domain.status import ExportStatus as S
from domain.status import Readiness
from services.context import Context
from store import console, exports
from store.records import ExportRecord

QUEUE_LIMIT = 500
TOP_CODES = 3


@dataclass(frozen=True)
class QueueItem:
    """One export in a queue, with what a reviewer sorts by."""

    export: ExportRecord
    waiting_since: datetime
    age_seconds: float
    value_usd: str
    orders: int
    reason_codes: list[tuple[str, int]]  # the most frequent first
    # the broker's open requests (the broker requests queue), oldest first
    requests: list[BrokerRequest] = field(default_factory=list)

    @property
    def due_by(self) -> datetime | None:
        """The earliest due date of the open requests."""
        due = [r.due_by for r in self.requests if r.due_by is not None]
        return min(due) if due else None

    @property
    def codes(self) -> set[str]:
        """Every reason code of the plan."""
        return {code for code, _ in self.reason_codes}


@dataclass(frozen=True)
class Queues:
    """Both sections of the queue page, and what the filters can choose from."""

    awaiting: list[QueueItem]
    attention: list[QueueItem]
    broker: list[QueueItem]
    warehouses: list[str]
    brokers: list[str]
    reason_codes: list[str]
    names: console.AccountNames


def _parse_time(value: Any, fallback: datetime) -> datetime:
    if not isinstance(value, str):
        return fallback
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback


_SEVERITY_RANK = {"ERROR": 0, "WARNING": 1, "INFO": 2}


def reason_counts(plan: PlanOutcome) -> list[tuple[str, int]]:
    """The plan's reason codes over all orders: what excludes or asks for review before what
    only informs (so the queue's first codes say why a person must look), then the most
    frequent first, then by code."""
    counts = Counter(c for d in plan.decisions for c in d.reason_codes)
    counts.update(f.code for f in plan.flags)
    rank: dict[str, int] = {}
    for m in plan.validation_messages:
        rank[m.code] = min(rank.get(m.code, 2), _SEVERITY_RANK[m.severity])
    return sorted(counts.items(), key=lambda item: (rank.get(item[0], 2), -item[1], item[0]))


def _asked(export: ExportRecord, now: datetime, side: BrokerSide | None) -> QueueItem:
    """An export whose broker waits for an answer: waiting since its oldest open request."""
    requests = open_requests(side) if side else []
    since = min((r.received_at for r in requests), default=export.updated_at)
    item = _item(export, now, since)
    return QueueItem(**{**vars(item), "requests": requests})


def _item(export: ExportRecord, now: datetime, since: datetime) -> QueueItem:
    totals = export.plan.totals
    return QueueItem(
        export=export,
        waiting_since=since,
        age_seconds=max((now - since).total_seconds(), 0.0),
        # as the plan's JSON shows it (19.9, not 19.90)
        value_usd=str(to_number(totals.value_usd)),
        orders=totals.orders,
        reason_codes=reason_counts(export.plan),
    )


async def queues(
    ctx: Context,
    *,
    warehouse_id: str | None = None,
    broker_id: str | None = None,
    reason_code: str | None = None,
) -> Queues:
    """Exports awaiting review (PLANNED or AWAITING_APPROVAL with readiness REVIEW_REQUIRED),
    waiting longest first, and exports in ATTENTION_REQUIRED, failing longest first."""
    account_id = ctx.account_id
    async with ctx.connect() as conn:
        now = await exports.database_now(conn)
        names = await console.account_names(conn, account_id)
        review = await console.exports_in(
            conn,
            account_id,
            [S.PLANNED, S.AWAITING_APPROVAL],
            readiness=Readiness.REVIEW_REQUIRED,
            warehouse_id=None,
            broker_id=None,
            limit=QUEUE_LIMIT,
        )
        failing = await console.exports_in(
            conn,
            account_id,
            [S.ATTENTION_REQUIRED],
            readiness=None,
            warehouse_id=None,
            broker_id=None,
            limit=QUEUE_LIMIT,
        )
        asked = await console.exports_in(
            conn,
            account_id,
            [S.BROKER_ACTION_REQUIRED],
            readiness=None,
            warehouse_id=None,
            broker_id=None,
            limit=QUEUE_LIMIT,
        )
    awaiting = [_item(e, now, _parse_time(e.plan.planned_at, e.created_at)) for e in review]
    attention = [_item(e, now, e.attention.at if e.attention else e.updated_at) for e in failing]
    broker = [_asked(e, now, e.broker_side) for e in asked]
    everything = awaiting + attention + broker

    def wanted(item: QueueItem) -> bool:
        return (
            (warehouse_id is None or item.export.warehouse_id == warehouse_id)
            and (broker_id is None or item.export.broker_id == broker_id)
            and (reason_code is None or reason_code in item.codes)
        )

    return Queues(
        awaiting=sorted(filter(wanted, awaiting), key=lambda i: (i.waiting_since, i.export.id)),
        attention=sorted(filter(wanted, attention), key=lambda i: (i.waiting_since, i.export.id)),
        broker=sorted(filter(wanted, broker), key=lambda i: (i.waiting_since, i.export.id)),
        warehouses=sorted({i.export.warehouse_id for i in everything}),
        brokers=sorted({i.export.broker_id for i in everything}),
        reason_codes=sorted({c for i in everything for c in i.codes}),
        names=names,
    )
