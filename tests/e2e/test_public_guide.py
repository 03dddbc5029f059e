"""The public guide's client flow, unchanged, against the running stack (CONTRACT, top)."""

import asyncio
from typing import Any

import asyncpg

from tests.e2e.conftest import Stack


async def wait_status(
    stack: Stack, headers: dict, export_id: str, wanted: set[str], loops: int = 300
) -> dict[str, Any]:
    """Poll inspect until the status is one of `wanted` (bounded number of polls)."""
    view: dict[str, Any] = {}
    for _ in range(loops):
        view = (await stack.api.get(f"/api/exports/{export_id}", headers=headers)).json()
        if view["status"] in wanted:
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"status stayed {view.get('status')}; wanted {wanted}")


async def guide_flow(
    stack: Stack, pool: asyncpg.Pool, transport: str
) -> tuple[Any, dict[str, Any]]:
    world = await stack.world(pool, transport=transport)
    headers = world.tenant.auth("integration")
    # 1. health with the key
    r = await stack.api.get("/api/system/health", headers=headers)
    assert r.status_code == 200
    assert r.json()["account"]["id"] == world.tenant.account_id
    # 2. sync an order
    r = await stack.api.post(
        "/api/orders/sync",
        headers={**headers, "idempotency-key": f"sync-{world.tenant.account_id}"},
        json={
            "accountId": world.tenant.account_id,
            "items": [
                {
                    "externalId": "guide-1",
                    "destinationCountry": "US",
                    "destinationRegion": "CA",
                    "destinationPostalCode": "94107",
                    "consignee": {"name": "Grace Buyer", "address": "500 Howard St, San Francisco"},
                    "items": [{"productId": world.products["SKU-SCARF"], "quantity": 3}],
                }
            ],
        },
    )
    assert r.status_code == 200
    order_id = r.json()["data"][0]["id"]
    # 3. plan
    r = await stack.api.post("/api/exports/plan", headers=headers, json=world.plan_body([order_id]))
    assert r.status_code == 201, r.text
    plan = r.json()
    assert plan["readinessState"] == "READY", plan["validationMessages"]
    assert plan["planHash"].startswith("sha256:")
    export_id = plan["exportId"]
    # 4. execute
    r = await stack.api.post(
        "/api/exports/execute",
        headers=headers,
        json={
            "accountId": world.tenant.account_id,
            "batchId": export_id,
            "idempotencyKey": f"exec-{export_id}",
        },
    )
    assert r.status_code == 200, r.text
    executed = r.json()
    assert executed["customs_package_id"].startswith("cp_")
    assert {a["artifact_type"] for a in executed["artifacts"]} == {
        "cci_human_readable", "cci_csv", "cci_json", "cci_pdf", "packing_list", "manifest",
    }  # fmt: skip
    # 5. inspect until the broker's outcome is in
    final = "COMPLETED" if transport == "webhook" else "EXECUTED"
    view = await wait_status(stack, headers, export_id, {final})
    assert view["notifications"][0]["status"] == "RECORDED"
    # 6. the customs package
    r = await stack.api.get(
        f"/api/customs-packages/{executed['customs_package_id']}", headers=headers
    )
    assert r.status_code == 200
    package = r.json()
    assert package["exportBatchId"] == export_id
    assert package["packageNumber"].startswith("EG-")
    for art in package["artifacts"]:
        assert {"artifact_type", "filename", "generated_at"} <= art.keys()
    return world, view


async def test_guide_flow_with_webhook_broker(stack: Stack, pool: asyncpg.Pool) -> None:
    _, view = await guide_flow(stack, pool, "webhook")
    sub = view["brokerSubmission"]
    assert sub["submission_type"] == "webhook"
    assert sub["status"] == "ACCEPTED"
    assert sub["entryNumber"]
    stats = await stack.broker_stats()
    assert stats["submissions"][sub["id"]]["deliveries"] == 1
    types = [e["type"] for e in view["events"]]
    assert types[:2] == ["EXPORT_PLANNED", "EXPORT_BATCH_CREATED"]
    assert types.index("EXPORT_EXECUTED") < types.index("BROKER_ACCEPTED")
    assert [e["seq"] for e in view["events"]] == list(range(1, len(types) + 1))


async def test_guide_flow_with_email_broker(stack: Stack, pool: asyncpg.Pool) -> None:
    world, view = await guide_flow(stack, pool, "email")
    sub = view["brokerSubmission"]
    assert sub["submission_type"] == "email"
    assert sub["status"] == "SENT"
    mails = [m for m in stack.mails() if m["X-EntryGo-Submission-Id"] == sub["id"]]
    assert len(mails) == 1
    names = sorted(part.get_filename() for part in mails[0].iter_attachments())
    assert names == [
        "commercial_customs_invoice.csv",
        "commercial_customs_invoice.pdf",
        "packing_list.json",
    ]
    r = await stack.api.post(
        f"/api/exports/{view['exportId']}/broker-outcome",
        headers=world.tenant.auth("reviewer"),
        json={"status": "ACCEPTED", "entryNumber": "ABC-1234567-8"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "COMPLETED"
    assert r.json()["brokerSubmission"]["entryNumber"] == "ABC-1234567-8"
