"""People sign in to the console with OpenID Connect (docs/console.md): the authorization code
flow with PKCE (S256) against `ENTRYGO_OIDC_ISSUER`, as its client `ENTRYGO_OIDC_CLIENT_ID`.

A sign-in starts here with a state, a nonce and a PKCE verifier kept in the database under the
state's hash and bound to the browser's cookie; the provider sends the browser back with the
state and a code, which is used up at once (a replayed or foreign state opens nothing). The code
is exchanged for the ID token, which must verify (services/oidc_tokens.py); the person's groups
map to console roles, and a person in none is refused. The session is then the console's own
(services/sessions.py): the person acts as `oidc:<subject>`, labelled `Name <email>`."""

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from services import sessions
from services.context import Runtime
from services.oidc_provider import IdentityProvider, ProviderMetadata
from services.oidc_tokens import claim, person_of, unverified_header, verify_id_token
from services.sessions import SignInRefused
from store import console_people
from store.accounts import account_exists
from store.console import PersonSession
from store.console_people import SignInAttempt

CALLBACK_PATH = "/console/oidc/callback"
SIGN_IN_PATH = "/console/sign-in"
BROWSER_TOKEN_MAX = 100


@dataclass(frozen=True)
class SignInStart:
    """Where to send the browser, and the value of its binding cookie."""

    authorize_url: str
    browser: str


@dataclass(frozen=True)
class ProviderAnswer:
    """What the provider sent the browser back with (the callback's query)."""

    state: str | None
    code: str | None = None
    error: str | None = None
    error_description: str | None = None
    iss: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """The new session's cookie and the console page to go to."""

    cookie: str
    next_path: str


def enabled(rt: Runtime) -> bool:
    """True when people may sign in with the identity provider."""
    return rt.settings.oidc_issuer is not None


def provider_name(rt: Runtime) -> str:
    """What the sign-in page calls the provider."""
    issuer = rt.settings.oidc_issuer or ""
    return rt.settings.oidc_provider_name or urlsplit(issuer).hostname or issuer


def _url(rt: Runtime, path: str) -> str:
    return rt.settings.public_base_url.rstrip("/") + path


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _challenge(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


async def begin_sign_in(rt: Runtime, browser: str | None, next_path: str) -> SignInStart:
    """Start a sign-in at the provider for this browser (its binding cookie, or a new one)."""
    meta = await IdentityProvider(rt.settings).metadata()
    if not browser or len(browser) > BROWSER_TOKEN_MAX:
        browser = secrets.token_urlsafe(32)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)  # 64 characters of the unreserved set
    async with rt.pool.acquire() as conn:
        await console_people.start_sign_in(
            conn,
            _hash(state),
            _hash(browser),
            SignInAttempt(nonce=nonce, code_verifier=verifier, next_path=next_path),
            rt.settings.oidc_sign_in_seconds,
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": rt.settings.oidc_client_id or "",
            "redirect_uri": _url(rt, CALLBACK_PATH),
            "scope": rt.settings.oidc_scopes,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
    )
    joiner = "&" if "?" in meta.authorization_endpoint else "?"
    return SignInStart(f"{meta.authorization_endpoint}{joiner}{query}", browser)


async def finish_sign_in(rt: Runtime, answer: ProviderAnswer, browser: str | None) -> SignedIn:
    """The session of the person the provider's answer names; SignInRefused otherwise."""
    attempt = None
    if answer.state and browser:
        async with rt.pool.acquire() as conn:
            attempt = await console_people.take_sign_in(conn, _hash(answer.state), _hash(browser))
    if attempt is None:
        raise SignInRefused(
            "SIGN_IN_UNKNOWN",
            "This sign-in is not known here: it was used already, it expired, or another browser "
            "started it. Sign in again.",
        )
    if answer.error is not None:
        said = f"{answer.error}: {answer.error_description}" if answer.error_description else ""
        raise SignInRefused(
            "PROVIDER_REFUSED",
            f"The identity provider did not sign you in ({said or answer.error}).",
        )
    provider = IdentityProvider(rt.settings)
    meta = await provider.metadata()
    if answer.iss is not None and answer.iss != meta.issuer:  # RFC 9207: a mix-up
        raise SignInRefused("ISSUER_MISMATCH", "The answer comes from another identity provider.")
    if not answer.code:
        raise SignInRefused("CODE_MISSING", "The identity provider sent no authorization code.")
    tokens = await provider.exchange(
        meta, answer.code, attempt.code_verifier, _url(rt, CALLBACK_PATH)
    )
    claims = await _verified(provider, meta, tokens.id_token, attempt.nonce)
    if tokens.access_token is not None:
        claims = await _with_userinfo(rt, provider, meta, claims, tokens.access_token)
    person = person_of(
        claims,
        roles_claim=rt.settings.oidc_roles_claim,
        role_map=rt.settings.oidc_role_map,
        provider=provider_name(rt),
    )
    account_id = rt.settings.oidc_account_id or ""
    async with rt.pool.acquire() as conn:
        known = await account_exists(conn, account_id)
    if not known:
        raise SignInRefused(
            "ACCOUNT_UNKNOWN", "ENTRYGO_OIDC_ACCOUNT_ID names no account of this installation."
        )
    cookie = await sessions.sign_in_person(
        rt,
        PersonSession(
            account_id=account_id,
            subject=person.subject,
            name=person.name,
            email=person.email,
            roles=list(person.roles),
            id_token=tokens.id_token,
        ),
    )
    return SignedIn(cookie, attempt.next_path)


async def _verified(
    provider: IdentityProvider, meta: ProviderMetadata, id_token: str, nonce: str
) -> Mapping[str, object]:
    algorithm, kid = unverified_header(id_token)
    if algorithm not in meta.signing_algorithms:
        raise SignInRefused(
            "ID_TOKEN_SIGNATURE", f"The ID token is signed with {algorithm}, which is not accepted."
        )
    key = await provider.signing_key(meta, kid)
    if key is None:
        raise SignInRefused(
            "ID_TOKEN_SIGNATURE", "The ID token is signed with a key the provider does not publish."
        )
    return verify_id_token(
        id_token,
        key.key,
        algorithm=algorithm,
        issuer=meta.issuer,
        client_id=provider.client_id,
        nonce=nonce,
    )


async def _with_userinfo(
    rt: Runtime,
    provider: IdentityProvider,
    meta: ProviderMetadata,
    claims: Mapping[str, object],
    access_token: str,
) -> Mapping[str, object]:
    """The ID token's claims, completed from the userinfo endpoint where the token lacks the
    roles claim, the name or the e-mail (providers put them in one or the other)."""
    wanted = (rt.settings.oidc_roles_claim, "name", "email")
    if all(claim(claims, name) is not None for name in wanted):
        return claims
    info = await provider.userinfo(meta, access_token)
    if not info:
        return claims
    if info.get("sub") != claims.get("sub"):  # OIDC Core 5.3.2
        raise SignInRefused(
            "USERINFO_SUBJECT", "The provider's userinfo names another person than the ID token."
        )
    return {**info, **claims}


async def end_session_url(rt: Runtime, id_token: str) -> str | None:
    """Where the browser ends its session at the provider and comes back to sign-in, when the
    provider offers that (`end_session_endpoint`)."""
    if not enabled(rt):
        return None
    try:
        meta = await IdentityProvider(rt.settings).metadata()
    except SignInRefused:
        return None
    if meta.end_session_endpoint is None:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": _url(rt, SIGN_IN_PATH),
            "client_id": rt.settings.oidc_client_id or "",
        }
    )
    joiner = "&" if "?" in meta.end_session_endpoint else "?"
    return f"{meta.end_session_endpoint}{joiner}{query}"
