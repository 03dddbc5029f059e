"""Verify an EntryGo webhook before trusting it: `EntryGo-Signature: t=<unix>,v1=<hex
HMAC-SHA256(secret, "<t>.<raw body>")>` (CONTRACT §11, the scheme of every webhook EntryGo
sends), then read the event `{eventId, type, exportId, seq, createdAt, data}`.

Pass the raw body exactly as received (before any JSON parsing): the signature covers its bytes.
"""

import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from entrygo_client.errors import WebhookVerificationError
from entrygo_client.models import WebhookEvent, parse

SIGNATURE_HEADER = "EntryGo-Signature"
EVENT_ID_HEADER = "EntryGo-Event-Id"
TOLERANCE_SECONDS = 300

_TIMESTAMP = re.compile(r"\d{1,12}", re.ASCII)
_DIGEST = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)


def _header(headers: Mapping[str, Any] | Any, name: str) -> str | None:
    """The header's value, whatever the case of its name (a Mapping, a list of pairs, or an
    object with `.items()` such as httpx/Starlette/Flask headers)."""
    wanted = name.lower()
    pairs: Any = headers.items() if hasattr(headers, "items") else headers
    for key, value in pairs:
        if str(key).lower() == wanted:
            return value.decode() if isinstance(value, bytes) else str(value)
    return None


def parse_signature(header: str) -> tuple[int, list[str]]:
    """The timestamp and the v1 signatures of a signature header (other schemes are ignored);
    WebhookVerificationError when it is malformed."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise WebhookVerificationError("signature header parts must be key=value", "malformed")
        if key == "t":
            if timestamp is not None or not _TIMESTAMP.fullmatch(value):
                raise WebhookVerificationError(
                    "the signature needs one unix timestamp t=", "malformed"
                )
            timestamp = int(value)
        elif key == "v1":
            if not _DIGEST.fullmatch(value):
                raise WebhookVerificationError("v1 must be a hex HMAC-SHA256 digest", "malformed")
            signatures.append(value.lower())
    if timestamp is None or not signatures:
        raise WebhookVerificationError("the signature header needs t= and v1=", "malformed")
    return timestamp, signatures


def signature(secret: str, payload: bytes | str, timestamp: int) -> str:
    """The header value EntryGo sends for `payload` at `timestamp` (to test a receiver)."""
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(
    payload: bytes | str,
    headers: Mapping[str, Any] | Any,
    secret: str,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> WebhookEvent:
    """The event of a webhook whose `EntryGo-Signature` verifies with `secret` (any of its v1
    values may match) and whose timestamp is within `tolerance` seconds of `now`; otherwise
    WebhookVerificationError (`reason`: missing, malformed, mismatch, expired)."""
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    header = _header(headers, SIGNATURE_HEADER)
    if header is None or not header.strip():
        raise WebhookVerificationError(f"the {SIGNATURE_HEADER} header is missing", "missing")
    timestamp, signatures = parse_signature(header)
    expected = signature(secret, body, timestamp).rpartition("v1=")[2].encode()
    matched = False
    for given in signatures:  # compare with every one: timing tells nothing
        matched |= hmac.compare_digest(expected, given.encode())
    if not matched:
        raise WebhookVerificationError("the signature does not match the body", "mismatch")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError(
            "the signature's timestamp is too old or in the future", "expired"
        )
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookVerificationError("the body is not JSON", "malformed") from None
    if not isinstance(event, dict):
        raise WebhookVerificationError("the body is not a JSON object", "malformed")
    return parse(WebhookEvent, event)
