"""The broker loop's forms on the console's export page (docs/broker-protocol.md): the answer to
a broker's open request, with its documents, and what an email broker said, recorded by a
reviewer; through the same service functions as the API."""

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.console.export_page import (
    BROKER_FIELD_NEEDS,
    Decision,
    decide,
    done,
    export_response,
    form_intent,
    invalid_form,
)
from api.console.signed_in import PREFIX
from api.deps import RuntimeDep
from services.context import Context, Runtime
from services.exports import broker_requests
from services.models.broker import AnswerRequest, BrokerMessageRequest

router = APIRouter(prefix=PREFIX, include_in_schema=False)

DOCUMENTS = "documents"  # the answer form's file input
# the single-line fields of a broker message, by their wire names
_TEXT_FIELDS = (
    "requestId",
    "message",
    "dueBy",
    "entryNumber",
    "entryType",
    "holdId",
    "agency",
    "reason",
)
_ZONED = re.compile(r"(Z|[+-]\d{2}:?\d{2})$", re.IGNORECASE)


@router.post("/exports/{export_id}/broker-requests/{request_id}/answer")
async def answer(request: Request, export_id: str, request_id: str, rt: RuntimeDep) -> Response:
    """Answer the broker's open request, with documents: re-plan, then the amendment (or the
    review first)."""

    async def act(decision: Decision) -> Response:
        return await _answered(request, rt, decision, request_id)

    return await decide(request, rt, export_id, act, verb="Answering", file_field=DOCUMENTS)


async def _answered(request: Request, rt: Runtime, decision: Decision, request_id: str) -> Response:
    session, export_id = decision.session, decision.export_id
    message = decision.form.get("message", "").strip()
    if not message:
        error = "Write the answer: the message is required."
        return await export_response(request, rt, session, export_id, status=400, error=error)
    # the service checks each document (its type by its first bytes, its size, its digest)
    documents = [
        {
            "filename": f.filename,
            "contentType": f.content_type,
            "contentBase64": base64.b64encode(f.content).decode("ascii"),
        }
        for f in decision.files
    ]
    try:
        body = AnswerRequest.model_validate({"message": message[:4000], "documents": documents})
    except ValidationError as exc:
        raise invalid_form(exc) from exc
    digests = [hashlib.sha256(f.content).hexdigest() for f in decision.files]
    intent = form_intent(
        session, decision.form, f"answer:{request_id}", export_id, message, *digests
    )
    answered = await broker_requests.answer(Context(rt, intent), export_id, request_id, body)
    return done(export_id, f"answer-{answered.outcome}")


@router.post("/exports/{export_id}/broker-messages")
async def record_broker_message(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Record what an email broker said (a request, the entry, a hold, the release…), through
    the same state machine as a broker's callback."""

    async def act(decision: Decision) -> Response:
        body = _message(decision.form)
        said = body.model_dump_json(exclude_none=True)
        intent = form_intent(decision.session, decision.form, "broker-message", export_id, said)
        recorded = await broker_requests.record_message(Context(rt, intent), export_id, body)
        return done(export_id, f"message-{recorded.result}")

    return await decide(request, rt, export_id, act, verb="Recording")


def _message(form: dict[str, str]) -> BrokerMessageRequest:
    """The broker's message as the form says it; whether its type has what it needs is the
    service's question."""
    kind = form.get("type", "")
    said: dict[str, object] = {"type": kind}
    said |= {name: value for name in _TEXT_FIELDS if (value := form.get(name, "").strip())}
    due = form.get("dueBy", "").strip()
    if due and not _ZONED.search(due):
        said["dueBy"] = f"{due}Z"  # the form's date and time are UTC
    said["fields"] = [{"path": a, "reason": b} for a, b in _lines(form.get("fields", ""))]
    said["documents"] = [{"type": a, "reason": b} for a, b in _lines(form.get("documents", ""))]
    # a checkbox says only yes or nothing: nothing is "no" for a type that must say which
    if "correctable" in form:
        said["correctable"] = True
    elif kind in BROKER_FIELD_NEEDS.get("correctable", []):
        said["correctable"] = False
    try:
        return BrokerMessageRequest.model_validate(said)
    except ValidationError as exc:
        raise invalid_form(exc) from exc


def _lines(text: str) -> list[tuple[str, str]]:
    """`name: reason` lines (blank lines skipped; a line without a colon has no reason)."""
    found = []
    for line in text.splitlines():
        name, _, reason = line.partition(":")
        if line.strip():
            found.append((name.strip(), reason.strip()))
    return found
