"""The outbox is woken, not polled (docs/decisions.md, "Webhook deliveries pushed by
LISTEN/NOTIFY"): the real outbox with its fallback drain an hour away, PostgreSQL's NOTIFY, and
receivers on loopback. A queued delivery is sent at once; a terminated listening connection is
taken again and later deliveries still go; a failed delivery is retried at its due time.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from activities.outbox import Outbox
from config.settings import Settings
from store import exports
from store.exports import NewEvent
from store.webhooks import DueDelivery
from tests.support.exports_api import planned
from tests.support.polling import eventually
from tests.support.tenants import World
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "push-endpoint-secret-0123456789ab"
NEVER = 3600.0  # the fallback drain does not come within the test


@pytest_asyncio.fixture
async def running(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Outbox]:
    quiet = {
        "outbox_fallback_seconds": NEVER,
        "webhook_retry_base_seconds": 1.0,
        "webhook_retry_cap_seconds": 1.0,
    }
    box = Outbox(pool, settings.model_copy(update=quiet))
    stop = asyncio.Event()
    task = asyncio.create_task(box.run(stop))
    await eventually(lambda: _true(box.wakeup.backend_pid is not None))
    yield box
    stop.set()
    await task


async def _true(value: bool) -> bool:
    return value


async def subscribe(http: httpx.AsyncClient, world: World, url: str) -> str:
    body = {"url": url, "secret": SECRET}
    r = await http.post("/api/webhook-endpoints", headers=world.tenant.auth("admin"), json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def note(pool: asyncpg.Pool, export_id: str, text: str) -> None:
    """Append one event to the export (its deliveries are queued in the same transaction)."""
    async with pool.acquire() as conn, conn.transaction():
        assert await exports.lock_export(conn, export_id) is not None
        event = NewEvent("PUSH_TEST_NOTE", text, "test", {"text": text})
        await exports.append_events(conn, export_id, [event], await exports.database_now(conn))


def notes(receiver: WebhookReceiver, export_id: str) -> list[str]:
    return [
        e["data"]["text"] for e in receiver.of_export(export_id) if e["type"] == "PUSH_TEST_NOTE"
    ]


async def test_a_queued_delivery_is_sent_without_waiting_for_a_poll(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, running: Outbox
) -> None:
    receiver = WebhookReceiver(SECRET)
    await receiver.start()
    await subscribe(http, world, receiver.url)
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    await eventually(lambda: _true(bool(receiver.of_export(export_id))))
    await note(pool, export_id, "first")
    await eventually(lambda: _true(notes(receiver, export_id) == ["first"]))
    await receiver.stop()


async def test_a_terminated_listener_is_taken_again_and_later_deliveries_arrive(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, running: Outbox
) -> None:
    receiver = WebhookReceiver(SECRET)
    await receiver.start()
    await subscribe(http, world, receiver.url)
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    gone = running.wakeup.backend_pid
    assert gone is not None
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", gone)
    await eventually(lambda: _true(running.wakeup.backend_pid not in (None, gone)), attempts=400)
    await note(pool, export_id, "after the restart")
    await eventually(lambda: _true(notes(receiver, export_id) == ["after the restart"]))
    await receiver.stop()


async def test_a_failed_delivery_is_retried_when_it_falls_due(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, running: Outbox
) -> None:
    receiver = WebhookReceiver(SECRET, status=503)
    await receiver.start()
    endpoint = await subscribe(http, world, receiver.url)
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    await eventually(lambda: _true(receiver.posts > 0))
    receiver.status = 200  # the next attempt, due about a second later, succeeds
    await eventually(lambda: _true(bool(receiver.of_export(export_id))), attempts=400)
    async with pool.acquire() as conn:
        retried = await conn.fetchval(
            "SELECT max(attempts) FROM webhook_deliveries WHERE endpoint_id = $1", endpoint
        )
    assert retried >= 2
    await receiver.stop()


async def test_the_events_of_one_append_follow_each_other_without_a_claim_between(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, running: Outbox
) -> None:
    # every claim of this test's outbox is noted, from before the first delivery is queued: a
    # claim pass begun before a later patch could still take the first note unseen
    claimed: list[str] = []
    claim = running.claim

    async def claim_noting(limit: int) -> list[DueDelivery]:
        found = await claim(limit)
        claimed.extend(
            d.event["data"]["text"] for d in found if d.event["type"] == "PUSH_TEST_NOTE"
        )
        return found

    running.claim = claim_noting  # type: ignore[method-assign]
    receiver = WebhookReceiver(SECRET)
    await receiver.start()
    endpoint = await subscribe(http, world, receiver.url)
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])

    async def planning_delivered() -> bool:
        async with pool.acquire() as conn:
            pending = await conn.fetchval(
                """SELECT count(*) FROM webhook_deliveries
                   WHERE endpoint_id = $1 AND status <> 'DELIVERED'""",
                endpoint,
            )
        return bool(receiver.of_export(export_id)) and pending == 0

    await eventually(planning_delivered)
    texts = ["one", "two", "three"]
    async with pool.acquire() as conn, conn.transaction():
        assert await exports.lock_export(conn, export_id) is not None
        events = [NewEvent("PUSH_TEST_NOTE", t, "test", {"text": t}) for t in texts]
        await exports.append_events(conn, export_id, events, await exports.database_now(conn))
    await eventually(lambda: _true(notes(receiver, export_id) == texts))
    # the first is claimed; each next one is leased as the one before it is marked delivered
    assert claimed == ["one"]
    await receiver.stop()
