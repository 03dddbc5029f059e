"""The public guide's client flow over HTTP (sync → plan → execute → approve → inspect), timed."""

import asyncio
import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

DONE = frozenset({"EXECUTED", "COMPLETED"})
FAILED = frozenset({"ATTENTION_REQUIRED", "BROKER_REJECTED", "REJECTED", "CANCELLED", "EXPIRED"})


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


class FlowError(Exception):
    """A step of the flow answered something the flow does not expect."""


@dataclass
class Timings:
    """Latency of every answered call and the count of errors, by endpoint."""

    calls: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def error(self, endpoint: str, message: str) -> FlowError:
        """Count an error (keeping the first few messages) and return it to raise."""
        self.errors[endpoint] += 1
        if len(self.samples) < 10:
            self.samples.append(message)
        return FlowError(message)


class ExportClient:
    """The public guide's client flow over HTTP, timed per endpoint."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        demo: dict[str, Any],
        timings: Timings,
        poll_s: float = 0.1,
        give_up_s: float = 120.0,
    ) -> None:
        self.http = http
        self.demo = demo
        self.timings = timings
        self.poll_s = poll_s
        self.give_up_s = give_up_s
        self.auth = {role: {"authorization": f"Bearer {key}"} for role, key in demo["keys"].items()}

    async def call(
        self, endpoint: str, method: str, path: str, body: Any = None, role: str = "integration"
    ) -> dict[str, Any]:
        """One request; any non-2xx answer or transport error is counted and raised."""
        started = time.perf_counter()
        try:
            r = await self.http.request(method, path, json=body, headers=self.auth[role])
        except httpx.HTTPError as exc:
            raise self.timings.error(endpoint, f"{endpoint}: {type(exc).__name__} {exc}") from exc
        self.timings.calls[endpoint].append(time.perf_counter() - started)
        if not r.is_success:
            raise self.timings.error(endpoint, f"{endpoint}: HTTP {r.status_code} {r.text[:300]}")
        answer: dict[str, Any] = r.json()
        return answer

    async def export(self, tag: str, product_id: str, *, review: bool = False) -> str:
        """sync → plan → execute (→ approve) → inspect until EXECUTED or later; the status."""
        return await self.until_executed(await self.started(tag, product_id, review=review))

    async def started(
        self, tag: str, product_id: str, *, review: bool = False, scenario: str | None = None
    ) -> str:
        """sync → plan → execute (→ approve); the export's id. `scenario`: the sandbox broker's
        scenario for it (the order's `metadata.sandboxScenario`)."""
        account = self.demo["accountId"]
        order = {
            "externalId": f"bench-{tag}",
            "destinationCountry": "US",
            "destinationRegion": "CA",
            "destinationPostalCode": "94107",
            "consignee": {"name": "Grace Buyer", "address": "500 Howard St, San Francisco"},
            "items": [{"productId": product_id, "quantity": 3}],
        }
        if scenario is not None:
            order["metadata"] = {"sandboxScenario": scenario}
        synced = await self.call(
            "POST /api/orders/sync",
            "POST",
            "/api/orders/sync",
            {"accountId": account, "items": [order], "idempotencyKey": f"sync-{tag}"},
        )
        plan = await self.call(
            "POST /api/exports/plan",
            "POST",
            "/api/exports/plan",
            {
                "accountId": account,
                "warehouseId": self.demo["warehouseId"],
                "brokerId": self.demo["brokerId"],
                "orderIds": [synced["data"][0]["id"]],
                "idempotencyKey": f"plan-{tag}",
            },
        )
        wanted = "REVIEW_REQUIRED" if review else "READY"
        if plan["readinessState"] != wanted:
            raise self.timings.error(
                "flow",
                f"plan is {plan['readinessState']}, not {wanted}: {plan['validationMessages']}",
            )
        export_id = plan["exportId"]
        executed = await self.call(
            "POST /api/exports/execute",
            "POST",
            "/api/exports/execute",
            {"accountId": account, "batchId": export_id, "idempotencyKey": f"exec-{tag}"},
        )
        if review:
            if executed["status"] != "AWAITING_APPROVAL":
                raise self.timings.error(
                    "flow", f"execute left {executed['status']}, not AWAITING_APPROVAL"
                )
            await self.call(
                "POST /api/exports/{id}/approve",
                "POST",
                f"/api/exports/{export_id}/approve",
                {"planHash": plan["planHash"], "idempotencyKey": f"approve-{tag}"},
                role="reviewer",
            )
        return str(export_id)

    async def until_executed(self, export_id: str) -> str:
        """Poll inspect until EXECUTED or later; a failed or stuck export is a flow error."""
        deadline = time.monotonic() + self.give_up_s
        while True:
            view = await self.call("GET /api/exports/{id}", "GET", f"/api/exports/{export_id}")
            status: str = view["status"]
            if status in DONE:
                return status
            if status in FAILED:
                raise self.timings.error(
                    "flow", f"{export_id} ended {status}: {view.get('attention')}"
                )
            if time.monotonic() > deadline:
                raise self.timings.error(
                    "flow", f"{export_id} still {status} after {self.give_up_s:.0f}s"
                )
            await asyncio.sleep(self.poll_s)
