"""The catalog: products and orders synced from the client's systems (CONTRACT §7, §8).

Writes run on the request's transaction (`conn`), which also holds its idempotency key, so a
sync is all or nothing together with its stored answer.
"""

from typing import Any

from domain.catalog import Order, OrderIn, Product, ProductIn
from services.context import Runtime
from services.errors import Invalid, Issue
from store import orders, products


async def sync_products(conn: Any, account_id: str, items: list[ProductIn]) -> list[Product]:
    """Create or update products by externalId."""
    return await products.upsert_products(conn, account_id, items)


async def sync_orders(conn: Any, account_id: str, items: list[OrderIn]) -> list[Order]:
    """Create or update orders by externalId (lines replaced); every line's product must be a
    product of the account."""
    wanted = sorted({line.productId for o in items for line in o.items})
    known = await products.product_values(conn, account_id, wanted)
    unknown = [
        Issue(
            path=f"items.{i}.items.{j}.productId",
            message="productId is not a product of this account",
            code="unknown_product",
        )
        for i, o in enumerate(items)
        for j, line in enumerate(o.items)
        if line.productId not in known
    ]
    if unknown:
        raise Invalid(unknown)
    return await orders.upsert_orders(conn, account_id, items, known)


async def get_product(rt: Runtime, account_id: str, product_id: str) -> Product:
    """One product."""
    async with rt.pool.acquire() as conn:
        return await products.get_product(conn, account_id, product_id)


async def list_products(
    rt: Runtime, account_id: str, external_id: str | None, after: str | None, limit: int
) -> list[Product]:
    """Products ordered by id, optionally filtered by externalId."""
    async with rt.pool.acquire() as conn:
        return await products.list_products(conn, account_id, external_id, after, limit)


async def get_order(rt: Runtime, account_id: str, order_id: str) -> Order:
    """One order with its lines."""
    async with rt.pool.acquire() as conn:
        return await orders.get_order(conn, account_id, order_id)


async def list_orders(
    rt: Runtime, account_id: str, external_id: str | None, after: str | None, limit: int
) -> list[Order]:
    """Orders ordered by id, optionally filtered by externalId."""
    async with rt.pool.acquire() as conn:
        return await orders.list_orders(conn, account_id, external_id, after, limit)
