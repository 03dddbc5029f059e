"""The short form of `make topology`: two APIs and two workers as deploy runs them, one SIGKILL of
each mid-run, and every check of the full run (exports final, side effects once at the broker and
the warehouse, gapless events, metrics on every process, traces across processes).

Polling inside the run is bounded by attempts, never by a wall clock; every process is stopped and
the database dropped whether the run passes or not.
"""

from concurrent.futures import ThreadPoolExecutor

from bench.topology import run_topology


def test_topology_survives_a_kill_of_each_process_kind() -> None:
    # its own thread: the run's event loop never touches the one pytest-asyncio keeps for the session
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(run_topology, exports=8, kills=1, concurrency=4).result()
    print(report.text())
    assert report.checks, "\n".join(report.notes)
    failed = [f"{c.name}: {c.figures}" for c in report.checks if not c.ok]
    assert not failed, f"logs in {report.log_dir}\n" + "\n".join(failed + report.notes)
