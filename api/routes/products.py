"""Products: sync (upsert by externalId) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import AnyRole, Integration, RuntimeDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Product, ProductSyncRequest
from services import catalog

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
        rows = await catalog.sync_products(write.conn, principal.account_id, body.items)
        return await write.respond(200, ProductList(data=rows))


@router.get("/{product_id}", response_model=Product, responses=error_responses(403))
async def get_product(product_id: str, principal: AnyRole, rt: RuntimeDep) -> Product:
    """One product."""
    return await catalog.get_product(rt, principal.account_id, product_id)


@router.get("", response_model=Page[Product], responses=error_responses(403))
async def list_products(
    principal: AnyRole,
    rt: RuntimeDep,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Product]:
    """Products ordered by id, optionally filtered by externalId."""
    rows = await catalog.list_products(rt, principal.account_id, externalId, cursor, limit)
    return page_of(rows, limit)
