"""Everything a reviewer reads about one export: inspect, every requested order with its lines
and findings, and what changed since the last review."""

from dataclasses import dataclass
from typing import Any

from domain.documents.sources import LineSource
from services.context import Runtime
from services.exports import guards
from services.exports.reading import view_of
from services.exports.reviews import SinceReview, changes_since_review, record_review
from store import console
from store.accounts import Principal
from store.package_data import load_package_source

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
    messages: dict[str, list[dict[str, Any]]]  # by severity, in SEVERITIES order
    flags: list[dict[str, Any]]
    missing: list[dict[str, Any]]


@dataclass(frozen=True)
class ExportPage:
    """The export page's data."""

    view: dict[str, Any]
    orders: list[OrderPanel]
    export_messages: dict[str, list[dict[str, Any]]]
    since_review: SinceReview | None
    warehouse_name: str | None = None
    broker_name: str | None = None
    key_labels: dict[str, str] | None = None


def by_severity(messages: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Messages grouped by severity, ERROR first; empty groups left out."""
    groups = {s: [m for m in messages if m.get("severity") == s] for s in SEVERITIES}
    return {s: found for s, found in groups.items() if found}


def _panels(
    plan: dict[str, Any], lines: list[LineSource], external: dict[str, str]
) -> list[OrderPanel]:
    messages = plan.get("validationMessages", [])
    hints = plan.get("strategyHint", {}).get("entryTypeHints", {})
    panels = []
    for decision in plan.get("decisions", []):
        order_id = decision["orderId"]
        panels.append(
            OrderPanel(
                order_id=order_id,
                external_id=external.get(order_id),
                decision=decision["decision"],
                reason_codes=list(decision.get("reasonCodes", [])),
                entry_type=hints.get(order_id),
                lines=[line for line in lines if line.order_id == order_id],
                messages=by_severity([m for m in messages if m.get("orderId") == order_id]),
                flags=[f for f in plan.get("flags", []) if order_id in f.get("orderIds", [])],
                missing=[m for m in plan.get("missing_data", []) if m.get("orderId") == order_id],
            )
        )
    return panels


async def export_page(
    rt: Runtime, principal: Principal, export_id: str, *, seen: bool
) -> ExportPage:
    """The export page of the caller's account; `seen` records that the reviewer looked at this
    plan (a live refresh of the page does not)."""
    export = await guards.load(rt, principal.account_id, export_id)
    synced = [
        d["orderId"]
        for d in export.plan.get("decisions", [])
        if NOT_SYNCED not in d.get("reasonCodes", [])
    ]
    since = await changes_since_review(rt, export)
    async with rt.pool.acquire() as conn:
        source = await load_package_source(conn, export.warehouse_id, export.broker_id, synced)
        names = await console.account_names(conn, principal.account_id)
    view = await view_of(rt, export)
    if seen:
        await record_review(rt, principal, export, "viewed")
    external = {o.id: o.external_id for o in source.orders.values()}
    return ExportPage(
        view=view,
        orders=_panels(export.plan, source.lines, external),
        export_messages=by_severity(
            [m for m in export.plan.get("validationMessages", []) if not m.get("orderId")]
        ),
        since_review=since,
        warehouse_name=source.warehouse.name,
        broker_name=source.broker.name,
        key_labels=names.keys,
    )
