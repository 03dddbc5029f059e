"""E-001…E-004: entry and value rules, which look at entry types and across orders."""

from decimal import Decimal

import pytest

from domain.planning.findings import RULES
from domain.planning.models import Consignee, PlanningSnapshot
from domain.rulepack.model import RulePack
from tests.support.planning_builders import (
    PACK,
    messages_of,
    order,
    pack_with,
    product,
    run,
    snapshot,
    with_product,
)

DE_MINIMIS = pack_with({"measures.deMinimis.enabled": True})
STEEL = {
    "hsCode": "7323.93.0080",
    "description": "Stainless steel saucepan, 2 litre",
    "attributes": {"metalOrigin": "DE"},
}


def _same_consignee(
    unit_value: str, mode: str = "PARCEL_DTC", name: str = "Jane"
) -> PlanningSnapshot:
    # two orders of 2 mugs each to one address
    home = Consignee(name=name, address="5 Main Street, Apt 2")
    return snapshot(
        orders=[order("ord_1", consignee=home), order("ord_2", consignee=home.model_copy())],
        products=[product(unitValueUsd=Decimal(unit_value))],
        mode=mode,
    )


FIRES = [
    pytest.param("E-001", "INFO", snapshot(), PACK, id="E-001"),
    pytest.param("E-002", "INFO", with_product(unitValueUsd=Decimal(1300)), PACK, id="E-002"),
    pytest.param(
        "E-003",
        "WARNING",
        with_product(countryOfOrigin="CN", unitValueUsd=Decimal(150)),
        PACK,
        id="E-003-301",
    ),
    pytest.param(
        "E-003", "WARNING", with_product(unitValueUsd=Decimal(150), **STEEL), PACK, id="E-003-232"
    ),
    pytest.param("E-004", "WARNING", _same_consignee("650"), PACK, id="E-004"),
    pytest.param(
        "E-004", "WARNING", _same_consignee("650", name="J. DOE"), PACK, id="E-004-any-name"
    ),
    pytest.param("E-004", "WARNING", _same_consignee("650", "POSTAL"), PACK, id="E-004-postal"),
]
SILENT = [
    pytest.param("E-001", snapshot(), DE_MINIMIS, id="E-001-de-minimis-on"),
    pytest.param("E-002", with_product(unitValueUsd=Decimal(1250)), PACK, id="E-002-at-limit"),
    pytest.param(
        "E-003",
        with_product(countryOfOrigin="CN", unitValueUsd=Decimal(125)),
        PACK,
        id="E-003-at-cap",
    ),
    pytest.param("E-003", with_product(unitValueUsd=Decimal(150)), PACK, id="E-003-no-ch99"),
    pytest.param(
        "E-003",
        with_product(countryOfOrigin="CN", unitValueUsd=Decimal(1300)),
        PACK,
        id="E-003-formal-anyway",
    ),
    pytest.param("E-004", _same_consignee("625"), PACK, id="E-004-at-limit"),
    pytest.param("E-004", _same_consignee("1300"), PACK, id="E-004-each-formal"),
    pytest.param("E-004", _same_consignee("650", "BULK_TO_US_WAREHOUSE"), PACK, id="E-004-bulk"),
    pytest.param(
        "E-004",
        snapshot(
            orders=[order("ord_1"), order("ord_2")],
            products=[product(unitValueUsd=Decimal(650))],
        ),
        PACK,
        id="E-004-two-consignees",
    ),
]


@pytest.mark.parametrize(("rule_id", "severity", "snap", "pack"), FIRES)
def test_rule_fires(rule_id: str, severity: str, snap: PlanningSnapshot, pack: RulePack) -> None:
    found = messages_of(run(snap, pack), rule_id)
    assert found
    assert {(m.severity, m.code) for m in found} == {(severity, RULES[rule_id][0])}


@pytest.mark.parametrize(("rule_id", "snap", "pack"), SILENT)
def test_rule_stays_silent(rule_id: str, snap: PlanningSnapshot, pack: RulePack) -> None:
    assert messages_of(run(snap, pack), rule_id) == []


def test_split_shipment_review_names_every_order_of_the_consignee() -> None:
    outcome = run(_same_consignee("650"))
    assert [m.order_id for m in messages_of(outcome, "E-004")] == ["ord_1", "ord_2"]
    assert outcome.readiness_state == "REVIEW_REQUIRED"


def test_split_shipment_counts_only_included_orders() -> None:
    home = Consignee(name="Jane", address="5 Main Street")
    snap = snapshot(
        orders=[
            order("ord_1", consignee=home),
            order("ord_2", consignee=home, lines=[("prod_bad", 2)]),
        ],
        products=[
            product(unitValueUsd=Decimal(650)),
            product("prod_bad", hsCode=None, unitValueUsd=Decimal(650)),
        ],
    )
    outcome = run(snap)
    assert outcome.excluded_order_ids == ["ord_2"]
    assert messages_of(outcome, "E-004") == []


def test_formal_value_flag_keeps_the_plan_ready() -> None:
    outcome = run(with_product(unitValueUsd=Decimal(1300)))
    assert outcome.readiness_state == "READY"
    assert outcome.decisions[0].reason_codes == ["FORMAL_ENTRY_REQUIRED_VALUE"]
