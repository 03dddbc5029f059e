"""Fleet control on the running stack (docs/fleet-control.md): a broker down, or a warehouse
receiver down, opens the destination's breaker; the exports wait for it (`waitingFor`) instead of
spending their retries against it, a probe closes it, and every export completes once.

The test stack probes an open destination after 1 s (growing to 4 s), not 30 s."""

import asyncio
from typing import Any

import asyncpg

from tests.support.stack import (
    Stack,
    WarehouseReceiver,
    free_port,
    serve,
    wait_status,
)

EXPORTS = 6


async def _planned(stack: Stack, world: Any, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        orders = await world.orders(stack.api, "SKU-SCARF")
        r = await stack.api.post(
            "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(orders)
        )
        assert r.status_code == 201, r.text
        assert r.json()["readinessState"] == "READY"
        ids.append(r.json()["exportId"])
    return ids


async def _execute_all(stack: Stack, world: Any, export_ids: list[str]) -> None:
    async def one(export_id: str) -> None:
        body = {"accountId": world.tenant.account_id, "batchId": export_id}
        r = await stack.api.post("/api/exports/execute", headers=world.tenant.auth(), json=body)
        assert r.status_code in (200, 202), r.text

    await asyncio.gather(*(one(e) for e in export_ids))


async def _a_waiting_view(
    stack: Stack, world: Any, export_ids: list[str], destination: str
) -> dict[str, Any]:
    """Poll inspect until one export shows it waits for `destination`."""
    for _ in range(300):
        for export_id in export_ids:
            view = (
                await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())
            ).json()
            waiting = view.get("waitingFor")
            if waiting and waiting["destination"] == destination:
                return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"no export showed it waits for {destination}")


async def _destination_events(pool: asyncpg.Pool, destination: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT type FROM destination_events WHERE destination_id = $1 ORDER BY occurred_at",
            destination,
        )
    return [r["type"] for r in rows]


async def _event_types(pool: asyncpg.Pool, export_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT type FROM export_events WHERE export_id = $1 ORDER BY seq", export_id
        )
    return [r["type"] for r in rows]


async def test_a_broker_down_opens_its_breaker_and_the_exports_wait_through_a_worker_kill(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    destination = f"broker:{world.broker_id}"
    export_ids = await _planned(stack, world, EXPORTS)
    before = await stack.broker_stats()
    r = await stack.broker.post("/_sandbox/faults", json={"failForSeconds": 8})
    assert r.status_code == 200
    try:
        await _execute_all(stack, world, export_ids)
        waiting = await _a_waiting_view(stack, world, export_ids, destination)
        assert waiting["status"] == "EXECUTING"
        assert waiting["waitingFor"]["state"] in ("OPEN", "HALF_OPEN")
        assert waiting["waitingFor"]["since"] is not None
        # the breaker's state and the waits survive a SIGKILL of the worker
        stack.kill_workers()
        stack.start_worker()
        views = [
            await wait_status(stack, world.tenant.auth(), e, {"COMPLETED"}, loops=900)
            for e in export_ids
        ]
    finally:
        await stack.broker.post("/_sandbox/faults", json={"failForSeconds": 0})
    after = await stack.broker_stats()
    refused = after["unavailable"] - before["unavailable"]
    # each export alone would retry every 1, 2, 4 s through the outage (about four tries each);
    # with the breaker: the failures that open it, then one probe per backoff
    assert 0 < refused <= EXPORTS + 6, refused
    for view in views:
        assert view["waitingFor"] is None
        sub = view["brokerSubmission"]
        assert after["submissions"][sub["id"]]["status"] == "ACCEPTED"
    types = [await _event_types(pool, e) for e in export_ids]
    assert not any("ATTENTION_REQUIRED" in t for t in types)
    assert any("WAITING_FOR_DESTINATION" in t for t in types)
    assert all(t.count("WAITING_FOR_DESTINATION") <= 1 for t in types)
    assert all(t.count("BROKER_SUBMISSION_SENT") == 1 for t in types)
    events = await _destination_events(pool, destination)
    assert events[0] == "DESTINATION_OPENED"
    assert events[-1] == "DESTINATION_CLOSED"


async def test_a_warehouse_receiver_down_holds_its_notifications_until_it_is_back(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    port = free_port()  # nothing listens there yet: every notification is refused
    url = f"http://127.0.0.1:{port}/notifications"
    world = await stack.world(pool, warehouse=stack.webhook_warehouse(url))
    destination = f"warehouse:{world.warehouse_id}"
    export_ids = await _planned(stack, world, EXPORTS)
    await _execute_all(stack, world, export_ids)
    waiting = await _a_waiting_view(stack, world, export_ids, destination)
    assert waiting["waitingFor"]["state"] in ("OPEN", "HALF_OPEN")
    # the broker had its submissions all along: only the notifications wait
    assert waiting["brokerSubmission"]["status"] in ("SENT", "ACKNOWLEDGED", "ACCEPTED")
    receiver = WarehouseReceiver()
    server, task = await serve(receiver.app(), port)
    try:
        views = [
            await wait_status(stack, world.tenant.auth(), e, {"COMPLETED"}, loops=900)
            for e in export_ids
        ]
    finally:
        server.should_exit = True
        await task
    for view in views:
        assert view["waitingFor"] is None
        (note,) = view["notifications"]
        assert note["status"] == "DELIVERED"
    assert len(receiver.unique) == EXPORTS
    events = await _destination_events(pool, destination)
    assert events[0] == "DESTINATION_OPENED"
    assert events[-1] == "DESTINATION_CLOSED"
    types = [await _event_types(pool, e) for e in export_ids]
    assert not any("ATTENTION_REQUIRED" in t for t in types)
    assert all(t.count("WAREHOUSE_NOTIFIED") == 1 for t in types)


async def test_a_burst_of_refusals_opens_the_breaker_and_one_probe_closes_it(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    destination = f"broker:{world.broker_id}"
    export_ids = await _planned(stack, world, EXPORTS)
    before = await stack.broker_stats()
    # the next six submissions are refused (503): the first five open the breaker
    r = await stack.broker.post("/_sandbox/faults", json={"failNext": EXPORTS})
    assert r.status_code == 200
    try:
        await _execute_all(stack, world, export_ids)
        views = [
            await wait_status(stack, world.tenant.auth(), e, {"COMPLETED"}, loops=900)
            for e in export_ids
        ]
    finally:
        await stack.broker.post("/_sandbox/faults", json={"failNext": 0})
    after = await stack.broker_stats()
    assert after["unavailable"] - before["unavailable"] == EXPORTS
    for view in views:
        sub = view["brokerSubmission"]
        assert after["submissions"][sub["id"]]["status"] == "ACCEPTED"
    events = await _destination_events(pool, destination)
    assert events == ["DESTINATION_OPENED", "DESTINATION_CLOSED"]
    types = [await _event_types(pool, e) for e in export_ids]
    assert not any("ATTENTION_REQUIRED" in t for t in types)


async def test_an_operator_releases_an_open_broker_without_waiting_for_its_probe(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    destination = f"broker:{world.broker_id}"
    export_ids = await _planned(stack, world, EXPORTS)
    r = await stack.broker.post("/_sandbox/faults", json={"failForSeconds": 60})
    assert r.status_code == 200
    try:
        await _execute_all(stack, world, export_ids)
        await _a_waiting_view(stack, world, export_ids, destination)
        # the operator releases the waiting exports at once (while the breaker is still open:
        # no probe can close it first), and the broker is back
        r = await stack.api.post(
            f"/api/brokers/{world.broker_id}/resume", headers=world.tenant.auth("admin"), json={}
        )
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "CLOSED"
    finally:
        await stack.broker.post("/_sandbox/faults", json={"failForSeconds": 0})
    for e in export_ids:
        await wait_status(stack, world.tenant.auth(), e, {"COMPLETED"}, loops=900)
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT type, data FROM destination_events WHERE destination_id = $1
               ORDER BY occurred_at""",
            destination,
        )
    resumed = [r["data"] for r in rows if r["type"] == "DESTINATION_RESUMED"]
    assert len(resumed) == 1
    assert resumed[0]["from"] in ("OPEN", "HALF_OPEN")
