"""Pause and resume a broker during a run of 50 exports (docs/fleet-control.md): while it is
paused nothing is sent to it, though plans, approvals and packages go on; after the resume every
export completes, each submitted once."""

import asyncio
from typing import Any

import asyncpg

from tests.support.stack import Stack, wait_status

EXPORTS = 50


async def _plan_and_execute(stack: Stack, world: Any, n: int) -> str:
    orders = await world.orders(stack.api, "SKU-SCARF", prefix=f"P{n}")
    auth = world.tenant.auth()
    r = await stack.api.post("/api/exports/plan", headers=auth, json=world.plan_body(orders))
    assert r.status_code == 201, r.text
    export_id: str = r.json()["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth, json=body)
    assert r.status_code in (200, 202), r.text
    return export_id


async def test_a_paused_broker_gets_nothing_until_it_is_resumed(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    admin = world.tenant.auth("admin")
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/pause",
        headers=admin,
        json={"reason": "the broker's planned maintenance"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "PAUSED"
    before = await stack.broker_stats()
    sem = asyncio.Semaphore(5)

    async def one(n: int) -> str:
        async with sem:
            return await _plan_and_execute(stack, world, n)

    export_ids = await asyncio.gather(*(one(n) for n in range(EXPORTS)))
    # every export reaches the send and waits there: packaged, not sent
    for export_id in export_ids:
        for _ in range(600):
            view = (
                await stack.api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())
            ).json()
            if view.get("waitingFor"):
                break
            await asyncio.sleep(0.1)
        assert view["waitingFor"]["destination"] == f"broker:{world.broker_id}"
        assert view["waitingFor"]["state"] == "PAUSED"
        assert view["status"] == "EXECUTING"
        assert view["customsPackage"] is not None
    during = await stack.broker_stats()
    assert during["rawDeliveries"] == before["rawDeliveries"]  # nothing reached the broker
    r = await stack.api.get("/api/destinations", headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    (listed,) = [d for d in r.json()["data"] if d["destinationId"] == f"broker:{world.broker_id}"]
    assert listed["state"] == "PAUSED"
    assert listed["waitingExports"] == EXPORTS
    r = await stack.api.post(f"/api/brokers/{world.broker_id}/resume", headers=admin, json={})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "CLOSED"
    views = [
        await wait_status(stack, world.tenant.auth(), e, {"COMPLETED"}, loops=1200)
        for e in export_ids
    ]
    after = await stack.broker_stats()
    for view in views:
        assert view["waitingFor"] is None
        assert after["submissions"][view["brokerSubmission"]["id"]]["deliveries"] == 1
    assert after["uniqueSubmissions"] - before["uniqueSubmissions"] == EXPORTS
    async with pool.acquire() as conn:
        types = await conn.fetch(
            """SELECT type FROM destination_events WHERE destination_id = $1
               ORDER BY occurred_at""",
            f"broker:{world.broker_id}",
        )
    assert [t["type"] for t in types] == ["DESTINATION_PAUSED", "DESTINATION_RESUMED"]
