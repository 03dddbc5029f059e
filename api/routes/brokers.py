"""Brokers: the customs brokers an export is handed to (CONTRACT §6, role admin)."""

from fastapi import APIRouter

from api.deps import AdminCall, AdminWrite, check_account_scope
from api.idempotency import Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.reference import BrokerCreate, BrokerPatch
from domain.reference import Broker
from services import reference
from services.pages import PageRequest

router = APIRouter(prefix="/api/brokers", tags=["brokers"])


@router.post("", status_code=201, response_model=Broker, responses=error_responses(403, 409))
async def create_broker(body: BrokerCreate, write: AdminWrite) -> Sent[Broker]:
    """Create a broker; a webhook transport's `secret` is write-only."""
    check_account_scope(write.principal, body.account_id)
    return await write.in_transaction(body, lambda ctx: reference.create_broker(ctx, body))


@router.get("", response_model=Page[Broker], responses=error_responses(403))
async def list_brokers(ctx: AdminCall, cursor: Cursor = None, limit: Limit = 50) -> Page[Broker]:
    """The account's brokers, oldest first."""
    return page_of(await reference.list_brokers(ctx, PageRequest(cursor, limit)), limit)


@router.get("/{broker_id}", response_model=Broker, responses=error_responses(403))
async def get_broker(broker_id: str, ctx: AdminCall) -> Broker:
    """One broker."""
    return await reference.get_broker(ctx, broker_id)


@router.patch("/{broker_id}", response_model=Broker, responses=error_responses(403, 409))
async def patch_broker(broker_id: str, body: BrokerPatch, write: AdminWrite) -> Sent[Broker]:
    """Change the fields sent; a `transport` replaces the whole transport."""
    return await write.in_transaction(
        body, lambda ctx: reference.patch_broker(ctx, broker_id, body)
    )
