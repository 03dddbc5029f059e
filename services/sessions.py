"""Console sessions: an API key with the reviewer or admin role is exchanged for a server-side
session; the browser holds only a signed cookie (the token and its HMAC), the database only the
token's hash, the CSRF token and the expiry. Revoking the key ends its sessions."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from services.context import Runtime
from services.errors import ServiceError
from store import console
from store.accounts import Principal, authenticate
from store.db import Pool

CONSOLE_ROLES = frozenset({"reviewer", "admin"})
_secrets: dict[int, bytes] = {}


class SignInRefused(ServiceError):
    """The key does not open a console session (unknown, revoked, or without a console role)."""


@dataclass(frozen=True)
class Session:
    """A signed-in person: who (the key's principal, with its label) and the form token."""

    principal: Principal
    csrf_token: str
    expires_at: datetime

    @property
    def can_decide(self) -> bool:
        """Approve, reject and retry need the reviewer role, as in the API."""
        return "reviewer" in self.principal.roles


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
    principal = Principal(
        account_id=row.account_id,
        account_name=row.account_name,
        key_id=row.key_id,
        roles=row.roles,
        label=row.label,
    )
    return Session(principal, row.csrf_token, row.expires_at)


async def sign_out(rt: Runtime, cookie: str | None) -> None:
    """End the cookie's session, if it has one."""
    token = _token_of(cookie or "", await _secret(rt))
    if token is None:
        return
    async with rt.pool.acquire() as conn:
        await console.end_session(conn, _token_hash(token))


def csrf_matches(session: Session, sent: str | None) -> bool:
    """True when a form carries the session's CSRF token."""
    return bool(sent) and hmac.compare_digest(session.csrf_token, sent or "")


async def purge_ended(pool: Pool) -> int:
    """Delete sessions that ended or expired more than a day ago."""
    async with pool.acquire() as conn:
        return await console.purge_sessions(conn)
