"""What the export workflow knows about its export: one plain object, read and changed by the
run loop, the message handlers and the review clock, and written to the database only through
the ledger (workflows/ledger.py). Its methods are pure: they answer from the state alone."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow

from workflows.broker_state import BrokerLoop

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.destinations import WaitingFor
    from domain.status import ExportStatus as S
    from domain.status import Readiness
    from workflows.messages import (
        Approval,
        Attention,
        BrokerOutcome,
        DecisionInput,
        EventSpec,
        ExportInput,
        ExportStatus,
        PlanSummary,
        plan_approval,
    )


def event(kind: str, actor: str = "system", data: dict[str, Any] | None = None) -> EventSpec:
    """An event to append; its dedupe key is completed with the transition number when written."""
    return EventSpec(type=kind, dedupe_key=kind, actor=actor, data=data or {})


def once(
    kind: str, key: str, actor: str = "system", data: dict[str, Any] | None = None
) -> EventSpec:
    """An event `key` makes unique in the export's log, written under that key whichever
    transition carries it: what a local write appends (workflows/ledger.py says why)."""
    return EventSpec(type=kind, dedupe_key=f"{key}:{kind}", actor=actor, data=data or {})


@dataclass
class ExportState:
    """The state of one export workflow."""

    inp: ExportInput
    summary: PlanSummary | None = None
    status: ExportStatus | None = None
    approval: Approval = field(
        default_factory=lambda: Approval(state=machine.ApprovalState.NOT_REQUIRED)
    )
    execution_requested: bool = False
    attention: Attention | None = None
    # a reject or cancel decided, waiting for the run loop to write it
    closing: tuple[ExportStatus, DecisionInput] | None = None
    retry_requested: bool = False
    retry_actor: str = "system"
    retry_label: str | None = None
    retries_taken: int = 0  # retries whose EXECUTING transition has been written
    outcomes: list[BrokerOutcome] = field(default_factory=list)
    seen_outcomes: set[str] = field(default_factory=set)
    completed: list[str] = field(default_factory=list)
    current_step: str | None = None
    planning: bool = False
    execution_started: bool = False
    # the steps that write only our database run as local activities, and the broker loop reads
    # its terms with one (STEPS_LOCAL_PATCH, asked once as execution starts)
    local_steps: bool = False
    # the execution request writes EXECUTING itself when nothing stands between
    # (EXECUTE_AT_ONCE_PATCH, asked as the workflow starts), and has done so for this export
    execute_at_once: bool = False
    started_by_request: bool = False
    final: bool = False  # a closing transition (expired, rejected, cancelled) has begun
    # the review clock (workflows/review_clock.py): plans made so far, the plan whose review was
    # reported overdue, and whether the review webhook is being told
    plan_round: int = 0
    overdue_round: int = 0
    notifying: bool = False
    # the broker loop (workflows/broker_loop.py), once the submission went out
    broker: BrokerLoop = field(default_factory=BrokerLoop)
    # fleet control (workflows/destination_wait.py): the destination a send waits for, and
    # whether that destination has let it go (released, or chosen to probe)
    waiting_for: WaitingFor | None = None
    destination_ready: bool = False

    @property
    def readiness(self) -> Readiness | None:
        return self.summary.readiness_state if self.summary else None

    @property
    def plan_hash(self) -> str | None:
        return self.summary.plan_hash if self.summary else None

    @property
    def phase(self) -> ExportStatus | None:
        """The status validators judge by: EXECUTING as soon as execution has begun, the closing
        status as soon as a close was decided (its transition may still be in flight)."""
        if self.closing is not None and not self.execution_started:
            return self.closing[0]
        if self.broker.amending and self.status == S.AWAITING_APPROVAL:
            return self.status  # an answer's new plan waits for its review
        if self.final and self.status in machine.PRE_EXECUTION:
            return S.EXPIRED
        if self.execution_started and self.status in machine.PRE_EXECUTION:
            return S.EXECUTING
        return self.status

    def take_plan(self, summary: PlanSummary) -> None:
        """A new plan starts its review afresh: no approvals, a new deadline."""
        self.summary = summary
        self.status = summary.status
        self.approval = plan_approval(summary, self.inp.review_deadline_seconds)
        self.plan_round += 1

    def may_start_at_once(self) -> bool:
        """Whether an execution request may write EXECUTING itself: no review, close or plan
        stands between it and the steps."""
        return (
            self.execute_at_once
            and self.summary is not None
            # past the plan's time to live the request takes the old path, and the run loop
            # expires the plan
            and workflow.now()
            < self.summary.planned_at + timedelta(seconds=self.inp.plan_ttl_seconds)
            and not self.needs_review()
            and not self.planning
            and self.closing is None
            and not self.final
            and machine.may_execute(self.readiness, self.approval.state)
        )

    def needs_review(self) -> bool:
        return (
            self.readiness == Readiness.REVIEW_REQUIRED
            and self.approval.state != machine.ApprovalState.APPROVED
        )

    def review_waiting(self) -> bool:
        """The current plan waits for a reviewer, has a review deadline, and its review has not
        been reported overdue yet."""
        return self.overdue_round != self.plan_round and self.review_open()

    def review_open(self) -> bool:
        """The current plan waits for a reviewer and has a review deadline."""
        policy = self.approval.policy
        return (
            policy is not None
            and policy.review_deadline is not None
            and not self.planning
            and self.readiness == Readiness.REVIEW_REQUIRED
            and self.approval.state in machine.AWAITING_APPROVALS
            and self.closing is None
            and not self.final
            and not self.execution_started
        )

    def execute_answered(self) -> bool:
        return self.status in machine.EXECUTE_ANSWERED or ("artifacts" in self.completed)

    def request_retry(self, actor: str, label: str | None = None) -> None:
        # `attention` is set before the ATTENTION_REQUIRED transition is written and cleared as
        # soon as a retry is taken, so a retry is neither lost nor counted twice
        self.retry_requested = True
        self.retry_actor = actor
        self.retry_label = label


__all__ = ["ExportState", "event"]
