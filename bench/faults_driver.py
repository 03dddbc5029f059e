"""How `bench.faults` drives exports: a patient API client, and an operator that finishes them.

The client retries what the contract says may be retried (503, 429, IDEMPOTENCY_IN_PROGRESS,
a dropped connection) with the same idempotency key, so a retried request never makes a second
export. The operator does what a reviewer would: records the outcome of email-broker exports
once they are EXECUTED and retries exports in ATTENTION_REQUIRED.
"""

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from entrygo.seed import READY_PRODUCTS

FINAL = "COMPLETED"
# statuses an export of this run never leaves: waiting longer for them is pointless
DEAD = frozenset({"CANCELLED", "REJECTED", "EXPIRED", "BROKER_REJECTED", "BLOCKED"})
DB_DOWN: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    TimeoutError,
)


class FaultRunError(RuntimeError):
    """The run could not drive the stack (recorded against the export, checked later)."""


def error_code(r: httpx.Response) -> str | None:
    """The contract's `errorCode` of an answer, if it has one."""
    try:
        body = r.json()
    except ValueError:
        return None
    return body.get("errorCode") if isinstance(body, dict) else None


def is_unavailable(r: httpx.Response) -> bool:
    """The contract's 503: JSON body with errorCode SERVICE_UNAVAILABLE and Retry-After."""
    return (
        r.status_code == 503
        and r.headers.get("content-type", "").startswith("application/json")
        and error_code(r) == "SERVICE_UNAVAILABLE"
        and "retry-after" in r.headers
    )


class Api:
    """The public API as a patient client."""

    def __init__(self, base_url: str, keys: dict[str, str]) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.keys = keys
        self.answers: Counter[str] = Counter()
        self.server_errors: list[str] = []

    async def once(
        self, method: str, path: str, role: str = "integration", **kw: Any
    ) -> httpx.Response:
        """One request, not retried; `key=` sends an Idempotency-Key header."""
        headers = {"authorization": f"Bearer {self.keys[role]}"}
        key = kw.pop("key", None)
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.http.request(method, path, headers=headers, **kw)

    async def call(
        self,
        method: str,
        path: str,
        role: str = "integration",
        *,
        accept: frozenset[int] = frozenset({200, 201, 202}),
        attempts: int = 240,
        **kw: Any,
    ) -> httpx.Response:
        """Retry 503, 429, IDEMPOTENCY_IN_PROGRESS and transport errors, about 1 s apart."""
        for _ in range(attempts):
            try:
                r = await self.once(method, path, role, **dict(kw))
            except httpx.HTTPError as exc:
                self.answers[type(exc).__name__] += 1
                await asyncio.sleep(1)
                continue
            if r.status_code in accept:
                return r
            code = error_code(r)
            self.answers[f"{r.status_code} {code}"] += 1
            if r.status_code >= 500 and r.status_code != 503:
                self.server_errors.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
            if r.status_code in (429, 500, 503) or code == "IDEMPOTENCY_IN_PROGRESS":
                await asyncio.sleep(1)
                continue
            raise FaultRunError(f"{method} {path} -> {r.status_code} {r.text[:300]}")
        raise FaultRunError(f"{method} {path}: no answer after {attempts} attempts")

    async def aclose(self) -> None:
        await self.http.aclose()


@dataclass
class Export:
    """One export driven by the run."""

    n: int
    phase: str
    transport: str  # webhook | email
    key: str
    order_ids: list[str] = field(default_factory=list)
    export_id: str | None = None
    status: str | None = None
    outcome_posted: bool = False
    retries: int = 0
    retry_wait: int = 0
    error: str | None = None
    # the sandbox broker's protocol 2 scenario for this export (the broker loop), if any
    scenario: str | None = None
    answers: list[str] = field(default_factory=list)  # the broker requests answered
    hold: bool = False  # the run keeps its answers back until a fault is in place


class Driver:
    """Creates exports through the API and sees them to COMPLETED."""

    def __init__(
        self, api: Api, pool: asyncpg.Pool, demo: dict[str, Any], rng: random.Random, tag: str
    ) -> None:
        self.api = api
        self.pool = pool
        self.demo = demo
        self.rng = rng
        self.tag = tag
        self.exports: list[Export] = []

    def new_exports(
        self, phase: str, count: int, email_every: int = 2, scenarios: tuple[str, ...] = ()
    ) -> list[Export]:
        """Reserve `count` exports; every `email_every`-th goes to the email broker, or, with
        `scenarios`, each to the webhook broker playing the next scenario in turn."""
        made = []
        for k in range(count):
            n = len(self.exports) + 1
            transport = "email" if n % email_every == 0 and not scenarios else "webhook"
            scenario = scenarios[k % len(scenarios)] if scenarios else None
            made.append(
                Export(n, phase, transport, key=f"faults-{self.tag}-{n}", scenario=scenario)
            )
            self.exports.append(made[-1])
        return made

    async def sync_orders(self, e: Export) -> None:
        """One to three US orders of the demo products."""
        products = self.demo["productIds"][:READY_PRODUCTS]
        items = [
            {
                "externalId": f"F-{self.tag}-{e.n}-{k}",
                "destinationCountry": "US",
                "destinationRegion": "NY",
                "destinationPostalCode": "10001",
                "consignee": {"name": f"Buyer {e.n}", "address": f"{e.n} Main St, New York"},
                "metadata": {"sandboxScenario": e.scenario} if e.scenario else {},
                "items": [
                    {"productId": self.rng.choice(products), "quantity": self.rng.randint(1, 3)}
                    for _ in range(self.rng.randint(1, 2))
                ],
            }
            for k in range(self.rng.randint(1, 3))
        ]
        body = {"accountId": self.demo["accountId"], "items": items}
        r = await self.api.call("POST", "/api/orders/sync", json=body, key=f"{e.key}-sync")
        e.order_ids = [o["id"] for o in r.json()["data"]]

    def plan_body(self, e: Export) -> dict[str, Any]:
        broker = self.demo["brokerId"] if e.transport == "webhook" else self.demo["emailBrokerId"]
        return {
            "accountId": self.demo["accountId"],
            "warehouseId": self.demo["warehouseId"],
            "brokerId": broker,
            "orderIds": e.order_ids,
        }

    async def launch(self, e: Export) -> None:
        """Sync orders, plan, approve when asked, execute; failures are recorded, not raised."""
        if await self.prepare(e):
            await self.execute(e)

    async def prepare(self, e: Export) -> bool:
        """Sync orders, plan, approve when asked (nothing reaches the broker yet); whether the
        export is ready to execute (a failure is recorded on it, not raised)."""
        try:
            if not e.order_ids:
                await self.sync_orders(e)
            r = await self.api.call(
                "POST", "/api/exports/plan", json=self.plan_body(e), key=f"{e.key}-plan"
            )
            plan = r.json()
            e.export_id = plan["exportId"]
            if plan["readinessState"] == "REVIEW_REQUIRED":
                await self.api.call(
                    "POST",
                    f"/api/exports/{e.export_id}/approve",
                    "reviewer",
                    json={"planHash": plan["planHash"]},
                    key=f"{e.key}-approve",
                )
            elif plan["readinessState"] != "READY":
                raise FaultRunError(f"export {e.n} planned {plan['readinessState']}")
        except (FaultRunError, httpx.HTTPError, KeyError, ValueError) as exc:
            e.error = str(exc)
            return False
        return True

    async def execute(self, e: Export) -> None:
        """Ask a prepared export to execute (a failure is recorded on it, not raised)."""
        try:
            body = {"accountId": self.demo["accountId"], "batchId": e.export_id}
            await self.api.call("POST", "/api/exports/execute", json=body, key=f"{e.key}-exec")
        except (FaultRunError, httpx.HTTPError, KeyError, ValueError) as exc:
            e.error = str(exc)

    async def statuses(self, exports: list[Export]) -> bool:
        """Refresh `status` from the projection; False while the database is unreachable."""
        ids = [e.export_id for e in exports if e.export_id]
        try:
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(
                    "SELECT id, status FROM exports WHERE id = any($1::text[])", ids
                )
        except DB_DOWN:
            return False
        found = {r["id"]: r["status"] for r in rows}
        for e in exports:
            if e.export_id:
                e.status = found.get(e.export_id)
        return True

    async def operate(self) -> None:
        """The operator, for the whole run: every second, nudge what needs a person."""
        while True:
            pending = [e for e in self.exports if e.export_id and e.status != FINAL]
            if pending and await self.statuses(pending):
                for e in pending:
                    await self.nudge(e)
            await asyncio.sleep(1)

    async def nudge(self, e: Export) -> None:
        """Record the email broker's outcome; retry ATTENTION_REQUIRED (counted)."""
        accept = frozenset({200, 202, 409})
        if e.status == "EXECUTED" and e.transport == "email" and not e.outcome_posted:
            await self.api.call(
                "POST",
                f"/api/exports/{e.export_id}/broker-outcome",
                "reviewer",
                json={"status": "ACCEPTED", "entryNumber": f"EGX-FAULTS-{e.n}"},
                key=f"{e.key}-outcome",
                accept=accept,
            )
            e.outcome_posted = True
        elif e.status == "BROKER_ACTION_REQUIRED" and not e.hold:
            await self.answer(e)
        elif e.status == "AWAITING_APPROVAL" and e.answers:
            await self.approve_again(e)
        elif e.status == "ATTENTION_REQUIRED":
            if e.retry_wait > 0:
                e.retry_wait -= 1
                return
            e.retries += 1
            e.retry_wait = 5
            await self.api.call(
                "POST",
                f"/api/exports/{e.export_id}/retry",
                "reviewer",
                key=f"{e.key}-retry-{e.retries}",
                accept=accept,
            )

    async def answer(self, e: Export) -> None:
        """Answer the broker's open requests, as an integrator would (each once, by its key)."""
        r = await self.api.call("GET", f"/api/exports/{e.export_id}/broker-requests")
        for request in r.json()["data"]:
            rid = request["requestId"]
            if request["status"] != "OPEN" or rid in e.answers:
                continue
            await self.api.call(
                "POST",
                f"/api/exports/{e.export_id}/broker-requests/{rid}/answer",
                json={"message": f"answered by the run ({rid})"},
                key=f"{e.key}-answer-{rid}",
                accept=frozenset({200, 409}),
            )
            e.answers.append(rid)

    async def approve_again(self, e: Export) -> None:
        """An answer whose new plan needs review: a reviewer approves the new planHash."""
        plan_hash = (await self.api.call("GET", f"/api/exports/{e.export_id}")).json()["planHash"]
        await self.api.call(
            "POST",
            f"/api/exports/{e.export_id}/approve",
            "reviewer",
            json={"planHash": plan_hash},
            key=f"{e.key}-approve-{plan_hash[-12:]}",
            accept=frozenset({200, 409}),
        )

    async def settled(self, rounds: int) -> bool:
        """Poll (bounded) until every export is COMPLETED or can no longer get there."""
        for _ in range(rounds):
            if await self.statuses(self.exports) and not any(map(self.may_move, self.exports)):
                break
            await asyncio.sleep(1)
        return all(e.status == FINAL for e in self.exports)

    @staticmethod
    def may_move(e: Export) -> bool:
        """Whether `e` may still reach COMPLETED (a failed launch leaves it PLANNED for good)."""
        if e.export_id is None or e.status == FINAL or e.status in DEAD:
            return False
        return not (e.error and e.status in (None, "PLANNED"))

    async def until(
        self, exports: list[Export], wanted: set[str], rounds: int = 300, every: bool = False
    ) -> int:
        """Poll (bounded) until one of `exports` (with `every`: each that may still move) is in
        a `wanted` status; how many are."""
        for _ in range(rounds):
            await self.statuses(exports)
            hits = sum(e.status in wanted for e in exports)
            waiting = [e for e in exports if self.may_move(e) and e.status not in wanted]
            if hits and not (every and waiting):
                return hits
            await asyncio.sleep(0.2)
        return 0

    def in_flight(self, exports: list[Export]) -> int:
        """Exports not yet EXECUTED (including those still being planned)."""
        return sum(e.status not in (FINAL, "EXECUTED") for e in exports)
