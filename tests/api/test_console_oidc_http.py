"""The console's sign-in with OpenID Connect over HTTP, without a provider: what the sign-in page
offers, key sign-in turned off, a provider out of reach, a callback for no sign-in, and settings
that configure single sign-on only in part."""

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr, ValidationError

from api.app import create_app
from config.settings import Settings
from tests.support.stack import free_port
from tests.support.tenants import Tenant

SIGN_IN_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')


@pytest_asyncio.fixture(scope="module")
async def sso_only(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose console signs people in only through a provider, which is not running."""
    app = create_app(
        settings.model_copy(
            update={
                "console_key_signin": False,
                "oidc_issuer": f"http://127.0.0.1:{free_port()}",
                "oidc_client_id": "entrygo-console",
                "oidc_client_secret": SecretStr("secret-0123456789"),
                "oidc_account_id": "acc_unused",
                "oidc_role_map": {"compliance": "reviewer"},
                "oidc_provider_name": "Example ID",
            }
        )
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_key_sign_in_only_by_default(http: httpx.AsyncClient) -> None:
    page = await http.get("/console/sign-in")
    assert 'name="apiKey"' in page.text
    assert "sign-in-oidc" not in page.text
    r = await http.get("/console/oidc/start")
    assert r.status_code == 404


async def test_with_key_sign_in_off_only_the_provider_is_offered(
    sso_only: httpx.AsyncClient, tenant: Tenant
) -> None:
    page = await sso_only.get("/console/sign-in", params={"next": "/console/exports/exp_1"})
    assert page.status_code == 200
    assert "Sign in with Example ID" in page.text
    assert 'href="/console/oidc/start?next=/console/exports/exp_1"' in page.text
    assert 'name="apiKey"' not in page.text
    # the form's post is refused even with a valid key and token
    token = SIGN_IN_TOKEN.search(page.text)
    assert token is None  # there is no form to take a token from
    cookies = httpx.Cookies(page.cookies)
    r = await sso_only.post(
        "/console/sign-in",
        data={"apiKey": tenant.keys["reviewer"], "csrf": cookies["entrygo_console_signin"]},
        cookies=cookies,
    )
    assert r.status_code == 403
    assert "turned off" in r.text
    assert "entrygo_console" not in r.cookies


async def test_a_provider_out_of_reach_is_said_so(sso_only: httpx.AsyncClient) -> None:
    r = await sso_only.get("/console/oidc/start")
    assert r.status_code == 502
    assert '<code id="refusal-code">PROVIDER_UNAVAILABLE</code>' in r.text
    assert "entrygo_console_oidc" not in r.cookies


async def test_a_callback_for_no_sign_in_is_refused(sso_only: httpx.AsyncClient) -> None:
    for query in ({}, {"state": "made-up", "code": "x"}):
        r = await sso_only.get("/console/oidc/callback", params=query)
        assert r.status_code == 400
        assert '<code id="refusal-code">SIGN_IN_UNKNOWN</code>' in r.text
        assert "entrygo_console" not in r.cookies


@pytest.mark.parametrize(
    ("partial", "missing"),
    [
        ({}, "ENTRYGO_OIDC_CLIENT_ID"),
        ({"oidc_client_id": "c", "oidc_client_secret": "s"}, "ENTRYGO_OIDC_ACCOUNT_ID"),
        (
            {"oidc_client_id": "c", "oidc_client_secret": "s", "oidc_account_id": "a"},
            "ENTRYGO_OIDC_ROLE_MAP",
        ),
    ],
)
def test_single_sign_on_is_configured_whole(partial: dict[str, Any], missing: str) -> None:
    with pytest.raises(ValidationError, match=missing):
        Settings(oidc_issuer="https://id.example.test", **partial)


def test_a_role_map_names_console_roles_only() -> None:
    with pytest.raises(ValidationError):
        Settings(oidc_role_map={"ops": "superuser"})
    assert Settings(oidc_role_map={"ops": "admin"}).oidc_role_map == {"ops": "admin"}
