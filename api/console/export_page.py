"""The console's export page (everything about one export) and the decisions taken on it:
approve / reject / retry through the same service functions as the API."""

import hashlib
import re
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.console.render import is_live_poll, page
from api.console.security import secure
from api.console.signed_in import ID, PREFIX, Answer, not_found, posted, signed_in
from api.deps import RuntimeDep
from api.errors import from_service_error
from config.settings import temporal_ui_base
from domain.money import to_number
from domain.status import ExportStatus as S
from domain.status import Readiness
from services.context import Context, Intent, Runtime
from services.errors import ServiceError
from services.exports import broker_requests, decisions, guards, preview, reviews
from services.exports.review_page import export_page
from services.models.broker import AnswerRequest
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
}


def _intent(session: Session, form: dict[str, str], action: str, export_id: str) -> Intent:
    """The decision as the services see it: the form's one-time key makes a double submit of
    the same form one decision (the workflow update id derives from it)."""
    key = form.get("formKey", "")
    digest = hashlib.sha256(
        "\x1f".join(
            [
                action,
                export_id,
                form.get("planHash", ""),
                form.get("comment", ""),
                form.get("reason", ""),
            ]
        ).encode()
    ).digest()
    return Intent(session.principal, f"console-{key}" if _FORM_KEY.match(key) else None, digest)


def export_url(export_id: str, **query: str) -> str:
    url = f"/console/exports/{quote(export_id, safe='')}"
    return f"{url}?{urlencode(query)}" if query else url


async def _export_response(
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
    seen = request.method == "GET" and not is_live_poll(request)
    data = await export_page(Context(rt, Intent(session.principal)), export_id, seen=seen)
    settings = rt.settings
    workflow_url = (
        f"{temporal_ui_base(settings)}/namespaces/"
        f"{quote(settings.temporal_namespace, safe='')}/workflows/"
        f"{quote(data.view.workflow.id or '', safe='')}"
    )
    done = request.query_params.get("done")
    return page(
        request,
        "export.html.j2",
        status,
        session=session,
        data=data,
        export=data.view,
        plan=data.view.plan,
        # a weight as the wire writes it: 2.5 and 3, not the Decimal's 2.500 and 3.000
        number=to_number,
        approval=data.view.approval,
        workflow_url=workflow_url,
        notice=notice or DONE.get(done or ""),
        error=error,
        reject_error=reject_error,
        previewable=data.view.status in preview.PREVIEWABLE,
        decidable=data.view.status in (S.PLANNED, S.AWAITING_APPROVAL)
        and data.view.readiness_state == Readiness.REVIEW_REQUIRED,
        form_key=_form_key(session, data.view),
    )


def _form_key(session: Session, view: ExportView) -> str:
    """The key of the decision forms of a page: the same for the same session, export, plan and
    status (so a live refresh keeps the page unchanged and a double submit is one decision)."""
    attention = view.attention or {}
    parts = [session.csrf_token, view.export_id, view.plan_hash, view.status]
    parts.append(str(attention.get("at", "")))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@router.get("/exports/{export_id}")
async def export_detail(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Everything about one export, with the decisions a reviewer can take."""
    try:
        session = await signed_in(request, rt)
        if not ID.match(export_id):
            raise NotFound("export")
        return await _export_response(request, rt, session, export_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return not_found(request, "export")


# ---- decisions -----------------------------------------------------------------------------


async def _decide(request: Request, rt: Runtime, export_id: str, action: str) -> Response:
    try:
        session, form = await posted(request, rt)
    except Answer as stop:
        return stop.response
    try:
        return await _decided(request, rt, session, form, export_id, action)
    except NotFound:
        return not_found(request, "export")
    except ServiceError as exc:
        error = from_service_error(exc)
        if error.code == "PLAN_HASH_MISMATCH":
            notice = (
                "The plan changed while you were reviewing it. The plan below is the new one: "
                "review it, then approve again."
            )
            return await _export_response(
                request, rt, session, export_id, status=409, notice=notice
            )
        return await _export_response(
            request, rt, session, export_id, status=error.status, error=error.message
        )


async def _decided(
    request: Request,
    rt: Runtime,
    session: Session,
    form: dict[str, str],
    export_id: str,
    action: str,
) -> Response:
    if not ID.match(export_id):
        raise NotFound("export")
    reader = Context(rt, Intent(session.principal))
    export = await guards.load(reader, export_id)
    if not session.can_decide:
        error = "Deciding needs a key with the reviewer role; this key can only read."
        return await _export_response(request, rt, session, export_id, status=403, error=error)
    ctx = Context(rt, _intent(session, form, action, export_id))
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
            return await _export_response(
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
    done = action if decided.done else f"{action}-pending"
    return secure(RedirectResponse(export_url(export_id, done=done), status_code=303))


@router.post("/exports/{export_id}/approve")
async def approve(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Approve the plan shown (bound to its planHash)."""
    return await _decide(request, rt, export_id, "approve")


@router.post("/exports/{export_id}/reject")
async def reject(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Reject the plan; a reason is required."""
    return await _decide(request, rt, export_id, "reject")


@router.post("/exports/{export_id}/retry")
async def retry(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    return await _decide(request, rt, export_id, "retry")


@router.post("/exports/{export_id}/broker-requests/{request_id}/answer")
async def answer(request: Request, export_id: str, request_id: str, rt: RuntimeDep) -> Response:
    """Answer the broker's open request: re-plan, then the amendment (or the review first)."""
    try:
        session, form = await posted(request, rt)
    except Answer as stop:
        return stop.response
    try:
        if not ID.match(export_id):
            raise NotFound("export")
        if not session.can_decide:
            error = "Answering needs a key with the reviewer role; this key can only read."
            return await _export_response(request, rt, session, export_id, status=403, error=error)
        message = form.get("message", "").strip()
        if not message:
            error = "Write the answer: the message is required."
            return await _export_response(request, rt, session, export_id, status=400, error=error)
        ctx = Context(rt, _intent(session, form, f"answer:{request_id}", export_id))
        body = AnswerRequest(message=message[:4000])
        answered = await broker_requests.answer(ctx, export_id, request_id, body)
    except NotFound:
        return not_found(request, "export")
    except ServiceError as exc:
        error_body = from_service_error(exc)
        return await _export_response(
            request, rt, session, export_id, status=error_body.status, error=error_body.message
        )
    url = export_url(export_id, done=f"answer-{answered.outcome}")
    return secure(RedirectResponse(url, status_code=303))
