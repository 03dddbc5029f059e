"""The fault phases of a run (bench/faults.py), each launching its exports through the driver
while one fault hits: worker SIGKILLs, a Temporal restart, a PostgreSQL outage, a broker outage;
every phase ends by checking every invariant."""

import asyncio
import json
import random
import signal
import time
from dataclasses import dataclass
from typing import Any

import httpx

from bench.faults_checks import Check, evaluate
from bench.faults_driver import DB_DOWN, Driver, Export, error_code, is_unavailable
from bench.faults_stack import FaultStack
from entrygo.dev import wait_for_port


@dataclass(frozen=True)
class Profile:
    """How many exports and how hard each fault hits."""

    name: str
    kills: int
    kill_exports: int  # launched a few at first, then spread evenly over the kills
    kill_after_s: float  # a kill comes up to this long after the new worker's first write
    send_delay_s: float  # broker answer delay during the kills: kills land mid-send
    phase_exports: int  # exports launched in each of the other phases
    temporal_down_s: float
    pg_down_s: float
    broker_down_s: float
    broker_slow_s: float
    broker_delay_s: float
    settle_rounds: int  # polls (about a second each) allowed for a phase to settle


FULL = Profile("full", 100, 36, 2.0, 1.0, 8, 5.0, 15.0, 60.0, 20.0, 2.0, 900)
SHORT = Profile("short", 5, 4, 1.5, 0.5, 2, 2.0, 3.0, 5.0, 3.0, 1.0, 240)
UPFRONT = 4  # exports launched before the first kill
# the sandbox broker's scenarios the broker-loop phase plays, in turn
LOOP_SCENARIOS = ("info_request", "duplicate_out_of_order", "reject_correctable")
# the scenarios whose answer sends an amendment
AMENDING = ("reject_correctable", "info_request")


class Phases:
    """The faults of one run and what each phase observed."""

    def __init__(
        self, profile: Profile, rng: random.Random, stack: FaultStack, driver: Driver
    ) -> None:
        self.profile = profile
        self.rng = rng
        self.stack = stack
        self.driver = driver
        self.faults: list[tuple[str, int, str]] = []
        self.checks: list[Check] = []
        self.phase_ok: list[bool] = []

    async def phase_worker_kills(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("worker kills", p.kill_exports)
        await self.stack.broker_faults(delaySeconds=p.send_delay_s)
        upfront = min(UPFRONT, len(exports))
        tasks = [asyncio.create_task(d.launch(e)) for e in exports[:upfront]]
        working = executing = 0
        for n in range(1, p.kills + 1):
            # launches spread evenly over the kills, so work is in flight at each of them
            due = upfront + (len(exports) - upfront) * n // p.kills
            tasks += [asyncio.create_task(d.launch(e)) for e in exports[len(tasks) : due]]
            working += await self.until_worker_writes()
            await asyncio.sleep(self.rng.uniform(0.0, p.kill_after_s))
            await d.statuses(d.exports)
            executing += any(e.status == "EXECUTING" for e in d.exports)
            self.stack.dev.kill("worker", signal.SIGKILL)
            self.stack.dev.spawn("worker", self.stack.dev.commands["worker"])
            if n % 20 == 0:
                self.stack.progress(f"{n}/{p.kills} worker kills")
        self.faults.append(
            (
                "worker SIGKILL, then restart",
                p.kills,
                f"{executing} with an export EXECUTING, "
                f"{working} after the new worker had written an event",
            )
        )
        await asyncio.gather(*tasks)
        await self.stack.broker_faults(delaySeconds=0)
        await self.finish_phase("worker kills", exports)

    async def until_worker_writes(self, rounds: int = 60) -> bool:
        """Wait (bounded, ~6 s) until the freshly started worker appends an event."""
        count = "SELECT count(*) FROM export_events"
        try:
            async with self.stack.pool.acquire() as conn:
                before = await conn.fetchval(count)
                for _ in range(rounds):
                    await asyncio.sleep(0.1)
                    if await conn.fetchval(count) > before:
                        return True
        except DB_DOWN:
            pass
        return False

    async def phase_temporal_restart(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("temporal restart", p.phase_exports)
        probe, others = exports[-1], exports[:-1]
        await self.stack.broker_faults(delaySeconds=1.0)
        await d.sync_orders(probe)
        tasks = [asyncio.create_task(d.launch(e)) for e in others]
        await d.until(others, {"EXECUTING"})
        flying = d.in_flight(others)
        self.stack.expected_down.add("temporal")
        await asyncio.to_thread(self.stack.dev.kill, "temporal", signal.SIGTERM)
        down_at = time.monotonic()
        seen = next((e for e in others if e.export_id), None)
        inspect = "no export yet"
        if seen is not None:
            r = await d.api.once("GET", f"/api/exports/{seen.export_id}")
            running = r.json().get("workflow", {}).get("running", "?")
            inspect = f"{r.status_code}, workflow.running {json.dumps(running)}"
        # the same plan request is sent again once Temporal is back: it must make one export
        plan = await d.api.once(
            "POST", "/api/exports/plan", json=d.plan_body(probe), key=f"{probe.key}-plan"
        )
        await asyncio.sleep(max(0.0, p.temporal_down_s - (time.monotonic() - down_at)))
        self.stack.dev.spawn("temporal", self.stack.dev.commands["temporal"])
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.stack.settings.temporal_port, 60)
        self.stack.expected_down.discard("temporal")
        tasks.append(asyncio.create_task(d.launch(probe)))
        self.faults.append(
            (
                "Temporal dev server stopped, restarted (file db)",
                1,
                f"down {time.monotonic() - down_at:.1f} s, {flying} exports in flight",
            )
        )
        self.checks += [
            Check(
                "inspect answers from the DB while Temporal is down",
                "200, workflow.running null",
                inspect,
                inspect == "200, workflow.running null",
            ),
            Check(
                "plan while Temporal is down: 503 SERVICE_UNAVAILABLE",
                "503 SERVICE_UNAVAILABLE",
                f"{plan.status_code} {error_code(plan)}",
                is_unavailable(plan),
            ),
        ]
        await asyncio.gather(*tasks)
        await self.stack.broker_faults(delaySeconds=0)
        await self.finish_phase("temporal restart", exports)

    async def phase_postgres_outage(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("postgres outage", p.phase_exports)
        await self.stack.broker_faults(delaySeconds=1.0)
        tasks = [asyncio.create_task(d.launch(e)) for e in exports]
        await d.until(exports, {"EXECUTING"})
        flying = d.in_flight(exports)
        await asyncio.to_thread(self.stack.dev.stop_postgres)
        down_at = time.monotonic()
        probes = await self.postgres_probes(exports)
        await asyncio.sleep(max(0.0, p.pg_down_s - (time.monotonic() - down_at)))
        await asyncio.to_thread(self.stack.dev.start_postgres)
        up_at = time.monotonic()
        recovered = await self.until_api_recovers()
        self.faults.append(
            (
                "PostgreSQL stopped (fast), restarted",
                1,
                f"down {up_at - down_at:.1f} s, {flying} exports in flight",
            )
        )
        bad = [name for name, ok in probes.items() if not ok]
        self.checks += [
            Check(
                "API answers 503 SERVICE_UNAVAILABLE while PostgreSQL is down",
                f"{len(probes)}/{len(probes)} endpoints",
                f"{len(probes) - len(bad)}/{len(probes)}" + (f" ({', '.join(bad)})" if bad else ""),
                not bad,
            ),
            Check(
                "API recovers by itself when PostgreSQL is back",
                "200",
                f"200 after {recovered:.1f} s" if recovered >= 0 else "never",
                recovered >= 0,
            ),
        ]
        await asyncio.gather(*tasks)
        await self.stack.broker_faults(delaySeconds=0)
        await self.finish_phase("postgres outage", exports)

    async def postgres_probes(self, exports: list[Export]) -> dict[str, bool]:
        """Ask a few endpoints while the database is down; each must answer the contract's 503."""
        d = self.driver
        some = next((e.export_id for e in exports if e.export_id), "exp_unknown")
        order = {
            "externalId": f"F-{d.tag}-probe",
            "destinationCountry": "US",
            "items": [{"productId": d.demo["productIds"][0], "quantity": 1}],
        }
        plan = {**d.plan_body(exports[0]), "orderIds": ["ord_probe"]}
        calls: dict[str, tuple[str, str, dict[str, Any]]] = {
            "GET /api/exports/{id}": ("GET", f"/api/exports/{some}", {}),
            "GET /api/exports": ("GET", "/api/exports?limit=5", {}),
            "GET /api/exports/{id}/events": ("GET", f"/api/exports/{some}/events", {}),
            "POST /api/orders/sync": (
                "POST",
                "/api/orders/sync",
                {"json": {"accountId": d.demo["accountId"], "items": [order]}},
            ),
            "POST /api/exports/plan": ("POST", "/api/exports/plan", {"json": plan}),
            "GET /api/system/health (keyed)": ("GET", "/api/system/health", {}),
        }
        results = {}
        for name, (method, path, kw) in calls.items():
            try:
                results[name] = is_unavailable(await d.api.once(method, path, **kw))
            except httpx.HTTPError:
                results[name] = False
        try:  # the orchestrators' probe has its own body (Health), not the error body
            ready = await d.api.http.get("/api/system/ready")
            results["GET /api/system/ready"] = ready.status_code == 503
        except httpx.HTTPError:
            results["GET /api/system/ready"] = False
        return results

    async def until_api_recovers(self, rounds: int = 240) -> float:
        """Seconds until a keyed read answers 200 again (-1: it never did)."""
        started = time.monotonic()
        for _ in range(rounds):
            try:
                r = await self.driver.api.once("GET", "/api/exports?limit=1")
                if r.status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.25)
        return -1.0

    async def phase_broker_outage(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("broker outage", p.phase_exports, email_every=4)
        before = (await self.stack.broker_stats())["unavailable"]
        await self.stack.broker_faults(failForSeconds=p.broker_down_s)
        down_at = time.monotonic()
        await asyncio.gather(*(d.launch(e) for e in exports))
        await asyncio.sleep(max(0.0, p.broker_down_s - (time.monotonic() - down_at)))
        refused = (await self.stack.broker_stats())["unavailable"] - before
        await self.stack.broker_faults(failForSeconds=0, delaySeconds=p.broker_delay_s)
        await asyncio.sleep(p.broker_slow_s)
        await self.stack.broker_faults(delaySeconds=0)
        self.faults += [
            ("sandbox broker down (503)", 1, f"{p.broker_down_s:.0f} s, {refused} sends refused"),
            (
                "sandbox broker slow",
                1,
                f"{p.broker_delay_s:.0f} s per answer for {p.broker_slow_s:.0f} s",
            ),
        ]
        self.checks.append(
            Check("broker outage met sends in flight", "> 0 refused", str(refused), refused > 0)
        )
        await self.finish_phase("broker outage", exports)

    async def phase_broker_loop(self) -> None:
        """Exports whose broker asks for information, rejects correctably, or sends its
        callbacks twice and out of order; a worker SIGKILL meets the answers' amendments."""
        p, d = self.profile, self.driver
        exports = d.new_exports("broker loop", p.phase_exports + 1, scenarios=LOOP_SCENARIOS)
        await asyncio.gather(*(d.launch(e) for e in exports))
        asked = await d.until(exports, {"BROKER_ACTION_REQUIRED"})
        amending = await d.until(exports, {"EXECUTING"})
        self.stack.dev.kill("worker", signal.SIGKILL)
        self.stack.dev.spawn("worker", self.stack.dev.commands["worker"])
        self.faults += [
            (
                "worker SIGKILL during an amendment",
                1,
                f"{amending} export(s) amending, {asked} asked by the broker",
            ),
            (
                "broker callbacks duplicated and out of order",
                sum(e.scenario == "duplicate_out_of_order" for e in exports),
                "every callback twice, RELEASED before ENTRY_FILED",
            ),
        ]
        await self.finish_phase("broker loop", exports)

    async def phase_broker_loop_outage(self) -> None:
        """The broker goes down (503) just as the answers to its requests are sent: each
        amendment is refused, retried with its idempotency key, and arrives once."""
        p, d = self.profile, self.driver
        exports = d.new_exports("amendments in an outage", p.phase_exports, scenarios=AMENDING)
        for e in exports:
            e.hold = True
        await asyncio.gather(*(d.launch(e) for e in exports))
        asked = await d.until(exports, {"BROKER_ACTION_REQUIRED"}, every=True)
        before = (await self.stack.broker_stats())["unavailable"]
        await self.stack.broker_faults(failForSeconds=p.broker_down_s)
        down_at = time.monotonic()
        for e in exports:
            e.hold = False  # the run's operator answers within a second
        await asyncio.sleep(max(0.0, p.broker_down_s - (time.monotonic() - down_at)))
        refused = (await self.stack.broker_stats())["unavailable"] - before
        await self.stack.broker_faults(failForSeconds=0)
        self.faults.append(
            (
                "sandbox broker down (503) while amendments are sent",
                1,
                f"{p.broker_down_s:.0f} s, {asked} export(s) answered, {refused} sends refused",
            )
        )
        self.checks.append(
            Check("broker outage met amendments", "> 0 refused", str(refused), refused > 0)
        )
        await self.finish_phase("amendments in an outage", exports)

    async def finish_phase(self, name: str, exports: list[Export]) -> None:
        """Wait (bounded) for every export so far to settle, then check every invariant."""
        started = time.monotonic()
        settled = await self.driver.settled(self.profile.settle_rounds)
        checks, _ = await evaluate(self.stack, self.driver)
        failed = [c.name for c in checks if not c.ok] or ([] if settled else ["not settled"])
        self.phase_ok.append(not failed)
        self.stack.progress(
            f"{name}: {len(exports)} exports launched, {len(self.driver.exports)} in all, "
            f"settled in {time.monotonic() - started:.1f}s, "
            + (f"FAILED: {'; '.join(failed)}" if failed else "invariants hold")
        )
