"""`make topology`: the production topology on one machine, with a kill of each process kind.

Starts, as deploy runs them (the `entrygo` console script, configured by environment variables
only): two `entrygo api` and two `entrygo worker` processes against the machine's PostgreSQL (a
fresh database, dropped at the end) and a Temporal dev server standing in for the cluster. The
sandbox broker (its own process) receives the submissions; a warehouse receiver, an OTLP trace
collector and a TCP load balancer in front of the APIs (the workers' ENTRYGO_PUBLIC_BASE_URL, as
the k8s Service is) run in a thread of this process (bench/topology_outside.py).

Clients spread round-robin over both APIs drive `--exports` exports (sync an order → plan →
execute a READY plan → poll until COMPLETED); mid-run one API process and one worker process are
SIGKILLed and restarted on the same ports and environment, and the clients retry their calls with
the same Idempotency-Key on the other API. Then the checks (bench/topology_checks.py): every
export COMPLETED, one package / broker submission / warehouse notification each in the database
and at the broker and the warehouse, gapless event sequences, /metrics on every process, traces
that cross from an API process to a worker process. Prints the table; exits 1 when a check
failed. `run_topology(exports=8)` is the short form tests/e2e/test_topology.py runs.

By role: the processes (bench/topology_procs.py), the stack and its teardown
(topology_stack.py), the clients (topology_client.py), the driver and its kills
(topology_driver.py), the checks (topology_checks.py) and the report (topology_report.py).
"""

import argparse
import asyncio
import os
import sys
import time
from typing import Any

import asyncpg

from bench.topology_checks import Check
from bench.topology_driver import Driver
from bench.topology_report import Report, run_checks
from bench.topology_stack import TopologyStack

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


async def pick_server() -> tuple[str, Any]:
    """DATABASE_URL; else the default local server; else an embedded one (as other benches)."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url, None
    try:
        conn = await asyncpg.connect(DEFAULT_DATABASE_URL, timeout=5)
        await conn.close()
        return DEFAULT_DATABASE_URL, None
    except (OSError, asyncpg.PostgresError, TimeoutError):
        from bench.common import server_url

        return server_url()


async def run(exports: int, kills: int, concurrency: int, keep: bool) -> Report:
    """Bring the topology up, drive it, check it, take it down."""
    started = time.monotonic()
    server_url, embedded = await pick_server()
    topo = TopologyStack(server_url)
    driver = Driver(topo, exports, kills, concurrency)
    checks: list[Check] = []
    try:
        await topo.start()
        await driver.drive()
        checks = await run_checks(topo, driver)
    except Exception as exc:  # the table says what failed; the stack still comes down
        checks.append(Check("the run itself (bring-up, drive, checks)", False, "aborted"))
        topo.notes.append(f"run aborted: {type(exc).__name__}: {exc}")
    finally:
        failed = not checks or not all(c.ok for c in checks)
        kept = keep or failed
        await topo.cleanup(kept)
        if embedded is not None:
            embedded.cleanup()
    return Report(
        exports, checks, time.monotonic() - started, topo.notes, topo.dir / "logs" if kept else None
    )


def run_topology(
    exports: int = 40, kills: int = 1, concurrency: int = 8, keep: bool = False
) -> Report:
    """The whole run in its own event loop; the report (its checks say whether it passed)."""
    return asyncio.run(run(exports, kills, concurrency, keep))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.topology", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--exports", type=int, default=40, help="exports to drive (default 40)")
    parser.add_argument(
        "--kills", type=int, default=1, help="rounds of (SIGKILL an API, SIGKILL a worker)"
    )
    parser.add_argument("--concurrency", type=int, default=8, help="clients at once")
    parser.add_argument("--keep", action="store_true", help="keep the logs even when all pass")
    args = parser.parse_args()
    report = run_topology(args.exports, args.kills, args.concurrency, args.keep)
    print(report.text(), flush=True)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()
