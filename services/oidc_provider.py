"""The identity provider as the console's relying party sees it: its discovery document, its
signing keys (JWKS), its token endpoint and its userinfo endpoint, over HTTPS (plain HTTP only on
loopback). Discovery and keys are kept for an hour per process; an unknown key id fetches the
keys again (the provider rotated them)."""

import base64
import time
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import quote, urlsplit

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from config.settings import Settings
from services.sessions import SignInRefused

CACHE_SECONDS = 3600.0
HTTP_TIMEOUT_SECONDS = 10.0
# asymmetric signatures only: a token signed with the client secret (HS*) or unsigned is refused
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
LOOPBACK_HOSTS = {"localhost"}


@dataclass(frozen=True)
class ProviderMetadata:
    """What discovery says of the provider (`/.well-known/openid-configuration`)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    end_session_endpoint: str | None
    signing_algorithms: tuple[str, ...]


@dataclass(frozen=True)
class Tokens:
    """The token endpoint's answer to an authorization code."""

    id_token: str
    access_token: str | None


_metadata: dict[str, tuple[float, ProviderMetadata]] = {}
_keys: dict[str, tuple[float, PyJWKSet]] = {}


def unavailable(what: str) -> SignInRefused:
    """The provider did not answer as it should."""
    return SignInRefused(
        "PROVIDER_UNAVAILABLE", f"The identity provider could not be reached ({what}). Try again."
    )


def _check_address(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname or "")):
        return url
    raise unavailable(f"{url} is neither https nor loopback")


def _loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _text(document: Mapping[str, object], name: str) -> str | None:
    value = document.get(name)
    return value if isinstance(value, str) and value else None


async def _get_json(url: str, headers: Mapping[str, str] | None = None) -> Mapping[str, object]:
    try:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
            r = await http.get(_check_address(url), headers=headers)
    except httpx.HTTPError as exc:
        raise unavailable(type(exc).__name__) from exc
    if r.status_code != 200:
        raise unavailable(f"{urlsplit(url).path} answered {r.status_code}")
    try:
        found = r.json()
    except ValueError as exc:
        raise unavailable(f"{urlsplit(url).path} answered no JSON") from exc
    if not isinstance(found, dict):
        raise unavailable(f"{urlsplit(url).path} answered no JSON object")
    return found


class IdentityProvider:
    """The provider of `ENTRYGO_OIDC_ISSUER`, as this installation's client of it."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = (settings.oidc_issuer or "").rstrip("/")
        self.client_id = settings.oidc_client_id or ""
        secret = settings.oidc_client_secret
        self.client_secret = secret.get_secret_value() if secret is not None else ""
        self.auth_method = settings.oidc_client_auth_method

    async def metadata(self) -> ProviderMetadata:
        """The discovery document, checked: it must name our issuer exactly (OIDC Discovery
        4.3) and offer the code flow with PKCE S256."""
        cached = _metadata.get(self.issuer)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        document = await _get_json(f"{self.issuer}/.well-known/openid-configuration")
        if _text(document, "issuer") != self.issuer:
            raise unavailable("its discovery document names another issuer")
        methods = document.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise unavailable("it does not offer PKCE with S256")
        endpoints = {
            name: _text(document, name)
            for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")
        }
        missing = [name for name, url in endpoints.items() if url is None]
        if missing:
            raise unavailable(f"its discovery document has no {', '.join(missing)}")
        offered = document.get("id_token_signing_alg_values_supported")
        algorithms = tuple(
            a for a in SIGNING_ALGORITHMS if not isinstance(offered, list) or a in offered
        )
        found = ProviderMetadata(
            issuer=self.issuer,
            authorization_endpoint=_check_address(endpoints["authorization_endpoint"] or ""),
            token_endpoint=_check_address(endpoints["token_endpoint"] or ""),
            jwks_uri=_check_address(endpoints["jwks_uri"] or ""),
            userinfo_endpoint=_text(document, "userinfo_endpoint"),
            end_session_endpoint=_text(document, "end_session_endpoint"),
            signing_algorithms=algorithms,
        )
        _metadata[self.issuer] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    async def signing_key(self, meta: ProviderMetadata, kid: str | None) -> PyJWK | None:
        """The provider's published key of this id (the only signing key when the token names
        none); None when it publishes no such key, even after fetching its keys again."""
        cached = _keys.get(meta.jwks_uri)
        fresh = cached is None or cached[0] <= time.monotonic()
        keys = await self._fetch_keys(meta) if fresh or cached is None else cached[1]
        key = _pick(keys, kid)
        if key is None and not fresh:
            key = _pick(await self._fetch_keys(meta), kid)
        return key

    async def _fetch_keys(self, meta: ProviderMetadata) -> PyJWKSet:
        document = await _get_json(meta.jwks_uri)
        try:
            keys = PyJWKSet.from_dict(dict(document))
        except (PyJWKError, PyJWKSetError) as exc:
            raise unavailable("its key set is not usable") from exc
        _keys[meta.jwks_uri] = (time.monotonic() + CACHE_SECONDS, keys)
        return keys

    async def exchange(
        self, meta: ProviderMetadata, code: str, verifier: str, redirect_uri: str
    ) -> Tokens:
        """The tokens for an authorization code, with the PKCE verifier, authenticated as our
        client (`client_secret_basic`, or `client_secret_post`)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        headers = {"accept": "application/json"}
        if self.auth_method == "client_secret_post":
            form |= {"client_id": self.client_id, "client_secret": self.client_secret}
        else:  # RFC 6749 2.3.1: each part form-encoded before the two are joined
            pair = f"{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}"
            headers["authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS) as http:
                r = await http.post(meta.token_endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise unavailable(type(exc).__name__) from exc
        try:
            answer = r.json()
        except ValueError:
            answer = None
        if r.status_code != 200 or not isinstance(answer, dict):
            error = answer.get("error") if isinstance(answer, dict) else None
            raise SignInRefused(
                "CODE_REFUSED",
                "The identity provider refused to complete the sign-in"
                + (f" ({error})." if isinstance(error, str) else f" (HTTP {r.status_code})."),
            )
        id_token = answer.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise SignInRefused("ID_TOKEN_INVALID", "The identity provider sent no ID token.")
        access = answer.get("access_token")
        return Tokens(id_token, access if isinstance(access, str) else None)

    async def userinfo(self, meta: ProviderMetadata, access_token: str) -> Mapping[str, object]:
        """The person's claims from the userinfo endpoint (empty without one)."""
        if meta.userinfo_endpoint is None:
            return {}
        return await _get_json(
            meta.userinfo_endpoint, headers={"authorization": f"Bearer {access_token}"}
        )


def _pick(keys: PyJWKSet, kid: str | None) -> PyJWK | None:
    signing = [k for k in keys if k.public_key_use in (None, "sig")]
    if kid is None:
        return signing[0] if len(signing) == 1 else None
    return next((k for k in signing if k.key_id == kid), None)
