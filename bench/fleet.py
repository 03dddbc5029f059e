"""`make faults-fleet`: one broker outage across many exports, before and after fleet control.

N exports are planned, the sandbox broker is switched to refuse every submission for a while
(503), and all N are executed into the outage. Printed side by side for a baseline commit (by
default 1ec7f28, the commit before fleet control: each export retries on its own, 1 s doubling
to 15 s, until its retry budget, then ATTENTION_REQUIRED) and this tree (the broker's breaker
opens, the exports wait for it, a probe finds it back, the waiting exports are released at a
bounded rate): the submissions the dead broker refused, the exports that reached
ATTENTION_REQUIRED, the time from the broker's recovery to the last export COMPLETED, and the
most first deliveries in any second after the recovery. Every export must end COMPLETED with
one submission at the broker, in both trees.

Each tree gets its own stack (bench/faults_stack.py: embedded PostgreSQL, the Temporal dev
server, the sandbox broker, a worker and the API in a temporary directory, on free ports). The
baseline's children run from a temporary git worktree of the commit (bench/fleet_tree.py); this
driver always runs from the current tree. The scenario is bench/fleet_scenario.py, the report
bench/fleet_report.py. `python -m bench.fleet --exports 20 --outage 60 --no-baseline` is a
quick look; tests/faults runs a short form of this tree alone.
"""

import argparse
import asyncio
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from bench.faults_checks import Check
from bench.faults_stack import FaultStack, TreeDevStack
from bench.fleet_report import FleetReport, baseline_checks, fleet_checks
from bench.fleet_scenario import FleetConfig, FleetRun, FleetScenario
from bench.fleet_tree import this_tree, verify_tree, worktree

BASELINE = "1ec7f28"  # the commit before fleet control
Judge = Callable[[FleetRun, FleetConfig], list[Check]]


def run_tree(config: FleetConfig, label: str, tree: Path | None, keep: bool) -> FleetRun:
    """Start a stack running `tree` (None: this one), play the scenario, stop every child."""
    data_dir = Path(tempfile.mkdtemp(prefix="entrygo-fleet-"))
    stack = FaultStack(data_dir, tree=tree)
    stack.dev.env.update(config.env())
    try:
        demo = stack.dev.start()  # blocking: it runs its own event loop to migrate and seed
        stack.progress(f"{label}: stack up under {data_dir}")
        if isinstance(stack.dev, TreeDevStack):
            stack.progress(f"{label}: {verify_tree(stack.dev)}")
        result = asyncio.run(FleetScenario(config, stack, demo).run(label))
    finally:
        stack.dev.stop()
    if stack.unexpected_exits:
        stack.progress(f"{label}: children died on their own: {stack.unexpected_exits}")
    if keep or not (result.all_completed and result.one_submission_each):
        stack.progress(f"{label}: logs and data kept in {data_dir}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
    return result


def run_fleet(
    config: FleetConfig,
    baseline: str | None = None,
    commit: str | None = None,
    keep: bool = False,
) -> FleetReport:
    """The scenario on `baseline` (a commit; None: skipped), then on this tree (or, with
    `commit`, on that commit: the working tree may hold changes that are not ready)."""
    report = FleetReport(config, [])
    sides: list[tuple[str, str | None, Judge]] = []
    if baseline:
        sides.append((f"baseline {baseline}", baseline, baseline_checks))
    sides.append((commit or this_tree(), commit, fleet_checks))
    for label, ref, checks in sides:
        with ExitStack() as cleanup:
            tree = cleanup.enter_context(worktree(ref)) if ref else None
            run = run_tree(config, label, tree, keep)
        report.runs.append(run)
        report.checks[label] = checks(run, config)
    return report


def main() -> None:
    defaults = FleetConfig()
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--exports", type=int, default=defaults.exports)
    parser.add_argument("--outage", type=float, default=defaults.outage_s, help="seconds")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--baseline", default=BASELINE, help=f"commit (default {BASELINE})")
    which.add_argument("--no-baseline", action="store_true", help="this tree only")
    parser.add_argument(
        "--commit", default=None, help="run the fleet side from this commit, not the working tree"
    )
    parser.add_argument("--retry-budget", type=float, default=defaults.retry_budget_s)
    parser.add_argument("--backoff-initial", type=float, default=defaults.backoff_initial_s)
    parser.add_argument("--backoff-max", type=float, default=defaults.backoff_max_s)
    parser.add_argument("--release-per-second", type=int, default=defaults.release_per_second)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--keep", action="store_true", help="keep the data dirs and logs")
    args = parser.parse_args()
    config = FleetConfig(
        exports=args.exports,
        outage_s=args.outage,
        retry_budget_s=args.retry_budget,
        backoff_initial_s=args.backoff_initial,
        backoff_max_s=args.backoff_max,
        release_per_second=args.release_per_second,
        seed=args.seed,
    )
    # SIGTERM unwinds like Ctrl-C, so every child is stopped and the worktree removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    baseline = None if args.no_baseline else args.baseline
    report = run_fleet(config, baseline, commit=args.commit, keep=args.keep)
    print()
    print(report.table())
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
