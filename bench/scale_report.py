"""What the scale benchmark prints: latency by checkpoint and its growth, plans, bytes."""

import argparse
from dataclasses import dataclass, field

from bench.flow import percentile
from bench.scale_plans import Verdict

MB = 1024 * 1024


@dataclass
class Checkpoint:
    """What one checkpoint measured."""

    exports: int
    latencies: dict[str, list[float]] = field(default_factory=dict)
    plans: dict[str, tuple[str, Verdict, list[str]]] = field(default_factory=dict)
    big: dict[str, int] = field(default_factory=dict)
    tables: list[tuple[str, int, int]] = field(default_factory=list)
    database_bytes: int = 0
    empty_bytes: int = 0
    temporal_bytes: int = 0
    rates: list[float] = field(default_factory=list)


def ms(values: list[float], q: float) -> float:
    return 1000 * percentile(values, q)


def report(points: list[Checkpoint], args: argparse.Namespace) -> None:
    """Every table of the run."""
    first, last = points[0], points[-1]
    rates = last.rates
    print()
    print(
        f"execute rate: {sum(rates) / len(rates):.2f} exports/s on average over "
        f"{len(rates)} chunks (min {min(rates):.2f}, max {max(rates):.2f}); "
        f"{args.concurrency} in flight"
    )
    print()
    print(
        f"p50 / p99 ms of each read ({args.samples} interleaved rounds per checkpoint); "
        f"ratio = p99 at N ÷ p99 at {first.exports}"
    )
    names = list(first.latencies)
    head = " | ".join(f"{p.exports:>6} exports p50/p99" for p in points)
    print(f"{'read':<20} | {'call':<26} | {head} | ratio p99")
    for name in names:
        call = first.plans[name][0]
        cells = " | ".join(
            f"{ms(p.latencies[name], 50):10.1f} / {ms(p.latencies[name], 99):7.1f}" for p in points
        )
        ratio = ms(last.latencies[name], 99) / ms(first.latencies[name], 99)
        print(f"{name:<20} | {call:<26} | {cells} | {ratio:9.2f}")
    print()
    for point in points:
        big = ", ".join(f"{t} {n}" for t, n in point.big.items())
        print(f"EXPLAIN at {point.exports} exports (big tables, rows: {big})")
        for name, (call, verdict, lines) in point.plans.items():
            state = (
                "indexed, no Seq Scan on a big table"
                if verdict.indexed
                else f"SEQ SCAN on {', '.join(sorted(set(verdict.seq_on_big)))}"
            )
            if verdict.unindexed:
                state += f"; no index serves {', '.join(sorted(set(verdict.unindexed)))}"
            print(f"  {name:<20} {call:<26} {verdict.statements} statements: {state}")
            if point is last:
                for line in lines:
                    print(line)
    print()
    grown = last.database_bytes - last.empty_bytes
    print(
        f"database: {last.empty_bytes / MB:.1f} MB before the exports, "
        f"{last.database_bytes / MB:.1f} MB after {last.exports}: "
        f"{grown / last.exports / 1024:.1f} KB per export (pg_database_size)"
    )
    for point in points:
        print(
            f"  at {point.exports:6d}: {(point.database_bytes - point.empty_bytes) / point.exports / 1024:6.1f} KB/export; "
            f"Temporal's SQLite file {point.temporal_bytes / MB:.1f} MB "
            f"({point.temporal_bytes / point.exports / 1024:.1f} KB/export)"
        )
    print(f"largest tables at {last.exports} exports (pg_total_relation_size):")
    for name, size, rows in last.tables:
        print(
            f"  {name:<28} {size / MB:8.1f} MB {rows:9d} rows "
            f"{size / last.exports / 1024:7.1f} KB/export"
        )
