"""The topology run's driver (bench/topology.py): every export from its client (sync → plan →
execute → poll until final), and meanwhile the chaos: SIGKILL an API with requests in flight and a
worker while an export is EXECUTING, restart each on the same ports and environment."""

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import httpx

from bench.topology_checks import FINAL_OK
from bench.topology_procs import Proc, TopologyError
from bench.topology_stack import TopologyStack

DEAD = frozenset({"BLOCKED", "REJECTED", "CANCELLED", "EXPIRED", "BROKER_REJECTED"})
POLL_ROUNDS = 600  # polls (about a second each) of one export until it is final


@dataclass
class Export:
    """One client's export."""

    n: int
    key: str
    export_id: str | None = None
    status: str | None = None
    error: str | None = None
    done: bool = False


class Driver:
    """The clients and the kills of one run over a stack that is up."""

    def __init__(self, stack: TopologyStack, exports: int, kills: int, concurrency: int) -> None:
        self.stack = stack
        self.n = exports
        self.kills = kills
        self.concurrency = max(1, min(concurrency, exports))
        self.exports: list[Export] = []
        self.kill_log: list[str] = []
        self.killing: set[str] = set()  # processes this run is killing right now
        self.unexpected: list[str] = []  # processes that exited without being killed
        self.kills_mid_run: list[bool] = []

    async def drive(self) -> None:
        """Every export from its client; the kills meanwhile."""
        self.exports = [Export(i, f"topo-{self.stack.tag}-{i}") for i in range(self.n)]
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
            self.stack.notes.append(f"export {e.n} ({e.export_id}): {e.error}")

    async def one(self, e: Export, gate: asyncio.Semaphore) -> None:
        """sync → plan → execute (READY plans), then poll until final; errors are recorded."""
        c, home = self.stack.client, e.n  # clients alternate between the two APIs
        try:
            async with gate:
                order = {
                    "externalId": f"T-{self.stack.tag}-{e.n}",
                    "destinationCountry": "US",
                    "destinationRegion": "NY",
                    "destinationPostalCode": "10001",
                    "consignee": {"name": f"Buyer {e.n}", "address": f"{e.n} Main St, New York"},
                    "items": [
                        {
                            "productId": self.stack.product_ids[e.n % len(self.stack.product_ids)],
                            "quantity": 1 + e.n % 3,
                        }
                    ],
                }
                r = await c.call(
                    home,
                    "POST",
                    "/api/orders/sync",
                    json={"accountId": self.stack.account_id, "items": [order]},
                    key=f"{e.key}-sync",
                )
                plan_body = {
                    "accountId": self.stack.account_id,
                    "warehouseId": self.stack.warehouse_id,
                    "brokerId": self.stack.broker_id,
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
                body = {"accountId": self.stack.account_id, "batchId": e.export_id}
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
            for proc in self.stack.procs.values():
                if proc.name in self.killing or proc.popen is None:
                    continue
                code = proc.popen.poll()
                if code is not None:
                    self.unexpected.append(f"{proc.name} pid {proc.popen.pid} exit {code}")
                    self.stack.progress(f"{proc.name} exited by itself ({code}); restarting it")
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
            api = self.stack.apis[r % len(self.stack.apis)]
            index = self.stack.apis.index(api)
            for _ in range(100):  # up to ~5 s for a request in flight on it
                if self.stack.client.in_flight[index] > 0:
                    break
                await asyncio.sleep(0.05)
            await self.kill_and_restart(
                api, f"{self.stack.client.in_flight[index]} requests in flight"
            )
            ready = asyncio.create_task(self.stack.until_ready(api))
            worker = self.stack.workers[r % len(self.stack.workers)]
            executing = await self.until_executing()
            await self.kill_and_restart(worker, f"{executing} exports EXECUTING")
            await ready
            await self.stack.until_worker(worker)

    async def kill_and_restart(self, proc: Proc, detail: str) -> None:
        open_exports = sum(not e.done for e in self.exports)
        self.kills_mid_run.append(open_exports > 0)
        pid = proc.popen.pid if proc.popen else None
        self.killing.add(proc.name)
        try:
            await asyncio.to_thread(proc.kill)
            self.kill_log.append(f"{proc.name} pid {pid} ({detail}, {open_exports} exports open)")
            self.stack.progress(
                f"SIGKILL {proc.name} pid {pid}: {detail}, {open_exports} exports open"
            )
            await asyncio.sleep(0.5)
            proc.start()
        finally:
            self.killing.discard(proc.name)
        self.stack.progress(f"restarted {proc.name} as pid {proc.popen.pid if proc.popen else '?'}")

    async def until_executing(self, rounds: int = 600) -> int:
        """Poll (bounded, ~30 s, until every client is done) until an export is EXECUTING; how
        many are."""
        conn = await asyncpg.connect(self.stack.database_url)
        try:
            for _ in range(rounds):
                count = await conn.fetchval(
                    "SELECT count(*) FROM exports WHERE account_id = $1 AND status = 'EXECUTING'",
                    self.stack.account_id,
                )
                if count:
                    return int(count)
                if self.settled() == self.n:
                    return 0
                await asyncio.sleep(0.05)
        finally:
            await conn.close()
        return 0
