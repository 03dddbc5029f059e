"""Warehouses: the account's ship-from locations (CONTRACT §6, role admin)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Admin, RuntimeDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import WarehouseCreate, WarehousePatch
from domain.reference import Warehouse
from services import reference

router = APIRouter(prefix="/api/warehouses", tags=["warehouses"])


@router.post("", status_code=201, response_model=Warehouse, responses=error_responses(403, 409))
async def create_warehouse(
    request: Request, body: WarehouseCreate, principal: Admin, rt: RuntimeDep
) -> Response:
    """Create a warehouse; `notificationSecret` (signs its webhooks) is write-only."""
    check_account_scope(principal, body.accountId)
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(mode="json", exclude={"accountId", "idempotencyKey"})
        warehouse = await reference.create_warehouse(write.conn, rt, principal.account_id, fields)
        return await write.respond(201, warehouse)


@router.get("", response_model=Page[Warehouse], responses=error_responses(403))
async def list_warehouses(
    principal: Admin, rt: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[Warehouse]:
    """The account's warehouses, oldest first."""
    rows = await reference.list_warehouses(rt, principal.account_id, cursor, limit)
    return page_of(rows, limit)


@router.get("/{warehouse_id}", response_model=Warehouse, responses=error_responses(403))
async def get_warehouse(warehouse_id: str, principal: Admin, rt: RuntimeDep) -> Warehouse:
    """One warehouse."""
    return await reference.get_warehouse(rt, principal.account_id, warehouse_id)


@router.patch("/{warehouse_id}", response_model=Warehouse, responses=error_responses(403, 409))
async def patch_warehouse(
    request: Request, warehouse_id: str, body: WarehousePatch, principal: Admin, rt: RuntimeDep
) -> Response:
    """Change the fields sent; null clears an optional field."""
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(mode="json", exclude_unset=True)
        warehouse = await reference.patch_warehouse(
            write.conn, rt, principal.account_id, warehouse_id, fields
        )
        return await write.respond(200, warehouse)
