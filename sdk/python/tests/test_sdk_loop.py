"""`run_export` against a loopback server that plays a small EntryGo: its keys derive from its
inputs; the policy decides; BLOCKED is never executed; a rerun after a crash finds the same
export. (The same loop against the real stack: tests/sdk/.)"""

import json
import threading
from typing import Any

import pytest
from entrygo_client import AsyncEntryGo, EntryGo, EntryGoError, Policy, WaitTimeout, run_keys
from sdk_loopback import DROP, Sleeps

ORDERS = [
    {"externalId": "A-1", "destinationCountry": "US", "items": [{"productId": "p", "quantity": 1}]}
]


def test_run_keys_are_deterministic_and_follow_every_input() -> None:
    one = run_keys("acc", "wh", "br", ORDERS)
    assert one == run_keys("acc", "wh", "br", json.loads(json.dumps(ORDERS)))
    reordered = [{k: ORDERS[0][k] for k in reversed(list(ORDERS[0]))}]
    assert one == run_keys("acc", "wh", "br", reordered)  # key order inside dicts is irrelevant
    assert len(set(one.values())) == 4  # one per step
    assert all(len(k) < 100 and k.isascii() and " " not in k for k in one.values())
    for other in (
        run_keys("acc2", "wh", "br", ORDERS),
        run_keys("acc", "wh2", "br", ORDERS),
        run_keys("acc", "wh", "br2", ORDERS),
        run_keys("acc", "wh", "br", [{**ORDERS[0], "externalId": "A-2"}]),
        run_keys("acc", "wh", "br", ORDERS, [{"externalId": "SKU"}]),
    ):
        assert not set(other.values()) & set(one.values())


class FakeEntryGo:
    """Just enough of the API for the loop: it stores answers per idempotency key (as the real
    one does) and moves an executed export to EXECUTED after a few polls."""

    def __init__(self, readiness: str, *, drop_first_plan: bool = False) -> None:
        self.readiness = readiness
        self.replays: dict[str, Any] = {}
        self.exports: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []
        self.drop_first_plan = drop_first_plan
        self.lock = threading.Lock()

    def plan_body(self, export_id: str) -> dict[str, Any]:
        messages = {
            "READY": [],
            "REVIEW_REQUIRED": [{"code": "CPSC_TOY", "severity": "WARNING", "message": "toy"}],
            "BLOCKED": [{"code": "HS_MISSING", "severity": "ERROR", "message": "no HTS"}],
        }[self.readiness]
        return {
            "exportId": export_id,
            "status": "BLOCKED" if self.readiness == "BLOCKED" else "PLANNED",
            "readinessState": self.readiness,
            "planHash": "sha256:" + "b" * 64,
            "decisions": [{"orderId": "ord_1", "decision": "INCLUDED", "reasonCodes": []}],
            "included_order_ids": ["ord_1"],
            "validationMessages": messages,
            "missing_data": [{"orderId": "ord_1", "field": "hsCode"}]
            if self.readiness == "BLOCKED"
            else [],
            "totals": {"valueUsd": 40},
        }

    def view(self, export_id: str) -> dict[str, Any]:
        export = self.exports[export_id]
        if export["status"] == "EXECUTING":
            export["polls"] += 1
            if export["polls"] >= 2:
                export["status"] = "EXECUTED"
        done = export["status"] == "EXECUTED"
        return {
            "exportId": export_id,
            "status": export["status"],
            "readinessState": self.readiness,
            "planHash": "sha256:" + "b" * 64,
            "plan": self.plan_body(export_id),
            "customs_package_id": "cp_1" if done else None,
            "artifacts": [{"id": "art_1", "artifact_type": "cci_pdf"}] if done else [],
            "events": [{"seq": 1, "type": "EXPORT_PLANNED"}],
        }

    def __call__(self, method: str, path: str, body: Any) -> Any:
        path = path.removeprefix("/api")
        with self.lock:
            self.calls.append((method, path))
        if method == "GET" and path.startswith("/exports/"):
            return 200, self.view(path.split("/")[2]), {}
        key = body and self.seen_key
        if key in self.replays:
            return self.replays[key]
        if path == "/orders/sync":
            answer: Any = (200, {"data": [{"id": "ord_1", "externalId": "A-1"}]}, {})
        elif path == "/exports/plan":
            export_id = f"exp_{len(self.exports) + 1}"
            self.exports[export_id] = {"status": self.plan_body(export_id)["status"], "polls": 0}
            answer = (201, self.plan_body(export_id), {})
            if self.drop_first_plan:
                self.drop_first_plan = False
                self.replays[key] = answer
                return DROP  # done, stored, and the client never hears it
        elif path == "/exports/execute":
            export = self.exports[body["batchId"]]
            if self.readiness == "BLOCKED":
                return 409, {"errorCode": "EXPORT_BLOCKED", "message": "blocked"}, {}
            export["status"] = (
                "AWAITING_APPROVAL" if self.readiness == "REVIEW_REQUIRED" else "EXECUTING"
            )
            answer = (202, self.view(body["batchId"]), {})
        else:
            return 404, {"errorCode": "NOT_FOUND", "message": path}, {}
        self.replays[key] = answer
        return answer


@pytest.fixture
def fake(loopback: Any, request: pytest.FixtureRequest) -> Any:
    """A FakeEntryGo served on loopback; the route sees the idempotency key of each request."""

    def make(readiness: str, **options: Any) -> tuple[Any, FakeEntryGo]:
        api = FakeEntryGo(readiness, **options)
        server: Any = None

        def route(method: str, path: str, body: Any) -> Any:
            api.seen_key = server.seen[-1]["key"]  # type: ignore[attr-defined]
            return api(method, path, body)

        server = loopback(route=route)
        return server, api

    return make


def run(url: str, sleeps: Sleeps, **options: Any) -> Any:
    with EntryGo("eg_test", url, sleep=sleeps) as client:
        return client.run_export("acc_1", "wh_1", "br_1", ORDERS, **options)


def posts(api: FakeEntryGo) -> list[str]:
    return [path for method, path in api.calls if method == "POST"]


def test_a_ready_plan_is_executed_and_waited_for(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("READY")
    outcome = run(server.url, sleeps, timeout=10)
    assert outcome.outcome == outcome["outcome"] == "executed"
    assert (outcome.exportId, outcome.status, outcome.customs_package_id) == (
        "exp_1",
        "EXECUTED",
        "cp_1",
    )
    assert outcome["artifacts"][0]["artifact_type"] == "cci_pdf"
    assert posts(api) == ["/orders/sync", "/exports/plan", "/exports/execute"]
    keys = run_keys("acc_1", "wh_1", "br_1", ORDERS)
    sent = [s["key"] for s in server.seen if s["method"] == "POST"]
    assert sent == [keys["orders"], keys["plan"], keys["execute"]]
    assert server.seen[1]["body"]["orderIds"] == ["ord_1"]


def test_a_rerun_with_the_same_inputs_finds_the_same_export(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("READY")
    first = run(server.url, sleeps, timeout=10)
    again = run(server.url, sleeps, timeout=10)
    assert again.exportId == first.exportId == "exp_1"
    assert len(api.exports) == 1
    assert again.outcome == "executed"


def test_a_plan_whose_answer_was_lost_is_retried_into_the_same_export(
    fake: Any, sleeps: Sleeps
) -> None:
    server, api = fake("READY", drop_first_plan=True)
    outcome = run(server.url, sleeps, timeout=10)
    assert outcome.exportId == "exp_1"
    assert len(api.exports) == 1
    plans = [s["key"] for s in server.seen if s["path"] == "/api/exports/plan"]
    assert len(plans) == 2
    assert len(set(plans)) == 1


def test_a_blocked_plan_is_never_executed(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("BLOCKED")
    outcome = run(server.url, sleeps, policy=Policy(execute_readiness={"READY", "BLOCKED"}))
    assert outcome.outcome == "blocked"
    assert outcome.readinessState == "BLOCKED"
    assert outcome.missing_data[0]["field"] == "hsCode"
    assert outcome.validationMessages[0].code == "HS_MISSING"
    assert "HS_MISSING" in outcome.reasons
    assert "/exports/execute" not in posts(api)


def test_review_required_comes_back_or_is_waited_for(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("REVIEW_REQUIRED")
    outcome = run(server.url, sleeps)
    assert (outcome.outcome, outcome.status) == ("awaiting_review", "PLANNED")
    assert outcome.reasons == ["CPSC_TOY"]
    assert "/exports/execute" not in posts(api)
    # nobody approves here: it waits, then says so
    with EntryGo("eg_test", server.url) as client, pytest.raises(WaitTimeout) as raised:
        client.exports.wait("exp_1", {"EXECUTED"}, timeout=0.2, interval=0.05)
    assert raised.value.error_code == "WAIT_TIMEOUT"
    waited = run(server.url, sleeps, wait_for_review=True, timeout=0.3)
    assert (waited.outcome, waited.status) == ("awaiting_review", "AWAITING_APPROVAL")
    assert posts(api)[-1] == "/exports/execute"


def test_the_policy_can_hold_back_a_ready_plan(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("READY")
    outcome = run(server.url, sleeps, policy=Policy(max_value_usd=10))
    assert outcome.outcome == "awaiting_review"
    assert outcome.reasons == ["POLICY_MAX_VALUE_USD"]
    assert "/exports/execute" not in posts(api)


def test_products_are_synced_first_and_named_by_external_id(loopback: Any, sleeps: Sleeps) -> None:
    def route(method: str, path: str, body: Any) -> Any:
        if path == "/api/products/sync":
            return 200, {"data": [{"id": "prod_9", "externalId": "SKU-9"}]}, {}
        return 400, {"errorCode": "VALIDATION_ERROR", "message": "stop here"}, {}

    server = loopback(route=route)
    orders = [{"externalId": "A", "items": [{"productExternalId": "SKU-9", "quantity": 1}]}]
    with EntryGo("eg_test", server.url, sleep=sleeps) as client, pytest.raises(EntryGoError):
        client.run_export("acc", "wh", "br", orders, products=[{"externalId": "SKU-9"}])
    assert server.seen[1]["body"]["items"][0]["items"] == [{"quantity": 1, "productId": "prod_9"}]
    with EntryGo("eg_test", server.url) as client, pytest.raises(EntryGoError) as raised:
        client.run_export(
            "acc",
            "wh",
            "br",
            [{"externalId": "B", "items": [{"productExternalId": "X"}]}],
            products=[{"externalId": "SKU-9"}],
        )
    assert raised.value.error_code == "UNKNOWN_PRODUCT"


async def test_the_async_loop_decides_the_same(fake: Any, sleeps: Sleeps) -> None:
    server, api = fake("BLOCKED")
    async with AsyncEntryGo("eg_test", server.url, sleep=sleeps.asleep) as client:
        outcome = await client.run_export("acc_1", "wh_1", "br_1", ORDERS)
    assert outcome.outcome == "blocked"
    assert "/exports/execute" not in posts(api)
    server2, _ = fake("READY")
    async with AsyncEntryGo("eg_test", server2.url, sleep=sleeps.asleep) as client:
        done = await client.run_export("acc_1", "wh_1", "br_1", ORDERS, timeout=10)
    assert done.outcome == "executed"
    assert done.customs_package_id == "cp_1"
