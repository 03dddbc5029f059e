"""Execution on the running stack: review, broker outage, rejection, a killed worker, concurrency."""

import asyncio
from typing import Any

import asyncpg

from tests.support.stack import Stack, wait_status


async def _plan(stack: Stack, world: Any, *skus: str) -> dict[str, Any]:
    ids = await world.orders(stack.api, *skus)
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def _execute(stack: Stack, world: Any, export_id: str, key: str | None = None) -> Any:
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    if key:
        body["idempotencyKey"] = key
    return await stack.api.post("/api/exports/execute", headers=world.tenant.auth(), json=body)


async def _faults(stack: Stack, **faults: Any) -> None:
    r = await stack.broker.post("/_sandbox/faults", json=faults)
    assert r.status_code == 200, r.text


async def _counts(pool: asyncpg.Pool, export_id: str) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {
            table: await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE export_id = $1", export_id
            )
            for table in ("customs_packages", "broker_submissions", "notifications")
        }


async def _gapless(pool: asyncpg.Pool, export_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, type FROM export_events WHERE export_id = $1 ORDER BY seq", export_id
        )
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    return [r["type"] for r in rows]


async def test_review_then_approve_executes_by_itself(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    plan = await _plan(stack, world, "SKU-SCARF", "SKU-SCARF-8")
    assert plan["readinessState"] == "REVIEW_REQUIRED"
    r = await _execute(stack, world, plan["exportId"])
    assert r.status_code == 202
    assert r.json()["status"] == "AWAITING_APPROVAL"
    assert r.json()["customs_package_id"] is None
    r = await stack.api.post(
        f"/api/exports/{plan['exportId']}/approve",
        headers=world.tenant.auth("reviewer"),
        json={"planHash": plan["planHash"], "comment": "checked the HTS"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["approval"]["state"] == "APPROVED"
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"})
    assert view["approval"]["planHash"] == plan["planHash"]
    types = await _gapless(pool, plan["exportId"])
    expected = ["EXECUTION_REQUESTED", "REVIEW_REQUESTED", "EXPORT_APPROVED", "CUSTOMS_PACKAGE_GENERATED",
                "BROKER_SUBMISSION_PREPARED", "BROKER_SUBMISSION_SENT", "WAREHOUSE_NOTIFIED",
                "EXPORT_EXECUTED"]  # fmt: skip
    positions = [types.index(t) for t in expected]
    assert positions == sorted(positions)
    # the broker may answer while the warehouse is still being notified: after the send, that's all
    assert types.index("BROKER_ACCEPTED") > types.index("BROKER_SUBMISSION_SENT")


async def test_broker_down_for_a_while_retries_to_one_submission(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    plan = await _plan(stack, world, "SKU-SCARF")
    await _faults(stack, failNext=3)
    try:
        r = await _execute(stack, world, plan["exportId"])
        assert r.status_code == 200
        view = await wait_status(
            stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"}, loops=600
        )
    finally:
        await _faults(stack, failNext=0)
    sub = view["brokerSubmission"]
    assert sub["attempts"] == 4
    stats = await stack.broker_stats()
    assert stats["submissions"][sub["id"]]["deliveries"] == 4
    assert stats["submissions"][sub["id"]]["status"] == "ACCEPTED"
    assert await _counts(pool, plan["exportId"]) == {
        "customs_packages": 1,
        "broker_submissions": 1,
        "notifications": 1,
    }


async def test_broker_rejects_then_retry_finishes(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    plan = await _plan(stack, world, "SKU-SCARF")
    await _faults(stack, reject="sync", rejectReason="invoice lacks a signature")
    try:
        await _execute(stack, world, plan["exportId"])
        view = await wait_status(
            stack, world.tenant.auth(), plan["exportId"], {"ATTENTION_REQUIRED"}
        )
    finally:
        await _faults(stack, reject=None)
    assert view["attention"]["step"] == "send"
    assert view["attention"]["errorType"] == "BrokerRejected"
    assert view["brokerSubmission"]["status"] == "FAILED"
    assert "signature" in view["brokerSubmission"]["error_message"]
    r = await stack.api.post(
        f"/api/exports/{plan['exportId']}/retry", headers=world.tenant.auth("reviewer")
    )
    assert r.status_code in (200, 202), r.text
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"})
    assert view["attention"] is None
    types = await _gapless(pool, plan["exportId"])
    assert types.count("ATTENTION_REQUIRED") == 1
    assert types.count("RETRY_REQUESTED") == 1
    assert types.count("CUSTOMS_PACKAGE_GENERATED") == 1
    stats = await stack.broker_stats()
    assert stats["submissions"][view["brokerSubmission"]["id"]]["status"] == "ACCEPTED"


async def test_worker_killed_mid_execution_is_finished_by_a_new_worker(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    plan = await _plan(stack, world, "SKU-SCARF", "SKU-SCARF")
    export_id = plan["exportId"]
    await _faults(stack, delaySeconds=3)
    try:
        await _execute(stack, world, export_id)

        async def sending() -> bool:
            async with pool.acquire() as conn:
                attempts = await conn.fetchval(
                    "SELECT attempts FROM broker_submissions WHERE export_id = $1", export_id
                )
            return bool(attempts)

        for _ in range(200):
            if await sending():
                break
            await asyncio.sleep(0.05)
        assert await sending()
        stack.kill_workers()
        stack.start_worker()
    finally:
        await _faults(stack, delaySeconds=0)
    view = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"}, loops=900)
    assert await _counts(pool, export_id) == {
        "customs_packages": 1,
        "broker_submissions": 1,
        "notifications": 1,
    }
    stats = await stack.broker_stats()
    entry = stats["submissions"][view["brokerSubmission"]["id"]]
    assert entry["status"] == "ACCEPTED"
    types = await _gapless(pool, export_id)
    for once in (
        "CUSTOMS_PACKAGE_GENERATED",
        "BROKER_SUBMISSION_SENT",
        "WAREHOUSE_NOTIFIED",
        "EXPORT_EXECUTED",
    ):
        assert types.count(once) == 1, (once, types)


async def test_five_concurrent_executes_run_one_execution(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    plan = await _plan(stack, world, "SKU-SCARF")
    answers = await asyncio.gather(*(_execute(stack, world, plan["exportId"]) for _ in range(5)))
    assert {r.status_code for r in answers} <= {200, 202}
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"})
    assert await _counts(pool, plan["exportId"]) == {
        "customs_packages": 1,
        "broker_submissions": 1,
        "notifications": 1,
    }
    stats = await stack.broker_stats()
    assert stats["submissions"][view["brokerSubmission"]["id"]]["deliveries"] == 1
    types = await _gapless(pool, plan["exportId"])
    assert types.count("EXECUTION_REQUESTED") == 1


async def test_warehouse_webhook_is_retried_and_delivered_once(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool, warehouse=stack.webhook_warehouse())
    plan = await _plan(stack, world, "SKU-SCARF")
    stack.warehouse_receiver.fail_next = 2
    await _execute(stack, world, plan["exportId"])
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"}, loops=600)
    note = view["notifications"][0]
    assert note["channel"] == "webhook"
    assert note["status"] == "DELIVERED"
    assert note["attempts"] == 3
    received = stack.warehouse_receiver
    assert received.raw.count(note["id"]) == 3
    assert received.unique[note["id"]]["exportId"] == plan["exportId"]
    assert received.unique[note["id"]]["customsPackageId"] == view["customs_package_id"]


async def test_warehouse_address_fixed_then_retry_delivers(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    wrong = stack.warehouse_url.replace("/notifications", "/nowhere")
    world = await stack.world(pool, warehouse=stack.webhook_warehouse(wrong))
    plan = await _plan(stack, world, "SKU-SCARF")
    await _execute(stack, world, plan["exportId"])
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"ATTENTION_REQUIRED"})
    assert view["attention"]["step"] == "notify"
    assert view["attention"]["errorType"] == "InvalidAddress"
    assert view["notifications"][0]["status"] == "FAILED"
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE warehouses SET notification_url = $2 WHERE id = $1",
            world.warehouse_id,
            stack.warehouse_url,
        )
    r = await stack.api.post(
        f"/api/exports/{plan['exportId']}/retry", headers=world.tenant.auth("reviewer")
    )
    assert r.status_code in (200, 202), r.text
    view = await wait_status(stack, world.tenant.auth(), plan["exportId"], {"COMPLETED"})
    note = view["notifications"][0]
    assert note["status"] == "DELIVERED"
    assert note["recipient"] == stack.warehouse_url
    assert note["id"] in stack.warehouse_receiver.unique
    types = await _gapless(pool, plan["exportId"])
    assert types.count("WAREHOUSE_NOTIFIED") == 1
