"""The broker loop as a monotonic state machine (docs/broker-protocol.md, "How EntryGo applies
them"): callbacks apply in sequence order, duplicates change nothing, early ones wait in the
buffer, nothing applies after a final state. Once the side turns final while the buffer drains,
every callback still buffered contradicts it: all are dropped then, named in `Received.dropped`
and `Received.reason`, so the side ends the same whatever order the callbacks came in.

Pure: the times are the callbacks' and the answers' own; nothing reads a clock.
"""

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from domain.broker_loop.callbacks import BrokerCallback, CallbackType
from domain.broker_loop.state import BrokerRequest, BrokerSide, Hold, Outcome, RequestAnswer
from domain.status import ExportStatus
from domain.wire import WireModel

ReceiveResult = Literal["applied", "duplicate", "buffered", "conflict"]
Applier = Callable[[BrokerSide, BrokerCallback], BrokerSide]

# the event each applied callback is recorded as
EVENT_OF: dict[CallbackType, str] = {
    "ACKNOWLEDGED": "BROKER_ACKNOWLEDGED",
    "INFO_REQUESTED": "BROKER_INFO_REQUESTED",
    "REQUEST_WITHDRAWN": "BROKER_REQUEST_WITHDRAWN",
    "ENTRY_FILED": "ENTRY_FILED",
    "HOLD": "CUSTOMS_HOLD",
    "HOLD_RELEASED": "CUSTOMS_HOLD_RELEASED",
    "RELEASED": "CUSTOMS_RELEASED",
    "ACCEPTED": "BROKER_ACCEPTED",
    "REFUSED": "CUSTOMS_REFUSED",
    "REJECTED": "BROKER_REJECTED",
}
# outcomes final for every broker (ACCEPTED is final only for one that does not report release)
FINAL_OUTCOMES: frozenset[Outcome] = frozenset({"RELEASED", "REFUSED", "REJECTED"})
STATUS_OF_OUTCOME: dict[Outcome, ExportStatus] = {
    "RELEASED": ExportStatus.COMPLETED,
    "ACCEPTED": ExportStatus.COMPLETED,
    "REFUSED": ExportStatus.CUSTOMS_REFUSED,
    "REJECTED": ExportStatus.BROKER_REJECTED,
}


class RequestNotOpen(ValueError):
    """The request does not exist, or was answered or withdrawn already."""


class Received(WireModel):
    """What `receive` did: the result the broker is answered with, the side after it, every
    callback applied by this call in order (the one received, then the buffered ones it let
    through), why not (all) applied, and the buffered callbacks dropped as the side turned final."""

    result: ReceiveResult
    side: BrokerSide
    applied: list[BrokerCallback] = Field(default_factory=list)
    reason: str | None = None
    dropped: list[BrokerCallback] = Field(default_factory=list)


def is_final(side: BrokerSide, *, reports_release: bool) -> bool:
    """Released, refused or finally rejected; or accepted by a broker that does not report the
    release."""
    if side.outcome in FINAL_OUTCOMES:
        return True
    return side.outcome == "ACCEPTED" and not reports_release


def export_status(side: BrokerSide, *, reports_release: bool) -> ExportStatus:
    """The export's status for this side (the protocol's table): a final outcome's status; else
    BROKER_ACTION_REQUIRED while a request waits for us (it wins over an open hold: our action
    is needed); else CUSTOMS_HOLD while a hold is open; else EXECUTED."""
    if side.outcome is not None and is_final(side, reports_release=reports_release):
        return STATUS_OF_OUTCOME[side.outcome]
    if open_requests(side):
        return ExportStatus.BROKER_ACTION_REQUIRED
    if open_holds(side):
        return ExportStatus.CUSTOMS_HOLD
    return ExportStatus.EXECUTED


def open_requests(side: BrokerSide) -> list[BrokerRequest]:
    """The requests that wait for our answer, in the order they came."""
    return [request for request in side.requests if request.status == "OPEN"]


def open_holds(side: BrokerSide) -> list[Hold]:
    """The holds not lifted yet, in the order they came."""
    return [hold for hold in side.holds if hold.released_at is None]


def answer(side: BrokerSide, request_id: str, answer: RequestAnswer) -> BrokerSide:
    """The side with the open request `request_id` answered; RequestNotOpen unless it is open."""
    found = [request for request in side.requests if request.request_id == request_id]
    if not found or found[0].status != "OPEN":
        state = found[0].status if found else "unknown"
        raise RequestNotOpen(f"The request {request_id} is not open ({state}).")
    answered = found[0].model_copy(update={"status": "ANSWERED", "answer": answer})
    return _replace_request(side, answered)


def next_amendment(side: BrokerSide) -> int:
    """The number the next amendment goes out with (the first send is amendment 0)."""
    return side.amendments + 1


def amendment_sent(side: BrokerSide) -> BrokerSide:
    """The side once the next amendment went out."""
    return side.model_copy(update={"amendments": side.amendments + 1})


def receive(side: BrokerSide, cb: BrokerCallback, *, reports_release: bool) -> Received:
    """Take one callback: apply it (and the buffered ones that follow it), or say why not.

    Version 2: a sequence applied or buffered already is a duplicate; on a final side, a later
    one is a conflict and is not kept; one beyond the next is buffered; the next is applied.
    Version 1 (no sequence): a status seen already is a duplicate; on a final side, anything
    else is a conflict; otherwise it is applied.
    """
    final = is_final(side, reports_release=reports_release)
    if cb.sequence is None:
        if cb.type in side.seen_v1:
            return _unchanged("duplicate", side, f"{cb.type} was received already")
        if final:
            return _unchanged("conflict", side, _contradiction(side, cb))
        return Received(result="applied", side=_apply(side, cb), applied=[cb])
    sequence = cb.sequence
    if sequence <= side.applied_through or any(p.sequence == sequence for p in side.pending):
        return _unchanged("duplicate", side, f"sequence {sequence} was received already")
    if final:
        return _unchanged("conflict", side, _contradiction(side, cb))
    if sequence > side.applied_through + 1:
        pending = sorted([*side.pending, cb], key=lambda p: p.sequence or 0)
        return Received(
            result="buffered",
            side=side.model_copy(update={"pending": pending}),
            reason=f"waiting for sequence {side.applied_through + 1}",
        )
    return _drain(_apply(side, cb), [cb], reports_release=reports_release)


def _drain(side: BrokerSide, applied: list[BrokerCallback], *, reports_release: bool) -> Received:
    """Apply the buffered callbacks that now follow on; drop them all once the side is final."""
    kept: list[BrokerCallback] = []
    dropped: list[BrokerCallback] = []
    for cb in side.pending:
        if is_final(side, reports_release=reports_release):
            dropped.append(cb)
        elif cb.sequence == side.applied_through + 1:
            side = _apply(side, cb)
            applied.append(cb)
        else:
            kept.append(cb)
    return Received(
        result="applied",
        side=side.model_copy(update={"pending": kept}),
        applied=applied,
        reason="; ".join(_contradiction(side, cb) for cb in dropped) or None,
        dropped=dropped,
    )


def _unchanged(result: ReceiveResult, side: BrokerSide, reason: str) -> Received:
    return Received(result=result, side=side, reason=reason)


def _contradiction(side: BrokerSide, cb: BrokerCallback) -> str:
    where = "" if cb.sequence is None else f" (sequence {cb.sequence})"
    return f"{cb.type}{where} contradicts the final outcome {side.outcome}"


def _apply(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    """The side with `cb` applied and counted (its sequence, or its version 1 status)."""
    side = APPLIERS[cb.type](side, cb)
    latest = max(cb.occurred_at, side.last_callback_at or cb.occurred_at)
    counted: dict[str, object] = {"last_callback_at": latest}
    if cb.sequence is None:
        counted["seen_v1"] = [*side.seen_v1, cb.type]
    else:
        counted["applied_through"] = cb.sequence
    return side.model_copy(update=counted)


def _replace_request(side: BrokerSide, request: BrokerRequest) -> BrokerSide:
    requests = [request if r.request_id == request.request_id else r for r in side.requests]
    return side.model_copy(update={"requests": requests})


def _acknowledged(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    reference = side.broker_reference if cb.broker_reference is None else cb.broker_reference
    return side.model_copy(
        update={"acknowledged_at": cb.occurred_at, "broker_reference": reference}
    )


def _open_request(side: BrokerSide, request: BrokerRequest) -> BrokerSide:
    if any(r.request_id == request.request_id for r in side.requests):
        return side
    return side.model_copy(update={"requests": [*side.requests, request]})


def _info_requested(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    return _open_request(
        side,
        BrokerRequest(
            request_id=str(cb.request_id),
            kind="INFO",
            fields=cb.fields,
            documents=cb.documents,
            message=cb.message,
            received_at=cb.occurred_at,
            due_by=cb.due_by,
        ),
    )


def _request_withdrawn(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    """An open request is withdrawn; an answered one keeps its answer; an unknown id is nothing."""
    found = [r for r in side.requests if r.request_id == cb.request_id and r.status == "OPEN"]
    if not found:
        return side
    return _replace_request(side, found[0].model_copy(update={"status": "WITHDRAWN"}))


def _entry_filed(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    return side.model_copy(update={"entry_number": cb.entry_number, "entry_type": cb.entry_type})


def _hold(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    if any(hold.hold_id == cb.hold_id for hold in side.holds):
        return side
    hold = Hold(
        hold_id=str(cb.hold_id),
        agency=str(cb.agency),
        reason=str(cb.reason),
        opened_at=cb.occurred_at,
    )
    return side.model_copy(update={"holds": [*side.holds, hold]})


def _hold_released(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    holds = [
        hold.model_copy(update={"released_at": cb.occurred_at})
        if hold.hold_id == cb.hold_id and hold.released_at is None
        else hold
        for hold in side.holds
    ]
    return side.model_copy(update={"holds": holds})


def _outcome(side: BrokerSide, outcome: Outcome, reason: str | None) -> BrokerSide:
    return side.model_copy(update={"outcome": outcome, "outcome_reason": reason})


def _released(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    return _outcome(side, "RELEASED", None)


def _accepted(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    entry = side.entry_number if cb.entry_number is None else cb.entry_number
    side = side.model_copy(update={"accepted_at": cb.occurred_at, "entry_number": entry})
    return _outcome(side, "ACCEPTED", None)


def _refused(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    return _outcome(side, "REFUSED", cb.reason)


def _rejected(side: BrokerSide, cb: BrokerCallback) -> BrokerSide:
    """A correctable rejection opens a REJECTION request; any other one is the outcome."""
    if not cb.correctable:
        return _outcome(side, "REJECTED", cb.reason)
    rejections = sum(1 for r in side.requests if r.kind == "REJECTION")
    number = rejections + 1 if cb.sequence is None else cb.sequence
    return _open_request(
        side,
        BrokerRequest(
            request_id=f"rejection-{number}",
            kind="REJECTION",
            fields=cb.fields,
            message=cb.reason,
            received_at=cb.occurred_at,
        ),
    )


APPLIERS: dict[CallbackType, Applier] = {
    "ACKNOWLEDGED": _acknowledged,
    "INFO_REQUESTED": _info_requested,
    "REQUEST_WITHDRAWN": _request_withdrawn,
    "ENTRY_FILED": _entry_filed,
    "HOLD": _hold,
    "HOLD_RELEASED": _hold_released,
    "RELEASED": _released,
    "ACCEPTED": _accepted,
    "REFUSED": _refused,
    "REJECTED": _rejected,
}
