"""Everything a reviewer reads about one export: inspect, every requested order with its lines
and findings, and what changed since the last review."""

from dataclasses import dataclass, field
from typing import Literal

from domain.documents.sources import LineSource
from domain.planning.models import Flag, MissingData, PlanOutcome, ValidationMessage
from services.context import Context
from services.exports import guards
from services.exports.reading import view_of
from services.exports.reviews import SinceReview, changes_since_review, record_review
from services.models.exports import ExportView
from store import console, review_work
from store.package_data import load_package_source
from store.reference import get_broker_row
from store.review_work import Reviewer

SEVERITIES = ("ERROR", "WARNING", "INFO")
NOT_SYNCED = "ORDER_NOT_SYNCED"


@dataclass(frozen=True)
class OrderPanel:
    """One requested order as the export page shows it."""

    order_id: str
    external_id: str | None
    decision: str
    reason_codes: list[str]
    entry_type: str | None
    lines: list[LineSource]
    messages: dict[str, list[ValidationMessage]]  # by severity, in SEVERITIES order
    flags: list[Flag]
    missing: list[MissingData]


@dataclass(frozen=True)
class ExportPage:
    """The export page's data."""

    view: ExportView
    orders: list[OrderPanel]
    export_messages: dict[str, list[ValidationMessage]]
    since_review: SinceReview | None
    warehouse_name: str | None = None
    broker_name: str | None = None
    # how the broker takes submissions: an email broker cannot call back, a reviewer records it
    broker_transport: Literal["email", "webhook"] | None = None
    key_labels: dict[str, str] | None = None
    # the account's reviewers, whom a lead may assign the export to
    reviewers: list[Reviewer] = field(default_factory=list)


def by_severity(messages: list[ValidationMessage]) -> dict[str, list[ValidationMessage]]:
    """Messages grouped by severity, ERROR first; empty groups left out."""
    groups = {s: [m for m in messages if m.severity == s] for s in SEVERITIES}
    return {s: found for s, found in groups.items() if found}


def _panels(
    plan: PlanOutcome, lines: list[LineSource], external: dict[str, str]
) -> list[OrderPanel]:
    hints = plan.strategy_hint.entry_type_hints
    panels = []
    for decision in plan.decisions:
        order_id = decision.order_id
        panels.append(
            OrderPanel(
                order_id=order_id,
                external_id=external.get(order_id),
                decision=decision.decision,
                reason_codes=list(decision.reason_codes),
                entry_type=hints.get(order_id),
                lines=[line for line in lines if line.order_id == order_id],
                messages=by_severity(
                    [m for m in plan.validation_messages if m.order_id == order_id]
                ),
                flags=[f for f in plan.flags if order_id in f.order_ids],
                missing=[m for m in plan.missing_data if m.order_id == order_id],
            )
        )
    return panels


async def export_page(ctx: Context, export_id: str, *, seen: bool) -> ExportPage:
    """The export page of the caller's account; `seen` records that the reviewer looked at this
    plan (a live refresh of the page does not)."""
    export = await guards.load(ctx, export_id)
    synced = [d.order_id for d in export.plan.decisions if NOT_SYNCED not in d.reason_codes]
    since = await changes_since_review(ctx, export)
    async with ctx.connect() as conn:
        source = await load_package_source(conn, export.warehouse_id, export.broker_id, synced)
        names = await console.account_names(conn, ctx.account_id)
        broker = await get_broker_row(conn, ctx.account_id, export.broker_id)
        reviewers = await review_work.reviewers(conn, ctx.account_id)
    view = await view_of(ctx, export)
    if seen:
        await record_review(ctx, export, "viewed")
    external = {o.id: o.external_id for o in source.orders.values()}
    return ExportPage(
        view=view,
        orders=_panels(export.plan, source.lines, external),
        export_messages=by_severity([m for m in export.plan.validation_messages if not m.order_id]),
        since_review=since,
        warehouse_name=source.warehouse.name,
        broker_name=source.broker.name,
        broker_transport=broker.transport_type if broker is not None else None,
        key_labels=names.keys,
        reviewers=reviewers,
    )
