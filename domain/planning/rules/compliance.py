"""Prohibitions (S-001…S-014), partner agencies (G-*, from pgaMap), tariff overlays (T-001…T-006,
T-009…T-011), the Hong Kong marking flag (T-008) and AD/CVD goods by mail (E-005)."""

from datetime import date

from domain.hs import in_scope
from domain.planning.findings import Finding
from domain.planning.rules.adcvd import adcvd_detail, adcvd_orders
from domain.planning.rules.goods_controls import controlled_findings
from domain.planning.rules.line_data import LineFacts, has_attribute, input_regions
from domain.rulepack.base import DatedMeasure
from domain.rulepack.measures import RegionSanctions
from domain.rulepack.model import RulePack
from domain.terms import first_term


def compliance_findings(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """Every S-, G- and T-rule (except plan-wide T-007) for one checked line."""
    return [
        *_sanctions(facts, pack),
        *controlled_findings(facts, pack),
        *_agencies(facts, pack),
        *tariff_overlays(facts, pack),
        *_adcvd_by_mail(facts, pack),
    ]


def in_force(measure: DatedMeasure | None, day: date) -> bool:
    """True when the pack has the measure and it holds on `day`."""
    return measure is not None and measure.effective_from <= day


def _adcvd_by_mail(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """E-005 by mail: the postal informal entry cannot carry AD/CVD goods, so they are excluded
    (on any other entry they only ask for a formal entry, at the entry stage)."""
    if not facts.postal or not in_force(pack.measures.postal_entry, facts.plan_date):
        return []
    orders = adcvd_orders(facts, pack)
    if not orders:
        return []
    detail = f"{adcvd_detail(facts, orders)[:-1]}: AD/CVD goods cannot go by mail."
    return [facts.where.fire("E-005", "EXCLUDE_REVIEW", detail, field="hsCode")]


def _region_named(facts: LineFacts, measure: RegionSanctions, *, with_address: bool) -> str | None:
    """The sanctioned region the manufacturer's location names, if any."""
    maker = facts.product.manufacturer
    if maker is None:
        return None
    region = (maker.region or "").strip()
    if region.upper() in measure.region_codes:
        return region
    texts = [region, maker.city, maker.address] if with_address else [region]
    for text in texts:
        term = first_term(text, measure.region_terms)
        if term:
            return term
    return None


def _sanctions(facts: LineFacts, pack: RulePack) -> list[Finding]:
    m, at, origin, hts, out = pack.measures, facts.where, facts.origin, facts.hts, []
    if origin in m.embargoed_origins.origins:
        out.append(at.fire("S-001", "EXCLUDE_REVIEW", f"Origin {origin}.", field="countryOfOrigin"))
    if origin in m.ukraine_occupied_regions.origins:
        region = _region_named(facts, m.ukraine_occupied_regions, with_address=False)
        if region:
            detail = f"Manufacturer region {region!r}."
            out.append(at.fire("S-002", "EXCLUDE_REVIEW", detail, field="manufacturer.region"))
    if origin in m.russia.origins and hts is not None and in_scope(hts, m.russia.prohibited_hts):
        out.append(at.fire("S-003", "EXCLUDE_REVIEW", f"HTS {hts}.", field="hsCode"))
    elif origin in m.russia.risk_origins:
        out.append(at.fire("S-004", "REVIEW", f"Origin {origin}.", field="countryOfOrigin"))
    if origin in m.uflpa.origins:
        region = _region_named(facts, m.uflpa, with_address=True)
        if region:
            detail = f"Manufacturer location names {region!r}."
            out.append(at.fire("S-005", "EXCLUDE_REVIEW", detail, field="manufacturer.address"))
        if hts is not None and in_scope(hts, m.uflpa.high_priority_sectors):
            out.append(at.fire("S-006", "REVIEW", f"HTS {hts}.", field="hsCode"))
    if hts is not None and in_scope(hts, pack.restricted_arms_explosives_hts):
        out.append(at.fire("S-007", "EXCLUDE_REVIEW", f"HTS {hts}.", field="hsCode"))
    if hts is not None and origin != pack.domestic_origin:
        out += _covered_uas(facts, pack, hts)
    term = first_term(facts.description, pack.terms.counterfeit)
    if term:
        out.append(at.fire("S-009", "REVIEW", f"It says {term!r}.", field="description"))
    return out + _uflpa_any_origin(facts, pack)


def _covered_uas(facts: LineFacts, pack: RulePack, hts: str) -> list[Finding]:
    """S-008: a foreign drone, or a critical component described for unmanned aircraft."""
    uas, at = pack.measures.fcc_covered_uas, facts.where
    if in_scope(hts, uas.prefixes):
        return [at.fire("S-008", "REVIEW", f"HTS {hts}.", field="hsCode")]
    if uas.component_prefixes and in_scope(hts, uas.component_prefixes):
        term = first_term(facts.description, uas.component_terms or ())
        if term:
            detail = f"HTS {hts}, a component described for unmanned aircraft ({term!r})."
            return [at.fire("S-008", "REVIEW", detail, field="hsCode")]
    return []


def _uflpa_any_origin(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """S-010 and S-011: the UFLPA presumption whatever origin the product declares."""
    m, at, out = pack.measures, facts.where, []
    codes = m.uflpa.input_region_codes or ()
    regions = [code for code in input_regions(facts.product) if code in codes]
    if regions:
        detail = f"Inputs from {', '.join(regions)}."
        out.append(at.fire("S-010", "EXCLUDE_REVIEW", detail, field="attributes.inputRegions"))
    maker = facts.product.manufacturer
    if m.uflpa_entity_list is not None and maker is not None:
        entity = m.uflpa_entity_list.find(maker.name)
        if entity is not None:
            listed = m.uflpa_entity_list.list_date.isoformat()
            detail = f"{maker.name!r} is listed as {entity.name!r} (list of {listed})."
            out.append(at.fire("S-011", "EXCLUDE_REVIEW", detail, field="manufacturer.name"))
    return out


def _agencies(facts: LineFacts, pack: RulePack) -> list[Finding]:
    if facts.hts is None:
        return []
    out: list[Finding] = []
    fired: set[str] = set()
    postal = pack.measures.postal_entry if facts.postal else None
    for entry in pack.measures.pga_map.entries:
        if entry.rule_id in fired or not in_scope(facts.hts, entry.prefixes):
            continue
        if entry.exclude_prefixes and in_scope(facts.hts, entry.exclude_prefixes):
            continue
        if entry.description_terms and not first_term(facts.description, entry.description_terms):
            continue
        fired.add(entry.rule_id)
        message = entry.message
        if postal is not None and entry.rule_id == postal.food_rule_id:
            message = postal.food_message
        attribute = entry.missing_attribute
        lacking = attribute is not None and not has_attribute(facts.product, attribute)
        out.append(
            facts.where.fire(
                entry.rule_id,
                entry.effect,
                f"Agency: {entry.agency}.",
                field=f"attributes.{attribute}" if lacking else "hsCode",
                missing=lacking,
                code=entry.code,
                title=message,
            )
        )
    return out


def tariff_overlays(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """T-001…T-006 and T-009…T-011 for one line (those of CHAPTER_99_RULES are the Chapter 99
    measures E-003 looks at)."""
    m, at, hts, origin, day = pack.measures, facts.where, facts.hts, facts.origin, facts.plan_date
    out: list[Finding] = []
    if hts is not None:
        always = [
            ("T-001", m.section232_steel_aluminum),
            ("T-002", m.section232_copper),
            ("T-003", m.section232_wood),
            ("T-004", m.section232_vehicles),
        ]
        dated = [("T-009", m.section232_semiconductors), ("T-010", m.section232_pharma)]
        scopes = [*always, *((rule, x) for rule, x in dated if x is not None and in_force(x, day))]
        out.extend(
            at.fire(rule_id, "FLAG", f"HTS {hts}.", field="hsCode")
            for rule_id, measure in scopes
            if in_scope(hts, measure.prefixes)
        )
    if origin in m.section301_china.origins:
        out.append(at.fire("T-005", "FLAG", f"Origin {origin}.", field="countryOfOrigin"))
    by_origin = [
        ("T-011", m.section301_nicaragua),
        ("T-012", m.section301_forced_labor),
        ("T-013", m.section301_brazil),
    ]
    out.extend(
        at.fire(rule_id, "FLAG", f"Origin {origin}.", field="countryOfOrigin")
        for rule_id, measure in by_origin
        if measure is not None and in_force(measure, day) and origin in measure.origins
    )
    if origin in m.column2_origins.origins:
        out.append(at.fire("T-006", "FLAG", f"Origin {origin}.", field="countryOfOrigin"))
    marking = m.hong_kong_marking
    if marking is not None and origin in marking.origins:
        detail = f"Origin {origin}: mark as made in {marking.mark_as}."
        out.append(at.fire("T-008", "FLAG", detail, field="countryOfOrigin"))
    return out
