"""Two fully populated accounts on an app whose worker mails a local SMTP sink.

Each account has a warehouse, an email broker, a webhook broker, products, orders, API keys,
a READY and a REVIEW_REQUIRED export that are planned, and an export executed to the end
(customs package, artifacts, broker submission), so every route that takes an id has something
real to point at. `markers` are the strings (ids, names) of an account that must never show up
in an answer to another account.
"""

import json
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from activities import build_activities
from api.app import create_app
from config.settings import Settings
from entrygo.worker import build_worker
from sandbox.smtp_sink import SmtpSink
from signing import SIGNATURE_HEADER, sign
from store import accounts, webhooks
from store.products import upsert_products
from store.reference import create_broker, create_warehouse
from tests.support.polling import eventually
from tests.support.tenants import GOOD_PRODUCT, REVIEW_PRODUCT, Tenant, World, make_tenant

ROLES = ("integration", "reviewer", "admin")
SKU_READY = "SKU-SCARF"
SKU_REVIEW = "SKU-SCARF-8"


@dataclass
class Stack:
    """The app, a client speaking to it in-process, and the settings its worker uses."""

    settings: Settings
    http: httpx.AsyncClient
    sink: SmtpSink


@asynccontextmanager
async def open_stack(
    settings: Settings, temporal: Client, pool: asyncpg.Pool, maildir: Path
) -> AsyncIterator[Stack]:
    """An app and a real worker on their own task queue, mailing a sink on a free port."""
    sink = SmtpSink("127.0.0.1", 0, maildir)
    sink.start()
    mine = settings.model_copy(
        update={
            "task_queue": f"two-accounts-{uuid.uuid4().hex[:8]}",
            "smtp_port": sink.port,
            # the matrices send thousands of requests a minute; test_abuse covers the limiter
            "rate_limit_enabled": False,
        }
    )
    app = create_app(mine)
    worker = build_worker(temporal, mine.task_queue, build_activities(pool, mine))
    try:
        async with app.router.lifespan_context(app), worker:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield Stack(mine, http, sink)
    finally:
        sink.stop()


@dataclass
class Account:
    """One populated account: its keys, its objects' ids and the strings that are its own."""

    tenant: Tenant
    world: World
    ids: dict[str, str]
    plan_hashes: dict[str, str]
    webhook_secret: str
    markers: set[str] = field(default_factory=set)

    @property
    def account_id(self) -> str:
        return self.tenant.account_id

    def auth(self, role: str = "all") -> dict[str, str]:
        return self.tenant.auth(role)


async def plan(http: httpx.AsyncClient, account: Account, sku: str) -> dict[str, Any]:
    """A new export of one fresh order of `sku`; returns the plan."""
    order_ids = await account.world.orders(http, sku, prefix=f"ord-{uuid.uuid4().hex[:6]}")
    r = await http.post(
        "/api/exports/plan", json=account.world.plan_body(order_ids), headers=account.auth()
    )
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def status_of(http: httpx.AsyncClient, account: Account, export_id: str) -> str:
    r = await http.get(f"/api/exports/{export_id}", headers=account.auth())
    assert r.status_code == 200, r.text
    return str(r.json()["status"])


async def executed(http: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """A READY export executed until EXECUTED (package, artifacts, broker mail sent)."""
    planned = await plan(http, account, SKU_READY)
    r = await http.post(
        "/api/exports/execute",
        json={"accountId": account.account_id, "batchId": planned["exportId"]},
        headers=account.auth(),
    )
    assert r.status_code in (200, 202), r.text

    async def done() -> dict[str, Any] | None:
        view = await http.get(f"/api/exports/{planned['exportId']}", headers=account.auth())
        body = view.json()
        return body if body["status"] == "EXECUTED" and body["artifacts"] else None

    return await eventually(done, attempts=400)  # type: ignore[no-any-return]


async def populate(http: httpx.AsyncClient, pool: asyncpg.Pool, label: str) -> Account:
    """Create one account with every kind of object (see the module docstring)."""
    tag = f"{label}-{uuid.uuid4().hex[:10]}"
    tenant = await make_tenant(pool, f"account-{tag}")
    webhook_secret = f"whsec-{tag}-0123456789"
    async with pool.acquire() as conn:
        warehouse = await create_warehouse(
            conn,
            tenant.account_id,
            {
                "name": f"warehouse-{tag}",
                "address": {"line1": f"street-{tag}", "city": "Goteborg", "country": "SE"},
            },
        )
        broker = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": f"broker-{tag}",
                "transport": {"type": "email", "recipientEmail": f"broker-{tag}@example.com"},
            },
        )
        hook_broker = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": f"hook-broker-{tag}",
                "transport": {
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/never-called",
                    "secret": webhook_secret,
                },
            },
        )
        products = await upsert_products(
            conn,
            tenant.account_id,
            [
                {**GOOD_PRODUCT, "description": f"scarf-{tag}"},
                {**REVIEW_PRODUCT, "description": f"scarf-8-{tag}"},
            ],
        )
        spare, _ = await accounts.create_key(conn, tenant.account_id, f"spare-{tag}", ["reviewer"])
        endpoint = await webhooks.create_endpoint(
            conn, tenant.account_id, f"http://127.0.0.1:9/hooks-{tag}", webhook_secret, None, tag
        )
    world = World(tenant, warehouse.id, broker.id, {p.external_id: p.id for p in products})
    account = Account(tenant, world, {}, {}, webhook_secret)
    ready = await plan(http, account, SKU_READY)
    review = await plan(http, account, SKU_REVIEW)
    assert (ready["readinessState"], review["readinessState"]) == ("READY", "REVIEW_REQUIRED")
    done = await executed(http, account)
    account.ids = {
        "product": world.products[SKU_READY],
        "order": ready["included_order_ids"][0],
        "warehouse": warehouse.id,
        "broker": broker.id,
        "webhook_broker": hook_broker.id,
        "key": spare.id,
        "webhook_endpoint": endpoint.id,
        "planned": ready["exportId"],
        "review": review["exportId"],
        "executed": done["exportId"],
        "package": done["customs_package_id"],
        "artifact": done["artifacts"][0]["id"],
        "submission": done["brokerSubmission"]["id"],
        "destination": f"broker:{broker.id}",
    }
    account.plan_hashes = {
        "planned": ready["planHash"],
        "review": review["planHash"],
        "executed": done["planHash"],
    }
    orders = await http.get("/api/orders", headers=account.auth())
    account.markers = {
        tenant.account_id,
        f"account-{tag}",
        tag,
        *account.ids.values(),
        *(a["id"] for a in done["artifacts"]),
        *(o["id"] for o in orders.json()["data"]),
        *(o["externalId"] for o in orders.json()["data"]),
        *(p.id for p in products),
        *(k.id for k in await _keys(pool, tenant.account_id)),
    }
    return account


async def _keys(pool: asyncpg.Pool, account_id: str) -> list[Any]:
    async with pool.acquire() as conn:
        return await accounts.list_keys(conn, account_id, after=None, limit=200)


def leaked(text: str, victim: Account) -> set[str]:
    """The victim's markers that appear in `text`."""
    return {m for m in victim.markers if m in text}


async def snapshot(http: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """What another account's calls must never change: exports, references, the spare key."""
    headers = account.auth()
    seen: dict[str, Any] = {}
    for kind in ("planned", "review", "executed"):
        view = (await http.get(f"/api/exports/{account.ids[kind]}", headers=headers)).json()
        seen[kind] = (
            view["status"],
            view["approval"],
            view["planHash"],
            view["updatedAt"],
            len(view["events"]),
        )
    for kind, path in (("warehouse", "warehouses"), ("broker", "brokers")):
        seen[kind] = (await http.get(f"/api/{path}/{account.ids[kind]}", headers=headers)).json()
    seen["webhook_endpoint"] = (
        await http.get(f"/api/webhook-endpoints/{account.ids['webhook_endpoint']}", headers=headers)
    ).json()
    seen["destinations"] = (await http.get("/api/destinations", headers=headers)).json()
    keys = (await http.get("/api/keys", headers=headers)).json()["data"]
    seen["keys"] = sorted((k["id"], k["revokedAt"]) for k in keys)
    for role in ROLES:
        r = await http.get("/api/system/health", headers=account.auth(role))
        seen[f"key-{role}"] = r.status_code
    return seen


# CONTRACT §2: who may call what. "public" needs no key, "signature" is a signed broker
# callback (a key grants nothing there), "any" is a read open to every role, "a|b" is open to
# either role (the refusal names the first).
REQUIRED_ROLE: dict[tuple[str, str], str] = {
    ("GET", "/api/system/health"): "public",
    ("GET", "/api/system/live"): "public",
    ("GET", "/api/system/ready"): "public",
    ("POST", "/api/products/sync"): "integration",
    ("GET", "/api/products"): "any",
    ("GET", "/api/products/{product_id}"): "any",
    ("POST", "/api/orders/sync"): "integration",
    ("GET", "/api/orders"): "any",
    ("GET", "/api/orders/{order_id}"): "any",
    ("POST", "/api/exports/plan"): "integration",
    ("POST", "/api/exports/execute"): "integration",
    ("GET", "/api/exports"): "any",
    ("GET", "/api/exports/{export_id}"): "any",
    ("GET", "/api/exports/{export_id}/events"): "any",
    ("POST", "/api/exports/{export_id}/replan"): "integration",
    ("POST", "/api/exports/{export_id}/approve"): "reviewer",
    ("POST", "/api/exports/{export_id}/reject"): "reviewer",
    ("POST", "/api/exports/{export_id}/cancel"): "reviewer",
    ("POST", "/api/exports/{export_id}/retry"): "reviewer",
    ("POST", "/api/exports/{export_id}/broker-outcome"): "reviewer",
    ("GET", "/api/exports/{export_id}/broker-requests"): "any",
    ("POST", "/api/exports/{export_id}/broker-requests/{request_id}/answer"): "integration",
    ("POST", "/api/exports/{export_id}/broker-messages"): "reviewer",
    ("POST", "/api/exports/{export_id}/claim"): "reviewer",
    ("POST", "/api/exports/{export_id}/release"): "reviewer",
    ("POST", "/api/exports/{export_id}/assign"): "reviewer",
    ("POST", "/api/exports/{export_id}/comments"): "reviewer",
    ("POST", "/api/exports/{export_id}/request-changes"): "reviewer",
    ("GET", "/api/exports/{export_id}/evidence"): "any",
    ("GET", "/api/system/evidence-key"): "public",
    ("GET", "/api/audit/decisions"): "reviewer|admin",
    ("GET", "/api/customs-packages/{package_id}"): "any",
    ("GET", "/api/artifacts/{artifact_id}/content"): "any",
    ("POST", "/api/brokers/{broker_id}/callbacks"): "signature",
    ("POST", "/api/warehouses"): "admin",
    ("GET", "/api/warehouses"): "admin",
    ("GET", "/api/warehouses/{warehouse_id}"): "admin",
    ("PATCH", "/api/warehouses/{warehouse_id}"): "admin",
    ("POST", "/api/brokers"): "admin",
    ("GET", "/api/brokers"): "admin",
    ("GET", "/api/brokers/{broker_id}"): "admin",
    ("PATCH", "/api/brokers/{broker_id}"): "admin",
    ("POST", "/api/keys"): "admin",
    ("GET", "/api/keys"): "admin",
    ("DELETE", "/api/keys/{key_id}"): "admin",
    ("POST", "/api/webhook-endpoints"): "admin",
    ("GET", "/api/webhook-endpoints"): "admin",
    ("GET", "/api/webhook-endpoints/{endpoint_id}"): "admin",
    ("PATCH", "/api/webhook-endpoints/{endpoint_id}"): "admin",
    ("DELETE", "/api/webhook-endpoints/{endpoint_id}"): "admin",
    ("GET", "/api/webhook-endpoints/{endpoint_id}/deliveries"): "admin",
    ("GET", "/api/events"): "any",
    ("GET", "/api/destinations"): "any",
    ("GET", "/api/destinations/{destination_id}"): "any",
    ("POST", "/api/brokers/{broker_id}/pause"): "admin",
    ("POST", "/api/brokers/{broker_id}/resume"): "admin",
    ("POST", "/api/warehouses/{warehouse_id}/pause"): "admin",
    ("POST", "/api/warehouses/{warehouse_id}/resume"): "admin",
    ("POST", "/api/webhook-endpoints/{endpoint_id}/pause"): "admin",
    ("POST", "/api/webhook-endpoints/{endpoint_id}/resume"): "admin",
    ("GET", "/api/operations/failures"): "any",
    ("POST", "/api/operations/retry"): "admin",
    ("POST", "/api/operations/cancel"): "admin",
}


def role_allows(required: str, role: str) -> bool:
    """Whether a key holding `role` ("all" holds every role) passes the role check."""
    return required in ("public", "any", "signature") or role in (*required.split("|"), "all")


def document_operations(app: Any) -> set[tuple[str, str]]:
    """Every (METHOD, path template) of the app's OpenAPI document."""
    return {
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def signed_callback(secret: str, submission_id: str) -> tuple[bytes, dict[str, str]]:
    """A broker callback body and headers signed with `secret` just now."""
    body = json.dumps(
        {
            "submissionId": submission_id,
            "status": "ACCEPTED",
            "entryNumber": "ENT-1",
            "occurredAt": datetime.now(UTC).isoformat(),
        }
    ).encode()
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: sign(secret, body, int(time.time())),
    }
    return body, headers
