"""`make bench-inspect`: latency of `GET /api/exports/{id}` by export state, against a DB-only read.

Starts the dev stack like `bench.lifecycle` (`entrygo.dev.DevStack` in a temporary data dir on free
loopback ports: Temporal dev server with a SQLite file as `make run`, or `--temporal memory`;
SMTP sink, sandbox broker, worker and API as separate processes). With DATABASE_URL it creates a
fresh database on that server for the run and drops it afterwards (else the embedded PostgreSQL
in the temp dir). It then creates `--exports` exports in each of five states, untimed:

  open workflows:   PLANNED (plan only), AWAITING_APPROVAL (review plan + execute), EXECUTED
                    (email broker: package sent, the workflow waits for the broker's answer)
  closed workflows: CANCELLED (plan + cancel), COMPLETED (webhook broker accepted)

and measures sequential inspects of each state, interleaved call by call with the baseline on the
same export: `GET /api/exports/{id}/events?limit=1`, which takes the same HTTP, authentication,
pool and account-scoped export-row path but reads one event and never calls Temporal.
`GET /api/system/live` (no key, no database) is sampled once per round as the HTTP floor. Prints
p50/p99 of each, the ratios, and the CPU each process spends per call.
"""

import argparse
import asyncio
import functools
import os
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from bench.common import with_database
from bench.flow import ExportClient, FlowError, Timings, percentile
from bench.stack import BenchStack, running_stack
from entrygo.seed import READY_PRODUCTS

INSPECT = "GET /api/exports/{id}"
BASELINE = "GET /api/exports/{id}/events?limit=1"
OPEN = ("PLANNED", "AWAITING_APPROVAL", "EXECUTED")
CLOSED = ("CANCELLED", "COMPLETED")
STATES = OPEN + CLOSED


@dataclass
class Series:
    """Latencies (s) of one state's inspects and of the baseline calls interleaved with them."""

    inspect: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    inspect_bytes: list[int] = field(default_factory=list)
    running: Counter[Any] = field(default_factory=Counter)  # view["workflow"]["running"] seen


class Creator:
    """Untimed set-up: exports brought to each state through the public API."""

    def __init__(self, client: ExportClient, demo: dict[str, Any], run: str) -> None:
        self.client = client
        self.demo = demo
        self.run = run
        self.ready = demo["productIds"][0]
        self.review = demo["productIds"][READY_PRODUCTS]  # the toy: its plans need review

    async def plan(self, tag: str, product: str, broker: str, wanted: str) -> dict[str, Any]:
        """Sync one order and plan it; the plan."""
        account = self.demo["accountId"]
        order = {
            "externalId": f"inspect-{self.run}-{tag}",
            "destinationCountry": "US",
            "destinationRegion": "CA",
            "destinationPostalCode": "94107",
            "consignee": {"name": "Grace Buyer", "address": "500 Howard St, San Francisco"},
            "items": [{"productId": product, "quantity": 3}],
        }
        synced = await self.client.call(
            "POST /api/orders/sync",
            "POST",
            "/api/orders/sync",
            {"accountId": account, "items": [order], "idempotencyKey": f"sync-{self.run}-{tag}"},
        )
        plan = await self.client.call(
            "POST /api/exports/plan",
            "POST",
            "/api/exports/plan",
            {
                "accountId": account,
                "warehouseId": self.demo["warehouseId"],
                "brokerId": broker,
                "orderIds": [synced["data"][0]["id"]],
                "idempotencyKey": f"plan-{self.run}-{tag}",
            },
        )
        if plan["readinessState"] != wanted:
            raise FlowError(f"plan {tag} is {plan['readinessState']}, not {wanted}")
        return plan

    async def execute(self, tag: str, export_id: str) -> dict[str, Any]:
        return await self.client.call(
            "POST /api/exports/execute",
            "POST",
            "/api/exports/execute",
            {
                "accountId": self.demo["accountId"],
                "batchId": export_id,
                "idempotencyKey": f"exec-{self.run}-{tag}",
            },
        )

    async def until(
        self, export_id: str, status: str, *, closed: bool, seconds: float = 120
    ) -> None:
        """Poll inspect until the export shows `status` (and, if `closed`, no running workflow)."""
        deadline = time.monotonic() + seconds
        while True:
            view = await self.client.call(INSPECT, "GET", f"/api/exports/{export_id}")
            running = (view.get("workflow") or {}).get("running")
            if view["status"] == status and not (closed and running is True):
                return
            if time.monotonic() > deadline:
                raise FlowError(
                    f"{export_id} is {view['status']} (running={running}), not {status}"
                )
            await asyncio.sleep(0.1)

    async def make(self, state: str, n: int) -> str:
        """One export in `state`; its id."""
        tag = f"{state.lower()}-{n}"
        demo = self.demo
        if state == "PLANNED":
            plan = await self.plan(tag, self.ready, demo["brokerId"], "READY")
        elif state == "AWAITING_APPROVAL":
            plan = await self.plan(tag, self.review, demo["brokerId"], "REVIEW_REQUIRED")
            await self.execute(tag, plan["exportId"])
        elif state == "EXECUTED":  # the email broker answers by e-mail only: the export waits
            plan = await self.plan(tag, self.ready, demo["emailBrokerId"], "READY")
            await self.execute(tag, plan["exportId"])
        elif state == "CANCELLED":
            plan = await self.plan(tag, self.ready, demo["brokerId"], "READY")
            await self.client.call(
                "POST /api/exports/{id}/cancel",
                "POST",
                f"/api/exports/{plan['exportId']}/cancel",
                {"reason": "inspect benchmark", "idempotencyKey": f"cancel-{self.run}-{tag}"},
                role="reviewer",
            )
        elif state == "COMPLETED":  # the sandbox webhook broker accepts
            plan = await self.plan(tag, self.ready, demo["brokerId"], "READY")
            await self.execute(tag, plan["exportId"])
        else:
            raise ValueError(state)
        export_id: str = plan["exportId"]
        await self.until(export_id, state, closed=state in CLOSED)
        return export_id


async def gather_limited(calls: list[Callable[[], Awaitable[str]]], limit: int) -> list[str]:
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[str]]) -> str:
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


async def bench(stack: BenchStack, args: argparse.Namespace) -> int:
    """Set up the exports, measure, print; the number of errors."""
    run = uuid.uuid4().hex[:6]
    timings = Timings()
    errors: Counter[str] = Counter()
    samples: list[str] = []
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60) as http:
        client = ExportClient(http, stack.demo, timings)
        creator = Creator(client, stack.demo, run)
        started = time.perf_counter()
        ids: dict[str, list[str]] = {}
        for state in STATES:
            ids[state] = await gather_limited(
                [functools.partial(creator.make, state, n) for n in range(args.exports)], 5
            )
        setup_s = time.perf_counter() - started
        print(f"set-up: {args.exports} exports in each state in {setup_s:.0f} s", flush=True)
        integration = client.auth["integration"]

        async def get(path: str, headers: dict[str, str] | None) -> tuple[float, httpx.Response]:
            t0 = time.perf_counter()
            r = await http.get(path, headers=headers)
            return time.perf_counter() - t0, r

        def failed(what: str, r: httpx.Response) -> None:
            errors[what] += 1
            if len(samples) < 10:
                samples.append(f"{what}: HTTP {r.status_code} {r.text[:200]}")

        series = {state: Series() for state in STATES}
        live: list[float] = []

        async def round_(i: int, record: bool) -> None:
            for state in STATES:
                export_id = ids[state][i % len(ids[state])]
                s_inspect, r = await get(f"/api/exports/{export_id}", integration)
                s_base, rb = await get(f"/api/exports/{export_id}/events?limit=1", integration)
                if not record:
                    continue
                if r.status_code != 200 or r.json()["status"] != state:
                    failed(f"{INSPECT} {state}", r)
                else:
                    view = r.json()
                    series[state].inspect.append(s_inspect)
                    series[state].inspect_bytes.append(len(r.content))
                    series[state].running[(view.get("workflow") or {}).get("running")] += 1
                if rb.status_code != 200:
                    failed(f"{BASELINE} {state}", rb)
                else:
                    series[state].baseline.append(s_base)
            s_live, rl = await get("/api/system/live", None)
            if record:
                if rl.status_code != 200:
                    failed("GET /api/system/live", rl)
                else:
                    live.append(s_live)

        for i in range(args.warmup):
            await round_(i, record=False)
        for i in range(args.samples):  # interleaved, so drift in load hits every series alike
            await round_(i, record=True)

        # CPU per call, by process: each state's inspects in a block, then the baseline's.
        cpu: dict[str, dict[str, float]] = {}

        async def cpu_block(label: str, paths: list[str]) -> None:
            before = stack.cpu_seconds()
            for k in range(args.cpu_calls):
                _, r = await get(paths[k % len(paths)], integration)
                if r.status_code != 200:
                    failed(f"CPU block {label}", r)
            after = stack.cpu_seconds()
            cpu[label] = {
                name: 1000 * (after[name] - before.get(name, 0.0)) / args.cpu_calls
                for name in after
            }

        if args.cpu_calls > 0:
            for state in STATES:
                await cpu_block(f"inspect {state}", [f"/api/exports/{e}" for e in ids[state]])
            every = [e for state in STATES for e in ids[state]]
            await cpu_block("baseline", [f"/api/exports/{e}/events?limit=1" for e in every])

    report(args, series, live, cpu)
    errors.update(timings.errors)
    print(f"errors: {sum(errors.values())} {dict(errors)}")
    for sample in samples + timings.samples:
        print(f"  e.g. {sample}")
    return sum(errors.values())


def ms(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def report(
    args: argparse.Namespace,
    series: dict[str, Series],
    live: list[float],
    cpu: dict[str, dict[str, float]],
) -> None:
    print()
    print(
        f"{args.exports} exports per state; {args.warmup} warm-up + {args.samples} rounds; each "
        f"round: per state one inspect, then the baseline on the same export; then one live"
    )
    print(f"baseline = {BASELINE} (same HTTP + key lookup + pool + export row; no Temporal)")
    print(
        "state               | workflow | inspect p50 ms | p90 ms | p99 ms |  max ms || "
        "baseline p50 ms | p99 ms || ratio p50 | ratio p99 | bytes | workflow.running seen"
    )
    for state in STATES:
        s = series[state]
        if not s.inspect or not s.baseline:
            print(f"{state:<19} | (no samples)")
            continue
        print(
            f"{state:<19} | {'open' if state in OPEN else 'closed':<8} | {ms(s.inspect, 50):14.1f} "
            f"| {ms(s.inspect, 90):6.1f} | {ms(s.inspect, 99):6.1f} | {1000 * max(s.inspect):7.1f} "
            f"|| {ms(s.baseline, 50):15.1f} | {ms(s.baseline, 99):6.1f} "
            f"|| {ms(s.inspect, 50) / ms(s.baseline, 50):9.2f} "
            f"| {ms(s.inspect, 99) / ms(s.baseline, 99):9.2f} "
            f"| {sum(s.inspect_bytes) // len(s.inspect_bytes):5d} | {dict(s.running)}"
        )
    for label, states in (("all open", OPEN), ("all closed", CLOSED)):
        ins = [x for st in states for x in series[st].inspect]
        base = [x for st in states for x in series[st].baseline]
        if ins and base:
            print(
                f"{label:<19} | {'':<8} | {ms(ins, 50):14.1f} | {ms(ins, 90):6.1f} "
                f"| {ms(ins, 99):6.1f} | {1000 * max(ins):7.1f} || {ms(base, 50):15.1f} "
                f"| {ms(base, 99):6.1f} || {ms(ins, 50) / ms(base, 50):9.2f} "
                f"| {ms(ins, 99) / ms(base, 99):9.2f} |"
            )
    if live:
        print(
            f"floor: GET /api/system/live (no key, no database) n={len(live)} "
            f"p50 {ms(live, 50):.1f} ms p99 {ms(live, 99):.1f} ms"
        )
    if cpu:
        print()
        print(f"CPU ms per call, by process ({args.cpu_calls} sequential calls per row):")
        names = [*sorted({k for row in cpu.values() for k in row} - {"machine"}), "machine"]
        print(f"{'calls':<28} | " + " ".join(f"{x:>14}" for x in names) + " |  total")
        for label, row in cpu.items():
            total = sum(v for k, v in row.items() if k != "machine")
            print(
                f"{label:<28} | "
                + " ".join(f"{row.get(x, 0.0):14.2f}" for x in names)
                + f" | {total:6.2f}"
            )
        print("(machine = every process on the box, ours and others'; total = ours)")


@contextmanager
def own_database() -> Iterator[dict[str, str]]:
    """With DATABASE_URL: a new database on that server for this run (dropped after), as env."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield {}
        return
    name = f"entrygo_bench_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield {"DATABASE_URL": with_database(url, name)}
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    """Parse the options, start the stack, run, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exports", type=int, default=10, help="exports in each state")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first")
    parser.add_argument("--samples", type=int, default=300, help="timed rounds (per state)")
    parser.add_argument("--cpu-calls", type=int, default=200, help="calls per CPU row (0: none)")
    parser.add_argument("--temporal", choices=["file", "memory"], default="file")
    args = parser.parse_args()
    started = time.monotonic()
    load_before = os.getloadavg()
    with (
        own_database() as db_env,
        running_stack(
            args.temporal, {"ENTRYGO_RATE_LIMIT_PER_MINUTE": "1000000", **db_env}
        ) as stack,
    ):
        print(
            f"EntryGo inspect benchmark: {os.cpu_count()} CPUs, load average {load_before[0]:.2f}"
        )
        database = "a fresh database on DATABASE_URL's server" if db_env else stack.database
        print(f"Temporal: {stack.persistence}; database: {database}", flush=True)
        errors = asyncio.run(bench(stack, args))
    print(
        f"(load average after {os.getloadavg()[0]:.2f}; whole run {time.monotonic() - started:.0f} s)",
        flush=True,
    )
    raise SystemExit(1 if errors else 0)


if __name__ == "__main__":
    main()
