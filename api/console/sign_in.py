"""The console's sign-in and sign-out: an API key with the reviewer or admin role becomes a
session cookie."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.console import auth
from api.console.forms import BadForm, read_form
from api.console.render import page
from api.console.security import secure
from api.console.signed_in import PREFIX, Answer, Filter, message_page, posted
from api.deps import RuntimeDep
from services import sessions
from services.sessions import SignInRefused

router = APIRouter(prefix=PREFIX, include_in_schema=False)


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
        return message_page(request, 400, "Bad form", str(exc))
    token = auth.sign_in_token(request)
    if not auth.sign_in_token_matches(request, form.get("csrf")):
        return message_page(
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
        await posted(request, rt)
    except Answer as stop:
        return stop.response
    await sessions.sign_out(rt, auth.session_cookie(request))
    response = secure(RedirectResponse("/console/sign-in", status_code=303))
    auth.clear_cookies(response, rt.settings)
    return response
