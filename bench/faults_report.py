"""What a fault run found (bench/faults.py): the final invariants with the per-fault ones and the
run's own health, and the report as Markdown tables."""

import json
from dataclasses import dataclass
from pathlib import Path

from bench.faults_checks import Check, markdown_table
from bench.faults_driver import Driver
from bench.faults_phases import Phases
from bench.faults_stack import FaultStack
from entrygo.seed import DEMO_BROKER_SECRET


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


def run_checks(
    phases: Phases, stack: FaultStack, driver: Driver, final: list[Check]
) -> list[Check]:
    """The final invariants, the per-fault ones, and the run's own health."""
    api = driver.api
    good = sum(phases.phase_ok)
    return [
        *final,
        *phases.checks,
        Check(
            "invariants held after each fault phase",
            f"{len(phases.phase_ok)}/{len(phases.phase_ok)}",
            f"{good}/{len(phases.phase_ok)}",
            good == len(phases.phase_ok),
        ),
        Check(
            "no 5xx other than 503 from the API",
            "0",
            f"{len(api.server_errors)}" + "".join(f"; {e}" for e in api.server_errors[:3]),
            not api.server_errors,
        ),
        log_check(stack, driver),
        Check(
            "no child process died on its own",
            "0",
            f"{len(stack.unexpected_exits)}" + "".join(f"; {x}" for x in stack.unexpected_exits),
            not stack.unexpected_exits,
        ),
    ]


def log_check(stack: FaultStack, driver: Driver) -> Check:
    """The API's and the worker's log files are JSON lines, and no key or secret is in them."""
    secrets = [*driver.demo["keys"].values(), DEMO_BROKER_SECRET]
    lines = bad = leaked = 0
    for name in ("api", "worker"):
        path = stack.settings.data_dir / "logs" / f"{name}.log"
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
