"""What a topology run found (bench/topology.py): every check over the stack and the driver's
record, and the report printed as a table."""

from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.topology_checks import (
    Check,
    analyse_traces,
    broker_check,
    metrics_check,
    read_stores,
    store_checks,
    table,
    trace_checks,
    warehouse_check,
)
from bench.topology_driver import Driver
from bench.topology_stack import TopologyStack


@dataclass
class Report:
    """What a run found."""

    exports: int
    checks: list[Check]
    seconds: float
    notes: list[str]
    log_dir: Path | None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def text(self) -> str:
        verdict = "all checks pass" if self.ok else "CHECKS FAILED"
        lines = [
            f"EntryGo topology: 2 APIs, 2 workers, Temporal dev server, PostgreSQL; "
            f"{self.exports} exports, {self.seconds:.0f} s, {verdict}",
            "",
            table(self.checks),
        ]
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        if self.log_dir is not None:
            lines += ["", f"logs kept in {self.log_dir}"]
        return "\n".join(lines)


async def run_checks(stack: TopologyStack, driver: Driver) -> list[Check]:
    """Every check; the app processes are stopped (gracefully) before the traces are read."""
    checks: list[Check] = []
    launched = {str(e.n): e.export_id for e in driver.exports}
    stores = await read_stores(stack.database_url, stack.account_id)
    checks += store_checks(stores, launched)
    async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
        stats = (await http.get(f"http://127.0.0.1:{stack.ports['broker']}/_sandbox/stats")).json()
    checks.append(broker_check(stores, stats))
    checks.append(warehouse_check(stores, stack.outside.warehouse))
    retries = ", ".join(f"{k} ×{v}" for k, v in sorted(stack.client.retries.items()))
    mid_run = sum(driver.kills_mid_run)
    checks.append(
        Check(
            "SIGKILLs landed mid-run; clients retried to completion",
            len(driver.kills_mid_run) == 2 * driver.kills and mid_run == len(driver.kills_mid_run),
            f"{mid_run}/{2 * driver.kills} kills with exports open: "
            + "; ".join(driver.kill_log)
            + f"; client retries: {retries or 'none'}; "
            f"calls per API (first try) {stack.client.homes}, attempts per API "
            f"{stack.client.calls}; balancer (broker callbacks) "
            f"{stack.outside.balancer.connections} connections, "
            f"{stack.outside.balancer.failovers} failovers",
        )
    )
    checks.append(
        Check(
            "no process exited unless killed",
            not driver.unexpected,
            "; ".join(driver.unexpected)
            or f"{len(stack.procs)} processes, "
            f"{sum(len(p.pids) for p in stack.procs.values())} pids over the run",
        )
    )
    checks.append(
        await metrics_check(
            [(a.name, a.port or 0) for a in stack.apis],
            [(w.name, w.port or 0) for w in stack.workers],
        )
    )
    await stack.stop_services()
    kinds = {pid: "api" for a in stack.apis for pid in a.pids}
    kinds.update({pid: "worker" for w in stack.workers for pid in w.pids})
    findings = analyse_traces(
        stack.outside.collector.snapshot(),
        kinds,
        list(stores.rows),
        stack.outside.warehouse,
    )
    checks += trace_checks(findings, stack.outside.collector.refused)
    return checks
