"""The outbound address policy at send time: a broker webhook or a warehouse URL that reaches a
non-public address is never called, even when the row got past the API (written directly here,
as a CLI, a migration or an old row would): the export stops in ATTENTION_REQUIRED with a final
InvalidAddress naming the host and the address, and a real receiver on loopback hears nothing.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities import build_activities
from activities.outbox import Outbox
from api.app import create_app
from config.settings import Settings
from entrygo.worker import build_worker
from observability.metrics import REGISTRY
from sandbox.smtp_sink import SmtpSink
from store.webhooks import DueDelivery
from tests.support.polling import eventually
from tests.support.tenants import Tenant, make_world

SECRET = "outbound-secret-0123456789"


@dataclass
class LoopbackReceiver:
    """A real HTTP receiver on 127.0.0.1 that answers 200 to anything and remembers every
    connection made to it (a refused call must not even connect)."""

    status: int = 200
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            self.requests.append(head + await reader.readexactly(length))
            body = b"{}"
            writer.write(
                f"HTTP/1.1 {self.status} X\r\ncontent-type: application/json\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest_asyncio.fixture
async def receiver() -> AsyncIterator[LoopbackReceiver]:
    r = LoopbackReceiver()
    await r.start()
    yield r
    await r.stop()


@dataclass
class StrictStack:
    """The app and a real worker with the address policy on (as in production)."""

    settings: Settings
    http: httpx.AsyncClient
    sink: SmtpSink


@pytest_asyncio.fixture
async def strict(
    settings: Settings, temporal_env: WorkflowEnvironment, pool: asyncpg.Pool, tmp_path: Path
) -> AsyncIterator[StrictStack]:
    sink = SmtpSink("127.0.0.1", 0, tmp_path / "mail")
    sink.start()
    mine = settings.model_copy(
        update={
            "allow_private_urls": False,
            "task_queue": f"outbound-{uuid.uuid4().hex[:8]}",
            "smtp_port": sink.port,  # our own relay is configuration, not a tenant's URL
        }
    )
    app = create_app(mine)
    worker = build_worker(temporal_env.client, mine.task_queue, build_activities(pool, mine))
    try:
        async with app.router.lifespan_context(app), worker:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
                yield StrictStack(mine, http, sink)
    finally:
        sink.stop()


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def execute_until_attention(stack: StrictStack, world: Any) -> dict[str, Any]:
    """Plan and execute one READY order; the inspect view once ATTENTION_REQUIRED."""
    order_ids = await world.orders(stack.http, "SKU-SCARF")
    auth = world.tenant.auth()
    r = await stack.http.post("/api/exports/plan", json=world.plan_body(order_ids), headers=auth)
    assert r.status_code == 201, r.text
    export_id = r.json()["exportId"]
    r = await stack.http.post(
        "/api/exports/execute",
        json={"accountId": world.tenant.account_id, "batchId": export_id},
        headers=auth,
    )
    assert r.status_code in (200, 202), r.text

    async def attention() -> dict[str, Any] | None:
        view = (await stack.http.get(f"/api/exports/{export_id}", headers=auth)).json()
        assert view["status"] not in ("EXECUTED", "COMPLETED"), view["status"]
        return view if view["status"] == "ATTENTION_REQUIRED" else None

    view: dict[str, Any] = await eventually(attention, attempts=400)
    return view


async def test_broker_webhook_to_loopback_is_refused_at_send(
    strict: StrictStack, pool: asyncpg.Pool, tenant: Tenant, receiver: LoopbackReceiver
) -> None:
    url = f"http://127.0.0.1:{receiver.port}/submissions"
    world = await make_world(
        pool, tenant, transport={"type": "webhook", "url": url, "secret": SECRET}
    )
    labels = {"transport": "webhook", "outcome": "invalid_address"}
    before = metric("entrygo_broker_submissions_total", **labels)
    view = await execute_until_attention(strict, world)
    attention = view["attention"]
    assert (attention["step"], attention["errorType"]) == ("send", "InvalidAddress")
    assert "127.0.0.1 is not a public address" in attention["error"]
    sub = view["brokerSubmission"]
    assert (sub["status"], sub["attempts"]) == ("FAILED", 1)  # final: not retried
    assert "127.0.0.1" in sub["error_message"]
    types = [e["type"] for e in view["events"]]
    assert "BROKER_SUBMISSION_FAILED" in types
    assert "BROKER_SUBMISSION_SENT" not in types
    assert metric("entrygo_broker_submissions_total", **labels) == before + 1
    assert receiver.connections == 0
    # the receiver was there all along: a direct call reaches it
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, json={})).status_code == 200
    assert receiver.connections == 1


async def test_warehouse_url_naming_loopback_is_refused_at_send(
    strict: StrictStack, pool: asyncpg.Pool, tenant: Tenant, receiver: LoopbackReceiver
) -> None:
    warehouse = {
        "name": "3PL",
        "address": {"line1": "Kaj 3", "city": "Aarhus", "country": "DK"},
        "notificationUrl": f"http://localhost:{receiver.port}/notify",
        "notificationSecret": SECRET,
    }
    world = await make_world(pool, tenant, warehouse=warehouse)
    before = metric("entrygo_warehouse_notifications_total", outcome="invalid_address")
    view = await execute_until_attention(strict, world)
    attention = view["attention"]
    assert (attention["step"], attention["errorType"]) == ("notify", "InvalidAddress")
    assert "localhost resolves to a non-public address (127.0.0.1)" in attention["error"]
    (note,) = view["notifications"]
    assert (note["status"], note["attempts"]) == ("FAILED", 1)
    assert "localhost resolves to a non-public address (127.0.0.1)" in note["lastError"]
    assert metric("entrygo_warehouse_notifications_total", outcome="invalid_address") == before + 1
    assert receiver.connections == 0
    # the broker's email went out through our relay on loopback: configuration, not policed
    assert view["brokerSubmission"]["status"] == "SENT"
    assert len(strict.sink.received()) == 1


async def test_outbox_refuses_a_loopback_endpoint_and_counts_outcomes(
    pool: asyncpg.Pool, settings: Settings, receiver: LoopbackReceiver
) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hooks"
    delivery = DueDelivery(-1, url, SECRET, 1, datetime.now(UTC), {"eventId": "evt_x"})

    def counts() -> dict[str, float]:
        return {
            o: metric("entrygo_webhook_deliveries_total", outcome=o)
            for o in ("delivered", "retry", "failed")
        }

    strict = Outbox(pool, settings.model_copy(update={"allow_private_urls": False}))
    before = counts()
    await strict._deliver(delivery)
    assert receiver.connections == 0
    assert counts() == {**before, "failed": before["failed"] + 1}
    await strict.http.aclose()

    allowed = Outbox(pool, settings)
    await allowed._deliver(delivery)
    assert receiver.connections == 1
    assert json.loads(receiver.requests[0].split(b"\r\n\r\n", 1)[1]) == {"eventId": "evt_x"}
    receiver.status = 503
    await allowed._deliver(delivery)
    assert counts() == {
        "delivered": before["delivered"] + 1,
        "retry": before["retry"] + 1,
        "failed": before["failed"] + 1,
    }
    await allowed.http.aclose()
