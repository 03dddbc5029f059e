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
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.common import ROOT, with_database
from bench.topology_checks import (
    FINAL_OK,
    Check,
    analyse_traces,
    broker_check,
    metrics_check,
    read_stores,
    store_checks,
    table,
    trace_checks,
    warehouse_check,
)
from bench.topology_outside import Outside
from config.settings import temporal_binary
from entrygo.seed import DEMO_BOND, READY_PRODUCTS, demo_products

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BROKER_SECRET = "topology-broker-secret-0001"  # noqa: S105  (loopback sandbox only)
WAREHOUSE_SECRET = "topology-warehouse-secret-0001"  # noqa: S105
KEY = re.compile(r"eg_(?:live|test)_[0-9A-Za-z]{32}")
DEAD = frozenset({"BLOCKED", "REJECTED", "CANCELLED", "EXPIRED", "BROKER_REJECTED"})
RETRY_STATUS = frozenset({429, 502, 503, 504})
CALL_ATTEMPTS = 400  # a call is retried at most this often (bounded by attempts, not a clock)
POLL_ROUNDS = 600  # polls (about a second each) of one export until it is final
READY_ROUNDS = 400  # readiness polls (0.25 s each) of a starting process


class TopologyError(RuntimeError):
    """The run could not bring the topology up or drive it."""


def entrygo_script() -> str:
    """The `entrygo` console script of this environment (.venv/bin/entrygo)."""
    beside = Path(sys.executable).with_name("entrygo")
    if beside.exists():
        return str(beside)
    found = shutil.which("entrygo")
    if found is None:
        raise TopologyError("the entrygo console script is missing: make install")
    return found


def fixed_ports(names: list[str]) -> dict[str, int]:
    """Free loopback ports below the kernel's ephemeral range, so that no port a process binds
    to 0 for itself (the Temporal SDK's metrics, the dev server's services) can take one of
    them between this choice and a restart."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    start = 20000 if low > 21000 else 1024
    chosen: dict[str, int] = {}
    rng = random.Random()
    while len(chosen) < len(names):
        port = rng.randrange(start, min(low, 65536))
        if port in chosen.values():
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        chosen[names[len(chosen)]] = port
    return chosen


def tail(path: Path, lines: int = 15) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# ---- processes ---------------------------------------------------------------------------------


@dataclass
class Proc:
    """One child process in its own process group; restartable with the same command and env."""

    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None  # the port it serves (API) or its metrics port (worker)
    popen: subprocess.Popen[bytes] | None = None
    pids: list[int] = field(default_factory=list)

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.args,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own group: killpg reaches anything it spawned
            )
        self.pids.append(self.popen.pid)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.popen is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the group and reap it."""
        self.signal_group(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait()

    def stop(self, grace: float = 40.0) -> None:
        """SIGTERM the group, SIGKILL it after `grace` seconds."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=grace)
        self.kill()  # also whatever the group left behind


# ---- the client --------------------------------------------------------------------------------


def error_code(r: httpx.Response) -> str | None:
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("errorCode") if isinstance(body, dict) else None


class Client:
    """The public API as a patient client spread over the APIs: a call that meets a dropped
    connection goes again, with the same Idempotency-Key, to the next API."""

    def __init__(self, api_urls: list[str]) -> None:
        self.urls = api_urls
        self.http = httpx.AsyncClient(
            timeout=60, trust_env=False, limits=httpx.Limits(max_connections=200)
        )
        self.token = ""
        self.retries: Counter[str] = Counter()
        self.in_flight = [0] * len(api_urls)
        self.calls = [0] * len(api_urls)  # every attempt, by the API it went to
        self.homes = [0] * len(api_urls)  # every call, by the API it went to first

    async def call(
        self,
        home: int,
        method: str,
        path: str,
        *,
        json: Any = None,
        key: str | None = None,
        token: str | None = None,
        accept: frozenset[int] = frozenset({200, 201, 202}),
    ) -> httpx.Response:
        headers = {"authorization": f"Bearer {token or self.token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        api = home % len(self.urls)
        self.homes[api] += 1
        for _ in range(CALL_ATTEMPTS):
            used = api
            self.in_flight[used] += 1
            self.calls[used] += 1
            try:
                r = await self.http.request(
                    method, self.urls[used] + path, json=json, headers=headers
                )
            except httpx.TransportError as exc:
                self.retries[f"{type(exc).__name__} → other API"] += 1
                api = (used + 1) % len(self.urls)
                await asyncio.sleep(0.2)
                continue
            finally:
                self.in_flight[used] -= 1
            if r.status_code in accept:
                return r
            code = error_code(r)
            if r.status_code in RETRY_STATUS or code == "IDEMPOTENCY_IN_PROGRESS":
                self.retries[f"{r.status_code} {code or ''}".strip()] += 1
                await asyncio.sleep(min(2.0, float(r.headers.get("retry-after", "1") or 1)))
                continue
            raise TopologyError(f"{method} {path} → {r.status_code} {r.text[:300]}")
        raise TopologyError(f"{method} {path}: no answer after {CALL_ATTEMPTS} attempts")

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Export:
    """One client's export."""

    n: int
    key: str
    export_id: str | None = None
    status: str | None = None
    error: str | None = None
    done: bool = False


# ---- the run -----------------------------------------------------------------------------------


@dataclass
class Report:
    """What a run found."""

    exports: int
    checks: list[Check]
    seconds: float
    notes: list[str]
    log_dir: Path | None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def text(self) -> str:
        verdict = "all checks pass" if self.ok else "CHECKS FAILED"
        lines = [
            f"EntryGo topology: 2 APIs, 2 workers, Temporal dev server, PostgreSQL; "
            f"{self.exports} exports, {self.seconds:.0f} s, {verdict}",
            "",
            table(self.checks),
        ]
        if self.notes:
            lines += ["", *[f"- {n}" for n in self.notes]]
        if self.log_dir is not None:
            lines += ["", f"logs kept in {self.log_dir}"]
        return "\n".join(lines)


class Topology:
    """The processes, the outside parties and the driver of one run."""

    def __init__(self, exports: int, kills: int, concurrency: int, server_url: str) -> None:
        self.n = exports
        self.kills = kills
        self.concurrency = max(1, min(concurrency, exports))
        self.server_url = server_url
        self.tag = uuid.uuid4().hex[:8]
        self.dir = Path(tempfile.mkdtemp(prefix="entrygo-topology-"))
        (self.dir / "logs").mkdir()
        self.db_name = f"entrygo_topology_{self.tag}"
        self.database_url = with_database(server_url, self.db_name)
        self.db_created = False
        self.ports = fixed_ports(
            [
                "api-1", "api-2", "worker-1", "worker-2", "temporal", "broker",
                "collector", "warehouse", "balancer", "smtp",
            ]
        )  # fmt: skip
        self.outside = Outside(
            collector_port=self.ports["collector"],
            warehouse_port=self.ports["warehouse"],
            balancer_port=self.ports["balancer"],
            api_ports=[self.ports["api-1"], self.ports["api-2"]],
            warehouse_secret=WAREHOUSE_SECRET,
        )
        self.outside_started = False
        self.procs: dict[str, Proc] = {}
        self.apis: list[Proc] = []
        self.workers: list[Proc] = []
        self.client = Client(
            [f"http://127.0.0.1:{self.ports['api-1']}", f"http://127.0.0.1:{self.ports['api-2']}"]
        )
        self.notes: list[str] = []
        self.kill_log: list[str] = []
        self.killing: set[str] = set()  # processes this run is killing right now
        self.unexpected: list[str] = []  # processes that exited without being killed
        self.kills_mid_run: list[bool] = []
        self.exports: list[Export] = []
        self.account_id = ""
        self.started = time.monotonic()

    def progress(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", flush=True)

    # ---- environment ---------------------------------------------------------------------------

    def env(self, service: str, **extra: str) -> dict[str, str]:
        """What deploy sets, and nothing inherited that would configure the service otherwise."""
        inherited = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ENTRYGO_", "OTEL_"))
            and k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
        }
        return {
            **inherited,
            "DATABASE_URL": self.database_url,
            "TEMPORAL_ADDRESS": f"127.0.0.1:{self.ports['temporal']}",
            "ENTRYGO_TASK_QUEUE": f"topology-{self.tag}",
            "ENTRYGO_HOST": "127.0.0.1",
            "ENTRYGO_PUBLIC_BASE_URL": f"http://127.0.0.1:{self.ports['balancer']}",
            "ENTRYGO_ALLOW_PRIVATE_URLS": "true",  # the broker and warehouse are on loopback
            "ENTRYGO_SMTP_HOST": "127.0.0.1",
            "ENTRYGO_SMTP_PORT": str(self.ports["smtp"]),
            "ENTRYGO_DATA_DIR": str(self.dir / "data"),
            "ENTRYGO_LOG_LEVEL": "INFO",
            # a killed API's idempotency lease lapses after 2 × call timeout + execute wait + 30 s
            "ENTRYGO_TEMPORAL_CALL_TIMEOUT_SECONDS": "5",
            "ENTRYGO_EXECUTE_WAIT_SECONDS": "3",
            # this checkout's packages even where the editable install predates a new one (the
            # image installs them all; `make install` refreshes the venv's map)
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), inherited.get("PYTHONPATH")) if p),
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{self.ports['collector']}",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # spans leave within 0.2 s (a SIGKILL loses less)
            "ENTRYGO_OTEL_SERVICE_NAME": service,
            **extra,
        }

    def add(self, name: str, args: list[str], env: dict[str, str], port: int | None) -> Proc:
        proc = Proc(name, args, env, self.dir / "logs" / f"{name}.log", port)
        self.procs[name] = proc
        return proc

    # ---- bring-up ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Database, Temporal, schema and admin key, outside parties, broker, APIs, workers."""
        admin = await asyncpg.connect(self.server_url)
        try:
            await admin.execute(f'CREATE DATABASE "{self.db_name}"')
            self.db_created = True
        finally:
            await admin.close()
        temporal = self.add(
            "temporal",
            [
                str(temporal_binary()), "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(self.ports["temporal"]),
                "--log-level", "warn",
            ],
            dict(os.environ),
            self.ports["temporal"],
        )  # fmt: skip
        temporal.start()
        await self.until_port(temporal)  # `entrygo bootstrap` creates the namespace
        admin_key = await self.provision()
        self.outside.start()
        self.outside_started = True
        broker = self.add(
            "sandbox-broker",
            [
                sys.executable, "-m", "sandbox.broker", "--host", "127.0.0.1",
                "--port", str(self.ports["broker"]), "--secret", BROKER_SECRET,
            ],
            {**os.environ, "PYTHONPATH": str(ROOT)},
            self.ports["broker"],
        )  # fmt: skip
        broker.start()
        script = entrygo_script()
        for i in (1, 2):
            api_env = self.env("entrygo-api", ENTRYGO_PORT=str(self.ports[f"api-{i}"]))
            api_env["ENTRYGO_LOG_FILE"] = str(self.dir / "logs" / f"api-{i}.jsonl")
            self.apis.append(self.add(f"api-{i}", [script, "api"], api_env, self.ports[f"api-{i}"]))
            worker_env = self.env(
                "entrygo-worker", ENTRYGO_WORKER_METRICS_PORT=str(self.ports[f"worker-{i}"])
            )
            worker_env["ENTRYGO_LOG_FILE"] = str(self.dir / "logs" / f"worker-{i}.jsonl")
            self.workers.append(
                self.add(f"worker-{i}", [script, "worker"], worker_env, self.ports[f"worker-{i}"])
            )
        for proc in (*self.apis, *self.workers):
            proc.start()
        await self.until_http(broker, f"http://127.0.0.1:{self.ports['broker']}/_sandbox/health")
        for api in self.apis:
            await self.until_ready(api)
        for worker in self.workers:
            await self.until_worker(worker)
        await self.setup_account(admin_key)
        self.progress(
            f"up: 2 APIs {[a.port for a in self.apis]}, 2 workers (metrics "
            f"{[w.port for w in self.workers]}), Temporal :{self.ports['temporal']}, "
            f"database {self.db_name}, logs in {self.dir / 'logs'}"
        )

    async def cli(self, *args: str) -> tuple[int, str, str]:
        """Run `entrygo <args>` with the services' environment."""
        proc = await asyncio.create_subprocess_exec(
            entrygo_script(),
            *args,
            env=self.env("entrygo-cli"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL,
        )
        out, err = await proc.communicate()
        return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")

    async def provision(self) -> str:
        """Schema and an admin key: `entrygo bootstrap` when it exists, else `entrygo migrate`,
        `entrygo accounts create` and `entrygo keys create`."""
        code, _, _ = await self.cli("bootstrap", "--help")
        if code == 0:
            code, out, err = await self.cli("bootstrap", "--account-name", "Topology Merchant")
            found = KEY.findall(out) or KEY.findall(err)
            if code == 0 and found:
                self.notes.append("schema and admin key: `entrygo bootstrap`")
                return found[0]
            self.notes.append(
                f"`entrygo bootstrap` exited {code} without a key ({(err or out)[-200:]!r}); "
                "fell back to migrate + accounts create + keys create"
            )
        code, out, err = await self.cli("migrate")
        if code != 0:
            raise TopologyError(f"entrygo migrate exited {code}: {err[-500:]}")
        code, out, err = await self.cli("accounts", "create", "Topology Merchant")
        if code != 0:
            raise TopologyError(f"entrygo accounts create exited {code}: {err[-500:]}")
        account = json.loads(out)["id"]
        code, out, err = await self.cli(
            "keys", "create", "--account", account, "--roles", "admin", "--name", "topology admin"
        )
        if code != 0:
            raise TopologyError(f"entrygo keys create exited {code}: {err[-500:]}")
        if not self.notes:
            self.notes.append(
                "schema and admin key: `entrygo migrate`, `entrygo accounts create`, "
                "`entrygo keys create` (no `entrygo bootstrap` yet)"
            )
        return str(json.loads(out)["key"])

    async def setup_account(self, admin_key: str) -> None:
        """Over the public API with the admin key: a key for the clients, the warehouse (its
        notifications to the receiver), the webhook broker (the sandbox broker), products."""
        c = self.client
        r = await c.call(
            0,
            "POST",
            "/api/keys",
            json={"name": "topology clients", "roles": ["integration", "reviewer"]},
            key=f"topo-{self.tag}-key",
            token=admin_key,
        )
        c.token = r.json()["key"]
        self.account_id = r.json()["accountId"]
        warehouse = await c.call(
            1,
            "POST",
            "/api/warehouses",
            json={
                "name": "Topology EU Fulfilment",
                "address": {"line1": "Hamnvägen 1", "city": "Göteborg", "country": "SE"},
                "shipmentMode": "PARCEL_DTC",
                "notificationUrl": f"http://127.0.0.1:{self.ports['warehouse']}/notifications",
                "notificationSecret": WAREHOUSE_SECRET,
            },
            key=f"topo-{self.tag}-warehouse",
            token=admin_key,
        )
        broker = await c.call(
            0,
            "POST",
            "/api/brokers",
            json={
                "name": "Sandbox Broker (webhook)",
                "filerCode": "SBX",
                "transport": {
                    "type": "webhook",
                    "url": f"http://127.0.0.1:{self.ports['broker']}/submissions",
                    "secret": BROKER_SECRET,
                },
                "customsBond": DEMO_BOND,
            },
            key=f"topo-{self.tag}-broker",
            token=admin_key,
        )
        products = await c.call(
            1,
            "POST",
            "/api/products/sync",
            json={"accountId": self.account_id, "items": demo_products()[:READY_PRODUCTS]},
            key=f"topo-{self.tag}-products",
        )
        self.warehouse_id = warehouse.json()["id"]
        self.broker_id = broker.json()["id"]
        self.product_ids = [p["id"] for p in products.json()["data"]]

    async def until_port(self, proc: Proc) -> None:
        assert proc.port is not None
        for _ in range(READY_ROUNDS):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", proc.port)
                writer.close()
                return
            self.must_live(proc)
            await asyncio.sleep(0.25)
        raise TopologyError(f"{proc.name}: nothing listens on :{proc.port}")

    async def until_http(self, proc: Proc, url: str) -> int:
        """Poll `url` until it answers 200; how many polls it took."""
        async with httpx.AsyncClient(trust_env=False, timeout=5) as http:
            for i in range(READY_ROUNDS):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url)).status_code == 200:
                        return i
                self.must_live(proc)
                await asyncio.sleep(0.25)
        raise TopologyError(f"{proc.name}: {url} never answered 200\n{tail(proc.log)}")

    async def until_worker(self, worker: Proc, rounds: int = 120) -> bool:
        """Wait (bounded) until the worker serves its metrics port; False if it never did (the
        metrics check says so), an error if it exited."""
        assert worker.port is not None
        for _ in range(rounds):
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", worker.port)
                writer.close()
                return True
            self.must_live(worker)
            await asyncio.sleep(0.25)
        self.notes.append(f"{worker.name}: nothing listened on its metrics port :{worker.port}")
        return False

    async def until_ready(self, api: Proc) -> int:
        return await self.until_http(api, f"http://127.0.0.1:{api.port}/api/system/ready")

    @staticmethod
    def must_live(proc: Proc) -> None:
        if proc.popen is not None and proc.popen.poll() is not None:
            raise TopologyError(
                f"{proc.name} exited with {proc.popen.returncode}:\n{tail(proc.log)}"
            )

    # ---- the exports ---------------------------------------------------------------------------

    async def drive(self) -> None:
        """Every export from its client; the kills meanwhile."""
        self.exports = [Export(i, f"topo-{self.tag}-{i}") for i in range(self.n)]
        gate = asyncio.Semaphore(self.concurrency)
        clients = [asyncio.create_task(self.one(e, gate)) for e in self.exports]
        chaos = asyncio.create_task(self.chaos())
        watchdog = asyncio.create_task(self.watchdog())
        try:
            await asyncio.gather(*clients)
            await chaos
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
        failed = [e for e in self.exports if e.error]
        for e in failed[:5]:
            self.notes.append(f"export {e.n} ({e.export_id}): {e.error}")

    async def one(self, e: Export, gate: asyncio.Semaphore) -> None:
        """sync → plan → execute (READY plans), then poll until final; errors are recorded."""
        c, home = self.client, e.n  # clients alternate between the two APIs
        try:
            async with gate:
                order = {
                    "externalId": f"T-{self.tag}-{e.n}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": f"Buyer {e.n}", "address": f"{e.n} Main St, New York"},
                    "items": [
                        {
                            "productId": self.product_ids[e.n % len(self.product_ids)],
                            "quantity": 1 + e.n % 3,
                        }
                    ],
                }
                r = await c.call(
                    home,
                    "POST",
                    "/api/orders/sync",
                    json={"accountId": self.account_id, "items": [order]},
                    key=f"{e.key}-sync",
                )
                plan_body = {
                    "accountId": self.account_id,
                    "warehouseId": self.warehouse_id,
                    "brokerId": self.broker_id,
                    "orderIds": [r.json()["data"][0]["id"]],
                }
                plan = (
                    await c.call(
                        home, "POST", "/api/exports/plan", json=plan_body, key=f"{e.key}-plan"
                    )
                ).json()
                e.export_id = plan["exportId"]
                if plan["readinessState"] != "READY":
                    raise TopologyError(f"planned {plan['readinessState']}, not READY")
                body = {"accountId": self.account_id, "batchId": e.export_id}
                r = await c.call(
                    home, "POST", "/api/exports/execute", json=body, key=f"{e.key}-exec"
                )
                e.status = r.json().get("status")
            for poll in range(POLL_ROUNDS):
                if e.status == FINAL_OK:
                    break
                if e.status in DEAD or e.status == "ATTENTION_REQUIRED":
                    raise TopologyError(f"export is {e.status}")
                await asyncio.sleep(1)
                view = await c.call(home + poll, "GET", f"/api/exports/{e.export_id}")
                e.status = view.json()["status"]
        except (TopologyError, httpx.HTTPError, KeyError, ValueError) as exc:
            e.error = f"{type(exc).__name__}: {exc}"[:300]
        finally:
            e.done = True

    def settled(self) -> int:
        return sum(e.done for e in self.exports)

    async def watchdog(self) -> None:
        """A process that exits without being killed is a finding; it is restarted (as an
        orchestrator would) so the run can go on."""
        while True:
            for proc in self.procs.values():
                if proc.name in self.killing or proc.popen is None:
                    continue
                code = proc.popen.poll()
                if code is not None:
                    self.unexpected.append(f"{proc.name} pid {proc.popen.pid} exit {code}")
                    self.progress(f"{proc.name} exited by itself ({code}); restarting it")
                    proc.start()
            await asyncio.sleep(0.5)

    async def chaos(self) -> None:
        """Kill round r when (r+1)/(kills+1) of the exports have an export id: SIGKILL an API
        while it has requests in flight, restart it; then SIGKILL a worker while an export is
        EXECUTING, restart it."""
        for r in range(self.kills):
            due = max(1, self.n * (r + 1) // (self.kills + 1))
            while sum(e.export_id is not None for e in self.exports) < due:
                if self.settled() == self.n:
                    break
                await asyncio.sleep(0.05)
            api = self.apis[r % len(self.apis)]
            index = self.apis.index(api)
            for _ in range(100):  # up to ~5 s for a request in flight on it
                if self.client.in_flight[index] > 0:
                    break
                await asyncio.sleep(0.05)
            await self.kill_and_restart(api, f"{self.client.in_flight[index]} requests in flight")
            ready = asyncio.create_task(self.until_ready(api))
            worker = self.workers[r % len(self.workers)]
            executing = await self.until_executing()
            await self.kill_and_restart(worker, f"{executing} exports EXECUTING")
            await ready
            await self.until_worker(worker)

    async def kill_and_restart(self, proc: Proc, detail: str) -> None:
        open_exports = sum(not e.done for e in self.exports)
        self.kills_mid_run.append(open_exports > 0)
        pid = proc.popen.pid if proc.popen else None
        self.killing.add(proc.name)
        try:
            await asyncio.to_thread(proc.kill)
            self.kill_log.append(f"{proc.name} pid {pid} ({detail}, {open_exports} exports open)")
            self.progress(f"SIGKILL {proc.name} pid {pid}: {detail}, {open_exports} exports open")
            await asyncio.sleep(0.5)
            proc.start()
        finally:
            self.killing.discard(proc.name)
        self.progress(f"restarted {proc.name} as pid {proc.popen.pid if proc.popen else '?'}")

    async def until_executing(self, rounds: int = 600) -> int:
        """Poll (bounded, ~30 s, until every client is done) until an export is EXECUTING; how
        many are."""
        conn = await asyncpg.connect(self.database_url)
        try:
            for _ in range(rounds):
                count = await conn.fetchval(
                    "SELECT count(*) FROM exports WHERE account_id = $1 AND status = 'EXECUTING'",
                    self.account_id,
                )
                if count:
                    return int(count)
                if self.settled() == self.n:
                    return 0
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        return 0

    # ---- checks --------------------------------------------------------------------------------

    async def check(self) -> list[Check]:
        """Every check; the app processes are stopped (gracefully) before the traces are read."""
        checks: list[Check] = []
        launched = {str(e.n): e.export_id for e in self.exports}
        stores = await read_stores(self.database_url, self.account_id)
        checks += store_checks(stores, launched)
        async with httpx.AsyncClient(trust_env=False, timeout=10) as http:
            stats = (
                await http.get(f"http://127.0.0.1:{self.ports['broker']}/_sandbox/stats")
            ).json()
        checks.append(broker_check(stores, stats))
        checks.append(warehouse_check(stores, self.outside.warehouse))
        retries = ", ".join(f"{k} ×{v}" for k, v in sorted(self.client.retries.items()))
        mid_run = sum(self.kills_mid_run)
        checks.append(
            Check(
                "SIGKILLs landed mid-run; clients retried to completion",
                len(self.kills_mid_run) == 2 * self.kills and mid_run == len(self.kills_mid_run),
                f"{mid_run}/{2 * self.kills} kills with exports open: "
                + "; ".join(self.kill_log)
                + f"; client retries: {retries or 'none'}; "
                f"calls per API (first try) {self.client.homes}, attempts per API "
                f"{self.client.calls}; balancer (broker callbacks) "
                f"{self.outside.balancer.connections} connections, "
                f"{self.outside.balancer.failovers} failovers",
            )
        )
        checks.append(
            Check(
                "no process exited unless killed",
                not self.unexpected,
                "; ".join(self.unexpected)
                or f"{len(self.procs)} processes, "
                f"{sum(len(p.pids) for p in self.procs.values())} pids over the run",
            )
        )
        checks.append(
            await metrics_check(
                [(a.name, a.port or 0) for a in self.apis],
                [(w.name, w.port or 0) for w in self.workers],
            )
        )
        await self.stop_services()
        kinds = {pid: "api" for a in self.apis for pid in a.pids}
        kinds.update({pid: "worker" for w in self.workers for pid in w.pids})
        findings = analyse_traces(
            self.outside.collector.snapshot(),
            kinds,
            list(stores.rows),
            self.outside.warehouse,
        )
        checks += trace_checks(findings, self.outside.collector.refused)
        return checks

    async def stop_services(self) -> None:
        """SIGTERM the APIs and workers (they flush their spans), then wait for stragglers."""
        before = -1
        for _ in range(20):  # until the collector has been quiet for a moment (bounded)
            count = len(self.outside.collector.snapshot())
            if count == before:
                break
            before = count
            await asyncio.sleep(0.5)
        await asyncio.gather(*(asyncio.to_thread(p.stop) for p in (*self.apis, *self.workers)))
        await asyncio.sleep(0.5)

    # ---- teardown ------------------------------------------------------------------------------

    async def cleanup(self, keep: bool) -> None:
        """Every process gone, the database dropped, the outside thread stopped."""
        for proc in (*self.apis, *self.workers):
            await asyncio.to_thread(proc.stop, 10.0)
        for name in ("sandbox-broker", "temporal"):
            if name in self.procs:
                await asyncio.to_thread(self.procs[name].stop, 10.0)
        await self.client.aclose()
        if self.outside_started:
            await asyncio.to_thread(self.outside.stop)
        if self.db_created:
            try:
                admin = await asyncpg.connect(self.server_url)
                try:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
                finally:
                    await admin.close()
            except (OSError, asyncpg.PostgresError) as exc:
                self.notes.append(f"could not drop database {self.db_name}: {exc}")
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)


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
    topo = Topology(exports, kills, concurrency, server_url)
    checks: list[Check] = []
    try:
        await topo.start()
        await topo.drive()
        checks = await topo.check()
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
