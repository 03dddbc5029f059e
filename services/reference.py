"""Reference data of an account: warehouses and brokers (CONTRACT §6).

Writes run on the request's transaction (`conn`), which also holds its idempotency key.
"""

from typing import Any

from domain.reference import Broker, Warehouse
from services.context import Runtime
from store import reference


async def create_warehouse(conn: Any, account_id: str, fields: dict[str, Any]) -> Warehouse:
    """A new warehouse."""
    return await reference.create_warehouse(conn, account_id, fields)


async def patch_warehouse(
    conn: Any, account_id: str, warehouse_id: str, fields: dict[str, Any]
) -> Warehouse:
    """Change the fields sent; None clears an optional field."""
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


async def create_broker(conn: Any, account_id: str, fields: dict[str, Any]) -> Broker:
    """A new broker."""
    return await reference.create_broker(conn, account_id, fields)


async def patch_broker(
    conn: Any, account_id: str, broker_id: str, fields: dict[str, Any]
) -> Broker:
    """Change the fields sent; a transport replaces the whole transport."""
    return await reference.patch_broker(conn, account_id, broker_id, fields)


async def get_broker(rt: Runtime, account_id: str, broker_id: str) -> Broker:
    """One broker."""
    async with rt.pool.acquire() as conn:
        return await reference.get_broker(conn, account_id, broker_id)


async def list_brokers(rt: Runtime, account_id: str, after: str | None, limit: int) -> list[Broker]:
    """The account's brokers, oldest first."""
    async with rt.pool.acquire() as conn:
        return await reference.list_brokers(conn, account_id, after=after, limit=limit)
