"""The stack of one fault run (bench/faults.py): `DevStack`'s children on free ports in a
temporary directory (embedded PostgreSQL and the Temporal dev server with a file database, so both
can be restarted), a watchdog that restarts a child that died on its own, and the clients the run
reads the stack through (a pool, Temporal, the sandbox broker's control routes)."""

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from bench.common import free_port
from config.settings import Settings
from config.temporal import connect_temporal
from entrygo.dev import DevStack
from store.pool import create_pool

RETRY_BUDGET_SECONDS = 900  # the default, far longer than any outage below
# what a tree's `DevStack` does to migrate and seed, run in that tree (argv: data dir, database
# URL, sandbox broker port)
SEED_SCRIPT = """
import asyncio, sys
from pathlib import Path
from config.settings import Settings
from entrygo.dev import DevStack
settings = Settings(
    data_dir=Path(sys.argv[1]), database_url=sys.argv[2], sandbox_broker_port=int(sys.argv[3])
)
asyncio.run(DevStack(settings)._migrate_and_seed())
"""


class TreeDevStack(DevStack):
    """`DevStack` whose Python children run the code of another source tree (an older commit's
    worktree, for a baseline): the tree is their working directory and first on PYTHONPATH, so
    it wins over the project installed in the venv. The database is migrated and seeded by the
    tree too, so it has the tree's schema, not this one's."""

    def __init__(self, settings: Settings, tree: Path) -> None:
        super().__init__(settings)
        self.tree = tree.resolve()
        path = self.env.get("PYTHONPATH")
        self.env["PYTHONPATH"] = str(self.tree) + (f":{path}" if path else "")

    def spawn(self, name: str, args: list[str], *, structured: bool = False) -> None:
        """Start a child; a Python one in the tree (`env -C`: a command kept for a restart is
        wrapped once)."""
        if name == "outbox" and not (self.tree / "entrygo" / "outbox_process.py").exists():
            return  # a tree from before `entrygo outbox`: its worker drains the outbox
        if args and args[0] == sys.executable:
            args = ["env", "-C", str(self.tree), *args]
        super().spawn(name, args, structured=structured)

    async def _migrate_and_seed(self) -> dict[str, Any]:
        """The tree's migrations and demo seed, in a child running the tree's `DevStack`; the
        seed saves the demo data to `demo.json`, read back here."""
        s = self.settings
        assert s.database_url is not None
        child = await asyncio.create_subprocess_exec(
            *("env", "-C", str(self.tree), sys.executable, "-c", SEED_SCRIPT),
            *(str(self.data_dir), s.database_url, str(s.sandbox_broker_port)),
            env=self.env,
        )
        if await child.wait() != 0:
            raise RuntimeError(f"migrating and seeding with {self.tree} failed")
        demo: dict[str, Any] = json.loads((self.data_dir / "demo.json").read_text())
        return demo


class FaultStack:
    """The children, what the run expects of them, and the clients to them."""

    def __init__(self, data_dir: Path, tree: Path | None = None) -> None:
        port = free_port()
        self.settings = Settings(
            data_dir=data_dir,
            port=port,
            public_base_url=f"http://127.0.0.1:{port}",
            temporal_port=free_port(),
            temporal_ui_port=free_port(),
            smtp_port=free_port(),
            sandbox_broker_port=free_port(),
            database_url=None,
            temporal_address=None,
        )
        self.dev = DevStack(self.settings) if tree is None else TreeDevStack(self.settings, tree)
        for name in list(self.dev.env):  # embedded PostgreSQL and Temporal, whatever is set
            if name.startswith("ENTRYGO_") or name in ("DATABASE_URL", "TEMPORAL_ADDRESS"):
                del self.dev.env[name]
        self.dev.env.update(
            ENTRYGO_LOG_LEVEL="WARNING",
            ENTRYGO_WORKER_METRICS_PORT="0",  # several workers on one machine
            ENTRYGO_OUTBOX_METRICS_PORT="0",
            ENTRYGO_DATA_DIR=str(data_dir),
            ENTRYGO_RETRY_BUDGET_SECONDS=str(RETRY_BUDGET_SECONDS),
        )
        self.expected_down: set[str] = set()
        self.unexpected_exits: list[str] = []
        self.started = time.monotonic()

    async def connect(self) -> None:
        """The pool, the Temporal client and the broker's control client of a started stack."""
        s = self.settings
        assert s.database_url is not None
        # min_size 0: no reconnect noise from the pool while PostgreSQL is down on purpose
        self.pool: asyncpg.Pool = await create_pool(s.database_url, min_size=0, max_size=4)
        self.temporal: Client = await connect_temporal(s, attempts=20)
        self.broker = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{s.sandbox_broker_port}", timeout=10
        )

    async def disconnect(self) -> None:
        await self.broker.aclose()
        await self.pool.close()

    async def watchdog(self) -> None:
        """Restart a child that died on its own, and remember it (that is a finding)."""
        while True:
            for name, proc in list(self.dev.children):
                if name not in self.expected_down and proc.poll() is not None:
                    self.unexpected_exits.append(f"{name} (exit {proc.returncode})")
                    self.dev.spawn(name, self.dev.commands[name])
            await asyncio.sleep(0.5)

    async def broker_faults(self, **faults: Any) -> None:
        (await self.broker.post("/_sandbox/faults", json=faults)).raise_for_status()

    async def broker_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (await self.broker.get("/_sandbox/stats")).json()
        return stats

    def progress(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", flush=True)
