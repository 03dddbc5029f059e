"""The whole stack on loopback: API (uvicorn), worker (its own process), sandbox broker, SMTP sink,
a warehouse receiver; and polling an export until it settles."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn

from api.app import create_app
from config.settings import Settings
from sandbox.broker import create_broker_app
from sandbox.smtp_sink import SmtpSink, read_maildir
from tests.support.paths import ROOT
from tests.support.tenants import Tenant, World, make_tenant, make_world

BROKER_SECRET = "e2e-broker-secret-0123456789"
WAREHOUSE_SECRET = "e2e-warehouse-secret-0123456789"


class WarehouseReceiver:
    """A warehouse system on loopback: checks signatures, can fail, counts what it received."""

    def __init__(self) -> None:
        self.fail_next = 0
        self.raw: list[str] = []
        self.unique: dict[str, dict[str, Any]] = {}
        self.traceparents: list[str] = []

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        from signing import SIGNATURE_HEADER, SignatureError, verify

        async def receive(request: Request) -> JSONResponse:
            body = await request.body()
            key = request.headers.get("idempotency-key", "")
            self.raw.append(key)
            if request.headers.get("traceparent"):
                self.traceparents.append(request.headers["traceparent"])
            if self.fail_next > 0:
                self.fail_next -= 1
                return JSONResponse({"error": "busy"}, 503)
            try:
                verify(
                    WAREHOUSE_SECRET,
                    body,
                    request.headers.get(SIGNATURE_HEADER),
                    int(time.time()),
                )
            except SignatureError as exc:
                return JSONResponse({"error": exc.reason}, 401)
            self.unique.setdefault(key, json.loads(body))
            return JSONResponse({"received": True})

        return Starlette(routes=[Route("/notifications", receive, methods=["POST"])])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_api(
    database_url: str, log: Path, environment: dict[str, str] | None = None, **settings: str
) -> tuple[subprocess.Popen[bytes], int]:
    """`entrygo api` in a child process on a free port, on `database_url` with a small pool and
    the given ENTRYGO_ settings (none from this process's environment) and other `environment`,
    its output in `log`; returns the process and its port (poll it until it answers)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ENTRYGO_", "OTEL_"))}
    port = free_port()
    env |= {
        "DATABASE_URL": database_url,
        "ENTRYGO_PORT": str(port),
        "ENTRYGO_DATA_DIR": str(ROOT / ".entrygo" / "test"),
        "ENTRYGO_DB_POOL_MIN": "1",
        "ENTRYGO_DB_POOL_MAX": "2",
    }
    env |= {f"ENTRYGO_{name.upper()}": value for name, value in settings.items()}
    env |= environment or {}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "entrygo", "api"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return process, port


def stop_processes(processes: list[subprocess.Popen[bytes]], seconds: float = 10) -> None:
    """SIGTERM every child process, then wait for each; one still running after `seconds` is
    killed."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def serve(app: Any, port: int) -> tuple[uvicorn.Server, asyncio.Task[None]]:
    """Run an ASGI app with uvicorn on loopback in this event loop."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    return server, task


@dataclass
class Stack:
    """Handles on every part of the running stack."""

    settings: Settings
    api: httpx.AsyncClient
    broker: httpx.AsyncClient
    broker_url: str
    maildir: Path
    log_dir: Path
    env: dict[str, str]
    warehouse_receiver: WarehouseReceiver
    warehouse_url: str
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        """Start one more worker process."""
        log = (self.log_dir / f"worker-{len(self.workers)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "entrygo", "worker"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(proc)
        return proc

    def kill_workers(self) -> None:
        """SIGKILL every worker: no graceful shutdown, activities die mid-flight."""
        for proc in self.workers:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()

    def mails(self) -> list[Any]:
        """Every message the SMTP sink kept."""
        return read_maildir(self.maildir)

    async def broker_stats(self) -> dict[str, Any]:
        """What the sandbox broker counted."""
        return (await self.broker.get("/_sandbox/stats")).json()

    def webhook_warehouse(self, url: str | None = None) -> dict[str, Any]:
        """A warehouse notified at the stack's receiver (or at `url`), signed with its secret."""
        return {
            "name": "3PL with a webhook",
            "address": {"line1": "Kaj 2", "city": "Aarhus", "country": "DK"},
            "notificationUrl": url or self.warehouse_url,
            "notificationSecret": WAREHOUSE_SECRET,
        }

    async def reporting_release(self, world: World) -> World:
        """The world's broker set to report the goods' release (protocol 2), by its admin."""
        r = await self.api.patch(
            f"/api/brokers/{world.broker_id}",
            headers=world.tenant.auth("admin"),
            json={"reportsRelease": True},
        )
        assert r.status_code == 200, r.text
        return world

    async def world(
        self, pool: asyncpg.Pool, *, transport: str = "webhook", warehouse: dict | None = None
    ) -> World:
        """A tenant with a warehouse, a broker of the given transport and products."""
        tenant: Tenant = await make_tenant(pool, f"e2e-{uuid.uuid4().hex[:6]}")
        spec = (
            {"type": "webhook", "url": self.broker_url, "secret": BROKER_SECRET}
            if transport == "webhook"
            else {"type": "email", "recipientEmail": "entries@broker.test"}
        )
        return await make_world(pool, tenant, transport=spec, warehouse=warehouse)


@asynccontextmanager
async def running_stack(settings: Settings, base: Path) -> AsyncIterator[Stack]:
    """Start the stack (its files under `base`); the worker runs in its own process."""
    maildir = base / "mail"
    ports = {name: free_port() for name in ("api", "broker", "smtp", "warehouse")}
    receiver = WarehouseReceiver()
    receiver_server, receiver_task = await serve(receiver.app(), ports["warehouse"])
    sink = SmtpSink("127.0.0.1", ports["smtp"], maildir)
    sink.start()
    broker_server, broker_task = await serve(create_broker_app(BROKER_SECRET), ports["broker"])
    api_url = f"http://127.0.0.1:{ports['api']}"
    stack_settings = settings.model_copy(
        update={
            "task_queue": f"e2e-{uuid.uuid4().hex[:8]}",
            "public_base_url": api_url,
            "smtp_port": ports["smtp"],
            "execute_wait_seconds": 10.0,
            "temporal_call_timeout_seconds": 10.0,
        }
    )
    app = create_app(stack_settings)
    api_server, api_task = await serve(app, ports["api"])
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "TEMPORAL_ADDRESS": str(settings.temporal_address),
        "ENTRYGO_TASK_QUEUE": stack_settings.task_queue,
        "ENTRYGO_SMTP_PORT": str(ports["smtp"]),
        "ENTRYGO_PUBLIC_BASE_URL": api_url,
        "ENTRYGO_LOG_LEVEL": "WARNING",
        "ENTRYGO_WORKER_METRICS_PORT": "0",  # several workers on one machine
        "ENTRYGO_ALLOW_PRIVATE_URLS": "true",
        # a receiver that was down is retried within seconds here (minutes in production)
        "ENTRYGO_WEBHOOK_RETRY_CAP_SECONDS": "2",
        # an open destination is probed within seconds here (30 s growing to 10 min in production)
        "ENTRYGO_BREAKER_BACKOFF_INITIAL_SECONDS": "1",
        "ENTRYGO_BREAKER_BACKOFF_MAX_SECONDS": "4",
        "PYTHONPATH": str(ROOT),
    }
    stack = Stack(
        settings=stack_settings,
        api=httpx.AsyncClient(base_url=api_url, timeout=30),
        broker=httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports['broker']}", timeout=10),
        broker_url=f"http://127.0.0.1:{ports['broker']}/submissions",
        maildir=maildir,
        log_dir=base,
        env=env,
        warehouse_receiver=receiver,
        warehouse_url=f"http://127.0.0.1:{ports['warehouse']}/notifications",
    )
    stack.start_worker()
    try:
        yield stack
    finally:
        stack.kill_workers()
        await stack.api.aclose()
        await stack.broker.aclose()
        api_server.should_exit = True
        broker_server.should_exit = True
        receiver_server.should_exit = True
        await asyncio.gather(api_task, broker_task, receiver_task, return_exceptions=True)
        sink.stop()


SETTLED = {"EXECUTED", "COMPLETED"}


async def wait_status(
    stack: Stack, headers: dict, export_id: str, wanted: set[str], loops: int = 300
) -> dict[str, Any]:
    """Poll inspect until the status is one of `wanted` (bounded number of polls)."""
    view: dict[str, Any] = {}
    for _ in range(loops):
        view = (await stack.api.get(f"/api/exports/{export_id}", headers=headers)).json()
        if view["status"] in wanted:
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"status stayed {view.get('status')}; wanted {wanted}")
