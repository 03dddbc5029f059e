"""Webhook signatures: sign, then verify against every way a header can be wrong."""

import hashlib
import hmac

import pytest

from signing import SIGNATURE_HEADER, SignatureError, sign, verify

SECRET = "whsec_test_0123456789"
BODY = b'{"submissionId":"bsub_1","status":"ACCEPTED"}'
NOW = 1_760_000_000


def _reason(header: str | None, *, body: bytes = BODY, secret: str = SECRET, now: int = NOW) -> str:
    with pytest.raises(SignatureError) as caught:
        verify(secret, body, header, now)
    return caught.value.reason


def test_header_name_is_the_contract_one() -> None:
    assert SIGNATURE_HEADER == "EntryGo-Signature"


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t={NOW},v1={expected}"


def test_verify_accepts_a_fresh_signature() -> None:
    verify(SECRET, BODY, sign(SECRET, BODY, NOW), NOW)


def test_verify_accepts_within_tolerance_both_ways() -> None:
    verify(SECRET, BODY, sign(SECRET, BODY, NOW - 300), NOW)
    verify(SECRET, BODY, sign(SECRET, BODY, NOW + 300), NOW)


def test_verify_accepts_uppercase_hex_and_spaces() -> None:
    timestamp, digest = sign(SECRET, BODY, NOW).split(",")
    verify(SECRET, BODY, f"{timestamp}, {digest.upper().replace('V1=', 'v1=')}", NOW)


def test_verify_accepts_when_any_v1_matches() -> None:
    good = sign(SECRET, BODY, NOW)
    other = sign("old-secret", BODY, NOW).split(",")[1]
    verify(SECRET, BODY, f"{good},{other}", NOW)


def test_wrong_secret_is_a_mismatch() -> None:
    assert _reason(sign("another-secret", BODY, NOW)) == "mismatch"


def test_tampered_body_is_a_mismatch() -> None:
    header = sign(SECRET, BODY, NOW)
    assert _reason(header, body=BODY.replace(b"ACCEPTED", b"REJECTED")) == "mismatch"


def test_changed_timestamp_is_a_mismatch() -> None:
    digest = sign(SECRET, BODY, NOW).split(",")[1]
    assert _reason(f"t={NOW + 1},{digest}") == "mismatch"


def test_too_old_is_expired() -> None:
    assert _reason(sign(SECRET, BODY, NOW - 301)) == "expired"


def test_too_far_in_the_future_is_expired() -> None:
    assert _reason(sign(SECRET, BODY, NOW + 301)) == "expired"


def test_custom_tolerance() -> None:
    header = sign(SECRET, BODY, NOW - 60)
    verify(SECRET, BODY, header, NOW, tolerance_s=60)
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, BODY, header, NOW, tolerance_s=59)
    assert caught.value.reason == "expired"


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing_header(header: str | None) -> None:
    assert _reason(header) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "garbage",
        f"t={NOW}",
        "v1=" + "a" * 64,
        f"t=abc,v1={'a' * 64}",
        f"t=-5,v1={'a' * 64}",
        f"t={NOW},v1=nothex",
        f"t={NOW},v1={'a' * 63}",
        f"t={NOW},t={NOW},v1={'a' * 64}",
        f"t={NOW};v1={'a' * 64}",
        f"t={NOW},v1={'é' * 64}",
    ],
)
def test_malformed_header(header: str) -> None:
    assert _reason(header) == "malformed"


def test_unknown_schemes_are_ignored() -> None:
    header = sign(SECRET, BODY, NOW) + ",v0=legacy"
    verify(SECRET, BODY, header, NOW)


def test_error_message_never_contains_the_expected_digest() -> None:
    expected = sign(SECRET, BODY, NOW).split("v1=")[1]
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, BODY, f"t={NOW},v1={'0' * 64}", NOW)
    assert expected not in str(caught.value)
