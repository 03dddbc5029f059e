"""`make load`: concurrent clients run the whole export lifecycle for a while; errors and memory.

Starts the dev stack like `bench.lifecycle` (rate limit raised out of the way). Each client loops:
sync one order → plan → execute → (for a share of them: the plan is REVIEW_REQUIRED, so approve
it with the reviewer key) → poll inspect until EXECUTED or COMPLETED; another share plays the
broker loop (bench/answer_flow.py: the broker rejects correctably, the client answers, the
amendment goes out), timed from the answer to the amendment's arrival at the broker. After a warm-up it reads the
API's and the worker's resident memory, runs the measured window, reads it again, then lets the
flows in flight finish. Prints throughput, errors (any non-2xx, any exception, any export that
fails or sticks), p50/p99 per endpoint and the memory figures against the targets. The demo
account's webhook receiver is a process of its own (bench/webhook_sink.py), as a client's would
be: its arrivals wait on no client of this loop, whose own lag is printed beside them.
"""

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.answer_flow import AnswerClient
from bench.common import free_port
from bench.flow import FlowError, Timings, percentile
from bench.stack import BenchStack, add_stack_options, running_stack, stack_env
from bench.webhook_sink import read_arrivals
from entrygo.dev import wait_for_port
from entrygo.seed import demo_products

TARGET_MEMORY_GROWTH = 0.20
# inspect answers from the projection, never waiting on a busy worker (docs/benchmarks.md)
INSPECT = "GET /api/exports/{id}"
TARGET_INSPECT_P50_MS = 60.0
TARGET_INSPECT_P99_MS = 250.0
WATCHED = ("api", "worker")
SAMPLE_EVERY_S = 10.0
LOOP_TICK_S = 0.05  # how often the clients' event loop is checked for lag


class Load:
    """The clients' shared state: which phase counts, and what each phase saw."""

    def __init__(self) -> None:
        self.timings = Timings()
        self.flows: list[tuple[float, float, bool]] = []  # (finished at, seconds, review)
        self.stop = asyncio.Event()
        self.counter = itertools.count()
        self.outbox_cpu_s = 0.0  # CPU seconds the outbox process used in the measured window
        # the clients' event loop: (checked at, seconds a timer fired late)
        self.loop_lags: list[tuple[float, float]] = []
        # answered broker requests: (amendment arrived at, seconds from the answer to it)
        self.answers: list[tuple[float, float]] = []
        # what `report` prints besides: (measured flows, memory, RSS series, broker, drain s)
        self.figures: tuple[
            list[tuple[float, float, bool]],
            tuple[dict[str, float], dict[str, float], dict[str, float]],
            list[tuple[float, dict[str, float]]],
            dict[str, Any],
            float,
        ] = ([], ({}, {}, {}), [], {}, 0.0)


WEBHOOK_SECRET = "bench-webhook-secret-0123456789"  # noqa: S105  (a local receiver of the run)


@contextmanager
def webhook_receiver(out: Path) -> Iterator[int]:
    """A client's webhook receiver in a process of its own (bench/webhook_sink.py), on a free
    loopback port (yielded); its arrivals are in `out` once it has stopped."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "bench.webhook_sink", "--port", str(port), "--out", str(out)]
    )
    try:
        wait_for_port("127.0.0.1", port, 30)
        yield port
    finally:
        sink.terminate()
        sink.wait(timeout=30)


async def watch_loop(load: Load) -> None:
    """Record how late a short timer fires in the clients' loop until cancelled (the lag an
    in-loop receiver would have added to every arrival)."""
    while True:
        started = time.monotonic()
        await asyncio.sleep(LOOP_TICK_S)
        now = time.monotonic()
        load.loop_lags.append((now, now - started - LOOP_TICK_S))


async def subscribe(http: httpx.AsyncClient, demo: dict[str, Any], url: str) -> None:
    """Register the receiver for every event of the demo account."""
    r = await http.post(
        "/api/webhook-endpoints",
        json={"url": url, "secret": WEBHOOK_SECRET},
        headers={"authorization": f"Bearer {demo['keys']['admin']}"},
    )
    r.raise_for_status()


async def review_product(http: httpx.AsyncClient, demo: dict[str, Any]) -> str:
    """Sync a product whose HS code is too short to file: its plans are REVIEW_REQUIRED."""
    product = {**demo_products()[0], "externalId": "SKU-BENCH-REVIEW", "hsCode": "6117.10"}
    r = await http.post(
        "/api/products/sync",
        json={"accountId": demo["accountId"], "items": [product]},
        headers={"authorization": f"Bearer {demo['keys']['integration']}"},
    )
    r.raise_for_status()
    product_id: str = r.json()["data"][0]["id"]
    return product_id


async def client_loop(
    client: AnswerClient, load: Load, products: tuple[str, str], every: tuple[int, int], run: str
) -> None:
    """Run flows back to back until told to stop; errors are counted, not raised. `every`: one
    flow in so many is a review flow, one (another) a broker-loop flow."""
    ready, review_id = products
    review_every, answer_every = every
    while not load.stop.is_set():
        n = next(load.counter)
        review = review_every > 0 and n % review_every == 0
        answer = not review and answer_every > 0 and n % answer_every == 1
        started = time.perf_counter()
        try:
            if answer:
                latency = await client.answered(f"{run}-{n}", ready)
                load.answers.append((time.monotonic(), latency))
                continue
            await client.export(f"{run}-{n}", review_id if review else ready, review=review)
        except FlowError:
            continue
        except Exception as exc:  # anything else is an error of the run, never a crash of it
            load.timings.error("exception", f"{type(exc).__name__}: {exc}")
            continue
        load.flows.append((time.monotonic(), time.perf_counter() - started, review))


def rss(stack: BenchStack) -> dict[str, float]:
    """VmRSS (MB) of the watched processes."""
    return {name: stack.rss_mb(name) for name in WATCHED}


async def sample_memory(stack: BenchStack, series: list[tuple[float, dict[str, float]]]) -> None:
    """Append the watched processes' RSS every few seconds until cancelled."""
    started = time.monotonic()
    while True:
        await asyncio.sleep(SAMPLE_EVERY_S)
        series.append((time.monotonic() - started, rss(stack)))


def run_with_receiver(stack: BenchStack, args: argparse.Namespace) -> bool:
    """Run the load against a webhook receiver of its own; True when the targets are met."""
    with tempfile.TemporaryDirectory(prefix="entrygo-load-") as tmp:
        out = Path(tmp) / "arrivals"
        with webhook_receiver(out) as port:
            load, window = asyncio.run(run_load(stack, args, port))
        arrivals = read_arrivals(out)
    in_window = {k: lag for k, (at, lag) in arrivals.items() if window[0] <= at <= window[1]}
    lags = list(in_window.values())
    loop = [lag for at, lag in load.loop_lags if window[0] <= at <= window[1]]
    print(
        f"webhook deliveries in the window: {len(lags)}, lag from event to receiver "
        f"p50 {percentile(lags, 50) * 1000:.0f} ms p99 {percentile(lags, 99) * 1000:.0f} ms "
        f"(the outbox wakes on NOTIFY)"
    )
    print_lag_split(stack, in_window)
    print(
        f"the outbox's CPU in the window: {load.outbox_cpu_s:.1f} s, "
        f"{load.outbox_cpu_s * 1000 / max(len(lags), 1):.2f} ms per delivery"
    )
    print(
        f"the receiver runs in a process of its own; the clients' event loop in the window: a "
        f"{LOOP_TICK_S * 1000:.0f} ms timer late by p50 {percentile(loop, 50) * 1000:.0f} ms "
        f"p99 {percentile(loop, 99) * 1000:.0f} ms (what a receiver in this loop would add)"
    )
    answered = [s for at, s in load.answers if window[0] <= at <= window[1]]
    print(
        f"broker requests answered in the window: {len(answered)}, answer to the amendment's "
        f"arrival at the broker p50 {percentile(answered, 50) * 1000:.0f} ms "
        f"p99 {percentile(answered, 99) * 1000:.0f} ms"
    )
    return report(args, load, *load.figures)


# per event: how long after its `createdAt` the transaction that wrote it (and its deliveries)
# began; an event stamped by that transaction has none
_WRITTEN = """
SELECT e.id, extract(epoch FROM min(d.created_at) - e.occurred_at)::float8 AS gap
FROM export_events e JOIN webhook_deliveries d ON d.event_id = e.id
WHERE e.id = any($1::text[])
GROUP BY e.id, e.occurred_at
"""


def print_lag_split(stack: BenchStack, lags: dict[str, float]) -> None:
    """The lag in two parts: from the event's time to the start of the transaction that wrote
    it (an event of a workflow's transition carries the workflow's time, which comes first),
    and from there to the receiver (the write, its commit, the outbox and the POST)."""

    async def gaps() -> dict[str, float]:
        conn = await asyncpg.connect(stack.settings.database_url)
        try:
            rows = await conn.fetch(_WRITTEN, list(lags))
        finally:
            await conn.close()
        return {r["id"]: max(r["gap"], 0.0) for r in rows}

    before = asyncio.run(gaps())
    stamped = [before[k] for k in lags if before.get(k, 0.0) > 0]
    after = [lags[k] - before[k] for k in lags if k in before]
    print(
        f"  of which from the event's time to the transaction that wrote it: "
        f"{len(stamped)} of {len(lags)} events carry the workflow's earlier time, by "
        f"p50 {percentile(stamped, 50) * 1000:.0f} ms p99 {percentile(stamped, 99) * 1000:.0f} ms; "
        f"from that transaction's start to the receiver p50 {percentile(after, 50) * 1000:.0f} ms "
        f"p99 {percentile(after, 99) * 1000:.0f} ms"
    )


async def run_load(
    stack: BenchStack, args: argparse.Namespace, port: int
) -> tuple[Load, tuple[float, float]]:
    """Warm up, measure, drain; the clients' figures and the measured window (monotonic)."""
    run = uuid.uuid4().hex[:6]
    load = Load()
    limits = httpx.Limits(max_connections=args.clients * 2 + 10)
    every = tuple(round(1 / share) if share > 0 else 0 for share in shares(args))
    watching = asyncio.create_task(watch_loop(load))
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as http:
        await subscribe(http, stack.demo, f"http://127.0.0.1:{port}/hooks")
        products = (stack.demo["productIds"][0], await review_product(http, stack.demo))
        clients = [
            AnswerClient(
                http, stack.demo, load.timings, poll_s=args.poll, broker_url=stack.broker_url
            )
            for _ in range(args.clients)
        ]
        pair = (every[0], every[1])
        tasks = [asyncio.create_task(client_loop(c, load, products, pair, run)) for c in clients]
        await asyncio.sleep(args.warmup)
        warm = Timings()
        for c in clients:  # calls from here on count in the measured window
            c.timings = warm
        load.timings = warm
        after_warmup = rss(stack)
        series: list[tuple[float, dict[str, float]]] = [(0.0, after_warmup)]
        sampler = asyncio.create_task(sample_memory(stack, series))
        outbox_cpu = stack.cpu_seconds()["outbox"]
        window_start = time.monotonic()
        await asyncio.sleep(args.seconds)
        window_end = time.monotonic()
        load.outbox_cpu_s = stack.cpu_seconds()["outbox"] - outbox_cpu
        at_end = rss(stack)
        sampler.cancel()
        load.stop.set()
        drain_started = time.monotonic()
        await asyncio.gather(*tasks)
        drain_s = time.monotonic() - drain_started
        await asyncio.sleep(2)  # broker callbacks of the last flows, their webhooks
        idle = rss(stack)
        broker = (await http.get(f"{stack.broker_url}/_sandbox/stats")).json()
    watching.cancel()
    measured = [f for f in load.flows if window_start <= f[0] <= window_end]
    load.figures = (measured, (after_warmup, at_end, idle), series, broker, drain_s)
    return load, (window_start, window_end)


def report(
    args: argparse.Namespace,
    load: Load,
    measured: list[tuple[float, float, bool]],
    memory: tuple[dict[str, float], dict[str, float], dict[str, float]],
    series: list[tuple[float, dict[str, float]]],
    broker: dict[str, Any],
    drain_s: float,
) -> bool:
    """Print the figures; True when there were no errors and memory stayed within the target."""
    timings = load.timings
    requests = sum(len(v) for v in timings.calls.values())
    reviews = sum(1 for f in measured if f[2])
    latencies = [f[1] for f in measured]
    errors = sum(timings.errors.values())
    print()
    print(
        f"flows completed in the {args.seconds:.0f} s window: {len(measured)} "
        f"({len(measured) / args.seconds:.2f}/s; {reviews} with review), "
        f"end to end p50 {percentile(latencies, 50):.2f} s p99 {percentile(latencies, 99):.2f} s"
    )
    print(
        f"requests after warm-up (window + {drain_s:.0f} s drain): {requests} "
        f"({requests / (args.seconds + drain_s):.1f}/s)"
    )
    print(f"errors after warm-up: {errors} {dict(timings.errors)}")
    for sample in timings.samples:
        print(f"  e.g. {sample}")
    print()
    print(f"{'endpoint':32} | {'calls':>6} | {'p50 ms':>7} | {'p99 ms':>7} | errors")
    for name, values in sorted(timings.calls.items()):
        print(
            f"{name:32} | {len(values):6d} | {percentile(values, 50) * 1000:7.0f} "
            f"| {percentile(values, 99) * 1000:7.0f} | {timings.errors.get(name, 0)}"
        )
    inspect_target(timings.calls.get(INSPECT, []))
    print()
    after_warmup, at_end, idle = memory
    ok = errors == 0
    print("VmRSS MB  | after warm-up | end of window | change | after drain")
    for name in WATCHED:
        change = at_end[name] / after_warmup[name] - 1
        ok = ok and change <= TARGET_MEMORY_GROWTH
        print(
            f"{name:9} | {after_warmup[name]:13.1f} | {at_end[name]:13.1f} "
            f"| {change * 100:+5.1f}% | {idle[name]:11.1f}"
        )
    print(
        "RSS every ~10 s: "
        + "; ".join(
            f"{t:.0f}s " + " ".join(f"{k}={v:.0f}" for k, v in sample.items())
            for t, sample in series
        )
    )
    print(
        "sandbox broker: "
        + ", ".join(f"{k}={v}" for k, v in broker.items() if not isinstance(v, dict | list))
    )
    print(
        f"targets: 0 errors, RSS growth <= {TARGET_MEMORY_GROWTH:.0%} "
        f"-> {'MET' if ok else 'NOT MET'}"
    )
    return ok


def inspect_target(values: list[float]) -> None:
    """Print inspect's own target line (it does not change the run's exit status)."""
    if not values:
        print(f"target {INSPECT}: no calls -> NOT MET")
        return
    p50, p99 = percentile(values, 50) * 1000, percentile(values, 99) * 1000
    met = p50 <= TARGET_INSPECT_P50_MS and p99 <= TARGET_INSPECT_P99_MS
    print(
        f"target {INSPECT}: p50 {p50:.0f} ms <= {TARGET_INSPECT_P50_MS:.0f} ms, "
        f"p99 {p99:.0f} ms <= {TARGET_INSPECT_P99_MS:.0f} ms -> {'MET' if met else 'NOT MET'}"
    )


def shares(args: argparse.Namespace) -> tuple[float, float]:
    """The review share and the broker-loop share of the flows."""
    return args.review_share, args.answer_share


def main() -> None:
    """Parse the options, start the stack, run the load, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=120.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds before measuring")
    parser.add_argument("--review-share", type=float, default=0.2, help="share of review flows")
    parser.add_argument(
        "--answer-share", type=float, default=0.1, help="share of broker-loop flows"
    )
    parser.add_argument("--poll", type=float, default=0.2, help="seconds between inspect polls")
    add_stack_options(parser)
    args = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with running_stack(args.temporal, stack_env(args)) as stack:
        print(
            f"EntryGo load: {args.clients} clients, {args.seconds:.0f} s measured after "
            f"{args.warmup:.0f} s warm-up, {args.review_share:.0%} review flows, "
            f"{args.answer_share:.0%} broker-loop flows, inspect polled "
            f"every {args.poll:.2f} s; {os.cpu_count()} CPUs, load average {load_before:.2f}; "
            f"API processes: {args.api_processes}"
        )
        print(f"Temporal: {stack.persistence}; database: {stack.database}", flush=True)
        print(f"pids: {stack.pids()}", flush=True)
        ok = run_with_receiver(stack, args)
    print(
        f"(load average after {os.getloadavg()[0]:.2f}; whole run "
        f"{time.monotonic() - started:.0f} s)",
        flush=True,
    )
    # temporalio may crash at interpreter exit in short-lived processes (sdk-python#300)
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
