"""The console's export page (everything about one export) and the decisions taken on it:
approve / reject / retry through the same service functions as the API. `decide` is the frame
of every form posted on the page (the broker loop's forms are in `broker_forms.py`)."""

import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response

from api.console.forms import MAX_FIELDS, Upload
from api.console.render import is_live_poll, not_modified, page
from api.console.security import secure
from api.console.signed_in import (
    ID,
    PREFIX,
    Answer,
    not_found,
    posted,
    posted_with_files,
    signed_in,
)
from api.deps import RuntimeDep
from api.errors import from_service_error, issues_from_pydantic
from config.settings import temporal_ui_base
from domain.broker_loop.callbacks import CALLBACK_TYPES, REQUIRED, wire_name
from domain.money import to_number
from domain.review_work import is_lead, plan_codes
from domain.status import FINAL, Readiness, refuse_before_execution, refuse_broker_outcome
from domain.status import ExportStatus as S
from services.context import Context, Intent, Runtime
from services.errors import Invalid, Issue, ServiceError
from services.exports import decisions, guards, preview, reviews
from services.exports.page_version import page_version
from services.exports.review_page import export_page
from services.models.exports import ApproveRequest, ExportView, RejectRequest, RetryRequest
from services.sessions import Session
from store.errors import NotFound

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
DONE = {
    "approve": "Approved.",
    "approve-pending": "Approved; the workflow is still recording it.",
    "reject": "Rejected.",
    "reject-pending": "Rejection sent; the workflow is still recording it.",
    "retry": "Retry requested: the failed step runs again.",
    "retry-pending": "Retry sent; the workflow is still taking it.",
    "answer-amendment_sent": "Answered: the export was re-planned and the amendment sent.",
    "answer-awaiting_review": "Answered: the new plan needs review before the amendment goes out.",
    "answer-blocked": "The new plan is BLOCKED: fix the data, then answer again.",
    "answer-attention_required": "Answered; a step failed and needs a retry.",
    "answer-in_progress": "Answered; the workflow is still re-planning.",
    "message-applied": "Recorded: the broker's message is applied.",
    "message-duplicate": "Already recorded: the broker's side had this message.",
    "message-buffered": "Recorded; it applies after the messages before it.",
    "message-in_progress": "Recorded; the workflow is still applying it.",
    "claim": "Claimed: you hold this export's review.",
    "release": "Released: nobody holds this export's review.",
    "assign": "Assigned.",
    "comment": "Comment added.",
    "changes": "Changes requested: the integrator is told by the CHANGES_REQUESTED event.",
}


def _needed_by() -> dict[str, list[str]]:
    """For each field of a broker message (by its wire name), the types that must carry it."""
    needs: dict[str, list[str]] = {}
    for kind, attributes in REQUIRED.items():
        for attribute in attributes:
            needs.setdefault(wire_name(attribute), []).append(kind)
    return needs


BROKER_FIELD_NEEDS = _needed_by()


@dataclass(frozen=True)
class Decision:
    """A form posted on an export's page by a signed-in reviewer: its fields and files."""

    session: Session
    export_id: str
    form: dict[str, str]
    files: list[Upload]


def form_intent(
    session: Session, form: dict[str, str], action: str, export_id: str, *said: str
) -> Intent:
    """The decision as the services see it: the form's one-time key makes a double submit of
    the same form one decision (the workflow update id derives from it and from the digest of
    the action, the export, the form's plan, comment and reason, and what else it `said`)."""
    key = form.get("formKey", "")
    parts = [action, export_id, form.get("planHash", ""), form.get("comment", "")]
    digest = hashlib.sha256("\x1f".join([*parts, form.get("reason", ""), *said]).encode()).digest()
    return Intent(session.principal, f"console-{key}" if _FORM_KEY.match(key) else None, digest)


def invalid_form(exc: ValidationError) -> Invalid:
    """A form that does not make the service's request: the same error as the service's own."""
    return Invalid([Issue(i.path, i.message, i.code) for i in issues_from_pydantic(exc.errors())])


def export_url(export_id: str, **query: str) -> str:
    url = f"/console/exports/{quote(export_id, safe='')}"
    return f"{url}?{urlencode(query)}" if query else url


def done(export_id: str, what: str) -> Response:
    """Back to the export page after a decision, saying what came of it (DONE)."""
    return secure(RedirectResponse(export_url(export_id, done=what), status_code=303))


async def export_response(
    request: Request,
    rt: Runtime,
    session: Session,
    export_id: str,
    *,
    status: int = 200,
    notice: str | None = None,
    error: str | None = None,
    reject_error: str | None = None,
) -> Response:
    """The export page, with a notice or an error and the status to answer it with. A page
    answered 200 to a GET has the export's version as its ETag, read before the page: a live poll
    with it gets 304 before anything else is loaded (a change meanwhile renders once more)."""
    ctx = Context(rt, Intent(session.principal))
    etag = None
    if request.method == "GET" and status == 200:
        etag = await _version_tag(ctx, session, request, export_id)
        unchanged = not_modified(request, etag)
        if unchanged is not None:
            return unchanged
    seen = request.method == "GET" and not is_live_poll(request)
    data = await export_page(ctx, export_id, seen=seen)
    settings = rt.settings
    view = data.view
    workflow_url = (
        f"{temporal_ui_base(settings)}/namespaces/"
        f"{quote(settings.temporal_namespace, safe='')}/workflows/"
        f"{quote(view.workflow.id or '', safe='')}"
    )
    return page(
        request,
        "export.html.j2",
        status,
        etag=etag,
        session=session,
        data=data,
        export=view,
        plan=view.plan,
        # a weight as the wire writes it: 2.5 and 3, not the Decimal's 2.500 and 3.000
        number=to_number,
        approval=view.approval,
        workflow_url=workflow_url,
        notice=notice or DONE.get(request.query_params.get("done") or ""),
        error=error,
        reject_error=reject_error,
        previewable=view.status in preview.PREVIEWABLE,
        decidable=view.status in (S.PLANNED, S.AWAITING_APPROVAL)
        and view.readiness_state == Readiness.REVIEW_REQUIRED,
        # an email broker cannot call back: a reviewer records what it said, while its side
        # still takes messages
        records_broker=data.broker_transport == "email"
        and refuse_broker_outcome(view.status) is None,
        broker_types=CALLBACK_TYPES,
        broker_needs=BROKER_FIELD_NEEDS,
        form_key=_form_key(session, view),
        # review work (review_forms.py): who holds it, who may assign it, what to ask to change
        lead=is_lead(session.principal.roles),
        codes=plan_codes(view.plan),
        changeable=refuse_before_execution("request changes to", view.status) is None,
        workable=view.status not in FINAL,
    )


async def _version_tag(ctx: Context, session: Session, request: Request, export_id: str) -> str:
    """The page's ETag: the export's last event seq, status and last update (one indexed read),
    with what else the page is made of (the session's form token, the notice in the URL)."""
    version = await page_version(ctx, export_id)
    if version is None:
        raise NotFound("export")
    parts = [
        str(version.last_seq),
        version.status,
        version.updated_at.isoformat(),
        session.csrf_token,
        request.url.query,
    ]
    return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'


def _form_key(session: Session, view: ExportView) -> str:
    """The key of the decision forms of a page: the same for the same session, export, plan and
    status (so a live refresh keeps the page unchanged and a double submit is one decision)."""
    attention = view.attention or {}
    parts = [session.csrf_token, view.export_id, view.plan_hash, view.status]
    parts.append(str(attention.get("at", "")))
    holder = view.holder
    # a claim after a release is another claim
    parts.append(f"{holder.actor}@{holder.since.isoformat()}" if holder is not None else "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@router.get("/exports/{export_id}")
async def export_detail(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Everything about one export, with the decisions a reviewer can take."""
    try:
        session = await signed_in(request, rt)
        if not ID.match(export_id):
            raise NotFound("export")
        return await export_response(request, rt, session, export_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return not_found(request, "export")


# ---- decisions -----------------------------------------------------------------------------


async def decide(
    request: Request,
    rt: Runtime,
    export_id: str,
    act: Callable[[Decision], Awaitable[Response]],
    *,
    verb: str = "Deciding",
    file_field: str | None = None,
    max_fields: int = MAX_FIELDS,
) -> Response:
    """A form posted on the export page: signed in with its CSRF token (multipart when it
    carries files in `file_field`), by a key with the reviewer role, then `act`; what a service
    refuses is shown on the page with its status."""
    files: list[Upload] = []
    try:
        if file_field is None:
            session, form = await posted(request, rt, max_fields=max_fields)
        else:
            session, form, files = await posted_with_files(request, rt, file_field)
    except Answer as stop:
        return stop.response
    try:
        if not ID.match(export_id):
            raise NotFound("export")
        if not session.can_decide:
            error = f"{verb} needs a key with the reviewer role; this key can only read."
            return await export_response(request, rt, session, export_id, status=403, error=error)
        return await act(Decision(session, export_id, form, files))
    except NotFound:
        return not_found(request, "export")
    except ServiceError as exc:
        return await _refused(request, rt, session, export_id, exc)


async def _refused(
    request: Request, rt: Runtime, session: Session, export_id: str, exc: ServiceError
) -> Response:
    """The page again with what the service refused: its message (each issue of an invalid
    request), in its status."""
    error = from_service_error(exc)
    if error.code == "PLAN_HASH_MISMATCH":
        notice = (
            "The plan changed while you were reviewing it. The plan below is the new one: "
            "review it, then approve again."
        )
        return await export_response(request, rt, session, export_id, status=409, notice=notice)
    said = [error.message]
    if isinstance(exc, Invalid):
        said += [f"{i.path}: {i.message}" if i.path else i.message for i in exc.issues]
    return await export_response(
        request, rt, session, export_id, status=error.status, error=" ".join(said)
    )


async def _decided(request: Request, rt: Runtime, decision: Decision, action: str) -> Response:
    session, form, export_id = decision.session, decision.form, decision.export_id
    export = await guards.load(Context(rt, Intent(session.principal)), export_id)
    ctx = Context(rt, form_intent(session, form, action, export_id))
    if action == "approve":
        plan_hash = form.get("planHash", "")
        if plan_hash == export.plan_hash:
            await reviews.record_review(ctx, export, "approved")
        comment = form.get("comment", "").strip()[:2000] or None
        # not validated: a form's hash that is not the plan's, malformed or not, is the
        # service's PLAN_HASH_MISMATCH, which the page explains
        approval = ApproveRequest.model_construct(plan_hash=plan_hash, comment=comment)
        decided = await decisions.approve(ctx, export_id, approval)
    elif action == "reject":
        reason = form.get("reason", "").strip()
        if not reason:
            return await export_response(
                request,
                rt,
                session,
                export_id,
                status=400,
                reject_error="Say why the plan is rejected: the reason is required.",
            )
        await reviews.record_review(ctx, export, "rejected")
        decided = await decisions.reject(ctx, export_id, RejectRequest(reason=reason[:2000]))
    else:
        decided = await decisions.retry(ctx, export_id, RetryRequest())
    return done(export_id, action if decided.done else f"{action}-pending")


@router.post("/exports/{export_id}/approve")
async def approve(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Approve the plan shown (bound to its planHash)."""
    return await decide(request, rt, export_id, lambda d: _decided(request, rt, d, "approve"))


@router.post("/exports/{export_id}/reject")
async def reject(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Reject the plan; a reason is required."""
    return await decide(request, rt, export_id, lambda d: _decided(request, rt, d, "reject"))


@router.post("/exports/{export_id}/retry")
async def retry(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    return await decide(request, rt, export_id, lambda d: _decided(request, rt, d, "retry"))
