"""planHash: pinned to a literal, blind to order and to fields no rule reads, sensitive to the rest."""

import re
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.planning.models import Consignee, PlanningSnapshot
from domain.planning.plan_hash import plan_hash
from tests.support.golden_plan import GOLDEN_HASH, GOLDEN_SNAPSHOT
from tests.support.planning_builders import (
    PACK,
    PLAN_DATE,
    broker,
    order,
    pack_with,
    product,
    run,
    snapshot,
)

BASE = snapshot(
    orders=[order("ord_1"), order("ord_2", lines=[("prod_mug", 1), ("prod_b", 4)])],
    products=[product(), product("prod_b", unitValueUsd=Decimal("12.5"))],
)
BASE_HASH = plan_hash(BASE, PACK)
fast = settings(max_examples=40, deadline=None)


def _replace_product(
    snap: PlanningSnapshot, product_id: str, **changes: object
) -> PlanningSnapshot:
    products = dict(snap.products)
    products[product_id] = products[product_id].model_copy(update=changes)
    return snap.model_copy(update={"products": products})


def test_golden_hash() -> None:
    # changes when the hash input, the rule pack or the canonical form changes: each of those
    # changes every stored planHash, so it must be deliberate
    snap = PlanningSnapshot.model_validate(GOLDEN_SNAPSHOT)
    assert plan_hash(snap, PACK, plan_date=date(2026, 11, 26)) == GOLDEN_HASH
    assert run(snap, plan_date=date(2026, 11, 26)).plan_hash == GOLDEN_HASH


def test_hash_format() -> None:
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", BASE_HASH)


@fast
@given(
    st.permutations(["ord_1", "ord_2", "ord_unknown"]),
    st.lists(st.sampled_from(["ord_1", "ord_2", "ord_unknown"]), max_size=4),
)
def test_requested_id_order_and_duplicates_do_not_count(
    permuted: list[str], extra: list[str]
) -> None:
    requested = BASE.model_copy(update={"requested_order_ids": ["ord_1", "ord_2", "ord_unknown"]})
    shuffled = requested.model_copy(update={"requested_order_ids": permuted + extra})
    assert plan_hash(shuffled, PACK) == plan_hash(requested, PACK)


@fast
@given(text=st.text(max_size=30))
def test_fields_no_rule_reads_do_not_count(text: str) -> None:
    orders = {
        oid: o.model_copy(
            update={
                "external_id": text,
                # any name that is not blank: a blank one is O-004's to warn about
                "consignee": o.consignee.model_copy(update={"name": f"N{text}"})
                if o.consignee
                else None,
            }
        )
        for oid, o in BASE.orders.items()
    }
    changed = _replace_product(BASE, "prod_b", external_id=text).model_copy(
        update={
            "orders": orders,
            "warehouse": BASE.warehouse.model_copy(update={"id": f"wh_{text}"}),
            "broker": BASE.broker.model_copy(update={"id": f"br_{text}"}),
        }
    )
    assert plan_hash(changed, PACK) == BASE_HASH


@fast
@given(extra_zeros=st.integers(min_value=0, max_value=6))
def test_decimal_spelling_does_not_count(extra_zeros: int) -> None:
    spelled = Decimal("12.5" + "0" * extra_zeros)
    assert plan_hash(_replace_product(BASE, "prod_b", unit_value_usd=spelled), PACK) == BASE_HASH


@fast
@given(day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)))
def test_plan_date_counts_only_through_staleness(day: date) -> None:
    assert plan_hash(BASE, PACK, plan_date=day) == plan_hash(BASE, PACK, plan_date=PLAN_DATE)
    stale = plan_hash(BASE, PACK, plan_date=date(2027, 1, 2))
    assert stale != plan_hash(BASE, PACK, plan_date=day)


@fast
@given(quantity=st.integers(min_value=1, max_value=10_000).filter(lambda q: q != 4))
def test_quantity_counts(quantity: int) -> None:
    ord_2 = BASE.orders["ord_2"]
    items = [ord_2.items[0], ord_2.items[1].model_copy(update={"quantity": quantity})]
    orders = {**BASE.orders, "ord_2": ord_2.model_copy(update={"items": items})}
    assert plan_hash(BASE.model_copy(update={"orders": orders}), PACK) != BASE_HASH


@fast
@given(
    value=st.decimals(min_value=0, max_value=100_000, places=2).filter(
        lambda v: v != Decimal("12.5")
    )
)
def test_unit_value_counts(value: Decimal) -> None:
    assert plan_hash(_replace_product(BASE, "prod_b", unit_value_usd=value), PACK) != BASE_HASH


@fast
@given(
    field=st.sampled_from(["hs_code", "country_of_origin", "description"]),
    value=st.one_of(st.none(), st.sampled_from(["6109.10.0012", "CN", "US", "9903.88.01", "Gift"])),
)
def test_product_fields_rules_read_count(field: str, value: str | None) -> None:
    changed = _replace_product(BASE, "prod_b", **{field: value})
    assert plan_hash(changed, PACK) != BASE_HASH


@fast
@given(mode=st.sampled_from(["BULK_TO_US_WAREHOUSE", "POSTAL"]))
def test_warehouse_mode_counts(mode: str) -> None:
    changed = BASE.model_copy(
        update={"warehouse": BASE.warehouse.model_copy(update={"shipment_mode": mode})}
    )
    assert plan_hash(changed, PACK) != BASE_HASH


def test_broker_fields_count() -> None:
    classifies = BASE.model_copy(update={"broker": broker(classifiesGoods=True)})
    no_address = BASE.model_copy(update={"broker": broker(recipientEmail=None)})
    more = BASE.model_copy(update={"broker": broker(supportedDestinations=["US", "CA"])})
    hashes = {plan_hash(s, PACK) for s in (classifies, no_address, more)}
    assert len(hashes) == 3
    assert BASE_HASH not in hashes


def test_consignee_presence_and_address_count() -> None:
    hashes = {BASE_HASH}
    for changes in (
        {"consignee": None},
        {"destination_region": None},
        {"destination_postal_code": "10002"},
        {"consignee": Consignee(name=" ", address="1 Market St")},
    ):
        orders = {**BASE.orders, "ord_1": BASE.orders["ord_1"].model_copy(update=changes)}
        hashes.add(plan_hash(BASE.model_copy(update={"orders": orders}), PACK))
    assert len(hashes) == 5


def test_pack_version_and_content_count() -> None:
    renamed = PACK.model_copy(update={"version": "us-2027.01"})
    stricter = pack_with({"thresholds.minDescriptionChars": 20})
    hashes = {plan_hash(BASE, PACK), plan_hash(BASE, renamed), plan_hash(BASE, stricter)}
    assert len(hashes) == 3


def test_line_order_does_not_count() -> None:
    ord_2 = BASE.orders["ord_2"]
    reordered = ord_2.model_copy(update={"items": list(reversed(ord_2.items))})
    changed = BASE.model_copy(update={"orders": {**BASE.orders, "ord_2": reordered}})
    assert plan_hash(changed, PACK) == BASE_HASH
