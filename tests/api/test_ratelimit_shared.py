"""The per-account rate limit shared through PostgreSQL (api/ratelimit.py, store/ratelimit.py):
over the limit a request is refused with 429 and Retry-After and writes nothing, other accounts
are not slowed down, and two real API processes together admit the limit, not twice it.

Windows are on the database's clock. Where a test needs a window that cannot turn under it, it
pins the limiter's clock to a minute of its own; where it runs on the real clock (two
processes), it reads the database's minute before and after the burst, and repeats the burst
once for a fresh account when a window turned in between. No assertion is about elapsed time."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.ratelimit import RateLimiter
from config.settings import Settings
from observability.metrics import REGISTRY
from store.ratelimit import authenticate_and_hit, purge_past_windows
from tests.support.paths import ROOT
from tests.support.polling import eventually
from tests.support.stack import free_port, stop_processes
from tests.support.tenants import GOOD_PRODUCT, Tenant, make_tenant

LIMIT = 5


class Clock:
    """Stands in for the database's clock in the limiter: a window is chosen, not met."""

    def __init__(self) -> None:
        # a minute of this test's own, far in the future (the janitor purges only past windows)
        minute = uuid.uuid4().int % (60 * 24 * 365)
        self.now = datetime(2100, 1, 1, tzinfo=UTC) + timedelta(minutes=minute, seconds=15)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Limited:
    app: FastAPI
    http: httpx.AsyncClient
    clock: Clock


@pytest_asyncio.fixture
async def limited(settings: Settings) -> AsyncIterator[Limited]:
    """An app letting each account make LIMIT requests a minute, 15 s into a pinned window."""
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": LIMIT}))
    limiter = app.state.limiter
    assert isinstance(limiter, RateLimiter)
    clock = limiter.clock = Clock()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield Limited(app, http, clock)


def refused() -> float:
    return REGISTRY.get_sample_value("entrygo_rate_limited_total") or 0.0


async def products_of(pool: asyncpg.Pool, account_id: str) -> int:
    return int(
        await pool.fetchval("SELECT count(*) FROM products WHERE account_id = $1", account_id)
    )


async def idempotency_keys_of(pool: asyncpg.Pool, account_id: str) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE account_id = $1", account_id
        )
    )


async def windows_of(pool: asyncpg.Pool, account_id: str) -> list[tuple[datetime, int]]:
    rows = await pool.fetch(
        "SELECT window_start, count FROM rate_limit_windows WHERE account_id = $1"
        " ORDER BY window_start",
        account_id,
    )
    return [(r["window_start"], r["count"]) for r in rows]


# ---- one process, a pinned window ---------------------------------------------------------------


async def test_the_sixth_request_of_a_window_is_refused_and_writes_nothing(
    limited: Limited, tenant: Tenant, other_tenant: Tenant, pool: asyncpg.Pool
) -> None:
    http = limited.http
    for _ in range(LIMIT):
        r = await http.get("/api/orders", headers=tenant.auth("reviewer"))
        assert r.status_code == 200, r.text
    before = refused()
    sync = {"accountId": tenant.account_id, "items": [GOOD_PRODUCT]}
    headers = {**tenant.auth("integration"), "idempotency-key": "sync-over-the-limit"}
    # the sixth request, from another key of the same account: a write that would succeed
    over = await http.post("/api/products/sync", json=sync, headers=headers)
    assert over.status_code == 429, over.text
    assert over.json() == {
        "errorCode": "RATE_LIMITED",
        "message": "Too many requests for this account; slow down.",
        "details": {"limitPerMinute": LIMIT},
    }
    assert over.headers["retry-after"] == "45"  # 15 s into the pinned window
    assert refused() == before + 1
    # nothing was written: no product, no idempotency record, and the count stays at the limit
    assert await products_of(pool, tenant.account_id) == 0
    assert await idempotency_keys_of(pool, tenant.account_id) == 0
    window = limited.clock.now.replace(second=0)
    assert await windows_of(pool, tenant.account_id) == [(window, LIMIT)]
    # another account is not slowed down by the first
    for _ in range(LIMIT):
        r = await http.get("/api/orders", headers=other_tenant.auth())
        assert r.status_code == 200, r.text
    assert (await http.get("/api/orders", headers=tenant.auth())).status_code == 429
    assert refused() == before + 2
    # the next window starts afresh, and the refused write goes through
    limited.clock.now += timedelta(seconds=45)
    again = await http.post("/api/products/sync", json=sync, headers=headers)
    assert again.status_code == 200, again.text
    assert await products_of(pool, tenant.account_id) == 1
    assert (await windows_of(pool, tenant.account_id))[-1] == (
        window + timedelta(minutes=1),
        1,
    )


async def counted(pool: asyncpg.Pool, tenant: Tenant, at: datetime | None = None) -> bool:
    """One request of the tenant's key counted (in the window of `at`); whether it was admitted."""
    found = await authenticate_and_hit(pool, tenant.keys["all"], LIMIT, at)
    assert found is not None
    return found[1].admitted


async def test_past_windows_are_purged_and_the_current_one_kept(
    pool: asyncpg.Pool, tenant: Tenant
) -> None:
    now = await pool.fetchval("SELECT now()")
    assert await counted(pool, tenant, now - timedelta(minutes=2))
    assert await counted(pool, tenant)  # the database's clock
    await purge_past_windows(pool)
    # the window of two minutes ago is gone; the current one (at or after `now`'s) is kept
    [(start, count)] = await windows_of(pool, tenant.account_id)
    assert start >= now.replace(second=0, microsecond=0)
    assert count == 1


async def test_when_the_counter_cannot_be_reached_the_request_fails_like_any_database_call(
    limited: Limited, tenant: Tenant, pool: asyncpg.Pool
) -> None:
    # the window's row is held by another transaction; the request's count waits on it, and
    # PostgreSQL cancels that statement (as an operator or a failover would)
    assert await counted(pool, tenant, limited.clock())
    async with pool.acquire() as holder, holder.transaction():
        await holder.execute(
            "SELECT 1 FROM rate_limit_windows WHERE account_id = $1 FOR UPDATE", tenant.account_id
        )
        request = asyncio.create_task(
            limited.http.post(
                "/api/products/sync",
                json={"accountId": tenant.account_id, "items": [GOOD_PRODUCT]},
                headers=tenant.auth(),
            )
        )

        async def waiting_backend() -> int | None:
            return await pool.fetchval(
                """SELECT pid FROM pg_stat_activity
                   WHERE wait_event_type = 'Lock' AND query LIKE '%rate_limit_windows%'
                     AND datname = current_database()"""
            )

        pid = await eventually(waiting_backend)
        assert await pool.fetchval("SELECT pg_cancel_backend($1)", pid)
        r = await request
    assert r.status_code == 503, r.text  # not let through
    assert r.json()["errorCode"] == "SERVICE_UNAVAILABLE"
    assert r.json()["details"] == {"dependency": "database"}
    assert r.headers["retry-after"]
    assert await products_of(pool, tenant.account_id) == 0
    assert await idempotency_keys_of(pool, tenant.account_id) == 0


# ---- two real API processes, the database's clock -----------------------------------------------

SHARED_LIMIT = 10


@dataclass
class Apis:
    urls: list[str]
    processes: list[subprocess.Popen[bytes]]
    logs: Path

    async def wait_live(self, http: httpx.AsyncClient) -> None:
        """Until each process answers /api/system/live; its log in the failure if it exited."""
        for n, url in enumerate(self.urls):

            async def live(n: int = n, url: str = url) -> bool:
                if self.processes[n].poll() is not None:
                    log = (self.logs / f"api-{n}.log").read_text(errors="replace")
                    raise AssertionError(f"api process {n} exited:\n{log[-4000:]}")
                try:
                    return (await http.get(f"{url}/api/system/live")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(live, attempts=600)


@pytest.fixture
def two_apis(
    database_url: str, temporal_env: WorkflowEnvironment, task_queue: str, tmp_path: Path
) -> Iterator[Apis]:
    """Two `entrygo api` processes on the session database, each limiting at SHARED_LIMIT."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ENTRYGO_", "OTEL_")) and key != "TEMPORAL_ADDRESS"
    }
    env |= {
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "ENTRYGO_TASK_QUEUE": task_queue,
        "ENTRYGO_DATA_DIR": str(ROOT / ".entrygo" / "test"),
        "ENTRYGO_RATE_LIMIT_ENABLED": "true",
        "ENTRYGO_RATE_LIMIT_PER_MINUTE": str(SHARED_LIMIT),
        "ENTRYGO_DB_POOL_MIN": "1",
        "ENTRYGO_DB_POOL_MAX": "4",
    }
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for n in range(2):
            port = free_port()
            log = (tmp_path / f"api-{n}.log").open("wb")
            processes.append(
                subprocess.Popen(  # `entrygo api`, from the checkout like the e2e workers
                    [sys.executable, "-m", "entrygo", "api"],
                    cwd=ROOT,
                    env={**env, "ENTRYGO_PORT": str(port)},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        yield Apis(urls, processes, tmp_path)
    finally:
        stop_processes(processes)


async def database_minute(pool: asyncpg.Pool) -> datetime:
    return await pool.fetchval("SELECT date_trunc('minute', now())")  # type: ignore[no-any-return]


async def in_one_window(
    pool: asyncpg.Pool, burst: Any, attempts: int = 2
) -> tuple[Tenant, list[tuple[int, httpx.Response]]]:
    """Run `burst(tenant)` for a fresh account until it ran within one database minute."""
    for _ in range(attempts):
        tenant = await make_tenant(pool, f"shared-{uuid.uuid4().hex[:6]}")
        start = await database_minute(pool)
        answers = await burst(tenant)
        if await database_minute(pool) == start:  # every request was counted in `start`
            return tenant, answers
    raise AssertionError("a window turned during every attempt")


def tally(answers: list[tuple[int, httpx.Response]]) -> dict[tuple[int, int], int]:
    """(process, status) → how many answers."""
    counts: dict[tuple[int, int], int] = {}
    for process, r in answers:
        assert r.status_code in (200, 429), r.text
        if r.status_code == 429:
            assert r.json()["details"] == {"limitPerMinute": SHARED_LIMIT}
            assert 1 <= int(r.headers["retry-after"]) <= 60
        counts[process, r.status_code] = counts.get((process, r.status_code), 0) + 1
    return counts


async def test_two_api_processes_together_admit_the_limit_not_twice_it(
    two_apis: Apis, pool: asyncpg.Pool
) -> None:
    total = 2 * SHARED_LIMIT + 4
    urls = two_apis.urls
    async with httpx.AsyncClient(timeout=30) as http:
        await two_apis.wait_live(http)

        async def one_by_one(tenant: Tenant) -> list[tuple[int, httpx.Response]]:
            answers = []
            for n in range(total):  # alternating between the two processes
                r = await http.get(f"{urls[n % 2]}/api/orders", headers=tenant.auth())
                answers.append((n % 2, r))
            return answers

        tenant, answers = await in_one_window(pool, one_by_one)
        # each process admitted half of the limit, then refused: alone, each would admit 10
        assert tally(answers) == {
            (0, 200): SHARED_LIMIT // 2,
            (1, 200): SHARED_LIMIT // 2,
            (0, 429): total // 2 - SHARED_LIMIT // 2,
            (1, 429): total // 2 - SHARED_LIMIT // 2,
        }
        assert [count for _, count in await windows_of(pool, tenant.account_id)] == [SHARED_LIMIT]

        async def all_at_once(tenant: Tenant) -> list[tuple[int, httpx.Response]]:
            sent = [
                http.get(f"{urls[n % 2]}/api/orders", headers=tenant.auth()) for n in range(total)
            ]
            return list(enumerate(await asyncio.gather(*sent)))

        tenant, answers = await in_one_window(pool, all_at_once)
        statuses = [r.status_code for _, r in answers]
        tally([(n % 2, r) for n, r in answers])
        assert statuses.count(200) == SHARED_LIMIT
        assert statuses.count(429) == total - SHARED_LIMIT
        assert [count for _, count in await windows_of(pool, tenant.account_id)] == [SHARED_LIMIT]
