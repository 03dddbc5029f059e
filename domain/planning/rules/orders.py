"""Plan rules (P-*), order rules (O-*), one order's evaluation, readiness and next action."""

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlsplit

from domain.planning.findings import EXCLUDING, PLAN, Finding, Where
from domain.planning.models import (
    BrokerSnapshot,
    NextAction,
    OrderSnapshot,
    PlanningSnapshot,
)
from domain.planning.rules.compliance import compliance_findings
from domain.planning.rules.line_data import (
    LineFacts,
    LineSetting,
    check_line,
    on_order,
    product_for,
)
from domain.planning.rules.screening import screening_findings, screening_unavailable
from domain.rulepack.model import RulePack
from domain.screening.lists import ScreeningList
from domain.status import Readiness
from domain.terms import words


@dataclass(frozen=True)
class OrderEvaluation:
    """One requested order after the order, data and compliance rules."""

    order_id: str
    order: OrderSnapshot | None  # None when the id is not a synced order
    lines: tuple[LineFacts, ...]  # empty when the order was not evaluated further
    excluded: bool

    @cached_property
    def value(self) -> Decimal:
        """V: Σ quantity × unit value."""
        return sum((line.line_value for line in self.lines), Decimal(0))

    @cached_property
    def weight(self) -> Decimal:
        """Σ quantity × product weight, over lines whose weight is known."""
        return sum((line.line_weight for line in self.lines), Decimal(0))


def broker_has_usable_address(broker: BrokerSnapshot) -> bool:
    """True when the broker's transport has somewhere to send to."""
    if broker.transport_type == "email":
        local, _, domain = (broker.recipient_email or "").strip().partition("@")
        return bool(local) and "." in domain and " " not in domain
    try:
        parts = urlsplit((broker.url or "").strip())
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 host): nowhere to send to
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def stale_measures(pack: RulePack, plan_date: date) -> list[str]:
    """Names of the pack's dated measures whose reviewBy date has passed."""
    return [name for name, measure in pack.dated_measures() if plan_date > measure.review_by]


def pending_measures(pack: RulePack, plan_date: date) -> list[str]:
    """Names of the pack's dated measures not yet in force on `plan_date`."""
    return [name for name, measure in pack.dated_measures() if measure.effective_from > plan_date]


def plan_findings(
    snapshot: PlanningSnapshot, pack: RulePack, plan_date: date, screening: ScreeningList | None
) -> list[Finding]:
    """P-001, P-002, P-004 and P-005 (P-003 needs the order decisions)."""
    out = []
    destination = snapshot.destination_country
    if destination not in pack.supported_destinations:
        out.append(PLAN.fire("P-001", "BLOCK", f"{destination!r} is not in the rule pack."))
    elif destination not in snapshot.broker.supported_destinations:
        out.append(PLAN.fire("P-001", "BLOCK", f"The broker does not serve {destination!r}."))
    if not broker_has_usable_address(snapshot.broker):
        detail = f"Transport {snapshot.broker.transport_type!r} has no valid address."
        out.append(PLAN.fire("P-002", "BLOCK", detail))
    measures = dict(pack.dated_measures())
    for name in stale_measures(pack, plan_date):
        detail = f"{name!r} was due for review on {measures[name].review_by.isoformat()}."
        out.append(PLAN.fire("P-004", "REVIEW", detail))
    return out + screening_unavailable(pack, screening)


def no_eligible_orders() -> Finding:
    """P-003, once the decisions leave no order included."""
    return PLAN.fire("P-003", "BLOCK")


def evaluate_order(
    order_id: str,
    snapshot: PlanningSnapshot,
    setting: LineSetting,
    screening: ScreeningList | None,
) -> tuple[OrderEvaluation, list[Finding]]:
    """O-001…O-004, the data and compliance rules on every line, then the parties' screening."""
    pack = setting.pack
    order = snapshot.orders.get(order_id)
    where = Where(order_id)
    if order is None:
        return OrderEvaluation(order_id, None, (), True), [where.fire("O-001", "EXCLUDE")]
    if order.destination_country != snapshot.destination_country:
        # rules for another destination's customs would say nothing useful: stop here
        detail = f"Order goes to {order.destination_country!r}."
        return OrderEvaluation(order_id, order, (), True), [where.fire("O-002", "EXCLUDE", detail)]
    findings = _consignee(where, order, pack)
    lines = []
    for line in order.items:
        product = product_for(line, snapshot)
        facts, line_findings = check_line(order_id, line, product, setting)
        lines.append(facts)
        findings += line_findings
        findings += _compliance(facts, setting)
    findings += screening_findings(order, lines, pack, screening, setting.screened)
    # the order takes the strongest effect of its lines: any exclusion excludes it
    excluded = any(f.effect in EXCLUDING for f in findings)
    return OrderEvaluation(order_id, order, tuple(lines), excluded), findings


def _compliance(facts: LineFacts, setting: LineSetting) -> list[Finding]:
    """The compliance rules on a line: they read its product, never its quantity or value, so
    they run once per product of the plan and their findings are placed on each line of it."""
    product_id = facts.where.product_id
    assert product_id is not None
    found = setting.compliance.get(product_id)
    if found is None:
        found = compliance_findings(replace(facts, where=Where(None, product_id)), setting.pack)
        setting.compliance[product_id] = found
    return on_order(found, facts.where.order_id or "")


def _consignee(where: Where, order: OrderSnapshot, pack: RulePack) -> list[Finding]:
    """O-003 (region and postal code decide) and O-004 (name and street only warn)."""
    if order.destination_country not in pack.supported_destinations:
        return []
    out = [
        where.fire("O-003", "EXCLUDE", field=field, missing=True)
        for field, value in (
            ("destinationRegion", order.destination_region),
            ("destinationPostalCode", order.destination_postal_code),
        )
        if not (value or "").strip()
    ]
    lacking = consignee_details_missing(order)
    if lacking:
        detail = f"Not provided: {', '.join(lacking)}."
        out.append(where.fire("O-004", "WARN", detail, field="consignee", missing=True))
    return out


def consignee_details_missing(order: OrderSnapshot) -> list[str]:
    """Which of the consignee's name and street address the order lacks (blank counts)."""
    consignee = order.consignee
    if consignee is None:
        return ["consignee.name", "consignee.address"]
    return [
        f"consignee.{field}"
        for field, value in (("name", consignee.name), ("address", consignee.address))
        if not value.strip()
    ]


def consignee_key(order: OrderSnapshot) -> str | None:
    """Who receives the order, for grouping: country, region, postal code and address, normalized."""
    # the name is left out on purpose: the same household spells it many ways
    if order.consignee is None:
        return None
    parts = [
        order.destination_country,
        " ".join(words(order.destination_region or "")),
        "".join(words(order.destination_postal_code or "")),
        " ".join(words(order.consignee.address)),
    ]
    return "|".join(parts)


def recipient_key(order: OrderSnapshot) -> str | None:
    """The consignee to group orders by (E-004, de minimis): only when the street is known;
    a blank address says nothing about who receives the goods, so it groups with no one."""
    if order.consignee is None or not order.consignee.address.strip():
        return None
    return consignee_key(order)


def readiness(findings: list[Finding], included: Collection[str]) -> Readiness:
    """RULES.md §1: BLOCK or nothing included → BLOCKED; review-worthy findings → REVIEW."""
    if not included or any(f.effect == "BLOCK" for f in findings):
        return Readiness.BLOCKED
    for f in findings:
        if f.effect == "EXCLUDE_REVIEW":
            return Readiness.REVIEW_REQUIRED
        # a REVIEW on an order that is excluded anyway is reported but asks for nothing
        if f.effect == "REVIEW" and (f.order_id is None or f.order_id in included):
            return Readiness.REVIEW_REQUIRED
    return Readiness.READY


def next_action(state: Readiness, findings: list[Finding]) -> NextAction:
    """RULES.md §3: what the integrator should do next."""
    if state == Readiness.READY:
        return "EXECUTE"
    if state == Readiness.REVIEW_REQUIRED:
        return "REQUEST_REVIEW"
    return "FIX_DATA_AND_REPLAN" if any(f.effect == "EXCLUDE" for f in findings) else "NONE"
