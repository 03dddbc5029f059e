"""The broker loop's use cases (docs/broker-protocol.md): a version 2 callback, the export's
broker requests, and an answer to one of them."""

import base64
import binascii
import hashlib
from datetime import UTC, datetime

from pydantic import ValidationError

from domain import status as machine
from domain.broker_loop.callbacks import BrokerCallback
from domain.broker_loop.machine import open_requests
from domain.broker_loop.state import BrokerSide
from observability.metrics import BROKER_ANSWER_LATENCY
from services.context import Context, Runtime
from services.errors import Conflict, Invalid, Issue
from services.exports import guards
from services.exports.execution import export_of_submission, verify_callback_signature
from services.models.broker import (
    AnswerRequest,
    AnswerView,
    BrokerCallbackV2,
    BrokerMessageRequest,
    BrokerRequests,
    CallbackAnswer,
    RecordedView,
    StoredDocument,
)
from services.temporal import WorkflowClosed, run_update
from store import amendments
from store.execution import submission_of
from store.exports import NewEvent, append_events, database_now, lock_export
from workflows.broker_messages import AnswerInput, RecordedMessage
from workflows.export import ExportWorkflow

# the first bytes of each accepted document type
_MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
}


async def callback(
    rt: Runtime, broker_id: str, raw: bytes, signature: str | None, body: BrokerCallbackV2
) -> CallbackAnswer:
    """A signed version 2 callback, applied by the export's workflow in sequence order; one
    that contradicts a final state is recorded and refused (409)."""
    await verify_callback_signature(rt, broker_id, raw, signature)
    try:
        message = BrokerCallback.model_validate(body.model_dump())
    except ValidationError as exc:
        raise _invalid("type", _first_message(exc)) from exc
    export_id = await export_of_submission(rt, broker_id, body.submission_id)
    client = await rt.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, f"export-{export_id}")
    seconds = rt.settings.temporal_call_timeout_seconds
    try:
        result = await run_update(
            handle,
            ExportWorkflow.broker_callback,
            message,
            update_id=f"callback-{body.submission_id}-{body.sequence}",
            accept_within=seconds,
            result_within=seconds,
        )
    except WorkflowClosed:
        return await _after_the_end(rt, export_id, message)
    if result is None:
        # taken by the workflow, not written yet: the broker may send it again, it is a duplicate
        return CallbackAnswer(received=True, submission_id=body.submission_id, result="buffered")
    if result.result == "conflict":
        raise Conflict(
            "INVALID_EXPORT_STATE", result.reason or "The export's broker side is final."
        )
    return CallbackAnswer(
        received=True, submission_id=body.submission_id, result=result.result, status=result.status
    )


async def _observe_latency(rt: Runtime, export_id: str, kind: str) -> None:
    """How long after the submission went out the broker said this."""
    async with rt.pool.acquire() as conn:
        sub = await submission_of(conn, export_id)
    if sub is not None and sub.sent_at is not None:
        seconds = (datetime.now(UTC) - sub.sent_at).total_seconds()
        BROKER_ANSWER_LATENCY.labels(kind).observe(max(seconds, 0.0))


async def _after_the_end(rt: Runtime, export_id: str, message: BrokerCallback) -> CallbackAnswer:
    """The workflow has ended (the broker's side is final): a sequence it applied is a duplicate,
    anything later contradicts the final state and is recorded, then refused."""
    async with rt.pool.acquire() as conn, conn.transaction():
        locked = await lock_export(conn, export_id)
        side = (locked.broker_side if locked else None) or BrokerSide()
        if message.sequence is not None and message.sequence <= side.applied_through:
            return CallbackAnswer(
                received=True, submission_id=message.submission_id, result="duplicate"
            )
        data = {**message.model_dump(mode="json", exclude_none=True), "reason": "after the end"}
        event = NewEvent(
            "BROKER_CALLBACK_REFUSED",
            f"refused:{message.submission_id}:{message.sequence}:{message.type}",
            "broker",
            data,
        )
        await append_events(conn, export_id, [event], await database_now(conn))
    raise Conflict("INVALID_EXPORT_STATE", "The export's broker side is final.")


async def record_message(ctx: Context, export_id: str, body: BrokerMessageRequest) -> RecordedView:
    """A reviewer records what a broker that cannot call back said: the same state machine as a
    callback, with the export's next sequence number."""
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_broker_outcome(export.status), export)
    fields = body.model_dump(exclude={"idempotency_key", "occurred_at"})
    occurred = body.occurred_at or datetime.now(UTC)
    try:
        # validated as a sequenced callback; the workflow gives it its real sequence
        message = BrokerCallback.model_validate(
            {**fields, "submission_id": export.id, "sequence": 1, "occurred_at": occurred}
        )
    except ValidationError as exc:
        raise _invalid("type", _first_message(exc)) from exc
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    seconds = ctx.settings.temporal_call_timeout_seconds
    try:
        result = await run_update(
            handle,
            ExportWorkflow.record_broker_message,
            RecordedMessage(callback=message, actor=ctx.actor),
            update_id=ctx.message_id("broker-message"),
            accept_within=seconds,
            result_within=seconds,
        )
    except WorkflowClosed as exc:
        raise Conflict("INVALID_EXPORT_STATE", "The export's broker side is final.") from exc
    if result is None:
        return RecordedView(export_id=export_id, result="in_progress")
    if result.result == "conflict":
        raise Conflict(
            "INVALID_EXPORT_STATE", result.reason or "The export's broker side is final."
        )
    return RecordedView(export_id=export_id, result=result.result, status=result.status)


async def list_requests(ctx: Context, export_id: str) -> BrokerRequests:
    """The broker's requests of the export, oldest first, with their answers."""
    export = await guards.load(ctx, export_id)
    side = export.broker_side or BrokerSide()
    return BrokerRequests(export_id=export_id, data=side.requests)


def _first_message(exc: ValidationError) -> str:
    """What the first problem says, without pydantic's prefix ("Value error, …")."""
    message = str(exc.errors()[0]["msg"])
    return message.removeprefix("Value error, ")


def _invalid(path: str, message: str) -> Invalid:
    return Invalid([Issue(path=path, message=message, code="invalid")])


def _decoded(body: AnswerRequest) -> list[tuple[StoredDocument, bytes]]:
    out = []
    for n, doc in enumerate(body.documents):
        field = f"documents[{n}]"
        try:
            content = base64.b64decode(doc.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _invalid(f"{field}.contentBase64", "contentBase64 is not base64.") from exc
        if len(content) > 5 * 1024 * 1024:
            raise _invalid(f"{field}.contentBase64", "A document may be at most 5 MB.")
        if not content.startswith(_MAGIC[doc.content_type]):
            raise _invalid(f"{field}.contentType", f"The content is not {doc.content_type}.")
        digest = hashlib.sha256(content).hexdigest()
        if doc.sha256 is not None and doc.sha256 != digest:
            raise _invalid(f"{field}.sha256", "sha256 does not match the content.")
        stored = StoredDocument(
            filename=doc.filename, content_type=doc.content_type, size=len(content), sha256=digest
        )
        out.append((stored, content))
    return out


async def answer(ctx: Context, export_id: str, request_id: str, body: AnswerRequest) -> AnswerView:
    """Answer an open request: keep the documents, then the workflow re-plans from current data
    and either sends the next amendment or puts the new plan back in the review queue."""
    export = await guards.load(ctx, export_id)
    side = export.broker_side or BrokerSide()
    if request_id not in {r.request_id for r in open_requests(side)}:
        raise Conflict(
            "INVALID_EXPORT_STATE",
            f"Request {request_id!r} is not open for an answer.",
            details={"status": export.status},
        )
    documents = _decoded(body)
    async with ctx.connect() as conn, conn.transaction():
        for stored, content in documents:
            await amendments.save_answer_document(
                conn,
                export_id=export_id,
                request_id=request_id,
                sha256=stored.sha256,
                filename=stored.filename,
                content_type=stored.content_type,
                content=content,
            )
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    message = AnswerInput(
        request_id=request_id,
        message=body.message,
        documents=[d.sha256 for d, _ in documents],
        actor=ctx.actor,
        label=ctx.label,
    )
    wait = ctx.settings.execute_wait_seconds
    try:
        result = await run_update(
            handle,
            ExportWorkflow.answer_broker_request,
            message,
            update_id=ctx.message_id("answer"),
            accept_within=ctx.settings.temporal_call_timeout_seconds,
            result_within=wait,
        )
    except WorkflowClosed as exc:
        raise Conflict("INVALID_EXPORT_STATE", "The export's broker side is final.") from exc
    view = AnswerView(
        export_id=export_id,
        request_id=request_id,
        outcome="in_progress",
        documents=[d for d, _ in documents],
    )
    if result is None:
        return view
    return view.model_copy(
        update={
            "outcome": result.outcome,
            "plan_hash": result.plan_hash,
            "amendment": result.amendment,
            "status": result.status,
        }
    )


__all__ = ["answer", "callback", "list_requests", "record_message"]
