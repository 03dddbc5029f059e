"""Review work over the HTTP API with the real worker, database and Temporal (docs/console.md
"A shared queue"): claim, release and assign with their refusals and roles, comments, changes
requested and the export going back to the reviewer who asked once a new plan arrives; every
change an export event (timeline, feed, webhooks); nothing written by a refused call; another
account's export is not found."""

from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from store.accounts import create_key
from tests.support.exports_api import assert_error, events_of, inspect, plan
from tests.support.tenants import Tenant, World

DANA = "Dana Diaz"
SAM = "Sam Second"
REVIEW_SKU = "SKU-SCARF-8"  # HS code too short: the plan needs review
WORK_EVENTS = {
    "REVIEW_CLAIMED",
    "REVIEW_RELEASED",
    "REVIEW_ASSIGNED",
    "COMMENT_ADDED",
    "CHANGES_REQUESTED",
}


@dataclass
class People:
    """Two labelled reviewers and a lead (a key with the reviewer and admin roles)."""

    dana: tuple[str, str]  # (key id, secret)
    sam: tuple[str, str]
    lead: tuple[str, str]

    @staticmethod
    def auth(key: tuple[str, str]) -> dict[str, str]:
        return {"authorization": f"Bearer {key[1]}"}


@pytest.fixture
async def people(pool: asyncpg.Pool, world: World) -> People:
    account = world.tenant.account_id
    async with pool.acquire() as conn:
        dana, dana_secret = await create_key(conn, account, "dana", ["reviewer"], label=DANA)
        sam, sam_secret = await create_key(conn, account, "sam", ["reviewer"], label=SAM)
        lead, lead_secret = await create_key(
            conn, account, "lead", ["reviewer", "admin"], label="Lee Lead"
        )
    return People((dana.id, dana_secret), (sam.id, sam_secret), (lead.id, lead_secret))


async def _review_export(http: httpx.AsyncClient, world: World) -> dict[str, Any]:
    r = await plan(http, world, await world.orders(http, REVIEW_SKU))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    assert body["readinessState"] == "REVIEW_REQUIRED"
    return body


async def _work(http: httpx.AsyncClient, world: World, export_id: str) -> list[dict[str, Any]]:
    return [e for e in await events_of(http, world, export_id) if e["type"] in WORK_EVENTS]


async def _post(
    http: httpx.AsyncClient, export_id: str, action: str, key: tuple[str, str], body: Any = None
) -> httpx.Response:
    return await http.post(
        f"/api/exports/{export_id}/{action}", json=body or {}, headers=People.auth(key)
    )


async def test_claim_release_and_assign_with_their_refusals(
    http: httpx.AsyncClient, worker: Any, world: World, people: People
) -> None:
    export_id = (await _review_export(http, world))["exportId"]
    r = await _post(http, export_id, "claim", people.dana)
    assert r.status_code == 200, r.text
    assert r.json()["holder"]["actor"] == people.dana[0]
    assert r.json()["holder"]["label"] == DANA
    # claiming one's own again changes nothing
    assert (await _post(http, export_id, "claim", people.dana)).json()["holder"]["actor"] == (
        people.dana[0]
    )
    [claimed] = await _work(http, world, export_id)
    assert (claimed["type"], claimed["actor"]) == ("REVIEW_CLAIMED", people.dana[0])
    assert (claimed["data"]["to"], claimed["data"]["label"]) == (people.dana[0], DANA)

    # someone else's claim, release or self-assignment: refused, nothing written
    held = assert_error(await _post(http, export_id, "claim", people.sam), 409, "REVIEW_HELD")
    assert held["message"].startswith(f"{DANA} holds this export")
    assert held["details"]["holder"]["actor"] == people.dana[0]
    body = assert_error(
        await _post(http, export_id, "release", people.sam), 403, "INSUFFICIENT_ROLE"
    )
    assert body["details"]["requiredRole"] == "admin"
    assign_sam = {"assignee": people.sam[0]}
    assert_error(await _post(http, export_id, "assign", people.sam, assign_sam), 409, "REVIEW_HELD")
    assert_error(
        await _post(http, export_id, "assign", people.dana, assign_sam), 403, "INSUFFICIENT_ROLE"
    )
    assert len(await _work(http, world, export_id)) == 1

    # a lead assigns over the hold
    r = await _post(http, export_id, "assign", people.lead, assign_sam)
    assert r.status_code == 200, r.text
    holder = r.json()["holder"]
    assert (holder["actor"], holder["label"], holder["assignedBy"]) == (
        people.sam[0],
        SAM,
        people.lead[0],
    )
    assigned = (await _work(http, world, export_id))[-1]
    assert assigned["type"] == "REVIEW_ASSIGNED"
    assert (assigned["data"]["from"], assigned["data"]["to"]) == (people.dana[0], people.sam[0])
    view = (await inspect(http, world.tenant, export_id)).json()
    assert view["holder"]["actor"] == people.sam[0]

    # the holder releases; then anyone may claim
    r = await _post(http, export_id, "release", people.sam)
    assert (r.status_code, r.json()["holder"]) == (200, None)
    assert (await _post(http, export_id, "claim", people.dana)).status_code == 200
    kinds = [e["type"] for e in await _work(http, world, export_id)]
    assert kinds == ["REVIEW_CLAIMED", "REVIEW_ASSIGNED", "REVIEW_RELEASED", "REVIEW_CLAIMED"]
    # a lead releases anyone's hold
    r = await _post(http, export_id, "release", people.lead)
    assert (r.status_code, r.json()["holder"]) == (200, None)


async def test_assign_only_to_a_reviewer_and_nothing_after_the_end(
    http: httpx.AsyncClient, worker: Any, world: World, people: People, pool: asyncpg.Pool
) -> None:
    export_id = (await _review_export(http, world))["exportId"]
    async with pool.acquire() as conn:
        integration, _ = await create_key(conn, world.tenant.account_id, "sync", ["integration"])
    for assignee in (integration.id, "key_nobody", ""):
        r = await _post(http, export_id, "assign", people.lead, {"assignee": assignee})
        assert_error(r, 400, "VALIDATION_ERROR")
    assert await _work(http, world, export_id) == []
    r = await _post(http, export_id, "reject", people.dana, {"reason": "wrong HS code"})
    assert r.status_code == 200, r.text
    assert_error(await _post(http, export_id, "claim", people.sam), 409, "INVALID_EXPORT_STATE")
    changes = {"reasonCodes": ["HS_CODE_INCOMPLETE"]}
    r = await _post(http, export_id, "request-changes", people.sam, changes)
    assert_error(r, 409, "INVALID_EXPORT_STATE")
    assert await _work(http, world, export_id) == []


async def test_comments_are_events_in_the_timeline_the_feed_and_webhooks(
    http: httpx.AsyncClient, worker: Any, world: World, people: People, pool: asyncpg.Pool
) -> None:
    r = await http.post(
        "/api/webhook-endpoints",
        headers=world.tenant.auth("admin"),
        json={"url": "http://127.0.0.1:9/hooks", "secret": "review-work-secret-0123456789"},
    )
    assert r.status_code == 201, r.text
    export_id = (await _review_export(http, world))["exportId"]
    for text in ("", "   ", "x" * 4001):
        r = await _post(http, export_id, "comments", people.dana, {"text": text})
        assert_error(r, 400, "VALIDATION_ERROR")
    assert await _work(http, world, export_id) == []
    said = {"text": "  The HS code needs ten digits.  ", "idempotencyKey": "comment-1"}
    r = await _post(http, export_id, "comments", people.dana, said)
    assert r.status_code == 201, r.text
    event = r.json()
    assert (event["type"], event["actor"]) == ("COMMENT_ADDED", people.dana[0])
    assert event["data"]["text"] == "The HS code needs ten digits."
    assert (event["data"]["by"], event["data"]["label"]) == (people.dana[0], DANA)
    # the same key again is the same comment
    again = await _post(http, export_id, "comments", people.dana, said)
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json()["id"] == event["id"]
    r = await _post(http, export_id, "comments", people.sam, {"text": "y" * 4000})
    assert r.status_code == 201, r.text
    comments = [e for e in await _work(http, world, export_id) if e["type"] == "COMMENT_ADDED"]
    assert len(comments) == 2
    feed = (await http.get("/api/events?limit=100", headers=world.tenant.auth())).json()["data"]
    assert event["id"] in {e["id"] for e in feed if e["type"] == "COMMENT_ADDED"}
    async with pool.acquire() as conn:
        deliveries = await conn.fetchval(
            "SELECT count(*) FROM webhook_deliveries WHERE event_id = $1", event["id"]
        )
    assert deliveries == 1


async def test_changes_requested_go_back_to_the_reviewer_with_the_new_plan(
    http: httpx.AsyncClient, worker: Any, world: World, people: People
) -> None:
    planned = await _review_export(http, world)
    export_id = planned["exportId"]
    for bad in ({"reasonCodes": []}, {"reasonCodes": ["lower_case"]}, {"comment": "no codes"}):
        r = await _post(http, export_id, "request-changes", people.dana, bad)
        assert_error(r, 400, "VALIDATION_ERROR")
    assert await _work(http, world, export_id) == []
    asked = {"reasonCodes": ["HS_CODE_INCOMPLETE", "HS_CODE_INCOMPLETE"], "comment": "Ten digits"}
    r = await _post(http, export_id, "request-changes", people.dana, asked)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert r.json()["type"] == "CHANGES_REQUESTED"
    assert data["reasonCodes"] == ["HS_CODE_INCOMPLETE"]
    assert (data["by"], data["planHash"], data["comment"]) == (
        people.dana[0],
        planned["planHash"],
        "Ten digits",
    )
    # the plan changes were asked of is not approved
    approve = {"planHash": planned["planHash"]}
    r = await http.post(
        f"/api/exports/{export_id}/approve", json=approve, headers=world.tenant.auth("reviewer")
    )
    assert_error(r, 409, "INVALID_EXPORT_STATE")
    assert r.json()["details"]["reasonCodes"] == ["HS_CODE_INCOMPLETE"]
    # Sam holds it meanwhile; a re-plan with the same data answers nothing
    assert (await _post(http, export_id, "claim", people.sam)).status_code == 200
    integration = world.tenant.auth("integration")
    r = await http.post(f"/api/exports/{export_id}/replan", json={}, headers=integration)
    assert r.status_code == 200, r.text
    assert r.json()["planHash"] == planned["planHash"]
    view = (await inspect(http, world.tenant, export_id)).json()
    assert view["holder"]["actor"] == people.sam[0]
    assert view["changesRequested"]["answeredPlanHash"] is None
    # a new plan goes back to Dana, who asked
    more = await world.orders(http, REVIEW_SKU)
    order_ids = [*planned["included_order_ids"], *more]
    r = await http.post(
        f"/api/exports/{export_id}/replan", json={"orderIds": order_ids}, headers=integration
    )
    assert r.status_code == 200, r.text
    new_hash = r.json()["planHash"]
    assert new_hash != planned["planHash"]
    view = (await inspect(http, world.tenant, export_id)).json()
    assert view["holder"]["actor"] == people.dana[0]
    assert view["changesRequested"]["answeredPlanHash"] == new_hash
    back = (await _work(http, world, export_id))[-1]
    assert back["type"] == "REVIEW_ASSIGNED"
    assert back["data"]["reason"] == "CHANGES_REQUESTED"
    assert (back["data"]["from"], back["data"]["to"]) == (people.sam[0], people.dana[0])
    assert (back["data"]["requestedPlanHash"], back["data"]["planHash"]) == (
        planned["planHash"],
        new_hash,
    )


ACTIONS = {
    "claim": {},
    "release": {},
    "assign": {"assignee": "key_x"},
    "comments": {"text": "hello"},
    "request-changes": {"reasonCodes": ["HS_CODE_INCOMPLETE"]},
}


async def test_roles_and_another_accounts_export(
    http: httpx.AsyncClient, worker: Any, world: World, other_tenant: Tenant
) -> None:
    export_id = (await _review_export(http, world))["exportId"]
    for action, body in ACTIONS.items():
        for role in ("integration", "admin"):
            r = await http.post(
                f"/api/exports/{export_id}/{action}", json=body, headers=world.tenant.auth(role)
            )
            error = assert_error(r, 403, "INSUFFICIENT_ROLE")
            assert error["details"]["requiredRole"] == "reviewer"
        r = await http.post(
            f"/api/exports/{export_id}/{action}", json=body, headers=other_tenant.auth("all")
        )
        assert_error(r, 404, "NOT_FOUND")
    assert await _work(http, world, export_id) == []
    view = (await inspect(http, world.tenant, export_id)).json()
    assert (view["holder"], view["changesRequested"]) == (None, None)
