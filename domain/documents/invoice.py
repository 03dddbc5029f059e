"""The structured commercial invoice: one model every invoice form (HTML, CSV, JSON, PDF) lays out.

Values are already formatted here (money as 2-decimal strings, weights as 3-decimal strings), and
totals are the sums of the rounded line figures, so every form shows the same numbers.
"""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

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


class InvoiceTotals(BaseModel):
    """Totals over a set of lines; `linesWithoutWeight` says how complete `weightKg` is."""

    orders: int
    lines: int
    quantity: int
    valueUsd: str
    weightKg: str
    linesWithoutWeight: int


class InvoiceItem(BaseModel):
    """One invoice line, formatted; `flagCodes` are the plan flags that concern it."""

    lineNo: int
    orderId: str
    orderExternalId: str
    productId: str
    sku: str
    description: str
    quantity: int
    unitValueUsd: str
    lineValueUsd: str
    hsCode: str | None
    countryOfOrigin: str | None
    manufacturer: Party | None
    unitWeightKg: str | None
    lineWeightKg: str | None
    flagCodes: list[str]


class InvoiceOrder(BaseModel):
    """One order on the invoice: consignee, destination, lines and their totals."""

    orderId: str
    orderExternalId: str
    consignee: ConsigneeBlock
    destinationCountry: str
    destinationRegion: str | None
    destinationPostalCode: str | None
    entryType: str | None
    lines: list[InvoiceItem]
    totals: InvoiceTotals


class CommercialInvoice(BaseModel):
    """The whole invoice of one customs package (19 CFR 141.86 elements the data holds)."""

    documentType: Literal["COMMERCIAL_INVOICE"] = "COMMERCIAL_INVOICE"
    packageNumber: str
    customsPackageId: str
    exportId: str
    planHash: str
    rulesetVersion: str
    invoiceDate: str
    currency: Literal["USD"]
    destinationCountry: str
    portOfEntry: str | None
    strategyCode: str
    exporter: Party
    broker: Party
    flags: list[PackageFlag]
    warnings: list[PackageWarning]
    orders: list[InvoiceOrder]
    totals: InvoiceTotals


def flag_applies(flag: PackageFlag, order_id: str, product_id: str) -> bool:
    """A flag concerns a line when the line matches every id list the flag names."""
    order_ok = not flag.orderIds or order_id in flag.orderIds
    product_ok = not flag.productIds or product_id in flag.productIds
    return order_ok and product_ok


def line_value(line: InvoiceLine) -> Decimal:
    """The line value as the invoice shows it (cents)."""
    return round_usd(line.lineValueUsd)


def line_weight(line: InvoiceLine) -> Decimal | None:
    """Quantity times unit weight, in grams precision; None when the unit weight is unknown."""
    if line.weightKg is None:
        return None
    return round_kg(line.weightKg * line.quantity)


def totals_of(lines: list[InvoiceLine], orders: int) -> InvoiceTotals:
    """Sum of the rounded line values and weights, so the totals match the printed lines."""
    weights = [line_weight(line) for line in lines]
    return InvoiceTotals(
        orders=orders,
        lines=len(lines),
        quantity=sum(line.quantity for line in lines),
        valueUsd=format_usd(sum((line_value(line) for line in lines), Decimal(0))),
        weightKg=format_kg(sum((w for w in weights if w is not None), Decimal(0))),
        linesWithoutWeight=sum(1 for w in weights if w is None),
    )


def _item(line: InvoiceLine, flags: list[PackageFlag]) -> InvoiceItem:
    weight = line_weight(line)
    codes: list[str] = []
    for flag in flags:
        if flag_applies(flag, line.orderId, line.productId) and flag.code not in codes:
            codes.append(flag.code)
    return InvoiceItem(
        lineNo=line.lineNo,
        orderId=line.orderId,
        orderExternalId=line.orderExternalId,
        productId=line.productId,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        unitValueUsd=format_usd(line.unitValueUsd),
        lineValueUsd=format_usd(line_value(line)),
        hsCode=line.hsCode,
        countryOfOrigin=line.countryOfOrigin,
        manufacturer=line.manufacturer,
        unitWeightKg=None if line.weightKg is None else format_kg(line.weightKg),
        lineWeightKg=None if weight is None else format_kg(weight),
        flagCodes=codes,
    )


def _order(order: PackageOrder, flags: list[PackageFlag]) -> InvoiceOrder:
    return InvoiceOrder(
        orderId=order.orderId,
        orderExternalId=order.orderExternalId,
        consignee=consignee_block(order),
        destinationCountry=order.destinationCountry,
        destinationRegion=order.destinationRegion,
        destinationPostalCode=order.destinationPostalCode,
        entryType=order.entryType,
        lines=[_item(line, flags) for line in order.lines],
        totals=totals_of(order.lines, orders=1),
    )


def build_invoice(data: CustomsPackageData) -> CommercialInvoice:
    """The structured invoice of a package; orders and lines keep the plan's order."""
    all_lines = [line for order in data.orders for line in order.lines]
    return CommercialInvoice(
        packageNumber=data.packageNumber,
        customsPackageId=data.customsPackageId,
        exportId=data.exportId,
        planHash=data.planHash,
        rulesetVersion=data.rulesetVersion,
        invoiceDate=format_instant(data.issuedAt),
        currency=data.currency,
        destinationCountry=data.destinationCountry,
        portOfEntry=data.portOfEntry,
        strategyCode=data.strategyCode,
        exporter=data.exporter,
        broker=data.broker,
        flags=data.flags,
        warnings=data.warnings,
        orders=[_order(order, data.flags) for order in data.orders],
        totals=totals_of(all_lines, orders=len(data.orders)),
    )
