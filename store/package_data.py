"""Assemble what a customs package's documents show, from the plan and the current rows."""

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


async def load_package_data(conn: Any, export: Any, package: Any) -> CustomsPackageData:
    """Everything the documents of this package render (deterministic for the same plan)."""
    plan = export["plan"]
    included: list[str] = plan["included_order_ids"]
    hints: dict[str, str] = plan.get("strategyHint", {}).get("entryTypeHints", {})
    warehouse = await conn.fetchrow(
        "SELECT * FROM warehouses WHERE id = $1", export["warehouse_id"]
    )
    broker = await conn.fetchrow("SELECT * FROM brokers WHERE id = $1", export["broker_id"])
    orders = {
        r["id"]: r
        for r in await conn.fetch("SELECT * FROM orders WHERE id = any($1::text[])", included)
    }
    lines = await conn.fetch(
        """SELECT l.*, p.external_id AS sku, p.description, p.hs_code, p.country_of_origin,
                  p.weight_kg, p.manufacturer
           FROM order_lines l JOIN products p ON p.id = l.product_id
           WHERE l.order_id = any($1::text[]) ORDER BY l.order_id, l.line_no""",
        included,
    )
    by_order: dict[str, list[InvoiceLine]] = {i: [] for i in included}
    for n, line in enumerate(lines, start=1):
        order = orders[line["order_id"]]
        unit = line["unit_value_usd"] or Decimal(0)
        by_order[line["order_id"]].append(
            InvoiceLine(
                lineNo=n,
                orderId=order["id"],
                orderExternalId=order["external_id"],
                productId=line["product_id"],
                sku=line["sku"],
                description=line["description"] or "",
                quantity=line["quantity"],
                unitValueUsd=unit,
                lineValueUsd=line["line_value_usd"] or unit * line["quantity"],
                hsCode=line["hs_code"],
                countryOfOrigin=line["country_of_origin"],
                manufacturer=_manufacturer(line["manufacturer"]),
                weightKg=line["weight_kg"],
            )
        )
    package_orders = []
    for order_id in included:
        order = orders[order_id]
        consignee = order["consignee"]
        package_orders.append(
            PackageOrder(
                orderId=order_id,
                orderExternalId=order["external_id"],
                consignee=Party(
                    name=consignee["name"],
                    address=consignee["address"],
                    country=order["destination_country"],
                )
                if consignee
                else None,
                destinationCountry=order["destination_country"],
                destinationRegion=order["destination_region"],
                destinationPostalCode=order["destination_postal_code"],
                entryType=hints.get(order_id),
                lines=by_order[order_id],
            )
        )
    address = warehouse["address"]
    return CustomsPackageData(
        packageNumber=package["package_number"],
        customsPackageId=package["id"],
        exportId=export["id"],
        planHash=package["plan_hash"],
        rulesetVersion=plan["rulesetVersion"],
        issuedAt=datetime.fromisoformat(plan["plannedAt"].replace("Z", "+00:00")),
        exporter=Party(
            name=warehouse["name"], address=_party_address(address), country=address["country"]
        ),
        broker=Party(
            name=broker["name"],
            address=broker["recipient_email"] or broker["webhook_url"] or "",
            identifier=broker["filer_code"],
        ),
        destinationCountry=export["destination_country"],
        strategyCode=plan.get("strategyHint", {}).get("code", "NONE"),
        orders=package_orders,
        flags=[PackageFlag(**f) for f in plan.get("flags", [])],
        warnings=broker_warnings(plan),
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
