"""Abuse limits: per-account rate limit, body size boundary, callback signature window, and
API keys that never reach the logs."""

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from api.app import create_app
from config.settings import Settings
from signing import SIGNATURE_HEADER, sign
from store import orders as orders_store
from store.reference import create_broker
from tests.support.tenants import Tenant

LIMIT = 5


def error_of(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The contract's flat error body, after checking status, code and headers."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers.get("x-request-id")
    body = r.json()
    assert body["errorCode"] == code, body
    assert set(body) <= {"errorCode", "message", "field", "details"}
    return body  # type: ignore[no-any-return]


# ---- rate limit ---------------------------------------------------------------------------------


class Clock:
    """Stands in for the database's clock in the limiter, so window edges are chosen, not met:
    15 s into a future minute of this test's own (the janitor purges only past windows)."""

    def __init__(self) -> None:
        minute = uuid.uuid4().int % (60 * 24 * 365)
        self.now = datetime(2100, 1, 1, tzinfo=UTC) + timedelta(minutes=minute, seconds=15)

    def __call__(self) -> datetime:
        return self.now


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Clock]]:
    """An app that lets each account make LIMIT requests a minute, on a pinned clock."""
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": LIMIT}))
    clock = app.state.limiter.clock = Clock()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client, clock


async def test_rate_limit_is_per_account_and_per_window(
    limited: tuple[httpx.AsyncClient, Clock], tenant: Tenant, other_tenant: Tenant
) -> None:
    http, clock = limited  # 15 s into a window: 45 s until the next one
    for _ in range(LIMIT):
        r = await http.get("/api/orders", headers=tenant.auth("reviewer"))
        assert r.status_code == 200, r.text
    # the limit counts the account, not the key
    over = await http.get("/api/orders", headers=tenant.auth("admin"))
    body = error_of(over, 429, "RATE_LIMITED")
    assert over.headers["retry-after"] == "45"
    assert body["details"] == {"limitPerMinute": LIMIT}
    # another account is not slowed down by the first
    for _ in range(LIMIT):
        r = await http.get("/api/orders", headers=other_tenant.auth())
        assert r.status_code == 200, r.text
    # the next window starts afresh
    clock.now += timedelta(seconds=45)
    again = await http.get("/api/orders", headers=tenant.auth())
    assert again.status_code == 200, again.text


# ---- body size ----------------------------------------------------------------------------------


def padded(tenant: Tenant, size: int) -> bytes:
    """A valid product sync of exactly `size` bytes (JSON allows trailing whitespace)."""
    body = json.dumps(
        {
            "accountId": tenant.account_id,
            "items": [{"externalId": f"SKU-{uuid.uuid4().hex[:8]}", "description": "big"}],
        }
    ).encode()
    return body + b" " * (size - len(body))


async def test_body_at_the_limit_is_accepted(
    http: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    body = padded(tenant, settings.body_limit_bytes)
    assert len(body) == 5 * 1024 * 1024
    r = await http.post(
        "/api/products/sync",
        content=body,
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text[:300]


async def test_body_one_byte_over_the_limit_is_refused(
    http: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    r = await http.post(
        "/api/products/sync",
        content=padded(tenant, settings.body_limit_bytes + 1),
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    error_of(r, 413, "PAYLOAD_TOO_LARGE")


async def test_chunked_body_at_the_limit_is_accepted(
    http: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    body = padded(tenant, settings.body_limit_bytes)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the gateway counts
        for start in range(0, len(body), 1024 * 1024):
            yield body[start : start + 1024 * 1024]

    r = await http.post(
        "/api/products/sync",
        content=chunks(),
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text[:300]


# ---- broker callback signatures -----------------------------------------------------------------

SECRET = "callback-secret-0123456789abcdef"


@pytest_asyncio.fixture
async def hook_broker(pool: asyncpg.Pool, tenant: Tenant) -> str:
    """A webhook broker of `tenant` whose secret is SECRET."""
    async with pool.acquire() as conn:
        broker = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": "Hook broker",
                "transport": {"type": "webhook", "url": "http://127.0.0.1:9/x", "secret": SECRET},
            },
        )
    return broker.id


def callback_body() -> bytes:
    return json.dumps(
        {
            "submissionId": f"bsub_{uuid.uuid4().hex[:26].upper()}",
            "status": "ACCEPTED",
            "entryNumber": "ENT-1",
            "occurredAt": "2025-01-02T03:04:05Z",
        }
    ).encode()


async def send_callback(
    http: httpx.AsyncClient, broker_id: str, body: bytes, signature: str | None
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers[SIGNATURE_HEADER] = signature
    return await http.post(f"/api/brokers/{broker_id}/callbacks", content=body, headers=headers)


async def test_fresh_signature_gets_past_the_check(
    http: httpx.AsyncClient, hook_broker: str
) -> None:
    body = callback_body()
    for age in (0, 240, -240):  # inside the five-minute window either way
        r = await send_callback(http, hook_broker, body, sign(SECRET, body, int(time.time()) - age))
        # the signature held: the (made-up) submission is what is missing
        assert error_of(r, 404, "NOT_FOUND")["details"] == {"resource": "brokerSubmission"}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("too-old", "expired"),
        ("future-dated", "expired"),
        ("tampered-body", "mismatch"),
        ("other-secret", "mismatch"),
        ("missing", "missing"),
        ("malformed", "malformed"),
    ],
)
async def test_bad_signature_is_refused(
    http: httpx.AsyncClient, hook_broker: str, case: str, reason: str
) -> None:
    body = callback_body()
    now = int(time.time())
    sent, signature = body, sign(SECRET, body, now)
    if case == "too-old":
        signature = sign(SECRET, body, now - 600)
    elif case == "future-dated":
        signature = sign(SECRET, body, now + 600)
    elif case == "tampered-body":
        sent = body.replace(b'"ACCEPTED"', b'"REJECTED"')
    elif case == "other-secret":
        signature = sign("another-secret-0123456789abcdef", body, now)
    elif case == "missing":
        signature = None
    elif case == "malformed":
        signature = f"t={now},v1=nothex"
    r = await send_callback(http, hook_broker, sent, signature)
    assert error_of(r, 401, "INVALID_SIGNATURE")["details"] == {"reason": reason}


async def test_signature_for_one_broker_is_refused_by_another(
    http: httpx.AsyncClient, hook_broker: str, pool: asyncpg.Pool, other_tenant: Tenant
) -> None:
    async with pool.acquire() as conn:
        other = await create_broker(
            conn,
            other_tenant.account_id,
            {
                "name": "Other hook broker",
                "transport": {
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/x",
                    "secret": "other-broker-secret-0123456789",
                },
            },
        )
    body = callback_body()
    r = await send_callback(http, other.id, body, sign(SECRET, body, int(time.time())))
    error_of(r, 401, "INVALID_SIGNATURE")


# ---- keys never logged --------------------------------------------------------------------------


def broken_list_orders(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("the store broke while listing orders")


async def test_api_keys_never_reach_the_logs(
    http: httpx.AsyncClient,
    tenant: Tenant,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "eg_live_" + uuid.uuid4().hex[:32]
    ok = await http.get("/api/system/health", headers=tenant.auth())
    assert ok.status_code == 200
    error_of(
        await http.get("/api/orders", headers={"authorization": f"Bearer {wrong}"}),
        401,
        "INVALID_API_KEY",
    )
    error_of(
        await http.get("/api/orders", headers={"authorization": f"Basic {tenant.keys['all']}"}),
        401,
        "INVALID_API_KEY",
    )
    error_of(
        await http.get("/api/warehouses", headers=tenant.auth("reviewer")), 403, "INSUFFICIENT_ROLE"
    )
    created = await http.post(
        "/api/keys", json={"name": "logged?", "roles": ["admin"]}, headers=tenant.auth("admin")
    )
    assert created.status_code == 201, created.text
    monkeypatch.setattr(orders_store, "list_orders", broken_list_orders)
    crash = await http.get("/api/orders", headers=tenant.auth("integration"))
    request_id = error_of(crash, 500, "INTERNAL_ERROR")["details"]["requestId"]

    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    # the capture works: the internal error was logged, with its traceback
    assert request_id in logged
    assert "the store broke while listing orders" in logged
    secrets = [*tenant.keys.values(), wrong, created.json()["key"]]
    for secret in secrets:
        assert secret not in logged
        assert secret[8:] not in logged  # not even without its prefix
