"""Webhook endpoints under fleet control in the outbox (docs/fleet-control.md, "Webhook
endpoints"): the real outbox, PostgreSQL, app and worker, and receivers on loopback.

A receiver that refuses connections or answers 503 opens its endpoint's breaker after the
threshold; while it is open no delivery is claimed or charged an attempt; when the backoff ends
exactly one delivery probes; a failed probe reopens it for longer, a good one closes it and every
held delivery goes once, in seq order per export. A 4xx is not counted. A paused endpoint gets
nothing (and its held deliveries still give up by age) until it is resumed. Destination events
reach the feed and the endpoints that subscribed to them.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from activities.destinations import apply
from activities.outbox import Outbox
from config.settings import Settings
from domain import destinations as breaker
from domain.destinations import DestinationKind
from store import destinations, exports, webhook_claims, webhooks
from store.exports import NewEvent
from store.webhook_holds import HELD_GIVE_UP_ERROR
from tests.support.exports_api import planned
from tests.support.polling import eventually
from tests.support.tenants import World
from tests.support.webhook_receiver import WebhookReceiver

SECRET = "fleet-endpoint-secret-0123456789"
THRESHOLD = 3
BACKOFF = 1.5
FAST = {
    "breaker_threshold": THRESHOLD,
    "breaker_window_seconds": 60.0,
    "breaker_backoff_initial_seconds": BACKOFF,
    "breaker_backoff_max_seconds": 30.0,
    "webhook_retry_base_seconds": 0.05,
    "webhook_retry_cap_seconds": 0.1,
    "webhook_timeout_seconds": 2.0,
}
ROW = dict[str, Any]


@pytest_asyncio.fixture
async def outbox(pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Outbox]:
    box = Outbox(pool, settings.model_copy(update=FAST))
    yield box
    await box.http.aclose()


async def receiver_on(status: int = 200, *, listening: bool = True) -> WebhookReceiver:
    receiver = WebhookReceiver(SECRET, status=status)
    await receiver.start()
    if not listening:
        await receiver.stop()  # its port now refuses connections
    return receiver


async def subscribe(
    http: httpx.AsyncClient, world: World, url: str, event_types: list[str] | None = None
) -> str:
    body: dict[str, Any] = {"url": url, "secret": SECRET}
    if event_types is not None:
        body["eventTypes"] = event_types
    r = await http.post("/api/webhook-endpoints", headers=world.tenant.auth("admin"), json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def export_with_events(
    http: httpx.AsyncClient, pool: asyncpg.Pool, world: World, extra: int = 3
) -> str:
    """Plan an export (its planning events), then append `extra` events more."""
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    notes = [NewEvent("FLEET_TEST_NOTE", f"note-{n}", "test", {"n": n}) for n in range(extra)]
    async with pool.acquire() as conn, conn.transaction():
        assert await exports.lock_export(conn, export_id) is not None
        await exports.append_events(conn, export_id, notes, await exports.database_now(conn))
    return export_id


async def deliveries(pool: asyncpg.Pool, endpoint_id: str) -> list[ROW]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT id, export_id, destination_id, seq, event_type, status, attempts,
                      last_error
               FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY id""",
            endpoint_id,
        )
    return [dict(r) for r in rows]


async def attempts(pool: asyncpg.Pool, endpoint_id: str) -> dict[int, int]:
    return {d["id"]: d["attempts"] for d in await deliveries(pool, endpoint_id)}


async def export_seqs(pool: asyncpg.Pool, export_id: str) -> list[int]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq FROM export_events WHERE export_id = $1 ORDER BY seq", export_id
        )
    return [r["seq"] for r in rows]


async def breaker_row(pool: asyncpg.Pool, ident: str) -> ROW | None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT *, now() AS db_now FROM destinations WHERE id = $1""", ident
        )
    return dict(row) if row is not None else None


async def last_failure_at(pool: asyncpg.Pool, ident: str) -> datetime:
    async with pool.acquire() as conn:
        at: datetime = await conn.fetchval(
            "SELECT max(at) FROM destination_failures WHERE destination_id = $1", ident
        )
    return at


async def state_of(pool: asyncpg.Pool, ident: str) -> str | None:
    row = await breaker_row(pool, ident)
    return None if row is None else str(row["state"])


async def event_types(pool: asyncpg.Pool, ident: str) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT type FROM destination_events WHERE destination_id = $1 ORDER BY seq", ident
        )
    return [r["type"] for r in rows]


async def drain_until(
    outbox: Outbox, check: Callable[[], Awaitable[bool]], drains: int = 400
) -> None:
    """Drain the outbox until `check()` holds (bounded by drains, not by a clock)."""
    for _ in range(drains):
        await outbox.drain_once()
        if await check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def drain_while_open(outbox: Outbox, pool: asyncpg.Pool, ident: str) -> int:
    """Drain repeatedly while the breaker's backoff still has a margin to run; how many drains."""
    drains = 0
    while True:
        row = await breaker_row(pool, ident)
        assert row is not None
        if row["db_now"] >= row["next_probe_at"] - timedelta(seconds=0.4):
            return drains
        await outbox.drain_once()
        drains += 1
        await asyncio.sleep(0.05)


async def wait_for_probe_time(pool: asyncpg.Pool, ident: str) -> None:
    async def due() -> bool:
        row = await breaker_row(pool, ident)
        return row is not None and row["db_now"] >= row["next_probe_at"]

    await eventually(due, attempts=200, delay=0.05)


async def set_paused(pool: asyncpg.Pool, account_id: str, kind: DestinationKind, ref: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        record = await destinations.lock(conn, account_id, kind, ref)
        now = await exports.database_now(conn)
        reason = "receiver maintenance"
        change = breaker.pause(record.breaker, reason, "ops@example.com", now)
        await apply(conn, record, change, now, actor="ops@example.com", data={"reason": reason})


async def set_resumed(pool: asyncpg.Pool, account_id: str, kind: DestinationKind, ref: str) -> None:
    async with pool.acquire() as conn, conn.transaction():
        record = await destinations.lock(conn, account_id, kind, ref)
        now = await exports.database_now(conn)
        await apply(conn, record, breaker.resume(record.breaker, now), now, actor="ops@example.com")


def in_order_once(receiver: WebhookReceiver, export_id: str, seqs: list[int]) -> None:
    got = receiver.of_export(export_id)
    assert [e["seq"] for e in got] == seqs  # every event once, in seq order
    assert len({e["eventId"] for e in got}) == len(got)


async def everything_delivered(pool: asyncpg.Pool, endpoint_id: str) -> bool:
    return {d["status"] for d in await deliveries(pool, endpoint_id)} == {"DELIVERED"}


async def test_a_receiver_down_opens_the_breaker_and_held_deliveries_spend_no_attempt(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, outbox: Outbox
) -> None:
    receiver = await receiver_on(listening=False)  # connection refused
    endpoint = await subscribe(http, world, receiver.url)
    ident = f"webhook:{endpoint}"
    for _ in range(2):
        await export_with_events(http, pool, world)

    async def opened() -> bool:
        return await state_of(pool, ident) == "OPEN"

    await drain_until(outbox, opened)
    assert await event_types(pool, ident) == ["DESTINATION_OPENED"]
    row = await breaker_row(pool, ident)
    assert row is not None
    assert row["account_id"] == world.tenant.account_id
    assert row["next_probe_at"] - row["since"] == timedelta(seconds=BACKOFF)
    held = await attempts(pool, endpoint)
    assert THRESHOLD <= sum(held.values()) <= THRESHOLD + 1  # two streams: one may be in flight

    # open: nothing of this endpoint is claimed, no attempt is spent
    assert await drain_while_open(outbox, pool, ident) >= 3
    assert await attempts(pool, endpoint) == held
    assert await state_of(pool, ident) == "OPEN"

    # the backoff is over: exactly one delivery (first in line for its export) probes, fails,
    # and the breaker opens again for twice as long
    await wait_for_probe_time(pool, ident)
    await outbox.drain_once()
    after = await attempts(pool, endpoint)
    grown = [i for i in after if after[i] != held[i]]
    assert len(grown) == 1
    assert after[grown[0]] == held[grown[0]] + 1
    rows = {d["id"]: d for d in await deliveries(pool, endpoint)}
    probe = rows[grown[0]]
    assert probe["seq"] == min(
        d["seq"] for d in rows.values() if d["export_id"] == probe["export_id"]
    )
    row = await breaker_row(pool, ident)
    assert row is not None
    assert (row["state"], row["opened_times"]) == ("OPEN", 2)
    assert row["next_probe_at"] - await last_failure_at(pool, ident) == timedelta(
        seconds=2 * BACKOFF
    )
    assert await event_types(pool, ident) == ["DESTINATION_OPENED"]  # a reopen is no new event
    assert await drain_while_open(outbox, pool, ident) >= 3
    assert await attempts(pool, endpoint) == after
    assert receiver.posts == 0


async def test_one_probe_closes_the_breaker_and_every_held_delivery_goes_once_in_order(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    worker: Any,
    world: World,
    outbox: Outbox,
    settings: Settings,
) -> None:
    receiver = await receiver_on(503)
    rival = Outbox(pool, settings.model_copy(update=FAST))  # another worker's outbox
    try:
        endpoint = await subscribe(http, world, receiver.url)
        ident = f"webhook:{endpoint}"
        first = await export_with_events(http, pool, world)
        second = await export_with_events(http, pool, world)

        async def opened() -> bool:
            return await state_of(pool, ident) == "OPEN"

        await drain_until(outbox, opened)
        posts = receiver.posts
        assert THRESHOLD <= posts <= THRESHOLD + 1
        held = await attempts(pool, endpoint)
        assert await drain_while_open(outbox, pool, ident) >= 3
        assert (receiver.posts, await attempts(pool, endpoint)) == (posts, held)

        # the backoff is over while the receiver is still down: two outboxes draining at once
        # send one probe between them, it fails, and nothing else goes
        await wait_for_probe_time(pool, ident)
        await asyncio.gather(outbox.drain_once(), rival.drain_once())
        assert receiver.posts == posts + 1
        assert await state_of(pool, ident) == "OPEN"

        receiver.status = 200  # the receiver is back: the next probe closes the breaker
        await wait_for_probe_time(pool, ident)
        await asyncio.gather(outbox.drain_once(), rival.drain_once())
        assert receiver.posts >= posts + 2
        assert await state_of(pool, ident) == "CLOSED"
        assert await event_types(pool, ident) == ["DESTINATION_OPENED", "DESTINATION_CLOSED"]

        await drain_until(outbox, lambda: everything_delivered(pool, endpoint))
        for export_id in (first, second):
            in_order_once(receiver, export_id, await export_seqs(pool, export_id))
        # the endpoint's own breaker events reached it too, in their order, once closed
        opened_event, closed_event = receiver.of_destinations()
        assert (opened_event["type"], closed_event["type"]) == (
            "DESTINATION_OPENED",
            "DESTINATION_CLOSED",
        )
        assert [e["data"]["state"] for e in (opened_event, closed_event)] == ["OPEN", "CLOSED"]
        assert {e["destinationId"] for e in (opened_event, closed_event)} == {ident}
        assert [e["seq"] for e in (opened_event, closed_event)] == [1, 2]
        assert receiver.bad_signatures == 0
    finally:
        await rival.http.aclose()
        await receiver.stop()


async def test_a_refusal_4xx_is_retried_but_never_opens_the_breaker(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, outbox: Outbox
) -> None:
    receiver = await receiver_on(400)
    try:
        endpoint = await subscribe(http, world, receiver.url)
        ident = f"webhook:{endpoint}"
        await export_with_events(http, pool, world)

        async def refused_often() -> bool:
            return receiver.posts >= 2 * THRESHOLD

        await drain_until(outbox, refused_often)
        assert await state_of(pool, ident) == "CLOSED"
        assert await event_types(pool, ident) == []
        row = await breaker_row(pool, ident)
        assert row is not None
        assert row["failures"] == []  # kept for the operator, not counted
        async with pool.acquire() as conn:
            kept = await conn.fetch(
                "SELECT transient, message FROM destination_failures WHERE destination_id = $1",
                ident,
            )
        assert kept
        assert {(r["transient"], r["message"]) for r in kept} == {(False, "HTTP 400")}

        # the same endpoint answering 503 opens it after the threshold
        receiver.status = 503
        posts = receiver.posts

        async def opened() -> bool:
            return await state_of(pool, ident) == "OPEN"

        await drain_until(outbox, opened)
        assert receiver.posts - posts == THRESHOLD  # one stream: one send at a time
    finally:
        await receiver.stop()


async def test_a_paused_endpoint_gets_nothing_until_resumed(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, outbox: Outbox
) -> None:
    paused, live = await receiver_on(), await receiver_on()
    try:
        endpoint = await subscribe(http, world, paused.url)
        other = await subscribe(http, world, live.url)
        account = world.tenant.account_id
        await set_paused(pool, account, DestinationKind.WEBHOOK, endpoint)
        export_id = await export_with_events(http, pool, world)
        seqs = await export_seqs(pool, export_id)

        # the other endpoint of the account gets everything meanwhile
        await drain_until(outbox, lambda: everything_delivered(pool, other))
        in_order_once(live, export_id, seqs)
        for _ in range(10):
            await outbox.drain_once()
        assert paused.posts == 0
        assert set((await attempts(pool, endpoint)).values()) == {0}
        assert await state_of(pool, f"webhook:{endpoint}") == "PAUSED"

        await set_resumed(pool, account, DestinationKind.WEBHOOK, endpoint)
        await drain_until(outbox, lambda: everything_delivered(pool, endpoint))
        in_order_once(paused, export_id, seqs)
        assert [(e["type"], e["data"]["state"]) for e in paused.of_destinations()] == [
            ("DESTINATION_PAUSED", "PAUSED"),
            ("DESTINATION_RESUMED", "CLOSED"),
        ]
        assert set((await attempts(pool, endpoint)).values()) == {1}
    finally:
        await paused.stop()
        await live.stop()


async def test_held_deliveries_still_give_up_by_age(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    worker: Any,
    world: World,
    settings: Settings,
) -> None:
    receiver = await receiver_on()
    box = Outbox(pool, settings.model_copy(update={**FAST, "webhook_give_up_seconds": 1.0}))
    try:
        endpoint = await subscribe(http, world, receiver.url)
        await set_paused(pool, world.tenant.account_id, DestinationKind.WEBHOOK, endpoint)
        await export_with_events(http, pool, world, extra=1)
        await asyncio.sleep(1.2)
        await box.drain_once()
        rows = await deliveries(pool, endpoint)
        assert rows
        assert {(d["status"], d["attempts"]) for d in rows} == {("FAILED", 0)}
        assert {d["last_error"] for d in rows} == {f"{HELD_GIVE_UP_ERROR} (PAUSED)"}
        assert receiver.posts == 0
    finally:
        await box.http.aclose()
        await receiver.stop()


async def test_destination_events_reach_the_feed_and_subscribed_endpoints(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World, outbox: Outbox
) -> None:
    subscribed, others = await receiver_on(), await receiver_on()
    try:
        fleet_types = ["DESTINATION_PAUSED", "DESTINATION_RESUMED"]
        wants = await subscribe(http, world, subscribed.url, fleet_types)
        await subscribe(http, world, others.url, ["EXPORT_PLANNED"])
        account, broker_id = world.tenant.account_id, world.broker_id
        ident = f"broker:{broker_id}"
        await set_paused(pool, account, DestinationKind.BROKER, broker_id)
        await set_resumed(pool, account, DestinationKind.BROKER, broker_id)
        export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])

        async def feed() -> list[dict[str, Any]] | None:
            r = await http.get("/api/events?limit=100", headers=world.tenant.auth())
            assert r.status_code == 200, r.text
            data: list[dict[str, Any]] = r.json()["data"]
            kinds = {e["exportId"] is None for e in data}
            return data if kinds == {True, False} else None

        events = await eventually(feed)
        fleet = [e for e in events if e["destinationId"] is not None]
        assert [e["type"] for e in fleet] == fleet_types
        assert [e["seq"] for e in fleet] == [1, 2]
        assert {e["exportId"] for e in fleet} == {None}
        assert {e["destinationId"] for e in fleet} == {ident}
        assert [(e["data"]["destination"], e["data"]["state"]) for e in fleet] == [
            (ident, "PAUSED"),
            (ident, "CLOSED"),
        ]
        assert fleet[0]["data"]["reason"] == "receiver maintenance"
        assert fleet[0]["actor"] == "ops@example.com"
        assert {e["destinationId"] for e in events if e["exportId"] == export_id} == {None}
        # the cursor of a destination event continues the feed after it, once
        r = await http.get(
            f"/api/events?limit=100&after={fleet[0]['cursor']}", headers=world.tenant.auth()
        )
        after = [e["id"] for e in r.json()["data"]]
        expected = [e["id"] for e in events[events.index(fleet[0]) + 1 :]]
        assert after[: len(expected)] == expected

        await drain_until(outbox, lambda: everything_delivered(pool, wants))

        async def planned_arrived() -> bool:
            return bool(others.of_export(export_id))

        await drain_until(outbox, planned_arrived)
        got = subscribed.received
        assert [e["eventId"] for e in got] == [e["id"] for e in fleet]
        assert set(got[0]) == {
            "eventId",
            "type",
            "exportId",
            "destinationId",
            "seq",
            "createdAt",
            "data",
        }
        assert (got[0]["exportId"], got[0]["destinationId"]) == (None, ident)
        r = await http.get(
            f"/api/webhook-endpoints/{wants}/deliveries", headers=world.tenant.auth("admin")
        )
        listed = sorted(r.json()["data"], key=lambda d: d["seq"])
        assert [(d["eventId"], d["type"], d["status"]) for d in listed] == [
            (e["id"], e["type"], "DELIVERED") for e in fleet
        ]
        assert {(d["exportId"], d["destinationId"]) for d in listed} == {(None, ident)}
        assert others.of_destinations() == []
        assert {e["type"] for e in others.received} == {"EXPORT_PLANNED"}
        # an export event's webhook is unchanged: no destinationId
        assert "destinationId" not in others.received[0]
    finally:
        await subscribed.stop()
        await others.stop()


async def test_a_delivered_one_leases_the_next_of_its_stream_only_while_its_endpoint_is_closed(
    http: httpx.AsyncClient, pool: asyncpg.Pool, worker: Any, world: World
) -> None:
    receiver = await receiver_on()
    try:
        endpoint = await subscribe(http, world, receiver.url)
        account = world.tenant.account_id
        export_id = await export_with_events(http, pool, world)
        pending = [d for d in await deliveries(pool, endpoint) if d["export_id"] == export_id]
        first, second, third = sorted(pending, key=lambda d: d["seq"])[:3]
        async with pool.acquire() as conn:
            await webhooks.lease(conn, first["id"], 30.0)
        await set_paused(pool, account, DestinationKind.WEBHOOK, endpoint)
        async with pool.acquire() as conn:
            settled, following = await webhook_claims.delivered_then_next(
                conn, first["id"], 200, 30.0
            )
        assert (settled, following) == (False, None)  # a held endpoint's next waits
        assert (await attempts(pool, endpoint))[second["id"]] == 0

        await set_resumed(pool, account, DestinationKind.WEBHOOK, endpoint)
        async with pool.acquire() as conn:
            await webhooks.lease(conn, second["id"], 30.0)
            settled, following = await webhook_claims.delivered_then_next(
                conn, second["id"], 200, 30.0
            )
            # the next is leased, once; the one after it is not yet first in line
            assert await webhook_claims.delivered_then_next(conn, second["id"], 200, 30.0) == (
                True,
                None,
            )
        assert settled
        assert following is not None
        assert (following.id, following.event["seq"]) == (third["id"], third["seq"])
        states = {d["id"]: (d["status"], d["attempts"]) for d in await deliveries(pool, endpoint)}
        assert states[first["id"]] == ("DELIVERED", 1)
        assert states[second["id"]] == ("DELIVERED", 1)
        assert states[third["id"]] == ("PENDING", 1)
    finally:
        await receiver.stop()
