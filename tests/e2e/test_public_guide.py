"""The public first-export guide, as a new client follows it, against the running stack.

The request bodies are the guide's, field for field (public docs §4.2, §4.3, §8.3, §8.4): the
order carries `externalId`, `destinationCountry`, `destinationRegion`, `destinationPostalCode`,
`items[{productId, quantity, unitValueUsd}]` and `metadata`, and nothing else. Products come in
through the product sync with their customs data, as the guide asks before the first order.
"""

from typing import Any

import asyncpg

from tests.support.stack import Stack, wait_status

# the five artifact types the public docs list (ART); we also render cci_pdf
DOCUMENTED_ARTIFACTS = {"cci_human_readable", "cci_csv", "cci_json", "packing_list", "manifest"}
GUIDE_PRODUCT = {
    "externalId": "SKU-WALLET-01",
    "description": "Men's bifold wallet of full-grain leather",
    "hsCode": "4202.31.6000",
    "countryOfOrigin": "IT",
    "unitValueUsd": 110,
    "weightKg": 0.15,
    "manufacturer": {
        "name": "Pelletteria Arno Srl",
        "address": "Via dei Conciatori 4",
        "city": "Florence",
        "country": "IT",
    },
}


def guide_order(product_id: str) -> dict[str, Any]:
    """The guide's order: only the fields the guide sends."""
    return {
        "externalId": "shopify-order-1001",
        "destinationCountry": "US",
        "destinationRegion": "CA",
        "destinationPostalCode": "94107",
        "items": [{"productId": product_id, "quantity": 1, "unitValueUsd": 110}],
        "metadata": {"source": "shopify", "workflow_run_id": "first-export-001"},
    }


async def guide_flow(
    stack: Stack, pool: asyncpg.Pool, transport: str, consignee: dict[str, str] | None = None
) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    """Health, product sync, order sync, plan, execute, inspect, package: the guide's steps."""
    world = await stack.world(pool, transport=transport)
    account = world.tenant.account_id
    headers = {**world.tenant.auth("integration"), "content-type": "application/json"}
    # 1. authenticate: the health check with the key
    r = await stack.api.get("/api/system/health", headers=headers)
    assert r.status_code == 200
    assert r.json()["account"]["id"] == account
    # 0. the product with its customs data (the guide's prerequisite)
    r = await stack.api.post(
        "/api/products/sync", headers=headers, json={"accountId": account, "items": [GUIDE_PRODUCT]}
    )
    assert r.status_code == 200, r.text
    product_id = r.json()["data"][0]["id"]
    # 2. sync one order
    order = guide_order(product_id)
    if consignee is not None:
        order["consignee"] = consignee
    r = await stack.api.post(
        "/api/orders/sync",
        headers={**headers, "idempotency-key": "first-export-orders-001"},
        json={"accountId": account, "items": [order]},
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["data"][0]["id"]
    # 3. plan
    r = await stack.api.post(
        "/api/exports/plan",
        headers=headers,
        json={
            "accountId": account,
            "warehouseId": world.warehouse_id,
            "brokerId": world.broker_id,
            "destinationCountry": "US",
            "orderIds": [order_id],
            "dryRun": False,
        },
    )
    assert r.status_code == 201, r.text
    plan = r.json()
    # 4. review readiness
    assert plan["readinessState"] == "READY", plan["validationMessages"]
    assert plan["strategyHint"]["code"] == "PER_ORDER_INFORMAL_ENTRY"
    assert plan["included_order_ids"] == [order_id]
    assert plan["planHash"].startswith("sha256:")
    export_id = plan["exportId"]
    # 5. execute
    r = await stack.api.post(
        "/api/exports/execute",
        headers=headers,
        json={"accountId": account, "batchId": export_id, "idempotencyKey": f"exec-{export_id}"},
    )
    assert r.status_code == 200, r.text
    executed = r.json()
    assert executed["customs_package_id"].startswith("cp_")
    assert {a["artifact_type"] for a in executed["artifacts"]} >= DOCUMENTED_ARTIFACTS
    # 6. inspect until the export has executed (a webhook broker then accepts it)
    final = {"EXECUTED", "COMPLETED"} if transport == "webhook" else {"EXECUTED"}
    view = await wait_status(stack, headers, export_id, final)
    assert "EXPORT_EXECUTED" in [e["type"] for e in view["events"]]
    assert view["notifications"][0]["status"] == "RECORDED"
    # 7. the customs package and its artifacts
    r = await stack.api.get(
        f"/api/customs-packages/{executed['customs_package_id']}", headers=headers
    )
    assert r.status_code == 200
    package = r.json()
    assert package["exportBatchId"] == export_id
    assert package["packageNumber"].startswith("EG-")
    assert {a["artifact_type"] for a in package["artifacts"]} >= DOCUMENTED_ARTIFACTS
    for art in package["artifacts"]:
        assert {"artifact_type", "filename", "generated_at"} <= art.keys()
    return world, plan, view


def warning_codes(plan: dict[str, Any]) -> list[str]:
    return [m["code"] for m in plan["validationMessages"] if m["severity"] == "WARNING"]


async def artifact_text(stack: Stack, headers: dict, view: dict[str, Any], kind: str) -> str:
    art = next(a for a in view["artifacts"] if a["artifact_type"] == kind)
    r = await stack.api.get(f"/api/artifacts/{art['id']}/content", headers=headers)
    assert r.status_code == 200, r.text
    return r.text


async def test_guide_order_without_consignee_runs_through_with_webhook_broker(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world, plan, view = await guide_flow(stack, pool, "webhook")
    assert warning_codes(plan) == ["CONSIGNEE_DETAILS_MISSING"]
    assert plan["missing_data"] == [
        {"orderId": plan["included_order_ids"][0], "productId": None, "field": "consignee"}
    ]
    view = await wait_status(
        stack, world.tenant.auth("integration"), view["exportId"], {"COMPLETED"}
    )
    sub = view["brokerSubmission"]
    assert (sub["submission_type"], sub["status"]) == ("webhook", "ACCEPTED")
    seen = (await stack.broker_stats())["submissions"][sub["id"]]
    assert seen["deliveries"] == 1
    assert seen["warningCodes"] == ["CONSIGNEE_DETAILS_MISSING"]
    types = [e["type"] for e in view["events"]]
    assert types[:2] == ["EXPORT_PLANNED", "EXPORT_BATCH_CREATED"]
    assert types.index("EXPORT_EXECUTED") < types.index("BROKER_ACCEPTED")
    assert [e["seq"] for e in view["events"]] == list(range(1, len(types) + 1))
    html = await artifact_text(stack, world.tenant.auth("integration"), view, "cci_human_readable")
    consignee = html.split("<th>Consignee</th>")[1].split("</tr>")[0]
    assert "CA 94107" in consignee
    assert "Country: US" in consignee
    assert "Name and street address were not provided." in consignee


async def test_guide_order_without_consignee_runs_through_with_email_broker(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world, plan, view = await guide_flow(stack, pool, "email")
    assert warning_codes(plan) == ["CONSIGNEE_DETAILS_MISSING"]
    sub = view["brokerSubmission"]
    assert (sub["submission_type"], sub["status"]) == ("email", "SENT")
    mails = [m for m in stack.mails() if m["X-EntryGo-Submission-Id"] == sub["id"]]
    assert len(mails) == 1
    assert "CONSIGNEE_DETAILS_MISSING" in mails[0].get_body(("plain",)).get_content()
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


async def test_guide_order_with_a_full_consignee_has_no_warning(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    consignee = {"name": "Grace Buyer", "address": "500 Howard St, San Francisco"}
    world, plan, view = await guide_flow(stack, pool, "webhook", consignee=consignee)
    assert warning_codes(plan) == []
    assert plan["missing_data"] == []
    packing = await artifact_text(stack, world.tenant.auth("integration"), view, "packing_list")
    assert "Grace Buyer" in packing
    assert "not provided" not in packing
