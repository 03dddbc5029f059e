"""`entrygo outbox`, the webhook outbox in a process of its own (docs/operations.md): the real
command against the test database, a worker that does not drain the outbox, a receiver on
loopback. The process sends an export's events in seq order, counts them on its own `/metrics`,
answers `/health`, and a SIGTERM ends it cleanly.

It must be the only outbox draining the session's database, so it runs before tests/e2e: the e2e
stack's workers drain that database for the rest of the session (as test_outbox_fleet.py must).
"""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio

from config.settings import Settings
from tests.support.exports_api import planned
from tests.support.metrics import scrape, value
from tests.support.polling import eventually
from tests.support.stack import free_port
from tests.support.tenants import World
from tests.support.webhook_receiver import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = "process-endpoint-secret-0123456789"


@dataclass
class OutboxProcess:
    proc: asyncio.subprocess.Process
    metrics: str  # its metrics server's base URL


@pytest_asyncio.fixture
async def outbox_process(settings: Settings, tmp_path: Path) -> AsyncIterator[OutboxProcess]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": str(settings.database_url),
        "ENTRYGO_ALLOW_PRIVATE_URLS": "true",
        "ENTRYGO_OUTBOX_METRICS_PORT": str(port),
        "ENTRYGO_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    log = (tmp_path / "outbox.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entrygo", "outbox", env=env, stdout=log, stderr=subprocess.STDOUT
    )
    running = OutboxProcess(proc, f"http://127.0.0.1:{port}")
    try:
        await eventually(lambda: _answers(f"{running.metrics}/health"), attempts=300)
        yield running
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        log.close()


async def _answers(url: str) -> bool:
    try:
        async with httpx.AsyncClient() as client:
            return (await client.get(url)).status_code == 200
    except httpx.TransportError:
        return False


async def test_the_outbox_process_sends_an_exports_events_in_order_and_stops_on_sigterm(
    http: httpx.AsyncClient, worker: Any, world: World, outbox_process: OutboxProcess
) -> None:
    # the worker here is the test's own, which never drains the outbox: only the process sends
    receiver = WebhookReceiver(SECRET)
    await receiver.start()
    body = {"url": receiver.url, "secret": SECRET}
    r = await http.post("/api/webhook-endpoints", headers=world.tenant.auth("admin"), json=body)
    assert r.status_code == 201, r.text
    export_id = str((await planned(http, world, "SKU-SCARF"))["exportId"])
    events = await http.get(f"/api/exports/{export_id}/events", headers=world.tenant.auth())
    seqs = [e["seq"] for e in events.json()["data"]]
    assert seqs

    async def all_arrived() -> bool:
        return [e["seq"] for e in receiver.of_export(export_id)] == seqs

    await eventually(all_arrived, attempts=400)
    samples = await scrape(f"{outbox_process.metrics}/metrics")
    sent = value(samples, "entrygo_webhook_deliveries_total", outcome="delivered")
    assert sent >= len(seqs), "another outbox drains this database (see the docstring)"

    outbox_process.proc.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(outbox_process.proc.wait(), 30) == 0
    await receiver.stop()
