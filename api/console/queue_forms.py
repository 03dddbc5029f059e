"""The queue's decisions on many exports at once: **Approve selected** and **Reject selected**
(a reason required), each export bound to the planHash its row showed.

The form runs `services.exports.bulk_review.decide_many` through the API's unit of work
(`api/idempotency.py`, as the Operations page does) under the form's one-time key and the digest
of what it asks: a double submit, or a reload of the result page, answers the first submit's
result and decides nothing again; another selection on the same page is another request."""

import hashlib
import re

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from api.console.export_page import invalid_form
from api.console.operations_page import run_once
from api.console.queue_page import queue_query, queue_response
from api.console.render import page
from api.console.signed_in import ID, PREFIX, Answer, posted
from api.deps import RuntimeDep
from api.errors import ApiError, from_service_error
from services.errors import Invalid, ServiceError
from services.exports import bulk_review
from services.exports.queue import QueueQuery
from services.models.review_work import MAX_BULK, BulkDecision, BulkResult

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
SELECT = "select."
PLAN_HASH = "planHash."
VIEW = "view."
# a row's checkbox and its planHash, the view's filters and the form's own fields
MAX_FIELDS = 2 * MAX_BULK + 20
MAX_BYTES = 256 * 1024
ACTIONS = {"approve": "Approve", "reject": "Reject"}


def _view(form: dict[str, str]) -> QueueQuery:
    """The queue's view the form was posted from (its filters), to come back to."""
    said = {k.removeprefix(VIEW): v for k, v in form.items() if k.startswith(VIEW)}
    query = queue_query(
        said.get("warehouse"),
        said.get("broker"),
        said.get("code"),
        said.get("holder"),
        said.get("cluster"),
        said.get("sort"),
    )
    return query or QueueQuery()


def _items(form: dict[str, str]) -> list[dict[str, str]]:
    """The selected rows, each with the planHash its row showed."""
    return [
        {"exportId": export_id, "planHash": form.get(f"{PLAN_HASH}{export_id}", "")}
        for name, value in form.items()
        if name.startswith(SELECT) and value and ID.match(export_id := name.removeprefix(SELECT))
    ]


def _key(form_key: str, action: str, items: list[dict[str, str]], reason: str) -> str:
    """The idempotency key: the page's form key and the digest of what is asked of it."""
    said = [action, reason, *(f"{i['exportId']}={i['planHash']}" for i in items)]
    digest = hashlib.sha256("\x1f".join(said).encode()).hexdigest()[:16]
    return f"console-{form_key}-{digest}"


@router.post("/queue/decide")
async def decide_selected(request: Request, rt: RuntimeDep) -> Response:
    """Approve or reject the selected exports, each on its own; the result of each."""
    try:
        session, form = await posted(request, rt, max_fields=MAX_FIELDS, max_bytes=MAX_BYTES)
    except Answer as stop:
        return stop.response
    view = _view(form)

    async def refused(status: int, error: str) -> Response:
        return await queue_response(request, rt, session, view, status=status, error=error)

    if not session.can_decide:
        return await refused(
            403, "Deciding needs a key with the reviewer role; this key can only read."
        )
    form_key = form.get("formKey", "")
    if not _FORM_KEY.match(form_key):
        return await refused(400, "The form lacks its one-time key. Reload the page and try again.")
    action = form.get("action", "")
    if action not in ACTIONS:
        return await refused(400, "Choose Approve selected or Reject selected.")
    items = _items(form)
    if not items:
        return await refused(400, "Choose at least one export: tick its box.")
    reason = form.get("reason", "").strip()
    if action == "reject" and not reason:
        return await refused(
            400, "Say why the selected plans are rejected: the reason is required."
        )
    fields = {
        "action": action,
        "items": items,
        "reason": reason[:2000] if action == "reject" else None,
        "idempotencyKey": _key(form_key, action, items, reason),
    }
    try:
        try:
            body = BulkDecision.model_validate(fields)
        except ValidationError as exc:
            raise invalid_form(exc) from exc
        ran = await run_once(
            request,
            rt,
            session,
            body,
            lambda ctx: bulk_review.decide_many(ctx, body),
            BulkResult,
            lease=True,
        )
    except ServiceError as exc:
        error = from_service_error(exc)
        said = [error.message]
        if isinstance(exc, Invalid):
            said += [f"{i.path}: {i.message}" if i.path else i.message for i in exc.issues]
        return await refused(error.status, " ".join(said))
    except ApiError as exc:  # the form's key: still running
        return await refused(exc.status, exc.message)
    back = {k: v for k, v in form.items() if k.startswith(VIEW)}
    return page(
        request,
        "bulk_result.html.j2",
        session=session,
        result=ran.answer,
        again=ran.again,
        action_name=ACTIONS[action],
        back={k.removeprefix(VIEW): v for k, v in back.items() if v},
    )
