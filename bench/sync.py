"""`make bench-sync`: orders sync through the real HTTP API against raw COPY of the same rows.

Starts what it needs: PostgreSQL (DATABASE_URL, else the embedded server), two fresh databases
with the project's schema (one for the API, one for the COPY baseline), and `entrygo api` on a
free loopback port in a child process (Temporal is not needed for sync), serving from one process
per core as it would be deployed on this machine (`--api-processes`). Each round syncs
`--orders` new orders of 3 lines in requests of `--batch` (`--concurrency` in flight, each with
its own Idempotency-Key), then COPYs the same rows (orders and order_lines, values resolved, ids
minted) in one transaction; the rounds alternate so that both sides see the same background
load. Prints the median orders/s of each and the median of the rounds' ratios.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import free_port, server_url, with_database
from bench.stack import api_processes, process_cpu
from domain.canonical import sha256_of
from store.accounts import create_account, create_key
from store.ids import new_id
from store.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.6  # issue 25's target
PRODUCTS = 200
LINES = 3
ORDER_COLUMNS = [
    "id",
    "account_id",
    "external_id",
    "destination_country",
    "destination_region",
    "destination_postal_code",
    "consignee",
    "metadata",
    "order_value_usd",
    "content_hash",
]
LINE_COLUMNS = ["order_id", "line_no", "product_id", "quantity", "unit_value_usd", "line_value_usd"]


def product_items() -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"SKU-{i:04d}",
            "description": f"Product {i}",
            "hsCode": "6117.10.6010",
            "countryOfOrigin": "SE",
            "unitValueUsd": 10 + i % 50,
            "weightKg": 0.25,
        }
        for i in range(PRODUCTS)
    ]


def order_items(product_ids: list[str], start: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "externalId": f"ORD-{n:07d}",
            "destinationCountry": "US",
            "destinationRegion": "NY",
            "destinationPostalCode": "10001",
            "consignee": {"name": f"Buyer {n}", "address": f"{n} Main St, New York"},
            "items": [
                {"productId": product_ids[(n + k) % len(product_ids)], "quantity": 1 + k}
                for k in range(LINES)
            ],
            "metadata": {"channel": "web", "n": n},
        }
        for n in range(start, start + count)
    ]


@asynccontextmanager
async def api_server(db_url: str, processes: int, cpu: list[float]) -> AsyncIterator[str]:
    """`entrygo api` in a child process on a free port; yields its base URL. At the end `cpu`
    gets the CPU seconds of each serving process (with several: which one took the connections
    shows here, since the processes share the work by connection, not by request)."""
    port = free_port()
    env = {
        **os.environ,
        "ENTRYGO_DATABASE_URL": db_url,
        "ENTRYGO_PORT": str(port),
        "ENTRYGO_API_PROCESSES": str(processes),
        "ENTRYGO_RATE_LIMIT_ENABLED": "false",
        "ENTRYGO_LOG_LEVEL": "WARNING",
        "ENTRYGO_WORKER_METRICS_PORT": "0",  # several workers on one machine
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "entrygo", "api", env=env, cwd=ROOT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                if proc.returncode is not None:
                    raise RuntimeError("the API process exited")
                try:
                    if (await client.get("/api/system/live")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError("the API did not come up")
        yield base
    finally:
        serving = api_processes(proc.pid) or [proc.pid]
        cpu.extend(sorted((process_cpu(p) for p in serving), reverse=True))
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)


class ApiRun:
    """The API side: an account, its products, and timed rounds of order syncs."""

    def __init__(self, client: httpx.AsyncClient, account_id: str, concurrency: int) -> None:
        self.client = client
        self.account_id = account_id
        self.gate = asyncio.Semaphore(concurrency)
        self.prices: dict[str, Decimal] = {}

    async def post(self, path: str, items: list[dict[str, Any]]) -> dict[str, Any]:
        body = json.dumps({"accountId": self.account_id, "items": items}).encode()
        headers = {"content-type": "application/json", "idempotency-key": uuid.uuid4().hex}
        async with self.gate:
            r = await self.client.post(path, content=body, headers=headers)
        r.raise_for_status()
        answer: dict[str, Any] = r.json()
        return answer

    async def setup(self) -> None:
        """Products, and one untimed order sync to warm the server up."""
        answer = await self.post("/api/products/sync", product_items())
        self.prices = {p["id"]: Decimal(str(p["unitValueUsd"])) for p in answer["data"]}
        await self.post("/api/orders/sync", order_items(list(self.prices), 9_000_000, 200))

    async def round(self, start: int, orders: int, batch: int) -> float:
        """Seconds to sync `orders` new orders (ORD-<start>…)."""
        batches = [
            order_items(list(self.prices), s, min(batch, start + orders - s))
            for s in range(start, start + orders, batch)
        ]
        started = time.perf_counter()
        await asyncio.gather(*(self.post("/api/orders/sync", b) for b in batches))
        return time.perf_counter() - started


class CopyRun:
    """The baseline: the same rows written with COPY into a database with the same schema."""

    def __init__(self, conn: asyncpg.Connection, account_id: str, prices: dict[str, Decimal]):
        self.conn = conn
        self.account_id = account_id
        self.prices = prices

    async def setup(self) -> None:
        await migrate(self.conn)
        await self.conn.execute(
            "INSERT INTO accounts (id, name) VALUES ($1, 'bench')", self.account_id
        )
        await self.conn.copy_records_to_table(
            "products",
            records=[
                (pid, self.account_id, f"SKU-{i:04d}", price, sha256_of(pid))
                for i, (pid, price) in enumerate(self.prices.items())
            ],
            columns=["id", "account_id", "external_id", "unit_value_usd", "content_hash"],
        )

    def rows(self, start: int, orders: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The orders and lines the API wrote, built in memory (ids minted, values resolved)."""
        order_rows, line_rows = [], []
        for o in order_items(list(self.prices), start, orders):
            order_id = new_id("ord")
            total = Decimal(0)
            for n, line in enumerate(o["items"], start=1):
                unit = self.prices[line["productId"]]
                value = unit * line["quantity"]
                total += value
                line_rows.append((order_id, n, line["productId"], line["quantity"], unit, value))
            order_rows.append(
                (
                    order_id,
                    self.account_id,
                    o["externalId"],
                    o["destinationCountry"],
                    o["destinationRegion"],
                    o["destinationPostalCode"],
                    json.dumps(o["consignee"]),
                    json.dumps(o["metadata"]),
                    total,
                    sha256_of(o),
                )
            )
        return order_rows, line_rows

    async def round(self, start: int, orders: int) -> float:
        """Seconds to COPY the orders and their lines in one transaction."""
        order_rows, line_rows = self.rows(start, orders)
        started = time.perf_counter()
        async with self.conn.transaction():
            await self.conn.copy_records_to_table(
                "orders", records=order_rows, columns=ORDER_COLUMNS
            )
            await self.conn.copy_records_to_table(
                "order_lines", records=line_rows, columns=LINE_COLUMNS
            )
        return time.perf_counter() - started


async def new_account(db_url: str) -> tuple[str, str]:
    """A migrated database with one account and an integration key."""
    conn = await asyncpg.connect(db_url)
    try:
        await migrate(conn)
        account_id = await create_account(conn, "bench")
        _, secret = await create_key(conn, account_id, "bench", ["integration"])
    finally:
        await conn.close()
    return account_id, secret


async def check_written(db_url: str, orders: int) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        stored = await conn.fetchval("SELECT count(*) FROM orders")
        lines = await conn.fetchval("SELECT count(*) FROM order_lines")
    finally:
        await conn.close()
    if stored != orders or lines != orders * LINES:
        raise RuntimeError(f"{db_url} holds {stored} orders and {lines} lines, not {orders}")


async def run(
    api_url: str,
    copy_url: str,
    rounds: int,
    orders: int,
    batch: int,
    concurrency: int,
    processes: int,
    cpu: list[float],
) -> tuple[list[float], list[float]]:
    """Seconds per round for the API and for COPY, rounds alternating so both see the same load."""
    account_id, secret = await new_account(api_url)
    api_s: list[float] = []
    copy_s: list[float] = []
    async with api_server(api_url, processes, cpu) as base:
        limits = httpx.Limits(max_connections=concurrency)
        headers = {"authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            base_url=base, headers=headers, timeout=300, limits=limits
        ) as client:
            api = ApiRun(client, account_id, concurrency)
            await api.setup()
            conn = await asyncpg.connect(copy_url)
            try:
                copy = CopyRun(conn, account_id, api.prices)
                await copy.setup()
                for n in range(rounds):
                    api_s.append(await api.round(n * orders, orders, batch))
                    copy_s.append(await copy.round(n * orders, orders))
            finally:
                await conn.close()
    await check_written(api_url, rounds * orders + 200)
    await check_written(copy_url, rounds * orders)
    return api_s, copy_s


async def main(rounds: int, orders: int, batch: int, concurrency: int, processes: int) -> float:
    url, server = server_url()
    suffix = uuid.uuid4().hex[:8]
    api_db, copy_db = f"entrygo_bench_api_{suffix}", f"entrygo_bench_copy_{suffix}"
    admin = await asyncpg.connect(url)
    cpu: list[float] = []
    try:
        for name in (api_db, copy_db):
            await admin.execute(f'CREATE DATABASE "{name}"')
        api_s, copy_s = await run(
            with_database(url, api_db),
            with_database(url, copy_db),
            rounds,
            orders,
            batch,
            concurrency,
            processes,
            cpu,
        )
    finally:
        for name in (api_db, copy_db):
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
        if server is not None:
            server.cleanup()
    api_rate = orders / statistics.median(api_s)
    copy_rate = orders / statistics.median(copy_s)
    # each round's API and COPY runs are back to back: their ratio is the figure least moved by
    # whatever else the machine is doing
    ratio = statistics.median(c / a for a, c in zip(api_s, copy_s, strict=True))
    where = "DATABASE_URL" if server is None else "embedded pgserver"
    print(f"PostgreSQL: {where}; {rounds} rounds, median shown")
    print(
        f"orders per round: {orders} x {LINES} lines; requests of {batch}, {concurrency} in flight"
    )
    shares = ", ".join(f"{c:.1f}" for c in cpu)
    print(f"API processes: {processes} (ENTRYGO_API_PROCESSES); CPU seconds of each: {shares}")
    print(f"API (HTTP sync): {orders / api_rate:7.3f} s {api_rate:9.0f} orders/s")
    print(f"COPY baseline:   {orders / copy_rate:7.3f} s {copy_rate:9.0f} orders/s")
    print(f"ratio API/COPY:  {ratio:.3f} (median of the rounds' ratios; target >= {TARGET_RATIO})")
    pairs = ", ".join(f"{a:.2f}/{c:.2f}" for a, c in zip(api_s, copy_s, strict=True))
    print(f"rounds (API s/COPY s): {pairs}")
    return ratio


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--api-processes", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.orders, args.batch, args.concurrency, args.api_processes))
