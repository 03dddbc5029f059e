"""Exports through the HTTP API (CONTRACT §9, §3, §4, §12): the real app, worker and database."""

import asyncio
import re
import uuid
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from config.settings import Settings
from tests.support.exports_api import (
    app_client,
    assert_error,
    count_exports,
    count_workflows,
    events_of,
    execute,
    inspect,
    plan,
    planned,
    review,
    terminate,
)
from tests.support.polling import eventually
from tests.support.tenants import Tenant, World, make_world

PLAN_FIELDS = {
    "exportId",
    "batchId",
    "status",
    "readinessState",
    "planHash",
    "rulesetVersion",
    "included_order_ids",
    "excluded_order_ids",
    "decisions",
    "exportUnits",
    "validationMessages",
    "flags",
    "missing_data",
    "strategyHint",
    "next_recommended_action",
    "totals",
    "plannedAt",
}
INSPECT_FIELDS = {
    "exportId",
    "batchId",
    "accountId",
    "warehouseId",
    "brokerId",
    "destinationCountry",
    "status",
    "readinessState",
    "planHash",
    "plan",
    "approval",
    "customs_package_id",
    "customsPackage",
    "artifacts",
    "notifications",
    "brokerSubmission",
    "events",
    "workflow",
    "createdAt",
    "updatedAt",
}
PLAN_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$")


# ---- plan ---------------------------------------------------------------------------------------


async def test_plan_answers_201_with_the_documented_fields(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    ids = await world.orders(http, "SKU-SCARF", "SKU-NOHS")
    r = await plan(http, world, [*ids, "ord_not_synced"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body.keys() >= PLAN_FIELDS
    assert body["exportId"].startswith("exp_")
    assert body["exportId"] == body["batchId"]
    assert body["status"] == "PLANNED"
    assert body["readinessState"] == "READY"
    assert PLAN_HASH.match(body["planHash"])
    assert body["rulesetVersion"]
    assert body["included_order_ids"] == [ids[0]]
    assert sorted(body["excluded_order_ids"]) == sorted([ids[1], "ord_not_synced"])
    decisions = {d["orderId"]: d for d in body["decisions"]}
    assert set(decisions) == {*ids, "ord_not_synced"}
    assert decisions[ids[0]]["decision"] == "INCLUDED"
    assert decisions[ids[1]]["decision"] == "EXCLUDED"
    assert decisions[ids[1]]["reasonCodes"] == ["HTS_MISSING"]
    unit = body["exportUnits"][0]
    assert unit.keys() >= {"unitId", "orderIds", "entryType", "valueUsd", "weightKg"}
    assert unit["orderIds"] == [ids[0]]
    for message in body["validationMessages"]:
        assert message.keys() >= {"code", "severity", "ruleId", "message"}
        assert message["severity"] in ("ERROR", "WARNING", "INFO")
    for flag in body["flags"]:
        assert flag.keys() >= {"code", "message", "orderIds", "productIds"}
    assert body["missing_data"] == [
        {"orderId": ids[1], "productId": world.products["SKU-NOHS"], "field": "hsCode"}
    ]
    assert body["strategyHint"].keys() >= {"code", "reason", "entryTypeHints"}
    assert body["strategyHint"]["entryTypeHints"] == {ids[0]: "11"}
    assert body["next_recommended_action"] == "EXECUTE"
    assert body["totals"] == {
        "orders": 3,
        "includedOrders": 1,
        "lines": 1,
        "valueUsd": 80,
        "weightKg": 0.4,
    }
    assert RFC3339_UTC.match(body["plannedAt"])


async def test_dry_run_answers_200_and_persists_nothing(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool
) -> None:
    ids = await world.orders(http, "SKU-SCARF-8")
    r = await plan(http, world, ids, dryRun=True)
    assert r.status_code == 200, r.text
    dry = r.json()
    assert dry["exportId"] is None
    assert dry["batchId"] is None
    assert dry["readinessState"] == "REVIEW_REQUIRED"
    assert PLAN_HASH.match(dry["planHash"])
    assert await count_exports(pool, world.tenant.account_id) == 0
    listed = await http.get("/api/exports", headers=world.tenant.auth())
    assert listed.json()["data"] == []
    # the hash depends on the inputs only: the real plan of the same orders has the same one
    real = await plan(http, world, ids)
    assert real.status_code == 201
    assert real.json()["planHash"] == dry["planHash"]


async def test_unknown_and_foreign_orders_are_excluded_alike(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool, other_tenant: Tenant
) -> None:
    other = await make_world(pool, other_tenant)
    foreign = (await other.orders(http, "SKU-SCARF"))[0]
    own = await world.orders(http, "SKU-SCARF")
    unknown = "ord_01ZZZZZZZZZZZZZZZZZZZZZZZZ"
    r = await plan(http, world, [*own, foreign, unknown])
    assert r.status_code == 201, r.text
    body = r.json()
    decisions = {d["orderId"]: d for d in body["decisions"]}
    for order_id in (foreign, unknown):
        assert decisions[order_id] == {
            "orderId": order_id,
            "decision": "EXCLUDED",
            "reasonCodes": ["ORDER_NOT_SYNCED"],
        }
        assert order_id in body["excluded_order_ids"]
    # no hint that one of them exists elsewhere: their messages differ only by the order id

    def about(order_id: str) -> list[dict[str, Any]]:
        return [
            {**m, "orderId": None} for m in body["validationMessages"] if m["orderId"] == order_id
        ]

    assert about(foreign) == about(unknown)
    assert [m["code"] for m in about(foreign)] == ["ORDER_NOT_SYNCED"]
    assert body["included_order_ids"] == own


@pytest.mark.parametrize("field", ["warehouseId", "brokerId"])
async def test_foreign_warehouse_or_broker_is_out_of_scope(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    pool: asyncpg.Pool,
    other_tenant: Tenant,
    field: str,
) -> None:
    other = await make_world(pool, other_tenant)
    ids = await world.orders(http, "SKU-SCARF")
    foreign = other.warehouse_id if field == "warehouseId" else other.broker_id
    r = await plan(http, world, ids, **{field: foreign})
    body = assert_error(r, 403, "INVALID_ACCOUNT_SCOPE")
    assert body["field"] == field
    # an id that exists nowhere is answered the same way
    r = await plan(http, world, ids, **{field: "wh_01ZZZZZZZZZZZZZZZZZZZZZZZZ"})
    assert assert_error(r, 403, "INVALID_ACCOUNT_SCOPE")["field"] == field
    assert await count_exports(pool, world.tenant.account_id) == 0


async def test_body_account_of_another_account_is_forbidden(
    http: httpx.AsyncClient, worker: Any, world: World, other_tenant: Tenant, pool: asyncpg.Pool
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    r = await plan(http, world, ids, accountId=other_tenant.account_id)
    assert assert_error(r, 403, "INVALID_ACCOUNT_SCOPE")["field"] == "accountId"
    assert await count_exports(pool, world.tenant.account_id) == 0


async def test_a_reviewer_cannot_plan(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    r = await plan(http, world, ids, role="reviewer")
    assert assert_error(r, 403, "INSUFFICIENT_ROLE")["details"]["requiredRole"] == "integration"
    assert await count_exports(pool, world.tenant.account_id) == 0


async def test_an_integration_key_cannot_approve(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    r = await http.post(
        f"/api/exports/{body['exportId']}/approve",
        json={"planHash": body["planHash"]},
        headers=world.tenant.auth("integration"),
    )
    assert assert_error(r, 403, "INSUFFICIENT_ROLE")["details"]["requiredRole"] == "reviewer"
    approval = (await inspect(http, world.tenant, body["exportId"])).json()["approval"]
    assert approval["state"] == "PENDING"
    assert approval["approvedBy"] == []


# ---- inspect, list, events ----------------------------------------------------------------------


async def test_inspect_has_the_documented_fields(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    r = await inspect(http, world.tenant, body["exportId"])
    assert r.status_code == 200, r.text
    view = r.json()
    assert view.keys() >= INSPECT_FIELDS
    assert view["exportId"] == view["batchId"] == body["exportId"]
    assert view["accountId"] == world.tenant.account_id
    assert view["warehouseId"] == world.warehouse_id
    assert view["brokerId"] == world.broker_id
    assert view["destinationCountry"] == "US"
    assert view["status"] == "PLANNED"
    assert view["readinessState"] == "REVIEW_REQUIRED"
    assert view["planHash"] == body["planHash"]
    assert view["plan"] == body
    assert view["approval"]["state"] == "PENDING"
    assert view["customs_package_id"] is None
    assert view["customsPackage"] is None
    assert view["artifacts"] == []
    assert view["notifications"] == []
    assert view["brokerSubmission"] is None
    assert [e["type"] for e in view["events"]] == ["EXPORT_PLANNED", "EXPORT_BATCH_CREATED"]
    for event in view["events"]:
        assert event.keys() >= {"id", "seq", "type", "occurredAt", "actor", "data"}
        assert event["id"].startswith("evt_")
    assert view["workflow"]["id"] == f"export-{body['exportId']}"
    # answered from the projection: the workflow was not asked
    assert view["workflow"]["running"] is None
    assert view["workflow"]["live"] is False
    assert view["workflow"]["pendingActivities"] == []
    r = await http.get(
        f"/api/exports/{body['exportId']}",
        params={"live": "true"},
        headers=world.tenant.auth("reviewer"),
    )
    assert r.json()["workflow"]["running"] is True
    assert r.json()["workflow"]["pendingActivities"] == []
    assert RFC3339_UTC.match(view["createdAt"])
    assert RFC3339_UTC.match(view["updatedAt"])


async def test_inspect_of_another_accounts_export_is_not_found(
    http: httpx.AsyncClient, worker: Any, world: World, other_tenant: Tenant
) -> None:
    body = await planned(http, world, "SKU-SCARF")
    r = await inspect(http, other_tenant, body["exportId"])
    assert assert_error(r, 404, "NOT_FOUND")["details"]["resource"] == "export"
    unknown = await inspect(http, other_tenant, "exp_01ZZZZZZZZZZZZZZZZZZZZZZZZ")
    assert unknown.json() == r.json()
    events = await http.get(f"/api/exports/{body['exportId']}/events", headers=other_tenant.auth())
    assert_error(events, 404, "NOT_FOUND")


async def test_list_filters_by_status_and_readiness_and_pages_with_a_cursor(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    ready = await planned(http, world, "SKU-SCARF")
    to_review = await planned(http, world, "SKU-SCARF-8")
    blocked = await planned(http, world, "SKU-NOHS")
    headers = world.tenant.auth("reviewer")

    async def ids(query: str) -> tuple[list[str], str | None]:
        r = await http.get(f"/api/exports{query}", headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        return [e["exportId"] for e in page["data"]], page["nextCursor"]

    assert await ids("") == (
        [ready["exportId"], to_review["exportId"], blocked["exportId"]],
        None,
    )
    assert await ids("?readinessState=REVIEW_REQUIRED") == ([to_review["exportId"]], None)
    assert await ids("?status=BLOCKED") == ([blocked["exportId"]], None)
    assert await ids("?status=PLANNED&readinessState=READY") == ([ready["exportId"]], None)
    assert await ids("?status=CANCELLED") == ([], None)
    first, cursor = await ids("?limit=2")
    assert first == [ready["exportId"], to_review["exportId"]]
    assert cursor is not None
    assert await ids(f"?limit=2&cursor={cursor}") == ([blocked["exportId"]], None)
    r = await http.get("/api/exports?limit=1", headers=headers)
    item = r.json()["data"][0]
    assert item["batchId"] == item["exportId"] == ready["exportId"]
    assert item["planHash"] == ready["planHash"]


async def test_list_is_in_creation_order_with_keyed_and_unkeyed_plans_mixed(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    order_id = (await world.orders(http, "SKU-SCARF"))[0]
    made = []
    for n in range(8):
        # keyed plans get ids derived from the key: they sort anywhere among the others
        keyed = {"idempotency-key": f"plan-order-{uuid.uuid4().hex}-{n}"} if n % 2 else None
        r = await plan(http, world, [order_id], headers=keyed)
        assert r.status_code == 201, r.text
        made.append(r.json()["exportId"])
    assert made != sorted(made)  # the test means something only if ids alone mis-order them
    headers = world.tenant.auth("reviewer")

    async def pages(limit: int, during: Any = None) -> list[str]:
        seen: list[str] = []
        cursor = None
        while True:
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            r = await http.get(f"/api/exports{query}", headers=headers)
            assert r.status_code == 200, r.text
            seen += [e["exportId"] for e in r.json()["data"]]
            cursor = r.json()["nextCursor"]
            if during is not None:
                await during()
            if cursor is None:
                return seen

    assert await pages(50) == made
    assert await pages(3) == made

    inserted: list[str] = []
    running: list[asyncio.Task[None]] = []

    async def plan_more() -> None:
        r = await plan(http, world, [order_id], headers={"idempotency-key": uuid.uuid4().hex})
        assert r.status_code == 201, r.text
        inserted.append(r.json()["exportId"])

    async def start_planning() -> None:
        running.append(asyncio.create_task(plan_more()))

    # plans made while a client pages: nothing repeats, nothing that was there is skipped or
    # moved, and whatever new ones it sees come after all the old ones
    seen = await pages(2, during=start_planning)
    await asyncio.gather(*running)
    assert seen[: len(made)] == made
    assert set(seen[len(made) :]) <= set(inserted)
    assert len(set(seen)) == len(seen)
    everything = await pages(50)
    assert everything[: len(made)] == made
    assert sorted(everything[len(made) :]) == sorted(inserted)


async def test_list_refuses_a_cursor_it_did_not_give(http: httpx.AsyncClient, world: World) -> None:
    for cursor in ("exp_01ZZZZZZZZZZZZZZZZZZZZZZZZ", "12.exp_short", "1" * 17 + ".x", "a+b"):
        r = await http.get(f"/api/exports?cursor={cursor}", headers=world.tenant.auth())
        body = assert_error(r, 400, "VALIDATION_ERROR")
        assert body["field"] == "cursor"


async def test_a_formal_plan_asks_for_the_brokers_customs_bond(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    # 40 USD x 2 per order line; 40 lines make one order of 3,200 USD: a formal entry
    r = await http.post(
        "/api/orders/sync",
        json={
            "accountId": world.tenant.account_id,
            "items": [
                {
                    "externalId": f"formal-{uuid.uuid4().hex[:8]}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": "Ada Buyer", "address": "1 Main St, New York"},
                    "items": [{"productId": world.products["SKU-SCARF"], "quantity": 80}],
                }
            ],
        },
        headers=world.tenant.auth(),
    )
    assert r.status_code == 200, r.text
    order_id = r.json()["data"][0]["id"]
    unbonded = await plan(http, world, [order_id])
    assert unbonded.status_code == 201, unbonded.text
    assert "BOND_NOT_ON_FILE" in {m["code"] for m in unbonded.json()["validationMessages"]}
    assert unbonded.json()["readinessState"] == "REVIEW_REQUIRED"
    r = await http.patch(
        f"/api/brokers/{world.broker_id}",
        json={"customsBond": {"type": "CONTINUOUS"}},
        headers=world.tenant.auth("admin"),
    )
    assert r.status_code == 200, r.text
    bonded = await plan(http, world, [order_id])
    assert "BOND_NOT_ON_FILE" not in {m["code"] for m in bonded.json()["validationMessages"]}
    assert bonded.json()["readinessState"] == "READY", bonded.json()["validationMessages"]
    assert bonded.json()["planHash"] != unbonded.json()["planHash"]


async def test_events_after_a_seq(http: httpx.AsyncClient, worker: Any, world: World) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    export_id = body["exportId"]
    r = await execute(http, world, export_id)
    assert r.status_code == 202, r.text
    headers = world.tenant.auth()
    everything = await events_of(http, world, export_id)
    assert [e["type"] for e in everything] == [
        "EXPORT_PLANNED",
        "EXPORT_BATCH_CREATED",
        "EXECUTION_REQUESTED",
        "REVIEW_REQUESTED",
    ]
    r = await http.get(f"/api/exports/{export_id}/events?after=2", headers=headers)
    assert r.status_code == 200
    assert [e["seq"] for e in r.json()["data"]] == [3, 4]
    assert r.json()["data"] == everything[2:]
    r = await http.get(f"/api/exports/{export_id}/events?after=1&limit=2", headers=headers)
    page = r.json()
    assert [e["seq"] for e in page["data"]] == [2, 3]
    assert page["nextAfter"] == 3
    r = await http.get(f"/api/exports/{export_id}/events?after=4", headers=headers)
    assert r.json() == {"data": [], "nextAfter": None}


# ---- review -------------------------------------------------------------------------------------


async def test_approve_with_the_wrong_hash_is_a_conflict(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    r = await review(http, world, body["exportId"], "approve", {"planHash": "sha256:" + "a" * 64})
    error = assert_error(r, 409, "PLAN_HASH_MISMATCH")
    assert error["details"]["currentPlanHash"] == body["planHash"]
    view = (await inspect(http, world.tenant, body["exportId"])).json()
    assert view["approval"]["state"] == "PENDING"
    assert view["approval"]["approvedBy"] == []
    assert "EXPORT_APPROVED" not in [e["type"] for e in view["events"]]


async def test_approve_on_a_ready_plan_is_an_invalid_state(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    body = await planned(http, world, "SKU-SCARF")
    r = await review(http, world, body["exportId"], "approve", {"planHash": body["planHash"]})
    assert assert_error(r, 409, "INVALID_EXPORT_STATE")["details"]["status"] == "PLANNED"


async def test_reject_then_execute_is_an_invalid_state(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    export_id = body["exportId"]
    r = await review(http, world, export_id, "reject", {"reason": "HTS code is incomplete"})
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "REJECTED"
    assert view["approval"]["state"] == "REJECTED"
    assert view["approval"]["comment"] == "HTS code is incomplete"
    rejected = [e for e in view["events"] if e["type"] == "EXPORT_REJECTED"]
    assert rejected[0]["data"]["reason"] == "HTS code is incomplete"
    r = await execute(http, world, export_id)
    assert assert_error(r, 409, "INVALID_EXPORT_STATE")["details"]["status"] == "REJECTED"
    handle = temporal_env.client.get_workflow_handle(f"export-{export_id}")
    assert await handle.result() == "REJECTED"
    assert (await inspect(http, world.tenant, export_id)).json()["workflow"]["running"] is False


async def test_cancel_before_execution(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    body = await planned(http, world, "SKU-SCARF")
    r = await review(http, world, body["exportId"], "cancel")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "CANCELLED"
    assert r.json()["events"][-1]["type"] == "EXPORT_CANCELLED"
    handle = temporal_env.client.get_workflow_handle(f"export-{body['exportId']}")
    assert await handle.result() == "CANCELLED"
    again = await review(http, world, body["exportId"], "cancel")
    assert assert_error(again, 409, "INVALID_EXPORT_STATE")["details"]["status"] == "CANCELLED"


async def test_replan_through_plan_with_batch_id(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    first_ids = await world.orders(http, "SKU-SCARF")
    r = await plan(http, world, first_ids)
    assert r.status_code == 201
    first = r.json()
    more = await world.orders(http, "SKU-SCARF-8")
    r = await plan(http, world, [*first_ids, *more], batchId=first["exportId"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["exportId"] == first["exportId"]
    assert second["planHash"] != first["planHash"]
    assert second["readinessState"] == "REVIEW_REQUIRED"
    assert sorted(second["included_order_ids"]) == sorted([*first_ids, *more])
    view = (await inspect(http, world.tenant, first["exportId"])).json()
    assert view["planHash"] == second["planHash"]
    assert view["approval"]["state"] == "PENDING"
    assert view["approval"]["approvedBy"] == []
    replanned = [e for e in view["events"] if e["type"] == "EXPORT_REPLANNED"]
    assert len(replanned) == 1
    assert replanned[0]["data"]["previousPlanHash"] == first["planHash"]
    assert replanned[0]["data"]["planHash"] == second["planHash"]


async def test_replan_route_with_a_changed_order_set(
    http: httpx.AsyncClient, worker: Any, world: World
) -> None:
    first = await planned(http, world, "SKU-SCARF-8")
    other = await world.orders(http, "SKU-SCARF")
    r = await http.post(
        f"/api/exports/{first['exportId']}/replan",
        json={"orderIds": other},
        headers=world.tenant.auth("integration"),
    )
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["exportId"] == first["exportId"]
    assert second["planHash"] != first["planHash"]
    assert second["readinessState"] == "READY"
    assert second["included_order_ids"] == other
    events = await events_of(http, world, first["exportId"])
    assert [e["type"] for e in events] == [
        "EXPORT_PLANNED",
        "EXPORT_BATCH_CREATED",
        "EXPORT_REPLANNED",
    ]
    view = (await inspect(http, world.tenant, first["exportId"])).json()
    assert view["approval"]["state"] == "NOT_REQUIRED"
    assert view["plan"]["included_order_ids"] == other


# ---- execute ------------------------------------------------------------------------------------


async def test_execute_on_a_blocked_plan_is_refused_and_nothing_happens(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    body = await planned(http, world, "SKU-NOHS")
    assert body["readinessState"] == "BLOCKED"
    before = (await inspect(http, world.tenant, body["exportId"])).json()
    r = await execute(http, world, body["exportId"], key=f"exec-{uuid.uuid4()}")
    error = assert_error(r, 409, "EXPORT_BLOCKED")
    assert error["details"]["readinessState"] == "BLOCKED"
    assert error["details"]["validationMessages"] == body["validationMessages"]
    after = (await inspect(http, world.tenant, body["exportId"])).json()
    assert after["status"] == "BLOCKED"
    assert after["events"] == before["events"]
    assert after["customs_package_id"] is None
    state = await temporal_env.client.get_workflow_handle(f"export-{body['exportId']}").query(
        "state"
    )
    assert state["executionRequested"] is False


async def test_execute_on_review_required_awaits_approval_then_runs(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    export_id = body["exportId"]
    r = await execute(http, world, export_id)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "AWAITING_APPROVAL"
    assert r.json()["customs_package_id"] is None
    r = await review(
        http, world, export_id, "approve", {"planHash": body["planHash"], "comment": "ok"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["approval"]["state"] == "APPROVED"
    assert r.json()["approval"]["planHash"] == body["planHash"]
    try:

        async def packaged() -> dict[str, Any] | None:
            view = (await inspect(http, world.tenant, export_id)).json()
            return view if view["customs_package_id"] and len(view["artifacts"]) == 6 else None

        view = await eventually(packaged, attempts=600)
        types = [e["type"] for e in view["events"]]
        assert types.index("EXPORT_APPROVED") < types.index("CUSTOMS_PACKAGE_GENERATED")
    finally:
        await terminate(temporal_env, export_id)


async def test_an_expired_plan_cannot_be_executed(
    http: httpx.AsyncClient, worker: Any, world: World, settings: Settings
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    async with app_client(settings.model_copy(update={"plan_ttl_seconds": 1.0})) as client:
        r = await plan(client, world, ids)
        assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]

    async def expired() -> dict[str, Any] | None:
        view = (await inspect(http, world.tenant, export_id)).json()
        return view if view["status"] == "EXPIRED" else None

    view = await eventually(expired)
    assert view["events"][-1]["type"] == "EXPORT_EXPIRED"
    r = await execute(http, world, export_id)
    assert assert_error(r, 409, "INVALID_EXPORT_STATE")["details"]["status"] == "EXPIRED"


# ---- idempotency and availability ---------------------------------------------------------------


async def test_a_retried_plan_is_replayed_and_starts_one_workflow(
    http: httpx.AsyncClient,
    worker: Any,
    world: World,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    first = await plan(http, world, ids, headers=key)
    assert first.status_code == 201, first.text
    second = await plan(http, world, ids, headers=key)
    assert second.status_code == 201
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    export_id = first.json()["exportId"]
    assert await count_exports(pool, world.tenant.account_id) == 1
    assert await count_workflows(temporal_env, f"export-{export_id}") == 1


async def test_one_key_on_two_different_plans_is_a_conflict(
    http: httpx.AsyncClient, worker: Any, world: World, pool: asyncpg.Pool
) -> None:
    ids = await world.orders(http, "SKU-SCARF", "SKU-SCARF-8")
    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    assert (await plan(http, world, ids[:1], headers=key)).status_code == 201
    r = await plan(http, world, ids[1:], headers=key)
    assert_error(r, 409, "IDEMPOTENCY_CONFLICT")
    assert await count_exports(pool, world.tenant.account_id) == 1


async def test_without_a_worker_plan_answers_503_and_does_not_hang(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    nobody = settings.model_copy(
        update={
            "task_queue": f"nobody-polls-{uuid.uuid4().hex[:8]}",
            "temporal_call_timeout_seconds": 1.0,
        }
    )
    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    async with app_client(nobody) as client, asyncio.timeout(30):
        r = await plan(client, world, ids, headers=key)
        error = assert_error(r, 503, "SERVICE_UNAVAILABLE")
        assert r.headers["Retry-After"]
        assert error["message"]
        assert await count_exports(pool, world.tenant.account_id) == 0
        # once a worker polls the queue, the same request is answered by one export (the run the
        # 503 left behind, or a fresh run of the same workflow id if that one was stopped)
        from activities import build_activities
        from entrygo.worker import build_worker

        w = build_worker(temporal_env.client, nobody.task_queue, build_activities(pool, nobody))
        async with w:
            retried = await plan(client, world, ids, headers=key)
            assert retried.status_code in (200, 201), retried.text
            export_id = retried.json()["exportId"]
            assert await count_exports(pool, world.tenant.account_id) == 1
            assert await count_workflows(temporal_env, f"export-{export_id}", running=True) == 1
            await terminate(temporal_env, export_id)


async def test_event_seqs_are_gapless(
    http: httpx.AsyncClient, worker: Any, world: World, temporal_env: WorkflowEnvironment
) -> None:
    body = await planned(http, world, "SKU-SCARF-8")
    export_id = body["exportId"]
    other = await world.orders(http, "SKU-SCARF-8")
    r = await http.post(
        f"/api/exports/{export_id}/replan",
        json={"orderIds": other},
        headers=world.tenant.auth("integration"),
    )
    assert r.status_code == 200, r.text
    assert (await execute(http, world, export_id)).status_code == 202
    r = await review(http, world, export_id, "reject", {"reason": "no"})
    assert r.status_code == 200, r.text
    assert await temporal_env.client.get_workflow_handle(f"export-{export_id}").result() == (
        "REJECTED"
    )
    events = await events_of(http, world, export_id)
    assert [e["type"] for e in events] == [
        "EXPORT_PLANNED",
        "EXPORT_BATCH_CREATED",
        "EXPORT_REPLANNED",
        "EXECUTION_REQUESTED",
        "REVIEW_REQUESTED",
        "EXPORT_REJECTED",
    ]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)


async def test_a_fixed_request_may_reuse_the_key_of_a_503(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    wrong = await world.orders(http, "SKU-SCARF")
    fixed = await world.orders(http, "SKU-SCARF-8")
    nobody = settings.model_copy(
        update={"task_queue": f"late-{uuid.uuid4().hex[:8]}", "temporal_call_timeout_seconds": 1.0}
    )
    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    from activities import build_activities
    from entrygo.worker import build_worker

    async with app_client(nobody) as client, asyncio.timeout(30):
        assert_error(await plan(client, world, wrong, headers=key), 503, "SERVICE_UNAVAILABLE")
        w = build_worker(temporal_env.client, nobody.task_queue, build_activities(pool, nobody))
        async with w:
            r = await plan(client, world, fixed, headers=key)
            export_id = r.json().get("exportId")
            try:
                assert r.status_code == 201, r.text
                assert [d["orderId"] for d in r.json()["decisions"]] == fixed
            finally:
                if export_id:
                    await terminate(temporal_env, export_id)


async def test_a_plan_answered_503_leaves_no_export_behind(
    http: httpx.AsyncClient,
    world: World,
    settings: Settings,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
) -> None:
    ids = await world.orders(http, "SKU-SCARF")
    queue = f"late-{uuid.uuid4().hex[:8]}"
    nobody = settings.model_copy(update={"task_queue": queue, "temporal_call_timeout_seconds": 1.0})
    from activities import build_activities
    from entrygo.worker import build_worker

    async with app_client(nobody) as client, asyncio.timeout(30):
        assert_error(await plan(client, world, ids), 503, "SERVICE_UNAVAILABLE")

    async def started() -> list[Any]:
        return [w async for w in temporal_env.client.list_workflows(f'TaskQueue = "{queue}"')]

    [execution] = await eventually(started)
    handle = temporal_env.client.get_workflow_handle(execution.id)
    w = build_worker(temporal_env.client, queue, build_activities(pool, nobody))
    async with w:

        async def settled() -> bool:
            if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
                return True
            state = await handle.query("state")
            return state["status"] is not None

        try:
            await eventually(settled)
            assert await count_exports(pool, world.tenant.account_id) == 0
        finally:
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate("test done")


async def test_a_plan_abandoned_after_it_was_persisted_plans_afresh_on_retry(
    http: httpx.AsyncClient,
    world: World,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
    worker: Any,
) -> None:
    """The plan was written but its answer timed out: the API abandons it; the retry must work."""
    from services.exports.planning import abandon
    from store import exports

    ids = await world.orders(http, "SKU-SCARF")
    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    first = await plan(http, world, ids, headers=key)
    assert first.status_code == 201, first.text
    export_id = first.json()["exportId"]
    # what the API does when update-with-start times out after the plan was persisted
    async with pool.acquire() as conn:
        await conn.execute(
            "DELETE FROM idempotency_keys WHERE account_id = $1", world.tenant.account_id
        )
    await abandon(pool, temporal_env.client, export_id)
    assert await count_exports(pool, world.tenant.account_id) == 0
    retried = await plan(http, world, ids, headers=key)
    assert retried.status_code == 201, retried.text
    assert retried.json()["exportId"] == export_id
    r = await http.post(
        "/api/exports/execute",
        json={"accountId": world.tenant.account_id, "batchId": export_id},
        headers=world.tenant.auth(),
    )
    assert r.status_code in (200, 202), r.text
    async with pool.acquire() as conn:
        row = await exports.get_export(conn, world.tenant.account_id, export_id)
    assert row.status in ("EXECUTING", "EXECUTED", "COMPLETED"), row.status


async def test_execute_refuses_a_plan_whose_data_changed_until_re_planned(
    http: httpx.AsyncClient, world: World, pool: asyncpg.Pool, worker: Any
) -> None:
    from tests.support.tenants import GOOD_PRODUCT

    ids = await world.orders(http, "SKU-SCARF")
    first = await plan(http, world, ids)
    assert first.status_code == 201
    export_id = first.json()["exportId"]
    changed = {**GOOD_PRODUCT, "countryOfOrigin": "CN"}
    r = await http.post(
        "/api/products/sync",
        json={"accountId": world.tenant.account_id, "items": [changed]},
        headers=world.tenant.auth(),
    )
    assert r.status_code == 200
    execute = {"accountId": world.tenant.account_id, "batchId": export_id}
    r = await http.post("/api/exports/execute", json=execute, headers=world.tenant.auth())
    error = assert_error(r, 409, "INVALID_EXPORT_STATE")
    assert error["details"]["reason"] == "PLAN_OUTDATED"
    assert error["details"]["planHash"] == first.json()["planHash"]
    async with pool.acquire() as conn:
        packages = await conn.fetchval(
            "SELECT count(*) FROM customs_packages WHERE export_id = $1", export_id
        )
    assert packages == 0
    r = await http.post(f"/api/exports/{export_id}/replan", json={}, headers=world.tenant.auth())
    assert r.status_code == 200, r.text
    assert r.json()["planHash"] != first.json()["planHash"]
    assert "TARIFF_301_CHINA" in {f["code"] for f in r.json()["flags"]}
    r = await http.post("/api/exports/execute", json=execute, headers=world.tenant.auth())
    assert r.status_code in (200, 202), r.text


async def test_abandoning_never_stops_an_export_that_existed_before_the_request(
    http: httpx.AsyncClient,
    world: World,
    pool: asyncpg.Pool,
    temporal_env: WorkflowEnvironment,
    worker: Any,
) -> None:
    from services.exports.planning import abandon

    ids = await world.orders(http, "SKU-SCARF")
    first = await plan(http, world, ids)
    assert first.status_code == 201
    export_id = first.json()["exportId"]
    async with pool.acquire() as conn:
        later = await conn.fetchval("SELECT clock_timestamp()")
    await abandon(pool, temporal_env.client, export_id, later)
    assert await count_exports(pool, world.tenant.account_id) == 1
    described = await temporal_env.client.get_workflow_handle(f"export-{export_id}").describe()
    assert described.status == WorkflowExecutionStatus.RUNNING
