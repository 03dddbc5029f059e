"""The export status machine: which action applies in which state (pure; used by API and workflow)."""

from dataclasses import dataclass

PRE_EXECUTION = frozenset({"PLANNED", "AWAITING_APPROVAL", "BLOCKED"})
CLOSED = frozenset({"REJECTED", "CANCELLED", "EXPIRED"})
FINAL = CLOSED | {"COMPLETED", "BROKER_REJECTED"}


@dataclass(frozen=True)
class Refusal:
    """Why an action does not apply: the contract's errorCode and a message."""

    code: str
    message: str


def _state_refusal(action: str, status: str) -> Refusal:
    return Refusal("INVALID_EXPORT_STATE", f"Cannot {action} an export in status {status}.")


def may_execute(readiness: str | None, approval: str) -> bool:
    """Execution may begin: READY, or REVIEW_REQUIRED with this plan approved."""
    return readiness == "READY" or (readiness == "REVIEW_REQUIRED" and approval == "APPROVED")


def refuse_execute(status: str | None, readiness: str | None) -> Refusal | None:
    """Why `execute` does not apply, if it does not."""
    if status is None:
        return Refusal("INVALID_EXPORT_STATE", "The export is still being planned.")
    if readiness == "BLOCKED" or status == "BLOCKED":
        return Refusal("EXPORT_BLOCKED", "The plan is BLOCKED; fix the data and re-plan.")
    if status in CLOSED:
        return _state_refusal("execute", status)
    return None


def refuse_approve(
    status: str | None, readiness: str | None, approval: str, current: str | None, given: str
) -> Refusal | None:
    """Why `approve` does not apply (state first, then the plan hash)."""
    if status not in ("PLANNED", "AWAITING_APPROVAL"):
        return _state_refusal("approve", str(status))
    if readiness != "REVIEW_REQUIRED" or approval != "PENDING":
        return Refusal(
            "INVALID_EXPORT_STATE", "Only an undecided plan that requires review can be approved."
        )
    if given != current:
        return Refusal("PLAN_HASH_MISMATCH", "The plan changed; approve the current planHash.")
    return None


def refuse_before_execution(action: str, status: str | None) -> Refusal | None:
    """reject, cancel and re-plan apply only before execution starts (None: still planning)."""
    if status is not None and status not in PRE_EXECUTION:
        return _state_refusal(action, str(status))
    return None


def refuse_retry(status: str | None) -> Refusal | None:
    """retry applies only in ATTENTION_REQUIRED."""
    if status != "ATTENTION_REQUIRED":
        return _state_refusal("retry", str(status))
    return None


def refuse_broker_outcome(status: str | None) -> Refusal | None:
    """A broker outcome is recorded once the submission went out."""
    if status not in ("EXECUTING", "EXECUTED", "ATTENTION_REQUIRED"):
        return _state_refusal("record a broker outcome for", str(status))
    return None
