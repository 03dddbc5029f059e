"""`make faults`: exports in flight through worker kills, a Temporal restart, a PostgreSQL outage
and a broker outage; afterwards every export must have had each side effect exactly once.

Starts its own stack with `DevStack` in a temporary directory on free ports (embedded PostgreSQL
and the Temporal dev server with a file database, so both can be restarted), drives exports
through the public API (the demo seed's webhook and email brokers; bench/faults_driver.py),
injects the faults phase by phase, checks every invariant (bench/faults_checks.py) after each
phase and at the end, and prints the faults injected and the invariants checked as Markdown
tables. `run_faults(short=True)` is the form tests/faults runs inside `make test`;
`python -m bench.faults` is the full run.
"""

import argparse
import asyncio
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bench.common import free_port
from bench.faults_checks import Check, check_all, figures, gather_evidence, markdown_table
from bench.faults_driver import DB_DOWN, Api, Driver, Export, error_code, is_unavailable
from config.settings import Settings
from config.temporal import connect_temporal
from entrygo.dev import DevStack, wait_for_port
from entrygo.seed import DEMO_BROKER_SECRET
from sandbox.smtp_sink import read_maildir
from store.pool import create_pool

RETRY_BUDGET_SECONDS = 900  # the default, far longer than any outage below


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


@dataclass
class Report:
    """What a run did and found."""

    profile: str
    seed: int
    exports: int
    faults: list[tuple[str, int, str]]
    checks: list[Check]
    figures: dict[str, int]
    seconds: float
    data_dir: Path

    @property
    def ok(self) -> bool:
        """Every invariant held."""
        return all(c.ok for c in self.checks)

    def table(self) -> str:
        """The report as Markdown."""
        verdict = "all invariants hold" if self.ok else "INVARIANTS VIOLATED"
        return "\n".join(
            [
                f"EntryGo fault run ({self.profile}, seed {self.seed}): {self.exports} exports, "
                f"{self.seconds:.0f} s, {verdict}",
                "",
                markdown_table(("fault injected", "count", "detail"), self.faults),
                "",
                markdown_table(
                    ("invariant", "expected", "observed", "ok"),
                    [
                        (c.name, c.expected, c.observed, "yes" if c.ok else "NO")
                        for c in self.checks
                    ],
                ),
                "",
                markdown_table(("figure", "value"), list(self.figures.items())),
            ]
        )


class FaultRun:
    """One run: the stack, the faults and what was observed."""

    def __init__(self, profile: Profile, seed: int, data_dir: Path) -> None:
        self.profile = profile
        self.seed = seed
        self.rng = random.Random(seed)
        port = free_port()
        self.settings = Settings(
            data_dir=data_dir,
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            temporal_port=free_port(),
            temporal_ui_port=free_port(),
            smtp_port=free_port(),
            sandbox_broker_port=free_port(),
            database_url=None,
            temporal_address=None,
        )
        self.stack = DevStack(self.settings)
        for name in list(self.stack.env):  # embedded PostgreSQL and Temporal, whatever is set
            if name.startswith("ENTRYGO_") or name in ("DATABASE_URL", "TEMPORAL_ADDRESS"):
                del self.stack.env[name]
        self.stack.env.update(
            ENTRYGO_LOG_LEVEL="WARNING",
            ENTRYGO_WORKER_METRICS_PORT="0",  # several workers on one machine
            ENTRYGO_DATA_DIR=str(data_dir),
            ENTRYGO_RETRY_BUDGET_SECONDS=str(RETRY_BUDGET_SECONDS),
        )
        self.faults: list[tuple[str, int, str]] = []
        self.checks: list[Check] = []
        self.phase_ok: list[bool] = []
        self.expected_down: set[str] = set()
        self.unexpected_exits: list[str] = []
        self.started = time.monotonic()

    # ---- stack ---------------------------------------------------------------------------------

    async def watchdog(self) -> None:
        """Restart a child that died on its own, and remember it (that is a finding)."""
        while True:
            for name, proc in list(self.stack.children):
                if name not in self.expected_down and proc.poll() is not None:
                    self.unexpected_exits.append(f"{name} (exit {proc.returncode})")
                    self.stack.spawn(name, self.stack.commands[name])
            await asyncio.sleep(0.5)

    async def broker_faults(self, **faults: Any) -> None:
        (await self.broker.post("/_sandbox/faults", json=faults)).raise_for_status()

    async def broker_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.broker.get("/_sandbox/stats")).json()
        return stats

    def progress(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", flush=True)

    # ---- phases --------------------------------------------------------------------------------

    async def phase_worker_kills(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("worker kills", p.kill_exports)
        await self.broker_faults(delaySeconds=p.send_delay_s)
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
            self.stack.kill("worker", signal.SIGKILL)
            self.stack.spawn("worker", self.stack.commands["worker"])
            if n % 20 == 0:
                self.progress(f"{n}/{p.kills} worker kills")
        self.faults.append(
            (
                "worker SIGKILL, then restart",
                p.kills,
                f"{executing} with an export EXECUTING, "
                f"{working} after the new worker had written an event",
            )
        )
        await asyncio.gather(*tasks)
        await self.broker_faults(delaySeconds=0)
        await self.finish_phase("worker kills", exports)

    async def until_worker_writes(self, rounds: int = 60) -> bool:
        """Wait (bounded, ~6 s) until the freshly started worker appends an event."""
        count = "SELECT count(*) FROM export_events"
        try:
            async with self.pool.acquire() as conn:
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
        await self.broker_faults(delaySeconds=1.0)
        await d.sync_orders(probe)
        tasks = [asyncio.create_task(d.launch(e)) for e in others]
        await d.until(others, {"EXECUTING"})
        flying = d.in_flight(others)
        self.expected_down.add("temporal")
        await asyncio.to_thread(self.stack.kill, "temporal", signal.SIGTERM)
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
        self.stack.spawn("temporal", self.stack.commands["temporal"])
        await asyncio.to_thread(wait_for_port, "127.0.0.1", self.settings.temporal_port, 60)
        self.expected_down.discard("temporal")
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
        await self.broker_faults(delaySeconds=0)
        await self.finish_phase("temporal restart", exports)

    async def phase_postgres_outage(self) -> None:
        p, d = self.profile, self.driver
        exports = d.new_exports("postgres outage", p.phase_exports)
        await self.broker_faults(delaySeconds=1.0)
        tasks = [asyncio.create_task(d.launch(e)) for e in exports]
        await d.until(exports, {"EXECUTING"})
        flying = d.in_flight(exports)
        await asyncio.to_thread(self.stack.stop_postgres)
        down_at = time.monotonic()
        probes = await self.postgres_probes(exports)
        await asyncio.sleep(max(0.0, p.pg_down_s - (time.monotonic() - down_at)))
        await asyncio.to_thread(self.stack.start_postgres)
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
        await self.broker_faults(delaySeconds=0)
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
        before = (await self.broker_stats())["unavailable"]
        await self.broker_faults(failForSeconds=p.broker_down_s)
        down_at = time.monotonic()
        await asyncio.gather(*(d.launch(e) for e in exports))
        await asyncio.sleep(max(0.0, p.broker_down_s - (time.monotonic() - down_at)))
        refused = (await self.broker_stats())["unavailable"] - before
        await self.broker_faults(failForSeconds=0, delaySeconds=p.broker_delay_s)
        await asyncio.sleep(p.broker_slow_s)
        await self.broker_faults(delaySeconds=0)
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

    # ---- checking ------------------------------------------------------------------------------

    async def evaluate(self) -> tuple[list[Check], dict[str, int]]:
        """Every invariant over every export launched so far."""
        everything = self.driver.exports
        launched = [e for e in everything if e.export_id]
        async with self.pool.acquire() as conn:
            in_account = await conn.fetchval(
                "SELECT count(*) FROM exports WHERE account_id = $1",
                self.driver.demo["accountId"],
            )
        evidence = await gather_evidence(
            self.pool,
            self.temporal,
            {e.export_id: e.transport for e in launched if e.export_id},
            await self.broker_stats(),
            read_maildir(self.settings.data_dir / "mail"),
        )
        errors = "".join(f"; #{e.n}: {e.error}" for e in everything if e.error)
        checks = [
            Check(
                "every export planned and executed through the API",
                str(len(everything)),
                f"{len(launched)}{errors}",
                len(launched) == len(everything) and not errors,
            ),
            *check_all(evidence, launched=len(everything), in_account=in_account),
        ]
        return checks, figures(evidence)

    async def finish_phase(self, name: str, exports: list[Export]) -> None:
        """Wait (bounded) for every export so far to settle, then check every invariant."""
        started = time.monotonic()
        settled = await self.driver.settled(self.profile.settle_rounds)
        checks, _ = await self.evaluate()
        failed = [c.name for c in checks if not c.ok] or ([] if settled else ["not settled"])
        self.phase_ok.append(not failed)
        self.progress(
            f"{name}: {len(exports)} exports launched, {len(self.driver.exports)} in all, "
            f"settled in {time.monotonic() - started:.1f}s, "
            + (f"FAILED: {'; '.join(failed)}" if failed else "invariants hold")
        )

    def run_checks(self, final: list[Check]) -> list[Check]:
        """The final invariants, the per-fault ones, and the run's own health."""
        api = self.driver.api
        good = sum(self.phase_ok)
        return [
            *final,
            *self.checks,
            Check(
                "invariants held after each fault phase",
                f"{len(self.phase_ok)}/{len(self.phase_ok)}",
                f"{good}/{len(self.phase_ok)}",
                good == len(self.phase_ok),
            ),
            Check(
                "no 5xx other than 503 from the API",
                "0",
                f"{len(api.server_errors)}" + "".join(f"; {e}" for e in api.server_errors[:3]),
                not api.server_errors,
            ),
            self.log_check(),
            Check(
                "no child process died on its own",
                "0",
                f"{len(self.unexpected_exits)}" + "".join(f"; {x}" for x in self.unexpected_exits),
                not self.unexpected_exits,
            ),
        ]

    def log_check(self) -> Check:
        """The API's and the worker's log files are JSON lines, and no key or secret is in them."""
        secrets = [*self.driver.demo["keys"].values(), DEMO_BROKER_SECRET]
        lines = bad = leaked = 0
        for name in ("api", "worker"):
            path = self.settings.data_dir / "logs" / f"{name}.log"
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            leaked += sum(secret in text for secret in secrets)
            for line in text.splitlines():
                lines += 1
                try:
                    bad += not isinstance(json.loads(line), dict)
                except ValueError:
                    bad += 1
        return Check(
            "api.log and worker.log: JSON lines, no key or secret",
            "0 bad, 0 leaked",
            f"{bad} bad, {leaked} leaked of {lines} lines",
            bad == 0 and leaked == 0,
        )

    # ---- the run -------------------------------------------------------------------------------

    async def run(self, demo: dict[str, Any]) -> Report:
        s = self.settings
        assert s.database_url is not None
        # min_size 0: no reconnect noise from the pool while PostgreSQL is down on purpose
        self.pool = await create_pool(s.database_url, min_size=0, max_size=4)
        self.temporal = await connect_temporal(s, attempts=20)
        api = Api(f"http://127.0.0.1:{s.port}", demo["keys"])
        self.driver = Driver(api, self.pool, demo, self.rng, uuid.uuid4().hex[:6])
        self.broker = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{s.sandbox_broker_port}", timeout=10
        )
        helpers = [asyncio.create_task(self.watchdog()), asyncio.create_task(self.driver.operate())]
        try:
            await self.phase_worker_kills()
            await self.phase_temporal_restart()
            await self.phase_postgres_outage()
            await self.phase_broker_outage()
            final, figs = await self.evaluate()
        finally:
            for task in helpers:
                task.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)
            await api.aclose()
            await self.broker.aclose()
            await self.pool.close()
        figs["exports resumed with POST /retry (ATTENTION_REQUIRED)"] = sum(
            e.retries for e in self.driver.exports
        )
        for answer, count in sorted(api.answers.items()):
            figs[f"API answers retried by the client: {answer}"] = count
        return Report(
            profile=self.profile.name,
            seed=self.seed,
            exports=len(self.driver.exports),
            faults=self.faults,
            checks=self.run_checks(final),
            figures=figs,
            seconds=time.monotonic() - self.started,
            data_dir=self.settings.data_dir,
        )


def run_faults(
    *, kills: int | None = None, short: bool = False, seed: int | None = None, keep: bool = False
) -> Report:
    """Start a stack in a temporary directory, run every fault phase, stop every child."""
    profile = SHORT if short else FULL
    if kills is not None:
        profile = replace(profile, kills=kills)
    seed = random.randrange(1_000_000) if seed is None else seed
    data_dir = Path(tempfile.mkdtemp(prefix="entrygo-faults-"))
    run = FaultRun(profile, seed, data_dir)
    try:
        demo = run.stack.start()  # blocking: it runs its own event loop to migrate and seed
        run.progress(f"stack up under {data_dir} (profile {profile.name}, seed {seed})")
        report = asyncio.run(run.run(demo))
    finally:
        run.stack.stop()
    report.seconds = time.monotonic() - run.started
    if report.ok and not keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the short form run by make test")
    parser.add_argument("--kills", type=int, default=None, help="worker SIGKILLs (full: 100)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so every child is stopped on the way out
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    report = run_faults(kills=args.kills, short=args.short, seed=args.seed, keep=args.keep)
    print()
    print(report.table())
    if not report.ok:
        print(f"\nlogs and data kept in {report.data_dir}")
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
