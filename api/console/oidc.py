"""Signing in to the console with the identity provider (OpenID Connect): the start, which sends
the browser to the provider, and the callback it comes back to. A refusal is a page of its own
with its reason, and opens no session."""

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from api.console import auth
from api.console.render import page
from api.console.security import secure
from api.console.signed_in import Filter, message_page, safe_next
from api.deps import RuntimeDep
from services import oidc
from services.context import Runtime
from services.oidc import ProviderAnswer
from services.sessions import SignInRefused

# part of the sign-in family: api/console/sign_in.py includes it under its prefix, /console
router = APIRouter(prefix="/oidc", include_in_schema=False)

# what each refusal answers: the provider out of reach is not the person's fault
STATUS_OF = {
    "PROVIDER_UNAVAILABLE": 502,
    "NOT_IN_A_GROUP": 403,
    "ACCOUNT_UNKNOWN": 503,
    "SIGN_IN_UNKNOWN": 400,
    "CODE_MISSING": 400,
}


def refused(request: Request, rt: Runtime, exc: SignInRefused) -> Response:
    """The refusal page: what happened, its code, and the way back to sign-in."""
    return page(
        request,
        "sign_in_refused.html.j2",
        STATUS_OF.get(exc.code, 401),
        session=None,
        provider=oidc.provider_name(rt),
        message=exc.message,
        code=exc.code,
    )


def moving_on(request: Request, title: str, message: str, target: str) -> Response:
    """A page that sends the browser on at once (a redirect would not carry the console's
    `SameSite=Strict` cookie after the provider's site, nor pass the pages' `form-action`)."""
    return page(request, "continue.html.j2", title=title, message=message, target=target)


@router.get("/start")
async def start_sign_in(request: Request, rt: RuntimeDep, next: Filter = None) -> Response:
    """Send the browser to the identity provider to sign in."""
    if not oidc.enabled(rt):
        return message_page(request, 404, "Not found", "Single sign-on is not set up here.")
    try:
        started = await oidc.begin_sign_in(rt, auth.browser_cookie(request), safe_next(next))
    except SignInRefused as exc:
        return refused(request, rt, exc)
    response = secure(RedirectResponse(started.authorize_url, status_code=303))
    auth.set_browser_cookie(response, rt.settings, started.browser)
    return response


@router.get("/callback")
async def finish_sign_in(
    request: Request,
    rt: RuntimeDep,
    state: Filter = None,
    code: Filter = None,
    error: Filter = None,
    error_description: Filter = None,
    iss: Filter = None,
) -> Response:
    """Where the identity provider sends the browser back: the person's session, or a refusal."""
    if not oidc.enabled(rt):
        return message_page(request, 404, "Not found", "Single sign-on is not set up here.")
    answer = ProviderAnswer(
        state=state, code=code, error=error, error_description=error_description, iss=iss
    )
    try:
        signed_in = await oidc.finish_sign_in(rt, answer, auth.browser_cookie(request))
    except SignInRefused as exc:
        return refused(request, rt, exc)
    response = moving_on(request, "Signed in", "You are signed in.", signed_in.next_path)
    auth.set_session_cookie(response, rt.settings, signed_in.cookie)
    return response
