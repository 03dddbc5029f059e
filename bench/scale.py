"""`make bench-scale`: the reads a person and a client use, as one database fills with exports.

Starts the dev stack like `bench.inspect` (`entrygo.dev.DevStack` in a temporary data dir on free
loopback ports; with DATABASE_URL a fresh database on that server, dropped afterwards; Temporal
dev server with a SQLite file as `make run`, or `--temporal memory`). It plans `--review` exports
that need review and leaves them in the queue, then runs `--exports` exports end to end through
the HTTP API (sync → plan → execute → inspect until EXECUTED or later, the sandbox webhook broker
accepting; products that the rule pack approves by itself) with at most `--concurrency` in
flight. At each checkpoint it waits for the broker outcomes, runs ANALYZE, and measures in
interleaved rounds p50/p99 of: the export list (first page, and a page 90% deep in the cursor),
the console's review queue page, the account feed (`GET /api/events`, first page and 90% deep)
and inspect of a random export. It prints p99(at N) ÷ p99(at the first checkpoint) for each,
runs EXPLAIN (FORMAT JSON) of every statement behind each read (`bench.scale_plans` records them
from the services themselves), says whether any of them scans a big table sequentially, and
prints database bytes per export, overall and by table.
"""

import argparse
import asyncio
import os
import random
import re
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from bench import scale_plans
from bench.flow import ExportClient, Timings
from bench.inspect import Creator, own_database
from bench.lifecycle import drain, timed_batch
from bench.scale_report import Checkpoint, report
from bench.stack import BenchStack, running_stack
from entrygo.seed import READY_PRODUCTS
from store.accounts import Principal
from store.pool import create_pool

CHUNK = 500  # exports per progress line
DEPTH = 0.9  # how deep into the list and the feed the deep pages start
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Reader:
    """The timed reads over HTTP, as an integration (API key) and a reviewer (console) make them."""

    http: httpx.AsyncClient
    key: dict[str, str]
    cookies: httpx.Cookies
    errors: list[str] = field(default_factory=list)

    async def get(self, name: str, path: str, *, console: bool = False) -> float:
        """One GET; its seconds (an answer other than 200 is kept as an error)."""
        started = time.perf_counter()
        if console:
            r = await self.http.get(path, cookies=self.cookies)
        else:
            r = await self.http.get(path, headers=self.key)
        seconds = time.perf_counter() - started
        if r.status_code != 200:
            self.errors.append(f"{name} {path}: HTTP {r.status_code} {r.text[:200]}")
        return seconds


async def console_cookies(http: httpx.AsyncClient, key: str) -> httpx.Cookies:
    """Sign in to the console with a reviewer's key, as a browser does; the session's cookies."""
    cookies = httpx.Cookies()
    form = await http.get("/console/sign-in")
    cookies.update(form.cookies)
    token = CSRF.search(form.text)
    if token is None:
        raise RuntimeError(f"no sign-in form: HTTP {form.status_code}")
    r = await http.post(
        "/console/sign-in",
        data={"apiKey": key, "csrf": token.group(1), "next": "/console"},
        cookies=cookies,
    )
    if r.status_code != 303:
        raise RuntimeError(f"console sign-in: HTTP {r.status_code} {r.text[:200]}")
    cookies.update(r.cookies)
    return cookies


async def measure(
    stack: BenchStack, reader: Reader, principal: Principal, done: int, args: argparse.Namespace
) -> Checkpoint:
    """At `done` exports: ANALYZE, then the timed rounds, the plans and the bytes."""
    assert stack.settings.database_url is not None
    pool = await create_pool(stack.settings.database_url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            await conn.execute("ANALYZE")
            deep_list, deep_feed = await scale_plans.deep_cursors(conn, principal.account_id, DEPTH)
            ids = [
                r["id"]
                for r in await conn.fetch(
                    "SELECT id FROM exports WHERE status = 'COMPLETED' ORDER BY random() LIMIT 500"
                )
            ]
            paths: dict[str, Callable[[], str]] = {
                "exports first page": lambda: "/api/exports",
                "exports deep page": lambda: f"/api/exports?cursor={deep_list}",
                "review queue": lambda: "/console",
                "feed first page": lambda: "/api/events",
                "feed deep page": lambda: f"/api/events?after={deep_feed}",
                "inspect": lambda: f"/api/exports/{random.choice(ids)}",
            }
            point = Checkpoint(done)
            for i in range(args.warmup + args.samples):
                for name, path in paths.items():  # interleaved: drift hits every read alike
                    seconds = await reader.get(name, path(), console=name == "review queue")
                    if i >= args.warmup:
                        point.latencies.setdefault(name, []).append(seconds)
            big = await scale_plans.big_tables(conn, done)
            point.big = big
            for name, (call, read) in scale_plans.reads(
                principal.account_id, deep_list, deep_feed, ids[0]
            ).items():
                verdict, lines = await scale_plans.explain(
                    conn, stack.settings, principal, read, set(big)
                )
                point.plans[name] = (call, verdict, lines)
            point.database_bytes = await scale_plans.database_bytes(conn)
            point.tables = await scale_plans.table_bytes(conn)
    finally:
        await pool.close()
    temporal_db = stack.stack.data_dir / "temporal.db"
    point.temporal_bytes = sum(
        p.stat().st_size for p in temporal_db.parent.glob("temporal.db*") if p.is_file()
    )
    return point


async def bench(stack: BenchStack, args: argparse.Namespace, checkpoints: list[int]) -> int:
    """Fill the database to each checkpoint and measure there; the number of errors."""
    run = uuid.uuid4().hex[:6]
    demo = stack.demo
    timings = Timings()
    product = demo["productIds"][0]
    limits = httpx.Limits(max_connections=args.concurrency * 2 + 10)
    principal = Principal(
        account_id=demo["accountId"], account_name="bench", key_id="bench", roles=frozenset()
    )
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=60, limits=limits) as http:
        client = ExportClient(http, demo, timings, poll_s=args.poll, give_up_s=600)
        creator = Creator(client, demo, run)
        review = demo["productIds"][READY_PRODUCTS]  # its plans need review
        for n in range(args.review):
            await creator.plan(f"review-{n}", review, demo["brokerId"], "REVIEW_REQUIRED")
        cookies = await console_cookies(http, demo["keys"]["reviewer"])
        reader = Reader(http, client.auth["integration"], cookies)
        assert stack.settings.database_url is not None
        pool = await create_pool(stack.settings.database_url, min_size=1, max_size=1)
        async with pool.acquire() as conn:
            empty = await scale_plans.database_bytes(conn)
        await pool.close()
        points: list[Checkpoint] = []
        done = 0
        rates: list[float] = []
        for target in checkpoints:
            while done < target:
                n = min(CHUNK, target - done)
                start = done

                def one(i: int, start: int = start) -> Awaitable[str]:
                    return client.export(f"{run}-{start + i}", product)

                level = await timed_batch(n, args.concurrency, one, stack)
                done += n
                rates.append(level.rate)
                print(
                    f"  {done:6d} exports: {level.rate:5.2f}/s over the last {n} "
                    f"({level.failed} failed), load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
            await drain(client)
            point = await measure(stack, reader, principal, done, args)
            point.empty_bytes = empty
            point.rates = list(rates)
            points.append(point)
            print(f"  checkpoint {done}: measured", flush=True)
    report(points, args)
    errors = sum(timings.errors.values()) + len(reader.errors)
    print(f"errors: {errors} {dict(timings.errors)}")
    print(f"reads answered other than 200: {Counter(e.split(' /')[0] for e in reader.errors)}")
    for sample in timings.samples[:5] + reader.errors[:5]:
        print(f"  e.g. {sample}")
    return errors


def main() -> None:
    """Parse the options, start the stack, run, stop."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exports", type=int, default=10_000, help="exports to execute")
    parser.add_argument(
        "--checkpoints", default="1000,10000", help="export counts to measure at, comma-separated"
    )
    parser.add_argument("--concurrency", type=int, default=20, help="exports in flight")
    parser.add_argument("--review", type=int, default=20, help="plans left in the review queue")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first")
    parser.add_argument("--samples", type=int, default=200, help="timed rounds per checkpoint")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between inspect polls")
    parser.add_argument("--temporal", choices=["file", "memory"], default="file")
    args = parser.parse_args()
    wanted = {int(x) for x in args.checkpoints.split(",") if x.strip()}
    checkpoints = sorted({n for n in wanted if 0 < n < args.exports} | {args.exports})
    started = time.monotonic()
    load_before = os.getloadavg()
    with (
        own_database() as db_env,
        running_stack(
            args.temporal, {"ENTRYGO_RATE_LIMIT_PER_MINUTE": "1000000", **db_env}
        ) as stack,
    ):
        print(f"EntryGo scale benchmark: {os.cpu_count()} CPUs, load average {load_before[0]:.2f}")
        database = "a fresh database on DATABASE_URL's server" if db_env else stack.database
        print(f"Temporal: {stack.persistence}; database: {database}")
        print(
            f"{args.exports} exports, {args.concurrency} in flight, checkpoints {checkpoints}; "
            f"{args.review} plans awaiting review",
            flush=True,
        )
        errors = asyncio.run(bench(stack, args, checkpoints))
    print(
        f"(load average after {os.getloadavg()[0]:.2f}; whole run {time.monotonic() - started:.0f} s)",
        flush=True,
    )
    # temporalio may crash at interpreter exit in short-lived processes (sdk-python#300)
    os._exit(1 if errors else 0)


if __name__ == "__main__":
    main()
