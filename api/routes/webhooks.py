"""Webhook endpoints (role admin): every export event of the account, signed and pushed."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import Admin, RuntimeDep
from api.idempotency import begin_write
from api.openapi import error_responses
from api.pagination import Cursor, Limit, Page, page_of
from api.schemas.webhooks import (
    DeliveryPage,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPatch,
)
from services import webhooks

router = APIRouter(prefix="/api/webhook-endpoints", tags=["webhooks"])
DeliveryCursor = Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="cursor")]


@router.post(
    "", status_code=201, response_model=WebhookEndpoint, responses=error_responses(403, 409)
)
async def create_endpoint(
    request: Request, body: WebhookEndpointCreate, principal: Admin, rt: RuntimeDep
) -> Response:
    """Subscribe a URL to the account's export events (`secret` is write-only)."""
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(exclude={"idempotencyKey"})
        row = await webhooks.create(write.conn, rt, principal.account_id, fields)
        return await write.respond(201, webhooks.endpoint_view(row))


@router.get("", response_model=Page[WebhookEndpoint], responses=error_responses(403))
async def list_endpoints(
    principal: Admin, rt: RuntimeDep, cursor: Cursor = None, limit: Limit = 50
) -> Page[WebhookEndpoint]:
    """The account's endpoints."""
    rows = await webhooks.list_all(rt, principal.account_id, cursor, limit)
    return page_of([WebhookEndpoint(**webhooks.endpoint_view(r)) for r in rows], limit)


@router.get("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403))
async def get_endpoint(endpoint_id: str, principal: Admin, rt: RuntimeDep) -> WebhookEndpoint:
    """One endpoint."""
    return WebhookEndpoint(
        **webhooks.endpoint_view(await webhooks.get(rt, principal.account_id, endpoint_id))
    )


@router.patch("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403, 409))
async def patch_endpoint(
    request: Request,
    endpoint_id: str,
    body: WebhookEndpointPatch,
    principal: Admin,
    rt: RuntimeDep,
) -> Response:
    """Change the fields sent."""
    async with begin_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        fields = body.model_dump(exclude_unset=True)
        row = await webhooks.update(write.conn, rt, principal.account_id, endpoint_id, fields)
        return await write.respond(200, webhooks.endpoint_view(row))


@router.delete("/{endpoint_id}", response_model=WebhookEndpoint, responses=error_responses(403))
async def delete_endpoint(endpoint_id: str, principal: Admin, rt: RuntimeDep) -> WebhookEndpoint:
    """Stop the endpoint: nothing more is sent to it, pending deliveries are dropped; deleting
    it again changes nothing."""
    return WebhookEndpoint(
        **webhooks.endpoint_view(await webhooks.delete(rt, principal.account_id, endpoint_id))
    )


@router.get(
    "/{endpoint_id}/deliveries", response_model=DeliveryPage, responses=error_responses(403)
)
async def list_deliveries(
    endpoint_id: str,
    principal: Admin,
    rt: RuntimeDep,
    cursor: DeliveryCursor = None,
    limit: Limit = 50,
) -> DeliveryPage:
    """What was sent to the endpoint, newest first, with attempts and the last error."""
    before = int(cursor) if cursor else None
    rows = await webhooks.deliveries(rt, principal.account_id, endpoint_id, before, limit)
    return DeliveryPage(
        data=[WebhookDelivery(**webhooks.delivery_view(r)) for r in rows],
        nextCursor=str(rows[-1].id) if len(rows) == limit else None,
    )
