"""What the fleet scenario found (bench/fleet.py): the figures of each tree side by side, the
settings they ran with, and the checks of the issue's expectations, as Markdown."""

from dataclasses import dataclass, field

from bench.faults_checks import Check, markdown_table
from bench.fleet_scenario import FleetConfig, FleetRun


def release_limit(config: FleetConfig) -> int:
    """First deliveries allowed in any second after the broker is back: the release rate, and
    the probe that found it back."""
    return config.release_per_second + 1


def fleet_checks(run: FleetRun, config: FleetConfig) -> list[Check]:
    """The issue's expectations of a tree with fleet control."""
    limit = release_limit(config)
    return [
        Check("no export reached ATTENTION_REQUIRED", "0", str(run.attention), run.attention == 0),
        Check(
            "submissions refused by the dead broker",
            f"< {2 * run.exports} (2 × exports)",
            str(run.refused),
            run.refused < 2 * run.exports,
        ),
        Check(
            "most first deliveries in any 1 s after the broker is back",
            f"≤ {limit}",
            str(run.peak_per_second),
            run.peak_per_second <= limit,
        ),
        *common_checks(run),
    ]


def baseline_checks(run: FleetRun, config: FleetConfig) -> list[Check]:
    """A baseline is measured, not judged: only what every tree must do."""
    return common_checks(run)


def common_checks(run: FleetRun) -> list[Check]:
    """What every tree must do however the outage went: every export once at the broker,
    every export COMPLETED, every invariant of the fault runs."""
    low, high = run.submissions_per_export
    broken = [c for c in run.invariants if not c.ok]
    return [
        Check(
            "submissions per export at the broker",
            "1",
            str(low) if low == high else f"{low}..{high}",
            run.one_submission_each,
        ),
        Check("exports COMPLETED", str(run.exports), str(run.completed), run.all_completed),
        Check(
            "invariants of the fault runs (exactly once)",
            f"{len(run.invariants)}/{len(run.invariants)}",
            f"{len(run.invariants) - len(broken)}/{len(run.invariants)}"
            + "".join(f"; {c.name}: {c.observed}" for c in broken),
            not broken,
        ),
    ]


def timeline(counts: list[int]) -> str:
    """Counts per second, runs of empty seconds folded ("0 ×27"); the last count is never 0."""
    parts: list[str] = []
    quiet = 0
    for count in counts:
        if count == 0:
            quiet += 1
            continue
        if quiet:
            parts.append("0" if quiet == 1 else f"0 ×{quiet}")
            quiet = 0
        parts.append(str(count))
    return ", ".join(parts)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


@dataclass
class FleetReport:
    """The runs side by side (the baseline first, when there is one)."""

    config: FleetConfig
    runs: list[FleetRun]
    checks: dict[str, list[Check]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for checks in self.checks.values() for c in checks)

    def table(self) -> str:
        """The report as Markdown."""
        c = self.config
        verdict = "every check holds" if self.ok else "CHECKS FAILED"
        head = ("", *(run.tree for run in self.runs))
        rows = [
            ("submissions refused by the dead broker", *(r.refused for r in self.runs)),
            ("exports that reached ATTENTION_REQUIRED", *(r.attention for r in self.runs)),
            (
                "broker back → last export COMPLETED",
                *(_seconds(r.recovery_to_last_s) for r in self.runs),
            ),
            (
                f"most first deliveries in any 1 s after the broker is back "
                f"(release limit {release_limit(c)})",
                *(r.peak_per_second for r in self.runs),
            ),
            (
                "first deliveries after the broker is back",
                *(r.first_after_recovery for r in self.runs),
            ),
            ("exports COMPLETED", *(f"{r.completed}/{r.exports}" for r in self.runs)),
            (
                "submissions per export at the broker",
                *(
                    "1" if r.one_submission_each else str(r.submissions_per_export)
                    for r in self.runs
                ),
            ),
            ("POST /retry by the operator after the outage", *(r.retried for r in self.runs)),
            ("run (stack start to stop)", *(f"{r.seconds:.0f} s" for r in self.runs)),
        ]
        settings = [
            ("exports in flight", c.exports),
            ("broker outage (every submission answered 503)", f"{c.outage_s:.0f} s"),
            (
                "retry budget of a side effect (ENTRYGO_RETRY_BUDGET_SECONDS)",
                f"{c.retry_budget_s:.0f} s",
            ),
            (
                "breaker opens after",
                f"{c.breaker_threshold} transient failures within {c.breaker_window_s:.0f} s",
            ),
            (
                "breaker probes after",
                f"{c.backoff_initial_s:g} s, doubling to {c.backoff_max_s:g} s",
            ),
            ("release rate", f"{c.release_per_second} per second per destination"),
            ("seed (orders)", c.seed),
        ]
        checks = [
            (tree, k.name, k.expected, k.observed, "yes" if k.ok else "NO")
            for tree, found in self.checks.items()
            for k in found
        ]
        timelines = [
            f"- {run.tree}: {timeline(run.per_second())}" for run in self.runs if run.release
        ]
        return "\n".join(
            [
                f"EntryGo fleet scenario: {c.exports} exports, the broker down "
                f"{c.outage_s:.0f} s; {verdict}",
                "",
                markdown_table(head, rows),
                "",
                "First deliveries at the broker in each second after it was back:",
                *timelines,
                "",
                markdown_table(("setting", "value"), settings),
                "",
                markdown_table(("tree", "check", "expected", "observed", "ok"), checks),
            ]
        )
