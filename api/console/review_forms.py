"""Review work on the console's export page (docs/console.md "A shared queue"): **Claim**,
**Release** and **Assign** the export's review, **Add comment**, **Request changes**; the same use
cases as `POST /api/exports/{id}/claim`, `/release`, `/assign`, `/comments` and
`/request-changes`, through the API's unit of work under the form's one-time key and the digest
of what it says, so a double submit is one claim, one comment, one request."""

import hashlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from api.console.export_page import Decision, decide, done, export_response, invalid_form
from api.console.operations_page import run_once
from api.console.signed_in import PREFIX
from api.deps import RuntimeDep
from api.errors import ApiError
from services.context import Context, Runtime
from services.exports import review_work
from services.models.exports import Event
from services.models.review_work import (
    AssignRequest,
    ChangesRequest,
    ClaimRequest,
    CommentRequest,
    ReleaseRequest,
    ReviewWork,
)

router = APIRouter(prefix=PREFIX, include_in_schema=False)
M = TypeVar("M", bound=BaseModel)

CODE = "code."  # a checkbox per reason code of the plan
# the request-changes form: its fields and a checkbox per code of the plan
MAX_CHANGE_FIELDS = 80


def _key(decision: Decision, action: str, *said: str) -> str:
    """The idempotency key: the page's form key, the action and the digest of what it says."""
    digest = hashlib.sha256("\x1f".join([action, *said]).encode()).hexdigest()[:16]
    return f"console-{decision.form.get('formKey', '')[:64]}-{action}-{digest}"


def _valid(model: type[M], fields: dict[str, object]) -> M:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise invalid_form(exc) from exc


async def _once(
    request: Request,
    rt: Runtime,
    decision: Decision,
    body: BaseModel,
    call: Callable[[Context], Awaitable[M]],
    answer: type[M],
    what: str,
) -> Response:
    """`call` once under the form's key on one transaction; back to the page saying `what`."""
    try:
        await run_once(request, rt, decision.session, body, call, answer, lease=False)
    except ApiError as exc:  # the form's key: still running, or used for another request
        return await export_response(
            request, rt, decision.session, decision.export_id, status=exc.status, error=exc.message
        )
    return done(decision.export_id, what)


@router.post("/exports/{export_id}/claim")
async def claim_form(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Take the export's review (refused while someone else holds it)."""

    async def act(d: Decision) -> Response:
        body = ClaimRequest.model_validate({"idempotencyKey": _key(d, "claim")})
        return await _once(
            request,
            rt,
            d,
            body,
            lambda ctx: review_work.claim_review(ctx, d.export_id, body),
            ReviewWork,
            "claim",
        )

    return await decide(request, rt, export_id, act, verb="Claiming")


@router.post("/exports/{export_id}/release")
async def release_form(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Let the export's review go (its holder, or a lead)."""

    async def act(d: Decision) -> Response:
        body = ReleaseRequest.model_validate({"idempotencyKey": _key(d, "release")})
        return await _once(
            request,
            rt,
            d,
            body,
            lambda ctx: review_work.release_review(ctx, d.export_id, body),
            ReviewWork,
            "release",
        )

    return await decide(request, rt, export_id, act, verb="Releasing")


@router.post("/exports/{export_id}/assign")
async def assign_form(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Give the export's review to a reviewer (to another than oneself: a lead)."""

    async def act(d: Decision) -> Response:
        assignee = d.form.get("assignee", "").strip()
        key = _key(d, "assign", assignee)
        body = _valid(AssignRequest, {"assignee": assignee, "idempotencyKey": key})
        return await _once(
            request,
            rt,
            d,
            body,
            lambda ctx: review_work.assign_review(ctx, d.export_id, body),
            ReviewWork,
            "assign",
        )

    return await decide(request, rt, export_id, act, verb="Assigning")


@router.post("/exports/{export_id}/comments")
async def comment_form(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """A comment in the export's timeline (COMMENT_ADDED)."""

    async def act(d: Decision) -> Response:
        text = d.form.get("text", "").strip()
        if not text:
            error = "Write the comment: it is empty."
            return await export_response(
                request, rt, d.session, d.export_id, status=400, error=error
            )
        body = _valid(CommentRequest, {"text": text, "idempotencyKey": _key(d, "comment", text)})
        return await _once(
            request,
            rt,
            d,
            body,
            lambda ctx: review_work.add_comment(ctx, d.export_id, body),
            Event,
            "comment",
        )

    return await decide(request, rt, export_id, act, verb="Commenting")


@router.post("/exports/{export_id}/request-changes")
async def changes_form(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Ask the integrator for changes to the plan, by reason code (CHANGES_REQUESTED)."""

    async def act(d: Decision) -> Response:
        form = d.form
        codes = [name.removeprefix(CODE) for name, v in form.items() if name.startswith(CODE) and v]
        codes += [c.strip().upper() for c in form.get("otherCodes", "").replace(",", " ").split()]
        if not codes:
            error = "Choose at least one reason code the plan must change for."
            return await export_response(
                request, rt, d.session, d.export_id, status=400, error=error
            )
        comment = form.get("comment", "").strip() or None
        key = _key(d, "changes", *codes, comment or "")
        body = _valid(
            ChangesRequest, {"reasonCodes": codes, "comment": comment, "idempotencyKey": key}
        )
        return await _once(
            request,
            rt,
            d,
            body,
            lambda ctx: review_work.request_changes(ctx, d.export_id, body),
            Event,
            "changes",
        )

    return await decide(
        request, rt, export_id, act, verb="Requesting changes", max_fields=MAX_CHANGE_FIELDS
    )
