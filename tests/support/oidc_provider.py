"""A real OpenID Provider on loopback (tests/support/oidc: the npm package oidc-provider on
Node.js) and a console API of its own that people sign in to through it; and the sign-in as a
browser without JavaScript makes it, for the tests that craft the callback."""

import asyncio
import json
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from api.app import create_app
from config.settings import Settings
from tests.support.paths import ROOT
from tests.support.stack import Stack, free_port, serve

PROVIDER_DIR = ROOT / "tests" / "support" / "oidc"
CLIENT_ID = "entrygo-console"
CLIENT_SECRET = "test-client-secret-0123456789abcdef"
PASSWORD = "correct horse battery"
PROVIDER_NAME = "Test IdP"
ROLE_MAP = {"compliance": "reviewer", "compliance-leads": "lead", "ops": "admin"}
# the provider's people: logins, with the name, e-mail and groups their tokens carry
PEOPLE: dict[str, dict[str, Any]] = {
    "dana": {"name": "Dana Diaz", "email": "dana@example.test", "groups": ["compliance"]},
    "lee": {"name": "Lee Lead", "email": "lee@example.test", "groups": ["compliance-leads"]},
    "omar": {"name": "Omar Ops", "email": "omar@example.test", "groups": ["ops", "staff"]},
    "sam": {"name": "Sam Sales", "email": "sam@example.test", "groups": ["sales", "staff"]},
}
_LOGIN_FORM = re.compile(r'action="(/interaction/[^"]+/login)"')


def require_provider() -> None:
    """Skip without Node.js or the installed provider (`make oidc-provider`), except in CI
    (CI=true), where either missing is a failure."""
    missing = None
    if shutil.which("node") is None:
        missing = "node is missing: `apt-get install -y nodejs npm` (make test does it as root)"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        missing = f"the test provider is not installed: `make oidc-provider` ({PROVIDER_DIR})"
    if missing is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(missing)
    pytest.skip(missing)


@dataclass
class OidcProvider:
    """The running provider; `next_id_token` bends the next ID token it issues."""

    issuer: str
    process: asyncio.subprocess.Process

    async def next_id_token(self, **change: Any) -> None:
        """The next ID token carries `aud`, `nonce`, times shifted by `shift` seconds, or a
        signature by a key the provider does not publish (`foreignKey=True`)."""
        async with httpx.AsyncClient() as http:
            r = await http.post(f"{self.issuer}/test/next-id-token", json=change)
            assert r.status_code == 204, r.text


@asynccontextmanager
async def running_provider(
    console_url: str, log: Path, auth_method: str = "client_secret_basic"
) -> AsyncIterator[OidcProvider]:
    """Start the provider on a free port, its client sent back to `console_url` and
    authenticating at the token endpoint with `auth_method`."""
    require_provider()
    port = free_port()
    config = {
        "port": port,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "tokenAuthMethod": auth_method,
        "redirectUris": [f"{console_url}/console/oidc/callback"],
        "postLogoutRedirectUris": [f"{console_url}/console/sign-in"],
        "users": {login: {**p, "password": PASSWORD} for login, p in PEOPLE.items()},
    }
    out = await asyncio.to_thread(log.open, "ab")
    process = await asyncio.create_subprocess_exec(
        "node",
        "provider.mjs",
        cwd=PROVIDER_DIR,
        env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        stdout=out,
        stderr=asyncio.subprocess.STDOUT,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http:
            for _ in range(300):
                if process.returncode is not None:
                    break
                try:
                    r = await http.get(f"{issuer}/.well-known/openid-configuration")
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            else:
                pytest.fail(f"the test provider did not start: {await _text(log)}")
        if process.returncode is not None:
            pytest.fail(f"the test provider stopped: {await _text(log)}")
        yield OidcProvider(issuer, process)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 10)
        out.close()


async def _text(log: Path) -> str:
    return await asyncio.to_thread(log.read_text)


@dataclass
class OidcConsole:
    """An API with single sign-on at `url` beside the stack's (same database, same worker)."""

    url: str
    provider: OidcProvider
    settings: Settings


@asynccontextmanager
async def oidc_console(
    stack: Stack, account_id: str, log: Path, **overrides: Any
) -> AsyncIterator[OidcConsole]:
    """The provider and an API whose console signs people in with it into `account_id`."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    method = overrides.get("oidc_client_auth_method", "client_secret_basic")
    async with running_provider(url, log, method) as provider:
        settings = stack.settings.model_copy(
            update={
                "public_base_url": url,
                "oidc_issuer": provider.issuer,
                "oidc_client_id": CLIENT_ID,
                "oidc_client_secret": SecretStr(CLIENT_SECRET),
                "oidc_account_id": account_id,
                "oidc_role_map": ROLE_MAP,
                "oidc_scopes": "openid profile email groups",
                "oidc_provider_name": PROVIDER_NAME,
                **overrides,
            }
        )
        server, task = await serve(create_app(settings), port)
        try:
            yield OidcConsole(url, provider, settings)
        finally:
            server.should_exit = True
            await asyncio.gather(task, return_exceptions=True)


@dataclass
class Callback:
    """Where the provider sent the browser back, not yet followed; and the sign-in's nonce."""

    url: str
    nonce: str


async def provider_callback(http: httpx.AsyncClient, console: OidcConsole, login: str) -> Callback:
    """Start a sign-in in `http` (a browser: its cookies) and sign in at the provider as
    `login`; the callback URL the provider answers with, not followed."""
    r = await http.get(f"{console.url}/console/oidc/start", params={"next": "/console"})
    assert r.status_code == 303, r.text
    authorize = r.headers["location"]
    nonce = parse_qs(urlsplit(authorize).query)["nonce"][0]
    r = await http.get(authorize)
    while r.status_code in (302, 303) and not r.headers["location"].startswith(console.url):
        r = await http.get(urljoin(str(r.url), r.headers["location"]))
        form = _LOGIN_FORM.search(r.text) if r.status_code == 200 else None
        if form is not None:
            r = await http.post(
                urljoin(str(r.url), form.group(1)), data={"login": login, "password": PASSWORD}
            )
    assert r.status_code in (302, 303), r.text
    location = r.headers["location"]
    assert location.startswith(f"{console.url}/console/oidc/callback?"), location
    return Callback(location, nonce)
