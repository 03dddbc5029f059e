"""planHash (CONTRACT §9.2): SHA-256 of the canonical JSON of what the decision depends on."""

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from domain.canonical import canonical_json
from domain.planning_models import (
    LineSnapshot,
    OrderSnapshot,
    PlanningSnapshot,
    ProductSnapshot,
)
from domain.rulepack import RulePack
from domain.rules import (
    broker_has_usable_address,
    consignee_details_missing,
    consignee_key,
    stale_measures,
)
from domain.rules_data import (
    FIBER_COMPOSITION,
    METAL_ORIGIN,
    effective_unit_value,
    has_attribute,
    has_manufacturer,
    product_for,
)


def plan_hash(snapshot: PlanningSnapshot, pack: RulePack, *, plan_date: date | None = None) -> str:
    """`sha256:<hex>` of the planning input; `plan_date` counts only as which measures are stale."""
    digest = hashlib.sha256(canonical_json(hash_input(snapshot, pack, plan_date)))
    return f"sha256:{digest.hexdigest()}"


def hash_input(snapshot: PlanningSnapshot, pack: RulePack, plan_date: date | None) -> Any:
    """The JSON value planHash is taken over (exposed so a mismatch can be diagnosed)."""
    requested = sorted(set(snapshot.requestedOrderIds))
    broker = snapshot.broker
    attributes = sorted(
        {FIBER_COMPOSITION, METAL_ORIGIN}
        | {e.missingAttribute for e in pack.measures.pgaMap.entries if e.missingAttribute}
    )
    return {
        "destinationCountry": snapshot.destinationCountry,
        "warehouse": {
            "country": snapshot.warehouse.country,
            "shipmentMode": snapshot.warehouse.shipmentMode,
        },
        "broker": {
            "transportType": broker.transportType,
            "hasUsableAddress": broker_has_usable_address(broker),
            "classifiesGoods": broker.classifiesGoods,
            "supportedDestinations": sorted(set(broker.supportedDestinations)),
        },
        "requestedOrderIds": requested,
        "orders": {
            order_id: _order(snapshot.orders[order_id], snapshot, attributes)
            for order_id in requested
            if order_id in snapshot.orders
        },
        "rulePack": {"version": pack.version, "contentHash": pack.content_hash},
        "staleMeasures": [] if plan_date is None else stale_measures(pack, plan_date),
    }


def _order(order: OrderSnapshot, snapshot: PlanningSnapshot, attributes: list[str]) -> Any:
    lines = [_line(line, product_for(line, snapshot), attributes) for line in order.items]
    value: dict[str, Any] = {
        "destinationCountry": order.destinationCountry,
        "destinationRegion": order.destinationRegion,
        "destinationPostalCode": order.destinationPostalCode,
        # presence and the normalized address (E-004 groups by it); never the name itself
        "consignee": consignee_key(order),
        # the outcome does not depend on line order, so neither does the hash; a line's product
        # content follows from its productId, so these three fields order the lines fully
        "lines": sorted(
            lines, key=lambda x: (x["productId"], x["quantity"], x["unitValueUsd"] or "")
        ),
    }
    if order.consignee is not None and "consignee.name" in consignee_details_missing(order):
        # O-004 warns on a blank name; only then is the key present, so the hash of every plan
        # whose consignee has a name stays what it was before O-004 existed
        value["consigneeNameMissing"] = True
    return value


def _line(line: LineSnapshot, product: ProductSnapshot, attributes: list[str]) -> Any:
    return {
        "productId": line.productId,
        "quantity": line.quantity,
        "unitValueUsd": _decimal(effective_unit_value(line, product)),
        "product": {
            "description": product.description,
            "hsCode": product.hsCode,
            "countryOfOrigin": product.countryOfOrigin,
            "weightKg": _decimal(product.weightKg),
            "manufacturer": _manufacturer(product),
            "attributes": {key: has_attribute(product, key) for key in attributes},
        },
    }


def _manufacturer(product: ProductSnapshot) -> Any:
    maker = product.manufacturer
    if maker is None:
        return None
    # the name matters only as present or not; location feeds the region sanctions rules
    return {
        "complete": has_manufacturer(product),
        "address": maker.address,
        "city": maker.city,
        "region": maker.region,
    }


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value == 0:
        return "0"  # 0.00 and -0 are the same amount
    # normalize so 12.5 and 12.50 hash alike; "f" keeps 100 from becoming 1E+2
    return format(value.normalize(), "f")
