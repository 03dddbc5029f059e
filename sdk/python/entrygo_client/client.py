"""`EntryGo` and `AsyncEntryGo`: every call of the API with safe retries, `exports.wait`, and the
safe agent loop `run_export`."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from entrygo_client import _calls
from entrygo_client._http import AsyncSender, Call, Retry, SyncSender, settings
from entrygo_client.errors import EntryGoError
from entrygo_client.loop import Loop, Policy, Step, run_export_loop
from entrygo_client.models import ExportOutcome, ExportView, Health, Model, Plan, parse
from entrygo_client.resources import (
    Artifacts,
    AsyncArtifacts,
    AsyncCustomsPackages,
    AsyncExports,
    AsyncOrders,
    AsyncProducts,
    CustomsPackages,
    Exports,
    Orders,
    Products,
)

M = TypeVar("M", bound=Model)


def _retry(max_retries: int, retry_base: float, retry_cap: float) -> Retry:
    return Retry(max_retries=max_retries, base=retry_base, cap=retry_cap)


def _target(client: Any, step: Step) -> Any:
    return getattr(getattr(client, step.group), step.method)


class EntryGo:
    """The client.

    `api_key` and `base_url` default to ENTRYGO_API_KEY and ENTRYGO_BASE_URL, then to
    http://localhost:3000/api (the base URL includes `/api`). Writes are retried up to
    `max_retries` times on network failures, 429, 503 and 409 IDEMPOTENCY_IN_PROGRESS, always
    with the same Idempotency-Key; `retry_base` / `retry_cap` shape the backoff and `sleep`
    replaces `time.sleep` between tries (for tests).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        http_client: httpx.Client | None = None,
        retry_base: float = 0.25,
        retry_cap: float = 8.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.api_key, self.base_url = settings(api_key, base_url)
        self._own_http = http_client is None
        self._http = http_client or httpx.Client(timeout=timeout)
        retry = _retry(max_retries, retry_base, retry_cap)
        self._sender = SyncSender(self._http, self.base_url, self.api_key, retry, sleep)
        self.products = Products(self)
        self.orders = Orders(self)
        self.exports = Exports(self)
        self.customs_packages = CustomsPackages(self)
        self.artifacts = Artifacts(self)

    def _send(self, call: Call, model: type[M], key: str | None = None) -> M:
        return parse(model, self._sender.send(call, key))

    def _send_raw(self, call: Call) -> bytes:
        content: bytes = self._sender.send(call)
        return content

    # the public SDK's top-level shortcuts
    def plan(
        self,
        *,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orderIds: list[str],
        destinationCountry: str | None = None,
        batchId: str | None = None,
        dryRun: bool | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """`client.exports.plan(...)`."""
        return self.exports.plan(
            accountId=accountId,
            warehouseId=warehouseId,
            brokerId=brokerId,
            orderIds=orderIds,
            destinationCountry=destinationCountry,
            batchId=batchId,
            dryRun=dryRun,
            idempotencyKey=idempotencyKey,
        )

    def execute(
        self, *, accountId: str, batchId: str, idempotencyKey: str | None = None
    ) -> ExportView:
        """`client.exports.execute(...)`."""
        return self.exports.execute(
            accountId=accountId, batchId=batchId, idempotencyKey=idempotencyKey
        )

    def inspect(self, export_id: str) -> ExportView:
        """`client.exports.inspect(export_id)`."""
        return self.exports.inspect(export_id)

    def health(self) -> Health:
        """`GET /system/health` (with the key: verifies it and names the account)."""
        return self._send(_calls.health(), Health)

    def run_export(
        self,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orders: list[dict[str, Any]],
        products: list[dict[str, Any]] | None = None,
        policy: Policy | None = None,
        wait_for_review: bool = False,
        timeout: float = 120.0,
    ) -> ExportOutcome:
        """The safe agent loop as one call: sync `products` (when given) and `orders` (the
        contract's order items; a line may name a product of `products` by `productExternalId`),
        plan them, execute only what `policy` permits (default: READY plans), and wait up to
        `timeout` seconds until the export settles.

        REVIEW_REQUIRED comes back as "awaiting_review" with its reasons, unless
        `wait_for_review`: then it is executed (which asks for a reviewer's approval) and the
        call waits for the approval and the outcome. BLOCKED comes back as "blocked" with the
        validation messages and `missing_data`, and is never executed. Every idempotency key
        derives from the inputs: rerun with the same inputs after a crash, it finds the same
        export and repeats nothing."""
        loop = run_export_loop(
            accountId, warehouseId, brokerId, orders, products, policy, wait_for_review, timeout
        )
        return self._drive(loop)

    def _drive(self, loop: Loop) -> ExportOutcome:
        value: Any = None
        error: EntryGoError | None = None
        while True:
            try:
                step = loop.throw(error) if error is not None else loop.send(value)
            except StopIteration as done:
                outcome: ExportOutcome = done.value
                return outcome
            value, error = None, None
            try:
                value = _target(self, step)(*step.args, **step.kwargs)
            except EntryGoError as exc:
                error = exc

    def close(self) -> None:
        """Close the connections (not those of an `http_client` passed in)."""
        if self._own_http:
            self._http.close()

    def __enter__(self) -> "EntryGo":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncEntryGo:
    """The async client: the surface of `EntryGo`, every call awaited; `sleep` replaces
    `asyncio.sleep` between tries."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        http_client: httpx.AsyncClient | None = None,
        retry_base: float = 0.25,
        retry_cap: float = 8.0,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.api_key, self.base_url = settings(api_key, base_url)
        self._own_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=timeout)
        retry = _retry(max_retries, retry_base, retry_cap)
        self._sender = AsyncSender(self._http, self.base_url, self.api_key, retry, sleep)
        self.products = AsyncProducts(self)
        self.orders = AsyncOrders(self)
        self.exports = AsyncExports(self)
        self.customs_packages = AsyncCustomsPackages(self)
        self.artifacts = AsyncArtifacts(self)

    async def _send(self, call: Call, model: type[M], key: str | None = None) -> M:
        return parse(model, await self._sender.send(call, key))

    async def _send_raw(self, call: Call) -> bytes:
        content: bytes = await self._sender.send(call)
        return content

    async def plan(
        self,
        *,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orderIds: list[str],
        destinationCountry: str | None = None,
        batchId: str | None = None,
        dryRun: bool | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """`client.exports.plan(...)`."""
        return await self.exports.plan(
            accountId=accountId,
            warehouseId=warehouseId,
            brokerId=brokerId,
            orderIds=orderIds,
            destinationCountry=destinationCountry,
            batchId=batchId,
            dryRun=dryRun,
            idempotencyKey=idempotencyKey,
        )

    async def execute(
        self, *, accountId: str, batchId: str, idempotencyKey: str | None = None
    ) -> ExportView:
        """`client.exports.execute(...)`."""
        return await self.exports.execute(
            accountId=accountId, batchId=batchId, idempotencyKey=idempotencyKey
        )

    async def inspect(self, export_id: str) -> ExportView:
        """`client.exports.inspect(export_id)`."""
        return await self.exports.inspect(export_id)

    async def health(self) -> Health:
        """`GET /system/health` (with the key: verifies it and names the account)."""
        return await self._send(_calls.health(), Health)

    async def run_export(
        self,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orders: list[dict[str, Any]],
        products: list[dict[str, Any]] | None = None,
        policy: Policy | None = None,
        wait_for_review: bool = False,
        timeout: float = 120.0,  # noqa: ASYNC109  (the same surface as the sync client)
    ) -> ExportOutcome:
        """The safe agent loop as one call (see `EntryGo.run_export`)."""
        loop = run_export_loop(
            accountId, warehouseId, brokerId, orders, products, policy, wait_for_review, timeout
        )
        value: Any = None
        error: EntryGoError | None = None
        while True:
            try:
                step = loop.throw(error) if error is not None else loop.send(value)
            except StopIteration as done:
                outcome: ExportOutcome = done.value
                return outcome
            value, error = None, None
            try:
                value = await _target(self, step)(*step.args, **step.kwargs)
            except EntryGoError as exc:
                error = exc

    async def close(self) -> None:
        """Close the connections (not those of an `http_client` passed in)."""
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> "AsyncEntryGo":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
