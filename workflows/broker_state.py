"""What the export workflow knows of the broker's side once the submission went out: the pure
`BrokerSide` (domain/broker_loop), what is applied but not yet written, the answers waiting,
and the timers already fired. Read and changed by the callback update, the answer update and
the broker loop (workflows/broker_loop.py); written only through the ledger."""

from dataclasses import dataclass, field
from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.broker_loop.machine import Received, export_status, is_final
    from domain.broker_loop.state import BrokerSide
    from domain.status import ExportStatus
    from workflows.broker_messages import AnswerInput, AnswerResult, BrokerTerms


@dataclass
class BrokerLoop:
    """The broker loop's part of the workflow's state."""

    enabled: bool = False  # this workflow follows the broker with the loop (not the old wait)
    side: BrokerSide = field(default_factory=BrokerSide)
    terms: BrokerTerms | None = None
    running: bool = False  # the loop has started (callbacks are applied from then on)
    unwritten: list[Received] = field(default_factory=list)
    received: int = 0  # callbacks taken by the update
    written: int = 0  # callbacks whose transition is written
    answers: list[AnswerInput] = field(default_factory=list)
    results: dict[str, AnswerResult] = field(default_factory=dict)
    amending: bool = False  # an answer's re-plan or amendment is under way
    current_answer: str | None = None  # the request whose answer is under way
    started_at: datetime | None = None  # when the loop began (the decide deadline runs from it)
    sends: int = 0  # the submission and its amendments sent so far
    acks: int = 0  # ACKNOWLEDGED callbacks applied
    last_send_at: datetime | None = None
    ack_resent: bool = False
    fired: set[str] = field(default_factory=set)  # timers already fired, by key

    @property
    def reports_release(self) -> bool:
        return self.terms is not None and self.terms.reports_release

    def final(self) -> bool:
        return is_final(self.side, reports_release=self.reports_release)

    def status(self) -> ExportStatus:
        return export_status(self.side, reports_release=self.reports_release)


__all__ = ["BrokerLoop"]
