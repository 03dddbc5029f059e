"""The review policy: how many different keys must approve a plan, and why."""

from collections.abc import Iterable
from decimal import Decimal

import pytest

from domain.planning.document import plan_document
from domain.planning.models import Decision, PlanOutcome, ValidationMessage
from domain.review_policy import approvals_required, sanctions_rules, value_reason
from domain.status import ExportStatus, Readiness
from tests.support.planning_builders import run, with_product

BASE = run(with_product())


def message(rule_id: str, code: str = "SOME_CODE") -> ValidationMessage:
    return ValidationMessage(code=code, severity="WARNING", rule_id=rule_id, message="m")


def decision(order_id: str, codes: list[str]) -> Decision:
    return Decision(order_id=order_id, decision="INCLUDED", reason_codes=codes)


def review_plan(
    value: float = 100.0,
    *,
    readiness: Readiness = Readiness.REVIEW_REQUIRED,
    messages: Iterable[ValidationMessage] = (),
    decisions: Iterable[Decision] = (),
) -> PlanOutcome:
    """A real plan with the fields the policy reads replaced."""
    totals = BASE.totals.model_copy(update={"value_usd": Decimal(str(value))})
    return BASE.model_copy(
        update={
            "readiness_state": readiness,
            "totals": totals,
            "validation_messages": list(messages),
            "decisions": list(decisions),
        }
    )


def test_a_review_plan_under_the_threshold_needs_one_key() -> None:
    assert approvals_required(review_plan(9999.99), 10000) == (1, [])
    assert approvals_required(review_plan(10000), 10000) == (1, [])  # "exceeds": not at


def test_a_review_plan_above_the_threshold_needs_two() -> None:
    assert approvals_required(review_plan(10000.01), 10000) == (2, ["VALUE_ABOVE_10000_USD"])
    assert approvals_required(review_plan(160), 100.0) == (2, ["VALUE_ABOVE_100_USD"])


@pytest.mark.parametrize(
    ("threshold", "reason"),
    [
        (10000, "VALUE_ABOVE_10000_USD"),
        (10000.0, "VALUE_ABOVE_10000_USD"),
        (2500.5, "VALUE_ABOVE_2500_5_USD"),
        (1e6, "VALUE_ABOVE_1000000_USD"),
    ],
)
def test_the_value_reason_names_the_threshold(threshold: float, reason: str) -> None:
    assert value_reason(threshold) == reason


def test_a_sanctions_rule_needs_two_keys_whatever_the_value() -> None:
    messages = [
        message("D-006", "HTS_NOT_10_DIGIT"),
        message("S-004", "ORIGIN_COLUMN2_SANCTIONS_RISK"),
    ]
    plan = review_plan(10, messages=messages)
    assert approvals_required(plan, 10000) == (2, ["S-004"])


def test_sanctions_rules_come_from_messages_and_reason_codes_once_each_sorted() -> None:
    plan = review_plan(
        messages=[message("S-005"), message("S-005"), message("G-008")],
        decisions=[
            decision("o1", ["UFLPA_ENTITY_LIST", "HTS_NOT_10_DIGIT"]),
            decision("o2", ["ORIGIN_EMBARGOED"]),
        ],
    )
    assert sanctions_rules(plan) == ["S-001", "S-005", "S-011"]
    assert approvals_required(plan, 1e9) == (2, ["S-001", "S-005", "S-011"])


def test_both_reasons_are_given() -> None:
    plan = review_plan(20000, messages=[message("S-003")])
    assert approvals_required(plan, 10000) == (2, ["VALUE_ABOVE_10000_USD", "S-003"])


@pytest.mark.parametrize("readiness", [Readiness.READY, Readiness.BLOCKED])
def test_a_plan_without_review_needs_no_approval(readiness: Readiness) -> None:
    plan = review_plan(1e9, readiness=readiness, messages=[message("S-001")])
    assert approvals_required(plan, 10000) == (0, [])


def test_a_real_plan_of_russian_goods_needs_two_keys() -> None:
    outcome = run(with_product(countryOfOrigin="RU"))
    document = plan_document("exp_1", ExportStatus.PLANNED, outcome, "2026-11-26T00:00:00Z")
    assert document.readiness_state == Readiness.REVIEW_REQUIRED
    required, reasons = approvals_required(document, 10000)
    assert required == 2
    assert "S-004" in reasons


def test_a_real_ready_plan_needs_none() -> None:
    outcome = run(with_product())
    document = plan_document("exp_1", ExportStatus.PLANNED, outcome, "2026-11-26T00:00:00Z")
    assert approvals_required(document, 0) == (0, [])


def test_a_partly_approved_plan_takes_a_second_key_but_not_the_first_again() -> None:
    from domain.status import ALREADY_APPROVED_BY_KEY, refuse_approve

    args = ("AWAITING_APPROVAL", "REVIEW_REQUIRED", "PARTIALLY_APPROVED", "sha256:a", "sha256:a")
    assert refuse_approve(*args, approved_by={"key_a"}, key_id="key_b") is None
    assert refuse_approve(*args, approved_by={"key_a"}, key_id="key_a") == ALREADY_APPROVED_BY_KEY
    assert ALREADY_APPROVED_BY_KEY.code == "INVALID_EXPORT_STATE"
    # the plan hash is checked first: a stale approval says so, whoever sends it
    stale = refuse_approve(*args[:4], "sha256:b", approved_by={"key_a"}, key_id="key_a")
    assert stale is not None
    assert stale.code == "PLAN_HASH_MISMATCH"
    approved = ("PLANNED", "REVIEW_REQUIRED", "APPROVED", "sha256:a", "sha256:a")
    refused = refuse_approve(*approved, approved_by={"key_a", "key_b"}, key_id="key_c")
    assert refused is not None
    assert refused.code == "INVALID_EXPORT_STATE"
