"""Inspect answers from the projection and the persisted log at once; `?live=true` adds the
workflow's `state` query (the workflow's live view beside the database's record)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from tests.support.exports_api import app_client, inspect, plan, review, terminate
from tests.support.tenants import Tenant, World

Read = Callable[[httpx.AsyncClient, Tenant, str], Awaitable[httpx.Response]]


async def inspect_live(http: httpx.AsyncClient, tenant: Tenant, export_id: str) -> httpx.Response:
    return await http.get(
        f"/api/exports/{export_id}", params={"live": "true"}, headers=tenant.auth("reviewer")
    )


async def test_an_open_export_is_inspected_live_from_its_workflow(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF-8"))
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    view = (await inspect_live(http, world.tenant, export_id)).json()
    workflow = view["workflow"]
    assert workflow["live"] is True
    assert workflow["running"] is True
    assert workflow["currentStep"] is None
    assert workflow["completedSteps"] == []
    assert workflow["executionRequested"] is False
    # the live approval is the one the workflow holds, in the projection's shape
    state = await temporal_env.client.get_workflow_handle(f"export-{export_id}").query("state")
    assert view["approval"]["state"] == state["approval"]["state"] == "PENDING"
    assert view["approval"]["approvalsRequired"] == state["approval"]["approvalsRequired"] == 1
    await terminate(temporal_env, export_id)


async def test_a_final_export_is_read_from_the_database_alone(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF"))
    export_id = r.json()["exportId"]
    cancelled = await review(http, world, export_id, "cancel", {"reason": "not needed"})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "CANCELLED"
    for read in (inspect, inspect_live):
        workflow = (await read(http, world.tenant, export_id)).json()["workflow"]
        assert workflow == {
            "id": f"export-{export_id}",
            "running": False,
            "live": False,
            "pendingActivities": [],
            "currentStep": None,
            "completedSteps": None,
            "executionRequested": None,
        }


@dataclass
class Gone:
    """An export planned on a private queue whose worker has stopped since."""

    client: httpx.AsyncClient
    export_id: str
    while_running: dict[str, Any]  # what the read answered while the worker ran


@asynccontextmanager
async def worker_gone(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
    sku: str,
    read: Read,
) -> AsyncIterator[Gone]:
    """Plan an export of `sku` with a worker of its own on a private queue, `read` it, stop the
    worker; the export's workflow is terminated afterwards."""
    from activities import build_activities
    from entrygo.worker import build_worker

    queue = f"gone-{uuid.uuid4().hex[:8]}"
    alone = settings.model_copy(update={"task_queue": queue})
    ids = await world.orders(http, sku)
    async with app_client(alone) as client, asyncio.timeout(60):
        w = build_worker(temporal_env.client, queue, build_activities(pool, alone))
        async with w:
            r = await plan(client, world, ids)
            assert r.status_code == 201, r.text
            export_id = r.json()["exportId"]
            answered = (await read(client, world.tenant, export_id)).json()
        yield Gone(client, export_id, answered)
    await terminate(temporal_env, export_id)


async def test_without_a_worker_inspect_falls_back_to_the_projection(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    async with worker_gone(
        http, world, settings, pool, temporal_env, "SKU-SCARF", inspect_live
    ) as gone:
        assert gone.while_running["workflow"]["live"]
        # the worker is gone: the query is not answered within its bound
        r = await inspect_live(gone.client, world.tenant, gone.export_id)
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["workflow"]["live"] is False
        assert view["workflow"]["running"] is None
        assert view["workflow"]["completedSteps"] is None
        assert view["status"] == "PLANNED"
        assert view["approval"]["state"] == "NOT_REQUIRED"
        assert [e["type"] for e in view["events"]] == ["EXPORT_PLANNED", "EXPORT_BATCH_CREATED"]


async def test_inspect_answers_from_the_projection_without_asking_the_worker(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    from activities.ledger import LedgerActivities
    from domain.status import ExportStatus
    from workflows.messages import Attention, EventSpec, TransitionInput

    async with worker_gone(
        http, world, settings, pool, temporal_env, "SKU-SCARF-8", inspect
    ) as gone:
        client, export_id, with_worker = gone.client, gone.export_id, gone.while_running
        # the worker is gone: inspect answers as it did, from the projection
        without = (await inspect(client, world.tenant, export_id)).json()
        assert without == with_worker
        assert without["workflow"]["live"] is False
        assert without["workflow"]["running"] is None  # not asked
        assert without["approval"]["state"] == "PENDING"
        assert without["approval"]["approvalsRequired"] == 1
        assert without["attention"] is None
        # the ledger writes a transition (as the workflow's record_transition does): inspect
        # shows it at once, though no worker could answer a query of the workflow
        at = datetime.now(UTC)
        await LedgerActivities(pool).record_transition(
            TransitionInput(
                export_id=export_id,
                status=ExportStatus.ATTENTION_REQUIRED,
                attention=Attention(step="send", error_type="BrokerDown", error="503", at=at),
                events=[EventSpec(type="ATTENTION_REQUIRED", dedupe_key="test:attention")],
                occurred_at=at,
            )
        )
        view = (await inspect(client, world.tenant, export_id)).json()
        assert view["status"] == "ATTENTION_REQUIRED"
        assert view["attention"]["step"] == "send"
        assert view["attention"]["errorType"] == "BrokerDown"
        assert view["approval"] == with_worker["approval"]
        assert view["events"][-1]["type"] == "ATTENTION_REQUIRED"
        assert view["workflow"]["live"] is False
