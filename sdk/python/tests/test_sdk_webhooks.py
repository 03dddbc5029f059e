"""`webhooks.verify`: the signature scheme of CONTRACT §11, recomputed here independently."""

import hashlib
import hmac
import json

import pytest
from entrygo_client import EntryGoError, WebhookEvent, WebhookVerificationError, webhooks

SECRET = "whsec_test_0123456789"  # noqa: S105
NOW = 1_770_000_000
EVENT = {
    "eventId": "evt_01",
    "type": "EXPORT_EXECUTED",
    "exportId": "exp_01",
    "seq": 7,
    "createdAt": "2026-02-02T00:00:00Z",
    "data": {"customs_package_id": "cp_01", "more": [{"x": 1}]},
}
BODY = json.dumps(EVENT, separators=(",", ":")).encode()


def header(secret: str = SECRET, body: bytes = BODY, t: int = NOW) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def test_a_good_signature_gives_the_event() -> None:
    event = webhooks.verify(BODY, {"EntryGo-Signature": header()}, SECRET, now=NOW + 10)
    assert isinstance(event, WebhookEvent)
    assert (event.eventId, event.type, event.exportId, event.seq) == (
        "evt_01",
        "EXPORT_EXECUTED",
        "exp_01",
        7,
    )
    assert event["data"]["customs_package_id"] == "cp_01"
    assert event.data is not None
    assert event.data["more"][0]["x"] == 1
    assert event.to_dict() == EVENT


def test_header_name_case_payload_type_and_several_signatures() -> None:
    both = f"{header('old-secret')},v1={header().split('v1=')[1]},v0=ignored"
    for headers in (
        {"entrygo-signature": header()},
        {"ENTRYGO-SIGNATURE": header()},
        [("EntryGo-Signature", header())],
        {"EntryGo-Signature": both},  # one of several v1 values matches (secret rotation)
    ):
        assert webhooks.verify(BODY, headers, SECRET, now=NOW).seq == 7
    assert webhooks.verify(BODY.decode(), {"EntryGo-Signature": header()}, SECRET, now=NOW)
    assert webhooks.signature(SECRET, BODY, NOW) == header()


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"EntryGo-Signature": "  "}, "missing"),
        ({"EntryGo-Signature": "garbage"}, "malformed"),
        ({"EntryGo-Signature": f"v1={'a' * 64}"}, "malformed"),
        ({"EntryGo-Signature": f"t={NOW}"}, "malformed"),
        ({"EntryGo-Signature": f"t=yesterday,v1={'a' * 64}"}, "malformed"),
        ({"EntryGo-Signature": f"t={NOW},v1=nothex"}, "malformed"),
        ({"EntryGo-Signature": header("wrong-secret")}, "mismatch"),
        ({"EntryGo-Signature": header(body=BODY + b" ")}, "mismatch"),
        ({"EntryGo-Signature": header(t=NOW - 301)}, "expired"),
        ({"EntryGo-Signature": header(t=NOW + 301)}, "expired"),
    ],
    ids=[
        "absent",
        "blank",
        "garbage",
        "no-timestamp",
        "no-v1",
        "bad-timestamp",
        "bad-digest",
        "wrong-secret",
        "other-body",
        "too-old",
        "future",
    ],
)
def test_what_does_not_verify(headers: dict[str, str], reason: str) -> None:
    with pytest.raises(WebhookVerificationError) as raised:
        webhooks.verify(BODY, headers, SECRET, now=NOW)
    assert raised.value.reason == reason
    assert isinstance(raised.value, EntryGoError)
    assert raised.value.error_code == "INVALID_SIGNATURE"


def test_the_tolerance_and_the_clock() -> None:
    old = {"EntryGo-Signature": header(t=NOW - 1000)}
    assert webhooks.verify(BODY, old, SECRET, now=NOW, tolerance=1000).seq == 7
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(BODY, old, SECRET)  # the real clock: long past
