"""Events pushed to clients on the running stack: webhook endpoints get every event of an export
in seq order, signed; an outage of the receiver and a killed worker lose nothing; the account
feed pages and streams (server-sent events) and resumes from Last-Event-ID."""

import asyncio
import json
import time
from typing import Any

import asyncpg
import httpx

from signing import SIGNATURE_HEADER, SignatureError, verify
from tests.support.stack import SETTLED, Stack, free_port, serve, wait_status

SECRET = "e2e-webhook-endpoint-secret-0123"


class Receiver:
    """A client's webhook receiver on loopback: verifies every signature, records every POST,
    can be stopped and started again on the same port, and can hold requests (slow)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.received: list[dict[str, Any]] = []
        self.bad_signatures = 0
        self.hold: asyncio.Event | None = None
        self.holding = asyncio.Event()
        self.server: Any = None
        self.task: asyncio.Task[None] | None = None

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def receive(request: Request) -> JSONResponse:
            body = await request.body()
            try:
                verify(SECRET, body, request.headers.get(SIGNATURE_HEADER), int(time.time()))
            except SignatureError:
                self.bad_signatures += 1
                return JSONResponse({"error": "signature"}, 401)
            if self.hold is not None:
                self.holding.set()
                await self.hold.wait()
            event = json.loads(body)
            assert request.headers["entrygo-event-id"] == event["eventId"]
            self.received.append(event)
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hooks", receive, methods=["POST"])])

    async def start(self) -> None:
        self.server, self.task = await serve(self.app(), self.port)

    async def stop(self) -> None:
        self.server.should_exit = True
        assert self.task is not None
        await self.task

    def of(self, export_id: str) -> list[dict[str, Any]]:
        """Events received for an export, duplicates (at least once) removed, in arrival order."""
        seen: dict[str, dict[str, Any]] = {}
        for event in self.received:
            if event["exportId"] == export_id:
                seen.setdefault(event["eventId"], event)
        return list(seen.values())


async def subscribe(stack: Stack, world: Any, url: str, **extra: Any) -> dict[str, Any]:
    r = await stack.api.post(
        "/api/webhook-endpoints",
        headers=world.tenant.auth("admin"),
        json={"url": url, "secret": SECRET, **extra},
    )
    assert r.status_code == 201, r.text
    assert "secret" not in r.json()
    return r.json()  # type: ignore[no-any-return]


async def run_export(stack: Stack, world: Any, sku: str = "SKU-SCARF") -> str:
    ids = await world.orders(stack.api, sku)
    r = await stack.api.post(
        "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
    )
    assert r.status_code == 201, r.text
    export_id: str = r.json()["exportId"]
    r = await stack.api.post(
        "/api/exports/execute",
        headers=world.tenant.auth(),
        json={"accountId": world.tenant.account_id, "batchId": export_id},
    )
    assert r.status_code in (200, 202), r.text
    await wait_status(stack, world.tenant.auth(), export_id, SETTLED)
    return export_id


async def all_events(stack: Stack, world: Any, export_id: str) -> list[dict[str, Any]]:
    r = await stack.api.get(
        f"/api/exports/{export_id}/events?limit=200", headers=world.tenant.auth()
    )
    return r.json()["data"]  # type: ignore[no-any-return]


async def delivered(
    stack: Stack, world: Any, receiver: Receiver, export_id: str, loops: int = 600
) -> list[dict[str, Any]]:
    """Wait until the receiver has every event the export has (a bounded number of polls)."""
    for _ in range(loops):
        events = await all_events(stack, world, export_id)
        if len(receiver.of(export_id)) >= len(events) and events:
            return events
        await asyncio.sleep(0.1)
    raise AssertionError(
        f"received {len(receiver.of(export_id))} of {len(await all_events(stack, world, export_id))}"
    )


def in_seq_order(receiver: Receiver, export_id: str, events: list[dict[str, Any]]) -> None:
    got = receiver.of(export_id)
    assert [e["seq"] for e in got] == [e["seq"] for e in events]  # in order, none missing
    assert [e["eventId"] for e in got] == [e["id"] for e in events]
    assert [e["type"] for e in got] == [e["type"] for e in events]
    for event in got:
        assert set(event) == {"eventId", "type", "exportId", "seq", "createdAt", "data"}


async def test_a_receiver_gets_every_event_in_order_signed(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    receiver = Receiver()
    await receiver.start()
    try:
        endpoint = await subscribe(stack, world, receiver.url)
        export_id = await run_export(stack, world)
        await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})  # no more events
        events = await delivered(stack, world, receiver, export_id)
        in_seq_order(receiver, export_id, events)
        assert receiver.bad_signatures == 0
        r = await stack.api.get(
            f"/api/webhook-endpoints/{endpoint['id']}/deliveries?limit=200",
            headers=world.tenant.auth("admin"),
        )
        assert r.status_code == 200
        rows = [d for d in r.json()["data"] if d["exportId"] == export_id]
        assert len(rows) == len(events)
        assert {d["status"] for d in rows} == {"DELIVERED"}
    finally:
        await receiver.stop()


async def test_event_types_filter_what_an_endpoint_gets(stack: Stack, pool: asyncpg.Pool) -> None:
    world = await stack.world(pool)
    receiver = Receiver()
    await receiver.start()
    try:
        await subscribe(stack, world, receiver.url, eventTypes=["EXPORT_EXECUTED"])
        export_id = await run_export(stack, world)
        for _ in range(300):
            if receiver.of(export_id):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # a second more: nothing else may come
        assert [e["type"] for e in receiver.of(export_id)] == ["EXPORT_EXECUTED"]
    finally:
        await receiver.stop()


async def test_a_receiver_down_for_30_seconds_loses_nothing(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    receiver = Receiver()  # not started: connection refused
    await subscribe(stack, world, receiver.url)
    first = await run_export(stack, world)
    second = await run_export(stack, world)
    await asyncio.sleep(30)
    await receiver.start()
    try:
        for export_id in (first, second):
            events = await delivered(stack, world, receiver, export_id)
            in_seq_order(receiver, export_id, events)
    finally:
        await receiver.stop()


async def test_a_worker_killed_during_delivery_loses_nothing(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    receiver = Receiver()
    receiver.hold = asyncio.Event()  # the first delivery hangs in the receiver
    await receiver.start()
    try:
        await subscribe(stack, world, receiver.url)
        ids = await world.orders(stack.api, "SKU-SCARF")
        r = await stack.api.post(
            "/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids)
        )
        export_id = r.json()["exportId"]
        await asyncio.wait_for(receiver.holding.wait(), 60)
        stack.kill_workers()  # SIGKILL while the POST is in flight
        receiver.hold.set()
        receiver.hold = None
        stack.start_worker()
        # the workflow's next task waits on the killed worker's sticky queue until it times out
        # (10 s), so the execute may first be answered 503 "retry later": retried as told
        for _ in range(5):
            r = await stack.api.post(
                "/api/exports/execute",
                headers=world.tenant.auth(),
                json={"accountId": world.tenant.account_id, "batchId": export_id},
            )
            if r.status_code != 503:
                break
            await asyncio.sleep(float(r.headers["retry-after"]))
        assert r.status_code in (200, 202), r.text
        await wait_status(stack, world.tenant.auth(), export_id, SETTLED)
        events = await delivered(stack, world, receiver, export_id, loops=1200)
        in_seq_order(receiver, export_id, events)
    finally:
        await receiver.stop()


async def test_the_feed_pages_and_the_stream_resumes_from_last_event_id(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool)
    export_id = await run_export(stack, world)
    await wait_status(stack, world.tenant.auth(), export_id, {"COMPLETED"})  # no more events
    events = await all_events(stack, world, export_id)
    # pages of 3 give every event once, in each export's seq order
    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = f"?limit=3&after={cursor}" if cursor else "?limit=3"
        r = await stack.api.get(f"/api/events{query}", headers=world.tenant.auth())
        assert r.status_code == 200, r.text
        page = r.json()
        seen.extend(page["data"])
        if not page["data"]:
            break
        cursor = page["nextCursor"]
    assert [e["id"] for e in seen if e["exportId"] == export_id] == [e["id"] for e in events]
    assert len({e["id"] for e in seen}) == len(seen)
    # the stream from the third event on, as a reconnecting EventSource would ask
    resume = seen[2]["cursor"]
    got: list[tuple[str, str, dict[str, Any]]] = []
    headers = {**world.tenant.auth(), "Last-Event-ID": resume}
    async with stack.api.stream("GET", "/api/events/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        async for line in response.aiter_lines():
            if line.startswith(("id:", "event:", "data:")):
                name, _, value = line.partition(":")
                fields[name] = value.strip()
            elif line == "" and "data" in fields:
                got.append((fields["id"], fields["event"], json.loads(fields["data"])))
                fields = {}
                if len(got) == len(seen) - 3:
                    break
    assert [g[2]["id"] for g in got] == [e["id"] for e in seen[3:]]
    assert [g[0] for g in got] == [e["cursor"] for e in seen[3:]]
    assert [g[1] for g in got] == [e["type"] for e in seen[3:]]


async def test_endpoint_urls_must_be_public_unless_allowed(
    stack: Stack, pool: asyncpg.Pool
) -> None:
    from api.app import create_app
    from tests.support.stack import serve as serve_app

    world = await stack.world(pool)
    strict = create_app(stack.settings.model_copy(update={"allow_private_urls": False}))
    port = free_port()
    server, task = await serve_app(strict, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as api:
            for url in (
                "http://127.0.0.1:9/hooks",
                "http://localhost/hooks",
                "http://169.254.169.254/latest/meta-data",
                "http://10.0.0.5/hooks",
                "http://[::1]/hooks",
                "http://0.0.0.0/hooks",
            ):
                r = await api.post(
                    "/api/webhook-endpoints",
                    headers=world.tenant.auth("admin"),
                    json={"url": url, "secret": SECRET},
                )
                assert r.status_code == 400, (url, r.text)
                assert r.json()["errorCode"] == "VALIDATION_ERROR"
            r = await api.post(
                "/api/webhook-endpoints",
                headers=world.tenant.auth("admin"),
                json={"url": "https://93.184.215.14/hooks", "secret": SECRET},
            )
            assert r.status_code == 201, r.text
    finally:
        server.should_exit = True
        await task
