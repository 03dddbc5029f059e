"""Brokers: the customs brokers an export is handed to (CONTRACT §6, role admin)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Admin, RuntimeDep, check_account_scope
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import BrokerCreate, BrokerPatch
from domain.reference import Broker
from services import reference

router = APIRouter(prefix="/api/brokers", tags=["brokers"])


@router.post("", status_code=201, response_model=Broker, responses=error_responses(403, 409))
async def create_broker(
    request: Request, body: BrokerCreate, principal: Admin, rt: RuntimeDep
) -> Response:
    """Create a broker; a webhook transport's `secret` is write-only."""
    check_account_scope(principal, body.accountId)
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(mode="json", exclude={"accountId", "idempotencyKey"})
        broker = await reference.create_broker(write.conn, rt, principal.account_id, fields)
        return await write.respond(201, broker)


@router.get("", response_model=Page[Broker], responses=error_responses(403))
async def list_brokers(
    principal: Admin, rt: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[Broker]:
    """The account's brokers, oldest first."""
    rows = await reference.list_brokers(rt, principal.account_id, cursor, limit)
    return page_of(rows, limit)


@router.get("/{broker_id}", response_model=Broker, responses=error_responses(403))
async def get_broker(broker_id: str, principal: Admin, rt: RuntimeDep) -> Broker:
    """One broker."""
    return await reference.get_broker(rt, principal.account_id, broker_id)


@router.patch("/{broker_id}", response_model=Broker, responses=error_responses(403, 409))
async def patch_broker(
    request: Request, broker_id: str, body: BrokerPatch, principal: Admin, rt: RuntimeDep
) -> Response:
    """Change the fields sent; a `transport` replaces the whole transport."""
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(mode="json", exclude_unset=True)
        broker = await reference.patch_broker(
            write.conn, rt, principal.account_id, broker_id, fields
        )
        return await write.respond(200, broker)
