"""Render console pages: Jinja2 from this package's templates, autoescaped, with an ETag so a
page that polls for changes gets 304 while nothing changed."""

import hashlib
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from html import escape as html_escape
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api.console.security import secure

LIVE_HEADER = "x-console-live"
LIVE_INTERVAL_MS = 2000
ETAG_PLACEHOLDER = "entrygo-page-etag-placeholder"


def age(seconds: float | None) -> str:
    """A duration as people say it: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if seconds is None:
        return ""
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def usd(value: Any) -> str:
    """An amount in USD with thousands separators."""
    try:
        return f"{Decimal(str(value)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(value)


def when(value: object) -> str:
    """A timestamp in UTC, to the second."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if moment is None else str(moment)


@cache
def environment() -> Environment:
    """The template environment (autoescape on for every template)."""
    env = Environment(
        loader=PackageLoader("api.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(age=age, usd=usd, when=when)
    env.globals["live_interval_ms"] = LIVE_INTERVAL_MS
    return env


def page(
    request: Request, template: str, status: int = 200, *, etag: str | None = None, **context: Any
) -> Response:
    """A rendered page with the security headers; 304 to a live poll whose ETag still matches.
    The ETag is `etag` when the caller knows the page's version, else the page's hash (taken
    with a placeholder where the page names its own ETag, so the script's first ask of an
    unchanged page is answered 304 too)."""
    rendered = environment().get_template(template).render(page_etag=ETAG_PLACEHOLDER, **context)
    html = rendered.encode("utf-8")
    etag = etag or '"' + hashlib.sha256(html).hexdigest()[:32] + '"'
    html = html.replace(ETAG_PLACEHOLDER.encode(), html_escape(etag).encode(), 1)
    if status == 200 and request.headers.get("if-none-match") == etag:
        return secure(Response(status_code=304, headers={"ETag": etag}))
    response = HTMLResponse(html, status_code=status, headers={"ETag": etag})
    return secure(response)


def not_modified(request: Request, etag: str) -> Response | None:
    """304 to a live poll whose ETag still matches (before anything is loaded or rendered)."""
    if is_live_poll(request) and request.headers.get("if-none-match") == etag:
        return secure(Response(status_code=304, headers={"ETag": etag}))
    return None


def is_live_poll(request: Request) -> bool:
    """True for the page script's background refresh (it does not count as a reviewer's look)."""
    return request.headers.get(LIVE_HEADER) == "1"
