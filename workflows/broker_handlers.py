"""The broker loop's messages: the `broker_callback` and `answer_broker_request` updates and
their validators (ExportWorkflow in workflows/export.py declares them)."""

from temporalio import workflow

from workflows.broker_loop import apply_callback, recorded
from workflows.handlers import refusal_error
from workflows.ledger import Ledger
from workflows.state import ExportState

with workflow.unsafe.imports_passed_through():
    from domain import status as machine
    from domain.broker_loop.callbacks import from_v1
    from domain.broker_loop.machine import open_requests
    from workflows.broker_messages import (
        AnswerInput,
        AnswerResult,
        BrokerCallback,
        CallbackResult,
        RecordedMessage,
    )
    from workflows.messages import BrokerOutcome

NOT_FOLLOWING = machine.Refusal(
    "INVALID_EXPORT_STATE", "This export follows its broker the earlier way (signals)."
)
NOT_SENT = machine.Refusal("INVALID_EXPORT_STATE", "The submission has not gone out yet.")


def validate_broker_callback(export: ExportState) -> None:
    if not export.broker.enabled:
        raise refusal_error(NOT_FOLLOWING)
    if not export.execution_started:
        raise refusal_error(NOT_SENT)


async def broker_callback(
    export: ExportState, ledger: Ledger, callback: BrokerCallback
) -> CallbackResult:
    return await apply_callback(export, ledger, callback)


async def record_message(
    export: ExportState, ledger: Ledger, message: RecordedMessage
) -> CallbackResult:
    return await apply_callback(
        export, ledger, recorded(export, message.callback), actor=message.actor, local=False
    )


def validate_answer(export: ExportState, inp: AnswerInput) -> None:
    loop = export.broker
    if not loop.enabled or not loop.running:
        raise refusal_error(NOT_SENT)
    if loop.amending or loop.answers:
        raise refusal_error(
            machine.Refusal("INVALID_EXPORT_STATE", "An answer to the broker is under way.")
        )
    if inp.request_id not in {r.request_id for r in open_requests(loop.side)}:
        raise refusal_error(
            machine.Refusal(
                "INVALID_EXPORT_STATE", f"Request {inp.request_id!r} is not open for an answer."
            )
        )


async def answer(export: ExportState, inp: AnswerInput) -> AnswerResult:
    loop = export.broker
    loop.results.pop(inp.request_id, None)  # a request answered again after a blocked plan
    loop.answers.append(inp)
    await workflow.wait_condition(lambda: inp.request_id in loop.results)
    return loop.results[inp.request_id]


async def broker_outcome_signal(
    export: ExportState, ledger: Ledger, outcome: BrokerOutcome
) -> None:
    """The `broker_outcome` signal (version 1, and a reviewer recording an email broker's
    answer): under the broker loop it is a callback like any other."""
    callback = from_v1(
        outcome.status,
        outcome.entry_number,
        outcome.broker_reference,
        outcome.reason,
        outcome.occurred_at or workflow.now(),
        "",
    )
    await apply_callback(export, ledger, callback)
