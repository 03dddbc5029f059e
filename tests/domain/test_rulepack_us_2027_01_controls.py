"""Rule pack us-2027.01: the goods controls it adds (S-008, S-011…S-015, P-005), the agency
rows it adds or changes (G-006, G-008, G-012, G-014, G-015) and the MID (D-019), each made to
fire and kept silent."""

from datetime import date
from typing import Any

import pytest

from domain.mid import manufacturer_id
from domain.planning.models import Consignee, Manufacturer, PlanningSnapshot
from domain.planning.planner import plan
from services.exports.queue import reason_counts
from tests.support.pack_2027 import (
    DAY,
    MAKER,
    PACK_12,
    PACK_27,
    SCREENING,
    SDN_ENTRY,
    fired,
    goods,
    run27,
)
from tests.support.planning_builders import messages_of, order, product, snapshot

# --- S-012 Russian inputs ----------------------------------------------------------------------

COD = ("0303.63.0000", "CN", "Frozen Atlantic cod, whole, gutted")
SALMON = ("1604.11.4000", "CN", "Canned pink salmon fillets, 200 g")


@pytest.mark.parametrize("fish", [COD, SALMON], ids=["cod", "salmon"])
@pytest.mark.parametrize("regions", [["RU"], ["RU-MOW"], ["ru-mow", "CN-LN"]])
def test_s012_seafood_with_russian_inputs_is_excluded(
    fish: tuple[str, str, str], regions: list[str]
) -> None:
    outcome = run27(goods(*fish, attributes={"inputRegions": regions}))
    assert fired(outcome, "S-012") == [("ORIGIN_RU_INPUTS", "ERROR")]
    assert outcome.excluded_order_ids == ["ord_1"]
    assert outcome.decisions[0].decision == "EXCLUDED"


@pytest.mark.parametrize(
    ("fish", "attributes"),
    [
        (COD, {}),
        (COD, {"inputRegions": ["NO", "CN-LN"]}),
        (COD, {"inputRegions": "RU"}),
        (("0303.54.0000", "CN", "Frozen Atlantic mackerel, whole"), {"inputRegions": ["RU"]}),
    ],
    ids=["no-inputs", "other-inputs", "not-a-list", "mackerel-not-listed"],
)
def test_s012_stays_silent_without_russian_inputs_or_for_other_fish(
    fish: tuple[str, str, str], attributes: dict[str, Any]
) -> None:
    outcome = run27(goods(*fish, attributes=attributes))
    assert fired(outcome, "S-012") == []
    assert outcome.excluded_order_ids == []


DIAMOND = ("7102.39.0010", "IN", "Polished diamond, round brilliant cut")


@pytest.mark.parametrize("carats", [1.2, "0.5", None], ids=["1.2", "0.5", "not-given"])
def test_s012_russian_diamonds_from_half_a_carat_or_of_unknown_weight(carats: Any) -> None:
    attributes: dict[str, Any] = {"inputRegions": ["RU"]}
    if carats is not None:
        attributes["caratWeight"] = carats
    outcome = run27(goods(*DIAMOND, attributes=attributes))
    assert fired(outcome, "S-012") == [("ORIGIN_RU_INPUTS", "ERROR")]
    assert outcome.excluded_order_ids == ["ord_1"]
    missing = {m.field for m in outcome.missing_data}
    assert ("attributes.caratWeight" in missing) == (carats is None)


@pytest.mark.parametrize(
    "attributes",
    [{"inputRegions": ["RU"], "caratWeight": 0.3}, {"inputRegions": ["BW"], "caratWeight": 1.2}],
    ids=["small", "not-russian"],
)
def test_s012_small_or_other_diamonds_stay_silent(attributes: dict[str, Any]) -> None:
    outcome = run27(goods(*DIAMOND, attributes=attributes))
    assert fired(outcome, "S-012") == []
    assert outcome.excluded_order_ids == []


def test_s012_needs_the_new_pack() -> None:
    outcome = plan(goods(*COD, attributes={"inputRegions": ["RU"]}), PACK_12, DAY)
    assert fired(outcome, "S-012") == []


# --- S-008 drone components ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "description"),
    [
        ("8806.22.0000", "Camera quadcopter, 500 g"),
        ("8807.30.0060", "Drone propeller, carbon fibre, pair"),
        ("8507.60.0020", "Battery for DJI drone, 5000 mAh"),
    ],
)
def test_s008_foreign_drones_and_their_components(hs_code: str, description: str) -> None:
    outcome = run27(goods(hs_code, "CN", description))
    assert fired(outcome, "S-008") == [("FCC_COVERED_LIST_UAS", "WARNING")]
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert outcome.included_order_ids == ["ord_1"]


@pytest.mark.parametrize(
    ("hs_code", "origin", "description"),
    [
        ("8507.60.0020", "CN", "Battery for a laptop, 5000 mAh"),
        ("8507.60.0020", "US", "Battery for DJI drone, 5000 mAh"),
    ],
    ids=["laptop-battery", "us-made"],
)
def test_s008_stays_silent_on_other_batteries(hs_code: str, origin: str, description: str) -> None:
    assert fired(run27(goods(hs_code, origin, description)), "S-008") == []


# --- S-013 FCC Covered List equipment --------------------------------------------------------

HIKVISION = Manufacturer(
    name="Hangzhou Hikvision Digital Technology Co., Ltd.",
    address="555 Qianmo Road",
    city="Hangzhou",
    country="CN",
)
CAMERA = ("8525.89.5050", "CN", "Network video surveillance camera, 4 MP")


def test_s013_covered_maker_on_listed_equipment_asks_for_review() -> None:
    outcome = run27(goods(*CAMERA, manufacturer=HIKVISION))
    found = messages_of(outcome, "S-013")
    assert [(m.code, m.severity) for m in found] == [("FCC_COVERED_EQUIPMENT", "WARNING")]
    assert "Hangzhou Hikvision Digital Technology Company" in found[0].message
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert outcome.included_order_ids == ["ord_1"]


@pytest.mark.parametrize(
    "snap",
    [
        goods("6912.00.4810", "CN", "Glazed stoneware coffee mug", manufacturer=HIKVISION),
        goods(*CAMERA),
        goods(*CAMERA, manufacturer=HIKVISION.model_copy(update={"name": "Hangzhou Vision Ltd"})),
    ],
    ids=["unlisted-heading", "other-maker", "similar-name"],
)
def test_s013_stays_silent(snap: PlanningSnapshot) -> None:
    assert fired(run27(snap), "S-013") == []


# --- S-014 THC -------------------------------------------------------------------------------

GUMMIES = ("1704.90.3550", "PT", "Delta-8 THC gummies, 10 count")
TINCTURE = ("2106.90.9998", "PT", "Hemp THC tincture, 30 ml")


@pytest.mark.parametrize(
    ("item", "attributes", "missing"),
    [
        (GUMMIES, {}, False),
        (TINCTURE, {"thcMgPerContainer": 5}, False),
        (TINCTURE, {}, True),
    ],
    ids=["synthetic", "over-the-limit", "amount-not-given"],
)
def test_s014_controlled_thc_products_are_excluded(
    item: tuple[str, str, str], attributes: dict[str, Any], missing: bool
) -> None:
    outcome = run27(goods(*item, attributes=attributes))
    assert fired(outcome, "S-014") == [("CONTROLLED_SUBSTANCE_THC", "ERROR")]
    assert outcome.excluded_order_ids == ["ord_1"]
    fields = {(m.product_id, m.field) for m in outcome.missing_data}
    assert (("prod_mug", "attributes.thcMgPerContainer") in fields) is missing


@pytest.mark.parametrize(
    ("item", "attributes"),
    [
        (TINCTURE, {"thcMgPerContainer": 0.2}),
        (TINCTURE, {"thcMgPerContainer": "0.4"}),
        (("4202.92.3131", "IN", "Cotton tote bag, natural"), {"fiberComposition": "cotton"}),
    ],
    ids=["under-the-limit", "at-the-limit", "tote-bag"],
)
def test_s014_stays_silent_within_the_limit_or_without_thc(
    item: tuple[str, str, str], attributes: dict[str, Any]
) -> None:
    outcome = run27(goods(*item, attributes=attributes))
    assert fired(outcome, "S-014") == []
    assert outcome.excluded_order_ids == []


def test_s014_stays_silent_before_the_law_took_effect() -> None:
    outcome = run27(goods(*GUMMIES), date(2026, 11, 11))
    assert outcome.ruleset_version == "us-2027.01"
    assert fired(outcome, "S-014") == []
    assert fired(run27(goods(*GUMMIES), date(2026, 11, 12)), "S-014")


# --- S-011 UFLPA Entity List: the newly added entities -------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Zhuhai Pantum Electronics Co., Ltd.",
        "ZHUHAI PANTUM ELECTRONICS CO LTD",
        "Geehy Semiconductor Co. Ltd",
        "Zhuhai Ninestar Information Technology Co., Ltd.",
        "Zhuhai Apex Microelectronics Co Ltd",
        "Zijin Mining Group Co., Ltd.",
    ],
)
def test_s011_new_entities_are_excluded(name: str) -> None:
    printer = goods(
        "8443.32.1050",
        "CN",
        "Laser printer, monochrome",
        manufacturer=MAKER.model_copy(update={"name": name}),
    )
    outcome = run27(printer)
    assert fired(outcome, "S-011") == [("UFLPA_ENTITY_LIST", "ERROR")]
    assert outcome.excluded_order_ids == ["ord_1"]
    assert fired(plan(printer, PACK_12, DAY), "S-011") == []  # not on the older pack's list


@pytest.mark.parametrize("name", ["Zhuhai Pantum Trading", "Ninestar Logistics Co., Ltd."])
def test_s011_stays_silent_for_similar_names(name: str) -> None:
    maker = MAKER.model_copy(update={"name": name})
    outcome = run27(goods("8443.32.1050", "CN", "Laser printer, monochrome", manufacturer=maker))
    assert fired(outcome, "S-011") == []


# --- partner agencies ------------------------------------------------------------------------

PGA_FIRES = [
    ("G-012", "PGA_NHTSA_DOT", "WARNING", "8512.20.4040", "LED headlamp assembly for cars"),
    ("G-012", "PGA_NHTSA_DOT", "WARNING", "6506.10.6030", "Motorcycle helmet, full face"),
    ("G-012", "PGA_NHTSA_DOT", "WARNING", "9401.20.0000", "Infant car seat, rear facing"),
    ("G-014", "PGA_EPA_TSCA", "INFO", "2915.21.0000", "Acetic acid, laboratory grade, 1 l"),
    ("G-014", "PGA_EPA_TSCA", "INFO", "3907.61.0000", "PET resin pellets, bottle grade"),
    ("G-015", "PGA_FWS_WILDLIFE", "WARNING", "4202.21.9000", "Python leather handbag with strap"),
    ("G-015", "PGA_FWS_WILDLIFE", "WARNING", "0507.90.0000", "Deer antlers, naturally shed"),
    ("G-006", "PGA_APHIS_LACEY", "INFO", "1401.10.0000", "Bamboo canes, natural, bundle"),
    (
        "G-008",
        "PGA_CPSC_CERTIFICATE",
        "WARNING",
        "3924.90.5650",
        "Baby bath seat with suction cups",
    ),
    ("G-008", "PGA_CPSC_CERTIFICATE", "WARNING", "6204.62.4011", "Girls cotton trousers, woven"),
    ("G-008", "PGA_CPSC_CERTIFICATE", "WARNING", "6110.20.2079", "Kids cotton sweater, knitted"),
]


@pytest.mark.parametrize(("rule_id", "code", "severity", "hs_code", "description"), PGA_FIRES)
def test_pga_rows_fire(
    rule_id: str, code: str, severity: str, hs_code: str, description: str
) -> None:
    outcome = run27(goods(hs_code, "PT", description, attributes={"fiberComposition": "cotton"}))
    assert fired(outcome, rule_id) == [(code, severity)]
    assert outcome.excluded_order_ids == []
    if severity == "WARNING":
        assert outcome.readiness_state == "REVIEW_REQUIRED"
    else:
        assert code in {f.code for f in outcome.flags}


@pytest.mark.parametrize(
    ("rule_id", "hs_code", "description"),
    [
        ("G-012", "6506.10.6030", "Bicycle helmet with adjustable strap"),
        ("G-012", "9401.20.0000", "Replacement seat for a tractor cab"),
        ("G-014", "3304.99.5000", "Face moisturising cream, 50 ml"),
        ("G-014", "3808.91.2500", "Insecticide spray for gardens"),
        ("G-014", "3004.90.9290", "Generic paracetamol tablets, 500 mg"),
        ("G-015", "4202.31.6000", "Bifold wallet of bovine leather"),
        ("G-008", "6203.42.4011", "Men's cotton trousers, woven"),
        ("G-008", "3924.90.5650", "Plastic bath caddy with suction cups"),
    ],
)
def test_pga_rows_stay_silent(rule_id: str, hs_code: str, description: str) -> None:
    outcome = run27(goods(hs_code, "PT", description, attributes={"fiberComposition": "cotton"}))
    assert fired(outcome, rule_id) == []


def test_g012_bicycle_helmet_stays_a_cpsc_matter() -> None:
    outcome = run27(goods("6506.10.6030", "PT", "Bicycle helmet with adjustable strap"))
    assert fired(outcome, "G-008") == [("PGA_CPSC_CERTIFICATE", "WARNING")]
    assert fired(outcome, "G-012") == []


def test_g006_phase_vii_row_asks_for_the_species() -> None:
    bamboo = ("1401.10.0000", "PT", "Bamboo canes, natural, bundle")
    outcome = run27(goods(*bamboo))
    assert ("ord_1", "prod_mug", "attributes.species") in {
        (m.order_id, m.product_id, m.field) for m in outcome.missing_data
    }
    named = run27(goods(*bamboo, attributes={"species": "Phyllostachys edulis"}))
    assert fired(named, "G-006") == [("PGA_APHIS_LACEY", "INFO")]
    assert "attributes.species" not in {m.field for m in named.missing_data}
    assert fired(plan(goods(*bamboo), PACK_12, DAY), "G-006") == []


# --- D-019 MIDs ----------------------------------------------------------------------------
# --- D-019 MIDs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maker", "reason"),
    [
        (MAKER.model_copy(update={"city": "123"}), "city"),
        (
            Manufacturer(
                name="Maple Leaf Foods Inc",
                address="6985 Financial Drive",
                city="Mississauga",
                country="CA",
            ),
            "province",
        ),
    ],
    ids=["city-without-letters", "canada-without-province"],
)
def test_d019_asks_for_review_when_no_mid_can_be_built(maker: Manufacturer, reason: str) -> None:
    outcome = run27(goods("6912.00.4810", manufacturer=maker))
    found = messages_of(outcome, "D-019")
    assert [(m.code, m.severity) for m in found] == [("MANUFACTURER_ID_UNBUILDABLE", "WARNING")]
    assert reason in found[0].message
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert outcome.decisions[0].lines is not None
    assert outcome.decisions[0].lines[0].manufacturer_id is None


def test_d019_stays_silent_and_each_line_carries_its_mid() -> None:
    canadian = Manufacturer(
        name="Maple Leaf Foods Inc",
        address="6985 Financial Drive",
        city="Mississauga",
        country="CA",
        region="ON",
    )
    maple = product("prod_maple", manufacturer=canadian)
    snap = snapshot(
        orders=[order(lines=[("prod_mug", 2), ("prod_maple", 1)])],
        products=[product(manufacturer=MAKER), maple],
    )
    outcome = run27(snap)
    assert fired(outcome, "D-019") == []
    lines = outcome.decisions[0].lines
    assert lines is not None
    assert [(x.product_id, x.quantity, x.manufacturer_id) for x in lines] == [
        ("prod_mug", 2, "PTFABEXE1POR"),
        ("prod_maple", 1, "XOMAPLEA6985MIS"),
    ]
    assert lines[0].manufacturer_id == manufacturer_id(
        "Fabrica Exemplo Lda", "Rua 1", "Porto", "PT"
    )


def test_lines_are_absent_under_the_older_pack() -> None:
    outcome = plan(
        goods("6912.00.4810", manufacturer=MAKER.model_copy(update={"city": "1"})), PACK_12, DAY
    )
    assert outcome.decisions[0].lines is None
    assert "lines" not in outcome.model_dump(by_alias=True)["decisions"][0]
    assert fired(outcome, "D-019") == []


# --- S-015 and P-005 screening ---------------------------------------------------------------


def with_consignee(name: str, maker: Manufacturer = MAKER) -> PlanningSnapshot:
    """The baseline order sent to `name`, its mug made by `maker`."""
    return snapshot(
        orders=[order(consignee=Consignee(name=name, address="1 Main Street"))],
        products=[product(manufacturer=maker)],
    )


@pytest.mark.parametrize(
    ("snap", "role"),
    [
        (with_consignee("Rosoboronexport"), "Consignee"),
        (
            with_consignee("Jane Doe", MAKER.model_copy(update={"name": "Rosoboron Export"})),
            "Manufacturer",
        ),
    ],
    ids=["consignee", "manufacturer"],
)
def test_s015_a_listed_party_excludes_the_order(snap: PlanningSnapshot, role: str) -> None:
    outcome = run27(snap)
    found = messages_of(outcome, "S-015")
    assert [(m.code, m.severity) for m in found] == [("DENIED_PARTY_MATCH", "ERROR")]
    message = found[0].message
    assert role in message
    assert SDN_ENTRY.source in message
    assert "entry 36201" in message
    assert "score 1.00" in message
    assert outcome.excluded_order_ids == ["ord_1"]
    assert outcome.screening_list_version == SCREENING.version


def test_s015_stays_silent_for_another_name() -> None:
    outcome = run27(with_consignee("Rosa Borges"))
    assert fired(outcome, "S-015") == []
    assert outcome.included_order_ids == ["ord_1"]
    assert outcome.readiness_state == "READY"


def test_p005_without_a_list_the_plan_asks_for_review() -> None:
    outcome = run27(with_consignee("Rosoboronexport"), screening=None)
    assert fired(outcome, "P-005") == [("SCREENING_LIST_MISSING", "WARNING")]
    assert fired(outcome, "S-015") == []
    assert outcome.readiness_state == "REVIEW_REQUIRED"
    assert outcome.screening_list_version is None


def test_p005_stays_silent_with_a_list_and_under_the_older_pack() -> None:
    assert fired(run27(snapshot()), "P-005") == []
    assert fired(plan(snapshot(), PACK_12, DAY), "P-005") == []


def test_a_list_other_than_the_snapshot_names_is_refused() -> None:
    other = snapshot(screening_list_version="csl-2026-11-01-00000000")
    with pytest.raises(ValueError, match="screening list"):
        plan(other, PACK_27, DAY, SCREENING)
    with pytest.raises(ValueError, match="screening list"):
        plan(snapshot(), PACK_27, DAY, SCREENING)


def test_the_queue_shows_why_review_is_needed_before_what_only_informs() -> None:
    toy = run27(goods("9503.00.0073", "DE", "Wooden toy train set with six cars"))
    codes = [code for code, _ in reason_counts(toy)]
    # the review reason leads, though each flag is counted twice (decision and flag list)
    assert codes[0] == "PGA_CPSC_CERTIFICATE"
    assert {"TARIFF_301_FORCED_LABOR", "PGA_APHIS_LACEY"} <= set(codes[1:])
