"""Builders for planning snapshots: one clean, READY baseline and small changes to it."""

from datetime import date
from decimal import Decimal
from typing import Any

from domain.planning.models import (
    BrokerSnapshot,
    Consignee,
    LineSnapshot,
    Manufacturer,
    OrderSnapshot,
    PlanningSnapshot,
    PlanOutcome,
    ProductSnapshot,
    ValidationMessage,
    WarehouseSnapshot,
)
from domain.planning.planner import plan
from domain.rulepack.model import RulePack, load_rule_pack

PACK = load_rule_pack()
PLAN_DATE = date(2026, 11, 26)
MAKER = Manufacturer(
    name="Ceramica Norte Lda", address="Rua das Flores 12", city="Aveiro", country="PT"
)


def product(product_id: str = "prod_mug", **changes: Any) -> ProductSnapshot:
    """A product no rule objects to (Portuguese stoneware mug), with `changes` applied."""
    fields: dict[str, Any] = {
        "id": product_id,
        "externalId": f"SKU-{product_id}",
        "description": "Glazed stoneware coffee mug, 350 ml",
        "hsCode": "6912.00.4810",
        "countryOfOrigin": "PT",
        "unitValueUsd": Decimal("15.00"),
        "weightKg": Decimal("0.400"),
        "manufacturer": MAKER,
        "attributes": {},
    }
    fields.update(changes)
    return ProductSnapshot(**fields)


def order(
    order_id: str = "ord_1",
    *,
    lines: list[tuple[str, int]] | None = None,
    line_value: Decimal | None = None,
    **changes: Any,
) -> OrderSnapshot:
    """A complete US order; `lines` are (productId, quantity), `line_value` overrides the price."""
    items = [
        LineSnapshot(productId=pid, quantity=qty, unitValueUsd=line_value)
        for pid, qty in (lines or [("prod_mug", 2)])
    ]
    fields: dict[str, Any] = {
        "id": order_id,
        "externalId": f"EXT-{order_id}",
        "destinationCountry": "US",
        "destinationRegion": "NY",
        "destinationPostalCode": "10001",
        "consignee": Consignee(name="Jane Doe", address=f"{order_id} Main Street"),
        "items": items,
    }
    fields.update(changes)
    return OrderSnapshot(**fields)


def broker(**changes: Any) -> BrokerSnapshot:
    """An email broker serving the US that does not classify goods."""
    fields: dict[str, Any] = {
        "id": "br_1",
        "transportType": "email",
        "recipientEmail": "entries@broker.example",
        "url": None,
        "classifiesGoods": False,
        "supportedDestinations": ["US"],
    }
    fields.update(changes)
    return BrokerSnapshot(**fields)


def snapshot(
    *,
    orders: list[OrderSnapshot] | None = None,
    products: list[ProductSnapshot] | None = None,
    requested: list[str] | None = None,
    mode: str = "PARCEL_DTC",
    **changes: Any,
) -> PlanningSnapshot:
    """A plan request over `orders` (default: one baseline order of the baseline mug)."""
    orders = orders if orders is not None else [order()]
    products = products if products is not None else [product()]
    fields: dict[str, Any] = {
        "destinationCountry": "US",
        "warehouse": WarehouseSnapshot(id="wh_1", country="PT", shipmentMode=mode),
        "broker": broker(),
        "requestedOrderIds": requested if requested is not None else [o.id for o in orders],
        "orders": {o.id: o for o in orders},
        "products": {p.id: p for p in products},
    }
    fields.update(changes)
    return PlanningSnapshot(**fields)


def with_product(**changes: Any) -> PlanningSnapshot:
    """The baseline plan with the mug changed."""
    return snapshot(products=[product(**changes)])


def with_order(**changes: Any) -> PlanningSnapshot:
    """The baseline plan with the order changed."""
    return snapshot(orders=[order(**changes)])


def pack_with(changes: dict[str, Any]) -> RulePack:
    """The default pack with dotted paths (`measures.de_minimis.enabled`) replaced."""
    data = PACK.model_dump()
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    return RulePack.model_validate(data)


def run(snap: PlanningSnapshot, pack: RulePack = PACK, plan_date: date = PLAN_DATE) -> PlanOutcome:
    """Plan with the default pack and date."""
    return plan(snap, pack, plan_date)


def messages_of(outcome: PlanOutcome, rule_id: str) -> list[ValidationMessage]:
    """The messages a rule produced."""
    return [m for m in outcome.validation_messages if m.rule_id == rule_id]
