"""`packing_list`: what each order holds, with quantities and unit and total weights."""

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from domain.documents.consignee import ConsigneeBlock, consignee_block
from domain.documents.formatting import canonical_json, format_instant, format_kg
from domain.documents.invoice import line_weight
from domain.documents.models import (
    CustomsPackageData,
    InvoiceLine,
    PackageOrder,
    Party,
    RenderedArtifact,
)

ARTIFACT_TYPE = "packing_list"
FILENAME = "packing_list.json"
CONTENT_TYPE = "application/json"


class PackedItem(BaseModel):
    """One line of an order; weights are 3-decimal strings, null when unknown."""

    lineNo: int
    productId: str
    sku: str
    description: str
    quantity: int
    unitWeightKg: str | None
    totalWeightKg: str | None


class PackingWeights(BaseModel):
    """Quantities and weights summed over a set of lines."""

    lines: int
    quantity: int
    weightKg: str
    linesWithoutWeight: int


class PackedOrder(BaseModel):
    """One order as packed: who receives it, where it goes, what is inside."""

    orderId: str
    orderExternalId: str
    consignee: ConsigneeBlock
    destinationCountry: str
    destinationRegion: str | None
    destinationPostalCode: str | None
    items: list[PackedItem]
    totals: PackingWeights


class PackingList(BaseModel):
    """The packing list of one customs package."""

    documentType: Literal["PACKING_LIST"] = "PACKING_LIST"
    packageNumber: str
    customsPackageId: str
    exportId: str
    planHash: str
    issuedAt: str
    exporter: Party
    orders: list[PackedOrder]
    totals: PackingWeights


def _weights(lines: list[InvoiceLine]) -> PackingWeights:
    weights = [line_weight(line) for line in lines]
    return PackingWeights(
        lines=len(lines),
        quantity=sum(line.quantity for line in lines),
        weightKg=format_kg(sum((w for w in weights if w is not None), Decimal(0))),
        linesWithoutWeight=sum(1 for w in weights if w is None),
    )


def _item(line: InvoiceLine) -> PackedItem:
    total = line_weight(line)
    return PackedItem(
        lineNo=line.lineNo,
        productId=line.productId,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        unitWeightKg=None if line.weightKg is None else format_kg(line.weightKg),
        totalWeightKg=None if total is None else format_kg(total),
    )


def _order(order: PackageOrder) -> PackedOrder:
    return PackedOrder(
        orderId=order.orderId,
        orderExternalId=order.orderExternalId,
        consignee=consignee_block(order),
        destinationCountry=order.destinationCountry,
        destinationRegion=order.destinationRegion,
        destinationPostalCode=order.destinationPostalCode,
        items=[_item(line) for line in order.lines],
        totals=_weights(order.lines),
    )


def build_packing_list(data: CustomsPackageData) -> PackingList:
    """The packing list model; orders and items keep the plan's order."""
    return PackingList(
        packageNumber=data.packageNumber,
        customsPackageId=data.customsPackageId,
        exportId=data.exportId,
        planHash=data.planHash,
        issuedAt=format_instant(data.issuedAt),
        exporter=data.exporter,
        orders=[_order(order) for order in data.orders],
        totals=_weights([line for order in data.orders for line in order.lines]),
    )


def render_packing_list(data: CustomsPackageData) -> RenderedArtifact:
    """The packing list as canonical JSON."""
    content = canonical_json(build_packing_list(data).model_dump(mode="json"))
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
