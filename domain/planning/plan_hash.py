"""planHash (CONTRACT §9.2): SHA-256 of the canonical JSON of what the decision depends on."""

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from domain.canonical import canonical_json
from domain.planning.document import PlanDocument
from domain.planning.models import (
    LineSnapshot,
    OrderSnapshot,
    PlanningSnapshot,
    ProductSnapshot,
)
from domain.planning.rules.goods_controls import CARAT_WEIGHT, THC_MG_PER_CONTAINER
from domain.planning.rules.line_data import (
    FIBER_COMPOSITION,
    METAL_ORIGIN,
    decimal_attribute,
    effective_unit_value,
    has_attribute,
    input_regions,
    product_for,
)
from domain.planning.rules.manufacturer import has_manufacturer, line_manufacturer_id
from domain.planning.rules.orders import (
    broker_has_usable_address,
    consignee_details_missing,
    consignee_key,
    pending_measures,
    stale_measures,
)
from domain.rulepack.model import DATED_RULES_FORMAT, RulePack, load_rule_pack
from domain.terms import name_key


def plan_hash(snapshot: PlanningSnapshot, pack: RulePack, *, plan_date: date | None = None) -> str:
    """`sha256:<hex>` of the planning input; `plan_date` counts only as which measures are stale."""
    digest = hashlib.sha256(canonical_json(hash_input(snapshot, pack, plan_date)))
    return f"sha256:{digest.hexdigest()}"


def data_plan_hash(snapshot: PlanningSnapshot, plan: PlanDocument) -> str:
    """The planHash a stored plan's inputs get from `snapshot`, their data as it is now: with
    the pack and date the plan was made with, so it differs only when the data moved."""
    planned = datetime.fromisoformat(plan.planned_at.replace("Z", "+00:00"))
    pack = load_rule_pack(plan.ruleset_version)
    return plan_hash(snapshot, pack, plan_date=planned.date())


def hash_input(snapshot: PlanningSnapshot, pack: RulePack, plan_date: date | None) -> Any:
    """The JSON value planHash is taken over (exposed so a mismatch can be diagnosed)."""
    requested = sorted(set(snapshot.requested_order_ids))
    attributes = sorted(
        {FIBER_COMPOSITION, METAL_ORIGIN}
        | {e.missing_attribute for e in pack.measures.pga_map.entries if e.missing_attribute}
    )
    facts: dict[str, Any] = {}  # each product's part, the same on every line of it
    value = {
        "destinationCountry": snapshot.destination_country,
        "warehouse": {
            "country": snapshot.warehouse.country,
            "shipmentMode": snapshot.warehouse.shipment_mode,
        },
        "broker": _broker(snapshot, pack),
        "requestedOrderIds": requested,
        "orders": {
            order_id: _order(snapshot.orders[order_id], snapshot, attributes, pack, facts)
            for order_id in requested
            if order_id in snapshot.orders
        },
        "rulePack": {"version": pack.version, "contentHash": pack.content_hash},
        "staleMeasures": [] if plan_date is None else stale_measures(pack, plan_date),
    }
    if (pack.format_version or 1) >= DATED_RULES_FORMAT:
        # measures of such a pack may come into force after the pack (T-011 from 2027-01-01)
        value["pendingMeasures"] = [] if plan_date is None else pending_measures(pack, plan_date)
    if pack.measures.denied_party_screening is not None:
        value["screeningListVersion"] = snapshot.screening_list_version
    return value


def _broker(snapshot: PlanningSnapshot, pack: RulePack) -> Any:
    broker = snapshot.broker
    value = {
        "transportType": broker.transport_type,
        "hasUsableAddress": broker_has_usable_address(broker),
        "classifiesGoods": broker.classifies_goods,
        "supportedDestinations": sorted(set(broker.supported_destinations)),
    }
    # inputs of rules newer packs have enter only under those packs, so the hash of a plan
    # under an older pack stays what it was (E-006 reads the bond)
    if pack.measures.customs_bond is not None:
        value["hasCustomsBond"] = broker.has_customs_bond
    return value


def _order(
    order: OrderSnapshot,
    snapshot: PlanningSnapshot,
    attributes: list[str],
    pack: RulePack,
    facts: dict[str, Any],
) -> Any:
    lines = [_line(line, snapshot, attributes, pack, facts) for line in order.items]
    value: dict[str, Any] = {
        "destinationCountry": order.destination_country,
        "destinationRegion": order.destination_region,
        "destinationPostalCode": order.destination_postal_code,
        # presence and the normalized address (E-004 groups by it); never the name itself
        "consignee": consignee_key(order),
        # the outcome does not depend on line order, so neither does the hash; a line's product
        # content follows from its productId, so these three fields order the lines fully
        "lines": sorted(
            lines, key=lambda x: (x["productId"], x["quantity"], x["unitValueUsd"] or "")
        ),
    }
    if order.consignee is not None and pack.measures.denied_party_screening is not None:
        # S-015 screens the consignee by name
        value["consigneeName"] = order.consignee.name
    if order.consignee is not None and "consignee.name" in consignee_details_missing(order):
        # O-004 warns on a blank name; only then is the key present, so the hash of every plan
        # whose consignee has a name stays what it was before O-004 existed
        value["consigneeNameMissing"] = True
    return value


def _line(
    line: LineSnapshot,
    snapshot: PlanningSnapshot,
    attributes: list[str],
    pack: RulePack,
    facts: dict[str, Any],
) -> Any:
    product = product_for(line, snapshot)
    if line.product_id not in facts:
        facts[line.product_id] = _product(product, attributes, pack)
    return {
        "productId": line.product_id,
        "quantity": line.quantity,
        "unitValueUsd": _decimal(effective_unit_value(line, product)),
        "product": facts[line.product_id],
    }


def _product(product: ProductSnapshot, attributes: list[str], pack: RulePack) -> Any:
    facts = {
        "description": product.description,
        "hsCode": product.hs_code,
        "countryOfOrigin": product.country_of_origin,
        "weightKg": _decimal(product.weight_kg),
        "manufacturer": _manufacturer(product, pack),
        "attributes": {key: has_attribute(product, key) for key in attributes},
    }
    if pack.measures.uflpa.input_region_codes is not None:
        # S-010 reads the codes themselves
        facts["inputRegions"] = input_regions(product)
    amounts = [
        key
        for key, measure in (
            (CARAT_WEIGHT, pack.measures.russia_inputs),
            (THC_MG_PER_CONTAINER, pack.measures.controlled_thc),
        )
        if measure is not None
    ]
    if amounts:
        # S-012 and S-014 read these amounts themselves
        facts["amounts"] = {key: _decimal(decimal_attribute(product, key)) for key in amounts}
    return facts


def _manufacturer(product: ProductSnapshot, pack: RulePack) -> Any:
    maker = product.manufacturer
    if maker is None:
        return None
    # location feeds the region sanctions rules; the name matters as present or not, and,
    # under a pack with the UFLPA Entity List (S-011), as the key the list is matched on
    value = {
        "complete": has_manufacturer(product),
        "address": maker.address,
        "city": maker.city,
        "region": maker.region,
    }
    entity_list = pack.measures.uflpa_entity_list
    if entity_list is not None:
        value["nameKey"] = name_key(maker.name, entity_list.legal_form_words)
    if pack.measures.denied_party_screening is not None:
        # S-013 and S-015 match the name itself
        value["name"] = maker.name
    if pack.measures.manufacturer_id is not None:
        value["manufacturerId"] = line_manufacturer_id(product)
        value["country"] = maker.country
    return value


def _decimal(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if value == 0:
        return "0"  # 0.00 and -0 are the same amount
    # normalize so 12.5 and 12.50 hash alike; "f" keeps 100 from becoming 1E+2
    return format(value.normalize(), "f")
