"""The rule pack: every threshold, list and dated measure planning uses, loaded from TOML."""

import hashlib
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import Any, Self

from pydantic import model_validator

from domain.canonical import canonical_json
from domain.rulepack.base import Codes, DatedMeasure, HtsPrefixes, PackModel, Terms, added
from domain.rulepack.entities import FccCoveredEquipment, UflpaEntityList
from domain.rulepack.measures import (
    AdcvdOrders,
    ControlledThc,
    CountrySurcharge,
    CustomsBond,
    DeMinimis,
    DeniedPartyScreening,
    FccCoveredUas,
    HongKongMarking,
    HtsMeasure,
    InformalChapter99Cap,
    InformalEntry,
    ManufacturerIdRule,
    OriginMeasure,
    PgaMap,
    PostalEntry,
    RegionSanctions,
    RussiaInputs,
    RussiaProhibitions,
    Uflpa,
)

DEFAULT_VERSION = "us-2026.11"
# packs that must cite a source on every dated measure (and may use the fields added with it)
SOURCED_FORMAT = 2
# packs whose measures may come into force after the pack itself (their rules check the date)
DATED_RULES_FORMAT = 3
_VERSION_PATTERN = re.compile(r"^[a-z]{2}-\d{4}\.\d{2}$")


class RulePackNotFoundError(LookupError):
    """No rule pack of that version ships with this build."""


class Measures(PackModel):
    de_minimis: DeMinimis
    informal_entry: InformalEntry
    embargoed_origins: OriginMeasure
    column2_origins: OriginMeasure
    russia: RussiaProhibitions
    ukraine_occupied_regions: RegionSanctions
    uflpa: Uflpa
    section232_steel_aluminum: HtsMeasure
    section232_copper: HtsMeasure
    section232_wood: HtsMeasure
    section232_vehicles: HtsMeasure
    section301_china: OriginMeasure
    fcc_covered_uas: FccCoveredUas
    pga_map: PgaMap
    # added in us-2026.12 (absent from older packs: those rules do not run there)
    informal_chapter99_cap: InformalChapter99Cap | None = added()
    hong_kong_marking: HongKongMarking | None = added()
    uflpa_entity_list: UflpaEntityList | None = added()
    adcvd_orders: AdcvdOrders | None = added()
    customs_bond: CustomsBond | None = added()
    # added in us-2027.01
    section232_semiconductors: HtsMeasure | None = added()
    section232_pharma: HtsMeasure | None = added()
    section301_nicaragua: OriginMeasure | None = added()
    section301_forced_labor: OriginMeasure | None = added()
    section301_brazil: OriginMeasure | None = added()
    country_surcharge: CountrySurcharge | None = added()
    russia_inputs: RussiaInputs | None = added()
    fcc_covered_equipment: FccCoveredEquipment | None = added()
    controlled_thc: ControlledThc | None = added()
    postal_entry: PostalEntry | None = added()
    manufacturer_id: ManufacturerIdRule | None = added()
    denied_party_screening: DeniedPartyScreening | None = added()


class HtsStructure(PackModel):
    nomenclature: str
    valid_lengths: tuple[int, ...]
    full_length: int
    reserved_chapters: Codes
    special_provision_chapters: Codes
    additional_duty_chapters: Codes
    textile_chapters: HtsPrefixes
    metal_origin_chapters: HtsPrefixes


class Thresholds(PackModel):
    min_plausible_unit_value_usd: Decimal
    min_description_chars: int
    max_incomplete_hts_share: Decimal


class TermLists(PackModel):
    vague: Terms
    filler: Terms
    counterfeit: Terms


class RulePack(PackModel):
    """One versioned rule pack."""

    version: str
    title: str
    # plans dated from this day on use this pack (the newest one that is effective)
    effective_from: date | None = added()
    format_version: int | None = added()
    supported_destinations: Codes
    domestic_origin: str
    restricted_arms_explosives_hts: HtsPrefixes
    hts: HtsStructure
    thresholds: Thresholds
    terms: TermLists
    measures: Measures

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> "RulePack":
        """A copy; its content hash is computed afresh (the cache must not travel with it)."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop("content_hash", None)
        return copy

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON of the pack's effective (normalized) content."""
        return hashlib.sha256(canonical_json(self.model_dump(mode="json"))).hexdigest()

    def dated_measures(self) -> list[tuple[str, DatedMeasure]]:
        """Every dated measure with its name in the pack (`deMinimis`), in pack order."""
        named = (
            (field.alias or name, getattr(self.measures, name))
            for name, field in Measures.model_fields.items()
        )
        return [(name, measure) for name, measure in named if measure is not None]

    @model_validator(mode="after")
    def _sourced(self) -> Self:
        if (self.format_version or 1) >= SOURCED_FORMAT:
            if self.effective_from is None:
                raise ValueError("a pack of this format needs effectiveFrom")
            unsourced = [name for name, m in self.dated_measures() if not m.sources]
            if unsourced:
                raise ValueError(f"dated measures without sources: {', '.join(unsourced)}")
        return self


@lru_cache(maxsize=1)
def shipped_versions() -> tuple[str, ...]:
    """Every pack version this build ships, oldest first (read once: they ship with the build)."""
    names = (r.name for r in files("domain.rulepack.packs").iterdir())
    return tuple(sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml")))


def pack_for(plan_date: date) -> RulePack:
    """The pack plans of this date use: the newest pack effective on that day."""
    effective = [
        pack
        for pack in map(load_rule_pack, shipped_versions())
        if pack.effective_from is None or pack.effective_from <= plan_date
    ]
    if not effective:
        raise RulePackNotFoundError(f"no rule pack is effective on {plan_date.isoformat()}")
    return max(effective, key=lambda pack: (pack.effective_from or date.min, pack.version))


def load_rule_pack(version: str = DEFAULT_VERSION) -> RulePack:
    """Load and validate the pack shipped as `domain/rulepacks/<version>.toml` (cached)."""
    # one cache key per version, however the caller spelled the call
    return _load(version)


@lru_cache(maxsize=8)
def _load(version: str) -> RulePack:
    if not _VERSION_PATTERN.match(version):
        raise RulePackNotFoundError(version)
    resource = files("domain.rulepack.packs").joinpath(f"{version}.toml")
    if not resource.is_file():
        raise RulePackNotFoundError(version)
    # Decimal for floats: thresholds are money and shares, compared exactly
    data = tomllib.loads(resource.read_text(encoding="utf-8"), parse_float=Decimal)
    pack = RulePack.model_validate(data)
    if pack.version != version:
        raise ValueError(f"pack file {version}.toml declares version {pack.version!r}")
    return pack
