"""The review policy through the HTTP API with the real worker, database and Temporal:
who decided (key labels in approval and events), four eyes enforced by the workflow, and the
review deadline with its signed webhook."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from signing import SIGNATURE_HEADER, verify
from store.accounts import create_key, set_review_webhook
from store.products import upsert_products
from tests.support.exports_api import app_client, assert_error, inspect, plan, terminate
from tests.support.polling import eventually
from tests.support.tenants import GOOD_PRODUCT, World
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput

DANA = "Dana Diaz (reviewer)"
SAM = "Sam Second (reviewer)"
HOOK_SECRET = "review-hook-secret-0123456789"
RU_PRODUCT = {**GOOD_PRODUCT, "externalId": "SKU-RU", "countryOfOrigin": "RU"}


@dataclass
class Reviewers:
    """Two reviewer keys of the world's account, labelled."""

    dana: tuple[str, str]  # (key id, secret)
    sam: tuple[str, str]

    @staticmethod
    def auth(key: tuple[str, str]) -> dict[str, str]:
        return {"authorization": f"Bearer {key[1]}"}


@pytest.fixture
async def reviewers(pool: asyncpg.Pool, world: World) -> Reviewers:
    async with pool.acquire() as conn:
        dana, dana_secret = await create_key(
            conn, world.tenant.account_id, "rev-dana", ["reviewer"], label=DANA
        )
        sam, sam_secret = await create_key(
            conn, world.tenant.account_id, "rev-sam", ["reviewer"], label=SAM
        )
    return Reviewers((dana.id, dana_secret), (sam.id, sam_secret))


async def decide(
    http: httpx.AsyncClient,
    export_id: str,
    action: str,
    key: tuple[str, str],
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await http.post(
        f"/api/exports/{export_id}/{action}", json=body or {}, headers=Reviewers.auth(key)
    )


async def events_of(http: httpx.AsyncClient, world: World, export_id: str) -> list[dict[str, Any]]:
    r = await http.get(f"/api/exports/{export_id}/events", headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


async def planned_with(
    settings: Settings, world: World, http: httpx.AsyncClient, *skus: str
) -> dict[str, Any]:
    """Plan one order per sku through an app with these settings; the 201 body."""
    ids = await world.orders(http, *skus)
    async with app_client(settings) as client:
        r = await plan(client, world, ids)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def execute(http: httpx.AsyncClient, world: World, export_id: str) -> httpx.Response:
    body = {"accountId": world.tenant.account_id, "batchId": export_id}
    return await http.post("/api/exports/execute", json=body, headers=world.tenant.auth())


# ---- who decided --------------------------------------------------------------------------------


async def test_an_approval_records_the_keys_label_in_inspect_and_events(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    ids = await world.orders(http, "SKU-SCARF-8")
    r = await plan(http, world, ids)
    assert r.status_code == 201, r.text
    body = r.json()
    export_id = body["exportId"]
    try:
        view = (await inspect(http, world.tenant, export_id)).json()
        approval = view["approval"]
        assert approval["state"] == "PENDING"
        assert approval["approvalsRequired"] == 1
        assert approval["approvedBy"] == []
        assert approval["rejectedBy"] is None
        assert approval["policy"]["fourEyes"] is False
        assert approval["policy"]["reasons"] == []
        assert approval["policy"]["overdue"] is False
        assert approval["policy"]["reviewDeadline"] is not None
        r = await decide(
            http,
            export_id,
            "approve",
            reviewers.dana,
            {"planHash": body["planHash"], "comment": "ok"},
        )
        assert r.status_code == 200, r.text
        approval = r.json()["approval"]
        assert approval["state"] == "APPROVED"
        assert approval["reviewer"] == reviewers.dana[0]
        assert approval["label"] == DANA
        [approver] = approval["approvedBy"]
        assert approver["keyId"] == reviewers.dana[0]
        assert approver["label"] == DANA
        assert approver["comment"] == "ok"
        assert approver["at"]
        [event] = [
            e for e in await events_of(http, world, export_id) if e["type"] == "EXPORT_APPROVED"
        ]
        assert event["actor"] == reviewers.dana[0]
        assert event["data"]["keyId"] == reviewers.dana[0]
        assert event["data"]["label"] == DANA
        assert event["data"]["approvalState"] == "APPROVED"
        # the projection (what inspect shows when the workflow does not answer) agrees
        row = await pool.fetchval("SELECT approval FROM exports WHERE id = $1", export_id)
        assert row["approvedBy"] == approval["approvedBy"]
        assert row["state"] == "APPROVED"
    finally:
        await terminate(temporal_env, export_id)


async def test_a_rejection_and_a_cancel_record_who_decided(
    http: httpx.AsyncClient, worker: Any, world: World, reviewers: Reviewers, pool: asyncpg.Pool
) -> None:
    ids = await world.orders(http, "SKU-SCARF-8", "SKU-SCARF-8")
    rejected = await plan(http, world, ids[:1])
    cancelled = await plan(http, world, ids[1:])
    assert rejected.status_code == cancelled.status_code == 201
    export_id = rejected.json()["exportId"]
    r = await decide(http, export_id, "reject", reviewers.sam, {"reason": "wrong HTS"})
    assert r.status_code == 200, r.text
    approval = r.json()["approval"]
    assert approval["state"] == "REJECTED"
    rejected_by = approval["rejectedBy"]
    assert rejected_by["keyId"] == reviewers.sam[0]
    assert rejected_by["label"] == SAM
    assert rejected_by["reason"] == "wrong HTS"
    assert rejected_by["at"]
    # stored: the export is final, inspect reads the projection
    stored = (await inspect(http, world.tenant, export_id)).json()["approval"]
    assert stored["rejectedBy"] == rejected_by
    event = (await events_of(http, world, export_id))[-1]
    assert event["type"] == "EXPORT_REJECTED"
    assert event["actor"] == reviewers.sam[0]
    assert event["data"] == {"reason": "wrong HTS", "keyId": reviewers.sam[0], "label": SAM}

    export_id = cancelled.json()["exportId"]
    r = await decide(http, export_id, "cancel", reviewers.dana, {"reason": "not needed"})
    assert r.status_code == 200, r.text
    event = (await events_of(http, world, export_id))[-1]
    assert event["type"] == "EXPORT_CANCELLED"
    assert event["data"] == {"reason": "not needed", "keyId": reviewers.dana[0], "label": DANA}


async def test_a_retry_records_who_asked(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    # no SMTP server listens: the send fails until the (short) retry budget is spent
    body = await planned_with(
        settings.model_copy(update={"retry_budget_seconds": 1.0}), world, http, "SKU-SCARF"
    )
    export_id = body["exportId"]
    try:
        r = await execute(http, world, export_id)
        assert r.status_code in (200, 202), r.text

        async def attention() -> bool:
            view = (await inspect(http, world.tenant, export_id)).json()
            return bool(view["status"] == "ATTENTION_REQUIRED")

        await eventually(attention, attempts=600)
        r = await decide(http, export_id, "retry", reviewers.dana)
        assert r.status_code in (200, 202), r.text

        async def retried() -> list[dict[str, Any]]:
            events = await events_of(http, world, export_id)
            return [e for e in events if e["type"] == "RETRY_REQUESTED"]

        [event] = await eventually(retried)
        assert event["actor"] == reviewers.dana[0]
        assert event["data"] == {"keyId": reviewers.dana[0], "label": DANA}
    finally:
        await terminate(temporal_env, export_id)


# ---- four eyes ----------------------------------------------------------------------------------


async def test_four_eyes_above_the_value_threshold(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    settings: Settings,
    temporal_env: WorkflowEnvironment,
) -> None:
    # two review orders of 80 USD each: 160 USD, above a threshold of 100
    cheap = settings.model_copy(update={"review_two_keys_above_usd": 100.0})
    body = await planned_with(cheap, world, http, "SKU-SCARF-8", "SKU-SCARF-8")
    export_id, plan_hash = body["exportId"], body["planHash"]
    assert body["readinessState"] == "REVIEW_REQUIRED"
    try:
        approval = (await inspect(http, world.tenant, export_id)).json()["approval"]
        assert approval["state"] == "PENDING"
        assert approval["approvalsRequired"] == 2
        assert approval["policy"]["fourEyes"] is True
        assert approval["policy"]["reasons"] == ["VALUE_ABOVE_100_USD"]
        r = await execute(http, world, export_id)
        assert r.status_code == 202, r.text
        assert r.json()["status"] == "AWAITING_APPROVAL"

        first = {"planHash": plan_hash, "comment": "values checked"}
        r = await decide(http, export_id, "approve", reviewers.dana, first)
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["status"] == "AWAITING_APPROVAL"
        assert view["approval"]["state"] == "PARTIALLY_APPROVED"
        assert [a["keyId"] for a in view["approval"]["approvedBy"]] == [reviewers.dana[0]]
        assert view["customs_package_id"] is None

        # the same key again: refused by the service's check ...
        r = await decide(http, export_id, "approve", reviewers.dana, {"planHash": plan_hash})
        error = assert_error(r, 409, "INVALID_EXPORT_STATE")
        assert error["message"] == (
            "This key has already approved this plan; a second reviewer must approve."
        )
        assert [a["keyId"] for a in error["details"]["approvedBy"]] == [reviewers.dana[0]]
        assert error["details"]["approvedBy"][0]["label"] == DANA
        # ... and by the workflow's validator, for a caller that skips the service
        handle = temporal_env.client.get_workflow_handle(f"export-{export_id}")
        with pytest.raises(WorkflowUpdateFailedError) as exc:
            await handle.execute_update(
                ExportWorkflow.approve,
                ApproveInput(plan_hash=plan_hash, reviewer=reviewers.dana[0], label=DANA),
            )
        assert isinstance(exc.value.cause, ApplicationError)
        assert exc.value.cause.type == "INVALID_EXPORT_STATE"
        assert "second reviewer" in exc.value.cause.message
        still = (await inspect(http, world.tenant, export_id)).json()
        assert still["approval"]["state"] == "PARTIALLY_APPROVED"
        assert still["status"] == "AWAITING_APPROVAL"

        # a second, different key completes the approval, and execution proceeds
        r = await decide(http, export_id, "approve", reviewers.sam, {"planHash": plan_hash})
        assert r.status_code == 200, r.text
        approval = r.json()["approval"]
        assert approval["state"] == "APPROVED"
        assert [(a["keyId"], a["label"]) for a in approval["approvedBy"]] == [
            (reviewers.dana[0], DANA),
            (reviewers.sam[0], SAM),
        ]

        async def packaged() -> dict[str, Any] | None:
            view = (await inspect(http, world.tenant, export_id)).json()
            return view if view["customs_package_id"] else None

        view = await eventually(packaged, attempts=600)
        approvals = [e for e in view["events"] if e["type"] == "EXPORT_APPROVED"]
        assert [e["data"]["approvalState"] for e in approvals] == ["PARTIALLY_APPROVED", "APPROVED"]
        assert [e["data"]["label"] for e in approvals] == [DANA, SAM]
        assert [e["data"]["approvals"] for e in approvals] == [1, 2]
        planned = next(e for e in view["events"] if e["type"] == "EXPORT_PLANNED")
        assert planned["data"]["approvalsRequired"] == 2
    finally:
        await terminate(temporal_env, export_id)


async def test_a_sanctions_code_needs_two_keys_and_a_replan_resets_approvals(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    async with pool.acquire() as conn:
        [row] = await upsert_products(conn, world.tenant.account_id, [RU_PRODUCT])
    world.products["SKU-RU"] = row.id
    ids = await world.orders(http, "SKU-RU")
    r = await plan(http, world, ids)  # the default threshold: far above this order's value
    assert r.status_code == 201, r.text
    body = r.json()
    export_id = body["exportId"]
    assert body["readinessState"] == "REVIEW_REQUIRED"
    assert "S-004" in {m["ruleId"] for m in body["validationMessages"]}
    try:
        approval = (await inspect(http, world.tenant, export_id)).json()["approval"]
        assert approval["approvalsRequired"] == 2
        assert approval["policy"]["reasons"] == ["S-004"]
        r = await decide(http, export_id, "approve", reviewers.dana, {"planHash": body["planHash"]})
        assert r.json()["approval"]["state"] == "PARTIALLY_APPROVED"
        # a re-plan starts the review afresh
        r = await http.post(
            f"/api/exports/{export_id}/replan", json={}, headers=world.tenant.auth()
        )
        assert r.status_code == 200, r.text
        fresh = r.json()
        approval = (await inspect(http, world.tenant, export_id)).json()["approval"]
        assert approval["state"] == "PENDING"
        assert approval["approvedBy"] == []
        assert approval["approvalsRequired"] == 2
        # so Dana may approve the new plan, and Sam completes it
        for key, state in ((reviewers.dana, "PARTIALLY_APPROVED"), (reviewers.sam, "APPROVED")):
            r = await decide(http, export_id, "approve", key, {"planHash": fresh["planHash"]})
            assert r.status_code == 200, r.text
            assert r.json()["approval"]["state"] == state
    finally:
        await terminate(temporal_env, export_id)


async def test_a_review_under_the_threshold_needs_one_key(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    temporal_env: WorkflowEnvironment,
) -> None:
    ids = await world.orders(http, "SKU-SCARF-8", "SKU-SCARF")
    r = await plan(http, world, ids)
    body = r.json()
    export_id = body["exportId"]
    try:
        r = await execute(http, world, export_id)
        assert r.json()["status"] == "AWAITING_APPROVAL"
        approval = r.json()["approval"]
        assert approval["approvalsRequired"] == 1
        assert approval["policy"]["fourEyes"] is False
        r = await decide(http, export_id, "approve", reviewers.dana, {"planHash": body["planHash"]})
        assert r.status_code == 200, r.text
        assert r.json()["approval"]["state"] == "APPROVED"

        async def executing() -> bool:
            view = (await inspect(http, world.tenant, export_id)).json()
            return view["status"] not in ("PLANNED", "AWAITING_APPROVAL")

        await eventually(executing, attempts=600)
    finally:
        await terminate(temporal_env, export_id)


async def test_a_ready_plan_needs_no_approval(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    r = await plan(http, world, await world.orders(http, "SKU-SCARF"))
    export_id = r.json()["exportId"]
    approval = (await inspect(http, world.tenant, export_id)).json()["approval"]
    assert approval["state"] == "NOT_REQUIRED"
    assert approval["approvalsRequired"] == 0
    assert approval["policy"] == {
        "fourEyes": False,
        "reasons": [],
        "reviewDeadline": None,
        "overdue": False,
        "escalated": False,
    }
    r = await http.post(f"/api/exports/{export_id}/cancel", json={}, headers=world.tenant.auth())
    assert r.status_code == 200, r.text


# ---- the review deadline ------------------------------------------------------------------------


@dataclass
class Receiver:
    """A loopback HTTP server that keeps every request it gets and answers 200."""

    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.requests.append((headers, body))
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    got = Receiver()
    server = await asyncio.start_server(got.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    got.url = f"http://127.0.0.1:{port}/review-hook"
    async with server:
        yield got


async def test_an_overdue_review_is_recorded_once_and_the_webhook_told_once(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    async with receiver() as hook:
        async with pool.acquire() as conn:
            await set_review_webhook(conn, world.tenant.account_id, hook.url, HOOK_SECRET)
        short = settings.model_copy(update={"review_deadline_seconds": 2.0})
        body = await planned_with(short, world, http, "SKU-SCARF-8")
        export_id = body["exportId"]
        try:

            async def overdue() -> list[dict[str, Any]]:
                events = await events_of(http, world, export_id)
                return [e for e in events if e["type"] == "REVIEW_OVERDUE"]

            [event] = await eventually(overdue, attempts=400)
            await eventually(lambda: asyncio.sleep(0, result=bool(hook.requests)), attempts=400)
            await asyncio.sleep(1.5)  # nothing more comes
            assert len(await overdue()) == 1
            assert len(hook.requests) == 1
            headers, raw = hook.requests[0]
            verify(HOOK_SECRET, raw, headers[SIGNATURE_HEADER.lower()], int(time.time()))
            sent = json.loads(raw)
            assert sent == {
                "type": "REVIEW_OVERDUE",
                "exportId": export_id,
                "accountId": world.tenant.account_id,
                "planHash": body["planHash"],
                "waitingSince": event["data"]["waitingSince"],
                "deadline": event["data"]["deadline"],
            }
            assert headers["idempotency-key"].startswith(f"review-overdue-{export_id}-")
            assert event["actor"] == "system"
            assert event["data"]["planHash"] == body["planHash"]
            view = (await inspect(http, world.tenant, export_id)).json()
            assert view["approval"]["policy"]["overdue"] is True
            assert view["approval"]["policy"]["reviewDeadline"] is not None
            assert view["approval"]["state"] == "PENDING"
            assert view["status"] == "PLANNED"
        finally:
            await terminate(temporal_env, export_id)


async def test_approving_before_the_deadline_means_nothing_is_overdue(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    reviewers: Reviewers,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    async with receiver() as hook:
        async with pool.acquire() as conn:
            await set_review_webhook(conn, world.tenant.account_id, hook.url, HOOK_SECRET)
        short = settings.model_copy(update={"review_deadline_seconds": 2.0})
        body = await planned_with(short, world, http, "SKU-SCARF-8")
        export_id = body["exportId"]
        try:
            r = await decide(
                http, export_id, "approve", reviewers.dana, {"planHash": body["planHash"]}
            )
            assert r.status_code == 200, r.text
            await asyncio.sleep(3.0)
            types = [e["type"] for e in await events_of(http, world, export_id)]
            assert "EXPORT_APPROVED" in types
            assert "REVIEW_OVERDUE" not in types
            assert hook.requests == []
        finally:
            await terminate(temporal_env, export_id)
