"""The console's sign-in and sign-out: an API key with the reviewer or admin role becomes a
session cookie, or a person signs in with the identity provider (api/console/oidc.py); sign-out
ends the session, and a person's at the provider too when it offers that."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.console import auth
from api.console import oidc as oidc_pages
from api.console.forms import BadForm, read_form
from api.console.render import page
from api.console.security import secure
from api.console.signed_in import PREFIX, Answer, Filter, message_page, posted, safe_next
from api.deps import RuntimeDep
from services import oidc, sessions
from services.context import Runtime
from services.sessions import SignInRefused

router = APIRouter(prefix=PREFIX, include_in_schema=False)
router.include_router(oidc_pages.router)


def _sign_in_page(
    request: Request,
    rt: Runtime,
    token: str,
    target: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    """The sign-in page: the provider's button when single sign-on is set up, the key's form
    unless key sign-in is turned off."""
    response = page(
        request,
        "sign_in.html.j2",
        status,
        session=None,
        token=token,
        next=target,
        error=error,
        provider=oidc.provider_name(rt) if oidc.enabled(rt) else None,
        key_sign_in=rt.settings.console_key_signin,
    )
    auth.remember_sign_in_token(response, rt.settings, token)
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, rt: RuntimeDep, next: Filter = None) -> Response:
    """The sign-in form."""
    return _sign_in_page(request, rt, auth.sign_in_token(request), safe_next(next))


@router.post("/sign-in")
async def sign_in(request: Request, rt: RuntimeDep) -> Response:
    """Exchange an API key with the reviewer or admin role for a session."""
    if not rt.settings.console_key_signin:
        return message_page(
            request,
            403,
            "Key sign-in is off",
            "Signing in with an API key is turned off here. Use single sign-on.",
        )
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
    target = safe_next(form.get("next"))
    try:
        cookie, _ = await sessions.sign_in(rt, form.get("apiKey", ""))
    except SignInRefused as exc:
        return _sign_in_page(request, rt, token, target, 401, exc.message)
    response = secure(RedirectResponse(target, status_code=303))
    auth.set_session_cookie(response, rt.settings, cookie)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, rt: RuntimeDep) -> Response:
    """End the session (and a person's session at the identity provider, when it offers that)."""
    try:
        await posted(request, rt)
    except Answer as stop:
        return stop.response
    id_token = await sessions.sign_out(rt, auth.session_cookie(request))
    at_provider = await oidc.end_session_url(rt, id_token) if id_token else None
    if at_provider is None:
        response = secure(RedirectResponse("/console/sign-in", status_code=303))
    else:
        response = oidc_pages.moving_on(
            request,
            "Signed out",
            f"You are signed out of the console. Signing you out of {oidc.provider_name(rt)}…",
            at_provider,
        )
    auth.clear_cookies(response, rt.settings)
    return response
