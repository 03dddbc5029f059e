"""The review queue: exports awaiting a reviewer (the nearest review deadline first, or the
oldest), exports whose broker waits for an answer, and exports that need attention, filtered by
warehouse, broker, reason code, holder and cluster (the same codes under the same rule pack);
each with who holds it (docs/console.md "A shared queue")."""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from domain.broker_loop.machine import open_requests
from domain.broker_loop.state import BrokerRequest, BrokerSide
from domain.money import to_number
from domain.planning.models import PlanOutcome
from domain.review_work import ReviewHolder, cluster_of, plan_codes
from domain.status import AWAITING_APPROVALS, Readiness
from domain.status import ExportStatus as S
from services.context import Context
from store import console, exports, review_work
from store.records import ExportRecord

QUEUE_LIMIT = 500
TOP_CODES = 3
# the holder filter: only mine, only those nobody holds, the leads' queue (escalated reviews)
HolderFilter = Literal["me", "nobody", "leads"]
SortBy = Literal["deadline", "waiting"]


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
    # who holds its review, and whether a reviewer's change request waits for a new plan
    holder: ReviewHolder | None = None
    changes_requested: bool = False

    @property
    def deadline(self) -> datetime | None:
        """The review deadline of the plan (ENTRYGO_REVIEW_DEADLINE_SECONDS after planning)."""
        policy = self.export.approval.policy
        return policy.review_deadline if policy is not None else None

    @property
    def escalated(self) -> bool:
        """The review outlasted the escalation chain: it is in the leads' queue."""
        policy = self.export.approval.policy
        return policy is not None and policy.escalated

    @property
    def overdue(self) -> bool:
        """The workflow recorded REVIEW_OVERDUE for this plan."""
        policy = self.export.approval.policy
        return policy is not None and policy.overdue

    @property
    def cluster(self) -> str:
        """The plans decided together with this one: the same codes under the same rule pack."""
        return cluster_of(self.export.plan)

    @property
    def all_codes(self) -> list[str]:
        """Every code of the plan (reason codes, flags, messages)."""
        return plan_codes(self.export.plan)

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
class Cluster:
    """Plans awaiting review with the same codes under the same rule pack."""

    key: str
    ruleset_version: str
    codes: list[str]
    count: int


@dataclass(frozen=True)
class QueueQuery:
    """What the queue page asks for: its filters (each a GET parameter) and its order."""

    warehouse_id: str | None = None
    broker_id: str | None = None
    reason_code: str | None = None
    holder: HolderFilter | None = None
    cluster: str | None = None
    sort: SortBy = "deadline"


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
    clusters: list[Cluster] = field(default_factory=list)


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


def _by_deadline(item: QueueItem) -> tuple[bool, datetime, datetime, str]:
    """The nearest review deadline first; exports without one after, the oldest first."""
    deadline = item.deadline
    return (deadline is None, deadline or item.waiting_since, item.waiting_since, item.export.id)


def _by_waiting(item: QueueItem) -> tuple[datetime, str]:
    return (item.waiting_since, item.export.id)


def _clusters(items: list[QueueItem]) -> list[Cluster]:
    """The clusters of the exports awaiting review, the largest first."""
    counts = Counter(i.cluster for i in items)
    first = {i.cluster: i for i in reversed(items)}
    return [
        Cluster(
            key=key,
            ruleset_version=first[key].export.plan.ruleset_version,
            codes=first[key].all_codes,
            count=n,
        )
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


async def queues(ctx: Context, query: QueueQuery | None = None) -> Queues:
    """Exports awaiting review (PLANNED or AWAITING_APPROVAL with readiness REVIEW_REQUIRED and
    an approval still awaited), the nearest review deadline first (or waiting longest first), and exports in
    ATTENTION_REQUIRED or waiting for an answer to the broker, waiting longest first."""
    q = query or QueueQuery()
    account_id = ctx.account_id
    async with ctx.connect() as conn:
        now = await exports.database_now(conn)
        names = await console.account_names(conn, account_id)
        found = {
            section: await console.exports_in(
                conn,
                account_id,
                statuses,
                readiness=readiness,
                warehouse_id=None,
                broker_id=None,
                limit=QUEUE_LIMIT,
            )
            for section, statuses, readiness in (
                ("review", [S.PLANNED.value, S.AWAITING_APPROVAL.value], Readiness.REVIEW_REQUIRED),
                ("failing", [S.ATTENTION_REQUIRED.value], None),
                ("asked", [S.BROKER_ACTION_REQUIRED.value], None),
            )
        }
        ids = [e.id for rows in found.values() for e in rows]
        holders = await review_work.holders_of(conn, account_id, ids)
        changing = await review_work.with_open_change_requests(conn, ids)

    def held(item: QueueItem) -> QueueItem:
        export_id = item.export.id
        return replace(item, holder=holders.get(export_id), changes_requested=export_id in changing)

    # an approved plan that waits only for its execution request awaits nobody's review
    awaiting = [
        held(_item(e, now, _parse_time(e.plan.planned_at, e.created_at)))
        for e in found["review"]
        if e.approval.state in AWAITING_APPROVALS
    ]
    attention = [
        held(_item(e, now, e.attention.at if e.attention else e.updated_at))
        for e in found["failing"]
    ]
    broker = [held(_asked(e, now, e.broker_side)) for e in found["asked"]]
    everything = awaiting + attention + broker

    def wanted(item: QueueItem) -> bool:
        holder = item.holder
        return (
            (q.warehouse_id is None or item.export.warehouse_id == q.warehouse_id)
            and (q.broker_id is None or item.export.broker_id == q.broker_id)
            and (q.reason_code is None or q.reason_code in item.codes)
            and (q.holder != "me" or (holder is not None and holder.actor == ctx.actor))
            and (q.holder != "nobody" or holder is None)
            and (q.holder != "leads" or item.escalated)
            and (q.cluster is None or item.cluster == q.cluster)
        )

    order = _by_deadline if q.sort == "deadline" else _by_waiting
    return Queues(
        awaiting=sorted(filter(wanted, awaiting), key=order),
        attention=sorted(filter(wanted, attention), key=_by_waiting),
        broker=sorted(filter(wanted, broker), key=_by_waiting),
        warehouses=sorted({i.export.warehouse_id for i in everything}),
        brokers=sorted({i.export.broker_id for i in everything}),
        reason_codes=sorted({c for i in everything for c in i.codes}),
        names=names,
        clusters=_clusters(awaiting),
    )
