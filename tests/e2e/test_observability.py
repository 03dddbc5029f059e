"""What an operator sees of a full lifecycle run by real `entrygo api` and `entrygo worker`
processes: Prometheus metrics on both, JSON log lines with their context and no secret in any
of them, and one trace from the plan request through the worker to the broker and warehouse."""

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from bench.topology_outside import Collector
from signing import SIGNATURE_HEADER
from tests.support.metrics import scrape, value
from tests.support.stack import BROKER_SECRET, WAREHOUSE_SECRET, Stack, free_port, serve

ENDPOINT_SECRET = "observed-endpoint-secret-0123456789"
SETTLED = {"COMPLETED"}


class Hooks:
    """A client's webhook receiver that keeps the signature of every delivery."""

    def __init__(self) -> None:
        self.signatures: list[str] = []
        self.events: list[dict[str, Any]] = []

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def receive(request: Request) -> JSONResponse:
            self.signatures.append(request.headers.get(SIGNATURE_HEADER, ""))
            self.events.append(json.loads(await request.body()))
            return JSONResponse({"ok": True})

        return Starlette(routes=[Route("/hooks", receive, methods=["POST"])])


@dataclass
class Observed:
    """Two processes of the service, what they write and where their metrics are."""

    api: httpx.AsyncClient
    api_metrics: str
    worker_metrics: str
    logs: dict[str, Path]
    traces: Collector
    hooks: Hooks
    hooks_url: str


def _wait_http(url: str, proc: subprocess.Popen[bytes], loops: int = 300) -> None:
    for _ in range(loops):
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest_asyncio.fixture(scope="module")
async def observed(stack: Stack, tmp_path_factory: Any) -> AsyncIterator[Observed]:
    base = tmp_path_factory.mktemp("observed")
    traces, hooks = Collector(), Hooks()
    ports = {name: free_port() for name in ("api", "worker", "otlp", "hooks")}
    otlp_server, otlp_task = await serve(traces.app(), ports["otlp"])
    hooks_server, hooks_task = await serve(hooks.app(), ports["hooks"])
    logs = {name: base / f"{name}.log" for name in ("api", "worker")}
    env = {
        **stack.env,
        "ENTRYGO_PORT": str(ports["api"]),
        "ENTRYGO_TASK_QUEUE": f"observed-{uuid.uuid4().hex[:8]}",
        "ENTRYGO_WORKER_METRICS_PORT": str(ports["worker"]),
        "ENTRYGO_LOG_LEVEL": "DEBUG",  # every line a library would write, too
        "ENTRYGO_EXPORTS_GAUGE_CACHE_SECONDS": "0",
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{ports['otlp']}",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    procs = [
        subprocess.Popen(  # noqa: ASYNC220 (started once, before anything waits on them)
            [sys.executable, "-m", "entrygo", name],
            env={**env, "ENTRYGO_LOG_FILE": str(logs[name])},
            stdout=subprocess.DEVNULL,
            stderr=(base / f"{name}.stderr").open("wb"),
        )
        for name in ("worker", "api")
    ]
    api_url = f"http://127.0.0.1:{ports['api']}"
    worker_metrics = f"http://127.0.0.1:{ports['worker']}/metrics"
    try:
        await asyncio.to_thread(_wait_http, f"{api_url}/api/system/ready", procs[1])
        await asyncio.to_thread(_wait_http, worker_metrics, procs[0])
        async with httpx.AsyncClient(base_url=api_url, timeout=30) as api:
            yield Observed(
                api,
                f"{api_url}/metrics",
                worker_metrics,
                logs,
                traces,
                hooks,
                f"http://127.0.0.1:{ports['hooks']}/hooks",
            )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        otlp_server.should_exit = hooks_server.should_exit = True
        await asyncio.gather(otlp_task, hooks_task, return_exceptions=True)


def log_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a log file, each of which must be one JSON object."""
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines, f"{path} is empty"
    return [json.loads(line) for line in lines]


async def test_a_lifecycle_is_measured_logged_and_traced(
    stack: Stack, observed: Observed, pool: asyncpg.Pool
) -> None:
    world = await stack.world(pool, warehouse=stack.webhook_warehouse())
    api = observed.api
    before = await scrape(observed.api_metrics)
    r = await api.post(
        "/api/webhook-endpoints",
        headers=world.tenant.auth("admin"),
        json={"url": observed.hooks_url, "secret": ENDPOINT_SECRET},
    )
    assert r.status_code == 201, r.text

    # a plan that asks for review: sync, plan, execute, approve, then the broker's acceptance
    ids = await world.orders(api, "SKU-SCARF", "SKU-SCARF-8")
    r = await api.post("/api/exports/plan", headers=world.tenant.auth(), json=world.plan_body(ids))
    assert r.status_code == 201, r.text
    plan = r.json()
    export_id = plan["exportId"]
    r = await api.post(
        "/api/exports/execute",
        headers=world.tenant.auth(),
        json={"accountId": world.tenant.account_id, "batchId": export_id},
    )
    assert r.status_code == 202, r.text
    r = await api.post(
        f"/api/exports/{export_id}/approve",
        headers=world.tenant.auth("reviewer"),
        json={"planHash": plan["planHash"], "comment": "checked"},
    )
    assert r.status_code == 200, r.text
    for _ in range(600):
        view = (await api.get(f"/api/exports/{export_id}", headers=world.tenant.auth())).json()
        if view["status"] in SETTLED and any(
            e["exportId"] == export_id for e in observed.hooks.events
        ):
            break
        await asyncio.sleep(0.1)
    assert view["status"] in SETTLED

    # metrics: the request counters by route template, the gauges and the worker's counters
    after = await scrape(observed.api_metrics)
    plan_route = {"route": "/api/exports/plan", "method": "POST", "status": "201"}
    assert (
        value(after, "entrygo_http_requests_total", **plan_route)
        == value(before, "entrygo_http_requests_total", **plan_route) + 1
    )
    inspect = {"route": "/api/exports/{export_id}", "method": "GET", "status": "200"}
    assert value(after, "entrygo_http_requests_total", **inspect) >= 1
    assert (
        value(after, "entrygo_http_request_duration_seconds_count", route="/api/exports/plan") >= 1
    )
    routes = {dict(labels).get("route") for (_, labels) in after}
    assert not any(export_id in (route or "") for route in routes)  # never a raw id
    assert (
        value(after, "entrygo_exports", status="COMPLETED")
        >= value(before, "entrygo_exports", status="COMPLETED") + 1
    )
    assert ("entrygo_review_queue_oldest_age_seconds", frozenset()) in after
    worker = await scrape(observed.worker_metrics)
    assert value(worker, "entrygo_activity_attempts_total", outcome="completed") >= 5
    assert (
        value(
            worker,
            "entrygo_activity_attempts_total",
            activity="create_customs_package",
            outcome="completed",
        )
        == 1
    )
    assert (
        value(worker, "entrygo_broker_submissions_total", transport="webhook", outcome="accepted")
        == 1
    )
    assert value(worker, "entrygo_warehouse_notifications_total", outcome="delivered") == 1
    # every worker drains the webhook outbox (the stack's own worker as well), so which one
    # counted a delivery is not fixed here; the counter's outcomes are asserted on one outbox in
    # tests/activities/test_outbound_addresses.py
    assert any(e["exportId"] == export_id for e in observed.hooks.events)
    assert any(name.startswith("temporal_") for (name, _) in worker)  # the SDK's own

    # logs: JSON lines with their context; one access line per request
    api_lines, worker_lines = log_lines(observed.logs["api"]), log_lines(observed.logs["worker"])
    access = [line for line in api_lines if line["logger"] == "entrygo.access"]
    planned = [line for line in access if line["route"] == "/api/exports/plan"]
    assert len(planned) == 1
    assert {"request_id", "account_id", "trace_id", "status", "duration_ms", "method"} <= set(
        planned[0]
    )
    assert planned[0]["account_id"] == world.tenant.account_id
    approved = [line for line in access if line["route"] == "/api/exports/{export_id}/approve"]
    assert approved[0]["export_id"] == export_id
    assert len({line["request_id"] for line in access}) == len(access)
    in_activities = [line for line in worker_lines if line.get("export_id") == export_id]
    assert in_activities, "no worker line names the export"
    assert all(line.get("workflow_id") for line in in_activities)

    # no key, secret or signature in any line
    secrets = [*world.tenant.keys.values(), BROKER_SECRET, WAREHOUSE_SECRET, ENDPOINT_SECRET]
    signatures = [part for header in observed.hooks.signatures for part in header.split(",")]
    signatures = [s.split("=", 1)[1] for s in signatures if s.startswith("v1=")]
    assert signatures
    text = observed.logs["api"].read_text() + observed.logs["worker"].read_text()
    leaked = [s for s in [*secrets, *signatures] if s in text]
    assert leaked == []

    # traces: the plan's trace reaches the broker and the warehouse through the worker
    trace_id = planned[0]["trace_id"]
    assert any(tp.split("-")[1] == trace_id for tp in (await stack.broker_stats())["traceparents"])
    assert any(tp.split("-")[1] == trace_id for tp in stack.warehouse_receiver.traceparents)
    for _ in range(100):
        spans = [s for s in observed.traces.snapshot() if s.trace_id == trace_id]
        if {s.service for s in spans} >= {"entrygo-api", "entrygo-worker"} and any(
            s.name.startswith("RunActivity:notify_warehouse") for s in spans
        ):
            break
        await asyncio.sleep(0.1)
    names = [s.name for s in spans]
    assert {s.service for s in spans} == {"entrygo-api", "entrygo-worker"}
    assert len({s.pid for s in spans}) == 2
    # the plan request starts the workflow (update-with-start); its run and every activity hang
    # below, and the broker's and the warehouse's POSTs below their activities
    assert "StartUpdateWithStartWorkflow:ExportWorkflow" in names
    assert "RunWorkflow:ExportWorkflow" in names
    by_id = {s.span_id: s for s in spans}
    posted_from = {
        by_id[s.parent_span_id].name for s in spans if s.name == "POST" and s.parent_span_id
    }
    assert {"RunActivity:send_broker_submission", "RunActivity:notify_warehouse"} <= posted_from
    ids = {s.span_id for s in spans}
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 1
    assert roots[0].service == "entrygo-api"
    assert all(s.parent_span_id in ids for s in spans if s.parent_span_id)
