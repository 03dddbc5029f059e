"""The planner as a whole: deterministic, stable ordering, decisions for every requested id."""

import json
from datetime import date
from decimal import Decimal

from domain.planning.models import PlanningSnapshot
from domain.planning.plan_hash import plan_hash
from tests.support.planning_builders import (
    PACK,
    PLAN_DATE,
    order,
    product,
    run,
    snapshot,
)

MIXED = snapshot(
    orders=[
        order("ord_1"),
        order("ord_2", lines=[("prod_mug", 1), ("prod_cn", 3)]),
        order("ord_3", lines=[("prod_bad", 1)]),
    ],
    products=[
        product(),
        product("prod_cn", countryOfOrigin="CN", weightKg=None, unitValueUsd=Decimal("20.00")),
        product("prod_bad", hsCode=None, description="Gift"),
    ],
    requested=["ord_3", "ord_1", "ord_missing", "ord_1", "ord_2"],
)


def _reversed(snap: PlanningSnapshot) -> PlanningSnapshot:
    return snap.model_copy(
        update={
            "orders": dict(reversed(snap.orders.items())),
            "products": dict(reversed(snap.products.items())),
        }
    )


def test_baseline_is_ready_with_only_the_plan_wide_flags() -> None:
    outcome = run(snapshot())
    assert outcome.readiness_state == "READY"
    assert outcome.next_recommended_action == "EXECUTE"
    assert [m.rule_id for m in outcome.validation_messages] == ["T-007", "E-001"]
    assert outcome.missing_data == []


def test_planning_twice_gives_equal_outcomes() -> None:
    assert run(MIXED) == run(MIXED)


def test_outcome_does_not_depend_on_mapping_order() -> None:
    assert run(_reversed(MIXED)) == run(MIXED)


def test_decisions_follow_the_requested_order_without_duplicates() -> None:
    outcome = run(MIXED)
    assert [d.order_id for d in outcome.decisions] == ["ord_3", "ord_1", "ord_missing", "ord_2"]
    assert outcome.included_order_ids == ["ord_1", "ord_2"]
    assert outcome.excluded_order_ids == ["ord_3", "ord_missing"]
    reasons = {d.order_id: d.reason_codes for d in outcome.decisions}
    assert reasons["ord_3"] == ["HTS_MISSING"]
    assert reasons["ord_missing"] == ["ORDER_NOT_SYNCED"]
    assert reasons["ord_1"] == []
    assert reasons["ord_2"] == ["WEIGHT_MISSING", "TARIFF_301_CHINA"]


def test_messages_are_sorted_plan_first_then_by_requested_order() -> None:
    outcome = run(MIXED)
    rank = {None: -1, "ord_3": 0, "ord_1": 1, "ord_missing": 2, "ord_2": 3}
    ranks = [rank[m.order_id] for m in outcome.validation_messages]
    assert ranks == sorted(ranks)
    severities = [m.severity for m in outcome.validation_messages if m.order_id == "ord_3"]
    assert severities == sorted(severities, key=["ERROR", "WARNING", "INFO"].index)


def test_a_review_on_an_excluded_order_does_not_ask_for_review() -> None:
    outcome = run(MIXED)
    vague = [m for m in outcome.validation_messages if m.code == "DESCRIPTION_VAGUE"]
    assert [(m.order_id, m.severity) for m in vague] == [("ord_3", "WARNING")]
    assert outcome.readiness_state == "READY"


def test_flags_describe_only_included_orders() -> None:
    flags = {f.code: f for f in run(MIXED).flags}
    assert flags["WEIGHT_MISSING"].order_ids == ["ord_2"]
    assert flags["MARKING_COUNTRY_OF_ORIGIN_REQUIRED"].order_ids == ["ord_1", "ord_2"]
    assert "MANUFACTURER_MISSING" not in flags  # only on the excluded ord_3


def test_totals_count_requests_and_sum_the_included_orders() -> None:
    totals = run(MIXED).totals
    assert (totals.orders, totals.included_orders, totals.lines) == (4, 2, 3)
    assert totals.value_usd == Decimal("105.00")  # 2 × 15 + 15 + 3 × 20
    assert totals.weight_kg == Decimal("1.200")  # the CN product has no weight


def test_outcome_carries_the_plan_hash_and_pack_version() -> None:
    outcome = run(MIXED)
    assert outcome.plan_hash == plan_hash(MIXED, PACK, plan_date=PLAN_DATE)
    assert outcome.ruleset_version == "us-2026.11"


def test_wire_form_uses_numbers_for_money() -> None:
    wire = json.loads(run(MIXED).model_dump_json())
    assert wire["totals"]["valueUsd"] == 105
    assert wire["exportUnits"][0]["weightKg"] == 1.2
    assert wire["validationMessages"][0]["orderId"] is None


def test_stale_rule_data_changes_readiness_and_hash_together() -> None:
    fresh, stale = run(snapshot()), run(snapshot(), plan_date=date(2027, 6, 1))
    assert (fresh.readiness_state, stale.readiness_state) == ("READY", "REVIEW_REQUIRED")
    assert fresh.plan_hash != stale.plan_hash
