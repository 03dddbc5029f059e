"""The structured commercial invoice: one model every invoice form (HTML, CSV, JSON, PDF) lays out.

Values are already formatted here (money as 2-decimal strings, weights as 3-decimal strings), and
totals are the sums of the rounded line figures, so every form shows the same numbers.
"""

from decimal import Decimal
from typing import Literal

from domain.documents.consignee import ConsigneeBlock, consignee_block
from domain.documents.formatting import format_instant, format_kg, format_usd
from domain.documents.models import (
    CustomsPackageData,
    InvoiceLine,
    PackageFlag,
    PackageOrder,
    PackageWarning,
    Party,
)
from domain.money import round_kg, round_usd
from domain.wire import WireModel


class InvoiceTotals(WireModel):
    """Totals over a set of lines; `linesWithoutWeight` says how complete `weightKg` is."""

    orders: int
    lines: int
    quantity: int
    value_usd: str
    weight_kg: str
    lines_without_weight: int


class InvoiceItem(WireModel):
    """One invoice line, formatted; `flagCodes` are the plan flags that concern it."""

    line_no: int
    order_id: str
    order_external_id: str
    product_id: str
    sku: str
    description: str
    quantity: int
    unit_value_usd: str
    line_value_usd: str
    hs_code: str | None
    country_of_origin: str | None
    manufacturer: Party | None
    unit_weight_kg: str | None
    line_weight_kg: str | None
    flag_codes: list[str]


class InvoiceOrder(WireModel):
    """One order on the invoice: consignee, destination, lines and their totals."""

    order_id: str
    order_external_id: str
    consignee: ConsigneeBlock
    destination_country: str
    destination_region: str | None
    destination_postal_code: str | None
    entry_type: str | None
    lines: list[InvoiceItem]
    totals: InvoiceTotals


class CommercialInvoice(WireModel):
    """The whole invoice of one customs package (19 CFR 141.86 elements the data holds)."""

    document_type: Literal["COMMERCIAL_INVOICE"] = "COMMERCIAL_INVOICE"
    package_number: str
    customs_package_id: str
    export_id: str
    plan_hash: str
    ruleset_version: str
    invoice_date: str
    currency: Literal["USD"]
    destination_country: str
    port_of_entry: str | None
    strategy_code: str
    exporter: Party
    broker: Party
    flags: list[PackageFlag]
    warnings: list[PackageWarning]
    orders: list[InvoiceOrder]
    totals: InvoiceTotals


def flag_applies(flag: PackageFlag, order_id: str, product_id: str) -> bool:
    """A flag concerns a line when the line matches every id list the flag names."""
    order_ok = not flag.order_ids or order_id in flag.order_ids
    product_ok = not flag.product_ids or product_id in flag.product_ids
    return order_ok and product_ok


def line_value(line: InvoiceLine) -> Decimal:
    """The line value as the invoice shows it (cents)."""
    return round_usd(line.line_value_usd)


def line_weight(line: InvoiceLine) -> Decimal | None:
    """Quantity times unit weight, in grams precision; None when the unit weight is unknown."""
    if line.weight_kg is None:
        return None
    return round_kg(line.weight_kg * line.quantity)


def totals_of(lines: list[InvoiceLine], orders: int) -> InvoiceTotals:
    """Sum of the rounded line values and weights, so the totals match the printed lines."""
    weights = [line_weight(line) for line in lines]
    return InvoiceTotals(
        orders=orders,
        lines=len(lines),
        quantity=sum(line.quantity for line in lines),
        value_usd=format_usd(sum((line_value(line) for line in lines), Decimal(0))),
        weight_kg=format_kg(sum((w for w in weights if w is not None), Decimal(0))),
        lines_without_weight=sum(1 for w in weights if w is None),
    )


def _item(line: InvoiceLine, flags: list[PackageFlag]) -> InvoiceItem:
    weight = line_weight(line)
    codes: list[str] = []
    for flag in flags:
        if flag_applies(flag, line.order_id, line.product_id) and flag.code not in codes:
            codes.append(flag.code)
    return InvoiceItem(
        line_no=line.line_no,
        order_id=line.order_id,
        order_external_id=line.order_external_id,
        product_id=line.product_id,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        unit_value_usd=format_usd(line.unit_value_usd),
        line_value_usd=format_usd(line_value(line)),
        hs_code=line.hs_code,
        country_of_origin=line.country_of_origin,
        manufacturer=line.manufacturer,
        unit_weight_kg=None if line.weight_kg is None else format_kg(line.weight_kg),
        line_weight_kg=None if weight is None else format_kg(weight),
        flag_codes=codes,
    )


def _order(order: PackageOrder, flags: list[PackageFlag]) -> InvoiceOrder:
    return InvoiceOrder(
        order_id=order.order_id,
        order_external_id=order.order_external_id,
        consignee=consignee_block(order),
        destination_country=order.destination_country,
        destination_region=order.destination_region,
        destination_postal_code=order.destination_postal_code,
        entry_type=order.entry_type,
        lines=[_item(line, flags) for line in order.lines],
        totals=totals_of(order.lines, orders=1),
    )


def build_invoice(data: CustomsPackageData) -> CommercialInvoice:
    """The structured invoice of a package; orders and lines keep the plan's order."""
    all_lines = [line for order in data.orders for line in order.lines]
    return CommercialInvoice(
        package_number=data.package_number,
        customs_package_id=data.customs_package_id,
        export_id=data.export_id,
        plan_hash=data.plan_hash,
        ruleset_version=data.ruleset_version,
        invoice_date=format_instant(data.issued_at),
        currency=data.currency,
        destination_country=data.destination_country,
        port_of_entry=data.port_of_entry,
        strategy_code=data.strategy_code,
        exporter=data.exporter,
        broker=data.broker,
        flags=data.flags,
        warnings=data.warnings,
        orders=[_order(order, data.flags) for order in data.orders],
        totals=totals_of(all_lines, orders=len(data.orders)),
    )
