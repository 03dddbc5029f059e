"""Warehouses: the account's ship-from locations (CONTRACT §6, role admin)."""

from fastapi import APIRouter

from api.deps import AdminCall, AdminWrite, check_account_scope
from api.idempotency import Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import WarehouseCreate, WarehousePatch
from domain.reference import Warehouse
from services import reference
from services.pages import PageRequest

router = APIRouter(prefix="/api/warehouses", tags=["warehouses"])


@router.post("", status_code=201, response_model=Warehouse, responses=error_responses(403, 409))
async def create_warehouse(body: WarehouseCreate, write: AdminWrite) -> Sent[Warehouse]:
    """Create a warehouse; `notificationSecret` (signs its webhooks) is write-only."""
    check_account_scope(write.principal, body.account_id)
    return await write.in_transaction(body, lambda ctx: reference.create_warehouse(ctx, body))


@router.get("", response_model=Page[Warehouse], responses=error_responses(403))
async def list_warehouses(
    ctx: AdminCall, cursor: Cursor = None, limit: Limit = 50
) -> Page[Warehouse]:
    """The account's warehouses, oldest first."""
    return page_of(await reference.list_warehouses(ctx, PageRequest(cursor, limit)), limit)


@router.get("/{warehouse_id}", response_model=Warehouse, responses=error_responses(403))
async def get_warehouse(warehouse_id: str, ctx: AdminCall) -> Warehouse:
    """One warehouse."""
    return await reference.get_warehouse(ctx, warehouse_id)


@router.patch("/{warehouse_id}", response_model=Warehouse, responses=error_responses(403, 409))
async def patch_warehouse(
    warehouse_id: str, body: WarehousePatch, write: AdminWrite
) -> Sent[Warehouse]:
    """Change the fields sent; null clears an optional field."""
    return await write.in_transaction(
        body, lambda ctx: reference.patch_warehouse(ctx, warehouse_id, body)
    )
