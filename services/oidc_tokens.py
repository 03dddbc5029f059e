"""What the console accepts of the identity provider: the ID token (its signature by a published
key, issuer, audience, times and nonce) and the person it names, with the console roles their
groups map to. Each refusal has its own code; none opens a session."""

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import jwt
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuerError,
    InvalidSignatureError,
    PyJWTError,
)

from services.sessions import LEAD_ROLE, SignInRefused

# the clocks of the provider and of this service may differ by this much
LEEWAY_SECONDS = 60
# a lead reviews (the role `reviewer`) and leads the review (`lead`)
ROLES_OF = {"reviewer": ("reviewer",), "lead": ("reviewer", LEAD_ROLE), "admin": ("admin",)}


@dataclass(frozen=True)
class Person:
    """The person an ID token names, with the console roles their groups map to."""

    subject: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]


def unverified_header(token: str) -> tuple[str, str | None]:
    """The algorithm and key id the token says it was signed with."""
    try:
        header = jwt.get_unverified_header(token)
    except PyJWTError as exc:
        raise SignInRefused("ID_TOKEN_INVALID", "The ID token is not a signed JWT.") from exc
    alg, kid = header.get("alg"), header.get("kid")
    return str(alg), kid if isinstance(kid, str) else None


def verify_id_token(
    token: str,
    key: object,
    *,
    algorithm: str,
    issuer: str,
    client_id: str,
    nonce: str,
) -> Mapping[str, object]:
    """The ID token's claims once it is signed by `key` with `algorithm`, from `issuer`, for
    `client_id` (and, among several audiences, authorized for it), current, and carrying the
    nonce this sign-in sent (OIDC Core 3.1.3.7)."""
    try:
        claims: Mapping[str, object] = jwt.decode(
            token,
            key=key,  # type: ignore[arg-type]
            algorithms=[algorithm],
            audience=client_id,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except ExpiredSignatureError as exc:
        raise SignInRefused(
            "ID_TOKEN_EXPIRED", "The identity provider's ID token has expired."
        ) from exc
    except InvalidAudienceError as exc:
        raise SignInRefused(
            "ID_TOKEN_AUDIENCE", "The identity provider's ID token was issued to another client."
        ) from exc
    except InvalidIssuerError as exc:
        raise SignInRefused("ID_TOKEN_ISSUER", "The ID token comes from another issuer.") from exc
    except ImmatureSignatureError as exc:
        raise SignInRefused("ID_TOKEN_NOT_YET_VALID", "The ID token is not valid yet.") from exc
    except InvalidSignatureError as exc:
        raise SignInRefused(
            "ID_TOKEN_SIGNATURE",
            "The ID token's signature does not verify with the provider's keys.",
        ) from exc
    except PyJWTError as exc:
        raise SignInRefused("ID_TOKEN_INVALID", f"The ID token is not acceptable ({exc}).") from exc
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise SignInRefused(
            "ID_TOKEN_AUDIENCE", "The ID token is shared with other clients and not ours."
        )
    sent = claims.get("nonce")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, nonce):
        raise SignInRefused(
            "ID_TOKEN_NONCE",
            "The ID token does not answer this sign-in (its nonce differs: replayed or mixed up).",
        )
    return claims


def claim(claims: Mapping[str, object], path: str) -> object:
    """A claim by name, or by a dotted path into nested objects (`realm_access.roles`)."""
    if path in claims:
        return claims[path]
    node: object = claims
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def groups_of(value: object) -> list[str]:
    """The groups a roles claim lists (a list of names, or one name)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [g for g in value if isinstance(g, str)]
    return []


def roles_for(groups: Sequence[str], role_map: Mapping[str, str]) -> tuple[str, ...]:
    """The console roles of these groups under the map (a lead is also a reviewer)."""
    return tuple(sorted({role for g in groups if g in role_map for role in ROLES_OF[role_map[g]]}))


def _text(claims: Mapping[str, object], name: str) -> str | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def person_of(
    claims: Mapping[str, object],
    *,
    roles_claim: str,
    role_map: Mapping[str, str],
    provider: str,
) -> Person:
    """The person and their console roles; refused when no group of theirs is mapped."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise SignInRefused("ID_TOKEN_INVALID", "The ID token names nobody (no `sub`).")
    name = _text(claims, "name")
    email = _text(claims, "email")
    roles = roles_for(groups_of(claim(claims, roles_claim)), role_map)
    if not roles:
        who = email or name or subject
        raise SignInRefused(
            "NOT_IN_A_GROUP",
            f"{who} is not in any group of {provider} that may use the console. Ask an "
            "administrator to add you to a reviewer, lead or admin group.",
        )
    return Person(subject=subject, name=name, email=email, roles=roles)
