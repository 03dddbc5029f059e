"""The broker loop on the running stack, one test per sandbox scenario (docs/broker-protocol.md):
requests answered with amendments, holds, rejections, a silent broker, callbacks out of order."""

import base64
import json
import time
from typing import Any

import asyncpg
import pytest

from signing import SIGNATURE_HEADER, sign
from store import metrics
from tests.support.cli_runner import cli, output
from tests.support.stack import BROKER_SECRET, Stack, wait_status
from tests.support.tenants import GOOD_PRODUCT, World

PDF = b"%PDF-1.4\n% a letter from the manufacturer\n%%EOF\n"


async def _faults(stack: Stack, **faults: Any) -> None:
    r = await stack.broker.post("/_sandbox/faults", json=faults)
    assert r.status_code == 200, r.text


async def _broker_terms(stack: Stack, world: World, **terms: Any) -> None:
    r = await stack.api.patch(
        f"/api/brokers/{world.broker_id}", headers=world.tenant.auth("admin"), json=terms
    )
    assert r.status_code == 200, r.text


async def _sync_product(stack: Stack, world: World, address: str) -> None:
    maker = {**GOOD_PRODUCT["manufacturer"], "address": address}
    r = await stack.api.post(
        "/api/products/sync",
        headers=world.tenant.auth(),
        json={
            "accountId": world.tenant.account_id,
            "items": [{**GOOD_PRODUCT, "manufacturer": maker}],
        },
    )
    assert r.status_code == 200, r.text


async def _executed(stack: Stack, world: World, scenario: str) -> str:
    """One order of the scarf whose metadata picks the sandbox scenario, planned and executed."""
    item = world.scenario_order(scenario)
    auth = world.tenant.auth()
    r = await stack.api.post(
        "/api/orders/sync",
        headers=auth,
        json={"accountId": world.tenant.account_id, "items": [item]},
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["data"][0]["id"]
    r = await stack.api.post("/api/exports/plan", headers=auth, json=world.plan_body([order_id]))
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await stack.api.post("/api/exports/execute", headers=auth, json=body)
    assert r.status_code in (200, 202), r.text
    return str(export_id)


async def _world(stack: Stack, pool: asyncpg.Pool, **terms: Any) -> World:
    world = await stack.world(pool)
    await _broker_terms(stack, world, reportsRelease=True, **terms)
    return world


async def _events(pool: asyncpg.Pool, export_id: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, type FROM export_events WHERE export_id = $1 ORDER BY seq", export_id
        )
    assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    return [r["type"] for r in rows]


async def _requests(stack: Stack, world: World, export_id: str) -> list[dict[str, Any]]:
    r = await stack.api.get(
        f"/api/exports/{export_id}/broker-requests", headers=world.tenant.auth()
    )
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def _answer(
    stack: Stack, world: World, export_id: str, request_id: str, key: str
) -> dict[str, Any]:
    document = {
        "filename": "manufacturer-letter.pdf",
        "contentType": "application/pdf",
        "contentBase64": base64.b64encode(PDF).decode(),
    }
    r = await stack.api.post(
        f"/api/exports/{export_id}/broker-requests/{request_id}/answer",
        headers=world.tenant.auth(),
        json={"message": "Street address added.", "documents": [document], "idempotencyKey": key},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


def _once_each(types: list[str], *wanted: str) -> None:
    assert [t for t in types if t in wanted] == list(wanted), types


async def test_accept_files_the_entry_and_completes_at_release(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    export_id = await _executed(stack, world, "accept")
    view = await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})
    assert view["status"] == "COMPLETED"
    _once_each(
        await _events(pool, export_id), "BROKER_ACKNOWLEDGED", "ENTRY_FILED", "CUSTOMS_RELEASED"
    )
    assert await _requests(stack, world, export_id) == []


async def test_info_request_is_answered_with_an_amendment_until_the_broker_has_it(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    await _sync_product(stack, world, "Gatan")  # a street without a number: the broker asks
    export_id = await _executed(stack, world, "info_request")
    auth = world.tenant.auth()
    await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    # the gauge of open requests counts it
    assert await metrics.open_broker_requests(pool) >= 1
    (first,) = await _requests(stack, world, export_id)
    assert (first["requestId"], first["kind"], first["status"]) == ("req-1", "INFO", "OPEN")
    assert first["fields"][0]["path"] == "lines[0].manufacturer.address"
    answered = await _answer(stack, world, export_id, "req-1", "answer-1")
    assert (answered["outcome"], answered["amendment"]) == ("amendment_sent", 1)
    # the amendment still lacks the street number: the broker asks again
    await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    requests = await _requests(stack, world, export_id)
    assert [(q["requestId"], q["status"]) for q in requests] == [
        ("req-1", "ANSWERED"),
        ("req-2", "OPEN"),
    ]
    # the same answer again (same key) changes nothing
    assert (await _answer(stack, world, export_id, "req-1", "answer-1")) == answered
    await _sync_product(stack, world, "Gatan 12")
    second = await _answer(stack, world, export_id, "req-2", "answer-2")
    assert (second["outcome"], second["amendment"]) == ("amendment_sent", 2)
    view = await wait_status(stack, auth, export_id, {"COMPLETED"})
    # inspect shows the broker's side in full: the entry, both requests answered, the amendments
    broker = view["broker"]
    assert broker["entryNumber"].startswith("SBX-")
    assert broker["outcome"] == "RELEASED"
    assert [q["status"] for q in broker["requests"]] == ["ANSWERED", "ANSWERED"]
    assert [(a["number"], a["status"]) for a in broker["amendments"]] == [(1, "SENT"), (2, "SENT")]
    # each amendment carries the package of its own plan
    assert len({a["customsPackageId"] for a in broker["amendments"]}) == 2
    types = await _events(pool, export_id)
    assert types.count("BROKER_INFO_REQUESTED") == 2
    assert types.count("BROKER_AMENDMENT_SENT") == 2
    assert types.count("BROKER_INFO_PROVIDED") == 2
    stats = (await stack.broker_stats())["submissions"]
    (sub,) = [
        s for s in stats.values() if s.get("scenario") == "info_request" and s["lastAmendment"] == 2
    ]
    # the first send (0) and two amendments, gapless, under one submission id
    assert [a["amendment"] for a in sub["amendments"]] == [0, 1, 2]


async def test_hold_then_release(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await _world(stack, pool)
    await _faults(stack, holdSeconds=2)
    export_id = await _executed(stack, world, "hold_then_release")
    auth = world.tenant.auth()
    await wait_status(stack, auth, export_id, {"CUSTOMS_HOLD"})
    # the gauge of the oldest open hold sees it
    assert await metrics.oldest_open_hold_seconds(pool) > 0
    await wait_status(stack, auth, export_id, {"COMPLETED"})
    _once_each(
        await _events(pool, export_id),
        "ENTRY_FILED",
        "CUSTOMS_HOLD",
        "CUSTOMS_HOLD_RELEASED",
        "CUSTOMS_RELEASED",
    )


async def test_a_correctable_rejection_is_amended_and_accepted(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    export_id = await _executed(stack, world, "reject_correctable")
    auth = world.tenant.auth()
    await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    (request,) = await _requests(stack, world, export_id)
    assert request["kind"] == "REJECTION"
    assert request["fields"][0]["path"] == "lines[0].hsCode"
    answered = await _answer(stack, world, export_id, request["requestId"], "fix-1")
    assert answered["outcome"] == "amendment_sent"
    await wait_status(stack, auth, export_id, {"COMPLETED"})
    _once_each(
        await _events(pool, export_id),
        "BROKER_REJECTED",
        "BROKER_AMENDMENT_SENT",
        "CUSTOMS_RELEASED",
    )


async def test_a_final_rejection_ends_the_export(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await _world(stack, pool)
    export_id = await _executed(stack, world, "reject_final")
    view = await wait_status(stack, world.tenant.auth(), export_id, {"BROKER_REJECTED"})
    assert view["status"] == "BROKER_REJECTED"


async def test_a_silent_broker_gets_the_submission_once_more_then_attention(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(
        stack, pool, sla={"acknowledgeWithinSeconds": 1, "decideWithinSeconds": 600}
    )
    export_id = await _executed(stack, world, "silent")
    view = await wait_status(stack, world.tenant.auth(), export_id, {"ATTENTION_REQUIRED"})
    assert view["attention"]["step"] == "acknowledge"
    stats = await stack.broker_stats()
    (sub,) = [s for s in stats["submissions"].values() if s.get("scenario") == "silent"]
    # sent twice under the same key: the broker holds one submission
    assert sub["lastAmendment"] == 0


async def test_duplicates_out_of_order_are_applied_once_in_order(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await _world(stack, pool)
    export_id = await _executed(stack, world, "duplicate_out_of_order")
    await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})
    types = await _events(pool, export_id)
    _once_each(types, "BROKER_ACKNOWLEDGED", "ENTRY_FILED", "CUSTOMS_RELEASED")
    # a callback after the release contradicts it: refused with 409 and recorded
    async with pool.acquire() as conn:
        submission = await conn.fetchval(
            "SELECT id FROM broker_submissions WHERE export_id = $1", export_id
        )
    body = json.dumps(
        {
            "submissionId": submission,
            "sequence": 4,
            "type": "HOLD",
            "occurredAt": "2026-12-07T10:00:00Z",
            "holdId": "late",
            "agency": "CBP",
            "reason": "exam",
        }
    ).encode()
    r = await stack.api.post(
        f"/api/brokers/{world.broker_id}/callbacks",
        content=body,
        headers={
            SIGNATURE_HEADER: sign(BROKER_SECRET, body, int(time.time())),
            "content-type": "application/json",
        },
    )
    assert r.status_code == 409, r.text
    assert "BROKER_CALLBACK_REFUSED" in await _events(pool, export_id)


async def _record(stack: Stack, world: World, export_id: str, message: dict[str, Any]) -> Any:
    r = await stack.api.post(
        f"/api/exports/{export_id}/broker-messages",
        headers=world.tenant.auth("reviewer"),
        json=message,
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_an_email_broker_is_recorded_by_people_through_the_same_state_machine(
    stack: Stack, pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await stack.world(pool, transport="email")
    export_id = await _executed(stack, world, "accept")  # the scenario is for webhooks only
    auth = world.tenant.auth()
    await wait_status(stack, auth, export_id, {"EXECUTED"})
    asked = {
        "type": "INFO_REQUESTED",
        "requestId": "mail-1",
        "fields": [{"path": "lines[0].manufacturer.address", "reason": "street"}],
        "message": "The broker wrote: street address please.",
        "dueBy": "2027-01-05T10:00:00Z",
    }
    assert (await _record(stack, world, export_id, asked))["result"] == "applied"
    await wait_status(stack, auth, export_id, {"BROKER_ACTION_REQUIRED"})
    answered = await _answer(stack, world, export_id, "mail-1", "mail-answer-1")
    assert (answered["outcome"], answered["amendment"]) == ("amendment_sent", 1)
    subjects = [m["Subject"] for m in stack.mails()]
    assert any(s.startswith("Amendment 1:") for s in subjects), subjects
    # the rest with the CLI, as an operator would from the broker's email
    monkeypatch.setenv("DATABASE_URL", stack.env["DATABASE_URL"])
    monkeypatch.setenv("TEMPORAL_ADDRESS", stack.env["TEMPORAL_ADDRESS"])
    for message in (
        {"type": "ENTRY_FILED", "entryNumber": "MAIL-1234567-8", "entryType": "11"},
        {"type": "RELEASED"},
    ):
        result = output(
            await cli(
                "brokers",
                "record",
                export_id,
                "--account",
                world.tenant.account_id,
                "--json",
                json.dumps(message),
            )
        )
        assert result["result"] == "applied"
    view = await wait_status(stack, auth, export_id, {"COMPLETED"})
    assert view["broker"]["entryNumber"] == "MAIL-1234567-8"
    # anything after the release contradicts the final state
    r = await stack.api.post(
        f"/api/exports/{export_id}/broker-messages",
        headers=world.tenant.auth("reviewer"),
        json={"type": "HOLD", "holdId": "h", "agency": "CBP", "reason": "late"},
    )
    assert r.status_code == 409, r.text
