"""Assemble what a customs package's documents show from the plan and its sources (pure:
the same plan and sources give the same documents)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.documents.models import (
    CustomsPackageData,
    InvoiceLine,
    PackageFlag,
    PackageOrder,
    PackageWarning,
    Party,
)
from domain.documents.sources import LineSource, OrderSource, PackageSource
from domain.planning.document import PlanDocument
from domain.planning.models import PlanOutcome


def _party_address(address: dict[str, Any]) -> str:
    parts = [
        address.get("line1"),
        address.get("line2"),
        address.get("city"),
        address.get("region"),
        address.get("postalCode"),
    ]
    return ", ".join(p for p in parts if p)


def _manufacturer(value: dict[str, Any] | None, mid: str | None) -> Party | None:
    if not value:
        return None
    address = ", ".join(
        p for p in (value.get("address"), value.get("city"), value.get("region")) if p
    )
    # the manufacturer identification code the plan built for the line (us-2027.01 on)
    return Party(name=value["name"], address=address, country=value.get("country"), identifier=mid)


def _planned_mids(plan: PlanDocument) -> dict[tuple[str, str], str]:
    """(order id, product id) → the MID the plan shows on that line."""
    return {
        (decision.order_id, line.product_id): line.manufacturer_id
        for decision in plan.decisions
        for line in decision.lines or []
        if line.manufacturer_id is not None
    }


def package_data(
    plan: PlanDocument,
    source: PackageSource,
    *,
    export_id: str,
    destination_country: str,
    package_number: str,
    package_id: str,
) -> CustomsPackageData:
    """Everything the documents of a package render, for the plan's included orders."""
    included = plan.included_order_ids
    hints = plan.strategy_hint.entry_type_hints
    by_order: dict[str, list[InvoiceLine]] = {i: [] for i in included}
    mids = _planned_mids(plan)
    for n, line in enumerate(source.lines, start=1):
        mid = mids.get((line.order_id, line.product_id))
        by_order[line.order_id].append(_invoice_line(n, source.orders[line.order_id], line, mid))
    address = source.warehouse.address
    broker = source.broker
    return CustomsPackageData(
        package_number=package_number,
        customs_package_id=package_id,
        export_id=export_id,
        plan_hash=plan.plan_hash,
        ruleset_version=plan.ruleset_version,
        issued_at=datetime.fromisoformat(plan.planned_at.replace("Z", "+00:00")),
        exporter=Party(
            name=source.warehouse.name,
            address=_party_address(address),
            country=address["country"],
        ),
        broker=Party(
            name=broker.name,
            address=broker.recipient_email or broker.webhook_url or "",
            identifier=broker.filer_code,
        ),
        destination_country=destination_country,
        strategy_code=plan.strategy_hint.code,
        orders=[_package_order(source.orders[o], hints.get(o), by_order[o]) for o in included],
        flags=[
            PackageFlag(
                code=f.code, message=f.message, order_ids=f.order_ids, product_ids=f.product_ids
            )
            for f in plan.flags
        ],
        warnings=broker_warnings(plan),
    )


def _invoice_line(n: int, order: OrderSource, line: LineSource, mid: str | None) -> InvoiceLine:
    unit = line.unit_value_usd or Decimal(0)
    return InvoiceLine(
        line_no=n,
        order_id=order.id,
        order_external_id=order.external_id,
        product_id=line.product_id,
        sku=line.sku,
        description=line.description or "",
        quantity=line.quantity,
        unit_value_usd=unit,
        line_value_usd=line.line_value_usd or unit * line.quantity,
        hs_code=line.hs_code,
        country_of_origin=line.country_of_origin,
        manufacturer=_manufacturer(line.manufacturer, mid),
        weight_kg=line.weight_kg,
    )


def _package_order(
    order: OrderSource, entry_type: str | None, lines: list[InvoiceLine]
) -> PackageOrder:
    consignee = order.consignee
    return PackageOrder(
        order_id=order.id,
        order_external_id=order.external_id,
        consignee=Party(
            name=consignee["name"], address=consignee["address"], country=order.destination_country
        )
        if consignee
        else None,
        destination_country=order.destination_country,
        destination_region=order.destination_region,
        destination_postal_code=order.destination_postal_code,
        entry_type=entry_type,
        lines=lines,
    )


def broker_warnings(plan: PlanOutcome) -> list[PackageWarning]:
    """The plan's WARNING messages that concern the package: plan-wide or on an included order."""
    included = set(plan.included_order_ids)
    return [
        PackageWarning(
            code=m.code,
            message=m.message,
            order_id=m.order_id,
            product_id=m.product_id,
            field=m.field,
        )
        for m in plan.validation_messages
        if m.severity == "WARNING" and (m.order_id is None or m.order_id in included)
    ]
