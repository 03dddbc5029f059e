"""The broker loop (docs/broker-protocol.md): after execution the workflow follows the broker's
side for as long as it takes, with durable timers for every deadline, and answers the broker's
requests with amendments of the one submission.

Callbacks are applied by the `broker_callback` update as they come (`apply_callback`); this
loop takes the answers, fires the timers and ends once the broker's side is final.
"""

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.destination_wait import admitted, side_effect
from workflows.ledger import Ledger
from workflows.policies import (
    LEDGER_RETRY,
    LEDGER_TIMEOUT,
    LOCAL_RETRY_THRESHOLD,
)
from workflows.state import ExportState, event, once

with workflow.unsafe.imports_passed_through():
    from domain.activities import ActivityName
    from domain.broker_loop.callbacks import BrokerCallback
    from domain.broker_loop.machine import (
        EVENT_OF,
        RequestNotOpen,
        amendment_sent,
        answer,
        next_amendment,
        open_holds,
        open_requests,
        receive,
    )
    from domain.broker_loop.state import RequestAnswer
    from domain.status import ApprovalState, Readiness
    from domain.status import ExportStatus as S
    from workflows.broker_messages import (
        AmendmentInput,
        AnswerInput,
        AnswerResult,
        BrokerTerms,
        CallbackResult,
        ResendInput,
    )
    from workflows.messages import Attention, EventSpec, StepInput

BROKER_LOOP_PATCH = "broker-loop-v2"
HOLD_AGE = timedelta(days=1)
# statuses the broker's side decides (before them execution is still under way)
BROKER_PHASE = frozenset({S.EXECUTED, S.BROKER_ACTION_REQUIRED, S.CUSTOMS_HOLD})


def recorded(export: ExportState, cb: BrokerCallback) -> BrokerCallback:
    """What a person records for a broker that cannot call back (an email broker) takes the
    next sequence number of the export's broker side."""
    side = export.broker.side
    return cb.model_copy(update={"sequence": side.applied_through + len(side.pending) + 1})


def _refused(cb: BrokerCallback, actor: str, reason: str | None) -> EventSpec:
    """A callback refused (as a conflict, or dropped as the buffer drained): one key either way."""
    return once(
        "BROKER_CALLBACK_REFUSED", f"{_key(cb)}-refused", actor, {**_data(cb), "reason": reason}
    )


def _key(cb: BrokerCallback) -> str:
    """What makes a callback's event unique in the export's log: its sequence (version 2), or
    its status (version 1, whose statuses apply once each)."""
    return f"callback-{cb.type if cb.sequence is None else cb.sequence}"


def _data(cb: BrokerCallback) -> dict[str, Any]:
    return cb.model_dump(mode="json", exclude_none=True, exclude={"submission_id"})


async def apply_callback(
    export: ExportState,
    ledger: Ledger,
    cb: BrokerCallback,
    actor: str = "broker",
    *,
    local: bool = True,
) -> CallbackResult:
    """Apply one callback to the broker's side and write what it changed; the broker is
    answered with the result once it is written (a conflict is recorded, then refused).

    Every event is keyed by the callback (`_key`), so a callback refused while the buffer
    drained and again as a conflict is recorded once. `local`: a broker's callback is written
    by a local activity; a message a person records is not, since its sequence is the next one
    when it is applied, which a workflow task redone after a lost write may take in another
    order (workflows/ledger.py `transition`)."""
    loop = export.broker
    # before the loop knows the broker's terms an ACCEPTED is not taken as final
    reports_release = loop.reports_release if loop.terms is not None else True
    received = receive(loop.side, cb, reports_release=reports_release)
    if received.result == "conflict":
        await ledger.transition(None, events=[_refused(cb, actor, received.reason)])
        return CallbackResult(result="conflict", status=export.status, reason=received.reason)
    loop.side = received.side
    if received.result != "applied":
        return CallbackResult(result=received.result, status=export.status)
    loop.acks += sum(1 for c in received.applied if c.type == "ACKNOWLEDGED")
    events = [once(EVENT_OF[c.type], _key(c), actor, _data(c)) for c in received.applied]
    events += [_refused(c, actor, received.reason) for c in received.dropped]
    status = loop.status() if loop.running and export.status in BROKER_PHASE else None
    await ledger.transition(status, broker_side=loop.side, events=events, local=local)
    return CallbackResult(result="applied", status=export.status)


async def broker_loop(export: ExportState, ledger: Ledger) -> None:
    """Follow the broker until its side is final: answers, timers, amendments."""
    loop = export.broker
    if export.local_steps:
        # a read: in the worker running the workflow task, no activity task of its own
        loop.terms = await workflow.execute_local_activity(
            ActivityName.LOAD_BROKER_TERMS,
            export.inp.export_id,
            result_type=BrokerTerms,
            start_to_close_timeout=LEDGER_TIMEOUT,
            retry_policy=LEDGER_RETRY,
            local_retry_threshold=LOCAL_RETRY_THRESHOLD,
        )
    else:
        loop.terms = await workflow.execute_activity(
            ActivityName.LOAD_BROKER_TERMS,
            export.inp.export_id,
            result_type=BrokerTerms,
            start_to_close_timeout=LEDGER_TIMEOUT,
            retry_policy=LEDGER_RETRY,
        )
    loop.running = True
    loop.sends = 1
    loop.last_send_at = workflow.now()
    loop.started_at = workflow.now()
    if loop.status() != export.status:
        # callbacks applied while execution finished already moved the broker's side
        await ledger.transition(loop.status(), broker_side=loop.side)
    while not loop.final():
        wake = _next_timer(export)
        timeout = None if wake is None else max((wake - workflow.now()).total_seconds(), 0.001)
        try:
            await workflow.wait_condition(
                lambda: bool(loop.answers) or loop.final(), timeout=timeout
            )
        except TimeoutError:
            await _fire_timers(export, ledger)
            continue
        if loop.answers and not loop.final():
            await _answer(export, ledger, loop.answers.pop(0))


# ---- timers ------------------------------------------------------------------------------------


def _timers(export: ExportState) -> list[tuple[datetime, str]]:
    """Every pending deadline as (when, key); a key fires once."""
    loop = export.broker
    terms = loop.terms
    assert terms is not None
    out: list[tuple[datetime, str]] = []
    if loop.acks < loop.sends and loop.last_send_at is not None:
        ack = timedelta(seconds=terms.acknowledge_within_seconds)
        out.append((loop.last_send_at + ack, f"ack:{loop.sends}:{int(loop.ack_resent)}"))
    if loop.started_at is not None:
        decide = loop.started_at + timedelta(seconds=terms.decide_within_seconds)
        out.append((decide, "overdue"))
    for request in open_requests(loop.side):
        if request.due_by is not None:
            half = request.received_at + (request.due_by - request.received_at) / 2
            out.append((half, f"due:{request.request_id}:HALF_TIME"))
            out.append((request.due_by, f"due:{request.request_id}:DUE"))
    for hold in open_holds(loop.side):
        days = 1 + sum(1 for key in loop.fired if key.startswith(f"hold:{hold.hold_id}:"))
        out.append((hold.opened_at + HOLD_AGE * days, f"hold:{hold.hold_id}:{days}"))
    return sorted(t for t in out if t[1] not in loop.fired)


def _next_timer(export: ExportState) -> datetime | None:
    timers = _timers(export)
    return timers[0][0] if timers else None


async def _fire_timers(export: ExportState, ledger: Ledger) -> None:
    loop = export.broker
    now = workflow.now()
    for when, key in _timers(export):
        if when > now:
            break
        loop.fired.add(key)
        kind, _, rest = key.partition(":")
        if kind == "ack":
            await _no_acknowledgement(export, ledger)
        elif kind == "overdue":
            data: dict[str, Any] = {
                "decideWithinSeconds": loop.terms.decide_within_seconds if loop.terms else None
            }
            await ledger.transition(None, events=[event("BROKER_OVERDUE", data=data)])
        elif kind == "due":
            request_id, _, reminder = rest.rpartition(":")
            data = {"requestId": request_id, "reminder": reminder}
            await ledger.transition(None, events=[event("BROKER_REQUEST_REMINDER", data=data)])
        elif kind == "hold":
            hold_id, _, days = rest.rpartition(":")
            data = {"holdId": hold_id, "days": int(days)}
            await ledger.transition(None, events=[event("CUSTOMS_HOLD_AGED", data=data)])


async def _no_acknowledgement(export: ExportState, ledger: Ledger) -> None:
    """No acknowledgement in time: send once more with the same key, then ask for attention
    (a retry sends again and starts the wait afresh)."""
    loop = export.broker
    latest = loop.sends - 1  # 0: the submission itself, n: amendment n
    if not loop.ack_resent:
        loop.ack_resent = True
        await _step(export, ledger, "resend", lambda: _resend(export, latest))
        loop.last_send_at = workflow.now()
        return
    message = "The broker did not acknowledge the submission in time."
    await _attention(export, ledger, "acknowledge", "BrokerSilent", message)
    await _step(export, ledger, "resend", lambda: _resend(export, latest))
    loop.ack_resent = False
    loop.last_send_at = workflow.now()


async def _resend(export: ExportState, amendment: int) -> None:
    arg = ResendInput(export_id=export.inp.export_id, amendment=amendment)
    await side_effect(export, ActivityName.RESEND_BROKER_SUBMISSION, arg)


# ---- answers and amendments ----------------------------------------------------------------------


async def _answer(export: ExportState, ledger: Ledger, ans: AnswerInput) -> None:
    """Re-plan from current data; then (after a review, if the plan asks for one) regenerate the
    documents and send the next amendment."""
    loop = export.broker
    loop.amending = True
    loop.current_answer = ans.request_id
    try:
        summary = await ledger.plan(replan=True, actor=ans.actor)
        if summary.readiness_state == Readiness.BLOCKED:
            await ledger.transition(S.BROKER_ACTION_REQUIRED, broker_side=loop.side)
            loop.results[ans.request_id] = AnswerResult(
                outcome="blocked", plan_hash=summary.plan_hash, status=export.status
            )
            return
        # a request withdrawn meanwhile stays withdrawn: the new data still goes out
        with contextlib.suppress(RequestNotOpen):
            loop.side = answer(
                loop.side,
                ans.request_id,
                RequestAnswer(
                    message=ans.message,
                    documents=ans.documents,
                    answered_at=workflow.now(),
                    actor=ans.actor,
                ),
            )
        data = {"requestId": ans.request_id, "message": ans.message, "documents": ans.documents}
        if export.needs_review():
            events = [event("BROKER_INFO_PROVIDED", ans.actor, data)]
            if export.status != S.AWAITING_APPROVAL:
                events.append(event("REVIEW_REQUESTED", ans.actor))
            await ledger.transition(S.AWAITING_APPROVAL, broker_side=loop.side, events=events)
            loop.results[ans.request_id] = AnswerResult(
                outcome="awaiting_review", plan_hash=summary.plan_hash, status=export.status
            )
            await workflow.wait_condition(lambda: export.approval.state == ApprovalState.APPROVED)
        else:
            event_data = [event("BROKER_INFO_PROVIDED", ans.actor, data)]
            await ledger.transition(S.EXECUTING, broker_side=loop.side, events=event_data)
        number = await _amend(export, ledger, ans)
        loop.results.setdefault(
            ans.request_id,
            AnswerResult(
                outcome="amendment_sent",
                plan_hash=export.plan_hash,
                amendment=number,
                status=export.status,
            ),
        )
    finally:
        loop.amending = False
        loop.current_answer = None


async def _amend(export: ExportState, ledger: Ledger, ans: AnswerInput) -> int:
    """Package and artifacts of the current plan, then amendment n; returns n."""
    loop = export.broker
    plan_hash = export.plan_hash
    assert plan_hash is not None
    step = StepInput(export_id=export.inp.export_id, plan_hash=plan_hash)
    for name, activity in (
        ("package", ActivityName.CREATE_CUSTOMS_PACKAGE),
        ("artifacts", ActivityName.GENERATE_ARTIFACTS),
    ):
        await _step(export, ledger, name, lambda a=activity: _run(export, a, step))  # type: ignore[misc]
    number = next_amendment(loop.side)
    amendment = AmendmentInput(
        export_id=export.inp.export_id,
        plan_hash=plan_hash,
        number=number,
        request_id=ans.request_id,
        reason=ans.message,
    )
    await _step(
        export,
        ledger,
        "amendment",
        lambda: _run(export, ActivityName.SEND_BROKER_AMENDMENT, amendment),
    )
    loop.side = amendment_sent(loop.side)
    loop.sends += 1
    loop.ack_resent = False
    loop.last_send_at = workflow.now()
    await ledger.transition(loop.status(), broker_side=loop.side)
    return number


async def _run(export: ExportState, activity: ActivityName, arg: Any) -> None:
    await side_effect(export, activity, arg)


async def _step(
    export: ExportState, ledger: Ledger, name: str, run: Callable[[], Awaitable[None]]
) -> None:
    """Run a side effect (waiting for its destination while that holds it); one that fails for
    good waits in ATTENTION_REQUIRED for a retry."""
    while True:
        try:
            await admitted(export, ledger, run)
            return
        except ActivityError as err:
            cause = err.cause
            kind = cause.type if isinstance(cause, ApplicationError) else type(cause).__name__
            message = cause.message if isinstance(cause, ApplicationError) else str(cause or err)
            await _attention(export, ledger, name, kind, message)


async def _attention(
    export: ExportState, ledger: Ledger, step: str, kind: str | None, message: str
) -> None:
    """ATTENTION_REQUIRED until a retry is asked for, then back to where the broker stands."""
    loop = export.broker
    if loop.amending and loop.current_answer is not None:
        # the answer's caller learns that a step needs a retry
        loop.results.setdefault(
            loop.current_answer,
            AnswerResult(outcome="attention_required", status=S.ATTENTION_REQUIRED),
        )
    export.attention = Attention(step=step, error_type=kind, error=message, at=workflow.now())
    events = [event("ATTENTION_REQUIRED", data={"step": step, "error": message})]
    await ledger.transition(S.ATTENTION_REQUIRED, attention=export.attention, events=events)
    await workflow.wait_condition(lambda: export.retry_requested)
    export.retry_requested = False
    export.attention = None
    retry = event(
        "RETRY_REQUESTED",
        export.retry_actor,
        {"keyId": export.retry_actor, "label": export.retry_label},
    )
    await ledger.transition(loop.status(), clear_attention=True, events=[retry])
    export.retries_taken += 1


__all__ = ["BROKER_LOOP_PATCH", "apply_callback", "broker_loop"]
