"""The dated measures of a rule pack, one class per kind of measure."""

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import model_validator

from domain.rulepack.base import (
    Codes,
    DatedMeasure,
    HtsPrefixes,
    LineEffect,
    PackModel,
    Terms,
    added,
)


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


class AdcvdOrder(PackModel):
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
    # the published list the prefixes follow (e.g. the HTSUS revision of a Chapter 99 note)
    list_revision: str | None = added()


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
    input_region_codes: Codes | None = added()


class PgaEntry(PackModel):
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
    # prefixes inside `prefixes` the row leaves out (food, drugs and cosmetics for TSCA)
    exclude_prefixes: HtsPrefixes | None = added()


class PgaMap(DatedMeasure):
    entries: tuple[PgaEntry, ...]


class CountrySurcharge(DatedMeasure):
    """A dated note: whether a country-by-country surcharge (IEEPA, reciprocal, Section 122)
    applies; while `enabled` is false no plan reports one."""

    enabled: bool


class FccCoveredUas(HtsMeasure):
    """S-008: foreign drones (`prefixes`) and their critical components (`componentPrefixes`
    when the description names unmanned aircraft)."""

    component_prefixes: HtsPrefixes | None = added()
    component_terms: Terms | None = added()


class DiamondDetermination(PackModel):
    """From `effectiveFrom`, non-industrial diamonds of at least `minCarats` are in scope."""

    effective_from: date
    min_carats: Decimal


class RussiaInputs(DatedMeasure):
    """S-012: Russian seafood and diamonds banned also when processed in a third country, read
    from `attributes.inputRegions` (`RU` or any `RU-` subdivision) whatever the origin."""

    input_country: str
    prohibited_hts: HtsPrefixes
    diamond_hts: HtsPrefixes
    diamond_determinations: tuple[DiamondDetermination, ...]

    def min_carats_on(self, day: date) -> Decimal | None:
        """The carat threshold of the newest determination in force on `day`, if any."""
        due = [d for d in self.diamond_determinations if d.effective_from <= day]
        return min(due, key=lambda d: d.min_carats).min_carats if due else None


class ControlledThc(DatedMeasure):
    """S-014: hemp products over `maxMgPerContainer` total THC, and synthesised cannabinoids,
    are controlled substances."""

    terms: Terms
    synthetic_terms: Terms
    max_mg_per_container: Decimal


class PostalEntry(DatedMeasure):
    """The postal informal entry: every line needs a 10-digit HTS code (D-006 excludes), AD/CVD
    goods cannot go by mail (E-005 excludes), and food needs FDA prior notice before mailing."""

    food_rule_id: str
    food_message: str


class ManufacturerIdRule(DatedMeasure):
    """D-019: every line's manufacturer gets its MID, built as CBP's instructions say."""


class DeniedPartyScreening(DatedMeasure):
    """S-015: consignees and manufacturers screened against the Consolidated Screening List."""

    min_score: Decimal

    @model_validator(mode="after")
    def _score_in_range(self) -> "DeniedPartyScreening":
        if not 0 < self.min_score <= 1:
            raise ValueError("minScore must be in (0, 1]")
        return self
