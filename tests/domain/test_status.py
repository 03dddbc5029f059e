"""The one status vocabulary: the statuses, and the decisions made once from readiness."""

import pytest

from domain.status import (
    CLOSED,
    FINAL,
    PRE_EXECUTION,
    ApprovalState,
    ExportStatus,
    approval_for,
    refuse_approve,
    status_after_planning,
)
from workflows.messages import ExportStatus as MessageStatus


def test_the_statuses_of_the_contract() -> None:
    assert [s.value for s in ExportStatus] == [
        "PLANNED", "AWAITING_APPROVAL", "EXECUTING", "EXECUTED", "COMPLETED", "BLOCKED",
        "REJECTED", "CANCELLED", "EXPIRED", "ATTENTION_REQUIRED", "BROKER_REJECTED",
        # the broker loop (docs/broker-protocol.md)
        "BROKER_ACTION_REQUIRED", "CUSTOMS_HOLD", "CUSTOMS_REFUSED",
    ]  # fmt: skip
    assert MessageStatus is ExportStatus  # the workflow speaks the same vocabulary
    assert ExportStatus.PLANNED == "PLANNED"  # stored and sent as the plain string
    assert PRE_EXECUTION.isdisjoint(FINAL)
    assert CLOSED <= FINAL


@pytest.mark.parametrize(
    ("readiness", "status", "approval"),
    [
        ("READY", ExportStatus.PLANNED, ApprovalState.NOT_REQUIRED),
        ("REVIEW_REQUIRED", ExportStatus.PLANNED, ApprovalState.PENDING),
        ("BLOCKED", ExportStatus.BLOCKED, ApprovalState.NOT_REQUIRED),
    ],
)
def test_a_fresh_plan_status_and_approval(
    readiness: str, status: ExportStatus, approval: ApprovalState
) -> None:
    assert status_after_planning(readiness) == status
    assert approval_for(readiness) == approval


def test_a_blocked_export_is_never_approved() -> None:
    refusal = refuse_approve(ExportStatus.BLOCKED, "BLOCKED", "NOT_REQUIRED", "h", "h")
    assert refusal is not None
    assert refusal.code == "INVALID_EXPORT_STATE"
