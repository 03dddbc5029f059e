"""The shipped rule pack loads, normalizes its lists and hashes its content."""

import re
from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.rulepack.model import RulePack, RulePackNotFoundError, load_rule_pack
from tests.support.planning_builders import PACK, pack_with


def test_default_pack_is_the_november_2026_one_and_cached() -> None:
    assert PACK.version == "us-2026.11"
    assert load_rule_pack() is load_rule_pack("us-2026.11")


def test_thresholds_are_exact_decimals() -> None:
    assert PACK.thresholds.min_plausible_unit_value_usd == Decimal("1.00")
    assert PACK.thresholds.max_incomplete_hts_share == Decimal("0.25")
    assert PACK.measures.informal_entry.limit_usd == Decimal(2500)
    assert PACK.measures.informal_entry.chapter99_cap_usd == Decimal(250)
    assert PACK.measures.de_minimis.enabled is False


def test_hts_lists_are_expanded_to_digit_prefixes() -> None:
    assert PACK.measures.russia.prohibited_hts == (
        "03", "1604", "1605", "2203", "2204", "2205", "2206", "2207", "2208",
        "7102", "2701", "2709", "2710", "2711",
    )  # fmt: skip
    assert PACK.hts.textile_chapters == tuple(str(n) for n in range(50, 64))
    assert "851650" in PACK.measures.pga_map.entries[3].prefixes


def test_terms_are_case_folded() -> None:
    assert "aaa quality" in PACK.terms.counterfeit


def test_every_dated_measure_has_dates_in_order() -> None:
    measures = PACK.dated_measures()
    assert len(measures) == 14
    for _, measure in measures:
        assert measure.effective_from <= measure.review_by
        # a pack must not be stale on the day it ships
        assert measure.review_by > date(2026, 11, 30)


def test_pga_map_covers_g001_to_g013() -> None:
    rule_ids = {e.rule_id for e in PACK.measures.pga_map.entries}
    assert rule_ids == {f"G-{n:03d}" for n in range(1, 14)}


def test_content_hash_is_hex_and_follows_content() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", PACK.content_hash)
    assert pack_with({}).content_hash == PACK.content_hash
    assert pack_with({"thresholds.minDescriptionChars": 13}).content_hash != PACK.content_hash
    assert PACK.model_copy(update={"version": "us-2099.01"}).content_hash != PACK.content_hash


@pytest.mark.parametrize("version", ["us-2001.01", "../rulepacks/us-2026.11", "US-2026.11", ""])
def test_unknown_or_malformed_versions_are_not_found(version: str) -> None:
    with pytest.raises(RulePackNotFoundError):
        load_rule_pack(version)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("measures.section232Copper.prefixes", ["74-7"]),
        ("measures.section232Copper.prefixes", ["7408-7406"]),
        ("measures.section232Copper.prefixes", ["74x"]),
        ("measures.section232Copper.prefixes", ["744"]),
        ("measures.deMinimis.reviewBy", date(2020, 1, 1)),
    ],
)
def test_malformed_pack_content_is_rejected(path: str, value: object) -> None:
    with pytest.raises(ValidationError):
        pack_with({path: value})


def test_unknown_keys_are_rejected() -> None:
    data = PACK.model_dump()
    data["thresholds"]["maxOrderValue"] = 1
    with pytest.raises(ValidationError):
        RulePack.model_validate(data)
