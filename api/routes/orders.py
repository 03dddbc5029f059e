"""Orders: sync (upsert by externalId, lines replaced) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AnyRoleCall, IntegrationWrite, check_account_scope
from api.idempotency import Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Order, OrderSyncRequest
from services import catalog
from services.catalog import CatalogQuery
from services.models.catalog import OrderList

router = APIRouter(prefix="/api/orders", tags=["orders"])


@router.post("/sync", response_model=OrderList, responses=error_responses(403, 409))
async def sync_orders(body: OrderSyncRequest, write: IntegrationWrite) -> Sent[OrderList]:
    """Create or update orders by externalId; one transaction, all orders or none."""
    check_account_scope(write.principal, body.account_id)
    reject_duplicates([item.external_id for item in body.items], "items", "externalId")
    return await write.in_transaction(body, lambda ctx: catalog.sync_orders(ctx, body))


@router.get("/{order_id}", response_model=Order, responses=error_responses(403))
async def get_order(order_id: str, ctx: AnyRoleCall) -> Order:
    """One order with its lines."""
    return await catalog.get_order(ctx, order_id)


@router.get("", response_model=Page[Order], responses=error_responses(403))
async def list_orders(
    ctx: AnyRoleCall,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Order]:
    """Orders ordered by id, optionally filtered by externalId."""
    rows = await catalog.list_orders(ctx, CatalogQuery(externalId, cursor, limit))
    return page_of(rows, limit)
