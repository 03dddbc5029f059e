"""Rule pack us-2027.01: its data, the tariff overlays it adds or changes, the new AD/CVD
orders, the postal entry and the planHash; the goods controls, partner agencies, MIDs and
denied-party screening are in test_rulepack_us_2027_01_controls.py."""

from datetime import date
from typing import Any

import pytest

from domain.planning import findings
from domain.planning.models import PlanningSnapshot
from domain.planning.plan_hash import hash_input, plan_hash
from domain.rulepack.model import RulePack, load_rule_pack, pack_for, shipped_versions
from tests.support.golden_plan import GOLDEN_SNAPSHOT
from tests.support.pack_2027 import DAY, PACK_12, PACK_27, SCREENING, fired, goods, run27
from tests.support.planning_builders import messages_of, snapshot

# --- the pack file -------------------------------------------------------------------------


def test_the_new_pack_ships_and_the_plan_date_chooses() -> None:
    assert "us-2027.01" in shipped_versions()
    assert pack_for(date(2026, 12, 7)).version == "us-2027.01"
    assert pack_for(date(2026, 12, 6)).version == "us-2026.12"
    assert run27(snapshot()).ruleset_version == "us-2027.01"


def test_every_dated_measure_has_sources_and_a_review_date() -> None:
    measures = PACK_27.dated_measures()
    assert len(measures) == 31
    for name, measure in measures:
        assert measure.sources, name
        assert all(s.startswith(("https://", "http://")) for s in measure.sources), name
        assert measure.review_by > date(2026, 12, 7), name


@pytest.mark.parametrize("measure", ["section301Nicaragua", "controlledThc", "postalEntry"])
@pytest.mark.parametrize("missing", ["sources", "reviewBy"])
def test_a_dated_measure_without_source_or_review_date_is_refused(
    measure: str, missing: str
) -> None:
    data = PACK_27.model_dump(exclude_unset=True)
    del data["measures"][measure][missing]
    with pytest.raises(ValueError, match=rf"{measure}|reviewBy"):
        RulePack.model_validate(data)


def test_the_dumped_pack_loads_back_unchanged() -> None:
    assert RulePack.model_validate(PACK_27.model_dump(exclude_unset=True)) == PACK_27


def test_the_older_packs_keep_their_content_hash() -> None:
    assert (
        load_rule_pack("us-2026.11").content_hash
        == "97913fc4f777b9304aba812772b5662141e926de097af280a6c0c465b1b4220b"
    )
    assert PACK_12.content_hash == (
        "5e3f2d93632c91b80de063841c82151048101213445306084a73ec4f092d3c66"
    )


# --- T-001, T-002, T-004, T-009, T-010 ------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "description"),
    [
        ("4011.10.1010", "Radial passenger car tyre 205/55R16"),
        ("8507.60.0020", "Lithium-ion battery module for cars"),
        ("9401.20.0000", "Vehicle seat, driver side, fabric"),
        ("8512.20.4040", "LED headlamp assembly for cars"),
    ],
)
def test_t004_vehicle_parts_outside_chapter_87(hs_code: str, description: str) -> None:
    outcome = run27(goods(hs_code, "DE", description))
    assert fired(outcome, "T-004") == [("TARIFF_232_VEHICLES", "INFO")]
    assert outcome.excluded_order_ids == []


def test_t004_stays_silent_on_a_mug() -> None:
    assert fired(run27(goods("6912.00.4810", "DE")), "T-004") == []


@pytest.mark.parametrize(
    ("rule_id", "code", "hs_code", "description"),
    [
        ("T-001", "TARIFF_232_STEEL_ALUMINUM", "8418.10.0010", "Refrigerator-freezer, combined"),
        ("T-001", "TARIFF_232_STEEL_ALUMINUM", "7318.15.5051", "Steel hex bolts, M8, box of 100"),
        ("T-002", "TARIFF_232_COPPER", "7407.10.1500", "Refined copper bars, 10 mm"),
        ("T-002", "TARIFF_232_COPPER", "8544.42.9090", "Insulated copper power cable, 3 m"),
        ("T-009", "TARIFF_232_SEMICONDUCTORS", "8471.50.0150", "Server processing unit, rack"),
        ("T-010", "TARIFF_232_PHARMA", "3004.90.9210", "Tablets of a patented medicine"),
    ],
)
def test_232_overlays_fire_on_listed_codes(
    rule_id: str, code: str, hs_code: str, description: str
) -> None:
    snap = goods(hs_code, "DE", description, attributes={"metalOrigin": "DE"})
    outcome = run27(snap)
    assert fired(outcome, rule_id) == [(code, "INFO")]
    assert outcome.excluded_order_ids == []
    assert code in {f.code for f in outcome.flags}


@pytest.mark.parametrize(
    ("rule_id", "hs_code", "description"),
    [
        ("T-001", "7201.10.0000", "Non-alloy pig iron in pigs"),
        ("T-002", "7403.11.0000", "Refined copper cathodes"),
        ("T-009", "8471.30.0100", "Portable laptop computer, 14 inch"),
        ("T-010", "3004.90.9290", "Generic paracetamol tablets, 500 mg"),
    ],
)
def test_232_overlays_stay_silent_on_unlisted_codes(
    rule_id: str, hs_code: str, description: str
) -> None:
    snap = goods(hs_code, "DE", description, attributes={"metalOrigin": "DE"})
    assert fired(run27(snap), rule_id) == []


# --- T-011, T-012, T-013 ---------------------------------------------------------------------

SHIRT = {"attributes": {"fiberComposition": "100% cotton"}}


def test_t011_nicaragua_comes_into_force_on_january_first() -> None:
    snap = goods("6109.10.0012", "NI", "Cotton T-shirt, crew neck", **SHIRT)
    outcome = run27(snap, date(2027, 1, 1))
    assert fired(outcome, "T-011") == [("TARIFF_301_NICARAGUA", "INFO")]
    assert outcome.ruleset_version == "us-2027.01"
    assert fired(run27(snap, date(2026, 12, 31)), "T-011") == []


def test_t011_stays_silent_for_other_origins_in_2027() -> None:
    snap = goods("6109.10.0012", "HN", "Cotton T-shirt, crew neck", **SHIRT)
    assert fired(run27(snap, date(2027, 1, 1)), "T-011") == []


@pytest.mark.parametrize(
    ("rule_id", "code", "origin"),
    [
        ("T-012", "TARIFF_301_FORCED_LABOR", "VN"),
        ("T-012", "TARIFF_301_FORCED_LABOR", "DE"),
        ("T-013", "TARIFF_301_BRAZIL", "BR"),
    ],
)
def test_301_origin_overlays_fire(rule_id: str, code: str, origin: str) -> None:
    outcome = run27(goods("6912.00.4810", origin))
    assert fired(outcome, rule_id) == [(code, "INFO")]
    assert outcome.excluded_order_ids == []


@pytest.mark.parametrize(("rule_id", "origin"), [("T-012", "KE"), ("T-013", "AR")])
def test_301_origin_overlays_stay_silent_for_unlisted_origins(rule_id: str, origin: str) -> None:
    assert fired(run27(goods("6912.00.4810", origin)), rule_id) == []


def test_no_ieepa_reciprocal_or_section_122_code_exists() -> None:
    pga_codes = {entry.code for entry in PACK_27.measures.pga_map.entries}
    every_code = {code for code, _ in findings.RULES.values()} | pga_codes
    assert "TARIFF_301_NICARAGUA" in every_code
    for code in every_code:
        assert not any(word in code for word in ("IEEPA", "RECIPROCAL", "122")), code
    surcharge = PACK_27.measures.country_surcharge
    assert surcharge is not None
    assert surcharge.enabled is False


# --- E-005 AD/CVD: the new orders --------------------------------------------------------------

ADCVD_FIRES = [
    ("4011.10.1010", "KR", "Radial passenger car tyre 205/55R16", ["A-580-908 (KR)"]),
    ("4011.10.1010", "TH", "Radial passenger car tyre 205/55R16", ["A-549-842 (TH)"]),
    ("4011.10.1010", "TW", "Radial passenger car tyre 205/55R16", ["A-583-869 (TW)"]),
    ("4011.10.1010", "VN", "Radial passenger car tyre 205/55R16", ["C-552-829"]),
    ("7615.10.3015", "CN", "Disposable aluminium foil pans", ["A-570-170", "C-570-171"]),
    ("4823.69.0040", "CN", "Paper plates, 9 inch, pack of 50", ["A-570-164 (CN)"]),
    ("4823.69.0040", "TH", "Paper plates, 9 inch, pack of 50", ["A-549-849 (TH)"]),
    ("4823.69.0040", "VN", "Paper plates, 9 inch, pack of 50", ["A-552-839 (VN)"]),
]


@pytest.mark.parametrize(("hs_code", "origin", "description", "cases"), ADCVD_FIRES)
def test_e005_new_orders_ask_for_a_formal_entry(
    hs_code: str, origin: str, description: str, cases: list[str]
) -> None:
    outcome = run27(goods(hs_code, origin, description, attributes={"metalOrigin": origin}))
    found = messages_of(outcome, "E-005")
    assert [(m.code, m.severity) for m in found] == [("ADCVD_RISK", "WARNING")]
    assert all(case in found[0].message for case in cases)
    assert outcome.strategy_hint.entry_type_hints == {"ord_1": "03"}
    assert outcome.readiness_state == "REVIEW_REQUIRED"


@pytest.mark.parametrize(
    ("origin", "cases"), [("CN", ["A-570-164", "C-570-165"]), ("VN", ["A-552-839", "C-552-840"])]
)
def test_e005_paper_plates_name_both_their_ad_and_cvd_cases(origin: str, cases: list[str]) -> None:
    outcome = run27(goods("4823.69.0040", origin, "Paper plates, 9 inch, pack of 50"))
    message = " ".join(m.message for m in messages_of(outcome, "E-005"))
    assert all(case in message for case in cases)


@pytest.mark.parametrize(
    ("hs_code", "origin", "description"),
    [
        ("4011.10.1010", "JP", "Radial passenger car tyre 205/55R16"),
        ("7615.10.3015", "TR", "Disposable aluminium foil pans"),
        ("4823.69.0040", "MX", "Paper plates, 9 inch, pack of 50"),
    ],
)
def test_e005_stays_silent_for_another_origin(hs_code: str, origin: str, description: str) -> None:
    outcome = run27(goods(hs_code, origin, description, attributes={"metalOrigin": origin}))
    assert fired(outcome, "E-005") == []
    assert outcome.strategy_hint.entry_type_hints.get("ord_1") != "03"


# --- the postal entry ------------------------------------------------------------------------


def test_d006_excludes_a_short_code_by_mail_and_warns_by_parcel() -> None:
    by_mail = run27(goods("6912.00.48", mode="POSTAL"))
    assert fired(by_mail, "D-006") == [("HTS_NOT_10_DIGIT", "ERROR")]
    assert by_mail.excluded_order_ids == ["ord_1"]
    assert by_mail.decisions[0].decision == "EXCLUDED"
    by_parcel = run27(goods("6912.00.48"))
    assert fired(by_parcel, "D-006") == [("HTS_NOT_10_DIGIT", "WARNING")]
    assert by_parcel.included_order_ids == ["ord_1"]
    assert by_parcel.readiness_state == "REVIEW_REQUIRED"


def test_d006_stays_silent_on_a_full_code_by_mail() -> None:
    outcome = run27(goods("6912.00.4810", mode="POSTAL"))
    assert fired(outcome, "D-006") == []
    assert outcome.included_order_ids == ["ord_1"]


PLATES_CN = ("4823.69.0040", "CN", "Paper plates, 9 inch, pack of 50")


def test_e005_adcvd_goods_by_mail_are_excluded() -> None:
    by_mail = run27(goods(*PLATES_CN, mode="POSTAL"))
    # one finding, the exclusion: the entry stage does not add its review on top
    assert fired(by_mail, "E-005") == [("ADCVD_RISK", "ERROR")]
    assert by_mail.excluded_order_ids == ["ord_1"]
    by_parcel = run27(goods(*PLATES_CN))
    assert fired(by_parcel, "E-005") == [("ADCVD_RISK", "WARNING")]
    assert by_parcel.included_order_ids == ["ord_1"]


def test_e005_by_mail_stays_silent_without_an_order() -> None:
    outcome = run27(goods("4823.69.0040", "MX", "Paper plates, 9 inch, pack of 50", mode="POSTAL"))
    assert fired(outcome, "E-005") == []
    assert outcome.included_order_ids == ["ord_1"]


FOOD = ("2106.90.9998", "PT", "Protein powder, vanilla flavour, 1 kg")


def test_food_by_mail_carries_the_postal_prior_notice_message() -> None:
    postal = PACK_27.measures.postal_entry
    assert postal is not None
    by_mail = messages_of(run27(goods(*FOOD, mode="POSTAL")), "G-001")
    assert [(m.code, m.severity) for m in by_mail] == [("PGA_FDA_FOOD_PRIOR_NOTICE", "WARNING")]
    assert by_mail[0].message.startswith(postal.food_message)
    by_parcel = messages_of(run27(goods(*FOOD)), "G-001")
    ordinary = next(e for e in PACK_27.measures.pga_map.entries if e.rule_id == "G-001")
    assert by_parcel[0].message.startswith(ordinary.message)
    assert postal.food_message not in by_parcel[0].message


# --- planHash --------------------------------------------------------------------------------

GOLDEN_LIST_VERSION = "csl-2026-12-01-2e78cd60"
GOLDEN_27 = "sha256:a6365b605e5a09de82163f9be21bc71b2b84c0e0af244ecbef536fd927198e32"


def golden(**changes: Any) -> PlanningSnapshot:
    """The golden snapshot with a screening list version (and `changes`) set."""
    data = {**GOLDEN_SNAPSHOT, "screeningListVersion": GOLDEN_LIST_VERSION, **changes}
    return PlanningSnapshot.model_validate(data)


def test_golden_hash_under_the_new_pack() -> None:
    under_27 = plan_hash(golden(), PACK_27, plan_date=DAY)
    assert under_27 == GOLDEN_27
    assert under_27 != plan_hash(golden(), PACK_12, plan_date=DAY)
    assert SCREENING.version == GOLDEN_LIST_VERSION
    assert run27(golden()).plan_hash == GOLDEN_27


def test_the_hash_follows_the_screening_list_version() -> None:
    moved = golden(screeningListVersion="csl-2026-12-02-00000000")
    assert plan_hash(moved, PACK_27, plan_date=DAY) != GOLDEN_27
    assert plan_hash(moved, PACK_12, plan_date=DAY) == plan_hash(golden(), PACK_12, plan_date=DAY)


def thc_hash(amount: str | None) -> str:
    """planHash of a food product with this THC amount per container (None: not given)."""
    attributes: dict[str, Any] = {} if amount is None else {"thcMgPerContainer": amount}
    return plan_hash(goods("2106.90.9998", attributes=attributes), PACK_27, plan_date=DAY)


@pytest.mark.parametrize(("before", "after"), [(None, "5"), ("5", "0.2"), ("0.2", "0.3")])
def test_the_hash_follows_the_thc_amount(before: str | None, after: str) -> None:
    assert thc_hash(before) != thc_hash(after)


def test_the_hash_ignores_how_the_thc_amount_is_written_and_older_packs_ignore_it() -> None:
    assert thc_hash("0.2") == thc_hash("0.20")
    assert plan_hash(
        goods("2106.90.9998", attributes={"thcMgPerContainer": "5"}), PACK_12, plan_date=DAY
    ) == plan_hash(goods("2106.90.9998"), PACK_12, plan_date=DAY)


def test_the_hash_moves_when_the_plan_date_crosses_into_2027() -> None:
    snap = golden()
    december, january = date(2026, 12, 31), date(2027, 1, 1)
    assert plan_hash(snap, PACK_27, plan_date=january) != plan_hash(
        snap, PACK_27, plan_date=december
    )
    before, after = hash_input(snap, PACK_27, december), hash_input(snap, PACK_27, january)
    assert before["pendingMeasures"] == ["section301Nicaragua"]
    assert after["pendingMeasures"] == []
    assert before["staleMeasures"] == after["staleMeasures"]
