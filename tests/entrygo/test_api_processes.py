"""`entrygo api` with ENTRYGO_API_PROCESSES=2: two real processes answer on one port, /metrics
sums what both counted whichever of them answers the scrape, the processes stop with their
supervisor, whether it is asked to (SIGTERM, an event stream open) or killed, each flushes its
traces as it stops, and a process that cannot start stops the API with an error."""

import asyncio
import json
import os
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench.stack import api_processes
from bench.topology_outside import Collector
from tests.support.database import with_database
from tests.support.polling import eventually
from tests.support.stack import free_port, serve, start_api, stop_processes
from tests.support.tenants import Tenant

STARTUP_FAILURE = 3  # uvicorn's exit status for a server that could not start

PROCESSES = 2
BATCH = 24  # requests at once, each on its own connection


class Api:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def serving_pids(self, route: str) -> set[int]:
        """The processes that wrote an access line for `route`."""
        pids = set()
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "entrygo.access" and entry.get("route") == route:
                    pids.add(int(entry["pid"]))
        return pids

    def children(self) -> set[int]:
        """The supervisor's serving processes (not multiprocessing's resource tracker)."""
        return set(api_processes(self.process.pid))

    async def get(self, path: str) -> httpx.Response:
        """One request on a connection of its own (so the kernel may hand it to either)."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            return await client.get(path)


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    log = tmp_path / "api.log"
    grace = {"api_shutdown_grace_seconds": "1"}
    process, port = start_api(database_url, log, api_processes=str(PROCESSES), **grace)
    try:
        yield Api(process, port, log)
    finally:
        stop_processes([process])


async def up(api: Api) -> None:
    """Until both processes answer (the supervisor listens before either has its app)."""

    async def live() -> bool:
        try:
            return (await api.get("/api/system/live")).status_code == 200
        except httpx.TransportError:
            return False

    await eventually(live, attempts=600)
    await eventually(lambda: _true(len(api.children()) == PROCESSES))


def counted(page: str, route: str) -> float:
    """The sum of `entrygo_http_requests_total` for GET `route` answered 200."""
    pattern = re.compile(
        r'^entrygo_http_requests_total\{(?=[^}]*method="GET")(?=[^}]*route="'
        + re.escape(route)
        + r'")(?=[^}]*status="200")[^}]*\} (\S+)$',
        re.M,
    )
    return sum(float(m.group(1)) for m in pattern.finditer(page))


async def test_two_processes_answer_on_one_port_and_metrics_sum_both(api: Api) -> None:
    await up(api)
    sent = 1  # the one `up` sent

    async def both_served() -> bool:
        nonlocal sent
        answers = await asyncio.gather(*(api.get("/api/system/live") for _ in range(BATCH)))
        assert [a.status_code for a in answers] == [200] * BATCH
        sent += BATCH
        return len(api.serving_pids("/api/system/live")) == PROCESSES

    await eventually(both_served, attempts=40)
    served = api.serving_pids("/api/system/live")
    assert served <= api.children()  # the supervisor's own processes, not strays
    for _ in range(6):  # whichever process takes the scrape, it counts every process's requests
        page = (await api.get("/metrics")).text
        assert counted(page, "/api/system/live") == sent


def metrics_dir(pid: int) -> Path:
    """Where a process of the API writes its metrics (the supervisor set it before their start)."""
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    value = next(e for e in environ if e.startswith(b"PROMETHEUS_MULTIPROC_DIR="))
    return Path(value.split(b"=", 1)[1].decode())


async def test_sigterm_stops_every_process_and_removes_their_metrics(
    api: Api, tenant: Tenant
) -> None:
    await up(api)
    children = api.children()
    directory = metrics_dir(min(children))
    assert any(directory.iterdir())  # the processes' values
    async with (
        httpx.AsyncClient(base_url=api.url, timeout=120) as client,
        client.stream("GET", "/api/events/stream", headers=tenant.auth("integration")) as stream,
    ):
        assert stream.status_code == 200  # open, and it never ends by itself
        api.process.send_signal(signal.SIGTERM)
        # still open here: the processes close it after their grace, and are joined
        assert await asyncio.to_thread(api.process.wait, 60) == 0
    assert not directory.exists()
    assert not any(_alive(pid) for pid in children)


async def test_a_killed_supervisor_takes_its_processes_with_it(api: Api) -> None:
    await up(api)
    children = api.children()
    api.process.kill()
    api.process.wait()
    await eventually(lambda: _true(not any(_alive(pid) for pid in children)), attempts=400)
    with pytest.raises(httpx.ConnectError):  # nothing is left holding the port
        await api.get("/api/system/live")


async def test_a_process_that_cannot_start_stops_the_api_with_an_error(
    database_url: str, tmp_path: Path
) -> None:
    # a database that is not there on the session's server: each process's start fails, and the
    # supervisor gives up
    nowhere = with_database(database_url, "entrygo_no_such_database")
    process, _ = start_api(nowhere, tmp_path / "api.log", api_processes=str(PROCESSES))
    try:
        assert await asyncio.to_thread(process.wait, 120) == STARTUP_FAILURE
    finally:
        stop_processes([process])


async def test_each_process_sends_its_last_spans_as_it_stops(
    database_url: str, tmp_path: Path
) -> None:
    collector = Collector()
    server, task = await serve(collector.app(), free_port())
    otlp = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{server.config.port}",
        "OTEL_BSP_SCHEDULE_DELAY": "600000",  # no batch goes out on its own within the test
    }
    log = tmp_path / "api.log"
    process, port = start_api(database_url, log, otlp, api_processes=str(PROCESSES))
    api = Api(process, port, log)
    try:
        await up(api)
        children = api.children()
        await api.get("/api/system/live")
        assert collector.snapshot() == []  # each process's spans so far wait in its batch
        process.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(process.wait, 60) == 0
        # the spans of each process's start (its database calls), sent as it stopped
        assert {s.pid for s in collector.snapshot()} == children
    finally:
        stop_processes([process])
        server.should_exit = True
        await task


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (exited, not yet reaped now that its supervisor is gone) counts as gone
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


async def _true(value: bool) -> bool:
    return value
