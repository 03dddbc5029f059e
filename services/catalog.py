"""The catalog: products and orders synced from the client's systems (CONTRACT §7, §8).

Writes run on the unit of work's transaction (`ctx.conn`), which also holds its idempotency
key, so a sync is all or nothing together with its stored answer.
"""

from dataclasses import dataclass

from domain.catalog import Order, OrderSyncRequest, Product, ProductSyncRequest
from services.context import Context
from services.errors import Invalid, Issue
from services.models.catalog import OrderList, ProductList
from store import orders, products
from store.db import Connection


@dataclass(frozen=True)
class CatalogQuery:
    """A page of products or orders, optionally of one externalId."""

    external_id: str | None
    after: str | None
    limit: int


async def sync_products(ctx: Context, body: ProductSyncRequest) -> ProductList:
    """Create or update products by externalId."""
    async with ctx.transaction() as conn:
        return ProductList(data=await products.upsert_products(conn, ctx.account_id, body.items))


async def sync_orders(ctx: Context, body: OrderSyncRequest) -> OrderList:
    """Create or update orders by externalId (lines replaced); every line's product must be a
    product of the account."""
    async with ctx.transaction() as conn:
        return OrderList(data=await _sync_orders(conn, ctx.account_id, body))


async def _sync_orders(conn: Connection, account_id: str, body: OrderSyncRequest) -> list[Order]:
    items = body.items
    wanted = sorted({line.product_id for o in items for line in o.items})
    known = await products.product_values(conn, account_id, wanted)
    unknown = [
        Issue(
            path=f"items.{i}.items.{j}.productId",
            message="productId is not a product of this account",
            code="unknown_product",
        )
        for i, o in enumerate(items)
        for j, line in enumerate(o.items)
        if line.product_id not in known
    ]
    if unknown:
        raise Invalid(unknown)
    return await orders.upsert_orders(conn, account_id, items, known)


async def get_product(ctx: Context, product_id: str) -> Product:
    """One product."""
    async with ctx.connect() as conn:
        return await products.get_product(conn, ctx.account_id, product_id)


async def list_products(ctx: Context, query: CatalogQuery) -> list[Product]:
    """Products ordered by id, optionally filtered by externalId."""
    async with ctx.connect() as conn:
        return await products.list_products(
            conn, ctx.account_id, query.external_id, query.after, query.limit
        )


async def get_order(ctx: Context, order_id: str) -> Order:
    """One order with its lines."""
    async with ctx.connect() as conn:
        return await orders.get_order(conn, ctx.account_id, order_id)


async def list_orders(ctx: Context, query: CatalogQuery) -> list[Order]:
    """Orders ordered by id, optionally filtered by externalId."""
    async with ctx.connect() as conn:
        return await orders.list_orders(
            conn, ctx.account_id, query.external_id, query.after, query.limit
        )
