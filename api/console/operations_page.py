"""The console's Operations page (docs/fleet-control.md): the account's destinations with their
breakers, paused and resumed from here; the groups of stuck exports, each retried (or its retry
previewed) or cancelled at once; and the outcome of such an action for each export.

Each form runs its use case through the API's unit of work (`api/idempotency.py`), the same call
as its API route, under the form's one-time key: a double submit, or a reload of a result,
answers what the first submit answered and does nothing again; an action that fails writes
nothing and frees its key. The actions need a key with the admin role, as in the API; any other
session reads the page with its buttons disabled."""

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import RedirectResponse, Response

from api.console.export_page import invalid_form
from api.console.render import page
from api.console.security import secure
from api.console.signed_in import ID, PREFIX, Answer, posted, signed_in
from api.deps import RuntimeDep
from api.errors import ApiError, from_service_error
from api.idempotency import Replayed, UnitOfWork
from domain.destinations import DestinationKind
from services import destinations, operations
from services.context import Context, Intent, Runtime
from services.destinations import DestinationRef
from services.errors import Invalid, ServiceError
from services.fleet_page import FleetPage, fleet_page
from services.models.fleet import (
    CancelOperation,
    DestinationView,
    OperationResult,
    PauseRequest,
    ResumeRequest,
    RetryOperation,
)
from services.sessions import Session
from store.errors import NotFound

router = APIRouter(prefix=PREFIX, include_in_schema=False)

PAGE = f"{PREFIX}/operations"
OPERATOR_ROLE = "admin"
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
KINDS = {kind.value: kind for kind in DestinationKind}
# a second submit of a form whose first is still running waits for its answer this long
BUSY = "IDEMPOTENCY_IN_PROGRESS"
BUSY_POLL_SECONDS = 0.25
BUSY_POLLS = 120
DONE = {
    "pause": "Paused: nothing is sent to the destination until it is resumed.",
    "resume": "Resumed: sends go again, and the exports that waited for it are released.",
}
ACTIONS = {"retry": "Retry", "cancel": "Cancel"}
M = TypeVar("M", bound=BaseModel)


def can_operate(session: Session) -> bool:
    """Pause, resume, retry and cancel need the admin role, as in the API."""
    return OPERATOR_ROLE in session.principal.roles


def _form_key(session: Session, *parts: object) -> str:
    """A form's one-time key: the same while what the form acts on is unchanged (a live refresh
    keeps the page as it is), another once its action changed it."""
    material = "\x1f".join([session.csrf_token, *(str(p) for p in parts)])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _keys(session: Session, data: FleetPage) -> dict[str, str]:
    """The key of each destination's form (by destination id) and each group's (by group)."""
    keys = {
        d.destination_id: _form_key(session, "destination", d.destination_id, d.state, d.since)
        for d in data.destinations
    }
    for g in data.groups:
        keys[g.group] = _form_key(
            session, "group", g.group, g.count, g.oldest.export_id, g.oldest.since, *g.export_ids
        )
    return keys


def done(what: str) -> Response:
    """Back to the page after a pause or resume, saying what came of it (DONE)."""
    return secure(RedirectResponse(f"{PAGE}?done={what}", status_code=303))


async def operations_response(
    request: Request,
    rt: Runtime,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
    result: OperationResult | None = None,
    again: bool = False,
) -> Response:
    """The page, with an error or an action's result and the status to answer it with."""
    data = await fleet_page(Context(rt, Intent(session.principal)))
    return page(
        request,
        "operations.html.j2",
        status,
        session=session,
        data=data,
        can_operate=can_operate(session),
        form_keys=_keys(session, data),
        notice=DONE.get(request.query_params.get("done") or ""),
        error=error,
        result=result,
        action_name=ACTIONS.get(result.action, "") if result is not None else "",
        again=again,
    )


@router.get("/operations")
async def operations_view(request: Request, rt: RuntimeDep) -> Response:
    """The destinations and the failure groups, with what an operator can do about them."""
    try:
        session = await signed_in(request, rt)
    except Answer as stop:
        return stop.response
    return await operations_response(request, rt, session)


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ran(Generic[M]):
    """A form's answer, and whether it is the answer to an earlier submit of the same form."""

    answer: M
    again: bool


async def run_once(
    request: Request,
    rt: Runtime,
    session: Session,
    body: BaseModel,
    call: Callable[[Context], Awaitable[M]],
    answer: type[M],
    *,
    lease: bool,
) -> Ran[M]:
    """`call` through the unit of work under the form's key (`lease`: the work happens in
    Temporal, as `with_lease`; otherwise on one transaction). A submit of a form already
    answered gets that answer; one whose first submit still runs waits for it."""
    write = UnitOfWork(request, rt, session.principal)
    for _ in range(BUSY_POLLS):
        try:
            if lease:
                return Ran((await write.with_lease(body, call)).model, again=False)
            return Ran((await write.in_transaction(body, call)).model, again=False)
        except Replayed as first:
            return Ran(answer.model_validate_json(first.body), again=True)
        except ApiError as exc:
            if exc.code != BUSY:
                raise
        await asyncio.sleep(BUSY_POLL_SECONDS)
    raise ApiError(409, BUSY, "The first submit of this form is still running; reload shortly.")


async def act(
    request: Request,
    rt: Runtime,
    verb: str,
    action: Callable[[Session, dict[str, str], str], Awaitable[Response]],
) -> Response:
    """A form posted on the page: signed in with its CSRF token, by a key with the admin role,
    with its one-time key; then `action`. What a service refuses is shown on the page with its
    status, and nothing is written."""
    try:
        session, form = await posted(request, rt)
    except Answer as stop:
        return stop.response

    async def refused(status: int, error: str) -> Response:
        return await operations_response(request, rt, session, status=status, error=error)

    if not can_operate(session):
        return await refused(
            403, f"{verb} needs a key with the admin role; this key can only read."
        )
    form_key = form.get("formKey", "")
    if not _FORM_KEY.match(form_key):
        return await refused(400, "The form lacks its one-time key. Reload the page and try again.")
    try:
        return await action(session, form, f"console-{form_key}")
    except NotFound as exc:
        return await refused(404, f"Your account has no such {exc.resource}.")
    except ServiceError as exc:
        error = from_service_error(exc)
        said = [error.message]
        if isinstance(exc, Invalid):
            said += [f"{i.path}: {i.message}" if i.path else i.message for i in exc.issues]
        return await refused(error.status, " ".join(said))
    except ApiError as exc:  # the form's key: used for another request, or still running
        return await refused(exc.status, exc.message)


def _ref(kind: str, ref_id: str) -> DestinationRef:
    if kind not in KINDS or not ID.match(ref_id):
        raise NotFound("destination")
    return DestinationRef(KINDS[kind], ref_id)


def _valid(model: type[M], fields: Mapping[str, object]) -> M:
    """The service's request as the form says it; a form that does not make one is refused as
    the service refuses a request (400, each issue)."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise invalid_form(exc) from exc


@router.post("/operations/destinations/{kind}/{ref_id}/pause")
async def pause(request: Request, kind: str, ref_id: str, rt: RuntimeDep) -> Response:
    """Hold every send to the destination, with a reason."""

    async def paused(session: Session, form: dict[str, str], key: str) -> Response:
        ref = _ref(kind, ref_id)
        reason = form.get("reason", "").strip()
        if not reason:
            error = "Say why the destination is paused: the reason is required."
            return await operations_response(request, rt, session, status=400, error=error)
        body = _valid(PauseRequest, {"reason": reason, "idempotencyKey": key})
        await run_once(
            request,
            rt,
            session,
            body,
            lambda ctx: destinations.pause_destination(ctx, ref, body),
            DestinationView,
            lease=False,
        )
        return done("pause")

    return await act(request, rt, "Pausing", paused)


@router.post("/operations/destinations/{kind}/{ref_id}/resume")
async def resume(request: Request, kind: str, ref_id: str, rt: RuntimeDep) -> Response:
    """Let sends to the destination go again; the exports waiting for it are released."""

    async def resumed(session: Session, form: dict[str, str], key: str) -> Response:
        ref = _ref(kind, ref_id)
        body = _valid(ResumeRequest, {"idempotencyKey": key})
        await run_once(
            request,
            rt,
            session,
            body,
            lambda ctx: destinations.resume_destination(ctx, ref),
            DestinationView,
            lease=False,
        )
        return done("resume")

    return await act(request, rt, "Resuming", resumed)


@router.post("/operations/retry")
async def retry(request: Request, rt: RuntimeDep) -> Response:
    """Retry a failure group (`dryRun=1`: say what would be sent again, changing nothing)."""

    async def retried(session: Session, form: dict[str, str], key: str) -> Response:
        fields = {"group": form.get("group", ""), "dryRun": form.get("dryRun") == "1"}
        body = _valid(RetryOperation, {**fields, "idempotencyKey": key})
        ran = await run_once(
            request,
            rt,
            session,
            body,
            lambda ctx: operations.retry_exports(ctx, body),
            OperationResult,
            lease=True,
        )
        return await operations_response(request, rt, session, result=ran.answer, again=ran.again)

    return await act(request, rt, "Retrying", retried)


@router.post("/operations/cancel")
async def cancel(request: Request, rt: RuntimeDep) -> Response:
    """Cancel every export of a failure group (each refused on its own where it cannot be)."""

    async def cancelled(session: Session, form: dict[str, str], key: str) -> Response:
        reason = form.get("reason", "").strip() or None
        fields = {"group": form.get("group", ""), "reason": reason, "idempotencyKey": key}
        body = _valid(CancelOperation, fields)
        ran = await run_once(
            request,
            rt,
            session,
            body,
            lambda ctx: operations.cancel_exports(ctx, body),
            OperationResult,
            lease=True,
        )
        return await operations_response(request, rt, session, result=ran.answer, again=ran.again)

    return await act(request, rt, "Cancelling", cancelled)
