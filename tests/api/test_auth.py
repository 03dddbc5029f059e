"""Authentication as a dependency (api/deps.py): the key, the role and the rate are checked before
the request's body or query is, an optional key is optional only when absent, and the OpenAPI
document declares exactly what the routes enforce."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.app import create_app
from api.deps import OptionalPrincipalDep, PrincipalDep
from api.errors import install_error_handlers
from api.gateway import Gateway
from api.ratelimit import RateLimiter
from config.settings import Settings
from tests.support.tenants import Tenant
from tests.support.two_accounts import REQUIRED_ROLE

WRONG_KEY = {"authorization": "Bearer eg_live_" + "x" * 32}
MISSING = {"errorCode": "INVALID_API_KEY", "message": "Missing API key."}
INVALID = {"errorCode": "INVALID_API_KEY", "message": "Invalid API key."}


# ---- the key comes first ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, MISSING),
        ({"authorization": ""}, MISSING),
        ({"authorization": "Bearer "}, MISSING),
        ({"authorization": "Basic dXNlcjpwYXNz"}, MISSING),
        (WRONG_KEY, INVALID),
    ],
    ids=["no-header", "empty-header", "empty-key", "basic", "wrong-key"],
)
async def test_no_valid_key_is_401_before_the_body_is_validated(
    http: httpx.AsyncClient, headers: dict[str, str], expected: dict[str, str]
) -> None:
    # the body is invalid twice over (no accountId, an empty list): the key is what is answered
    r = await http.post("/api/orders/sync", json={"items": []}, headers=headers)
    assert r.status_code == 401, r.text
    assert r.json() == expected
    assert r.headers["x-request-id"]


async def test_no_key_is_401_before_the_query_is_validated(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/orders", params={"limit": 0, "externalId": ""})
    assert r.status_code == 401, r.text
    assert r.json() == MISSING


async def test_a_valid_key_gets_to_the_body(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post("/api/orders/sync", json={"items": []}, headers=tenant.auth("integration"))
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION_ERROR"


async def test_missing_role_is_403_before_the_body_is_validated(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    # an integration key on a reviewer route, with a body that lacks its planHash
    r = await http.post(
        "/api/exports/exp_00000000000000000000000000/approve",
        json={"comment": 7},
        headers=tenant.auth("integration"),
    )
    assert r.status_code == 403, r.text
    assert r.json() == {
        "errorCode": "INSUFFICIENT_ROLE",
        "message": "This action needs the reviewer role.",
        "details": {"requiredRole": "reviewer", "acceptedRoles": ["reviewer"]},
    }


# ---- the optional key of health -----------------------------------------------------------------


async def test_health_without_a_header_names_no_account(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/system/health")
    assert r.status_code == 200, r.text
    assert "account" not in r.json()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"authorization": "Basic dXNlcjpwYXNz"}, MISSING), (WRONG_KEY, INVALID)],
    ids=["basic", "wrong-key"],
)
async def test_health_checks_any_key_it_is_sent(
    http: httpx.AsyncClient, headers: dict[str, str], expected: dict[str, str]
) -> None:
    r = await http.get("/api/system/health", headers=headers)
    assert r.status_code == 401, r.text
    assert r.json() == expected


# ---- the principal ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def whoami(pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A bare app with one route per principal dependency, answering what it was given."""
    app = FastAPI()
    app.state.pool = pool
    app.state.limiter = None
    install_error_handlers(app)

    def described(principal: Any) -> dict[str, Any] | None:
        if principal is None:
            return None
        return {
            "type": type(principal).__name__,
            "accountId": principal.account_id,
            "accountName": principal.account_name,
            "keyId": principal.key_id,
            "label": principal.label,
            "roles": sorted(principal.roles),
        }

    @app.get("/required")
    async def required(principal: PrincipalDep) -> dict[str, Any] | None:
        return described(principal)

    @app.get("/optional")
    async def optional(principal: OptionalPrincipalDep) -> dict[str, Any] | None:
        return described(principal)

    transport = httpx.ASGITransport(app=Gateway(app, body_limit=1024))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_the_dependency_yields_the_keys_principal(
    whoami: httpx.AsyncClient, pool: asyncpg.Pool, tenant: Tenant
) -> None:
    async with pool.acquire() as conn:
        key_id = await conn.fetchval(
            "SELECT id FROM api_keys WHERE account_id = $1 AND name = 'reviewer'",
            tenant.account_id,
        )
    expected = {
        "type": "Principal",
        "accountId": tenant.account_id,
        "accountName": "tenant",
        "keyId": key_id,
        "label": "reviewer",
        "roles": ["reviewer"],
    }
    for path in ("/required", "/optional"):
        r = await whoami.get(path, headers=tenant.auth("reviewer"))
        assert r.status_code == 200, r.text
        assert r.json() == expected
    assert (await whoami.get("/optional")).json() is None
    r = await whoami.get("/required")
    assert r.status_code == 401
    assert r.json() == MISSING


# ---- the rate limit -----------------------------------------------------------------------------

LIMIT = 2


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An app that lets each account make LIMIT requests a minute, 15 s into a window of its own
    (the limiter's clock pinned to a future minute, which the janitor never purges)."""
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": LIMIT}))
    assert isinstance(app.state.limiter, RateLimiter)
    minute = uuid.uuid4().int % (60 * 24 * 365)
    now = datetime(2100, 1, 1, tzinfo=UTC) + timedelta(minutes=minute, seconds=15)
    app.state.limiter.clock = lambda: now
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


async def test_every_authenticated_request_counts_and_only_those(
    limited: httpx.AsyncClient, tenant: Tenant
) -> None:
    for _ in range(3):  # requests without a key count for no account
        assert (await limited.get("/api/system/health")).status_code == 200
    # an optional key that is sent counts like a required one
    assert (await limited.get("/api/system/health", headers=tenant.auth())).status_code == 200
    assert (await limited.get("/api/orders", headers=tenant.auth("reviewer"))).status_code == 200
    # over the limit, before the body is looked at and before the role is
    r = await limited.post("/api/orders/sync", json={}, headers=tenant.auth("reviewer"))
    assert r.status_code == 429, r.text
    assert r.json()["errorCode"] == "RATE_LIMITED"
    assert r.headers["retry-after"] == "45"
    r = await limited.get("/api/system/health", headers=tenant.auth())
    assert r.status_code == 429, r.text


# ---- the document says what the routes enforce --------------------------------------------------

BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def test_the_document_declares_each_operations_security() -> None:
    doc = create_app(Settings(database_url=None)).openapi()
    assert "security" not in doc  # no default: each operation says its own
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    declared = {
        (method.upper(), path): op.get("security")
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }
    expected: dict[tuple[str, str], Any] = {
        operation: BEARER
        if role in ("integration", "reviewer", "admin", "any") or "|" in role  # "a|b": either
        else {"signature": [{"brokerSignature": []}], "public": None}[role]
        for operation, role in REQUIRED_ROLE.items()
    }
    expected["GET", "/api/system/health"] = [{}, *BEARER]
    assert declared == expected


async def test_every_operation_declaring_the_key_refuses_a_call_without_one(
    http: httpx.AsyncClient,
) -> None:
    doc = (await http.get("/docs/api/openapi")).json()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            url = path.replace("{", "").replace("}", "")  # any id will do: no key gets that far
            body: dict[str, Any] | None = {} if method in ("post", "patch") else None
            r = await http.request(method.upper(), url, json=body)
            if op.get("security") == BEARER:
                assert (r.status_code, r.json()) == (401, MISSING), (method, path, r.text)
            else:
                assert r.status_code != 401 or r.json()["errorCode"] != "INVALID_API_KEY", path
