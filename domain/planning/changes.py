"""What changed between two plans of one export, as a reviewer reads it: orders added or
removed, decisions that changed, reason codes that appeared or went away (pure)."""

from dataclasses import dataclass, field
from typing import Any

from domain.planning.models import PlanOutcome

OrderDecisions = dict[str, dict[str, Any]]


def order_decisions(plan: PlanOutcome) -> OrderDecisions:
    """Per requested order: its decision and sorted reason codes (what a snapshot keeps, in
    the stored snapshot's wire names)."""
    return {
        d.order_id: {"decision": d.decision, "reasonCodes": sorted(set(d.reason_codes))}
        for d in plan.decisions
    }


@dataclass(frozen=True)
class DecisionChange:
    """An order whose decision or reason codes differ between the two plans."""

    order_id: str
    before: str
    after: str
    codes_added: list[str]
    codes_removed: list[str]


@dataclass(frozen=True)
class PlanChanges:
    """The difference from an earlier plan to the current one."""

    orders_added: list[str] = field(default_factory=list)
    orders_removed: list[str] = field(default_factory=list)
    changed: list[DecisionChange] = field(default_factory=list)
    codes_appeared: list[str] = field(default_factory=list)
    codes_gone: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two plans decide every order the same way."""
        return not (
            self.orders_added
            or self.orders_removed
            or self.changed
            or self.codes_appeared
            or self.codes_gone
        )


def _codes(decisions: OrderDecisions) -> set[str]:
    return {c for d in decisions.values() for c in d["reasonCodes"]}


def plan_changes(before: OrderDecisions, after: OrderDecisions) -> PlanChanges:
    """How `after` differs from `before`, each list sorted."""
    changed = []
    for order_id in sorted(before.keys() & after.keys()):
        old, new = before[order_id], after[order_id]
        added = sorted(set(new["reasonCodes"]) - set(old["reasonCodes"]))
        removed = sorted(set(old["reasonCodes"]) - set(new["reasonCodes"]))
        if old["decision"] != new["decision"] or added or removed:
            changed.append(
                DecisionChange(order_id, old["decision"], new["decision"], added, removed)
            )
    return PlanChanges(
        orders_added=sorted(after.keys() - before.keys()),
        orders_removed=sorted(before.keys() - after.keys()),
        changed=changed,
        codes_appeared=sorted(_codes(after) - _codes(before)),
        codes_gone=sorted(_codes(before) - _codes(after)),
    )
