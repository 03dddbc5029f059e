"""`entrygo mcp` driven by the official MCP client over stdio against the running stack: the
tools list with the contract's schemas, sync → plan → execute → wait to EXECUTED, and the
server-side guard on a plan that awaits review."""

import json
import os
import sys
from typing import Any

import asyncpg
from mcp.client.session import ClientSession

from tests.support.mcp import body, mcp_session
from tests.support.paths import ROOT
from tests.support.stack import Stack
from tests.support.tenants import World


def order(world: World, sku: str) -> dict[str, Any]:
    return {
        "externalId": f"mcp-{os.urandom(4).hex()}",
        "destinationCountry": "US",
        "destinationRegion": "NY",
        "destinationPostalCode": "10001",
        "items": [{"productId": world.products[sku], "quantity": 1}],
    }


async def test_an_agent_drives_an_export_to_executed(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    account = world.tenant.account_id
    async with mcp_session(stack, world.tenant.keys["integration"]) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == {
            "sync_products",
            "sync_orders",
            "plan_export",
            "execute_export",
            "inspect_export",
            "list_exports",
            "export_events",
            "wait_for_export",
            "list_broker_requests",
            "answer_broker_request",
        }
        # the contract's own request schemas
        assert {"accountId", "batchId"} <= set(tools["execute_export"].input_schema["properties"])
        assert "orderIds" in tools["plan_export"].input_schema["required"]
        assert "approve" not in " ".join(tools)  # no tool approves

        synced = await session.call_tool(
            "sync_orders", {"accountId": account, "items": [order(world, "SKU-SCARF")]}
        )
        assert not synced.is_error, synced.content
        order_id = body(synced)["data"][0]["id"]
        planned = await session.call_tool(
            "plan_export",
            {
                "accountId": account,
                "warehouseId": world.warehouse_id,
                "brokerId": world.broker_id,
                "orderIds": [order_id],
            },
        )
        plan = body(planned)
        assert plan["readinessState"] == "READY"
        executed = await session.call_tool(
            "execute_export", {"accountId": account, "batchId": plan["exportId"]}
        )
        assert not executed.is_error, executed.content
        waited = await session.call_tool(
            "wait_for_export",
            {
                "exportId": plan["exportId"],
                "until": ["EXECUTED", "COMPLETED"],
                "timeoutSeconds": 60,
            },
        )
        view = body(waited)
        assert view["status"] in ("EXECUTED", "COMPLETED")
        assert view["customs_package_id"]
        events = body(await session.call_tool("export_events", {"exportId": plan["exportId"]}))
        assert "EXPORT_EXECUTED" in [e["type"] for e in events["data"]]
        # the text is the same body, as JSON
        assert json.loads(waited.content[0].text)["exportId"] == plan["exportId"]


async def test_execute_is_refused_for_a_plan_awaiting_review(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    account = world.tenant.account_id
    async with mcp_session(stack, world.tenant.keys["integration"]) as session:
        synced = await session.call_tool(
            "sync_orders", {"accountId": account, "items": [order(world, "SKU-SCARF-8")]}
        )
        plan = body(
            await session.call_tool(
                "plan_export",
                {
                    "accountId": account,
                    "warehouseId": world.warehouse_id,
                    "brokerId": world.broker_id,
                    "orderIds": [body(synced)["data"][0]["id"]],
                },
            )
        )
        assert plan["readinessState"] == "REVIEW_REQUIRED"
        refused = await session.call_tool(
            "execute_export", {"accountId": account, "batchId": plan["exportId"]}
        )
        assert refused.is_error
        assert refused.content[0].text.startswith("EXPORT_REVIEW_REQUIRED")
        assert body(refused)["errorCode"] == "EXPORT_REVIEW_REQUIRED"
        view = body(await session.call_tool("inspect_export", {"exportId": plan["exportId"]}))
        assert view["status"] == "PLANNED"  # execution was never requested
        assert not [e for e in view["events"] if e["type"] == "EXECUTION_REQUESTED"]
        # an API error comes back the same way: its errorCode first
        missing = await session.call_tool("inspect_export", {"exportId": "exp_missing"})
        assert missing.is_error
        assert missing.content[0].text.startswith("NOT_FOUND")


async def test_the_http_transport_serves_the_same_tools(stack: Stack, pool: asyncpg.Pool) -> None:
    import asyncio
    import socket

    from mcp.client.streamable_http import streamable_http_client

    world = await stack.world(pool)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ENTRYGO_", "DATABASE_URL", "TEMPORAL_"))
    }
    env.update(
        ENTRYGO_BASE_URL=f"{stack.api.base_url}/api",
        ENTRYGO_API_KEY=world.tenant.keys["integration"],
        PYTHONPATH=str(ROOT),
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entrygo", "mcp", "--http", "--port", str(port), env=env
    )
    try:
        for _ in range(200):  # until it listens
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{port}/mcp"
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as s:
            await s.initialize()
            names = {t.name for t in (await s.list_tools()).tools}
            assert "execute_export" in names
            listed = await s.call_tool("list_exports", {})
            assert not listed.is_error, listed.content
            assert body(listed)["data"] == []  # a fresh account
    finally:
        server.terminate()
        await server.wait()
