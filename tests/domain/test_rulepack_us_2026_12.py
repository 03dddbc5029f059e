"""Rule pack us-2026.12: its data (sources, review dates, selection by plan date) and every rule
it adds or changes, each made to fire and kept silent."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.planning.models import Manufacturer, PlanningSnapshot, PlanOutcome
from domain.planning.plan_hash import plan_hash
from domain.rulepack.model import RulePack, load_rule_pack, pack_for, shipped_versions
from domain.terms import name_key
from tests.support.golden_plan import GOLDEN_HASH, GOLDEN_SNAPSHOT
from tests.support.planning_builders import (
    PACK,
    broker,
    messages_of,
    order,
    product,
    snapshot,
)

PACK_12 = load_rule_pack("us-2026.12")
DAY = date(2026, 12, 1)
MAKER = Manufacturer(name="Fabrica Exemplo Lda", address="Rua 1", city="Porto", country="PT")


def run12(snap: PlanningSnapshot, pack: RulePack = PACK_12) -> PlanOutcome:
    from domain.planning.planner import plan

    return plan(snap, pack, DAY)


def goods(hs_code: str, origin: str = "PT", description: str = "", **changes: Any) -> Any:
    """The baseline order of one product with this HTS code, origin and description."""
    fields: dict[str, Any] = {"hsCode": hs_code, "countryOfOrigin": origin, "manufacturer": MAKER}
    if description:
        fields["description"] = description
    fields.update(changes)
    return snapshot(products=[product(**fields)])


def codes(outcome: PlanOutcome) -> set[str]:
    return {m.code for m in outcome.validation_messages}


# --- the pack file -------------------------------------------------------------------------


def test_both_packs_ship_and_the_plan_date_chooses() -> None:
    assert shipped_versions()[:2] == ("us-2026.11", "us-2026.12")
    assert pack_for(date(2026, 11, 29)).version == "us-2026.11"
    assert pack_for(date(2026, 11, 30)).version == "us-2026.12"
    assert pack_for(date(2026, 12, 6)).version == "us-2026.12"


def test_rulesetversion_reports_the_pack_that_planned() -> None:
    assert run12(snapshot()).ruleset_version == "us-2026.12"
    assert run12(snapshot(), PACK).ruleset_version == "us-2026.11"


def test_every_dated_measure_has_sources_and_a_review_date_after_december_first() -> None:
    measures = PACK_12.dated_measures()
    assert len(measures) == 19
    for name, measure in measures:
        assert measure.sources, name
        assert all(s.startswith(("https://", "http://")) for s in measure.sources), name
        assert measure.review_by > date(2026, 12, 1), name
    # each AD/CVD order names its own source and case numbers
    table = PACK_12.measures.adcvd_orders
    assert table is not None
    assert all(o.source.startswith("http") and o.cases for o in table.orders)


@pytest.mark.parametrize("missing", ["sources", "reviewBy"])
def test_a_dated_measure_without_source_or_review_date_is_refused(missing: str) -> None:
    data = PACK_12.model_dump(exclude_unset=True)
    del data["measures"]["section301China"][missing]
    with pytest.raises(ValueError, match=r"section301China|reviewBy"):
        RulePack.model_validate(data)


def test_a_sourced_pack_needs_an_effective_date() -> None:
    data = PACK_12.model_dump(exclude_unset=True)
    del data["effectiveFrom"]
    with pytest.raises(ValueError, match="effectiveFrom"):
        RulePack.model_validate(data)


def test_the_older_pack_keeps_its_content_hash() -> None:
    # fields added for us-2026.12 are absent from us-2026.11's content, so its plans keep their hash
    assert PACK.content_hash == "97913fc4f777b9304aba812772b5662141e926de097af280a6c0c465b1b4220b"


GOLDEN_12 = "sha256:8c375ca179fc27e1ef7c11acb005006188f3c383dd1915aa9efb16382ecf0408"


def test_golden_hash_moves_with_the_pack_version() -> None:
    snap = PlanningSnapshot.model_validate(GOLDEN_SNAPSHOT)
    under_12 = plan_hash(snap, PACK_12, plan_date=DAY)
    assert under_12 != GOLDEN_HASH
    assert under_12 == GOLDEN_12


# --- E-003 is off ------------------------------------------------------------------------------

OVER_CAP_CN = snapshot(
    orders=[order(line_value=Decimal("300"), lines=[("prod_mug", 1)])],
    products=[product(countryOfOrigin="CN", manufacturer=MAKER)],
)


def test_e003_fired_under_the_old_pack_and_is_off_now() -> None:
    old = run12(OVER_CAP_CN, PACK)
    assert messages_of(old, "E-003")
    assert old.strategy_hint.code == "BROKER_DETERMINES"
    new = run12(OVER_CAP_CN)
    assert messages_of(new, "E-003") == []
    assert new.strategy_hint.code == "PER_ORDER_INFORMAL_ENTRY"
    cap = PACK_12.measures.informal_chapter99_cap
    assert cap is not None
    assert cap.enabled is False


# --- G-008 CPSC scope ------------------------------------------------------------------------

CPSC_FIRES = [
    ("9503.00.0073", "Wooden toy train set with six cars"),
    ("6111.20.6010", "Babies' cotton bodysuit, knitted"),
    ("6209.20.5045", "Babies' cotton dress, woven"),
    ("9404.21.0010", "Foam mattress, queen size"),
    ("8712.00.1510", "Road bicycle with aluminium frame"),
    ("8714.91.3000", "Bicycle frame of carbon fibre"),
    ("6506.10.6030", "Bicycle helmet with adjustable strap"),
    ("9613.10.0000", "Pocket lighter, disposable, gas fuelled"),
    ("5703.31.0000", "Tufted area rug of polypropylene"),
    ("8715.00.0020", "Folding stroller with canopy"),
    ("9403.50.9045", "Wooden crib with adjustable base"),
    ("6107.22.0015", "Kids pajamas of polyester fleece"),
    ("3926.90.9990", "Silicone pacifier with case"),
]


@pytest.mark.parametrize(("hs_code", "description"), CPSC_FIRES)
def test_g008_covers_what_cpsc_efiling_covers(hs_code: str, description: str) -> None:
    outcome = run12(goods(hs_code, description=description, attributes={"fiberComposition": "x"}))
    found = messages_of(outcome, "G-008")
    assert [(m.code, m.severity) for m in found] == [("PGA_CPSC_CERTIFICATE", "WARNING")]
    assert outcome.readiness_state == "REVIEW_REQUIRED"


@pytest.mark.parametrize(
    ("hs_code", "description"),
    [
        ("9403.50.9080", "Oak dining sideboard with drawers"),
        ("6107.22.0015", "Men's pajamas of polyester fleece"),
        ("3926.90.9990", "Plastic cable clips, pack of fifty"),
        ("4202.31.6000", "Bifold wallet of bovine leather"),
    ],
)
def test_g008_stays_silent_outside_the_scope(hs_code: str, description: str) -> None:
    outcome = run12(goods(hs_code, description=description, attributes={"fiberComposition": "x"}))
    assert messages_of(outcome, "G-008") == []


# --- S-003 Russian gold --------------------------------------------------------------------


def test_s003_russian_gold() -> None:
    gold = goods("7108.13.1000", "RU", "Gold bar, 10 g, 999.9 fine")
    found = messages_of(run12(gold), "S-003")
    assert [(m.code, m.severity) for m in found] == [("ORIGIN_RU_PROHIBITED_GOODS", "ERROR")]
    assert messages_of(run12(gold, PACK), "S-003") == []  # the old pack missed it
    assert (
        messages_of(run12(goods("7108.13.1000", "CH", "Gold bar, 10 g, 999.9 fine")), "S-003") == []
    )


# --- ENDS are tobacco -------------------------------------------------------------------------


def test_ends_are_tobacco_not_fcc() -> None:
    vape = run12(goods("8543.40.0000", "CN", "Disposable e-cigarette, 2 ml"))
    assert "PGA_TOBACCO" in codes(vape)
    assert "PGA_FCC_EQUIPMENT_AUTH" not in codes(vape)
    other = run12(goods("8543.70.9960", "CN", "Ultrasonic pest repeller"))
    assert "PGA_FCC_EQUIPMENT_AUTH" in codes(other)
    assert "PGA_TOBACCO" not in codes(other)


def test_chapter_24_stays_tobacco() -> None:
    assert "PGA_TOBACCO" in codes(run12(goods("2402.20.8000", "DO", "Cigarettes, 20 per pack")))


# --- S-010 and S-011 (UFLPA whatever the origin) --------------------------------------------


@pytest.mark.parametrize("regions", [["CN-XJ"], ["cn-xj", "VN-SG"], ["CN-65"]])
def test_s010_inputs_from_xinjiang_fire_whatever_the_origin(regions: list[str]) -> None:
    outcome = run12(
        goods(
            "6109.10.0012",
            "VN",
            "Cotton T-shirt, crew neck",
            attributes={"fiberComposition": "100% cotton", "inputRegions": regions},
        )
    )
    found = messages_of(outcome, "S-010")
    assert [(m.code, m.severity) for m in found] == [("UFLPA_INPUT_REGION", "ERROR")]
    assert outcome.excluded_order_ids == ["ord_1"]
    assert outcome.readiness_state == "BLOCKED"


@pytest.mark.parametrize("regions", [None, [], ["CN-GD", "VN-SG"], "CN-XJ"])
def test_s010_stays_silent_without_xinjiang_inputs(regions: Any) -> None:
    attributes: dict[str, Any] = {"fiberComposition": "100% cotton"}
    if regions is not None:
        attributes["inputRegions"] = regions
    outcome = run12(goods("6109.10.0012", "VN", "Cotton T-shirt, crew neck", attributes=attributes))
    assert messages_of(outcome, "S-010") == []


@pytest.mark.parametrize(
    "name",
    [
        "Hoshine Silicon Industry (Shanshan) Co., Ltd.",
        "HOSHINE SILICON INDUSTRY CO LTD",
        "hoshine silicon industry company limited",
        "Ashele Copper",  # an alias
        "Xinjiang Daqin Energy Co. Ltd",  # an alias, other punctuation
    ],
)
def test_s011_entity_list_matches_spellings_and_aliases(name: str) -> None:
    maker = MAKER.model_copy(update={"name": name})
    outcome = run12(
        goods("2804.61.0000", "MY", "Polysilicon chunks, solar grade", manufacturer=maker)
    )
    found = messages_of(outcome, "S-011")
    assert [(m.code, m.severity) for m in found] == [("UFLPA_ENTITY_LIST", "ERROR")]


@pytest.mark.parametrize(
    "name", ["Hoshine Solar Trading", "Camel Outdoor Co., Ltd.", "Silicon Industry Co."]
)
def test_s011_stays_silent_for_other_names(name: str) -> None:
    maker = MAKER.model_copy(update={"name": name})
    outcome = run12(
        goods("2804.61.0000", "MY", "Polysilicon chunks, solar grade", manufacturer=maker)
    )
    assert messages_of(outcome, "S-011") == []


def test_name_key_drops_case_punctuation_legal_form_and_place() -> None:
    forms = PACK_12.measures.uflpa_entity_list.legal_form_words  # type: ignore[union-attr]
    assert (
        name_key("Hoshine Silicon Industry (Shanshan) Co., Ltd.", forms)
        == "hoshine silicon industry"
    )
    assert name_key("Camel Group Co., Ltd.", forms) == "camel group"
    entity_list = PACK_12.measures.uflpa_entity_list
    assert entity_list is not None
    assert entity_list.find("") is None
    assert entity_list.find("Co., Ltd.") is None  # nothing but legal form matches nothing


# --- E-005 AD/CVD ------------------------------------------------------------------------------

BEDROOM_CN = goods("9403.50.9045", "CN", "Wooden bedroom dresser, six drawers")


def test_e005_adcvd_goods_take_a_formal_entry_at_any_value() -> None:
    outcome = run12(BEDROOM_CN)
    found = messages_of(outcome, "E-005")
    assert [(m.code, m.severity) for m in found] == [("ADCVD_RISK", "WARNING")]
    assert "A-570-890" in found[0].message
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "03"}
    assert outcome.strategy_hint.code == "PER_ORDER_FORMAL_ENTRY"
    assert outcome.readiness_state == "REVIEW_REQUIRED"


def test_e005_never_leaves_an_adcvd_only_plan_informal() -> None:
    two = snapshot(
        orders=[order("ord_1"), order("ord_2")],
        products=[
            product(
                hsCode="9404.21.0010",
                countryOfOrigin="VN",
                description="Foam mattress, queen size",
                manufacturer=MAKER,
            )
        ],
    )
    outcome = run12(two)
    assert outcome.strategy_hint.code != "PER_ORDER_INFORMAL_ENTRY"
    assert set(outcome.strategy_hint.entry_type_hints.values()) == {"03"}
    assert [u.entry_type for u in outcome.export_units] == ["03"]


@pytest.mark.parametrize(
    ("hs_code", "origin"),
    [("9403.50.9045", "VN"), ("9403.50.9045", "PT"), ("6912.00.4810", "CN")],
)
def test_e005_stays_silent_outside_the_table(hs_code: str, origin: str) -> None:
    outcome = run12(goods(hs_code, origin, "Wooden bedroom dresser, six drawers"))
    assert messages_of(outcome, "E-005") == []
    assert outcome.strategy_hint.entry_type_hints.get("ord_1") != "03"


def test_e005_needs_the_new_pack() -> None:
    assert messages_of(run12(BEDROOM_CN, PACK), "E-005") == []


# --- E-006 bond --------------------------------------------------------------------------------

FORMAL = snapshot(orders=[order(line_value=Decimal("1500"), lines=[("prod_mug", 2)])])


def test_e006_formal_entry_without_a_bond() -> None:
    outcome = run12(FORMAL)
    found = messages_of(outcome, "E-006")
    assert [(m.code, m.severity, m.order_id) for m in found] == [
        ("BOND_NOT_ON_FILE", "WARNING", None)
    ]
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert messages_of(run12(BEDROOM_CN), "E-006")  # AD/CVD (03) is formal too


@pytest.mark.parametrize(
    "snap",
    [
        FORMAL.model_copy(update={"broker": broker(hasCustomsBond=True)}),
        snapshot(),  # informal
    ],
    ids=["bond-on-file", "informal"],
)
def test_e006_stays_silent(snap: PlanningSnapshot) -> None:
    assert messages_of(run12(snap), "E-006") == []


def test_e006_the_bond_counts_in_the_plan_hash_only_under_the_new_pack() -> None:
    bonded = FORMAL.model_copy(update={"broker": broker(hasCustomsBond=True)})
    assert plan_hash(bonded, PACK_12) != plan_hash(FORMAL, PACK_12)
    assert plan_hash(bonded, PACK) == plan_hash(FORMAL, PACK)


# --- T-008, T-002, T-004 ---------------------------------------------------------------------


def test_t008_hong_kong_is_marked_china_and_stays_outside_301() -> None:
    outcome = run12(goods("6912.00.4810", "HK", "Glazed stoneware coffee mug, 350 ml"))
    assert "MARKING_HK_AS_CHINA" in {f.code for f in outcome.flags}
    assert "TARIFF_301_CHINA" not in {f.code for f in outcome.flags}
    china = run12(goods("6912.00.4810", "CN", "Glazed stoneware coffee mug, 350 ml"))
    assert "MARKING_HK_AS_CHINA" not in {f.code for f in china.flags}


@pytest.mark.parametrize(
    ("hs_code", "fires"),
    [
        ("7407.10.1500", True),
        ("7419.80.5050", True),
        ("8544.42.9090", True),
        ("7403.11.0000", False),  # cathodes
        ("7404.00.3020", False),  # scrap
        ("2603.00.0010", False),  # ores and concentrates
    ],
)
def test_t002_copper_scope(hs_code: str, fires: bool) -> None:
    outcome = run12(
        goods(hs_code, "CL", "Copper goods for electrical use", attributes={"metalOrigin": "CL"})
    )
    assert bool(messages_of(outcome, "T-002")) is fires


@pytest.mark.parametrize(
    ("hs_code", "fires"),
    [
        ("8704.22.5000", True),
        ("8702.10.3100", True),
        ("8701.21.0010", True),
        ("8708.29.5060", True),
        ("8709.11.0000", True),
        ("8712.00.1510", False),
    ],
)
def test_t004_trucks_buses_and_parts(hs_code: str, fires: bool) -> None:
    outcome = run12(goods(hs_code, "DE", "Vehicle or vehicle part for road use"))
    assert bool(messages_of(outcome, "T-004")) is fires


def test_e004_does_not_group_orders_without_a_street() -> None:
    from domain.planning.models import Consignee

    blank = [
        order(oid, line_value=Decimal("750"), consignee=Consignee(name=name, address=" "))
        for oid, name in (("ord_1", "Alice"), ("ord_2", "Bob"))
    ]
    outcome = run12(snapshot(orders=blank))
    assert messages_of(outcome, "E-004") == []
    assert outcome.readiness_state == "READY"


def test_e004_leaves_out_orders_on_a_formal_entry() -> None:
    from domain.planning.models import Consignee

    home = Consignee(name="Jane Doe", address="5 Main Street")
    mug = product(manufacturer=MAKER)
    dresser = product("prod_dresser", hsCode="9403.50.9045", countryOfOrigin="CN",
                      description="Wooden bedroom dresser, six drawers", manufacturer=MAKER)  # fmt: skip
    snap = snapshot(
        orders=[
            order("ord_1", line_value=Decimal("750"), consignee=home),
            order("ord_2", lines=[("prod_dresser", 2)], line_value=Decimal("750"), consignee=home),
        ],
        products=[mug, dresser],
    )
    outcome = run12(snap)
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "11", "ord_2": "03"}
    assert messages_of(outcome, "E-004") == []
