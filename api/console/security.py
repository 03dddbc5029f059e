"""What every console response carries: a strict Content-Security-Policy (our own script and
styles only, nothing inline unless hashed), no framing, no referrer to other sites, no caching
of pages that show an account's data."""

import base64
import hashlib
import re

from starlette.responses import Response

_STYLE_BLOCK = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def content_security_policy(style_hashes: tuple[str, ...] = ()) -> str:
    """The policy; `style_hashes` admits inline style blocks by their SHA-256 (the invoice)."""
    styles = " ".join(["'self'", *(f"'sha256-{h}'" for h in style_hashes)])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


def inline_style_hashes(html: bytes) -> tuple[str, ...]:
    """The CSP hashes of a page's inline `<style>` blocks."""
    return tuple(
        base64.b64encode(hashlib.sha256(block).digest()).decode()
        for block in _STYLE_BLOCK.findall(html)
    )


def secure(response: Response, *, style_hashes: tuple[str, ...] = ()) -> Response:
    """Add the console's security headers to a response."""
    response.headers["Content-Security-Policy"] = content_security_policy(style_hashes)
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
