"""`rules.json`: the rule pack a plan was made with and, for every rule that fired, the pack's
dated measures it reads with their basis and public sources (pure)."""

from datetime import date

from pydantic import ConfigDict, Field

from domain.hs import in_scope, normalize_hts
from domain.planning.findings import RULES
from domain.planning.models import PlanningSnapshot, PlanOutcome, ValidationMessage
from domain.planning.rules.orders import stale_measures
from domain.rulepack.base import DatedMeasure
from domain.rulepack.measures import AdcvdOrder
from domain.rulepack.model import RulePack
from domain.wire import WireModel

# rule id -> the pack's dated measures (by their name in the pack) the rule reads. Rules of
# RULES.md that read no dated measure (the data rules, the order rules, S-007, S-009, T-007)
# have none: their basis is RULES.md and the pack's fixed lists. G-rules read `pgaMap`; P-004
# the measures that were stale on the plan date. By mail, D-006, E-005 and the food G-rule also
# read `postalEntry` (POSTAL_RULES).
RULE_MEASURES: dict[str, tuple[str, ...]] = {
    "P-005": ("deniedPartyScreening",),
    "D-019": ("manufacturerId",),
    "S-001": ("embargoedOrigins",),
    "S-002": ("ukraineOccupiedRegions",),
    "S-003": ("russia",),
    "S-004": ("russia",),
    "S-005": ("uflpa",),
    "S-006": ("uflpa",),
    "S-008": ("fccCoveredUas",),
    "S-010": ("uflpa",),
    "S-011": ("uflpaEntityList",),
    "S-012": ("russiaInputs",),
    "S-013": ("fccCoveredEquipment",),
    "S-014": ("controlledThc",),
    "S-015": ("deniedPartyScreening",),
    "T-001": ("section232SteelAluminum",),
    "T-002": ("section232Copper",),
    "T-003": ("section232Wood",),
    "T-004": ("section232Vehicles",),
    "T-005": ("section301China",),
    "T-006": ("column2Origins",),
    "T-008": ("hongKongMarking",),
    "T-009": ("section232Semiconductors",),
    "T-010": ("section232Pharma",),
    "T-011": ("section301Nicaragua",),
    "T-012": ("section301ForcedLabor",),
    "T-013": ("section301Brazil",),
    "E-001": ("deMinimis",),
    "E-002": ("informalEntry",),
    "E-003": ("informalEntry", "informalChapter99Cap"),
    "E-004": ("informalEntry",),
    "E-005": ("adcvdOrders",),
    "E-006": ("customsBond",),
}
POSTAL_RULES = frozenset({"D-006", "E-005"})
POSTAL = "POSTAL"


class _Part(WireModel):
    model_config = ConfigDict(frozen=True)


class MeasureSource(_Part):
    """A dated measure of the pack: why it holds and where it was checked."""

    name: str
    basis: str
    effective_from: date
    review_by: date
    sources: list[str]


class PgaRow(_Part):
    """The `pgaMap` row a G-rule fired from."""

    code: str
    agency: str
    message: str


class AdcvdSource(_Part):
    """An AD/CVD order that covers a line E-005 fired on."""

    product: str
    cases: list[str]
    source: str


class FiredRule(_Part):
    """A rule that fired in the plan: how often, at which severities, and its sources."""

    rule_id: str
    code: str
    title: str
    severities: list[str]
    count: int
    measures: list[MeasureSource]
    pga: PgaRow | None = None
    adcvd_orders: list[AdcvdSource] = Field(default_factory=list)


class RulesEvidence(_Part):
    """`rules.json`."""

    ruleset_version: str
    title: str
    content_hash: str
    effective_from: date | None
    fired: list[FiredRule]


def _measure(name: str, measure: DatedMeasure) -> MeasureSource:
    return MeasureSource(
        name=name,
        basis=measure.basis,
        effective_from=measure.effective_from,
        review_by=measure.review_by,
        sources=list(measure.sources or ()),
    )


def _adcvd(
    messages: list[ValidationMessage], snapshot: PlanningSnapshot, pack: RulePack
) -> list[AdcvdOrder]:
    """The pack's AD/CVD orders covering a product E-005 fired on (by its HTS code and origin)."""
    table = pack.measures.adcvd_orders
    if table is None:
        return []
    found: dict[tuple[str, ...], AdcvdOrder] = {}
    for message in messages:
        product = snapshot.products.get(message.product_id or "")
        hts = normalize_hts(product.hs_code) if product and product.hs_code else None
        if product is None or hts is None:
            continue
        for order in table.orders:
            if product.country_of_origin in order.origins and in_scope(hts, order.prefixes):
                found.setdefault(order.cases, order)
    return list(found.values())


def _names(rule_id: str, pack: RulePack, plan_date: date, by_mail: bool) -> list[str]:
    if rule_id == "P-004":
        return stale_measures(pack, plan_date)
    names = list(RULE_MEASURES.get(rule_id, ()))
    if rule_id.startswith("G-"):
        names.append("pgaMap")
    postal = pack.measures.postal_entry
    if by_mail and postal is not None and rule_id in {*POSTAL_RULES, postal.food_rule_id}:
        names.append("postalEntry")
    return names


def fired_rule(
    rule_id: str,
    messages: list[ValidationMessage],
    snapshot: PlanningSnapshot,
    pack: RulePack,
    plan_date: date,
) -> FiredRule:
    """One fired rule with the measures it reads (those the pack has) and their sources."""
    measures = dict(pack.dated_measures())
    row = next((e for e in pack.measures.pga_map.entries if e.rule_id == rule_id), None)
    code, title = RULES.get(rule_id, (messages[0].code, row.message if row else rule_id))
    return FiredRule(
        rule_id=rule_id,
        code=code,
        title=title,
        severities=sorted({m.severity for m in messages}),
        count=len(messages),
        measures=[
            _measure(name, measures[name])
            for name in dict.fromkeys(
                _names(rule_id, pack, plan_date, snapshot.warehouse.shipment_mode == POSTAL)
            )
            if name in measures
        ],
        pga=PgaRow(code=row.code, agency=row.agency, message=row.message) if row else None,
        adcvd_orders=[
            AdcvdSource(product=o.product, cases=list(o.cases), source=o.source)
            for o in (_adcvd(messages, snapshot, pack) if rule_id == "E-005" else [])
        ],
    )


def rules_evidence(
    plan: PlanOutcome, snapshot: PlanningSnapshot, pack: RulePack, plan_date: date
) -> RulesEvidence:
    """The pack and every rule the plan's validation messages name, in rule id order."""
    by_rule: dict[str, list[ValidationMessage]] = {}
    for message in plan.validation_messages:
        by_rule.setdefault(message.rule_id, []).append(message)
    return RulesEvidence(
        ruleset_version=pack.version,
        title=pack.title,
        content_hash=pack.content_hash,
        effective_from=pack.effective_from,
        fired=[
            fired_rule(rule_id, by_rule[rule_id], snapshot, pack, plan_date)
            for rule_id in sorted(by_rule)
        ],
    )
