"""The calls, grouped as the public SDK groups them, with camelCase keyword arguments as the
public docs show. The sync and the async groups have the same surface; each method builds its
request in `_calls` and its client sends it with safe retries."""

import asyncio
import time
from collections.abc import Iterable
from typing import Any

from entrygo_client import _calls
from entrygo_client._sends import AsyncSends, SyncSends
from entrygo_client.broker_resources import AsyncBrokerRequests, BrokerRequests
from entrygo_client.errors import WaitTimeout
from entrygo_client.models import (
    CustomsPackage,
    EventPage,
    ExportPage,
    ExportView,
    OrderSyncResult,
    Plan,
    ProductSyncResult,
)

Items = list[dict[str, Any]]
Ids = list[str]  # `list` is a method name of Exports


def _timed_out(view: ExportView, until: frozenset[str], timeout: float) -> WaitTimeout:
    return WaitTimeout(
        f"export {view.exportId} stayed {view.status} for {timeout:g} s; "
        f"waited for {', '.join(sorted(until))}",
        view,
    )


# --- sync ------------------------------------------------------------------------------------


class Products:
    def __init__(self, client: SyncSends) -> None:
        self._c = client

    def sync(
        self, *, items: Items, accountId: str | None = None, idempotencyKey: str | None = None
    ) -> ProductSyncResult:
        """Upsert products by externalId (`POST /products/sync`); `data[i].id` is the productId."""
        return self._c._send(
            _calls.sync_products(accountId, items), ProductSyncResult, idempotencyKey
        )


class Orders:
    def __init__(self, client: SyncSends) -> None:
        self._c = client

    def sync(
        self, *, items: Items, accountId: str | None = None, idempotencyKey: str | None = None
    ) -> OrderSyncResult:
        """Upsert orders by externalId (`POST /orders/sync`); keep `data[i].id` to plan with."""
        return self._c._send(_calls.sync_orders(accountId, items), OrderSyncResult, idempotencyKey)


class Exports:
    def __init__(self, client: SyncSends) -> None:
        self._c = client
        self.broker_requests = BrokerRequests(client)

    def plan(
        self,
        *,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orderIds: Ids,
        destinationCountry: str | None = None,
        batchId: str | None = None,
        dryRun: bool | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """Plan an export (`POST /exports/plan`): readiness, validation, planHash."""
        call = _calls.plan(
            accountId, warehouseId, brokerId, orderIds, destinationCountry, batchId, dryRun
        )
        return self._c._send(call, Plan, idempotencyKey)

    def execute(
        self, *, accountId: str, batchId: str, idempotencyKey: str | None = None
    ) -> ExportView:
        """Execute the planned batch (`POST /exports/execute`); never repeats a side effect."""
        return self._c._send(_calls.execute(accountId, batchId), ExportView, idempotencyKey)

    def get(self, export_id: str) -> ExportView:
        """The export as it stands (`GET /exports/{id}`)."""
        return self._c._send(_calls.get_export(export_id), ExportView)

    def inspect(self, export_id: str) -> ExportView:
        """The same as `get`: the canonical read model."""
        return self.get(export_id)

    def list(
        self,
        *,
        status: str | None = None,
        readinessState: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> ExportPage:
        """The account's exports (`GET /exports`); follow `nextCursor` for more."""
        call = _calls.list_exports(status, readinessState, cursor, limit)
        return self._c._send(call, ExportPage)

    def events(
        self, export_id: str, *, after: int | None = None, limit: int | None = None
    ) -> EventPage:
        """The export's events after a seq (`GET /exports/{id}/events`)."""
        return self._c._send(_calls.events(export_id, after, limit), EventPage)

    def approve(
        self,
        export_id: str,
        *,
        planHash: str,
        comment: str | None = None,
        idempotencyKey: str | None = None,
    ) -> ExportView:
        """Approve the plan with this planHash (role reviewer)."""
        return self._c._send(
            _calls.approve(export_id, planHash, comment), ExportView, idempotencyKey
        )

    def reject(
        self, export_id: str, *, reason: str | None = None, idempotencyKey: str | None = None
    ) -> ExportView:
        """Reject the export before execution (role reviewer; the API asks for a reason)."""
        return self._c._send(_calls.reject(export_id, reason), ExportView, idempotencyKey)

    def cancel(
        self, export_id: str, *, reason: str | None = None, idempotencyKey: str | None = None
    ) -> ExportView:
        """Cancel the export before execution starts (role reviewer)."""
        return self._c._send(_calls.cancel(export_id, reason), ExportView, idempotencyKey)

    def retry(self, export_id: str, *, idempotencyKey: str | None = None) -> ExportView:
        """Resume the failed step of an export in ATTENTION_REQUIRED (role reviewer)."""
        return self._c._send(_calls.retry(export_id), ExportView, idempotencyKey)

    def replan(
        self,
        export_id: str,
        *,
        orderIds: Ids | None = None,
        warehouseId: str | None = None,
        brokerId: str | None = None,
        destinationCountry: str | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """Plan the export again with current data (until execution starts)."""
        call = _calls.replan(export_id, orderIds, warehouseId, brokerId, destinationCountry)
        return self._c._send(call, Plan, idempotencyKey)

    def wait(
        self,
        export_id: str,
        until: Iterable[str],
        timeout: float = 60.0,
        interval: float = 0.5,
    ) -> ExportView:
        """Poll inspect until `status` is one of `until` and return that view; WaitTimeout
        (error_code "WAIT_TIMEOUT", the last view in `.last`) after `timeout` seconds."""
        wanted = frozenset(until)
        deadline = time.monotonic() + timeout
        while True:
            view = self.inspect(export_id)
            if view.status in wanted:
                return view
            if time.monotonic() >= deadline:
                raise _timed_out(view, wanted, timeout)
            time.sleep(max(0.0, min(interval, deadline - time.monotonic())))


class CustomsPackages:
    def __init__(self, client: SyncSends) -> None:
        self._c = client

    def get(self, package_id: str) -> CustomsPackage:
        """A customs package with its artifacts (`GET /customs-packages/{id}`)."""
        return self._c._send(_calls.customs_package(package_id), CustomsPackage)


class Artifacts:
    def __init__(self, client: SyncSends) -> None:
        self._c = client

    def content(self, artifact_id: str) -> bytes:
        """An artifact's bytes (`GET /artifacts/{id}/content`)."""
        return self._c._send_raw(_calls.artifact_content(artifact_id))


# --- async -----------------------------------------------------------------------------------


class AsyncProducts:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client

    async def sync(
        self, *, items: Items, accountId: str | None = None, idempotencyKey: str | None = None
    ) -> ProductSyncResult:
        """Upsert products by externalId (`POST /products/sync`); `data[i].id` is the productId."""
        call = _calls.sync_products(accountId, items)
        return await self._c._send(call, ProductSyncResult, idempotencyKey)


class AsyncOrders:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client

    async def sync(
        self, *, items: Items, accountId: str | None = None, idempotencyKey: str | None = None
    ) -> OrderSyncResult:
        """Upsert orders by externalId (`POST /orders/sync`); keep `data[i].id` to plan with."""
        call = _calls.sync_orders(accountId, items)
        return await self._c._send(call, OrderSyncResult, idempotencyKey)


class AsyncExports:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client
        self.broker_requests = AsyncBrokerRequests(client)

    async def plan(
        self,
        *,
        accountId: str,
        warehouseId: str,
        brokerId: str,
        orderIds: Ids,
        destinationCountry: str | None = None,
        batchId: str | None = None,
        dryRun: bool | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """Plan an export (`POST /exports/plan`): readiness, validation, planHash."""
        call = _calls.plan(
            accountId, warehouseId, brokerId, orderIds, destinationCountry, batchId, dryRun
        )
        return await self._c._send(call, Plan, idempotencyKey)

    async def execute(
        self, *, accountId: str, batchId: str, idempotencyKey: str | None = None
    ) -> ExportView:
        """Execute the planned batch (`POST /exports/execute`); never repeats a side effect."""
        return await self._c._send(_calls.execute(accountId, batchId), ExportView, idempotencyKey)

    async def get(self, export_id: str) -> ExportView:
        """The export as it stands (`GET /exports/{id}`)."""
        return await self._c._send(_calls.get_export(export_id), ExportView)

    async def inspect(self, export_id: str) -> ExportView:
        """The same as `get`: the canonical read model."""
        return await self.get(export_id)

    async def list(
        self,
        *,
        status: str | None = None,
        readinessState: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> ExportPage:
        """The account's exports (`GET /exports`); follow `nextCursor` for more."""
        call = _calls.list_exports(status, readinessState, cursor, limit)
        return await self._c._send(call, ExportPage)

    async def events(
        self, export_id: str, *, after: int | None = None, limit: int | None = None
    ) -> EventPage:
        """The export's events after a seq (`GET /exports/{id}/events`)."""
        return await self._c._send(_calls.events(export_id, after, limit), EventPage)

    async def approve(
        self,
        export_id: str,
        *,
        planHash: str,
        comment: str | None = None,
        idempotencyKey: str | None = None,
    ) -> ExportView:
        """Approve the plan with this planHash (role reviewer)."""
        call = _calls.approve(export_id, planHash, comment)
        return await self._c._send(call, ExportView, idempotencyKey)

    async def reject(
        self, export_id: str, *, reason: str | None = None, idempotencyKey: str | None = None
    ) -> ExportView:
        """Reject the export before execution (role reviewer; the API asks for a reason)."""
        return await self._c._send(_calls.reject(export_id, reason), ExportView, idempotencyKey)

    async def cancel(
        self, export_id: str, *, reason: str | None = None, idempotencyKey: str | None = None
    ) -> ExportView:
        """Cancel the export before execution starts (role reviewer)."""
        return await self._c._send(_calls.cancel(export_id, reason), ExportView, idempotencyKey)

    async def retry(self, export_id: str, *, idempotencyKey: str | None = None) -> ExportView:
        """Resume the failed step of an export in ATTENTION_REQUIRED (role reviewer)."""
        return await self._c._send(_calls.retry(export_id), ExportView, idempotencyKey)

    async def replan(
        self,
        export_id: str,
        *,
        orderIds: Ids | None = None,
        warehouseId: str | None = None,
        brokerId: str | None = None,
        destinationCountry: str | None = None,
        idempotencyKey: str | None = None,
    ) -> Plan:
        """Plan the export again with current data (until execution starts)."""
        call = _calls.replan(export_id, orderIds, warehouseId, brokerId, destinationCountry)
        return await self._c._send(call, Plan, idempotencyKey)

    async def wait(
        self,
        export_id: str,
        until: Iterable[str],
        timeout: float = 60.0,  # noqa: ASYNC109  (the same surface as the sync client)
        interval: float = 0.5,
    ) -> ExportView:
        """Poll inspect until `status` is one of `until` and return that view; WaitTimeout
        (error_code "WAIT_TIMEOUT", the last view in `.last`) after `timeout` seconds."""
        wanted = frozenset(until)
        deadline = time.monotonic() + timeout
        while True:
            view = await self.inspect(export_id)
            if view.status in wanted:
                return view
            if time.monotonic() >= deadline:
                raise _timed_out(view, wanted, timeout)
            await asyncio.sleep(max(0.0, min(interval, deadline - time.monotonic())))


class AsyncCustomsPackages:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client

    async def get(self, package_id: str) -> CustomsPackage:
        """A customs package with its artifacts (`GET /customs-packages/{id}`)."""
        return await self._c._send(_calls.customs_package(package_id), CustomsPackage)


class AsyncArtifacts:
    def __init__(self, client: AsyncSends) -> None:
        self._c = client

    async def content(self, artifact_id: str) -> bytes:
        """An artifact's bytes (`GET /artifacts/{id}/content`)."""
        return await self._c._send_raw(_calls.artifact_content(artifact_id))
