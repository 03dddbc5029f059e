"""What the console accepts of an ID token and of the person it names (services/oidc_tokens.py),
with tokens signed here by a key of the test's own."""

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from services.oidc_tokens import groups_of, person_of, roles_for, verify_id_token
from services.sessions import SignInRefused

ISSUER = "https://id.example.test"
CLIENT = "entrygo-console"
NONCE = "n-0123456789"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ROLE_MAP = {"compliance": "reviewer", "compliance-leads": "lead", "ops": "admin"}


def token(**change: Any) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": "dana", "aud": CLIENT, "iat": now, "exp": now + 300}
    claims |= {"nonce": NONCE, **change}
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, KEY, algorithm="RS256")


def verify(raw: str, key: Any = None) -> dict[str, Any]:
    return dict(
        verify_id_token(
            raw,
            (key or KEY).public_key(),
            algorithm="RS256",
            issuer=ISSUER,
            client_id=CLIENT,
            nonce=NONCE,
        )
    )


def refused_with(raw: str, code: str, key: Any = None) -> None:
    with pytest.raises(SignInRefused) as caught:
        verify(raw, key)
    assert caught.value.code == code


def test_a_current_token_for_us_with_our_nonce_verifies() -> None:
    assert verify(token())["sub"] == "dana"
    # several audiences: ours, and authorized for us
    assert verify(token(aud=[CLIENT, "other"], azp=CLIENT))["azp"] == CLIENT


def test_each_claim_that_does_not_hold_has_its_refusal() -> None:
    now = int(time.time())
    refused_with(token(exp=now - 120, iat=now - 420), "ID_TOKEN_EXPIRED")
    refused_with(token(iat=now + 600, exp=now + 900), "ID_TOKEN_NOT_YET_VALID")
    refused_with(token(aud="another-client"), "ID_TOKEN_AUDIENCE")
    refused_with(token(aud=[CLIENT, "other"]), "ID_TOKEN_AUDIENCE")  # no azp for us
    refused_with(token(iss="https://elsewhere.test"), "ID_TOKEN_ISSUER")
    refused_with(token(nonce="another"), "ID_TOKEN_NONCE")
    refused_with(token(nonce=None), "ID_TOKEN_NONCE")
    refused_with(token(exp=None), "ID_TOKEN_INVALID")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused_with(token(), "ID_TOKEN_SIGNATURE", key=other)
    # within a minute of clock difference, a token is still current
    assert verify(token(exp=now - 30, iat=now - 330))["sub"] == "dana"


def test_groups_map_to_console_roles() -> None:
    assert roles_for(["compliance"], ROLE_MAP) == ("reviewer",)
    assert roles_for(["compliance-leads"], ROLE_MAP) == ("lead", "reviewer")
    assert roles_for(["ops", "compliance", "staff"], ROLE_MAP) == ("admin", "reviewer")
    assert roles_for(["staff"], ROLE_MAP) == ()
    assert groups_of("ops") == ["ops"]
    assert groups_of(["ops", 3, None]) == ["ops"]
    assert groups_of(None) == []


def test_the_person_and_a_refusal_for_no_mapped_group() -> None:
    claims = {"sub": "dana", "name": " Dana Diaz ", "email": "dana@example.test"}
    person = person_of(
        {**claims, "groups": ["compliance"]},
        roles_claim="groups",
        role_map=ROLE_MAP,
        provider="Example ID",
    )
    assert (person.subject, person.name, person.email, person.roles) == (
        "dana",
        "Dana Diaz",
        "dana@example.test",
        ("reviewer",),
    )
    nested = person_of(
        {**claims, "realm_access": {"roles": ["ops"]}},
        roles_claim="realm_access.roles",
        role_map=ROLE_MAP,
        provider="Example ID",
    )
    assert nested.roles == ("admin",)
    with pytest.raises(SignInRefused) as caught:
        person_of(
            {**claims, "groups": ["sales"]},
            roles_claim="groups",
            role_map=ROLE_MAP,
            provider="Example ID",
        )
    assert caught.value.code == "NOT_IN_A_GROUP"
    assert "dana@example.test" in caught.value.message
