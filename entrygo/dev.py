"""`entrygo dev`: the whole stack on one machine, children stopped together on Ctrl-C/SIGTERM."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from config.settings import Settings, temporal_binary, temporal_ui_base
from entrygo.demo_exports import seed_waiting_exports
from entrygo.embedded_pg import embedded_url, start_embedded
from entrygo.seed import DEMO_BROKER_SECRET, READY_PRODUCTS, seed_demo, seed_screening_list
from store.migrate import migrate
from store.pool import create_pool

DEMO_MAIL_TO = "entries@sandbox-broker.local"


def wait_for_port(host: str, port: int, seconds: float) -> None:
    """Block until something accepts on host:port."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {seconds:.0f}s")


def wait_for_http(url: str, seconds: float) -> None:
    """Block until `url` answers 200."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} is not healthy after {seconds:.0f}s")


class DevStack:
    """Starts the children in order and stops them in reverse."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.data_dir = settings.data_dir.resolve()
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.commands: dict[str, list[str]] = {}
        self.structured: set[str] = set()
        self.pg: Any = None
        self.env = dict(os.environ)

    def spawn(self, name: str, args: list[str], *, structured: bool = False) -> None:
        """Start a child with the stack's environment; its output goes to `logs/<name>.log`.
        A structured child (the API, the worker) writes JSON lines to `logs/<name>.log` itself
        and its terminal text, rendered for reading, to `logs/<name>.out`."""
        self.commands[name] = args
        if structured:
            self.structured.add(name)
        env = self.env
        output = self.data_dir / "logs" / f"{name}.log"
        if name in self.structured:
            env = {**self.env, "ENTRYGO_LOG_FILE": str(output), "ENTRYGO_LOG_FORMAT": "text"}
            output = output.with_suffix(".out")
        log = output.open("ab")
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        log.close()  # the child holds its own descriptor
        for index, (child, _) in enumerate(self.children):
            if child == name:
                self.children[index] = (name, proc)
                return
        self.children.append((name, proc))

    def child(self, name: str) -> subprocess.Popen[bytes]:
        """The current process of the child called `name`."""
        for child, proc in self.children:
            if child == name:
                return proc
        raise KeyError(name)

    def kill(self, name: str, sig: int = signal.SIGKILL, wait: float = 20.0) -> int | None:
        """Send `sig` to a child and wait for it to exit (SIGKILL after `wait` s); its exit code."""
        proc = self.child(name)
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        return proc.returncode

    def restart(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop a child with `sig` and start it again with the same command line."""
        self.kill(name, sig)
        self.spawn(name, self.commands[name])

    def stop_postgres(self) -> None:
        """Stop the embedded PostgreSQL (fast shutdown: open connections are cut)."""
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]  # noqa: PLC0415

        if self.pg is None:
            raise RuntimeError("PostgreSQL is not embedded (DATABASE_URL is set)")
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pg.pgdata, user=self.pg.system_user)

    def start_postgres(self) -> None:
        """Start the embedded PostgreSQL again, on the same socket, so its URL stays valid."""
        if self.pg is None:
            raise RuntimeError("PostgreSQL is not embedded (DATABASE_URL is set)")
        self.pg.ensure_postgres_running()

    def start(self) -> dict[str, Any]:
        """Bring everything up; returns the demo data."""
        s = self.settings
        (self.data_dir / "logs").mkdir(parents=True, exist_ok=True)
        if s.database_url is None:
            self.pg = start_embedded(self.data_dir)
            s.database_url = embedded_url(self.pg)
        if s.temporal_address is None:
            s.temporal_address = f"127.0.0.1:{s.temporal_port}"
            self.spawn(
                "temporal",
                [
                    str(temporal_binary()), "server", "start-dev",
                    "--db-filename", str(self.data_dir / "temporal.db"),
                    "--ip", "127.0.0.1", "--port", str(s.temporal_port),
                    "--ui-port", str(s.temporal_ui_port), "--log-level", "warn",
                ],
            )  # fmt: skip
            wait_for_port("127.0.0.1", s.temporal_port, 60)
        self.env.update(
            DATABASE_URL=s.database_url,
            TEMPORAL_ADDRESS=s.temporal_address,
            ENTRYGO_HOST=s.host,
            ENTRYGO_PORT=str(s.port),
            ENTRYGO_SMTP_PORT=str(s.smtp_port),
            ENTRYGO_PUBLIC_BASE_URL=s.public_base_url,
            # on this machine webhook receivers run on loopback
            ENTRYGO_ALLOW_PRIVATE_URLS=os.environ.get("ENTRYGO_ALLOW_PRIVATE_URLS", "true"),
            # the outbox runs in a process of its own, as the deploy files run it
            ENTRYGO_WORKER_OUTBOX="false",
        )
        demo = asyncio.run(self._migrate_and_seed())
        py = sys.executable
        mail = self.data_dir / "mail"
        self.spawn(
            "smtp-sink",
            [py, "-m", "sandbox.smtp_sink", "--port", str(s.smtp_port), "--maildir", str(mail)],
        )
        self.spawn(
            "sandbox-broker",
            [
                py, "-m", "sandbox.broker", "--port", str(s.sandbox_broker_port),
                "--secret", DEMO_BROKER_SECRET,
                # the demo's webhook broker files entries and reports release (protocol 2)
                "--scenario", "accept",
            ],
        )  # fmt: skip
        self.spawn("worker", [py, "-m", "entrygo", "worker"], structured=True)
        self.spawn("outbox", [py, "-m", "entrygo", "outbox"], structured=True)
        self.spawn("api", [py, "-m", "entrygo", "api"], structured=True)
        wait_for_http(f"http://127.0.0.1:{s.port}/api/system/health", 60)
        return demo

    async def _migrate_and_seed(self) -> dict[str, Any]:
        s = self.settings
        assert s.database_url is not None
        pool = await create_pool(s.database_url, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
                broker_url = f"http://127.0.0.1:{s.sandbox_broker_port}/submissions"
                await seed_screening_list(conn)
                return await seed_demo(conn, self.data_dir, broker_url, DEMO_MAIL_TO)
        finally:
            await pool.close()

    def first_exit(self) -> tuple[str, int] | None:
        """The first child that has exited, with its code."""
        for name, proc in self.children:
            code = proc.poll()
            if code is not None:
                return name, code
        return None

    def stop(self) -> None:
        """SIGTERM every child in reverse order, SIGKILL what is still up after 20 s."""
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 20
        for _, proc in reversed(self.children):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.pg is not None:
            self.pg.cleanup()


def banner(settings: Settings, demo: dict[str, Any]) -> str:
    """What the developer needs to start clicking."""
    base = settings.public_base_url
    keys = demo["keys"]
    return "\n".join(
        [
            "",
            "EntryGo dev stack is up.",
            f"  API             {base}/api",
            f"  Review console  {base}/console   (sign in with the reviewer key below)",
            f"  API docs        {base}/docs/api",
            f"  OpenAPI         {base}/docs/api/openapi",
            f"  Temporal UI     {temporal_ui_base(settings)}",
            f"  Sandbox broker  http://127.0.0.1:{settings.sandbox_broker_port}/_sandbox/stats",
            f"  Broker e-mails  {settings.data_dir.resolve() / 'mail'} "
            f"(SMTP sink on 127.0.0.1:{settings.smtp_port})",
            f"  Logs            {settings.data_dir.resolve() / 'logs'} "
            "(api.log, worker.log, outbox.log: JSON lines; *.out: the same for reading)",
            f"  Metrics         {base}/metrics   "
            f"http://127.0.0.1:{settings.worker_metrics_port}/metrics (worker)   "
            f"http://127.0.0.1:{settings.outbox_metrics_port}/metrics (outbox)",
            "",
            f"  accountId       {demo['accountId']}",
            f"  integration key {keys['integration']}",
            f"  reviewer key    {keys['reviewer']}",
            f"  admin key       {keys['admin']}",
            f"  warehouseId     {demo['warehouseId']}",
            f"  brokerId        {demo['brokerId']} (webhook)   {demo['emailBrokerId']} (email)",
            f"  productIds      {product_line(demo['productIds'])}",
            "",
            f'  curl -H "authorization: Bearer {keys["integration"]}" '
            f"localhost:{settings.port}/api/system/health",
            "",
            "Ctrl-C stops everything; data stays in " + str(settings.data_dir.resolve()),
        ]
    )


def run_dev(settings: Settings) -> int:
    """Run the stack until Ctrl-C/SIGTERM or until a child dies."""
    stack = DevStack(settings)
    stopping = False

    def on_signal(signum: int, _: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        started = time.monotonic()
        demo = stack.start()
        _waiting_exports(settings, stack.data_dir, demo)
        print(banner(settings, demo), flush=True)
        print(f"(ready in {time.monotonic() - started:.1f}s)", flush=True)
        while not stopping:
            exited = stack.first_exit()
            if exited is not None:
                name, code = exited
                print(f"{name} exited with code {code}; stopping.", flush=True)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        stack.stop()
        print("EntryGo dev stack stopped.", flush=True)


def _waiting_exports(settings: Settings, data_dir: Path, demo: dict[str, Any]) -> None:
    """One demo export in each waiting state of the broker loop; never stops the stack."""
    api = f"http://127.0.0.1:{settings.port}"
    broker = f"http://127.0.0.1:{settings.sandbox_broker_port}"
    try:
        created = seed_waiting_exports(api, broker, demo, data_dir)
    except httpx.HTTPError as exc:
        print(f"the waiting demo exports were not created: {exc}", flush=True)
        return
    listed = ", ".join(f"{export_id} ({scenario})" for scenario, export_id in created.items())
    print(f"waiting exports (broker loop): {listed}", flush=True)


def product_line(product_ids: list[str]) -> str:
    """The demo products, the last two named by what planning does with them."""
    if len(product_ids) != READY_PRODUCTS + 2:  # demo data of an older seed
        return ", ".join(product_ids)
    ready = ", ".join(product_ids[:READY_PRODUCTS])
    toy, saffron = product_ids[READY_PRODUCTS:]
    return f"{ready} (READY), {toy} (toy: REVIEW), {saffron} (saffron: BLOCKED)"
