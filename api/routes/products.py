"""Products: sync (upsert by externalId) and reads."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AnyRoleCall, IntegrationWrite, check_account_scope
from api.idempotency import Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.validation import reject_duplicates
from domain.catalog import Product, ProductSyncRequest
from services import catalog
from services.catalog import CatalogQuery
from services.models.catalog import ProductList

router = APIRouter(prefix="/api/products", tags=["products"])


@router.post("/sync", response_model=ProductList, responses=error_responses(403, 409))
async def sync_products(body: ProductSyncRequest, write: IntegrationWrite) -> Sent[ProductList]:
    """Create or update products by externalId; all or nothing."""
    check_account_scope(write.principal, body.account_id)
    reject_duplicates([item.external_id for item in body.items], "items", "externalId")
    return await write.in_transaction(body, lambda ctx: catalog.sync_products(ctx, body))


@router.get("/{product_id}", response_model=Product, responses=error_responses(403))
async def get_product(product_id: str, ctx: AnyRoleCall) -> Product:
    """One product."""
    return await catalog.get_product(ctx, product_id)


@router.get("", response_model=Page[Product], responses=error_responses(403))
async def list_products(
    ctx: AnyRoleCall,
    externalId: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> Page[Product]:
    """Products ordered by id, optionally filtered by externalId."""
    rows = await catalog.list_products(ctx, CatalogQuery(externalId, cursor, limit))
    return page_of(rows, limit)
