"""The API and a worker serving in their own thread and event loop, for schemathesis to call.

Schemathesis tests are synchronous: while one runs, the pytest event loop is parked, so the
session's app (its asyncpg pool is bound to that loop) and the session's worker could not answer.
This stack owns a loop in a background thread: uvicorn serving a fresh app, the real export worker
on its own task queue, an SMTP sink for broker mail, and one seeded account whose ids the fuzzer
mixes into generated requests.
"""

import asyncio
import socket
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from activities import build_activities
from api.app import create_app
from config.settings import Settings
from config.temporal import connect_temporal
from entrygo.worker import build_worker
from sandbox.smtp_sink import SmtpSink
from store import accounts
from store.pool import create_pool
from store.reference import create_broker
from tests.support.tenants import make_tenant, make_world

START_POLLS = 500
CALLBACK_SECRET = "fuzz-callback-secret-0123456789"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Seeded:
    """Ids of one account the fuzzer may use, so generated requests reach past the lookups."""

    account_id: str = ""
    key: str = ""
    spare_key_id: str = ""
    callback_broker_id: str = ""
    ids: dict[str, list[str]] = field(default_factory=dict)
    plan_hashes: list[str] = field(default_factory=list)


@dataclass
class Tally:
    """What the fuzzer sent, for the summary at the end of the session."""

    operations: dict[str, Counter[int]] = field(default_factory=dict)
    modes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)

    def add(self, operation: str, mode: str, status: int) -> None:
        self.operations.setdefault(operation, Counter())[status] += 1
        self.modes[mode] += 1
        self.statuses[status] += 1

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


SEEDED = Seeded()
TALLY = Tally()


class ThreadStack:
    """API (uvicorn) and worker in a background thread; `start()` returns once both serve."""

    def __init__(self, settings: Settings, maildir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sink = SmtpSink("127.0.0.1", 0, maildir)
        self.settings = settings
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="fuzz-stack", daemon=True)

    def start(self, timeout_s: float = 120.0) -> None:
        """Start the sink and the thread; raise what went wrong if the stack did not come up."""
        self.sink.start()
        self.settings = self.settings.model_copy(
            update={
                "task_queue": f"fuzz-{uuid.uuid4().hex[:8]}",
                "smtp_port": self.sink.port,
                # the abuse tests cover the limiter; here it would only cut the fuzzing short
                "rate_limit_enabled": False,
            }
        )
        self._thread.start()
        self._ready.wait(timeout_s)
        if self._failure is not None or not self._ready.is_set():
            self.stop()
            raise RuntimeError("the fuzz stack did not start") from self._failure

    def stop(self) -> None:
        """Stop serving, stop the worker, stop the sink."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)
        self.sink.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the starting thread
            self._failure = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        settings = self.settings
        assert settings.database_url is not None
        pool = await create_pool(settings.database_url, min_size=1, max_size=5)
        client = await connect_temporal(settings, attempts=20)
        worker = build_worker(client, settings.task_queue, build_activities(pool, settings))
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings), host="127.0.0.1", port=self.port, log_level="error"
            )
        )
        try:
            async with worker:
                serving = asyncio.create_task(server.serve())
                try:
                    for _ in range(START_POLLS):
                        if server.started or serving.done():
                            break
                        await asyncio.sleep(0.02)
                    if not server.started:
                        raise RuntimeError("uvicorn did not start")
                    await seed(pool, self.url)
                    self._ready.set()
                    await self._stop.wait()
                finally:
                    server.should_exit = True
                    await serving
        finally:
            await pool.close()


async def seed(pool: Any, url: str) -> None:
    """One account with every kind of object, planned and executed exports included."""
    tenant = await make_tenant(pool, f"fuzz-{uuid.uuid4().hex[:6]}")
    world = await make_world(pool, tenant)
    async with pool.acquire() as conn:
        spare, _ = await accounts.create_key(conn, tenant.account_id, "spare", ["reviewer"])
        # only ever named in callbacks: nothing is executed through it, so nothing calls its url
        callback_broker = await create_broker(
            conn,
            tenant.account_id,
            {
                "name": "Callback broker",
                "transport": {
                    "type": "webhook",
                    "url": "http://127.0.0.1:9/unused",
                    "secret": CALLBACK_SECRET,
                },
            },
        )
    headers = tenant.auth()
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        order_ids = await world.orders(http, "SKU-SCARF", "SKU-SCARF-8", "SKU-SCARF")
        plans = []
        for ids in ([order_ids[0]], [order_ids[1]], [order_ids[2]]):
            r = await http.post("/api/exports/plan", json=world.plan_body(ids), headers=headers)
            assert r.status_code == 201, r.text
            plans.append(r.json())
        executed = plans[2]["exportId"]
        r = await http.post(
            "/api/exports/execute",
            json={"accountId": tenant.account_id, "batchId": executed},
            headers=headers,
        )
        assert r.status_code in (200, 202), r.text
        view = r.json()
    SEEDED.account_id = tenant.account_id
    SEEDED.key = tenant.keys["all"]
    SEEDED.spare_key_id = spare.id
    SEEDED.callback_broker_id = callback_broker.id
    SEEDED.plan_hashes = [p["planHash"] for p in plans]
    SEEDED.ids = {
        "product": list(world.products.values()),
        "order": order_ids,
        "warehouse": [world.warehouse_id],
        "broker": [world.broker_id],
        "export": [p["exportId"] for p in plans],
        "package": [view["customs_package_id"]] if view["customs_package_id"] else [],
        "artifact": [a["id"] for a in view["artifacts"]],
        "key": [spare.id],
        "submission": [view["brokerSubmission"]["id"]] if view["brokerSubmission"] else [],
    }
