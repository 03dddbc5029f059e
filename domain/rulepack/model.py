"""The rule pack: every threshold, list and dated measure planning uses, loaded from TOML."""

import hashlib
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cached_property, lru_cache
from importlib.resources import files
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator

from domain.canonical import canonical_json
from domain.terms import name_key
from domain.wire import WireModel

DEFAULT_VERSION = "us-2026.11"
# packs that must cite a source on every dated measure (and may use the fields added with it)
SOURCED_FORMAT = 2
_VERSION_PATTERN = re.compile(r"^[a-z]{2}-\d{4}\.\d{2}$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")


class RulePackNotFoundError(LookupError):
    """No rule pack of that version ships with this build."""


def _expand_prefixes(values: tuple[str, ...]) -> tuple[str, ...]:
    # the TOML is written the way trade texts write codes; rules compare plain digit prefixes
    out: list[str] = []
    for raw in values:
        text = raw.replace(".", "").replace(" ", "")
        span = _RANGE.match(text)
        if span:
            low, high = span.groups()
            if len(low) != len(high) or int(low) > int(high):
                raise ValueError(f"bad HTS range {raw!r}")
            out.extend(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
        elif text.isdigit() and len(text) % 2 == 0:
            out.append(text)
        else:
            raise ValueError(f"bad HTS prefix {raw!r}")
    return tuple(dict.fromkeys(out))


def _normalize_terms(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(v.casefold().split()) for v in values))


HtsPrefixes = Annotated[tuple[str, ...], AfterValidator(_expand_prefixes)]
Terms = Annotated[tuple[str, ...], AfterValidator(_normalize_terms)]
Codes = tuple[str, ...]
LineEffect = Literal["EXCLUDE", "EXCLUDE_REVIEW", "REVIEW", "FLAG"]


class _PackModel(WireModel):
    # attributes in snake_case, the TOML's (and the content hash's) camelCase names by alias
    model_config = ConfigDict(frozen=True, extra="forbid")


def _added(default: Any = None) -> Any:
    """A field added after us-2026.11: absent from a pack's content (and hash) when not given,
    so the content hash, and every planHash, of an older pack stays what it was."""
    return Field(default=default, exclude_if=lambda value: value is None)


class DatedMeasure(_PackModel):
    """A policy fact that holds from `effectiveFrom` and must be re-checked by `reviewBy`."""

    effective_from: date
    review_by: date
    basis: str
    # public addresses the measure's data was checked against (required from SOURCED_FORMAT on)
    sources: tuple[str, ...] | None = _added()

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.review_by < self.effective_from:
            raise ValueError("reviewBy is before effectiveFrom")
        return self


class DeMinimis(DatedMeasure):
    enabled: bool
    threshold_usd: Decimal


class InformalEntry(DatedMeasure):
    limit_usd: Decimal
    chapter99_cap_usd: Decimal


class InformalChapter99Cap(DatedMeasure):
    """Whether E-003 applies: CBP suspended the cap for all modes and origins from 2025-04-30."""

    enabled: bool


class OriginMeasure(DatedMeasure):
    origins: Codes


class HongKongMarking(DatedMeasure):
    """T-008: goods of these origins must be marked as made in `markAs`."""

    origins: Codes
    mark_as: str


class UflpaEntity(_PackModel):
    """One entity of the UFLPA Entity List with the aliases the list gives."""

    name: str
    aliases: tuple[str, ...] = ()


class UflpaEntityList(DatedMeasure):
    """S-011: manufacturers on the UFLPA Entity List (as of `listDate`)."""

    list_date: date
    # words of legal form matching ignores ("co", "ltd", "company limited", …)
    legal_form_words: Terms
    entities: tuple[UflpaEntity, ...]

    @cached_property
    def by_key(self) -> dict[str, UflpaEntity]:
        # computed once per loaded pack, like RulePack.content_hash
        index: dict[str, UflpaEntity] = {}
        for entity in self.entities:
            for spelling in (entity.name, *entity.aliases):
                index.setdefault(name_key(spelling, self.legal_form_words), entity)
        index.pop("", None)
        return index

    def find(self, name: str) -> UflpaEntity | None:
        """The entity whose name or an alias has the same key as `name`, if any."""
        return self.by_key.get(name_key(name, self.legal_form_words))


class AdcvdOrder(_PackModel):
    """One AD/CVD order: HTS prefixes × origins, with its case numbers and source."""

    cases: tuple[str, ...]
    product: str
    origins: Codes
    prefixes: HtsPrefixes
    source: str


class AdcvdOrders(DatedMeasure):
    """E-005: goods under an AD/CVD order need a formal entry of `entryType` at any value."""

    entry_type: Literal["01", "03"]
    orders: tuple[AdcvdOrder, ...]


class CustomsBond(DatedMeasure):
    """E-006: a formal entry needs a customs bond on file with the broker."""

    formal_entry_types: tuple[Literal["01", "03"], ...]


class HtsMeasure(DatedMeasure):
    prefixes: HtsPrefixes


class RussiaProhibitions(DatedMeasure):
    origins: Codes
    prohibited_hts: HtsPrefixes
    risk_origins: Codes


class RegionSanctions(DatedMeasure):
    origins: Codes
    region_terms: Terms
    region_codes: Codes


class Uflpa(RegionSanctions):
    high_priority_sectors: HtsPrefixes
    # S-010: ISO 3166-2 codes of `attributes.inputRegions` that fire whatever the origin
    input_region_codes: Codes | None = _added()


class PgaEntry(_PackModel):
    """One row of `pgaMap`: HTS prefixes → agency, effect and code."""

    rule_id: str
    code: str
    agency: str
    effect: LineEffect
    prefixes: HtsPrefixes
    # when set, the product description must name one of these too
    description_terms: Terms = ()
    # when set, the attribute is reported in missing_data if the product lacks it
    missing_attribute: str | None = None
    message: str


class PgaMap(DatedMeasure):
    entries: tuple[PgaEntry, ...]


class Measures(_PackModel):
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
    fcc_covered_uas: HtsMeasure
    pga_map: PgaMap
    # added in us-2026.12 (absent from older packs: those rules do not run there)
    informal_chapter99_cap: InformalChapter99Cap | None = _added()
    hong_kong_marking: HongKongMarking | None = _added()
    uflpa_entity_list: UflpaEntityList | None = _added()
    adcvd_orders: AdcvdOrders | None = _added()
    customs_bond: CustomsBond | None = _added()


class HtsStructure(_PackModel):
    nomenclature: str
    valid_lengths: tuple[int, ...]
    full_length: int
    reserved_chapters: Codes
    special_provision_chapters: Codes
    additional_duty_chapters: Codes
    textile_chapters: HtsPrefixes
    metal_origin_chapters: HtsPrefixes


class Thresholds(_PackModel):
    min_plausible_unit_value_usd: Decimal
    min_description_chars: int
    max_incomplete_hts_share: Decimal


class TermLists(_PackModel):
    vague: Terms
    filler: Terms
    counterfeit: Terms


class RulePack(_PackModel):
    """One versioned rule pack."""

    version: str
    title: str
    # plans dated from this day on use this pack (the newest one that is effective)
    effective_from: date | None = _added()
    format_version: int | None = _added()
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
