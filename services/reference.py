"""Reference data of an account: warehouses and brokers (CONTRACT §6).

Writes run on the request's transaction (`conn`), which also holds its idempotency key.
The URLs we will POST to (a warehouse's `notificationUrl`, a broker's webhook `transport.url`)
must reach public addresses, as webhook endpoints' do (`services.webhooks.check_url`): checked
here before anything is written, and again after DNS before each send (activities/).
"""

from typing import Any

from config.settings import Settings
from domain.reference import Broker, Warehouse
from services.context import Runtime
from services.webhooks import check_outbound_url
from store import reference


async def check_outbound_urls(settings: Settings, fields: dict[str, Any]) -> None:
    """Invalid when a URL among the fields sent may not be called (`check_outbound_url`): the
    check every writer of a warehouse or a broker applies before writing (the CLI as well)."""
    if fields.get("notificationUrl") is not None:
        await check_outbound_url(settings, fields["notificationUrl"], "notificationUrl")
    transport = fields.get("transport")
    if isinstance(transport, dict) and transport.get("type") == "webhook":
        await check_outbound_url(settings, transport["url"], "transport.url")


async def create_warehouse(
    conn: Any, rt: Runtime, account_id: str, fields: dict[str, Any]
) -> Warehouse:
    """A new warehouse."""
    await check_outbound_urls(rt.settings, fields)
    return await reference.create_warehouse(conn, account_id, fields)


async def patch_warehouse(
    conn: Any, rt: Runtime, account_id: str, warehouse_id: str, fields: dict[str, Any]
) -> Warehouse:
    """Change the fields sent; None clears an optional field."""
    await check_outbound_urls(rt.settings, fields)
    return await reference.patch_warehouse(conn, account_id, warehouse_id, fields)


async def get_warehouse(rt: Runtime, account_id: str, warehouse_id: str) -> Warehouse:
    """One warehouse."""
    async with rt.pool.acquire() as conn:
        return await reference.get_warehouse(conn, account_id, warehouse_id)


async def list_warehouses(
    rt: Runtime, account_id: str, after: str | None, limit: int
) -> list[Warehouse]:
    """The account's warehouses, oldest first."""
    async with rt.pool.acquire() as conn:
        return await reference.list_warehouses(conn, account_id, after=after, limit=limit)


async def create_broker(conn: Any, rt: Runtime, account_id: str, fields: dict[str, Any]) -> Broker:
    """A new broker."""
    await check_outbound_urls(rt.settings, fields)
    return await reference.create_broker(conn, account_id, fields)


async def patch_broker(
    conn: Any, rt: Runtime, account_id: str, broker_id: str, fields: dict[str, Any]
) -> Broker:
    """Change the fields sent; a transport replaces the whole transport."""
    await check_outbound_urls(rt.settings, fields)
    return await reference.patch_broker(conn, account_id, broker_id, fields)


async def get_broker(rt: Runtime, account_id: str, broker_id: str) -> Broker:
    """One broker."""
    async with rt.pool.acquire() as conn:
        return await reference.get_broker(conn, account_id, broker_id)


async def list_brokers(rt: Runtime, account_id: str, after: str | None, limit: int) -> list[Broker]:
    """The account's brokers, oldest first."""
    async with rt.pool.acquire() as conn:
        return await reference.list_brokers(conn, account_id, after=after, limit=limit)
