"""The broker loop inside ExportWorkflow, with the stand-in activities: callbacks as updates in
sequence order, an answer whose new plan goes back to review before anything is sent, and the
deadlines as durable timers."""

from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.testing import WorkflowEnvironment

from domain.broker_loop.callbacks import BrokerCallback, FieldAsk
from tests.support.standins import (
    StandIns,
    request_execution,
    result_of,
    standin_worker,
    start_export,
    update,
    wait_state,
)
from workflows.broker_messages import AnswerInput, BrokerTerms
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput, RetryInput

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def callback(sequence: int, kind: str, **fields: Any) -> BrokerCallback:
    return BrokerCallback(
        submission_id="bsub_test", sequence=sequence, type=kind, occurred_at=NOW, **fields
    )


INFO = callback(
    2,
    "INFO_REQUESTED",
    request_id="req-1",
    fields=[FieldAsk(path="lines[0].manufacturer.address", reason="street missing")],
    message="street address, please",
    due_by=NOW + timedelta(days=2),
)


async def _executed(
    standins: StandIns, env: WorkflowEnvironment, tq: str, orders: list[str]
) -> Any:
    handle, summary = await start_export(env.client, tq, orders)
    await request_execution(handle, wait=1.0)
    if summary.readiness_state == "REVIEW_REQUIRED":
        approval = ApproveInput(plan_hash=summary.plan_hash, reviewer="key_reviewer")
        await update(handle, ExportWorkflow.approve, approval)
    await wait_state(handle, lambda s: s.status == "EXECUTED" and s.following_broker)
    return handle


async def test_callbacks_apply_in_sequence_order_and_duplicates_change_nothing(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns(terms=BrokerTerms(reports_release=True))
    async with standin_worker(temporal_env.client, standins) as tq:
        handle = await _executed(standins, temporal_env, tq, ["o-1"])
        send = ExportWorkflow.broker_callback
        assert (await update(handle, send, callback(1, "ACKNOWLEDGED"))).result == "applied"
        early = await update(handle, send, callback(3, "RELEASED"))
        assert early.result == "buffered"
        assert (await update(handle, send, callback(1, "ACKNOWLEDGED"))).result == "duplicate"
        filed = callback(2, "ENTRY_FILED", entry_number="SBX-1", entry_type="11")
        assert (await update(handle, send, filed)).result == "applied"
        assert await result_of(handle) == "COMPLETED"
    types = standins.event_types()
    assert [t for t in types if t in ("ENTRY_FILED", "CUSTOMS_RELEASED")] == [
        "ENTRY_FILED",
        "CUSTOMS_RELEASED",
    ]
    assert types.count("BROKER_ACKNOWLEDGED") == 1


async def _local_keys(env: WorkflowEnvironment, orders: list[str]) -> dict[str, str]:
    """Event type -> dedupe key of what one export's local writes appended, through release."""
    standins = StandIns(terms=BrokerTerms(reports_release=True))
    async with standin_worker(env.client, standins) as tq:
        handle = await _executed(standins, env, tq, orders)
        send = ExportWorkflow.broker_callback
        await update(handle, send, callback(1, "ACKNOWLEDGED"))
        await update(handle, send, callback(3, "RELEASED"))
        await update(handle, send, callback(2, "ENTRY_FILED", entry_number="S-1", entry_type="11"))
        assert await result_of(handle) == "COMPLETED"
    local = ("EXPORT_EXECUTED", "BROKER_ACKNOWLEDGED", "ENTRY_FILED", "CUSTOMS_RELEASED")
    return {e.type: e.dedupe_key for t in standins.transitions for e in t.events if e.type in local}


async def test_a_local_write_keys_its_events_the_same_whatever_came_before_it(
    temporal_env: WorkflowEnvironment,
) -> None:
    # a local write redone after its workflow task was lost may carry another transition number
    # (the task takes its updates in another order); its events must be appended once all the
    # same, so their keys are the export's own, not the number's: an export with a review (two
    # transitions more before execution) keys them as one without
    plain = await _local_keys(temporal_env, ["o-1"])
    reviewed = await _local_keys(temporal_env, ["review-1"])
    assert set(plain) == {
        "EXPORT_EXECUTED",
        "BROKER_ACKNOWLEDGED",
        "ENTRY_FILED",
        "CUSTOMS_RELEASED",
    }
    assert plain == reviewed
    assert len(set(plain.values())) == len(plain)


async def test_an_answer_whose_plan_needs_review_is_sent_only_after_approval(
    temporal_env: WorkflowEnvironment,
) -> None:
    standins = StandIns(terms=BrokerTerms(reports_release=True))
    async with standin_worker(temporal_env.client, standins) as tq:
        handle = await _executed(standins, temporal_env, tq, ["review-1"])
        send = ExportWorkflow.broker_callback
        await update(handle, send, callback(1, "ACKNOWLEDGED"))
        await update(handle, send, INFO)
        await wait_state(handle, lambda s: s.status == "BROKER_ACTION_REQUIRED")
        answer = AnswerInput(request_id="req-1", message="added", actor="key_integration")
        result = await update(handle, ExportWorkflow.answer_broker_request, answer)
        assert result.outcome == "awaiting_review"
        state = await wait_state(handle, lambda s: s.status == "AWAITING_APPROVAL")
        assert standins.amendments == []  # nothing goes out before the review
        approval = ApproveInput(plan_hash=state.plan_hash, reviewer="key_reviewer")
        await update(handle, ExportWorkflow.approve, approval)
        await wait_state(handle, lambda s: s.status == "EXECUTED")
        assert [a.number for a in standins.amendments] == [1]
        assert standins.amendments[0].request_id == "req-1"
        await update(handle, send, callback(3, "ACKNOWLEDGED", amendment=1))
        await update(handle, send, callback(4, "RELEASED"))
        assert await result_of(handle) == "COMPLETED"
    # the answer's new plan was approved after the answer: two approvals, the second after it
    types = standins.event_types()
    provided = types.index("BROKER_INFO_PROVIDED")
    assert types.count("EXPORT_APPROVED") == 2
    assert "EXPORT_APPROVED" in types[provided:]


async def test_a_silent_broker_is_sent_the_submission_again_then_needs_attention(
    temporal_env: WorkflowEnvironment,
) -> None:
    terms = BrokerTerms(acknowledge_within_seconds=1, decide_within_seconds=2)
    standins = StandIns(terms=terms)
    async with standin_worker(temporal_env.client, standins) as tq:
        handle = await _executed(standins, temporal_env, tq, ["o-1"])
        state = await wait_state(handle, lambda s: s.status == "ATTENTION_REQUIRED")
        assert state.attention is not None
        assert state.attention.step == "acknowledge"
        assert standins.calls.count("resend_broker_submission") == 1
        await update(handle, ExportWorkflow.retry, RetryInput(actor="key_reviewer"))
        await wait_state(handle, lambda s: standins.calls.count("resend_broker_submission") == 2)
        await update(handle, ExportWorkflow.broker_callback, callback(1, "ACKNOWLEDGED"))
        await update(handle, ExportWorkflow.broker_callback, callback(2, "ACCEPTED"))
        assert await result_of(handle) == "COMPLETED"
    assert "BROKER_OVERDUE" in standins.event_types()
