"""Webhook signatures: `EntryGo-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

Used for broker callbacks coming in and for every webhook going out (CONTRACT §11). Pure: the
caller passes the clock in, so the same code runs in activities, routes and tests.
"""

import hashlib
import hmac
import re
from typing import Literal

SIGNATURE_HEADER = "EntryGo-Signature"
DEFAULT_TOLERANCE_S = 300

SignatureFailure = Literal["missing", "malformed", "mismatch", "expired"]

_TIMESTAMP = re.compile(r"\d{1,12}", re.ASCII)
_DIGEST = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


class SignatureError(Exception):
    """A signature header that does not prove the body came from the holder of the secret."""

    def __init__(self, reason: SignatureFailure, message: str) -> None:
        super().__init__(message)
        self.reason: SignatureFailure = reason


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """Return the `EntryGo-Signature` header value for `body` sent at `timestamp` (unix s)."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", "signature header parts must be key=value")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise SignatureError("malformed", "signature timestamp must be one unix time")
            timestamp = int(value)
        elif key == "v1":
            if not _DIGEST.fullmatch(value):
                raise SignatureError("malformed", "v1 must be a hex HMAC-SHA256 digest")
            candidates.append(value.lower())
        # Other schemes (v0, future v2) are ignored, so senders can add them alongside v1.
    if timestamp is None or not candidates:
        raise SignatureError("malformed", "signature header needs t= and v1=")
    return timestamp, candidates


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    now: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> None:
    """Raise `SignatureError` unless `header` signs `body` with `secret` within the tolerance."""
    if header is None or not header.strip():
        raise SignatureError("missing", f"{SIGNATURE_HEADER} header is missing")
    timestamp, candidates = _parse(header)
    expected = _digest(secret, body, timestamp).encode("ascii")
    # Compare against every candidate so timing does not reveal which one (if any) matched.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate.encode("ascii"))
    if not matched:
        raise SignatureError("mismatch", "signature does not match the body")
    if abs(now - timestamp) > tolerance_s:
        raise SignatureError("expired", "signature timestamp is outside the allowed window")
