"""The console's session cookie and CSRF tokens.

The session cookie is `HttpOnly`, `SameSite=Strict`, scoped to /console, and `Secure` when the
service is published over HTTPS. Forms of a signed-in page carry the session's CSRF token; the
sign-in form, which has no session yet, carries a token that must equal a cookie of its own
(double submit). A sign-in with the identity provider is bound to the browser that started it by
a cookie of its own."""

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from config.settings import Settings

SESSION_COOKIE = "entrygo_console"
SIGN_IN_COOKIE = "entrygo_console_signin"
COOKIE_PATH = "/console"
# binds a sign-in at the identity provider to the browser that started it; `SameSite=Lax`, since
# the provider sends the browser back from another site
BROWSER_COOKIE = "entrygo_console_oidc"
BROWSER_COOKIE_PATH = "/console/oidc"


def _secure(settings: Settings) -> bool:
    return settings.public_base_url.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, value: str) -> None:
    """Hand the browser its session."""
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=int(settings.console_session_seconds),
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
    )


def clear_cookies(response: Response, settings: Settings) -> None:
    """Forget the session in the browser."""
    response.delete_cookie(
        SESSION_COOKIE,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
    )


def session_cookie(request: Request) -> str | None:
    """The session cookie the browser sent."""
    return request.cookies.get(SESSION_COOKIE)


def sign_in_token(request: Request) -> str:
    """The sign-in form's token: the one the browser holds, or a new one."""
    token = request.cookies.get(SIGN_IN_COOKIE)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    return token


def remember_sign_in_token(response: Response, settings: Settings, token: str) -> None:
    """Set the sign-in form's token as its cookie (double submit). A sign-in with the identity provider is bound to the browser that started it by
    a cookie of its own."""
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(settings),
    )


def sign_in_token_matches(request: Request, sent: str | None) -> bool:
    """True when the sign-in form's token equals its cookie."""
    cookie = request.cookies.get(SIGN_IN_COOKIE)
    return bool(cookie) and bool(sent) and hmac.compare_digest(cookie or "", sent or "")


def set_browser_cookie(response: Response, settings: Settings, value: str) -> None:
    """Bind the sign-ins this browser starts at the identity provider to it."""
    response.set_cookie(
        BROWSER_COOKIE,
        value,
        max_age=int(settings.oidc_sign_in_seconds),
        path=BROWSER_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
    )


def browser_cookie(request: Request) -> str | None:
    """The browser's binding of its sign-ins at the identity provider."""
    return request.cookies.get(BROWSER_COOKIE)
