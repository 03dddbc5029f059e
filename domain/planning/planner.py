"""The planner: a pure, deterministic function from a planning snapshot to the plan outcome."""

from datetime import date
from decimal import Decimal

from domain.money import round_kg, round_usd
from domain.planning import outcome
from domain.planning.findings import Finding
from domain.planning.models import DecisionLine, PlanningSnapshot, PlanOutcome, Totals
from domain.planning.plan_hash import plan_hash
from domain.planning.rules.entry import entry_findings
from domain.planning.rules.line_data import LineSetting
from domain.planning.rules.manufacturer import line_manufacturer_id
from domain.planning.rules.orders import (
    OrderEvaluation,
    evaluate_order,
    next_action,
    no_eligible_orders,
    plan_findings,
    readiness,
)
from domain.planning.strategy import entry_types, export_units, strategy_hint
from domain.rulepack.model import RulePack
from domain.screening.lists import ScreeningList


def plan(
    snapshot: PlanningSnapshot,
    pack: RulePack,
    plan_date: date,
    screening: ScreeningList | None = None,
) -> PlanOutcome:
    """Decide which orders go, whether review is needed and how the broker should enter them;
    `screening` is the list the snapshot names (`screeningListVersion`)."""
    if (screening.version if screening else None) != snapshot.screening_list_version:
        raise ValueError("the screening list is not the one the snapshot names")
    order_ids = list(dict.fromkeys(snapshot.requested_order_ids))
    mode = snapshot.warehouse.shipment_mode
    setting = LineSetting(pack, plan_date, mode == "POSTAL", snapshot.broker.classifies_goods)
    findings: list[Finding] = plan_findings(snapshot, pack, plan_date, screening)
    evaluations = []
    for order_id in order_ids:
        evaluation, order_findings = evaluate_order(order_id, snapshot, setting, screening)
        evaluations.append(evaluation)
        findings += order_findings
    # exclusions are final here: the later rules only flag or ask for review
    types = entry_types(evaluations, mode, pack)
    findings += entry_findings(evaluations, types, pack, mode, snapshot.broker)
    included = [e for e in evaluations if not e.excluded]
    included_ids = [e.order_id for e in included]
    if not included:
        findings.append(no_eligible_orders())
    state = readiness(findings, set(included_ids))
    hint = strategy_hint(state, evaluations, types, findings, pack, mode)

    ordering = outcome.Ordering(order_ids)
    ordered = ordering.sort(findings)
    excluded_ids = [e.order_id for e in evaluations if e.excluded]
    return PlanOutcome(
        readiness_state=state,
        plan_hash=plan_hash(snapshot, pack, plan_date=plan_date),
        ruleset_version=pack.version,
        included_order_ids=included_ids,
        excluded_order_ids=excluded_ids,
        decisions=outcome.decisions(
            order_ids, ordered, set(excluded_ids), _lines(evaluations, pack)
        ),
        export_units=export_units(included, hint.entry_type_hints),
        validation_messages=outcome.validation_messages(ordered),
        flags=outcome.flags(ordered, included_ids),
        missing_data=outcome.missing_data(ordered, ordering),
        strategy_hint=hint,
        next_recommended_action=next_action(state, findings),
        totals=Totals(
            orders=len(order_ids),
            included_orders=len(included),
            lines=sum(len(e.lines) for e in included),
            value_usd=round_usd(sum((e.value for e in included), Decimal(0))),
            weight_kg=round_kg(sum((e.weight for e in included), Decimal(0))),
        ),
        screening_list_version=(
            snapshot.screening_list_version
            if pack.measures.denied_party_screening is not None
            else None
        ),
    )


def _lines(
    evaluations: list[OrderEvaluation], pack: RulePack
) -> dict[str, list[DecisionLine]] | None:
    """Each evaluated order's lines with their MIDs, under a pack that builds them."""
    if pack.measures.manufacturer_id is None:
        return None
    # a line is its product and quantity: lines alike share one (immutable) decision line
    made: dict[tuple[str, int], DecisionLine] = {}
    lines: dict[str, list[DecisionLine]] = {}
    for e in evaluations:
        lines[e.order_id] = decided = []
        for line in e.lines:
            key = (line.product.id, line.quantity)
            found = made.get(key)
            if found is None:
                found = made[key] = DecisionLine(
                    product_id=line.product.id,
                    quantity=line.quantity,
                    manufacturer_id=line_manufacturer_id(line.product),
                )
            decided.append(found)
    return lines
