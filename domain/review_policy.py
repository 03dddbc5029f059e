"""The review policy (issue 12): how many different keys must approve a plan, and why.

Four eyes: a plan that asks for review needs two different approvers when the value of its
included orders exceeds the account's threshold, or when a sanctions or forced-labour rule
(`S-*`) fired anywhere in it (on an included or an excluded order). Every other plan that asks
for review needs one. A READY plan executes without review and a BLOCKED one is never
approved: neither needs an approval (0).

Pure: the plan document (CONTRACT §9.1) in, the decision out; the planning activity calls it
once per plan and the workflow enforces what it returns.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from domain.planning.findings import RULES

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


def sanctions_rules(plan: Mapping[str, Any]) -> list[str]:
    """The S-rule ids the plan carries, sorted: from its validation messages and from the
    reason codes of its decisions."""
    found: set[str] = set()
    for message in plan.get("validationMessages") or []:
        rule_id = str(message.get("ruleId") or "")
        if rule_id.startswith(SANCTIONS_PREFIX):
            found.add(rule_id)
    for decision in plan.get("decisions") or []:
        for code in decision.get("reasonCodes") or []:
            if code in _SANCTIONS_BY_CODE:
                found.add(_SANCTIONS_BY_CODE[code])
            elif str(code).startswith(SANCTIONS_PREFIX):
                found.add(str(code))
    return sorted(found)


def included_value(plan: Mapping[str, Any]) -> Decimal:
    """The value of the included orders in USD (the plan's totals)."""
    totals = plan.get("totals") or {}
    return Decimal(str(totals.get("valueUsd") or 0))


def approvals_required(plan: Mapping[str, Any], threshold_usd: float) -> tuple[int, list[str]]:
    """(how many different keys must approve the plan, why four eyes apply: reason codes)."""
    if plan.get("readinessState") != "REVIEW_REQUIRED":
        return 0, []
    reasons: list[str] = []
    if included_value(plan) > Decimal(str(threshold_usd)):
        reasons.append(value_reason(threshold_usd))
    reasons.extend(sanctions_rules(plan))
    return (2 if reasons else 1), reasons


__all__ = ["SANCTIONS_PREFIX", "approvals_required", "sanctions_rules", "value_reason"]
