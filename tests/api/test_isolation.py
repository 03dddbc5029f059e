"""Isolation between accounts (CONTRACT §2): one account's keys never reach another's objects.

The matrix: every route that takes an id in its path × each of the victim's objects it applies
to × every role of the attacker's keys × both directions. Each call must answer 404 NOT_FOUND
(403 INSUFFICIENT_ROLE when the role is missing first; 401 INVALID_SIGNATURE for a callback
signed with another broker's secret), show none of the victim's ids or names, and leave the
victim's objects as they were. Body ids are checked one by one below the matrix.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from tests.support.two_accounts import (
    REQUIRED_ROLE,
    Account,
    Stack,
    document_operations,
    leaked,
    open_stack,
    populate,
    role_allows,
    signed_callback,
    snapshot,
)

ATTACKER_ROLES = ("integration", "reviewer", "admin", "all")

# (method, path template, which of the victim's objects goes in the path)
PATH_ID_CALLS = [
    ("GET", "/api/products/{product_id}", "product"),
    ("GET", "/api/orders/{order_id}", "order"),
    ("GET", "/api/warehouses/{warehouse_id}", "warehouse"),
    ("PATCH", "/api/warehouses/{warehouse_id}", "warehouse"),
    ("GET", "/api/brokers/{broker_id}", "broker"),
    ("GET", "/api/brokers/{broker_id}", "webhook_broker"),
    ("PATCH", "/api/brokers/{broker_id}", "broker"),
    ("DELETE", "/api/keys/{key_id}", "key"),
    *(("GET", "/api/exports/{export_id}", k) for k in ("planned", "review", "executed")),
    *(("GET", "/api/exports/{export_id}/events", k) for k in ("planned", "review", "executed")),
    ("POST", "/api/exports/{export_id}/approve", "review"),
    ("POST", "/api/exports/{export_id}/reject", "planned"),
    ("POST", "/api/exports/{export_id}/reject", "review"),
    ("POST", "/api/exports/{export_id}/cancel", "planned"),
    ("POST", "/api/exports/{export_id}/cancel", "review"),
    ("POST", "/api/exports/{export_id}/retry", "executed"),
    ("POST", "/api/exports/{export_id}/replan", "planned"),
    ("POST", "/api/exports/{export_id}/replan", "review"),
    ("POST", "/api/exports/{export_id}/broker-outcome", "executed"),
    ("GET", "/api/exports/{export_id}/broker-requests", "executed"),
    ("POST", "/api/exports/{export_id}/broker-requests/{request_id}/answer", "executed"),
    ("POST", "/api/exports/{export_id}/broker-messages", "executed"),
    ("POST", "/api/exports/{export_id}/claim", "review"),
    ("POST", "/api/exports/{export_id}/release", "review"),
    ("POST", "/api/exports/{export_id}/assign", "review"),
    ("POST", "/api/exports/{export_id}/comments", "executed"),
    ("POST", "/api/exports/{export_id}/request-changes", "review"),
    *(("GET", "/api/exports/{export_id}/evidence", k) for k in ("planned", "review", "executed")),
    ("GET", "/api/customs-packages/{package_id}", "package"),
    ("GET", "/api/artifacts/{artifact_id}/content", "artifact"),
    ("GET", "/api/webhook-endpoints/{endpoint_id}", "webhook_endpoint"),
    ("PATCH", "/api/webhook-endpoints/{endpoint_id}", "webhook_endpoint"),
    ("DELETE", "/api/webhook-endpoints/{endpoint_id}", "webhook_endpoint"),
    ("GET", "/api/webhook-endpoints/{endpoint_id}/deliveries", "webhook_endpoint"),
    ("POST", "/api/brokers/{broker_id}/callbacks", "webhook_broker"),
    ("GET", "/api/destinations/{destination_id}", "destination"),
    ("POST", "/api/brokers/{broker_id}/pause", "broker"),
    ("POST", "/api/brokers/{broker_id}/resume", "broker"),
    ("POST", "/api/warehouses/{warehouse_id}/pause", "warehouse"),
    ("POST", "/api/warehouses/{warehouse_id}/resume", "warehouse"),
    ("POST", "/api/webhook-endpoints/{endpoint_id}/pause", "webhook_endpoint"),
    ("POST", "/api/webhook-endpoints/{endpoint_id}/resume", "webhook_endpoint"),
]


def body_for(path: str, victim: Account, target: str) -> dict[str, Any] | None:
    """A body that would be accepted if the object were the caller's own."""
    action = path.rsplit("/", 1)[-1]
    return {
        "{warehouse_id}": {"name": "taken over"},
        "{broker_id}": {"name": "taken over"},
        "{endpoint_id}": {"description": "taken over"},
        "approve": {"planHash": victim.plan_hashes.get(target, "sha256:" + "0" * 64)},
        "reject": {"reason": "taken over"},
        "cancel": {"reason": "taken over"},
        "retry": {},
        "pause": {"reason": "taken over"},
        "resume": {},
        "replan": {},
        "broker-outcome": {"status": "ACCEPTED", "entryNumber": "TAKEN-1"},
        "answer": {"message": "taken over"},
        "broker-messages": {"type": "ACKNOWLEDGED"},
        "claim": {},
        "release": {},
        "assign": {"assignee": victim.ids["key"]},
        "comments": {"text": "taken over"},
        "request-changes": {"reasonCodes": ["TAKEN_OVER"], "comment": "taken over"},
    }.get(action)


@pytest_asyncio.fixture(scope="module")
async def stack(
    settings: Settings,
    temporal_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    async with open_stack(
        settings, temporal_env.client, pool, tmp_path_factory.mktemp("isolation-mail")
    ) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module")
async def pair(stack: Stack, pool: asyncpg.Pool) -> dict[str, Account]:
    """Accounts A and B, each fully populated."""
    return {"A": await populate(stack.http, pool, "A"), "B": await populate(stack.http, pool, "B")}


def test_matrix_covers_every_path_with_an_id() -> None:
    app = create_app(Settings(database_url=None))
    with_id = {(m, p) for m, p in document_operations(app) if "{" in p}
    assert {(m, p) for m, p, _ in PATH_ID_CALLS} == with_id


@pytest.mark.parametrize("role", ATTACKER_ROLES)
@pytest.mark.parametrize(("method", "path", "target"), PATH_ID_CALLS)
@pytest.mark.parametrize(("attacker_name", "victim_name"), [("A", "B"), ("B", "A")], ids=str)
async def test_foreign_id_in_path(
    stack: Stack,
    pair: dict[str, Account],
    attacker_name: str,
    victim_name: str,
    method: str,
    path: str,
    target: str,
    role: str,
) -> None:
    attacker, victim = pair[attacker_name], pair[victim_name]
    url = path.split("{", 1)[0] + victim.ids[target] + path.split("}", 1)[1]
    before = await snapshot(stack.http, victim)
    headers = attacker.auth(role)
    if path.endswith("/callbacks"):
        raw, signed = signed_callback(attacker.webhook_secret, victim.ids["submission"])
        r = await stack.http.post(url, content=raw, headers={**headers, **signed})
        expected = (401, "INVALID_SIGNATURE")
    else:
        body = body_for(path, victim, target)
        r = await stack.http.request(method, url, json=body, headers=headers)
        required = REQUIRED_ROLE[(method, path)]
        expected = (404, "NOT_FOUND") if role_allows(required, role) else (403, "INSUFFICIENT_ROLE")
    assert (r.status_code, r.json().get("errorCode")) == expected, r.text
    assert not leaked(r.text, victim), r.text
    assert not leaked(str(r.headers), victim), r.headers
    assert await snapshot(stack.http, victim) == before


@pytest.mark.parametrize(("method", "path", "target"), [c for c in PATH_ID_CALLS if c[0] == "GET"])
async def test_own_id_in_path_is_served(
    stack: Stack, pair: dict[str, Account], method: str, path: str, target: str
) -> None:
    """The control: the same reads by the owner answer 200 and do show the owner's data."""
    owner = pair["B"]
    url = path.split("{", 1)[0] + owner.ids[target] + path.split("}", 1)[1]
    r = await stack.http.get(url, headers=owner.auth())
    assert r.status_code == 200, r.text
    if r.headers["content-type"].startswith("application/json"):
        assert leaked(r.text, owner)


# ---- ids in bodies ------------------------------------------------------------------------------


def plan_body(attacker: Account, **changes: Any) -> dict[str, Any]:
    return {**attacker.world.plan_body([attacker.ids["order"]]), **changes}


def assert_refused(
    r: httpx.Response,
    operation: tuple[str, str],
    role: str,
    expected: tuple[int, str],
    field: str | None = None,
) -> None:
    """`expected` (and `field`) when the role may call the operation, else INSUFFICIENT_ROLE."""
    if not role_allows(REQUIRED_ROLE[operation], role):
        expected, field = (403, "INSUFFICIENT_ROLE"), None
    assert (r.status_code, r.json()["errorCode"]) == expected, r.text
    if field is not None:
        assert r.json()["field"] == field, r.text


PLAN = ("POST", "/api/exports/plan")
REPLAN = ("POST", "/api/exports/{export_id}/replan")
EXECUTE = ("POST", "/api/exports/execute")
SYNC_ORDERS = ("POST", "/api/orders/sync")
SCOPE = (403, "INVALID_ACCOUNT_SCOPE")
roles = pytest.mark.parametrize("role", ATTACKER_ROLES)


@roles
@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize("field", ["warehouseId", "brokerId"])
async def test_plan_with_foreign_reference_is_out_of_scope(
    stack: Stack, pair: dict[str, Account], field: str, dry_run: bool, role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    victim_id = victim.ids["warehouse" if field == "warehouseId" else "broker"]
    r = await stack.http.post(
        "/api/exports/plan",
        json=plan_body(attacker, **{field: victim_id, "dryRun": dry_run}),
        headers=attacker.auth(role),
    )
    assert_refused(r, PLAN, role, SCOPE, field)
    assert not leaked(r.text, victim)


@roles
@pytest.mark.parametrize("field", ["warehouseId", "brokerId"])
async def test_replan_with_foreign_reference_is_out_of_scope(
    stack: Stack, pair: dict[str, Account], field: str, role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    victim_id = victim.ids["warehouse" if field == "warehouseId" else "broker"]
    own = attacker.ids["planned"]
    before = await snapshot(stack.http, attacker)
    for operation, path, body in (
        (REPLAN, f"/api/exports/{own}/replan", {field: victim_id}),
        (PLAN, "/api/exports/plan", plan_body(attacker, batchId=own, **{field: victim_id})),
    ):
        r = await stack.http.post(path, json=body, headers=attacker.auth(role))
        assert_refused(r, operation, role, SCOPE, field)
        assert not leaked(r.text, victim)
    assert await snapshot(stack.http, attacker) == before


def _without(plan: dict[str, Any], order_id: str) -> dict[str, Any]:
    """The parts of a plan that may differ only by the requested id."""
    keep = ("readinessState", "decisions", "validationMessages", "flags", "missing_data", "totals")
    text = repr({k: plan[k] for k in keep})
    return {"plan": text.replace(order_id, "<order>")}


@pytest.mark.parametrize("dry_run", [True, False])
async def test_foreign_orders_are_excluded_without_a_hint(
    stack: Stack, pair: dict[str, Account], dry_run: bool
) -> None:
    attacker, victim = pair["A"], pair["B"]
    foreign, made_up = victim.ids["order"], f"ord_{uuid.uuid4().hex[:26].upper()}"
    plans = {}
    for order_id in (foreign, made_up):
        r = await stack.http.post(
            "/api/exports/plan",
            json=plan_body(attacker, orderIds=[attacker.ids["order"], order_id], dryRun=dry_run),
            headers=attacker.auth("integration"),
        )
        assert r.status_code == (200 if dry_run else 201), r.text
        plans[order_id] = r.json()
        decision = next(d for d in r.json()["decisions"] if d["orderId"] == order_id)
        assert decision["decision"] == "EXCLUDED"
        assert decision["reasonCodes"] == ["ORDER_NOT_SYNCED"]
        assert order_id in r.json()["excluded_order_ids"]
        assert leaked(r.text, victim) <= {foreign}  # the id it was asked about, nothing more
    assert _without(plans[foreign], foreign) == _without(plans[made_up], made_up)


@pytest.mark.parametrize("role", ["reviewer", "admin"])
async def test_foreign_orders_with_a_role_that_cannot_plan(
    stack: Stack, pair: dict[str, Account], role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    r = await stack.http.post(
        "/api/exports/plan",
        json=plan_body(attacker, orderIds=[victim.ids["order"]], dryRun=True),
        headers=attacker.auth(role),
    )
    assert (r.status_code, r.json()["errorCode"]) == (403, "INSUFFICIENT_ROLE"), r.text
    assert not leaked(r.text, victim)


@roles
@pytest.mark.parametrize(
    "path",
    [
        "/api/products/sync",
        "/api/orders/sync",
        "/api/exports/plan",
        "/api/exports/execute",
        "/api/warehouses",
        "/api/brokers",
        "/api/keys",
    ],
)
async def test_foreign_account_id_in_body_is_out_of_scope(
    stack: Stack, pair: dict[str, Account], path: str, role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    tag = f"scope-{uuid.uuid4().hex[:8]}"
    bodies = {
        "/api/products/sync": {"items": [{"externalId": tag, "description": "x"}]},
        "/api/orders/sync": {
            "items": [
                {
                    "externalId": tag,
                    "destinationCountry": "US",
                    "items": [{"productId": attacker.ids["product"], "quantity": 1}],
                }
            ]
        },
        "/api/exports/plan": plan_body(attacker),
        "/api/exports/execute": {"batchId": attacker.ids["planned"]},
        "/api/warehouses": {
            "name": tag,
            "address": {"line1": "x", "city": "y", "country": "SE"},
        },
        "/api/brokers": {
            "name": tag,
            "transport": {"type": "email", "recipientEmail": "x@example.com"},
        },
        "/api/keys": {"name": tag, "roles": ["admin"]},
    }
    body = {**bodies[path], "accountId": victim.account_id}
    victim_before = await snapshot(stack.http, victim)
    r = await stack.http.post(path, json=body, headers=attacker.auth(role))
    assert_refused(r, ("POST", path), role, SCOPE, "accountId")
    assert not leaked(r.text, victim)
    assert await snapshot(stack.http, victim) == victim_before
    for account in (attacker, victim):  # nothing was written on either side
        for listing in ("products", "orders", "warehouses", "brokers", "keys"):
            page = await stack.http.get(f"/api/{listing}", headers=account.auth())
            assert tag not in page.text


@roles
async def test_foreign_product_in_order_rejects_the_sync(
    stack: Stack, pair: dict[str, Account], role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    r = await stack.http.post(
        "/api/orders/sync",
        json={
            "accountId": attacker.account_id,
            "items": [
                {
                    "externalId": f"foreign-{uuid.uuid4().hex[:8]}",
                    "destinationCountry": "US",
                    "items": [{"productId": victim.ids["product"], "quantity": 1}],
                }
            ],
        },
        headers=attacker.auth(role),
    )
    assert_refused(r, SYNC_ORDERS, role, (400, "VALIDATION_ERROR"))
    if r.status_code == 400:
        issue = r.json()["details"]["issues"][0]
        assert (issue["path"], issue["code"]) == ("items.0.items.0.productId", "unknown_product")
    assert leaked(r.text, victim) <= {victim.ids["product"]}


@roles
@pytest.mark.parametrize("target", ["planned", "review", "executed"])
async def test_foreign_batch_cannot_be_executed_or_replanned(
    stack: Stack, pair: dict[str, Account], target: str, role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    before = await snapshot(stack.http, victim)
    execute = await stack.http.post(
        "/api/exports/execute",
        json={"accountId": attacker.account_id, "batchId": victim.ids[target]},
        headers=attacker.auth(role),
    )
    assert_refused(execute, EXECUTE, role, (404, "NOT_FOUND"))
    replan = await stack.http.post(
        "/api/exports/plan",
        json=plan_body(attacker, batchId=victim.ids[target]),
        headers=attacker.auth(role),
    )
    assert_refused(replan, PLAN, role, (404, "NOT_FOUND"))
    for r in (execute, replan):
        assert not leaked(r.text, victim)
    assert await snapshot(stack.http, victim) == before


async def test_callback_through_own_broker_cannot_reach_foreign_submission(
    stack: Stack, pair: dict[str, Account]
) -> None:
    attacker, victim = pair["A"], pair["B"]
    before = await snapshot(stack.http, victim)
    raw, headers = signed_callback(attacker.webhook_secret, victim.ids["submission"])
    r = await stack.http.post(
        f"/api/brokers/{attacker.ids['webhook_broker']}/callbacks", content=raw, headers=headers
    )
    assert (r.status_code, r.json()["errorCode"]) == (404, "NOT_FOUND"), r.text
    assert not leaked(r.text, victim)
    assert await snapshot(stack.http, victim) == before


@roles
@pytest.mark.parametrize(
    "listing",
    [
        "/api/products",
        "/api/orders",
        "/api/exports",
        "/api/warehouses",
        "/api/brokers",
        "/api/keys",
    ],
)
async def test_lists_show_only_own_objects(
    stack: Stack, pair: dict[str, Account], listing: str, role: str
) -> None:
    attacker, victim = pair["A"], pair["B"]
    r = await stack.http.get(listing, params={"limit": 200}, headers=attacker.auth(role))
    assert not leaked(r.text, victim)
    if not role_allows(REQUIRED_ROLE[("GET", listing)], role):
        assert (r.status_code, r.json()["errorCode"]) == (403, "INSUFFICIENT_ROLE"), r.text
        return
    assert r.status_code == 200, r.text
    assert r.json()["data"], "the attacker's own objects are listed"
    if listing in ("/api/products", "/api/orders"):  # filtered by the victim's externalId
        victim_list = await stack.http.get(listing, headers=victim.auth())
        for item in victim_list.json()["data"]:
            filtered = await stack.http.get(
                listing, params={"externalId": item["externalId"]}, headers=attacker.auth(role)
            )
            assert filtered.status_code == 200, filtered.text
            assert not leaked(filtered.text, victim)


@roles
async def test_health_names_the_callers_account(
    stack: Stack, pair: dict[str, Account], role: str
) -> None:
    for me, other in (("A", "B"), ("B", "A")):
        r = await stack.http.get("/api/system/health", headers=pair[me].auth(role))
        assert r.json()["account"]["id"] == pair[me].account_id
        assert not leaked(r.text, pair[other])
