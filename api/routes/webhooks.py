"""Webhook endpoints (role admin): every export event of the account, signed and pushed."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AdminCall, AdminWrite
from api.idempotency import Sent
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.webhooks import (
    DeliveryPage,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPatch,
)
from services import webhooks
from services.pages import PageRequest
from services.webhooks import DeliveryQuery

router = APIRouter(prefix="/api/webhook-endpoints", tags=["webhooks"])
DeliveryCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="cursor")]


@router.post(
    "", status_code=201, response_model=WebhookEndpoint, responses=error_responses(403, 409)
)
async def create_endpoint(body: WebhookEndpointCreate, write: AdminWrite) -> Sent[WebhookEndpoint]:
    """Subscribe a URL to the account's export events (`secret` is write-only)."""
    return await write.in_transaction(body, lambda ctx: webhooks.create(ctx, body))


@router.get("", response_model=Page[WebhookEndpoint], responses=error_responses(403))
async def list_endpoints(
    ctx: AdminCall, cursor: Cursor = None, limit: Limit = 50
) -> Page[WebhookEndpoint]:
    """The account's endpoints."""
    return page_of(await webhooks.list_all(ctx, PageRequest(cursor, limit)), limit)


@router.get("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403))
async def get_endpoint(endpoint_id: str, ctx: AdminCall) -> WebhookEndpoint:
    """One endpoint."""
    return await webhooks.get(ctx, endpoint_id)


@router.patch("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403, 409))
async def patch_endpoint(
    endpoint_id: str, body: WebhookEndpointPatch, write: AdminWrite
) -> Sent[WebhookEndpoint]:
    """Change the fields sent."""
    return await write.in_transaction(body, lambda ctx: webhooks.update(ctx, endpoint_id, body))


@router.delete("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403))
async def delete_endpoint(endpoint_id: str, ctx: AdminCall) -> WebhookEndpoint:
    """Stop the endpoint: nothing more is sent to it, pending deliveries are dropped; deleting
    it again changes nothing."""
    return await webhooks.delete(ctx, endpoint_id)


@router.get(
    "/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=error_responses(403)
)
async def list_deliveries(
    endpoint_id: str, ctx: AdminCall, cursor: DeliveryCursor = None, limit: Limit = 50
) -> DeliveryPage:
    """What was sent to the endpoint, newest first, with attempts and the last error."""
    before = int(cursor) if cursor else None
    return await webhooks.deliveries(ctx, DeliveryQuery(endpoint_id, before, limit))
