"""Fleet control over HTTP (docs/fleet-control.md) on the running stack: the destinations list,
pause and resume, the failure groups, and the bulk retry (dry run, by group, refused shapes,
replays)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from store.accounts import authenticate
from tests.support.polling import eventually
from tests.support.stack import Stack, running_stack, wait_status
from tests.support.tenants import World, make_tenant, make_world
from workflows.destination_messages import POKE_SIGNAL, destination_workflow_id


@pytest_asyncio.fixture(scope="module")
async def stack(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    async with running_stack(settings, tmp_path_factory.mktemp("fleet")) as started:
        yield started


async def _key_id(pool: asyncpg.Pool, key: str) -> str:
    async with pool.acquire() as conn:
        principal = await authenticate(conn, key)
    assert principal is not None
    return principal.key_id


async def _rows(pool: asyncpg.Pool, sql: str, *args: Any) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        return [dict(r) for r in await conn.fetch(sql, *args)]


async def _event_types(pool: asyncpg.Pool, export_id: str) -> list[str]:
    rows = await _rows(
        pool, "SELECT type FROM export_events WHERE export_id = $1 ORDER BY seq", export_id
    )
    return [r["type"] for r in rows]


async def _destination_events(stack: Stack, world: World, ident: str) -> list[str]:
    r = await stack.api.get(f"/api/destinations/{ident}", headers=world.tenant.auth("reviewer"))
    assert r.status_code == 200, r.text
    return [e["type"] for e in r.json()["events"]]


async def _faults(stack: Stack, **faults: Any) -> None:
    r = await stack.broker.post("/_sandbox/faults", json=faults)
    assert r.status_code == 200, r.text


async def _execute(stack: Stack, world: World) -> str:
    ids = await world.orders(stack.api, "SKU-SCARF")
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
    )
    assert r.status_code == 201, r.text
    export_id: str = r.json()["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=world.tenant.auth(), json=body)
    assert r.status_code in (200, 202), r.text
    return export_id


async def test_list_shows_every_broker_and_warehouse_closed_without_a_row(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    r = await stack.api.get("/api/destinations", headers=world.tenant.auth("integration"))
    assert r.status_code == 200, r.text
    listed = {d["destinationId"]: d for d in r.json()["data"]}
    assert set(listed) == {f"broker:{world.broker_id}", f"warehouse:{world.warehouse_id}"}
    broker = listed[f"broker:{world.broker_id}"]
    assert broker == {
        "destinationId": f"broker:{world.broker_id}",
        "kind": "broker",
        "refId": world.broker_id,
        "name": "Broker",
        "state": "CLOSED",
        "since": None,
        "nextProbeAt": None,
        "pausedReason": None,
        "pausedBy": None,
        "lastError": None,
        "recentFailures": [],
        "waitingExports": 0,
    }
    assert listed[f"warehouse:{world.warehouse_id}"]["name"] == "EU hub"
    assert listed[f"warehouse:{world.warehouse_id}"]["state"] == "CLOSED"
    # resuming a destination that was never paused answers its view and writes nothing
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/resume", headers=world.tenant.auth("admin")
    )
    assert r.status_code == 200, r.text
    assert r.json() == broker
    rows = await _rows(
        pool, "SELECT id FROM destinations WHERE account_id = $1", world.tenant.account_id
    )
    assert rows == []  # listed without a row: no send was ever admitted


async def test_pause_twice_is_one_event_and_resume_closes(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    ident = f"broker:{world.broker_id}"
    admin = world.tenant.auth("admin")
    url = f"/api/brokers/{world.broker_id}"
    r = await stack.api.post(f"{url}/pause", headers=admin, json={"reason": "broker migrating"})
    assert r.status_code == 200, r.text
    paused = r.json()
    assert (paused["destinationId"], paused["state"]) == (ident, "PAUSED")
    assert paused["pausedReason"] == "broker migrating"
    assert paused["pausedBy"] == await _key_id(pool, world.tenant.keys["admin"])
    assert paused["since"] is not None
    # pausing again (another admin, another reason) changes nothing and writes nothing
    again = await stack.api.post(
        f"{url}/pause", headers=world.tenant.auth(), json={"reason": "something else"}
    )
    assert again.status_code == 200, again.text
    assert again.json() == paused
    assert await _destination_events(stack, world, ident) == ["DESTINATION_PAUSED"]
    r = await stack.api.post(f"{url}/resume", headers=admin)
    assert r.status_code == 200, r.text
    resumed = r.json()
    assert (resumed["state"], resumed["pausedReason"], resumed["pausedBy"]) == (
        "CLOSED",
        None,
        None,
    )
    r = await stack.api.post(f"{url}/resume", headers=admin, json={})
    assert r.status_code == 200, r.text
    assert r.json() == resumed
    assert await _destination_events(stack, world, ident) == [
        "DESTINATION_PAUSED",
        "DESTINATION_RESUMED",
    ]
    r = await stack.api.get(f"/api/destinations/{ident}", headers=world.tenant.auth("integration"))
    events = r.json()["events"]
    assert events[0]["actor"] == paused["pausedBy"]
    assert events[0]["data"]["reason"] == "broker migrating"


async def test_a_warehouse_pause_replays_its_first_answer(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    url = f"/api/warehouses/{world.warehouse_id}"
    headers = {**world.tenant.auth("admin"), "idempotency-key": f"pause-{uuid.uuid4().hex}"}
    first = await stack.api.post(f"{url}/pause", headers=headers, json={"reason": "dock closed"})
    assert first.status_code == 200, first.text
    assert first.json()["state"] == "PAUSED"
    r = await stack.api.post(f"{url}/resume", headers=world.tenant.auth("admin"))
    assert r.json()["state"] == "CLOSED"
    replay = await stack.api.post(f"{url}/pause", headers=headers, json={"reason": "dock closed"})
    assert replay.status_code == 200
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == first.json()
    # the replay answered the stored view: the warehouse stays resumed
    r = await stack.api.get(
        f"/api/destinations/warehouse:{world.warehouse_id}", headers=world.tenant.auth()
    )
    assert r.json()["state"] == "CLOSED"
    assert [e["type"] for e in r.json()["events"]] == ["DESTINATION_PAUSED", "DESTINATION_RESUMED"]


async def test_pause_refusals_write_nothing(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    other = await make_world(pool, await make_tenant(pool, "other"))
    mine = world.tenant.auth("admin")
    # another account's broker, warehouse, endpoint-like id: as if missing
    for url in (
        f"/api/brokers/{other.broker_id}/pause",
        f"/api/warehouses/{other.warehouse_id}/pause",
        "/api/webhook-endpoints/whe_missing/pause",
    ):
        r = await stack.api.post(url, headers=mine, json={"reason": "not mine"})
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
    for ident in (f"broker:{other.broker_id}", "local:package", "nonsense"):
        r = await stack.api.get(f"/api/destinations/{ident}", headers=mine)
        assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
    # a key without the admin role
    for role in ("reviewer", "integration"):
        r = await stack.api.post(
            f"/api/brokers/{world.broker_id}/pause",
            headers=world.tenant.auth(role),
            json={"reason": "no role"},
        )
        assert (r.status_code, r.json()["errorCode"]) == (403, "INSUFFICIENT_ROLE"), r.text
        assert r.json()["details"]["requiredRole"] == "admin"
    # a reason is required, one line, at most 500 characters
    for body in ({}, {"reason": ""}, {"reason": "a\nb"}, {"reason": "x" * 501}):
        r = await stack.api.post(f"/api/brokers/{world.broker_id}/pause", headers=mine, json=body)
        assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION_ERROR"), r.text
    rows = await _rows(
        pool,
        "SELECT id FROM destinations WHERE account_id = any($1::text[])",
        [world.tenant.account_id, other.tenant.account_id],
    )
    assert rows == []


async def test_failures_dry_run_then_retry_by_group(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    await _faults(stack, reject="sync", rejectReason="invoice lacks a signature")
    try:
        export_id = await _execute(stack, world)
        view = await wait_status(
            stack, world.tenant.auth(), export_id, {"ATTENTION_REQUIRED"}, loops=600
        )
    finally:
        await _faults(stack, reject=None)
    assert view["attention"]["step"] == "send"
    submission = view["brokerSubmission"]
    group = f"broker:{world.broker_id}|BrokerRejected"

    r = await stack.api.get("/api/operations/failures", headers=world.tenant.auth("reviewer"))
    assert r.status_code == 200, r.text
    (found,) = r.json()["data"]
    assert found["group"] == group
    assert (found["destination"], found["errorClass"]) == (
        f"broker:{world.broker_id}",
        "BrokerRejected",
    )
    assert (found["count"], found["exportIds"]) == (1, [export_id])
    assert found["oldest"]["exportId"] == export_id
    assert "signature" in found["sampleMessage"]

    events_before = await _event_types(pool, export_id)
    admin = world.tenant.auth("admin")
    r = await stack.api.post(
        "/api/operations/retry", headers=admin, json={"exportIds": [export_id], "dryRun": True}
    )
    assert r.status_code == 200, r.text
    dry = r.json()
    assert (dry["action"], dry["dryRun"], dry["counts"]) == ("retry", True, {"would_retry": 1})
    (item,) = dry["results"]
    assert item["outcome"] == "would_retry"
    assert (item["exportId"], item["step"]) == (export_id, "send")
    assert item["idempotencyKey"] == submission["id"]
    assert item["attempt"] == submission["attempts"] + 1
    assert item["destination"] == f"broker:{world.broker_id}"
    assert await _event_types(pool, export_id) == events_before
    r = await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())
    assert r.json()["status"] == "ATTENTION_REQUIRED"

    # neither, both, or a malformed group: refused, with nothing written under the key
    key = f"retry-{uuid.uuid4().hex}"
    keyed = {**admin, "idempotency-key": key}
    refused: list[dict[str, Any]] = [
        {},
        {"dryRun": True},
        {"exportIds": [export_id], "group": group},
        {"exportIds": []},
        {"group": "no-separator"},
        {"exportIds": None, "group": group},
    ]
    for body in refused:
        r = await stack.api.post("/api/operations/retry", headers=keyed, json=body)
        assert (r.status_code, r.json()["errorCode"]) == (400, "VALIDATION_ERROR"), (body, r.text)
    assert await _event_types(pool, export_id) == events_before
    r = await stack.api.post(
        "/api/operations/retry", headers=world.tenant.auth("reviewer"), json={"group": group}
    )
    assert (r.status_code, r.json()["errorCode"]) == (403, "INSUFFICIENT_ROLE"), r.text
    assert await _event_types(pool, export_id) == events_before

    # the same key, now with a valid body: it was never used, so this one runs
    r = await stack.api.post("/api/operations/retry", headers=keyed, json={"group": group})
    assert r.status_code == 200, r.text
    assert r.headers.get("idempotent-replayed") is None
    answer = r.json()
    assert (answer["group"], answer["counts"]) == (group, {"retried": 1})
    assert answer["results"][0]["exportId"] == export_id
    assert answer["results"][0]["outcome"] == "retried"
    done = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"}, loops=600)
    assert done["attention"] is None

    # a replay answers the first answer again and retries nothing
    replay = await stack.api.post("/api/operations/retry", headers=keyed, json={"group": group})
    assert replay.status_code == 200
    assert replay.headers.get("idempotent-replayed") == "true"
    assert replay.json() == answer
    assert (await _event_types(pool, export_id)).count("RETRY_REQUESTED") == 1
    r = await stack.api.get("/api/operations/failures", headers=world.tenant.auth())
    assert r.json()["data"] == []
    # a second retry with a new key: the export is not in ATTENTION_REQUIRED any more
    r = await stack.api.post(
        "/api/operations/retry", headers=admin, json={"exportIds": [export_id, "exp_missing"]}
    )
    assert r.status_code == 200, r.text
    outcomes = [(i["exportId"], i["outcome"], i["errorCode"]) for i in r.json()["results"]]
    assert outcomes == [
        (export_id, "refused", "INVALID_EXPORT_STATE"),
        ("exp_missing", "refused", "NOT_FOUND"),
    ]


async def _pokes(temporal: Client, ident: str) -> int:
    """How many times the destination's workflow was poked (a waiting export, a resume)."""
    handle = temporal.get_workflow_handle(destination_workflow_id(ident))
    history = await handle.fetch_history()
    return sum(
        1
        for e in history.events
        if e.HasField("workflow_execution_signaled_event_attributes")
        and e.workflow_execution_signaled_event_attributes.signal_name == POKE_SIGNAL
    )


async def test_an_export_waiting_for_a_paused_broker_goes_on_when_resumed(
    stack: Stack, pool: asyncpg.Pool, temporal_env: WorkflowEnvironment
) -> None:
    world = await stack.world(pool)
    ident = f"broker:{world.broker_id}"
    admin = world.tenant.auth("admin")
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/pause", headers=admin, json={"reason": "maintenance"}
    )
    assert r.status_code == 200, r.text
    export_id = await _execute(stack, world)

    async def waiting() -> dict[str, Any] | None:
        view = (await stack.api.get(f"/api/exports/{export_id}", headers=admin)).json()
        return view if view.get("waitingFor") else None

    view = await eventually(waiting, attempts=300, delay=0.1)
    assert view["waitingFor"]["destination"] == ident
    r = await stack.api.get("/api/destinations", headers=admin)
    listed = {d["destinationId"]: d for d in r.json()["data"]}
    assert listed[ident]["waitingExports"] == 1
    r = await stack.api.get("/api/operations/failures", headers=admin)
    (found,) = r.json()["data"]
    assert (found["group"], found["exportIds"]) == (f"{ident}|WAITING_PAUSED", [export_id])
    # a retry does not push it past its destination: it waits, and says so
    for dry_run in (True, False):
        r = await stack.api.post(
            "/api/operations/retry",
            headers=admin,
            json={"group": found["group"], "dryRun": dry_run},
        )
        assert r.status_code == 200, r.text
        (item,) = r.json()["results"]
        assert (item["outcome"], item["destination"]) == ("waiting", ident)
    assert "RETRY_REQUESTED" not in await _event_types(pool, export_id)
    pokes = await _pokes(temporal_env.client, ident)  # the waiting export's
    r = await stack.api.post(f"/api/brokers/{world.broker_id}/resume", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "CLOSED"
    # the resume woke the destination's workflow: it releases the export now, not at its next look
    assert await _pokes(temporal_env.client, ident) > pokes
    done = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"}, loops=600)
    assert done["waitingFor"] is None


async def test_cancel_reports_each_export_on_its_own(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    ids = await world.orders(stack.api, "SKU-SCARF")
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
    )
    planned = r.json()["exportId"]
    done = await _execute(stack, world)
    await wait_status(stack, world.tenant.auth(), done, {"COMPLETED"}, loops=600)
    r = await stack.api.post(
        "/api/operations/cancel",
        headers=world.tenant.auth("admin"),
        json={"exportIds": [done, planned], "reason": "duplicate batch"},
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["action"], answer["counts"]) == ("cancel", {"refused": 1, "cancelled": 1})
    refused, cancelled = answer["results"]
    assert (refused["exportId"], refused["errorCode"]) == (done, "INVALID_EXPORT_STATE")
    assert refused["status"] == "COMPLETED"
    assert (cancelled["exportId"], cancelled["status"]) == (planned, "CANCELLED")
    assert "EXPORT_CANCELLED" in await _event_types(pool, planned)
    assert "EXPORT_CANCELLED" not in await _event_types(pool, done)
