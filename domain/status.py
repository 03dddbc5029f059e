"""The export status machine: the one status vocabulary, which action applies in which state,
and the approval a plan starts with (pure; used by the workflow, activities, store and API)."""

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum


class ExportStatus(StrEnum):
    """Where an export stands (CONTRACT §9.3)."""

    PLANNED = "PLANNED"
    AWAITING_APPROVAL = "AWAITING_APPROVAL"
    EXECUTING = "EXECUTING"
    EXECUTED = "EXECUTED"
    COMPLETED = "COMPLETED"
    BLOCKED = "BLOCKED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    ATTENTION_REQUIRED = "ATTENTION_REQUIRED"
    BROKER_REJECTED = "BROKER_REJECTED"
    # the broker loop (docs/broker-protocol.md): a request or correctable rejection waits for
    # our answer; a customs hold is open; the goods were refused or seized (final)
    BROKER_ACTION_REQUIRED = "BROKER_ACTION_REQUIRED"
    CUSTOMS_HOLD = "CUSTOMS_HOLD"
    CUSTOMS_REFUSED = "CUSTOMS_REFUSED"


class ApprovalState(StrEnum):
    """Where the plan's review stands."""

    NOT_REQUIRED = "NOT_REQUIRED"
    PENDING = "PENDING"
    # four eyes: approved by fewer different keys than the plan needs
    PARTIALLY_APPROVED = "PARTIALLY_APPROVED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class Readiness(StrEnum):
    """What the planner decided a plan is fit for."""

    READY = "READY"
    REVIEW_REQUIRED = "REVIEW_REQUIRED"
    BLOCKED = "BLOCKED"


S = ExportStatus
# approvals still accepted: nobody approved yet, or fewer keys than the plan needs
AWAITING_APPROVALS = frozenset({ApprovalState.PENDING, ApprovalState.PARTIALLY_APPROVED})
PRE_EXECUTION = frozenset({S.PLANNED, S.AWAITING_APPROVAL, S.BLOCKED})
# re-plan, approve and the like change a plan only in these (a BLOCKED plan is never approved)
UNDECIDED = frozenset({S.PLANNED, S.AWAITING_APPROVAL})
CLOSED = frozenset({S.REJECTED, S.CANCELLED, S.EXPIRED})
BROKER_DONE = frozenset({S.COMPLETED, S.BROKER_REJECTED, S.CUSTOMS_REFUSED})
# after execution, while the broker works on the submission
BROKER_WORKING = frozenset({S.EXECUTED, S.BROKER_ACTION_REQUIRED, S.CUSTOMS_HOLD})
FINAL = CLOSED | BROKER_DONE
# an execute request has its answer once the export rests in one of these
EXECUTE_ANSWERED = frozenset(
    {S.AWAITING_APPROVAL, S.ATTENTION_REQUIRED, S.EXECUTED, S.COMPLETED, S.BROKER_REJECTED}
)


def status_after_planning(readiness: str) -> ExportStatus:
    """The status a fresh plan puts the export in."""
    return S.BLOCKED if readiness == Readiness.BLOCKED else S.PLANNED


def approval_for(readiness: Readiness) -> ApprovalState:
    """The approval a fresh plan starts with: review-required plans wait for a reviewer."""
    if readiness == Readiness.REVIEW_REQUIRED:
        return ApprovalState.PENDING
    return ApprovalState.NOT_REQUIRED


@dataclass(frozen=True)
class Refusal:
    """Why an action does not apply: the contract's errorCode and a message."""

    code: str
    message: str


def _state_refusal(action: str, status: str) -> Refusal:
    return Refusal("INVALID_EXPORT_STATE", f"Cannot {action} an export in status {status}.")


def may_execute(readiness: str | None, approval: str) -> bool:
    """Execution may begin: READY, or REVIEW_REQUIRED with this plan approved."""
    return readiness == Readiness.READY or (
        readiness == Readiness.REVIEW_REQUIRED and approval == ApprovalState.APPROVED
    )


def refuse_execute(status: str | None, readiness: str | None) -> Refusal | None:
    """Why `execute` does not apply, if it does not."""
    if status is None:
        return Refusal("INVALID_EXPORT_STATE", "The export is still being planned.")
    if readiness == Readiness.BLOCKED or status == S.BLOCKED:
        return Refusal("EXPORT_BLOCKED", "The plan is BLOCKED; fix the data and re-plan.")
    if status in CLOSED:
        return _state_refusal("execute", status)
    return None


ALREADY_APPROVED_BY_KEY = Refusal(
    "INVALID_EXPORT_STATE",
    "This key has already approved this plan; a second reviewer must approve.",
)


def refuse_approve(
    status: str | None,
    readiness: str | None,
    approval: str,
    current: str | None,
    given: str,
    *,
    approved_by: Collection[str] = (),
    key_id: str | None = None,
) -> Refusal | None:
    """Why `approve` does not apply (state first, then the plan hash, then four eyes: a key
    that approved this plan already may not approve it again)."""
    if status not in UNDECIDED:
        return _state_refusal("approve", str(status))
    if readiness != Readiness.REVIEW_REQUIRED or approval not in AWAITING_APPROVALS:
        return Refusal(
            "INVALID_EXPORT_STATE", "Only an undecided plan that requires review can be approved."
        )
    if given != current:
        return Refusal("PLAN_HASH_MISMATCH", "The plan changed; approve the current planHash.")
    if key_id is not None and key_id in approved_by:
        return ALREADY_APPROVED_BY_KEY
    return None


def refuse_before_execution(action: str, status: str | None) -> Refusal | None:
    """reject, cancel and re-plan apply only before execution starts (None: still planning)."""
    if status is not None and status not in PRE_EXECUTION:
        return _state_refusal(action, str(status))
    return None


def refuse_cancel(status: str | None) -> Refusal | None:
    """cancel applies before execution, and during it while a step is held (ATTENTION_REQUIRED,
    or EXECUTING with a send waiting for its destination) as long as the broker has nothing:
    the workflow, which knows what was sent, has the last word (docs/fleet-control.md)."""
    if status in (S.EXECUTING, S.ATTENTION_REQUIRED):
        return None
    return refuse_before_execution("cancel", status)


def refuse_retry(status: str | None) -> Refusal | None:
    """retry applies only in ATTENTION_REQUIRED."""
    if status != S.ATTENTION_REQUIRED:
        return _state_refusal("retry", str(status))
    return None


def refuse_broker_outcome(status: str | None) -> Refusal | None:
    """What a broker said is recorded once the submission went out (the send step may still be
    finishing) and until the broker's side is final."""
    if status not in (S.EXECUTING, S.ATTENTION_REQUIRED, *BROKER_WORKING):
        return _state_refusal("record a broker outcome for", str(status))
    return None
