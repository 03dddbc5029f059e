"""`make bench-lifecycle`: exports end to end through the HTTP API against a bare Temporal baseline.

Starts the dev stack (`entrygo.dev.DevStack`) in a temporary data dir on free loopback ports:
PostgreSQL (DATABASE_URL, else embedded), Temporal (TEMPORAL_ADDRESS, else the dev server with a
SQLite file as `make run` uses; `--temporal memory` starts an in-memory one), SMTP sink, sandbox
broker, worker and API. At each concurrency it runs N exports (sync one order → plan → execute →
poll inspect until EXECUTED or later) against the sandbox webhook broker; then, on the same
Temporal server, N bare workflows with as many no-op activities (`bench.baseline`) run by a
worker in this process. Prints exports/s and workflows/s, their ratio, p50/p99 end-to-end latency
and the CPU each process spent per export.
"""

import argparse
import asyncio
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baseline import BareExport, noop
from bench.flow import ExportClient, FlowError, Timings, percentile
from bench.otlp_sink import OtlpSink
from bench.stack import BenchStack, add_stack_options, running_stack, stack_env
from config.temporal import connect_temporal
from workflows.export import STEPS

# The baseline stays the execution path as the protocol lays it out, one activity per write:
# the ledger's EXECUTION_REQUESTED, EXECUTING and EXECUTED, then the five steps. The export itself
# now runs several of them as local activities; its own count is printed from its history.
LEDGER_TRANSITIONS_TO_EXECUTED = 3
EXECUTION_ACTIVITIES = LEDGER_TRANSITIONS_TO_EXECUTED + len(STEPS)


@dataclass
class Level:
    """One batch at one concurrency: wall time and per-item latencies."""

    concurrency: int
    seconds: float
    latencies: list[float]
    cpu: dict[str, float]
    failed: int = 0
    polls: int = 0

    @property
    def rate(self) -> float:
        """Items finished per second."""
        return len(self.latencies) / self.seconds


async def timed_batch(
    n: int, concurrency: int, one: Callable[[int], Awaitable[object]], stack: BenchStack
) -> Level:
    """Run `one(i)` for i < n with at most `concurrency` at once; CPU per process over the batch."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failed = 0

    async def timed(i: int) -> None:
        nonlocal failed
        async with gate:
            started = time.perf_counter()
            try:
                await one(i)
            except FlowError:  # counted by the flow; the batch goes on
                failed += 1
                return
            latencies.append(time.perf_counter() - started)

    cpu_before = stack.cpu_seconds()
    started = time.perf_counter()
    await asyncio.gather(*(timed(i) for i in range(n)))
    seconds = time.perf_counter() - started
    cpu_after = stack.cpu_seconds()
    cpu = {name: cpu_after[name] - cpu_before.get(name, 0.0) for name in cpu_after}
    return Level(concurrency, seconds, latencies, cpu, failed)


async def drain(client: ExportClient) -> None:
    """Wait (untimed) until no export sits in EXECUTED: broker outcomes are recorded first."""
    for _ in range(600):
        page = await client.call("GET /api/exports", "GET", "/api/exports?status=EXECUTED&limit=1")
        if not page["data"]:
            return
        await asyncio.sleep(0.1)


async def bench(stack: BenchStack, levels: list[int], n: int, warmup: int, poll_s: float) -> int:
    """Exports then bare workflows at each concurrency; prints the table; the error count."""
    run = uuid.uuid4().hex[:6]
    product = stack.demo["productIds"][0]
    timings = Timings()
    client_t: Client = await connect_temporal(stack.settings)
    queue = f"bench-bare-{run}"
    limits = httpx.Limits(max_connections=max(levels) * 2 + 10)
    async with (
        httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as http,
        Worker(client_t, task_queue=queue, workflows=[BareExport], activities=[noop]),
    ):
        client = ExportClient(http, stack.demo, timings, poll_s=poll_s)

        made: list[str] = []  # exports and bare workflows, for their histories

        def exports_tagged(prefix: str) -> Callable[[int], Awaitable[str]]:
            async def one(i: int) -> str:
                export_id = await client.started(f"{run}-{prefix}-{i}", product)
                made.append(f"export-{export_id}")
                return await client.until_executed(export_id)

            return one

        async def bare(_: int) -> None:
            ident = f"bare-{uuid.uuid4().hex}"
            await client_t.execute_workflow(
                BareExport.run, EXECUTION_ACTIVITIES, id=ident, task_queue=queue
            )
            made.append(ident)

        await timed_batch(warmup, min(5, warmup), exports_tagged("warm"), stack)
        await timed_batch(warmup, min(5, warmup), bare, stack)
        await drain(client)
        results: list[tuple[Level, Level]] = []
        inspects = timings.calls["GET /api/exports/{id}"]
        for c in levels:
            polled = len(inspects)
            exports = await timed_batch(n, c, exports_tagged(f"c{c}"), stack)
            exports.polls = len(inspects) - polled
            await drain(client)
            bares = await timed_batch(n, c, bare, stack)
            results.append((exports, bares))
            print(
                f"  c={c}: exports {exports.rate:.2f}/s ({exports.failed} failed), "
                f"bare {bares.rate:.2f}/s",
                flush=True,
            )
        broker = (await http.get(f"{stack.broker_url}/_sandbox/stats")).json()
        costs = [
            await history_cost(client_t, next(w for w in reversed(made) if w.startswith(kind)))
            for kind in ("export-", "bare-")
        ]
    report(results, n, broker, timings)
    print(
        "one workflow's history (an export once COMPLETED; a bare workflow): "
        + "; ".join(
            f"{kind}: {c.events} events, {c.workflow_tasks} workflow tasks, "
            f"{c.activities} activities, {c.local_activities} local activities, "
            f"~{c.round_trips} worker↔server round trips"
            for kind, c in zip(("export", "bare"), costs, strict=True)
        )
    )
    return sum(timings.errors.values())


@dataclass
class HistoryCost:
    """What one workflow cost the server: its events, tasks and the worker's round trips (a
    poll and a completion per workflow task and per activity task)."""

    events: int
    workflow_tasks: int
    activities: int
    local_activities: int

    @property
    def round_trips(self) -> int:
        return 2 * (self.workflow_tasks + self.activities)


async def history_cost(client: Client, workflow_id: str) -> HistoryCost:
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    types = [e.event_type for e in history.events]
    markers = [
        e
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]
    return HistoryCost(
        events=len(types),
        workflow_tasks=types.count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        activities=types.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        local_activities=len(markers),
    )


def report(
    results: list[tuple[Level, Level]], n: int, broker: dict[str, Any], timings: Timings
) -> None:
    """The figures: throughput, ratio, latency, CPU per item."""
    print()
    print(f"{n} per level; end to end = sync → plan → execute → inspect shows EXECUTED or later")
    print(
        "concurrency | exports/s | p50 s | p99 s | failed || bare wf/s | p50 s | p99 s "
        "|| ratio exports/bare"
    )
    for exports, bares in results:
        print(
            f"{exports.concurrency:11d} | {exports.rate:9.2f} | {percentile(exports.latencies, 50):5.2f} "
            f"| {percentile(exports.latencies, 99):5.2f} | {exports.failed:6d} || {bares.rate:9.2f} "
            f"| {percentile(bares.latencies, 50):5.2f} | {percentile(bares.latencies, 99):5.2f} "
            f"|| {exports.rate / bares.rate:.3f}"
        )
    print()
    print("CPU ms per item, by process:")
    names = [*sorted({k for e, b in results for k in (*e.cpu, *b.cpu)} - {"machine"}), "machine"]
    print("concurrency | run     | " + " ".join(f"{x:>14}" for x in names) + " |  total")
    for exports, bares in results:
        for label, level in (("exports", exports), ("bare", bares)):
            cells = [f"{1000 * level.cpu.get(x, 0) / n:14.0f}" for x in names]
            total = 1000 * (sum(level.cpu.values()) - level.cpu["machine"]) / n
            print(f"{level.concurrency:11d} | {label:7} | " + " ".join(cells) + f" | {total:6.0f}")
    print("(machine = every process on the box, ours and others'; total = ours)")
    print(
        "inspect calls per export: "
        + ", ".join(f"c={e.concurrency} {e.polls / n:.1f}" for e, _ in results)
    )
    print()
    print(
        "sandbox broker: "
        + ", ".join(f"{k}={v}" for k, v in broker.items() if not isinstance(v, dict | list))
    )
    print(
        "per endpoint (all levels): "
        + ", ".join(
            f"{name} p50 {percentile(v, 50) * 1000:.0f} ms p99 {percentile(v, 99) * 1000:.0f} ms"
            for name, v in sorted(timings.calls.items())
            if name != "GET /api/exports"
        )
    )
    print(f"errors: {sum(timings.errors.values())} {dict(timings.errors)}")
    for sample in timings.samples:
        print(f"  e.g. {sample}")


def main() -> None:
    """Parse the options, start the stack, run, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--levels", default="1,5,20", help="concurrencies, comma-separated")
    parser.add_argument("-n", type=int, default=40, help="exports (and bare workflows) per level")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between inspect polls")
    add_stack_options(parser)
    parser.add_argument(
        "--tracing", action="store_true", help="API and worker export traces to a loopback sink"
    )
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    started = time.monotonic()
    load_before = os.getloadavg()
    sink = OtlpSink().__enter__() if args.tracing else None
    extra = stack_env(args)
    if sink is not None:
        extra["OTEL_EXPORTER_OTLP_ENDPOINT"] = sink.endpoint
    with running_stack(args.temporal, extra) as stack:
        print(
            f"EntryGo lifecycle benchmark: {os.cpu_count()} CPUs, load average "
            f"{load_before[0]:.2f}; API processes: {args.api_processes}"
        )
        print(f"Temporal: {stack.persistence}; database: {stack.database}")
        print(
            f"baseline BareExport: 1 local activity (as plan_export) + {EXECUTION_ACTIVITIES} "
            f"no-op activities ({LEDGER_TRANSITIONS_TO_EXECUTED} transitions + {len(STEPS)} "
            "steps, one activity each), worker in this process; the export's own path is "
            "counted from its history at the end"
        )
        print(f"broker: sandbox webhook; inspect polled every {args.poll:.2f} s", flush=True)
        print(f"tracing: {'on, OTLP/HTTP to a loopback sink' if sink else 'off'}", flush=True)
        errors = asyncio.run(bench(stack, levels, args.n, args.warmup, args.poll))
    print(
        f"(load average after {os.getloadavg()[0]:.2f}; whole run {time.monotonic() - started:.0f} s)",
        flush=True,
    )
    if sink is not None:
        print(f"(trace exports received: {sink.requests}, {sink.bytes} bytes)", flush=True)
        sink.__exit__()
    # temporalio may crash at interpreter exit in short-lived processes (sdk-python#300)
    os._exit(1 if errors else 0)


if __name__ == "__main__":
    main()
