"""The review console (/console): sign in with a reviewer or admin key, the review queue, the
export page, the invoice preview, and approve / reject / retry through the same service
functions as the API. Pages are rendered on the server; the page script only refreshes them."""

import hashlib
import re
from importlib.resources import files
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from api.console import auth
from api.console.forms import BadForm, read_form
from api.console.render import is_live_poll, page
from api.console.security import inline_style_hashes, secure
from api.deps import RuntimeDep
from api.errors import from_service_error
from config.settings import temporal_ui_base
from domain.status import ExportStatus as S
from services import packages, sessions
from services.context import Intent, Runtime
from services.errors import ServiceError
from services.exports import decisions, guards, preview, queue, reviews
from services.exports.review_page import export_page
from services.sessions import Session, SignInRefused
from store.errors import NotFound

router = APIRouter(prefix="/console", include_in_schema=False)

STATIC = {"console.css": "text/css; charset=utf-8", "console.js": "text/javascript; charset=utf-8"}
_FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
DONE = {
    "approve": "Approved.",
    "approve-pending": "Approved; the workflow is still recording it.",
    "reject": "Rejected.",
    "reject-pending": "Rejection sent; the workflow is still recording it.",
    "retry": "Retry requested: the failed step runs again.",
    "retry-pending": "Retry sent; the workflow is still taking it.",
}
Filter = Annotated[str | None, Query()]
MAX_FILTER = 100


class Answer(Exception):
    """Stop handling and answer this (a redirect to sign-in, a refusal page)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _message_page(
    request: Request, status: int, title: str, message: str, **extra: Any
) -> Response:
    return page(
        request, "message.html.j2", status, title=title, message=message, session=None, **extra
    )


def _not_found(request: Request, what: str) -> Response:
    return _message_page(request, 404, "Not found", f"Your account has no such {what}.")


async def _session(request: Request, rt: Runtime) -> Session:
    """The signed-in session; otherwise a redirect to sign-in (a live poll gets 401)."""
    session = await sessions.session_of(rt, auth.session_cookie(request))
    if session is not None:
        return session
    if request.method == "GET" and not is_live_poll(request):
        target = "/console/sign-in?" + urlencode({"next": request.url.path})
        raise Answer(secure(RedirectResponse(target, status_code=303)))
    raise Answer(
        _message_page(
            request, 401, "Signed out", "Your session has ended. Sign in again to continue."
        )
    )


async def _posted(request: Request, rt: Runtime) -> tuple[Session, dict[str, str]]:
    """A signed-in form post with the session's CSRF token."""
    session = await _session(request, rt)
    try:
        form = await read_form(request)
    except BadForm as exc:
        raise Answer(_message_page(request, 400, "Bad form", str(exc))) from exc
    if not sessions.csrf_matches(session, form.get("csrf")):
        raise Answer(
            _message_page(
                request,
                403,
                "Form refused",
                "This form is missing its security token or it is out of date. Reload the page "
                "and try again.",
            )
        )
    return session, form


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


def _export_url(export_id: str, **query: str) -> str:
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
    data = await export_page(rt, session.principal, export_id, seen=seen)
    settings = rt.settings
    workflow_url = (
        f"{temporal_ui_base(settings)}/namespaces/"
        f"{quote(settings.temporal_namespace, safe='')}/workflows/"
        f"{quote(data.view['workflow']['id'] or '', safe='')}"
    )
    done = request.query_params.get("done")
    return page(
        request,
        "export.html.j2",
        status,
        session=session,
        data=data,
        export=data.view,
        plan=data.view["plan"],
        approval=data.view["approval"],
        workflow_url=workflow_url,
        notice=notice or DONE.get(done or ""),
        error=error,
        reject_error=reject_error,
        previewable=data.view["status"] in preview.PREVIEWABLE,
        decidable=data.view["status"] in (S.PLANNED, S.AWAITING_APPROVAL)
        and data.view["readinessState"] == "REVIEW_REQUIRED",
        form_key=_form_key(session, data.view),
    )


def _form_key(session: Session, view: dict[str, Any]) -> str:
    """The key of the decision forms of a page: the same for the same session, export, plan and
    status (so a live refresh keeps the page unchanged and a double submit is one decision)."""
    attention = view.get("attention") or {}
    parts = [session.csrf_token, view["exportId"], view["planHash"], view["status"]]
    parts.append(str(attention.get("at", "")))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


# ---- sign-in -------------------------------------------------------------------------------


@router.get("/sign-in")
async def sign_in_page(request: Request, rt: RuntimeDep, next: Filter = None) -> Response:
    """The sign-in form."""
    token = auth.sign_in_token(request)
    response = page(
        request, "sign_in.html.j2", session=None, token=token, next=_safe_next(next), error=None
    )
    auth.remember_sign_in_token(response, rt.settings, token)
    return response


def _safe_next(target: str | None) -> str:
    """Only a console path is a place to go after sign-in."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target if "\\" not in target else "/console"
    return "/console"


@router.post("/sign-in")
async def sign_in(request: Request, rt: RuntimeDep) -> Response:
    """Exchange an API key with the reviewer or admin role for a session."""
    try:
        form = await read_form(request)
    except BadForm as exc:
        return _message_page(request, 400, "Bad form", str(exc))
    token = auth.sign_in_token(request)
    if not auth.sign_in_token_matches(request, form.get("csrf")):
        return _message_page(
            request,
            403,
            "Form refused",
            "The sign-in form is out of date or was not sent from this site. Reload it and try "
            "again.",
        )
    target = _safe_next(form.get("next"))
    try:
        cookie, _ = await sessions.sign_in(rt, form.get("apiKey", ""))
    except SignInRefused as exc:
        response = page(
            request,
            "sign_in.html.j2",
            401,
            session=None,
            token=token,
            next=target,
            error=exc.message,
        )
        auth.remember_sign_in_token(response, rt.settings, token)
        return response
    response = secure(RedirectResponse(target, status_code=303))
    auth.set_session_cookie(response, rt.settings, cookie)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, rt: RuntimeDep) -> Response:
    """End the session."""
    try:
        await _posted(request, rt)
    except Answer as stop:
        return stop.response
    await sessions.sign_out(rt, auth.session_cookie(request))
    response = secure(RedirectResponse("/console/sign-in", status_code=303))
    auth.clear_cookies(response, rt.settings)
    return response


# ---- pages ---------------------------------------------------------------------------------


@router.get("")
async def queue_page(
    request: Request,
    rt: RuntimeDep,
    warehouse: Filter = None,
    broker: Filter = None,
    code: Filter = None,
) -> Response:
    """Awaiting review (oldest first) and Needs attention."""
    try:
        session = await _session(request, rt)
    except Answer as stop:
        return stop.response
    chosen = {"warehouse": warehouse or None, "broker": broker or None, "code": code or None}
    if any(len(v) > MAX_FILTER for v in chosen.values() if v):
        return _message_page(request, 400, "Bad filter", "A filter value is too long.")
    found = await queue.queues(
        rt,
        session.principal.account_id,
        warehouse_id=chosen["warehouse"],
        broker_id=chosen["broker"],
        reason_code=chosen["code"],
    )
    return page(request, "queue.html.j2", session=session, queues=found, chosen=chosen)


@router.get("/exports/{export_id}")
async def export_detail(request: Request, export_id: str, rt: RuntimeDep) -> Response:
    """Everything about one export, with the decisions a reviewer can take."""
    try:
        session = await _session(request, rt)
        if not _ID.match(export_id):
            raise NotFound("export")
        return await _export_response(request, rt, session, export_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return _not_found(request, "export")


@router.get("/exports/{export_id}/invoice-preview")
async def invoice_preview(
    request: Request,
    export_id: str,
    rt: RuntimeDep,
    planHash: Annotated[str, Query()] = "",
) -> Response:
    """The DRAFT commercial invoice of the plan under review (no side effect)."""
    try:
        session = await _session(request, rt)
        if not _ID.match(export_id):
            raise NotFound("export")
        html = await preview.invoice_preview(rt, session.principal.account_id, export_id, planHash)
    except Answer as stop:
        return stop.response
    except NotFound:
        return _not_found(request, "export")
    except ServiceError as exc:
        error = from_service_error(exc)
        return _message_page(
            request,
            error.status,
            "No preview",
            error.message,
            link=_export_url(export_id),
            link_text="Back to the export",
        )
    response = Response(html, media_type="text/html; charset=utf-8")
    return secure(response, style_hashes=inline_style_hashes(html))


@router.get("/artifacts/{artifact_id}")
async def artifact(request: Request, artifact_id: str, rt: RuntimeDep) -> Response:
    """Download an artifact of the account."""
    try:
        session = await _session(request, rt)
        if not _ID.match(artifact_id):
            raise NotFound("artifact")
        found = await packages.get_artifact(rt, session.principal.account_id, artifact_id)
    except Answer as stop:
        return stop.response
    except NotFound:
        return _not_found(request, "artifact")
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", found.filename)
    response = Response(
        bytes(found.content),
        media_type=found.content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
    return secure(response)


@router.get("/static/{name}")
async def static(name: str) -> Response:
    """The console's own stylesheet and script."""
    media = STATIC.get(name)
    if media is None:
        return Response("not found", status_code=404, media_type="text/plain")
    content = files("api.console").joinpath("static", name).read_bytes()
    response = Response(content, media_type=media, headers={"Cache-Control": "no-cache"})
    return secure(response)


# ---- decisions -----------------------------------------------------------------------------


async def _decide(request: Request, rt: Runtime, export_id: str, action: str) -> Response:
    try:
        session, form = await _posted(request, rt)
    except Answer as stop:
        return stop.response
    try:
        return await _decided(request, rt, session, form, export_id, action)
    except NotFound:
        return _not_found(request, "export")
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
    if not _ID.match(export_id):
        raise NotFound("export")
    export = await guards.load(rt, session.principal.account_id, export_id)
    if not session.can_decide:
        error = "Deciding needs a key with the reviewer role; this key can only read."
        return await _export_response(request, rt, session, export_id, status=403, error=error)
    intent = _intent(session, form, action, export_id)
    if action == "approve":
        plan_hash = form.get("planHash", "")
        if plan_hash == export.plan_hash:
            await reviews.record_review(rt, session.principal, export, "approved")
        comment = form.get("comment", "").strip()[:2000] or None
        decided = await decisions.approve(rt, intent, export_id, plan_hash, comment)
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
        await reviews.record_review(rt, session.principal, export, "rejected")
        decided = await decisions.reject(rt, intent, export_id, reason[:2000])
    else:
        decided = await decisions.retry(rt, intent, export_id)
    done = action if decided.done else f"{action}-pending"
    return secure(RedirectResponse(_export_url(export_id, done=done), status_code=303))


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
