"""`make faults`: exports in flight through worker kills, a Temporal restart, a PostgreSQL outage
and a broker outage; afterwards every export must have had each side effect exactly once.

Starts its own stack with `DevStack` in a temporary directory on free ports (embedded PostgreSQL
and the Temporal dev server with a file database, so both can be restarted), drives exports
through the public API (the demo seed's webhook and email brokers; bench/faults_driver.py),
injects the faults phase by phase, checks every invariant (bench/faults_checks.py) after each
phase and at the end, and prints the faults injected and the invariants checked as Markdown
tables. `run_faults(short=True)` is the form tests/faults runs inside `make test`;
`python -m bench.faults` is the full run.

By role: the stack (bench/faults_stack.py), the driver (faults_driver.py), the fault phases
(faults_phases.py), the invariants (faults_checks.py) and the report (faults_report.py).
"""

import argparse
import asyncio
import random
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.faults_checks import evaluate
from bench.faults_driver import Api, Driver
from bench.faults_phases import FULL, SHORT, Phases, Profile
from bench.faults_report import Report, run_checks
from bench.faults_stack import FaultStack


async def run(profile: Profile, seed: int, stack: FaultStack, demo: dict[str, Any]) -> Report:
    """Every phase over a started stack, then the final checks."""
    rng = random.Random(seed)
    await stack.connect()
    api = Api(f"http://127.0.0.1:{stack.settings.port}", demo["keys"])
    driver = Driver(api, stack.pool, demo, rng, uuid.uuid4().hex[:6])
    phases = Phases(profile, rng, stack, driver)
    helpers = [asyncio.create_task(stack.watchdog()), asyncio.create_task(driver.operate())]
    try:
        await phases.phase_worker_kills()
        await phases.phase_temporal_restart()
        await phases.phase_postgres_outage()
        await phases.phase_broker_outage()
        await phases.phase_broker_loop()
        await phases.phase_broker_loop_outage()
        final, figs = await evaluate(stack, driver)
    finally:
        for task in helpers:
            task.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        await api.aclose()
        await stack.disconnect()
    figs["exports resumed with POST /retry (ATTENTION_REQUIRED)"] = sum(
        e.retries for e in driver.exports
    )
    for answer, count in sorted(api.answers.items()):
        figs[f"API answers retried by the client: {answer}"] = count
    return Report(
        profile=profile.name,
        seed=seed,
        exports=len(driver.exports),
        faults=phases.faults,
        checks=run_checks(phases, stack, driver, final),
        figures=figs,
        seconds=time.monotonic() - stack.started,
        data_dir=stack.settings.data_dir,
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
    stack = FaultStack(data_dir)
    try:
        demo = stack.dev.start()  # blocking: it runs its own event loop to migrate and seed
        stack.progress(f"stack up under {data_dir} (profile {profile.name}, seed {seed})")
        report = asyncio.run(run(profile, seed, stack, demo))
    finally:
        stack.dev.stop()
    report.seconds = time.monotonic() - stack.started
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
