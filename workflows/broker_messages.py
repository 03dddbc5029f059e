"""Messages of the broker loop (docs/broker-protocol.md): the callback update, the answer to a
request, the broker's terms and the amendment step. Attributes snake_case, camelCase on the wire.
"""

from typing import Literal

from pydantic import Field

from domain.broker_loop.callbacks import BrokerCallback
from domain.broker_loop.machine import ReceiveResult
from domain.status import ExportStatus
from domain.wire import WireModel

__all__ = ["BrokerCallback"]

DEFAULT_ACKNOWLEDGE_WITHIN_SECONDS = 2 * 3600.0
DEFAULT_DECIDE_WITHIN_SECONDS = 48 * 3600.0


class BrokerTerms(WireModel):
    """What the loop needs to know of the export's broker, read once the submission went out."""

    reports_release: bool = False
    acknowledge_within_seconds: float = DEFAULT_ACKNOWLEDGE_WITHIN_SECONDS
    decide_within_seconds: float = DEFAULT_DECIDE_WITHIN_SECONDS


class CallbackResult(WireModel):
    """What a callback did: the broker is answered 200 with it, or 409 on a conflict."""

    result: ReceiveResult
    status: ExportStatus | None = None
    reason: str | None = None


class RecordedMessage(WireModel):
    """What a person records for a broker that cannot call back (an email broker): one
    callback of protocol 2 without its sequence, which the workflow gives it."""

    callback: BrokerCallback
    actor: str


class AnswerInput(WireModel):
    """An answer to an open broker request: a message, the sha256 of attached documents."""

    request_id: str
    message: str
    documents: list[str] = Field(default_factory=list)
    actor: str
    label: str | None = None


AnswerOutcome = Literal["amendment_sent", "awaiting_review", "blocked", "attention_required"]


class AnswerResult(WireModel):
    """What came of an answer: the amendment went out, the new plan waits for review, the new
    plan is blocked (fix the data and answer again), or a step failed (retry)."""

    outcome: AnswerOutcome
    plan_hash: str | None = None
    amendment: int | None = None
    status: ExportStatus | None = None


class AmendmentInput(WireModel):
    """The amendment step: send amendment `number` of the submission, the package of `planHash`."""

    export_id: str
    plan_hash: str
    number: int
    request_id: str | None = None
    reason: str


class ResendInput(WireModel):
    """Send the submission (or its latest amendment) once more, same idempotency key."""

    export_id: str
    amendment: int = 0
