"""Products: sync (upsert by externalId) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, Integration, PoolDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Product, ProductSyncRequest
from store import products

router = APIRouter(prefix="/api/products", tags=["products"])


class ProductList(BaseModel):
    """Products in request order."""

    data: list[Product]


@router.post("/sync", response_model=ProductList, responses=error_responses(403, 409))
async def sync_products(
    request: Request, body: ProductSyncRequest, principal: Integration
) -> Response:
    """Create or update products by externalId; all or nothing."""
    check_account_scope(principal, body.accountId)
    reject_duplicates([p.externalId for p in body.items], "items", "externalId")
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        rows = await products.upsert_products(write.conn, principal.account_id, body.items)
        return await write.respond(200, ProductList(data=rows))


@router.get("/{product_id}", response_model=Product, responses=error_responses(403))
async def get_product(product_id: str, principal: AnyRole, pool: PoolDep) -> Product:
    """One product."""
    async with pool.acquire() as conn:
        return await products.get_product(conn, principal.account_id, product_id)


@router.get("", response_model=Page[Product], responses=error_responses(403))
async def list_products(
    principal: AnyRole,
    pool: PoolDep,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Product]:
    """Products ordered by id, optionally filtered by externalId."""
    async with pool.acquire() as conn:
        rows = await products.list_products(conn, principal.account_id, externalId, cursor, limit)
    return page_of(rows, limit)
