"""The short form of `make faults`: a whole stack of child processes, every fault, every invariant.

Polling inside the run is bounded by attempts, never by a wall clock; the stack is stopped (every
child gone) whether the run passes or not.
"""

from concurrent.futures import ThreadPoolExecutor

from bench.faults import run_faults


def test_exports_survive_every_fault_exactly_once() -> None:
    # its own thread: the run's event loops never touch the one pytest-asyncio keeps for the session
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(run_faults, kills=5, short=True).result()
    print(report.table())
    failed = [
        f"{c.name}: expected {c.expected}, observed {c.observed}" for c in report.checks if not c.ok
    ]
    assert not failed, f"logs in {report.data_dir}\n" + "\n".join(failed)
    assert {kind for kind, count, _ in report.faults if count} == {
        "worker SIGKILL, then restart",
        "Temporal dev server stopped, restarted (file db)",
        "PostgreSQL stopped (fast), restarted",
        "sandbox broker down (503)",
        "sandbox broker slow",
        "worker SIGKILL during an amendment",
        "broker callbacks duplicated and out of order",
        "sandbox broker down (503) while amendments are sent",
    }
