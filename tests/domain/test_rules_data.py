"""D-001…D-018: every rule fires on a bad line and stays silent on a good one."""

from decimal import Decimal

import pytest

from domain.planning.findings import RULES
from domain.planning.models import PlanningSnapshot
from tests.support.planning_builders import (
    MAKER,
    broker,
    messages_of,
    order,
    product,
    run,
    snapshot,
    with_product,
)

TEXTILE = {"hsCode": "6109.10.0012", "description": "Men's cotton T-shirt, crew neck"}
COTTON = {"fiberComposition": "100% cotton"}
STEEL = {"hsCode": "7323.93.0080", "description": "Stainless steel saucepan, 2 litre"}

FIRES = [
    pytest.param("D-001", "ERROR", with_product(hsCode=None), id="D-001-missing"),
    pytest.param("D-001", "ERROR", with_product(hsCode="  "), id="D-001-blank"),
    pytest.param(
        "D-001",
        "WARNING",
        snapshot(products=[product(hsCode=None)], broker=broker(classifiesGoods=True)),
        id="D-001-broker-classifies",
    ),
    pytest.param("D-002", "ERROR", with_product(hsCode="6912.00.4"), id="D-002-7-digits"),
    pytest.param("D-002", "ERROR", with_product(hsCode="691200481012"), id="D-002-12-digits"),
    pytest.param("D-002", "ERROR", with_product(hsCode="6912-00-4810"), id="D-002-dashes"),
    pytest.param("D-002", "ERROR", with_product(hsCode="69A2004810"), id="D-002-letter"),
    pytest.param("D-003", "ERROR", with_product(hsCode="7700000000"), id="D-003-chapter-77"),
    pytest.param("D-003", "ERROR", with_product(hsCode="0000.00"), id="D-003-chapter-00"),
    pytest.param("D-003", "ERROR", with_product(hsCode="0101.99.0000"), id="D-003-unknown-hs6"),
    pytest.param("D-004", "ERROR", with_product(hsCode="9903.88.01"), id="D-004"),
    pytest.param("D-005", "WARNING", with_product(hsCode="9801.00.1000"), id="D-005"),
    pytest.param("D-006", "WARNING", with_product(hsCode="6912.00"), id="D-006-6-digits"),
    pytest.param("D-006", "WARNING", with_product(hsCode="6912.00.48"), id="D-006-8-digits"),
    pytest.param("D-007", "ERROR", with_product(countryOfOrigin=None), id="D-007"),
    pytest.param("D-008", "ERROR", with_product(countryOfOrigin="EU"), id="D-008-EU"),
    pytest.param("D-008", "ERROR", with_product(countryOfOrigin="XX"), id="D-008-XX"),
    pytest.param("D-008", "ERROR", with_product(countryOfOrigin="pt"), id="D-008-lower-case"),
    pytest.param("D-009", "WARNING", with_product(countryOfOrigin="US"), id="D-009"),
    pytest.param("D-010", "ERROR", with_product(unitValueUsd=None), id="D-010"),
    pytest.param("D-011", "ERROR", with_product(unitValueUsd=Decimal(0)), id="D-011-zero"),
    pytest.param("D-011", "ERROR", with_product(unitValueUsd=Decimal(-5)), id="D-011-negative"),
    pytest.param(
        "D-011",
        "ERROR",
        snapshot(orders=[order(line_value=Decimal("0.00"))]),
        id="D-011-line-value-wins",
    ),
    pytest.param("D-012", "WARNING", with_product(unitValueUsd=Decimal("0.99")), id="D-012"),
    pytest.param("D-013", "ERROR", with_product(description=None), id="D-013-missing"),
    pytest.param("D-013", "ERROR", with_product(description="   "), id="D-013-blank"),
    pytest.param("D-014", "WARNING", with_product(description="Coffee mug"), id="D-014-short"),
    pytest.param(
        "D-014", "WARNING", with_product(description="Gift items and accessories"), id="D-014-vague"
    ),
    pytest.param(
        "D-014", "WARNING", with_product(description="Spare parts, 12 pcs"), id="D-014-phrase"
    ),
    pytest.param("D-015", "INFO", with_product(weightKg=None), id="D-015-flag"),
    pytest.param(
        "D-015",
        "WARNING",
        snapshot(products=[product(weightKg=None)], mode="POSTAL"),
        id="D-015-postal",
    ),
    pytest.param(
        "D-015",
        "WARNING",
        with_product(weightKg=None, unitValueUsd=Decimal(1300)),
        id="D-015-formal",
    ),
    pytest.param("D-016", "INFO", with_product(manufacturer=None), id="D-016-flag"),
    pytest.param(
        "D-016",
        "INFO",
        with_product(manufacturer=MAKER.model_copy(update={"name": " "})),
        id="D-016-no-name",
    ),
    pytest.param(
        "D-016",
        "WARNING",
        with_product(manufacturer=None, unitValueUsd=Decimal(1300)),
        id="D-016-formal",
    ),
    pytest.param(
        "D-016",
        "WARNING",
        with_product(manufacturer=None, attributes=COTTON, **TEXTILE),
        id="D-016-textile",
    ),
    pytest.param("D-017", "WARNING", with_product(**TEXTILE), id="D-017"),
    pytest.param("D-018", "WARNING", with_product(**STEEL), id="D-018"),
]

SILENT = [
    *(pytest.param(f"D-{n:03d}", snapshot(), id=f"D-{n:03d}-baseline") for n in range(1, 19)),
    pytest.param("D-002", with_product(hsCode="6912 00 4810"), id="D-002-spaces-allowed"),
    pytest.param("D-003", with_product(hsCode="9801.00.1000"), id="D-003-chapter-98-not-hs"),
    pytest.param("D-003", with_product(hsCode="6912.00.4"), id="D-003-after-bad-format"),
    pytest.param("D-006", with_product(hsCode="6912.00.4"), id="D-006-after-bad-format"),
    pytest.param("D-006", with_product(hsCode="0101.99"), id="D-006-after-unknown-code"),
    pytest.param(
        "D-010",
        snapshot(products=[product(unitValueUsd=None)], orders=[order(line_value=Decimal("9.99"))]),
        id="D-010-line-value-only",
    ),
    pytest.param("D-012", with_product(unitValueUsd=Decimal("1.00")), id="D-012-at-minimum"),
    pytest.param("D-014", with_product(description="Cotton gift bag, 30 x 40 cm"), id="D-014"),
    pytest.param("D-017", with_product(attributes=COTTON, **TEXTILE), id="D-017-composition"),
    pytest.param("D-018", with_product(attributes={"metalOrigin": "DE"}, **STEEL), id="D-018"),
    pytest.param(
        "D-016", with_product(attributes=COTTON, **TEXTILE), id="D-016-textile-with-maker"
    ),
]


@pytest.mark.parametrize(("rule_id", "severity", "snap"), FIRES)
def test_rule_fires(rule_id: str, severity: str, snap: PlanningSnapshot) -> None:
    outcome = run(snap)
    found = messages_of(outcome, rule_id)
    assert found, [m.rule_id for m in outcome.validation_messages]
    assert {(m.severity, m.code) for m in found} == {(severity, RULES[rule_id][0])}
    # errors exclude the order; warnings and infos keep it
    assert (outcome.excluded_order_ids == ["ord_1"]) == (severity == "ERROR")


@pytest.mark.parametrize(("rule_id", "snap"), SILENT)
def test_rule_stays_silent(rule_id: str, snap: PlanningSnapshot) -> None:
    assert messages_of(run(snap), rule_id) == []


def test_missing_fields_are_listed_per_product() -> None:
    outcome = run(with_product(hsCode=None, countryOfOrigin=None, weightKg=None))
    fields = [(m.order_id, m.product_id, m.field) for m in outcome.missing_data]
    assert fields == [
        ("ord_1", "prod_mug", "countryOfOrigin"),
        ("ord_1", "prod_mug", "hsCode"),
        ("ord_1", "prod_mug", "weightKg"),
    ]


def test_missing_hts_with_classifying_broker_keeps_the_order_for_review() -> None:
    snap = snapshot(products=[product(hsCode=None)], broker=broker(classifiesGoods=True))
    outcome = run(snap)
    assert outcome.included_order_ids == ["ord_1"]
    assert outcome.readiness_state == "REVIEW_REQUIRED"


def test_the_worst_line_decides_the_order() -> None:
    snap = snapshot(
        orders=[order(lines=[("prod_mug", 1), ("prod_bad", 1)])],
        products=[product(), product("prod_bad", countryOfOrigin=None)],
    )
    outcome = run(snap)
    assert outcome.excluded_order_ids == ["ord_1"]
    assert outcome.decisions[0].reason_codes == ["ORIGIN_MISSING"]


def test_an_unknown_product_reads_as_a_product_without_data() -> None:
    outcome = run(snapshot(products=[]))
    codes = set(outcome.decisions[0].reason_codes)
    assert {"HTS_MISSING", "ORIGIN_MISSING", "VALUE_MISSING", "DESCRIPTION_MISSING"} <= codes
