"""Orders: sync (upsert by externalId, lines replaced) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, Integration, RuntimeDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Order, OrderSyncRequest
from services import catalog

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
        rows = await catalog.sync_orders(write.conn, principal.account_id, body.items)
        return await write.respond(200, OrderList(data=rows))


@router.get("/{order_id}", response_model=Order, responses=error_responses(403))
async def get_order(order_id: str, principal: AnyRole, rt: RuntimeDep) -> Order:
    """One order with its lines."""
    return await catalog.get_order(rt, principal.account_id, order_id)


@router.get("", response_model=Page[Order], responses=error_responses(403))
async def list_orders(
    principal: AnyRole,
    rt: RuntimeDep,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Order]:
    """Orders ordered by id, optionally filtered by externalId."""
    rows = await catalog.list_orders(rt, principal.account_id, externalId, cursor, limit)
    return page_of(rows, limit)
