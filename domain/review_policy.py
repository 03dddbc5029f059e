"""The review policy: how many different keys must approve a plan, and why.

Four eyes: a plan that asks for review needs two different approvers when the value of its
included orders exceeds the account's threshold, or when a sanctions or forced-labour rule
(`S-*`) fired anywhere in it (on an included or an excluded order). Every other plan that asks
for review needs one. A READY plan executes without review and a BLOCKED one is never
approved: neither needs an approval (0).

Pure: the plan (CONTRACT §9.1) in, the decision out; the planning activity calls it
once per plan and the workflow enforces what it returns.
"""

from decimal import Decimal

from domain.planning.findings import RULES
from domain.planning.models import PlanOutcome
from domain.status import Readiness

SANCTIONS_PREFIX = "S-"
# reason code → rule id, for the S-rules (a decision carries codes, a message the rule id)
_SANCTIONS_BY_CODE = {
    code: rule_id for rule_id, (code, _) in RULES.items() if rule_id.startswith(SANCTIONS_PREFIX)
}


def value_reason(threshold_usd: float) -> str:
    """The reason code of a plan over the value threshold, e.g. VALUE_ABOVE_10000_USD."""
    amount = Decimal(str(threshold_usd)).normalize()
    text = f"{amount:f}".replace(".", "_")
    return f"VALUE_ABOVE_{text}_USD"


def sanctions_rules(plan: PlanOutcome) -> list[str]:
    """The S-rule ids the plan carries, sorted: from its validation messages and from the
    reason codes of its decisions."""
    found = {
        message.rule_id
        for message in plan.validation_messages
        if message.rule_id.startswith(SANCTIONS_PREFIX)
    }
    for decision in plan.decisions:
        for code in decision.reason_codes:
            if code in _SANCTIONS_BY_CODE:
                found.add(_SANCTIONS_BY_CODE[code])
            elif code.startswith(SANCTIONS_PREFIX):
                found.add(code)
    return sorted(found)


def approvals_required(plan: PlanOutcome, threshold_usd: float) -> tuple[int, list[str]]:
    """(how many different keys must approve the plan, why four eyes apply: reason codes)."""
    if plan.readiness_state != Readiness.REVIEW_REQUIRED:
        return 0, []
    reasons: list[str] = []
    if plan.totals.value_usd > Decimal(str(threshold_usd)):
        reasons.append(value_reason(threshold_usd))
    reasons.extend(sanctions_rules(plan))
    return (2 if reasons else 1), reasons


__all__ = ["SANCTIONS_PREFIX", "approvals_required", "sanctions_rules", "value_reason"]
