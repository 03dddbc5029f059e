"""S-, G- and T-rules: each fires on goods it is about and stays silent on the baseline mug."""

import pytest

from domain.planning.findings import RULES
from domain.planning.models import PlanningSnapshot
from tests.support.planning_builders import (
    MAKER,
    PACK,
    messages_of,
    order,
    product,
    run,
    snapshot,
    with_product,
)

MAKER_AT = {
    "crimea": MAKER.model_copy(update={"region": "Crimea", "country": "UA"}),
    "ua-43": MAKER.model_copy(update={"region": "UA-43", "country": "UA"}),
    "donetsk": MAKER.model_copy(update={"region": "Donetsk Oblast", "country": "UA"}),
    "kyiv": MAKER.model_copy(update={"region": "Kyiv", "country": "UA"}),
    "urumqi": MAKER.model_copy(update={"city": "Urumqi", "country": "CN"}),
    "xuar": MAKER.model_copy(update={"region": "Xinjiang Uygur Autonomous Region"}),
    "cn-xj": MAKER.model_copy(update={"region": "CN-XJ", "country": "CN"}),
    "ningbo": MAKER.model_copy(update={"city": "Ningbo", "region": "Zhejiang", "country": "CN"}),
}
TEXTILE = {
    "hsCode": "6109.10.0012",
    "description": "Men's cotton T-shirt, crew neck",
    "attributes": {"fiberComposition": "100% cotton"},
}
STEEL = {
    "hsCode": "7323.93.0080",
    "description": "Stainless steel saucepan, 2 litre",
    "attributes": {"metalOrigin": "DE"},
}
WINE = {"hsCode": "2204.21.5040", "description": "Red wine, Cabernet, 750 ml bottle"}


def _goods(
    hs_code: str, description: str = "Specific goods of the listed kind"
) -> PlanningSnapshot:
    return with_product(hsCode=hs_code, description=description)


FIRES = [
    pytest.param("S-001", "ERROR", with_product(countryOfOrigin="IR"), id="S-001"),
    *(
        pytest.param(
            "S-002",
            "ERROR",
            with_product(countryOfOrigin="UA", manufacturer=MAKER_AT[k]),
            id=f"S-002-{k}",
        )
        for k in ("crimea", "ua-43", "donetsk")
    ),
    pytest.param("S-003", "ERROR", with_product(countryOfOrigin="RU", **WINE), id="S-003-wine"),
    pytest.param(
        "S-003",
        "ERROR",
        with_product(countryOfOrigin="RU", hsCode="0302.89.5000", description="Fresh cod fillets"),
        id="S-003-fish",
    ),
    pytest.param("S-004", "WARNING", with_product(countryOfOrigin="RU"), id="S-004-RU"),
    pytest.param("S-004", "WARNING", with_product(countryOfOrigin="BY"), id="S-004-BY"),
    *(
        pytest.param(
            "S-005",
            "ERROR",
            with_product(countryOfOrigin="CN", manufacturer=MAKER_AT[k]),
            id=f"S-005-{k}",
        )
        for k in ("urumqi", "xuar", "cn-xj")
    ),
    pytest.param("S-006", "WARNING", with_product(countryOfOrigin="CN", **TEXTILE), id="S-006"),
    pytest.param(
        "S-006",
        "WARNING",
        with_product(countryOfOrigin="CN", hsCode="0813.40.8000", description="Dried red dates"),
        id="S-006-red-dates",
    ),
    pytest.param("S-007", "ERROR", _goods("9303.20.0000"), id="S-007-shotgun"),
    pytest.param("S-007", "ERROR", _goods("3604.10.9000"), id="S-007-fireworks"),
    pytest.param(
        "S-008",
        "WARNING",
        with_product(countryOfOrigin="CN", hsCode="8806.21.0000", description="Camera drone 249 g"),
        id="S-008",
    ),
    pytest.param(
        "S-009", "WARNING", with_product(description="Replica designer handbag"), id="S-009"
    ),
    pytest.param(
        "S-009", "WARNING", with_product(description="AAA Quality running shoes"), id="S-009-aaa"
    ),
    pytest.param("S-009", "WARNING", with_product(description="1:1 copy wrist watch"), id="1:1"),
    pytest.param("G-001", "WARNING", _goods("0201.30.0200", "Fresh beef cuts"), id="G-001"),
    pytest.param("G-002", "WARNING", _goods("3004.90.9290"), id="G-002"),
    pytest.param("G-003", "INFO", _goods("3304.99.5000"), id="G-003"),
    pytest.param("G-004", "WARNING", _goods("9018.90.8000"), id="G-004-device"),
    pytest.param("G-004", "WARNING", _goods("8516.50.0000"), id="G-004-microwave"),
    pytest.param("G-005", "WARNING", _goods("0601.10.0000"), id="G-005"),
    pytest.param("G-006", "INFO", _goods("4421.91.9000"), id="G-006-chapter-44"),
    pytest.param("G-006", "INFO", _goods("9403.60.8081", "Dining table"), id="G-006-wooden-hs"),
    pytest.param("G-006", "INFO", _goods("9403.20.0090", "Oak and steel desk"), id="G-006-text"),
    pytest.param("G-007", "INFO", _goods("8517.13.0000"), id="G-007-phone"),
    pytest.param("G-007", "INFO", _goods("9504.50.0000"), id="G-007-console"),
    pytest.param("G-008", "WARNING", _goods("9503.00.0073"), id="G-008"),
    pytest.param("G-009", "WARNING", _goods("3808.91.5000"), id="G-009"),
    pytest.param("G-010", "WARNING", with_product(**WINE), id="G-010"),
    pytest.param("G-011", "WARNING", _goods("2402.20.8000"), id="G-011"),
    pytest.param("G-012", "WARNING", _goods("8703.23.0190"), id="G-012-car"),
    pytest.param("G-012", "WARNING", _goods("4011.10.1010"), id="G-012-tyre"),
    pytest.param("G-013", "INFO", _goods("8507.60.0020"), id="G-013"),
    pytest.param("T-001", "INFO", with_product(**STEEL), id="T-001"),
    pytest.param("T-002", "INFO", _goods("7418.10.0000"), id="T-002-chapter-74"),
    pytest.param("T-002", "INFO", _goods("8544.42.9090"), id="T-002-cable"),
    pytest.param("T-003", "INFO", _goods("4407.11.0000"), id="T-003-lumber"),
    pytest.param("T-003", "INFO", _goods("9401.61.4011", "Upholstered armchair"), id="T-003-seat"),
    pytest.param("T-003", "INFO", _goods("9403.60", "Vanity unit"), id="T-003-may-be-listed"),
    pytest.param("T-004", "INFO", _goods("8708.29.5060"), id="T-004"),
    pytest.param("T-005", "INFO", with_product(countryOfOrigin="CN"), id="T-005"),
    pytest.param("T-006", "INFO", with_product(countryOfOrigin="BY"), id="T-006"),
    pytest.param("T-007", "INFO", snapshot(), id="T-007"),
]

SILENT = [
    *(
        pytest.param(rule_id, snapshot(), id=f"{rule_id}-baseline")
        for rule_id in [
            *(f"S-{n:03d}" for n in range(1, 10)),
            *(f"G-{n:03d}" for n in range(1, 14)),
        ]
    ),
    *(pytest.param(f"T-{n:03d}", snapshot(), id=f"T-{n:03d}-baseline") for n in range(1, 7)),
    pytest.param(
        "S-002", with_product(countryOfOrigin="UA", manufacturer=MAKER_AT["kyiv"]), id="S-002-kyiv"
    ),
    pytest.param("S-002", with_product(manufacturer=MAKER_AT["crimea"]), id="S-002-origin-not-UA"),
    pytest.param("S-003", with_product(countryOfOrigin="RU"), id="S-003-other-goods"),
    pytest.param("S-004", with_product(countryOfOrigin="RU", **WINE), id="S-004-S-003-instead"),
    pytest.param(
        "S-005",
        with_product(countryOfOrigin="CN", manufacturer=MAKER_AT["ningbo"]),
        id="S-005-ningbo",
    ),
    pytest.param("S-005", with_product(manufacturer=MAKER_AT["urumqi"]), id="S-005-origin-PT"),
    pytest.param("S-006", with_product(countryOfOrigin="CN"), id="S-006-other-sector"),
    pytest.param("S-006", with_product(**TEXTILE), id="S-006-origin-PT"),
    pytest.param(
        "S-008",
        with_product(countryOfOrigin="US", hsCode="8806.21.0000", description="Camera drone 249 g"),
        id="S-008-US-made",
    ),
    pytest.param("S-009", with_product(description="Faux leather handbag, brown"), id="S-009"),
    pytest.param("G-006", _goods("9403.20.0090", "Steel office desk, grey"), id="G-006-metal"),
    pytest.param("T-003", _goods("9403.60.8081", "Dining table"), id="T-003-unlisted-10-digit"),
    pytest.param("T-007", snapshot(requested=["ord_unknown"]), id="T-007-nothing-included"),
]


def _code(rule_id: str) -> str:
    if rule_id in RULES:
        return RULES[rule_id][0]
    return next(e.code for e in PACK.measures.pga_map.entries if e.rule_id == rule_id)


@pytest.mark.parametrize(("rule_id", "severity", "snap"), FIRES)
def test_rule_fires(rule_id: str, severity: str, snap: PlanningSnapshot) -> None:
    outcome = run(snap)
    found = messages_of(outcome, rule_id)
    assert found, [m.rule_id for m in outcome.validation_messages]
    assert {(m.severity, m.code) for m in found} == {(severity, _code(rule_id))}


@pytest.mark.parametrize(("rule_id", "snap"), SILENT)
def test_rule_stays_silent(rule_id: str, snap: PlanningSnapshot) -> None:
    assert messages_of(run(snap), rule_id) == []


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"countryOfOrigin": "KP"}, id="S-001"),
        pytest.param({"countryOfOrigin": "UA", "manufacturer": MAKER_AT["crimea"]}, id="S-002"),
        pytest.param({"countryOfOrigin": "RU", **WINE}, id="S-003"),
        pytest.param({"countryOfOrigin": "CN", "manufacturer": MAKER_AT["urumqi"]}, id="S-005"),
        pytest.param({"hsCode": "9303.20.0000"}, id="S-007"),
    ],
)
def test_compliance_exclusions_exclude_and_ask_for_review(changes: dict[str, object]) -> None:
    snap = snapshot(
        orders=[order("ord_1"), order("ord_2", lines=[("prod_bad", 1)])],
        products=[product(), product("prod_bad", **changes)],
    )
    outcome = run(snap)
    assert outcome.excluded_order_ids == ["ord_2"]
    assert outcome.readiness_state == "REVIEW_REQUIRED"


def test_lacey_species_is_missing_data_until_given() -> None:
    lacking = run(_goods("4421.91.9000", "Bamboo cutting board"))
    assert ("prod_mug", "attributes.species") in {
        (m.product_id, m.field) for m in lacking.missing_data
    }
    given = run(
        with_product(
            hsCode="4421.91.9000",
            description="Bamboo cutting board",
            attributes={"species": "Phyllostachys edulis"},
        )
    )
    assert given.missing_data == []
    assert [f.code for f in given.flags if f.code == "PGA_APHIS_LACEY"] == ["PGA_APHIS_LACEY"]


def test_a_pga_rule_reports_once_per_line_even_when_several_rows_match() -> None:
    outcome = run(_goods("9403.60.8081", "Solid oak dining table"))
    assert len(messages_of(outcome, "G-006")) == 1


def test_tariff_flags_name_the_orders_and_products() -> None:
    snap = snapshot(
        orders=[order("ord_1"), order("ord_2", lines=[("prod_pan", 1)])],
        products=[product(), product("prod_pan", countryOfOrigin="CN", **STEEL)],
    )
    flags = {f.code: f for f in run(snap).flags}
    assert flags["TARIFF_232_STEEL_ALUMINUM"].order_ids == ["ord_2"]
    assert flags["TARIFF_232_STEEL_ALUMINUM"].product_ids == ["prod_pan"]
    assert flags["MARKING_COUNTRY_OF_ORIGIN_REQUIRED"].order_ids == ["ord_1", "ord_2"]
