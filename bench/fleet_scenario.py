"""The fleet scenario against one started stack (bench/fleet.py): N exports in flight, the broker
refuses every submission for a while, and what that cost.

The exports are planned (and approved when asked) first; then the sandbox broker goes down
(`failForSeconds`) and all of them are executed at once, so every first send meets the outage.
The run's operator (the faults driver's) retries exports in ATTENTION_REQUIRED only once the
broker is back, so every submission refused during the outage was the stack's own retry.
"""

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bench.faults_checks import FINAL_EVENTS, Check, evaluate
from bench.faults_driver import Api, Driver, Export
from bench.faults_stack import FaultStack
from config.settings import Settings

PREPARE_CONCURRENCY = 10  # plans in flight at once (the API's rate limit is retried anyway)
PROGRESS_EVERY_S = 60.0

ATTENTION_SQL = """
SELECT count(DISTINCT export_id) FROM export_events
 WHERE export_id = any($1::text[]) AND type = 'ATTENTION_REQUIRED'
"""
COMPLETED_SQL = """
SELECT export_id, min(occurred_at) AS at FROM export_events
 WHERE export_id = any($1::text[]) AND type = any($2::text[]) GROUP BY export_id
"""


def _default(name: str) -> Any:
    return Settings.model_fields[name].default


@dataclass(frozen=True)
class FleetConfig:
    """The scenario: how many exports, how long the broker is down, and the settings both
    trees run with (the breaker's are read only by a tree that has fleet control)."""

    exports: int = 100
    outage_s: float = 600.0
    retry_budget_s: float = _default("retry_budget_seconds")
    breaker_threshold: int = _default("breaker_threshold")
    breaker_window_s: float = _default("breaker_window_seconds")
    backoff_initial_s: float = _default("breaker_backoff_initial_seconds")
    backoff_max_s: float = _default("breaker_backoff_max_seconds")
    release_per_second: int = _default("breaker_release_per_second")
    seed: int = 0

    def env(self) -> dict[str, str]:
        """The environment every child of the stack gets."""
        return {
            "ENTRYGO_RETRY_BUDGET_SECONDS": str(self.retry_budget_s),
            "ENTRYGO_BREAKER_THRESHOLD": str(self.breaker_threshold),
            "ENTRYGO_BREAKER_WINDOW_SECONDS": str(self.breaker_window_s),
            "ENTRYGO_BREAKER_BACKOFF_INITIAL_SECONDS": str(self.backoff_initial_s),
            "ENTRYGO_BREAKER_BACKOFF_MAX_SECONDS": str(self.backoff_max_s),
            "ENTRYGO_BREAKER_RELEASE_PER_SECOND": str(self.release_per_second),
        }

    @property
    def settle_rounds(self) -> int:
        """Polls (about a second each) allowed after the broker is back: the longest wait for
        a probe, the release of every export, and a margin."""
        return int(self.backoff_max_s + self.exports / self.release_per_second + 600)


@dataclass
class FleetRun:
    """What one tree did in the scenario."""

    tree: str
    exports: int
    refused: int = 0  # submissions the dead broker answered 503
    attention: int = 0  # exports that ever reached ATTENTION_REQUIRED
    retried: int = 0  # POST /retry the operator sent after the outage
    completed: int = 0
    recovery_to_last_s: float | None = None  # broker back → last export COMPLETED
    first_after_recovery: int = 0  # first deliveries of a submission after the broker was back
    peak_per_second: int = 0  # the most of them in any 1-second window
    submissions_per_export: tuple[int, int] = (0, 0)  # (min, max) at the broker
    release: list[float] = field(default_factory=list)  # first deliveries, s after the recovery
    invariants: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def all_completed(self) -> bool:
        return self.completed == self.exports

    @property
    def one_submission_each(self) -> bool:
        return self.submissions_per_export == (1, 1)

    def per_second(self) -> list[int]:
        """First deliveries in each whole second after the broker was back (0 s, 1 s, ...)."""
        counts = [0] * (int(max(self.release, default=-1.0)) + 1)
        for offset in self.release:
            counts[int(offset)] += 1
        return counts


def peak_in_window(times: list[float], window_s: float = 1.0) -> int:
    """The most of `times` inside any half-open window [t, t + window_s)."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


class FleetScenario:
    """The scenario over a started stack."""

    def __init__(self, config: FleetConfig, stack: FaultStack, demo: dict[str, Any]) -> None:
        self.config = config
        self.stack = stack
        self.demo = demo

    async def run(self, tree: str) -> FleetRun:
        """Prepare, break the broker, execute, wait for the broker, settle, measure."""
        c, stack = self.config, self.stack
        await stack.connect()
        api = Api(f"http://127.0.0.1:{stack.settings.port}", self.demo["keys"])
        driver = Driver(api, stack.pool, self.demo, random.Random(c.seed), uuid.uuid4().hex[:6])
        exports = driver.new_exports("fleet", c.exports, scenarios=("accept",))
        helpers = [asyncio.create_task(stack.watchdog())]
        result = FleetRun(tree, c.exports)
        try:
            await self._prepare(driver, exports)
            before = (await stack.broker_stats())["unavailable"]
            # the sandbox's clock is ours; it counts the outage from when it took the request,
            # so no delivery it accepted came before `up_at`
            up_at = time.time() + c.outage_s
            await stack.broker_faults(failForSeconds=c.outage_s)
            stack.progress(f"{tree}: broker down for {c.outage_s:.0f} s; executing {c.exports}")
            await asyncio.gather(*(driver.execute(e) for e in exports if e.export_id))
            await self._outage(driver, up_at)
            helpers.append(asyncio.create_task(driver.operate()))
            settled = await driver.settled(c.settle_rounds)
            stack.progress(f"{tree}: {'settled' if settled else 'NOT settled'}")
            stats = await stack.broker_stats()
            result.refused = stats["unavailable"] - before
            result.retried = sum(e.retries for e in exports)
            await self._measure(result, exports, stats, up_at)
            result.invariants, _ = await evaluate(stack, driver)
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await api.aclose()
            await stack.disconnect()
        result.seconds = time.monotonic() - stack.started
        return result

    async def _prepare(self, driver: Driver, exports: list[Export]) -> None:
        """Sync, plan and approve every export (nothing reaches the broker yet)."""
        gate = asyncio.Semaphore(PREPARE_CONCURRENCY)

        async def one(e: Export) -> None:
            async with gate:
                await driver.prepare(e)

        await asyncio.gather(*(one(e) for e in exports))
        failed = [e for e in exports if e.error]
        self.stack.progress(
            f"{len(exports) - len(failed)} exports planned"
            + (f", {len(failed)} failed: {failed[0].error}" if failed else "")
        )

    async def _outage(self, driver: Driver, up_at: float) -> None:
        """Wait until the broker is back, saying now and then where the exports are."""
        while (left := up_at - time.time()) > 0:
            await asyncio.sleep(min(left, PROGRESS_EVERY_S))
            left = up_at - time.time()
            await driver.statuses(driver.exports)
            counts: dict[str, int] = {}
            for e in driver.exports:
                counts[str(e.status)] = counts.get(str(e.status), 0) + 1
            refused = (await self.stack.broker_stats())["unavailable"]
            shown = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            self.stack.progress(f"broker down, {max(left, 0):.0f} s left: {shown}; {refused} 503s")

    async def _measure(
        self, result: FleetRun, exports: list[Export], stats: dict[str, Any], up_at: float
    ) -> None:
        """Read what the broker and the export ledger saw."""
        ids = [e.export_id for e in exports if e.export_id]
        async with self.stack.pool.acquire() as conn:
            result.attention = await conn.fetchval(ATTENTION_SQL, ids)
            rows = await conn.fetch(COMPLETED_SQL, ids, list(FINAL_EVENTS))
        finished: list[datetime] = [r["at"] for r in rows]
        result.completed = sum(e.status == "COMPLETED" for e in exports)
        if finished:
            result.recovery_to_last_s = max(f.timestamp() for f in finished) - up_at
        per_export = dict.fromkeys(ids, 0)
        firsts = []
        for sub in stats["submissions"].values():
            if sub.get("exportId") in per_export:
                per_export[sub["exportId"]] += 1
                firsts.append(float(sub["amendments"][0]["receivedAt"]))
        counts = list(per_export.values()) or [0]
        result.submissions_per_export = (min(counts), max(counts))
        after = sorted(t for t in firsts if t >= up_at)
        result.first_after_recovery = len(after)
        result.peak_per_second = peak_in_window(after)
        result.release = [round(t - up_at, 2) for t in after]
