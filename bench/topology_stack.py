"""The topology's stack (bench/topology.py): a fresh database, a Temporal dev server, the sandbox
broker, two `entrygo api` and two `entrygo worker` processes configured as deploy configures them,
the outside parties (bench/topology_outside.py), an account set up over the public API; and its
orderly teardown."""

import asyncio
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

from bench.common import ROOT, with_database
from bench.topology_client import Client
from bench.topology_outside import Outside
from bench.topology_procs import Proc, TopologyError, entrygo_script, fixed_ports, tail
from config.settings import temporal_binary
from entrygo.seed import DEMO_BOND, READY_PRODUCTS, demo_products

BROKER_SECRET = "topology-broker-secret-0001"  # noqa: S105  (loopback sandbox only)
WAREHOUSE_SECRET = "topology-warehouse-secret-0001"  # noqa: S105
KEY = re.compile(r"eg_(?:live|test)_[0-9A-Za-z]{32}")
READY_ROUNDS = 400  # readiness polls (0.25 s each) of a starting process


class TopologyStack:
    """The processes and the outside parties of one run."""

    def __init__(self, server_url: str) -> None:
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
        self.account_id = ""
        self.warehouse_id = ""
        self.broker_id = ""
        self.product_ids: list[str] = []
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
        """Schema, the restricted-party list and an admin key."""
        key = await self._schema_and_key()
        await self._screening_list()
        return key

    async def _screening_list(self) -> None:
        """`entrygo screening import` of the seed list, as an operator imports the published
        one (plans ask for review until a list is loaded)."""
        code, _, _ = await self.cli("screening", "--help")
        if code != 0:
            return  # a build from before restricted-party screening
        seed = str(ROOT / "entrygo" / "data" / "csl-seed.csv")
        code, out, err = await self.cli("screening", "import", seed, "--date", "2026-12-07")
        if code != 0:
            raise TopologyError(f"entrygo screening import exited {code}: {(err or out)[-500:]}")
        self.notes.append("restricted-party list: `entrygo screening import` of the seed list")

    async def _schema_and_key(self) -> str:
        """`entrygo bootstrap` when it exists, else `entrygo migrate`, `entrygo accounts create`
        and `entrygo keys create`."""
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
