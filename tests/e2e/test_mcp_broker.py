"""The broker loop through `entrygo mcp` against the running stack: an agent lists the broker's
requests and answers them; an answer whose new plan needs review says `awaiting_review` plainly
and sends nothing; a request that is not open is refused with the contract's errorCode."""

import base64
import hashlib
import json
from typing import Any, cast

import asyncpg
from mcp import types
from mcp.client.session import ClientSession

from tests.support.mcp import body, mcp_session
from tests.support.stack import Stack
from tests.support.tenants import GOOD_PRODUCT, World

PDF = b"%PDF-1.4\n% a letter from the manufacturer\n%%EOF\n"
MAKER = cast(dict[str, Any], GOOD_PRODUCT["manufacturer"])


def texts(result: types.CallToolResult) -> list[str]:
    """The texts of a tool's result, in order."""
    out = []
    for item in result.content:
        assert isinstance(item, types.TextContent)
        out.append(item.text)
    return out


async def _ok(session: ClientSession, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = await session.call_tool(tool, arguments)
    assert not result.is_error, result.content
    return body(result)


async def _world(stack: Stack, pool: asyncpg.Pool) -> World:
    return await stack.reporting_release(await stack.world(pool))


async def _product(session: ClientSession, world: World, **changes: Any) -> None:
    item = {**GOOD_PRODUCT, **changes}
    await _ok(session, "sync_products", {"accountId": world.tenant.account_id, "items": [item]})


async def _asked(session: ClientSession, world: World, scenario: str) -> str:
    """An order whose metadata picks the sandbox scenario, planned, executed, and waited for
    until the broker asks."""
    account = world.tenant.account_id
    item = world.scenario_order(scenario, prefix="mcp-broker")
    synced = await _ok(session, "sync_orders", {"accountId": account, "items": [item]})
    plan = await _ok(
        session,
        "plan_export",
        {
            "accountId": account,
            "warehouseId": world.warehouse_id,
            "brokerId": world.broker_id,
            "orderIds": [synced["data"][0]["id"]],
        },
    )
    assert plan["readinessState"] == "READY"
    await _ok(session, "execute_export", {"accountId": account, "batchId": plan["exportId"]})
    await _wait_asked(session, plan["exportId"])
    return str(plan["exportId"])


async def _wait_asked(session: ClientSession, export_id: str) -> None:
    view = await _ok(
        session,
        "wait_for_export",
        {"exportId": export_id, "until": ["BROKER_ACTION_REQUIRED"], "timeoutSeconds": 60},
    )
    assert view["status"] == "BROKER_ACTION_REQUIRED"


async def test_an_agent_answers_a_broker_request_with_an_amendment(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    async with mcp_session(stack, world.tenant.keys["integration"]) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        schema = tools["answer_broker_request"].input_schema
        assert {"exportId", "requestId", "message"} <= set(schema["required"])
        assert {"documents", "idempotencyKey"} <= set(schema["properties"])
        assert tools["list_broker_requests"].input_schema["required"] == ["exportId"]

        # a street without a number: the broker asks for the manufacturer's address
        await _product(session, world, manufacturer={**MAKER, "address": "Gatan"})
        export_id = await _asked(session, world, "info_request")
        listed = await _ok(session, "list_broker_requests", {"exportId": export_id})
        assert listed["exportId"] == export_id
        (request,) = listed["data"]
        assert (request["requestId"], request["kind"], request["status"]) == (
            "req-1",
            "INFO",
            "OPEN",
        )
        assert request["fields"][0]["path"] == "lines[0].manufacturer.address"

        document = {
            "filename": "manufacturer-letter.pdf",
            "contentType": "application/pdf",
            "contentBase64": base64.b64encode(PDF).decode(),
            "sha256": hashlib.sha256(PDF).hexdigest(),
        }
        damaged = await session.call_tool(
            "answer_broker_request",
            {
                "exportId": export_id,
                "requestId": "req-1",
                "message": "Street address added.",
                "documents": [{**document, "sha256": "0" * 64}],
            },
        )
        assert damaged.is_error
        assert texts(damaged)[0].startswith("VALIDATION_ERROR")
        assert body(damaged)["details"]["field"] == "documents[0].sha256"

        answered = await session.call_tool(
            "answer_broker_request",
            {
                "exportId": export_id,
                "requestId": "req-1",
                "message": "Street address added.",
                "documents": [document],
                "idempotencyKey": f"mcp-answer-{export_id}",
            },
        )
        assert not answered.is_error, answered.content
        result = body(answered)
        assert (result["outcome"], result["amendment"]) == ("amendment_sent", 1)
        assert result["documents"] == [
            {
                "filename": "manufacturer-letter.pdf",
                "contentType": "application/pdf",
                "size": len(PDF),
                "sha256": hashlib.sha256(PDF).hexdigest(),
            }
        ]
        note, text = texts(answered)
        assert note.startswith("amendment_sent")
        assert json.loads(text) == result

        # the amendment still lacks the street number: the broker asks again
        await _wait_asked(session, export_id)
        listed = await _ok(session, "list_broker_requests", {"exportId": export_id})
        assert [(q["requestId"], q["status"]) for q in listed["data"]] == [
            ("req-1", "ANSWERED"),
            ("req-2", "OPEN"),
        ]
        assert listed["data"][0]["answer"]["documents"] == [hashlib.sha256(PDF).hexdigest()]
        again = await session.call_tool(
            "answer_broker_request",
            {"exportId": export_id, "requestId": "req-1", "message": "Once more."},
        )
        assert again.is_error
        assert texts(again)[0].startswith("INVALID_EXPORT_STATE")
        assert body(again)["details"]["status"] == 409


async def test_an_answer_whose_plan_needs_review_is_awaiting_review(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    async with mcp_session(stack, world.tenant.keys["integration"]) as session:
        export_id = await _asked(session, world, "reject_correctable")
        (request,) = (await _ok(session, "list_broker_requests", {"exportId": export_id}))["data"]
        assert (request["kind"], request["status"]) == ("REJECTION", "OPEN")
        assert request["fields"][0]["path"] == "lines[0].hsCode"

        # the corrected code is one a reviewer must look at
        await _product(session, world, hsCode="6117.10")
        answered = await session.call_tool(
            "answer_broker_request",
            {
                "exportId": export_id,
                "requestId": request["requestId"],
                "message": "HS code corrected.",
            },
        )
        assert not answered.is_error, answered.content
        result = body(answered)
        assert result["outcome"] == "awaiting_review"
        assert result["amendment"] is None
        note, text = texts(answered)
        assert note.startswith("awaiting_review")
        assert "review queue" in note
        assert "nothing was sent to the broker" in note
        assert json.loads(text) == result

        view = await _ok(session, "inspect_export", {"exportId": export_id})
        assert view["status"] == "AWAITING_APPROVAL"
        assert view["planHash"] == result["planHash"]
        assert view["broker"]["amendments"] == []  # nothing went to the broker
        # no tool approves: the new plan stays with a person
        refused = await session.call_tool(
            "execute_export", {"accountId": world.tenant.account_id, "batchId": export_id}
        )
        assert refused.is_error
        assert texts(refused)[0].startswith("EXPORT_REVIEW_REQUIRED")
