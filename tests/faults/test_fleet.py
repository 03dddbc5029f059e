"""The short form of `make faults-fleet`: a whole stack of child processes, 20 exports executed
into a 20-second broker outage, this tree only (no baseline).

The breaker probes after 2 s, doubling to 5 s (not 30 s to 10 min), so the run ends soon after
the broker is back. Polling inside the run is bounded by attempts, never by a wall clock; the
stack is stopped (every child gone) whether the run passes or not.
"""

from concurrent.futures import ThreadPoolExecutor

from bench.fleet import run_tree
from bench.fleet_report import fleet_checks, release_limit
from bench.fleet_scenario import FleetConfig

CONFIG = FleetConfig(exports=20, outage_s=20.0, backoff_initial_s=2.0, backoff_max_s=5.0)


def test_one_broker_outage_opens_one_breaker_and_the_exports_wait_for_it() -> None:
    # its own thread: the run's event loops never touch the one pytest-asyncio keeps for the session
    with ThreadPoolExecutor(max_workers=1) as pool:
        run = pool.submit(run_tree, CONFIG, "this tree", None, False).result()
    checks = fleet_checks(run, CONFIG)
    for check in checks:
        print(f"{check.name}: expected {check.expected}, observed {check.observed}")
    failed = [f"{c.name}: expected {c.expected}, observed {c.observed}" for c in checks if not c.ok]
    assert not failed, "\n".join(failed)
    assert run.attention == 0
    # each export on its own would retry through the outage (1, 2, 4, 8, 15 s...: 5 tries or
    # more each); with the breaker: the failures that open it, then one probe per backoff
    assert 0 < run.refused < 2 * CONFIG.exports
    assert run.submissions_per_export == (1, 1)
    assert run.completed == CONFIG.exports
    # every export waited: its first delivery came after the broker was back, at the release rate
    assert run.first_after_recovery == CONFIG.exports
    assert run.peak_per_second <= release_limit(CONFIG)
