"""`packing_list`: what each order holds, with quantities and unit and total weights."""

from decimal import Decimal
from typing import Literal

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
from domain.wire import WireModel

ARTIFACT_TYPE = "packing_list"
FILENAME = "packing_list.json"
CONTENT_TYPE = "application/json"


class PackedItem(WireModel):
    """One line of an order; weights are 3-decimal strings, null when unknown."""

    line_no: int
    product_id: str
    sku: str
    description: str
    quantity: int
    unit_weight_kg: str | None
    total_weight_kg: str | None


class PackingWeights(WireModel):
    """Quantities and weights summed over a set of lines."""

    lines: int
    quantity: int
    weight_kg: str
    lines_without_weight: int


class PackedOrder(WireModel):
    """One order as packed: who receives it, where it goes, what is inside."""

    order_id: str
    order_external_id: str
    consignee: ConsigneeBlock
    destination_country: str
    destination_region: str | None
    destination_postal_code: str | None
    items: list[PackedItem]
    totals: PackingWeights


class PackingList(WireModel):
    """The packing list of one customs package."""

    document_type: Literal["PACKING_LIST"] = "PACKING_LIST"
    package_number: str
    customs_package_id: str
    export_id: str
    plan_hash: str
    issued_at: str
    exporter: Party
    orders: list[PackedOrder]
    totals: PackingWeights


def _weights(lines: list[InvoiceLine]) -> PackingWeights:
    weights = [line_weight(line) for line in lines]
    return PackingWeights(
        lines=len(lines),
        quantity=sum(line.quantity for line in lines),
        weight_kg=format_kg(sum((w for w in weights if w is not None), Decimal(0))),
        lines_without_weight=sum(1 for w in weights if w is None),
    )


def _item(line: InvoiceLine) -> PackedItem:
    total = line_weight(line)
    return PackedItem(
        line_no=line.line_no,
        product_id=line.product_id,
        sku=line.sku,
        description=line.description,
        quantity=line.quantity,
        unit_weight_kg=None if line.weight_kg is None else format_kg(line.weight_kg),
        total_weight_kg=None if total is None else format_kg(total),
    )


def _order(order: PackageOrder) -> PackedOrder:
    return PackedOrder(
        order_id=order.order_id,
        order_external_id=order.order_external_id,
        consignee=consignee_block(order),
        destination_country=order.destination_country,
        destination_region=order.destination_region,
        destination_postal_code=order.destination_postal_code,
        items=[_item(line) for line in order.lines],
        totals=_weights(order.lines),
    )


def build_packing_list(data: CustomsPackageData) -> PackingList:
    """The packing list model; orders and items keep the plan's order."""
    return PackingList(
        package_number=data.package_number,
        customs_package_id=data.customs_package_id,
        export_id=data.export_id,
        plan_hash=data.plan_hash,
        issued_at=format_instant(data.issued_at),
        exporter=data.exporter,
        orders=[_order(order) for order in data.orders],
        totals=_weights([line for order in data.orders for line in order.lines]),
    )


def render_packing_list(data: CustomsPackageData) -> RenderedArtifact:
    """The packing list as canonical JSON."""
    content = canonical_json(build_packing_list(data).model_dump(mode="json"))
    return RenderedArtifact.of(ARTIFACT_TYPE, FILENAME, CONTENT_TYPE, content)
