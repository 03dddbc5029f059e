"""Strategy hint, entry type hints and export units (RULES.md §3)."""

from decimal import Decimal

import pytest

from domain.planning.models import PlanningSnapshot
from tests.support.planning_builders import (
    order,
    pack_with,
    product,
    run,
    snapshot,
)

DE_MINIMIS = pack_with({"measures.deMinimis.enabled": True})


def _orders(*values: int, mode: str = "PARCEL_DTC") -> PlanningSnapshot:
    """One order per value (one mug at that price), each to its own consignee."""
    return snapshot(
        orders=[
            order(f"ord_{i}", lines=[("prod_mug", 1)], line_value=Decimal(v))
            for i, v in enumerate(values, start=1)
        ],
        mode=mode,
    )


@pytest.mark.parametrize(
    ("snap", "code", "units"),
    [
        pytest.param(
            _orders(100, 200),
            "PER_ORDER_INFORMAL_ENTRY",
            [("11", ["ord_1", "ord_2"])],
            id="parcel-informal",
        ),
        pytest.param(
            _orders(3000, 2600), "PER_ORDER_FORMAL_ENTRY", [("01", ["ord_1", "ord_2"])], id="formal"
        ),
        pytest.param(
            _orders(100, 3000),
            "MIXED_SPLIT",
            [("11", ["ord_1"]), ("01", ["ord_2"])],
            id="parcel-mixed",
        ),
        pytest.param(
            _orders(100, 2500, mode="POSTAL"),
            "POSTAL_INFORMAL_ENTRY",
            [("13", ["ord_1", "ord_2"])],
            id="postal",
        ),
        pytest.param(
            _orders(3000, 100, mode="POSTAL"),
            "MIXED_SPLIT",
            [("13", ["ord_2"]), ("01", ["ord_1"])],
            id="postal-mixed",
        ),
        pytest.param(
            _orders(3000, mode="POSTAL"),
            "PER_ORDER_FORMAL_ENTRY",
            [("01", ["ord_1"])],
            id="postal-formal",
        ),
        pytest.param(
            _orders(1000, 1500, mode="BULK_TO_US_WAREHOUSE"),
            "CONSOLIDATED_INFORMAL_ENTRY",
            [("11", ["ord_1", "ord_2"])],
            id="bulk-at-limit",
        ),
        pytest.param(
            _orders(1000, 1600, mode="BULK_TO_US_WAREHOUSE"),
            "CONSOLIDATED_FORMAL_ENTRY",
            [("01", ["ord_1", "ord_2"])],
            id="bulk-over-limit",
        ),
        pytest.param(snapshot(requested=["ord_unknown"]), "NONE", [], id="blocked"),
    ],
)
def test_strategy_by_mode_and_value(
    snap: PlanningSnapshot, code: str, units: list[tuple[str, list[str]]]
) -> None:
    outcome = run(snap)
    assert outcome.strategy_hint.code == code
    assert [(u.entry_type, u.order_ids) for u in outcome.export_units] == units
    assert [u.unit_id for u in outcome.export_units] == [f"unit-{i + 1}" for i in range(len(units))]
    hints = {oid: entry_type for entry_type, ids in units for oid in ids}
    assert outcome.strategy_hint.entry_type_hints == hints


def test_hints_and_units_cover_only_included_orders() -> None:
    snap = snapshot(requested=["ord_1", "ord_unknown"])
    outcome = run(snap)
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "11"}
    assert [u.order_ids for u in outcome.export_units] == [["ord_1"]]


def test_export_unit_sums_value_and_weight() -> None:
    outcome = run(_orders(100, 200))
    unit = outcome.export_units[0]
    assert (unit.value_usd, unit.weight_kg) == (Decimal("300.00"), Decimal("0.800"))
    assert (outcome.totals.value_usd, outcome.totals.weight_kg) == (unit.value_usd, unit.weight_kg)


def test_chapter_99_cap_review_leaves_the_strategy_to_the_broker() -> None:
    snap = snapshot(products=[product(countryOfOrigin="CN", unitValueUsd=Decimal(150))])
    outcome = run(snap)
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert outcome.strategy_hint.code == "BROKER_DETERMINES"
    assert "E-003" in outcome.strategy_hint.reason
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "11"}


@pytest.mark.parametrize(
    ("six_digit_lines", "total_lines", "code"),
    [
        pytest.param(1, 2, "BROKER_DETERMINES", id="half"),
        pytest.param(1, 4, "PER_ORDER_INFORMAL_ENTRY", id="exactly-a-quarter"),
        pytest.param(2, 5, "BROKER_DETERMINES", id="over-a-quarter"),
    ],
)
def test_incomplete_hts_share_leaves_the_strategy_to_the_broker(
    six_digit_lines: int, total_lines: int, code: str
) -> None:
    products = [
        product(f"prod_{i}", hsCode="6912.00" if i < six_digit_lines else "6912.00.4810")
        for i in range(total_lines)
    ]
    snap = snapshot(orders=[order(lines=[(p.id, 1) for p in products])], products=products)
    outcome = run(snap)
    assert outcome.readiness_state == "REVIEW_REQUIRED"  # D-006 on the short codes
    assert outcome.strategy_hint.code == code


def test_de_minimis_strategy_only_when_the_pack_enables_it() -> None:
    assert run(_orders(100, 800)).strategy_hint.code == "PER_ORDER_INFORMAL_ENTRY"
    outcome = run(_orders(100, 800), DE_MINIMIS)
    assert outcome.strategy_hint.code == "SECTION_321_DE_MINIMIS"
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "11", "ord_2": "11"}


def test_de_minimis_threshold_is_per_consignee_day() -> None:
    assert run(_orders(100, 801), DE_MINIMIS).strategy_hint.code == "PER_ORDER_INFORMAL_ENTRY"
    bulk = _orders(500, 400, mode="BULK_TO_US_WAREHOUSE")
    assert run(bulk, DE_MINIMIS).strategy_hint.code == "CONSOLIDATED_INFORMAL_ENTRY"
