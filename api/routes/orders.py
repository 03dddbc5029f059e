"""Orders: sync (upsert by externalId, lines replaced) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, Integration, PoolDep, check_account_scope
from api.errors import ErrorIssue, validation_error
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Order, OrderSyncRequest
from store import orders, products

router = APIRouter(prefix="/api/orders", tags=["orders"])


class OrderList(BaseModel):
    """Orders in request order."""

    data: list[Order]


@router.post("/sync", response_model=OrderList, responses=error_responses(403, 409))
async def sync_orders(request: Request, body: OrderSyncRequest, principal: Integration) -> Response:
    """Create or update orders by externalId; one transaction, all orders or none."""
    check_account_scope(principal, body.accountId)
    reject_duplicates([o.externalId for o in body.items], "items", "externalId")
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        wanted = sorted({line.productId for o in body.items for line in o.items})
        known = await products.product_values(write.conn, principal.account_id, wanted)
        unknown = [
            ErrorIssue(
                path=f"items.{i}.items.{j}.productId",
                message="productId is not a product of this account",
                code="unknown_product",
            )
            for i, o in enumerate(body.items)
            for j, line in enumerate(o.items)
            if line.productId not in known
        ]
        if unknown:
            raise validation_error(unknown)
        rows = await orders.upsert_orders(write.conn, principal.account_id, body.items, known)
        return await write.respond(200, OrderList(data=rows))


@router.get("/{order_id}", response_model=Order, responses=error_responses(403))
async def get_order(order_id: str, principal: AnyRole, pool: PoolDep) -> Order:
    """One order with its lines."""
    async with pool.acquire() as conn:
        return await orders.get_order(conn, principal.account_id, order_id)


@router.get("", response_model=Page[Order], responses=error_responses(403))
async def list_orders(
    principal: AnyRole,
    pool: PoolDep,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Order]:
    """Orders ordered by id, optionally filtered by externalId."""
    async with pool.acquire() as conn:
        rows = await orders.list_orders(conn, principal.account_id, externalId, cursor, limit)
    return page_of(rows, limit)
