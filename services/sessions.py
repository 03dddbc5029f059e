"""Console sessions: an API key with the reviewer or admin role, or a person the identity
provider vouched for (services/oidc.py), is exchanged for a server-side session; the browser holds
only a signed cookie (the token and its HMAC), the database only the token's hash, the CSRF token
and the expiry. Revoking the key ends its sessions."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from domain.approval import person_actor, person_label
from services.context import Runtime
from services.errors import ServiceError
from store import console, console_people
from store.accounts import Principal, authenticate
from store.console import PersonSession, SessionRow
from store.db import Pool

CONSOLE_ROLES = frozenset({"reviewer", "admin"})
LEAD_ROLE = "lead"
_secrets: dict[int, bytes] = {}


class SignInRefused(ServiceError):
    """The key does not open a console session (unknown, revoked, without a console role, or
    key sign-in is turned off); or the identity provider's answer does not (services/oidc.py)."""


@dataclass(frozen=True)
class Session:
    """A signed-in person: who (the key's principal, with its label; or the person, whose key id
    is the actor `oidc:<subject>`) and the form token."""

    principal: Principal
    csrf_token: str
    expires_at: datetime

    @property
    def can_decide(self) -> bool:
        """Approve, reject and retry need the reviewer role, as in the API."""
        return "reviewer" in self.principal.roles

    @property
    def lead(self) -> bool:
        """A person of a lead group (the console role `lead`, held with `reviewer`; no key has
        it)."""
        return LEAD_ROLE in self.principal.roles


async def _secret(rt: Runtime) -> bytes:
    if rt.settings.console_secret:
        return rt.settings.console_secret.encode()
    found = _secrets.get(id(rt.pool))
    if found is None:
        async with rt.pool.acquire() as conn:
            found = _secrets[id(rt.pool)] = await console.signing_secret(conn)
    return found


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _signature(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode(), hashlib.sha256).hexdigest()


async def sign_in(rt: Runtime, api_key: str) -> tuple[str, Session]:
    """The cookie value and the session for a key with a console role; SignInRefused otherwise."""
    if not rt.settings.console_key_signin:
        raise SignInRefused(
            "KEY_SIGN_IN_OFF", "Signing in with an API key is turned off: use single sign-on."
        )
    key = api_key.strip()
    if not key:
        raise SignInRefused("SIGN_IN_REFUSED", "Enter an API key.")
    async with rt.pool.acquire() as conn:
        principal = await authenticate(conn, key)
        if principal is None:
            raise SignInRefused(
                "SIGN_IN_REFUSED", "This API key is not valid (unknown or revoked)."
            )
        if not principal.roles & CONSOLE_ROLES:
            raise SignInRefused(
                "SIGN_IN_REFUSED",
                "This API key has only the integration role. The console needs a key with the "
                "reviewer or admin role.",
            )
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = await console.create_session(
            conn,
            _token_hash(token),
            principal.account_id,
            principal.key_id,
            csrf,
            rt.settings.console_session_seconds,
        )
    cookie = f"{token}.{_signature(await _secret(rt), token)}"
    return cookie, Session(principal, csrf, expires)


async def sign_in_person(rt: Runtime, person: PersonSession) -> str:
    """The cookie value of a new session for a person the identity provider vouched for."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    label = person_label(person.subject, person.name, person.email)
    async with rt.pool.acquire() as conn, conn.transaction():
        await console_people.remember_person(
            conn, person.account_id, person.subject, person.name, person.email, label
        )
        await console.create_person_session(
            conn, _token_hash(token), person, csrf, rt.settings.console_session_seconds
        )
    return f"{token}.{_signature(await _secret(rt), token)}"


def _token_of(cookie: str, secret: bytes) -> str | None:
    token, _, signature = cookie.partition(".")
    if not token or not signature:
        return None
    if not hmac.compare_digest(signature, _signature(secret, token)):
        return None
    return token


async def session_of(rt: Runtime, cookie: str | None) -> Session | None:
    """The live session a cookie stands for, or None (missing, forged, ended, expired, revoked)."""
    if not cookie:
        return None
    token = _token_of(cookie, await _secret(rt))
    if token is None:
        return None
    async with rt.pool.acquire() as conn:
        row = await console.live_session(conn, _token_hash(token))
    if row is None:
        return None
    return Session(_principal_of(row), row.csrf_token, row.expires_at)


def _principal_of(row: SessionRow) -> Principal:
    """Who a session stands for: the key, or the person as the actor `oidc:<subject>`."""
    if row.subject is not None:
        return Principal(
            account_id=row.account_id,
            account_name=row.account_name,
            key_id=person_actor(row.subject),
            roles=row.roles,
            label=person_label(row.subject, row.person_name, row.email),
        )
    return Principal(
        account_id=row.account_id,
        account_name=row.account_name,
        key_id=row.key_id or "",
        roles=row.roles,
        label=row.label,
    )


async def sign_out(rt: Runtime, cookie: str | None) -> str | None:
    """End the cookie's session, if it has one; returns the ID token of a person's session (the
    hint of the provider's sign-out)."""
    token = _token_of(cookie or "", await _secret(rt))
    if token is None:
        return None
    async with rt.pool.acquire() as conn:
        return await console.end_session(conn, _token_hash(token))


def csrf_matches(session: Session, sent: str | None) -> bool:
    """True when a form carries the session's CSRF token."""
    return bool(sent) and hmac.compare_digest(session.csrf_token, sent or "")


async def purge_ended(pool: Pool) -> int:
    """Delete sessions that ended or expired, and sign-ins that expired, more than a day ago."""
    async with pool.acquire() as conn:
        sessions = await console.purge_sessions(conn)
        return sessions + await console_people.purge_sign_ins(conn)
