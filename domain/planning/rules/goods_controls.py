"""Controls added with us-2027.01 that read more than origin and HTS: Russian inputs processed
elsewhere (S-012), equipment of FCC Covered List entities (S-013) and THC products (S-014)."""

from domain.hs import in_scope
from domain.planning.findings import Finding
from domain.planning.rules.line_data import LineFacts, decimal_attribute, input_regions
from domain.rulepack.model import RulePack
from domain.terms import first_term

# attributes the rules read (RULES.md names them)
CARAT_WEIGHT = "caratWeight"
THC_MG_PER_CONTAINER = "thcMgPerContainer"


def controlled_findings(facts: LineFacts, pack: RulePack) -> list[Finding]:
    """S-012, S-013 and S-014 for one line (each only under a pack that has its measure)."""
    return [*_russian_inputs(facts, pack), *_covered_equipment(facts, pack), *_thc(facts, pack)]


def _russian_inputs(facts: LineFacts, pack: RulePack) -> list[Finding]:
    rule, hts = pack.measures.russia_inputs, facts.hts
    if rule is None or hts is None or rule.effective_from > facts.plan_date:
        return []
    country = rule.input_country
    regions = [
        c for c in input_regions(facts.product) if c == country or c.startswith(f"{country}-")
    ]
    if not regions:
        return []
    named = ", ".join(regions)
    if in_scope(hts, rule.prohibited_hts):
        detail = f"HTS {hts} with inputs from {named}, whatever the country of processing."
    elif in_scope(hts, rule.diamond_hts):
        threshold = rule.min_carats_on(facts.plan_date)
        carats = decimal_attribute(facts.product, CARAT_WEIGHT)
        if threshold is None or (carats is not None and carats < threshold):
            return []
        weight = "no attributes.caratWeight" if carats is None else f"{carats} ct"
        detail = f"Diamonds with inputs from {named} ({weight}; banned from {threshold} ct)."
        if carats is None:
            # the weight decides: report it missing, so the seller can supply it
            field = f"attributes.{CARAT_WEIGHT}"
            return [facts.where.fire("S-012", "EXCLUDE_REVIEW", detail, field=field, missing=True)]
    else:
        return []
    field = "attributes.inputRegions"
    return [facts.where.fire("S-012", "EXCLUDE_REVIEW", detail, field=field)]


def _covered_equipment(facts: LineFacts, pack: RulePack) -> list[Finding]:
    rule, maker, hts = pack.measures.fcc_covered_equipment, facts.product.manufacturer, facts.hts
    if rule is None or maker is None or hts is None or not in_scope(hts, rule.prefixes):
        return []
    entity = rule.find(maker.name)
    if entity is None:
        return []
    listed = rule.list_date.isoformat()
    detail = f"{maker.name!r} is listed as {entity.name!r} (list of {listed}); HTS {hts}."
    return [facts.where.fire("S-013", "REVIEW", detail, field="manufacturer.name")]


def _thc(facts: LineFacts, pack: RulePack) -> list[Finding]:
    rule = pack.measures.controlled_thc
    if rule is None or rule.effective_from > facts.plan_date:
        return []
    at, limit = facts.where, rule.max_mg_per_container
    synthetic = first_term(facts.description, rule.synthetic_terms)
    amount = decimal_attribute(facts.product, THC_MG_PER_CONTAINER)
    term = first_term(facts.description, rule.terms)
    field = f"attributes.{THC_MG_PER_CONTAINER}"
    if synthetic:
        detail = f"It says {synthetic!r}, a synthesised cannabinoid."
        return [at.fire("S-014", "EXCLUDE_REVIEW", detail, field="description")]
    if amount is not None and amount > limit:
        detail = f"{amount} mg total THC per container, over {limit} mg."
        return [at.fire("S-014", "EXCLUDE_REVIEW", detail, field=field)]
    if term and amount is None:
        detail = f"It says {term!r}; the THC per container is not given (limit {limit} mg)."
        return [at.fire("S-014", "EXCLUDE_REVIEW", detail, field=field, missing=True)]
    return []
