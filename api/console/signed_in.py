"""What every console page shares: the signed-in session, a signed-in form post (urlencoded, or
multipart where a form carries files) with its CSRF token, and the message pages (refusals, not
found)."""

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from starlette.responses import RedirectResponse, Response

from api.console import auth
from api.console.forms import (
    MAX_FIELDS,
    MAX_FORM_BYTES,
    BadForm,
    Upload,
    read_form,
    read_form_with_files,
)
from api.console.render import is_live_poll, page
from api.console.security import secure
from services import sessions
from services.context import Runtime
from services.sessions import Session

PREFIX = "/console"
ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
Filter = Annotated[str | None, Query()]


class Answer(Exception):
    """Stop handling and answer this (a redirect to sign-in, a refusal page)."""

    def __init__(self, response: Response) -> None:
        self.response = response


def message_page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response:
    return page(
        request, "message.html.j2", status, title=title, message=message, session=None, **extra
    )


def not_found(request: Request, what: str) -> Response:
    return message_page(request, 404, "Not found", f"Your account has no such {what}.")


def safe_next(target: str | None) -> str:
    """Only a console path is a place to go after sign-in."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target if "\\" not in target else "/console"
    return "/console"


async def signed_in(request: Request, rt: Runtime) -> Session:
    """The signed-in session; otherwise a redirect to sign-in (a live poll gets 401)."""
    session = await sessions.session_of(rt, auth.session_cookie(request))
    if session is not None:
        return session
    if request.method == "GET" and not is_live_poll(request):
        target = "/console/sign-in?" + urlencode({"next": request.url.path})
        raise Answer(secure(RedirectResponse(target, status_code=303)))
    raise Answer(
        message_page(
            request, 401, "Signed out", "Your session has ended. Sign in again to continue."
        )
    )


async def posted(
    request: Request, rt: Runtime, *, max_fields: int = MAX_FIELDS, max_bytes: int = MAX_FORM_BYTES
) -> tuple[Session, dict[str, str]]:
    """A signed-in form post (urlencoded) with the session's CSRF token (a form that lists many
    rows takes more fields and bytes than the default)."""
    session, form, _ = await _posted(request, rt, None, max_fields, max_bytes)
    return session, form


async def posted_with_files(
    request: Request, rt: Runtime, file_field: str
) -> tuple[Session, dict[str, str], list[Upload]]:
    """A signed-in form post that may carry files in `file_field` (multipart, or urlencoded
    without files) with the session's CSRF token among its fields."""
    return await _posted(request, rt, file_field, MAX_FIELDS, MAX_FORM_BYTES)


async def _posted(
    request: Request, rt: Runtime, file_field: str | None, max_fields: int, max_bytes: int
) -> tuple[Session, dict[str, str], list[Upload]]:
    """Signed in first, then the body (a bad one: 400), then the form's CSRF token (403)."""
    session = await signed_in(request, rt)
    files: list[Upload] = []
    try:
        if file_field is None:
            form = await read_form(request, max_fields=max_fields, max_bytes=max_bytes)
        else:
            form, files = await read_form_with_files(request, file_field)
    except BadForm as exc:
        raise Answer(message_page(request, 400, "Bad form", str(exc))) from exc
    if not sessions.csrf_matches(session, form.get("csrf")):
        raise Answer(
            message_page(
                request,
                403,
                "Form refused",
                "This form is missing its security token or it is out of date. Reload the page "
                "and try again.",
            )
        )
    return session, form, files
