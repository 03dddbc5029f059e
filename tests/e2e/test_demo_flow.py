"""The demo account `make run` seeds, planned through the API under today's rule pack:
a wallet plans READY, a wooden toy asks for review (CPSC), embargoed saffron is blocked."""

import asyncio
from typing import Any

import asyncpg
import pytest

from entrygo.demo_exports import WAITING, seed_waiting_exports
from entrygo.seed import demo_products, seed_demo
from tests.support.stack import BROKER_SECRET, Stack, wait_status


@pytest.fixture
async def demo(stack: Stack, pool: asyncpg.Pool, tmp_path: Any) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return await seed_demo(conn, tmp_path, stack.broker_url, "entries@broker.test")


async def plan_one(stack: Stack, demo: dict[str, Any], sku: str) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
    skus = [p["externalId"] for p in demo_products()]
    product_id = demo["productIds"][skus.index(sku)]
    r = await stack.api.post(
        "/api/orders/sync",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "items": [
                {
                    "externalId": f"demo-{sku}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": "Demo Buyer", "address": "1 Demo Street, New York"},
                    "items": [{"productId": product_id, "quantity": 1}],
                }
            ],
        },
    )
    assert r.status_code == 200, r.text
    r = await stack.api.post(
        "/api/exports/plan",
        headers=headers,
        json={
            "accountId": demo["accountId"],
            "warehouseId": demo["warehouseId"],
            "brokerId": demo["brokerId"],
            "orderIds": [r.json()["data"][0]["id"]],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def codes(plan: dict[str, Any]) -> set[str]:
    return {m["code"] for m in plan["validationMessages"]}


async def test_wallet_plans_ready(stack: Stack, demo: dict[str, Any]) -> None:
    plan = await plan_one(stack, demo, "SKU-LEATHER-WALLET")
    assert plan["rulesetVersion"] == "us-2027.01"
    assert plan["readinessState"] == "READY", plan["validationMessages"]
    assert plan["strategyHint"]["code"] == "PER_ORDER_INFORMAL_ENTRY"


async def test_toy_asks_for_review(stack: Stack, demo: dict[str, Any]) -> None:
    plan = await plan_one(stack, demo, "SKU-WOODEN-TOY")
    assert plan["readinessState"] == "REVIEW_REQUIRED"
    assert "PGA_CPSC_CERTIFICATE" in codes(plan)
    assert plan["next_recommended_action"] == "REQUEST_REVIEW"


async def test_embargoed_saffron_is_blocked(stack: Stack, demo: dict[str, Any]) -> None:
    plan = await plan_one(stack, demo, "SKU-SAFFRON")
    assert plan["readinessState"] == "BLOCKED"
    assert "ORIGIN_EMBARGOED" in codes(plan)
    assert plan["excluded_order_ids"]
    assert plan["included_order_ids"] == []


async def test_the_dev_stack_starts_with_an_export_in_each_waiting_state(
    stack: Stack, demo: dict[str, Any], tmp_path: Any
) -> None:
    broker = str(stack.broker.base_url)
    # the stack's sandbox broker holds its own secret: the demo broker is given it
    r = await stack.api.patch(
        f"/api/brokers/{demo['brokerId']}",
        headers={"authorization": f"Bearer {demo['keys']['admin']}"},
        json={"transport": {"type": "webhook", "url": stack.broker_url, "secret": BROKER_SECRET}},
    )
    assert r.status_code == 200, r.text
    try:
        created = await asyncio.to_thread(
            seed_waiting_exports, str(stack.api.base_url), broker, demo, tmp_path
        )
        headers = {"authorization": f"Bearer {demo['keys']['integration']}"}
        for scenario, export_id in created.items():
            view = await wait_status(stack, headers, export_id, {WAITING[scenario]})
            assert view["status"] == WAITING[scenario], scenario
        # created once: a second start finds them
        again = await asyncio.to_thread(
            seed_waiting_exports, str(stack.api.base_url), broker, demo, tmp_path
        )
        assert again == created
    finally:
        await stack.broker.post("/_sandbox/faults", json={"holdSeconds": 3})
