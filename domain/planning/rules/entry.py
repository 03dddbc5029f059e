"""Rules that need the entry type or several orders: D-015, D-016, E-001…E-006 and T-007."""

from decimal import Decimal

from domain.planning.findings import CHAPTER_99_RULES, PLAN, Finding, Where
from domain.planning.models import BrokerSnapshot, EntryType
from domain.planning.rules.adcvd import adcvd_detail, adcvd_orders
from domain.planning.rules.compliance import tariff_overlays
from domain.planning.rules.line_data import entry_dependent_findings
from domain.planning.rules.orders import OrderEvaluation, recipient_key
from domain.planning.strategy import FORMAL_ENTRY_TYPES, POSTAL_ENTRY_TYPE
from domain.reference import ShipmentMode
from domain.rulepack.model import RulePack


def entry_findings(
    evaluations: list[OrderEvaluation],
    types: dict[str, EntryType],
    pack: RulePack,
    mode: ShipmentMode,
    broker: BrokerSnapshot,
) -> list[Finding]:
    """Run the entry-stage rules once the order decisions and entry types are known."""
    limit = pack.measures.informal_entry.limit_usd
    out = []
    if not pack.measures.de_minimis.enabled:
        out.append(PLAN.fire("E-001", "FLAG"))
    for e in evaluations:
        entry_type = types[e.order_id]
        formal = entry_type in FORMAL_ENTRY_TYPES
        postal = entry_type == POSTAL_ENTRY_TYPE
        for line in e.lines:
            out += entry_dependent_findings(line, formal=formal, postal=postal, pack=pack)
        if e.value > limit:
            detail = f"Order value {e.value} USD is over {limit} USD."
            out.append(Where(e.order_id).fire("E-002", "FLAG", detail))
        if not formal:
            # 19 CFR 143.21(a) limits informal entries only; a formal entry is not capped
            out += _chapter99_cap(e, pack)
        out += _adcvd(e, pack, mode)
    included = [e for e in evaluations if not e.excluded]
    out += _bond(included, types, pack, broker)
    if mode != "BULK_TO_US_WAREHOUSE":
        # a bulk batch is one consolidated entry already: splitting by consignee cannot happen
        informal = [e for e in included if types[e.order_id] not in FORMAL_ENTRY_TYPES]
        out += _split_shipments(informal, limit)
    if included:
        out.append(PLAN.fire("T-007", "FLAG"))
    return out


def _adcvd(evaluation: OrderEvaluation, pack: RulePack, mode: ShipmentMode) -> list[Finding]:
    if mode == "POSTAL" and pack.measures.postal_entry is not None:
        return []  # by mail the line was excluded already (compliance, E-005 EXCLUDE_REVIEW)
    out = []
    for line in evaluation.lines:
        orders = adcvd_orders(line, pack)
        if orders:
            detail = adcvd_detail(line, orders)
            out.append(line.where.fire("E-005", "REVIEW", detail, field="hsCode"))
    return out


def _bond(
    included: list[OrderEvaluation],
    types: dict[str, EntryType],
    pack: RulePack,
    broker: BrokerSnapshot,
) -> list[Finding]:
    rule = pack.measures.customs_bond
    if rule is None or broker.has_customs_bond:
        return []
    formal = [e.order_id for e in included if types[e.order_id] in rule.formal_entry_types]
    if not formal:
        return []
    detail = f"Formal entry for {', '.join(formal)}; no bond on file for broker {broker.id}."
    return [PLAN.fire("E-006", "REVIEW", detail, field="broker.customsBond")]


def _chapter99_cap(evaluation: OrderEvaluation, pack: RulePack) -> list[Finding]:
    setting = pack.measures.informal_chapter99_cap
    if setting is not None and not setting.enabled:
        return []  # CBP suspended the cap (the pack says since when, and where)
    cap = pack.measures.informal_entry.chapter99_cap_usd
    out = []
    for line in evaluation.lines:
        if line.line_value <= cap:
            continue
        codes = [f.code for f in tariff_overlays(line, pack) if f.rule_id in CHAPTER_99_RULES]
        if codes:
            detail = f"Line value {line.line_value} USD over {cap} USD with {', '.join(codes)}."
            out.append(line.where.fire("E-003", "REVIEW", detail, field="unitValueUsd"))
    return out


def _split_shipments(informal: list[OrderEvaluation], limit: Decimal) -> list[Finding]:
    """E-004 over the included orders on an informal entry (a formal one cannot be split)."""
    groups: dict[str, list[OrderEvaluation]] = {}
    for e in informal:
        key = recipient_key(e.order) if e.order else None
        if key is not None and e.value <= limit:
            groups.setdefault(key, []).append(e)
    out = []
    for members in groups.values():
        total = sum((e.value for e in members), Decimal(0))
        if len(members) > 1 and total > limit:
            ids = ", ".join(e.order_id for e in members)
            detail = f"Orders {ids} to one consignee total {total} USD, over {limit} USD."
            out += [Where(e.order_id).fire("E-004", "REVIEW", detail) for e in members]
    return out
