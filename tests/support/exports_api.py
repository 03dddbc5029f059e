"""Calls on the exports API as the tests make them (plan, inspect, execute, review, events), the
counts behind them, and another instance of the app."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from tests.support.polling import eventually
from tests.support.tenants import Tenant, World


async def plan(
    http: httpx.AsyncClient,
    world: World,
    order_ids: list[str],
    role: str = "integration",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    return await http.post(
        "/api/exports/plan",
        json=world.plan_body(order_ids, **extra),
        headers={**world.tenant.auth(role), **(headers or {})},
    )


async def planned(http: httpx.AsyncClient, world: World, *skus: str) -> dict[str, Any]:
    """Sync one order per sku and plan them; the 201 body."""
    r = await plan(http, world, await world.orders(http, *skus))
    assert r.status_code == 201, r.text
    return r.json()


async def inspect(http: httpx.AsyncClient, tenant: Tenant, export_id: str) -> httpx.Response:
    return await http.get(f"/api/exports/{export_id}", headers=tenant.auth("reviewer"))


async def execute(
    http: httpx.AsyncClient, world: World, export_id: str, key: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"accountId": world.tenant.account_id, "batchId": export_id}
    if key is not None:
        body["idempotencyKey"] = key
    return await http.post(
        "/api/exports/execute", json=body, headers=world.tenant.auth("integration")
    )


async def review(
    http: httpx.AsyncClient, world: World, export_id: str, action: str, body: Any = None
) -> httpx.Response:
    return await http.post(
        f"/api/exports/{export_id}/{action}",
        json=body if body is not None else {},
        headers=world.tenant.auth("reviewer"),
    )


async def events_of(http: httpx.AsyncClient, world: World, export_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/exports/{export_id}/events", headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def count_exports(pool: asyncpg.Pool, account_id: str) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM exports WHERE account_id = $1", account_id)
    )


async def count_workflows(env: WorkflowEnvironment, workflow_id: str, running: bool = False) -> int:
    """Runs with this id (only running ones if `running`), once visibility shows at least one
    (it may lag the start a little)."""
    query = f'WorkflowId = "{workflow_id}"'
    if running:
        query += ' AND ExecutionStatus = "Running"'

    async def listed() -> int:
        return len([w async for w in env.client.list_workflows(query)])

    return int(await eventually(listed))


async def terminate(env: WorkflowEnvironment, export_id: str) -> None:
    """Stop an export's workflow that a test leaves retrying (no SMTP server listens)."""
    handle = env.client.get_workflow_handle(f"export-{export_id}")
    if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        await handle.terminate("test done")


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["errorCode"] == code, body
    return body


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another instance of the app, with its lifespan entered (as tests/conftest.py does)."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
