"""What changed between two plans of one export, as the console shows it."""

from typing import Literal

from domain.planning.changes import order_decisions, plan_changes
from domain.planning.models import Decision, PlanOutcome
from tests.support.planning_builders import run, snapshot

BASE = run(snapshot())


def plan(*decisions: tuple[str, Literal["INCLUDED", "EXCLUDED"], list[str]]) -> PlanOutcome:
    """A real plan whose decisions are these."""
    made = [Decision(order_id=o, decision=d, reason_codes=codes) for o, d, codes in decisions]
    return BASE.model_copy(update={"decisions": made})


def test_the_same_plan_has_no_changes() -> None:
    p = order_decisions(plan(("o1", "INCLUDED", ["B", "A", "A"])))
    assert p == {"o1": {"decision": "INCLUDED", "reasonCodes": ["A", "B"]}}
    assert plan_changes(p, p).empty


def test_orders_added_removed_and_decisions_changed() -> None:
    before = order_decisions(
        plan(("o1", "INCLUDED", ["PGA_CPSC"]), ("o2", "INCLUDED", []), ("o3", "INCLUDED", []))
    )
    after = order_decisions(
        plan(
            ("o1", "EXCLUDED", ["ORIGIN_EMBARGOED"]), ("o3", "INCLUDED", []), ("o4", "INCLUDED", [])
        )
    )
    changes = plan_changes(before, after)
    assert not changes.empty
    assert changes.orders_added == ["o4"]
    assert changes.orders_removed == ["o2"]
    [changed] = changes.changed
    assert (changed.order_id, changed.before, changed.after) == ("o1", "INCLUDED", "EXCLUDED")
    assert changed.codes_added == ["ORIGIN_EMBARGOED"]
    assert changed.codes_removed == ["PGA_CPSC"]
    assert changes.codes_appeared == ["ORIGIN_EMBARGOED"]
    assert changes.codes_gone == ["PGA_CPSC"]


def test_a_code_moving_between_orders_is_a_change_of_both_but_not_of_the_plan() -> None:
    before = order_decisions(plan(("o1", "INCLUDED", ["X"]), ("o2", "INCLUDED", [])))
    after = order_decisions(plan(("o1", "INCLUDED", []), ("o2", "INCLUDED", ["X"])))
    changes = plan_changes(before, after)
    assert [c.order_id for c in changes.changed] == ["o1", "o2"]
    assert changes.codes_appeared == changes.codes_gone == []
