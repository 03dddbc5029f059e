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

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from domain.canonical import canonical_json

DEFAULT_VERSION = "us-2026.11"
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


class _PackModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DatedMeasure(_PackModel):
    """A policy fact that holds from `effectiveFrom` and must be re-checked by `reviewBy`."""

    effectiveFrom: date
    reviewBy: date
    basis: str

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.reviewBy < self.effectiveFrom:
            raise ValueError("reviewBy is before effectiveFrom")
        return self


class DeMinimis(DatedMeasure):
    enabled: bool
    thresholdUsd: Decimal


class InformalEntry(DatedMeasure):
    limitUsd: Decimal
    chapter99CapUsd: Decimal


class OriginMeasure(DatedMeasure):
    origins: Codes


class HtsMeasure(DatedMeasure):
    prefixes: HtsPrefixes


class RussiaProhibitions(DatedMeasure):
    origins: Codes
    prohibitedHts: HtsPrefixes
    riskOrigins: Codes


class RegionSanctions(DatedMeasure):
    origins: Codes
    regionTerms: Terms
    regionCodes: Codes


class Uflpa(RegionSanctions):
    highPrioritySectors: HtsPrefixes


class PgaEntry(_PackModel):
    """One row of `pgaMap`: HTS prefixes → agency, effect and code."""

    ruleId: str
    code: str
    agency: str
    effect: LineEffect
    prefixes: HtsPrefixes
    # when set, the product description must name one of these too
    descriptionTerms: Terms = ()
    # when set, the attribute is reported in missing_data if the product lacks it
    missingAttribute: str | None = None
    message: str


class PgaMap(DatedMeasure):
    entries: tuple[PgaEntry, ...]


class Measures(_PackModel):
    deMinimis: DeMinimis
    informalEntry: InformalEntry
    embargoedOrigins: OriginMeasure
    column2Origins: OriginMeasure
    russia: RussiaProhibitions
    ukraineOccupiedRegions: RegionSanctions
    uflpa: Uflpa
    section232SteelAluminum: HtsMeasure
    section232Copper: HtsMeasure
    section232Wood: HtsMeasure
    section232Vehicles: HtsMeasure
    section301China: OriginMeasure
    fccCoveredUas: HtsMeasure
    pgaMap: PgaMap


class HtsStructure(_PackModel):
    nomenclature: str
    validLengths: tuple[int, ...]
    fullLength: int
    reservedChapters: Codes
    specialProvisionChapters: Codes
    additionalDutyChapters: Codes
    textileChapters: HtsPrefixes
    metalOriginChapters: HtsPrefixes


class Thresholds(_PackModel):
    minPlausibleUnitValueUsd: Decimal
    minDescriptionChars: int
    maxIncompleteHtsShare: Decimal


class TermLists(_PackModel):
    vague: Terms
    filler: Terms
    counterfeit: Terms


class RulePack(_PackModel):
    """One versioned rule pack."""

    version: str
    title: str
    supportedDestinations: Codes
    domesticOrigin: str
    restrictedArmsExplosivesHts: HtsPrefixes
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
        """Every dated measure with its name, in pack order."""
        return [(name, getattr(self.measures, name)) for name in Measures.model_fields]


def load_rule_pack(version: str = DEFAULT_VERSION) -> RulePack:
    """Load and validate the pack shipped as `domain/rulepacks/<version>.toml` (cached)."""
    # one cache key per version, however the caller spelled the call
    return _load(version)


@lru_cache(maxsize=8)
def _load(version: str) -> RulePack:
    if not _VERSION_PATTERN.match(version):
        raise RulePackNotFoundError(version)
    resource = files("domain.rulepacks").joinpath(f"{version}.toml")
    if not resource.is_file():
        raise RulePackNotFoundError(version)
    # Decimal for floats: thresholds are money and shares, compared exactly
    data = tomllib.loads(resource.read_text(encoding="utf-8"), parse_float=Decimal)
    pack = RulePack.model_validate(data)
    if pack.version != version:
        raise ValueError(f"pack file {version}.toml declares version {pack.version!r}")
    return pack
