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


def _party_address(address: dict[str, Any]) -> str:
    parts = [
        address.get("line1"),
        address.get("line2"),
        address.get("city"),
        address.get("region"),
        address.get("postalCode"),
    ]
    return ", ".join(p for p in parts if p)


def _manufacturer(value: dict[str, Any] | None) -> Party | None:
    if not value:
        return None
    address = ", ".join(
        p for p in (value.get("address"), value.get("city"), value.get("region")) if p
    )
    return Party(name=value["name"], address=address, country=value.get("country"))


def package_data(
    plan: dict[str, Any],
    source: PackageSource,
    *,
    export_id: str,
    destination_country: str,
    package_number: str,
    package_id: str,
) -> CustomsPackageData:
    """Everything the documents of a package render, for the plan's included orders."""
    included: list[str] = plan["included_order_ids"]
    hints: dict[str, str] = plan.get("strategyHint", {}).get("entryTypeHints", {})
    by_order: dict[str, list[InvoiceLine]] = {i: [] for i in included}
    for n, line in enumerate(source.lines, start=1):
        by_order[line.order_id].append(_invoice_line(n, source.orders[line.order_id], line))
    address = source.warehouse.address
    broker = source.broker
    return CustomsPackageData(
        packageNumber=package_number,
        customsPackageId=package_id,
        exportId=export_id,
        planHash=plan["planHash"],
        rulesetVersion=plan["rulesetVersion"],
        issuedAt=datetime.fromisoformat(plan["plannedAt"].replace("Z", "+00:00")),
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
        destinationCountry=destination_country,
        strategyCode=plan.get("strategyHint", {}).get("code", "NONE"),
        orders=[_package_order(source.orders[o], hints.get(o), by_order[o]) for o in included],
        flags=[PackageFlag(**f) for f in plan.get("flags", [])],
        warnings=broker_warnings(plan),
    )


def _invoice_line(n: int, order: OrderSource, line: LineSource) -> InvoiceLine:
    unit = line.unit_value_usd or Decimal(0)
    return InvoiceLine(
        lineNo=n,
        orderId=order.id,
        orderExternalId=order.external_id,
        productId=line.product_id,
        sku=line.sku,
        description=line.description or "",
        quantity=line.quantity,
        unitValueUsd=unit,
        lineValueUsd=line.line_value_usd or unit * line.quantity,
        hsCode=line.hs_code,
        countryOfOrigin=line.country_of_origin,
        manufacturer=_manufacturer(line.manufacturer),
        weightKg=line.weight_kg,
    )


def _package_order(
    order: OrderSource, entry_type: str | None, lines: list[InvoiceLine]
) -> PackageOrder:
    consignee = order.consignee
    return PackageOrder(
        orderId=order.id,
        orderExternalId=order.external_id,
        consignee=Party(
            name=consignee["name"], address=consignee["address"], country=order.destination_country
        )
        if consignee
        else None,
        destinationCountry=order.destination_country,
        destinationRegion=order.destination_region,
        destinationPostalCode=order.destination_postal_code,
        entryType=entry_type,
        lines=lines,
    )


def broker_warnings(plan: dict[str, Any]) -> list[PackageWarning]:
    """The plan's WARNING messages that concern the package: plan-wide or on an included order."""
    included = set(plan["included_order_ids"])
    return [
        PackageWarning(
            code=m["code"],
            message=m["message"],
            orderId=m.get("orderId"),
            productId=m.get("productId"),
            field=m.get("field"),
        )
        for m in plan.get("validationMessages", [])
        if m["severity"] == "WARNING" and (m.get("orderId") is None or m["orderId"] in included)
    ]
