"""The dev stack for the benchmarks: free ports, a temporary data dir, and per-process figures.

`running_stack()` starts `entrygo.dev.DevStack` (PostgreSQL from DATABASE_URL or embedded;
Temporal from TEMPORAL_ADDRESS, else the dev server with a SQLite file as `make run` does, or an
in-memory one) and says which persistence it used. `BenchStack` reads RSS and CPU time of the
children from /proc.
"""

import argparse
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import free_port
from config.settings import Settings, load_settings, temporal_binary
from entrygo.dev import DevStack, wait_for_port

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class BenchStack:
    """The dev stack in a temporary data dir, with what the benchmarks read from it."""

    stack: DevStack
    demo: dict[str, Any]
    base_url: str
    broker_url: str
    persistence: str
    database: str
    temporal_proc: subprocess.Popen[bytes] | None

    @property
    def settings(self) -> Settings:
        """The settings the children were started with."""
        return self.stack.settings

    def pids(self) -> dict[str, int]:
        """Process id of each child by name (and of our own Temporal and PostgreSQL)."""
        found = {name: proc.pid for name, proc in self.stack.children}
        if self.temporal_proc is not None:
            found["temporal"] = self.temporal_proc.pid
        postmaster = self.stack.data_dir / "pg" / "postmaster.pid"
        if postmaster.exists():
            found["postgres"] = int(postmaster.read_text().split()[0])
        return found

    def rss_mb(self, name: str) -> float:
        """Resident memory of a child (VmRSS), in MB; the API's with its processes."""
        pid = self.pids()[name]
        return sum(_rss_mb(p) for p in [pid, *(api_processes(pid) if name == "api" else [])])

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each child and by this process; PostgreSQL with backends,
        the API with its processes (ENTRYGO_API_PROCESSES)."""
        pids = self.pids()
        used = {
            name: process_cpu(pid, with_children=name == "postgres") for name, pid in pids.items()
        }
        if "postgres" in used:
            used["postgres"] += sum(process_cpu(p) for p in children_of(pids["postgres"]))
        if "api" in used:
            used["api"] += sum(process_cpu(p) for p in api_processes(pids["api"]))
        used["bench"] = process_cpu(os.getpid())
        used["machine"] = machine_busy_seconds()
        return used


def _rss_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in status.splitlines() if x.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


def process_cpu(pid: int, *, with_children: bool = False) -> float:
    """utime+stime of a process (plus its reaped children's), in seconds; 0 if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (all cores, every process)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks[:8]) - idle) / CLK_TCK


def children_of(parent: int) -> list[int]:
    """Live direct children of a process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        if int(raw[raw.rindex(")") + 2 :].split()[1]) == parent:
            found.append(int(entry.name))
    return found


def api_processes(supervisor: int) -> list[int]:
    """The serving processes of an `entrygo api` with ENTRYGO_API_PROCESSES above 1 (started by
    multiprocessing's spawn; not its resource tracker); none for a single process."""
    return [p for p in children_of(supervisor) if _spawned(p)]


def _spawned(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """`--temporal` (the dev server's persistence) and `--api-processes` (default 1, as `make
    run`: with every service on this machine's cores a second one only added memory, see
    docs/benchmarks.md)."""
    parser.add_argument("--temporal", choices=["file", "memory"], default="file")
    parser.add_argument("--api-processes", type=int, default=1, help="ENTRYGO_API_PROCESSES")


def stack_env(args: argparse.Namespace) -> dict[str, str]:
    """The settings those options give (and the rate limit raised out of a benchmark's way)."""
    return {
        "ENTRYGO_RATE_LIMIT_PER_MINUTE": "1000000",
        "ENTRYGO_API_PROCESSES": str(args.api_processes),
    }


@contextmanager
def running_stack(temporal: str, extra_env: dict[str, str] | None = None) -> Iterator[BenchStack]:
    """Start the dev stack on free ports in a temporary dir; stop it and remove the dir after."""
    data_dir = Path(tempfile.mkdtemp(prefix="entrygo-bench-"))
    ports = {name: free_port() for name in ("api", "temporal", "temporal_ui", "smtp", "broker")}
    base_url = f"http://127.0.0.1:{ports['api']}"
    os.environ.update(
        ENTRYGO_DATA_DIR=str(data_dir),
        ENTRYGO_PORT=str(ports["api"]),
        ENTRYGO_TEMPORAL_PORT=str(ports["temporal"]),
        ENTRYGO_TEMPORAL_UI_PORT=str(ports["temporal_ui"]),
        ENTRYGO_SMTP_PORT=str(ports["smtp"]),
        ENTRYGO_SANDBOX_BROKER_PORT=str(ports["broker"]),
        ENTRYGO_PUBLIC_BASE_URL=base_url,
        ENTRYGO_LOG_LEVEL="WARNING",
        ENTRYGO_WORKER_METRICS_PORT="0",  # several workers on one machine
        ENTRYGO_OUTBOX_METRICS_PORT="0",
        **(extra_env or {}),
    )
    settings = load_settings()
    database = (
        "PostgreSQL at DATABASE_URL"
        if settings.database_url
        else "embedded PostgreSQL (pgserver) in the temp dir"
    )
    temporal_proc = None
    if settings.temporal_address is not None:
        persistence = f"external Temporal at {settings.temporal_address} (its own persistence)"
    elif temporal == "memory":
        temporal_proc = subprocess.Popen(
            [
                str(temporal_binary()), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(ports["temporal"]), "--log-level", "warn",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port("127.0.0.1", ports["temporal"], 60)
        settings.temporal_address = f"127.0.0.1:{ports['temporal']}"
        persistence = "Temporal dev server, in-memory (no --db-filename)"
    else:
        persistence = "Temporal dev server, SQLite file (--db-filename, as `make run`)"
    stack = DevStack(settings)
    try:
        demo = stack.start()
        yield BenchStack(
            stack=stack,
            demo=demo,
            base_url=base_url,
            broker_url=f"http://127.0.0.1:{ports['broker']}",
            persistence=persistence,
            database=database,
            temporal_proc=temporal_proc,
        )
    finally:
        stack.stop()
        if temporal_proc is not None:
            temporal_proc.terminate()
            temporal_proc.wait(timeout=20)
        if os.environ.get("ENTRYGO_BENCH_KEEP"):
            print(f"(data and logs kept in {data_dir})")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
