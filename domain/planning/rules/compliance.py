"""Prohibitions (S-001…S-011), partner agencies (G-*, from pgaMap), tariff overlays (T-001…T-006)
and the Hong Kong marking flag (T-008)."""

from domain.hs import in_scope
from domain.planning.findings import Finding
from domain.planning.models import ProductSnapshot
from domain.planning.rules.line_data import LineFacts, has_attribute
from domain.rulepack.model import RegionSanctions, RulePack
from domain.terms import first_term


def compliance_findings(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """Every S-, G- and T-rule (except plan-wide T-007) for one checked line."""
    return [*_sanctions(facts, pack), *_agencies(facts, pack), *tariff_overlays(facts, pack)]


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
    if (
        hts is not None
        and in_scope(hts, m.fcc_covered_uas.prefixes)
        and origin != pack.domestic_origin
    ):
        out.append(at.fire("S-008", "REVIEW", f"HTS {hts}.", field="hsCode"))
    term = first_term(facts.description, pack.terms.counterfeit)
    if term:
        out.append(at.fire("S-009", "REVIEW", f"It says {term!r}.", field="description"))
    return out + _uflpa_any_origin(facts, pack)


def input_regions(product: ProductSnapshot) -> list[str]:
    """`attributes.inputRegions` as upper-case ISO 3166-2 codes (anything else is ignored)."""
    value = product.attributes.get("inputRegions")
    items = value if isinstance(value, list) else []
    return sorted({item.strip().upper() for item in items if isinstance(item, str)})


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
    for entry in pack.measures.pga_map.entries:
        if entry.rule_id in fired or not in_scope(facts.hts, entry.prefixes):
            continue
        if entry.description_terms and not first_term(facts.description, entry.description_terms):
            continue
        fired.add(entry.rule_id)
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
                title=entry.message,
            )
        )
    return out


def tariff_overlays(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """T-001…T-006 for one line (T-001…T-005 are the Chapter 99 measures E-003 looks at)."""
    m, at, hts, origin = pack.measures, facts.where, facts.hts, facts.origin
    out: list[Finding] = []
    if hts is not None:
        scopes = [
            ("T-001", m.section232_steel_aluminum.prefixes),
            ("T-002", m.section232_copper.prefixes),
            ("T-003", m.section232_wood.prefixes),
            ("T-004", m.section232_vehicles.prefixes),
        ]
        out.extend(
            at.fire(rule_id, "FLAG", f"HTS {hts}.", field="hsCode")
            for rule_id, prefixes in scopes
            if in_scope(hts, prefixes)
        )
    if origin in m.section301_china.origins:
        out.append(at.fire("T-005", "FLAG", f"Origin {origin}.", field="countryOfOrigin"))
    if origin in m.column2_origins.origins:
        out.append(at.fire("T-006", "FLAG", f"Origin {origin}.", field="countryOfOrigin"))
    marking = m.hong_kong_marking
    if marking is not None and origin in marking.origins:
        detail = f"Origin {origin}: mark as made in {marking.mark_as}."
        out.append(at.fire("T-008", "FLAG", detail, field="countryOfOrigin"))
    return out
