"""Roles (CONTRACT §2): every operation of the OpenAPI document × each role.

integration: sync, plan, execute, re-plan and reads; reviewer: reads, approve, reject, cancel,
retry, broker outcome, review work (claim, release, assign, comments, changes requested); admin: warehouses, brokers, keys, and reads. A role that is allowed gets
the operation's real answer; one that is not gets 403 INSUFFICIENT_ROLE naming
`details.requiredRole`, and nothing is written.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from config.settings import Settings
from store import accounts
from tests.support.two_accounts import (
    REQUIRED_ROLE,
    ROLES,
    SKU_READY,
    SKU_REVIEW,
    Account,
    Stack,
    document_operations,
    executed,
    open_stack,
    plan,
    populate,
    role_allows,
    snapshot,
)


@dataclass
class Call:
    """One request and what an allowed role gets back."""

    url: str
    body: Any = None
    ok: int = 200
    ok_code: str | None = None  # an allowed call that is refused for its state, not its role


@dataclass
class Ctx:
    """What a request builder may use: the client, the account, a tag nobody else uses."""

    http: httpx.AsyncClient
    me: Account
    pool: asyncpg.Pool
    allowed: bool
    tag: str

    async def export(self, kind: str) -> tuple[str, str]:
        """(exportId, planHash): a fresh one when the call will change it, else the shared one."""
        if not self.allowed:
            return self.me.ids[kind], self.me.plan_hashes[kind]
        if kind == "executed":
            view = await executed(self.http, self.me)
            return view["exportId"], view["planHash"]
        planned = await plan(self.http, self.me, SKU_REVIEW if kind == "review" else SKU_READY)
        return planned["exportId"], planned["planHash"]

    async def key_id(self) -> str:
        if not self.allowed:
            return self.me.ids["key"]
        async with self.pool.acquire() as conn:
            key, _ = await accounts.create_key(conn, self.me.account_id, self.tag, ["reviewer"])
        return key.id


Builder = Callable[[Ctx], Awaitable[Call]]


def _order(c: Ctx) -> dict[str, Any]:
    return {
        "externalId": c.tag,
        "destinationCountry": "US",
        "items": [{"productId": c.me.ids["product"], "quantity": 1}],
    }


async def _approve(c: Ctx) -> Call:
    export_id, plan_hash = await c.export("review")
    return Call(f"/api/exports/{export_id}/approve", {"planHash": plan_hash})


async def _reject(c: Ctx) -> Call:
    export_id, _ = await c.export("planned")
    return Call(f"/api/exports/{export_id}/reject", {"reason": "wrong data"})


async def _cancel(c: Ctx) -> Call:
    export_id, _ = await c.export("planned")
    return Call(f"/api/exports/{export_id}/cancel", {"reason": "not needed"})


async def _outcome(c: Ctx) -> Call:
    export_id, _ = await c.export("executed")
    return Call(
        f"/api/exports/{export_id}/broker-outcome", {"status": "ACCEPTED", "entryNumber": "E-1"}
    )


async def _delete_key(c: Ctx) -> Call:
    return Call(f"/api/keys/{await c.key_id()}")


async def _delete_endpoint(c: Ctx) -> Call:
    endpoint = c.me.ids["webhook_endpoint"]
    if c.allowed:  # a fresh one to delete, so the shared one stays for the other calls
        r = await c.http.post("/api/webhook-endpoints", headers=c.me.auth("admin"), json=HOOK)
        endpoint = r.json()["id"]
    return Call(f"/api/webhook-endpoints/{endpoint}")


async def _claim(c: Ctx) -> Call:
    export_id, _ = await c.export("review")
    return Call(f"/api/exports/{export_id}/claim", {})


async def _assign(c: Ctx) -> Call:
    """To the reviewer key: itself for the reviewer, another for a lead (the key of all roles)."""
    export_id, _ = await c.export("review")
    async with c.pool.acquire() as conn:
        reviewer = await accounts.authenticate(conn, c.me.tenant.keys["reviewer"])
    assert reviewer is not None
    return Call(f"/api/exports/{export_id}/assign", {"assignee": reviewer.key_id})


async def _comment(c: Ctx) -> Call:
    export_id, _ = await c.export("planned")
    return Call(f"/api/exports/{export_id}/comments", {"text": c.tag}, 201)


async def _request_changes(c: Ctx) -> Call:
    export_id, _ = await c.export("review")
    body = {"reasonCodes": ["HS_CODE_INCOMPLETE"], "comment": c.tag}
    return Call(f"/api/exports/{export_id}/request-changes", body)


def _fixed(make: Callable[[Ctx], Call]) -> Builder:
    async def build(c: Ctx) -> Call:
        return make(c)

    return build


def _pause(collection: str, kind: str) -> Builder:
    """Pause a fresh broker, warehouse or endpoint, so the shared ones keep taking sends."""

    async def build(c: Ctx) -> Call:
        ref = c.me.ids[kind]
        if c.allowed:
            body = {
                "brokers": {"name": c.tag, "transport": EMAIL},
                "warehouses": {"name": c.tag, **WAREHOUSE},
                "webhook-endpoints": HOOK,
            }[collection]
            r = await c.http.post(f"/api/{collection}", headers=c.me.auth("admin"), json=body)
            assert r.status_code == 201, r.text
            ref = r.json()["id"]
        return Call(f"/api/{collection}/{ref}/pause", {"reason": c.tag})

    return build


WAREHOUSE = {"address": {"line1": "Hamnv 1", "city": "Goteborg", "country": "SE"}}
EMAIL = {"type": "email", "recipientEmail": "b@example.com"}
HOOK = {"url": "http://127.0.0.1:9/hooks", "secret": "role-test-secret-0123456789"}

BUILDERS: dict[tuple[str, str], Builder] = {
    ("GET", "/api/system/health"): _fixed(lambda c: Call("/api/system/health")),
    ("GET", "/api/system/live"): _fixed(lambda c: Call("/api/system/live")),
    ("GET", "/api/system/ready"): _fixed(lambda c: Call("/api/system/ready")),
    ("POST", "/api/products/sync"): _fixed(
        lambda c: Call(
            "/api/products/sync",
            {"accountId": c.me.account_id, "items": [{"externalId": c.tag, "description": "x"}]},
        )
    ),
    ("GET", "/api/products"): _fixed(lambda c: Call("/api/products")),
    ("GET", "/api/products/{product_id}"): _fixed(
        lambda c: Call(f"/api/products/{c.me.ids['product']}")
    ),
    ("POST", "/api/orders/sync"): _fixed(
        lambda c: Call("/api/orders/sync", {"accountId": c.me.account_id, "items": [_order(c)]})
    ),
    ("GET", "/api/orders"): _fixed(lambda c: Call("/api/orders")),
    ("GET", "/api/orders/{order_id}"): _fixed(lambda c: Call(f"/api/orders/{c.me.ids['order']}")),
    ("POST", "/api/exports/plan"): _fixed(
        lambda c: Call(
            "/api/exports/plan", {**c.me.world.plan_body([c.me.ids["order"]]), "dryRun": True}
        )
    ),
    ("POST", "/api/exports/execute"): _fixed(
        lambda c: Call(
            "/api/exports/execute",
            {"accountId": c.me.account_id, "batchId": c.me.ids["executed"]},
        )
    ),
    ("GET", "/api/exports"): _fixed(lambda c: Call("/api/exports")),
    ("GET", "/api/exports/{export_id}"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['executed']}")
    ),
    ("GET", "/api/exports/{export_id}/events"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['executed']}/events")
    ),
    ("POST", "/api/exports/{export_id}/replan"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['planned']}/replan", {})
    ),
    ("POST", "/api/exports/{export_id}/approve"): _approve,
    ("POST", "/api/exports/{export_id}/reject"): _reject,
    ("POST", "/api/exports/{export_id}/cancel"): _cancel,
    # only an export in ATTENTION_REQUIRED can be retried: a 409 for its state shows the
    # role check let the call through
    ("POST", "/api/exports/{export_id}/retry"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['planned']}/retry", {}, 409, "INVALID_EXPORT_STATE")
    ),
    ("POST", "/api/exports/{export_id}/broker-outcome"): _outcome,
    ("GET", "/api/exports/{export_id}/broker-requests"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['executed']}/broker-requests")
    ),
    # no request is open on that export: a 409 for its state shows the role check let it through
    # a planned export has sent nothing yet: a 409 for its state shows the role check let it through
    ("POST", "/api/exports/{export_id}/broker-messages"): _fixed(
        lambda c: Call(
            f"/api/exports/{c.me.ids['planned']}/broker-messages",
            {"type": "ACKNOWLEDGED"},
            409,
            "INVALID_EXPORT_STATE",
        )
    ),
    ("POST", "/api/exports/{export_id}/broker-requests/{request_id}/answer"): _fixed(
        lambda c: Call(
            f"/api/exports/{c.me.ids['executed']}/broker-requests/req-1/answer",
            {"message": "here it is"},
            409,
            "INVALID_EXPORT_STATE",
        )
    ),
    ("POST", "/api/exports/{export_id}/claim"): _claim,
    # nobody holds it: a release answers that and changes nothing
    ("POST", "/api/exports/{export_id}/release"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['review']}/release", {})
    ),
    ("POST", "/api/exports/{export_id}/assign"): _assign,
    ("POST", "/api/exports/{export_id}/comments"): _comment,
    ("POST", "/api/exports/{export_id}/request-changes"): _request_changes,
    ("GET", "/api/exports/{export_id}/evidence"): _fixed(
        lambda c: Call(f"/api/exports/{c.me.ids['executed']}/evidence")
    ),
    ("GET", "/api/system/evidence-key"): _fixed(lambda c: Call("/api/system/evidence-key")),
    ("GET", "/api/audit/decisions"): _fixed(lambda c: Call("/api/audit/decisions")),
    ("GET", "/api/customs-packages/{package_id}"): _fixed(
        lambda c: Call(f"/api/customs-packages/{c.me.ids['package']}")
    ),
    ("GET", "/api/artifacts/{artifact_id}/content"): _fixed(
        lambda c: Call(f"/api/artifacts/{c.me.ids['artifact']}/content")
    ),
    # a key grants nothing on a callback: without a signature every role gets 401
    ("POST", "/api/brokers/{broker_id}/callbacks"): _fixed(
        lambda c: Call(
            f"/api/brokers/{c.me.ids['webhook_broker']}/callbacks",
            {"submissionId": c.me.ids["submission"], "status": "ACCEPTED"},
            401,
            "INVALID_SIGNATURE",
        )
    ),
    ("POST", "/api/warehouses"): _fixed(
        lambda c: Call("/api/warehouses", {"name": c.tag, **WAREHOUSE}, 201)
    ),
    ("GET", "/api/warehouses"): _fixed(lambda c: Call("/api/warehouses")),
    ("GET", "/api/warehouses/{warehouse_id}"): _fixed(
        lambda c: Call(f"/api/warehouses/{c.me.ids['warehouse']}")
    ),
    ("PATCH", "/api/warehouses/{warehouse_id}"): _fixed(
        lambda c: Call(f"/api/warehouses/{c.me.ids['warehouse']}", {"shipmentMode": "PARCEL_DTC"})
    ),
    ("POST", "/api/brokers"): _fixed(
        lambda c: Call("/api/brokers", {"name": c.tag, "transport": EMAIL}, 201)
    ),
    ("GET", "/api/brokers"): _fixed(lambda c: Call("/api/brokers")),
    ("GET", "/api/brokers/{broker_id}"): _fixed(
        lambda c: Call(f"/api/brokers/{c.me.ids['broker']}")
    ),
    ("PATCH", "/api/brokers/{broker_id}"): _fixed(
        lambda c: Call(f"/api/brokers/{c.me.ids['broker']}", {"classifiesGoods": False})
    ),
    ("POST", "/api/keys"): _fixed(
        lambda c: Call("/api/keys", {"name": c.tag, "roles": ["admin"]}, 201)
    ),
    ("GET", "/api/keys"): _fixed(lambda c: Call("/api/keys")),
    ("DELETE", "/api/keys/{key_id}"): _delete_key,
    ("POST", "/api/webhook-endpoints"): _fixed(lambda c: Call("/api/webhook-endpoints", HOOK, 201)),
    ("GET", "/api/webhook-endpoints"): _fixed(lambda c: Call("/api/webhook-endpoints")),
    ("GET", "/api/webhook-endpoints/{endpoint_id}"): _fixed(
        lambda c: Call(f"/api/webhook-endpoints/{c.me.ids['webhook_endpoint']}")
    ),
    ("PATCH", "/api/webhook-endpoints/{endpoint_id}"): _fixed(
        lambda c: Call(
            f"/api/webhook-endpoints/{c.me.ids['webhook_endpoint']}", {"description": c.tag}
        )
    ),
    ("DELETE", "/api/webhook-endpoints/{endpoint_id}"): _delete_endpoint,
    ("GET", "/api/webhook-endpoints/{endpoint_id}/deliveries"): _fixed(
        lambda c: Call(f"/api/webhook-endpoints/{c.me.ids['webhook_endpoint']}/deliveries")
    ),
    ("GET", "/api/events"): _fixed(lambda c: Call("/api/events")),
    ("GET", "/api/destinations"): _fixed(lambda c: Call("/api/destinations")),
    ("GET", "/api/destinations/{destination_id}"): _fixed(
        lambda c: Call(f"/api/destinations/broker:{c.me.ids['broker']}")
    ),
    ("POST", "/api/brokers/{broker_id}/pause"): _pause("brokers", "broker"),
    ("POST", "/api/warehouses/{warehouse_id}/pause"): _pause("warehouses", "warehouse"),
    ("POST", "/api/webhook-endpoints/{endpoint_id}/pause"): _pause(
        "webhook-endpoints", "webhook_endpoint"
    ),
    # the shared ones are not paused: resuming them answers their view and changes nothing
    ("POST", "/api/brokers/{broker_id}/resume"): _fixed(
        lambda c: Call(f"/api/brokers/{c.me.ids['broker']}/resume", {})
    ),
    ("POST", "/api/warehouses/{warehouse_id}/resume"): _fixed(
        lambda c: Call(f"/api/warehouses/{c.me.ids['warehouse']}/resume", {})
    ),
    ("POST", "/api/webhook-endpoints/{endpoint_id}/resume"): _fixed(
        lambda c: Call(f"/api/webhook-endpoints/{c.me.ids['webhook_endpoint']}/resume", {})
    ),
    ("GET", "/api/operations/failures"): _fixed(lambda c: Call("/api/operations/failures")),
    # nothing of the account is stuck: each export is answered as refused, none is changed
    ("POST", "/api/operations/retry"): _fixed(
        lambda c: Call("/api/operations/retry", {"exportIds": [c.me.ids["executed"]]})
    ),
    ("POST", "/api/operations/cancel"): _fixed(
        lambda c: Call("/api/operations/cancel", {"exportIds": [c.me.ids["executed"]]})
    ),
}


def test_tables_cover_every_operation_of_the_document() -> None:
    operations = document_operations(create_app(Settings(database_url=None)))
    assert set(REQUIRED_ROLE) == operations
    assert set(BUILDERS) == operations


@pytest_asyncio.fixture(scope="module")
async def stack(
    settings: Settings,
    temporal_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    async with open_stack(
        settings, temporal_env.client, pool, tmp_path_factory.mktemp("roles-mail")
    ) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module")
async def me(stack: Stack, pool: asyncpg.Pool) -> Account:
    return await populate(stack.http, pool, "roles")


async def written(http: httpx.AsyncClient, me: Account, tag: str) -> bool:
    """Whether anything named `tag` exists in the account."""
    for listing in ("products", "orders", "warehouses", "brokers", "keys"):
        r = await http.get(f"/api/{listing}", params={"limit": 200}, headers=me.auth())
        if tag in r.text:
            return True
    return False


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(REQUIRED_ROLE), ids=" ".join)
async def test_role(
    stack: Stack, me: Account, pool: asyncpg.Pool, method: str, path: str, role: str
) -> None:
    required = REQUIRED_ROLE[(method, path)]
    allowed = role_allows(required, role)
    tag = f"role-{uuid.uuid4().hex[:10]}"
    call = await BUILDERS[(method, path)](Ctx(stack.http, me, pool, allowed, tag))
    before = await snapshot(stack.http, me)
    r = await stack.http.request(method, call.url, json=call.body, headers=me.auth(role))
    if allowed:
        assert r.status_code == call.ok, r.text
        if call.ok_code is not None:
            assert r.json()["errorCode"] == call.ok_code, r.text
        return
    assert r.status_code == 403, r.text
    body = r.json()
    assert body["errorCode"] == "INSUFFICIENT_ROLE"
    assert body["details"]["requiredRole"] == required.split("|")[0]
    assert await snapshot(stack.http, me) == before
    assert not await written(stack.http, me, tag)
