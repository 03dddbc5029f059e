"""Webhook endpoints of an account: where its export events are pushed."""

from dataclasses import dataclass

from config.settings import Settings
from domain.addresses import url_host
from services.context import Context
from services.errors import Invalid, Issue
from services.models.webhooks import (
    DeliveryPage,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointPatch,
)
from services.pages import PageRequest
from store import webhooks
from store.resolver import Unresolved, outbound_refusal
from store.webhooks import DeliveryRecord, EndpointRecord

PRIVATE_REFUSED = (
    "must reach a public address: loopback, private, link-local, multicast, reserved and "
    "unspecified addresses are refused"
)


async def check_outbound_url(settings: Settings, url: str, path: str) -> None:
    """Invalid (an issue at `path`) when the URL has no usable host, or (unless
    ENTRYGO_ALLOW_PRIVATE_URLS) its host is or resolves to an address that is not public. A name
    that does not resolve now is accepted: it is resolved and checked again before every send.
    The one check for every URL we call on an account's behalf: webhook endpoints, broker
    webhook transports, warehouse notification URLs (it needs only the settings, so the CLI can
    apply it too)."""
    if url_host(url) is None:
        raise Invalid([Issue(path=path, message=f"{path} has no valid host", code="invalid_host")])
    if settings.allow_private_urls:
        return
    try:
        reason = await outbound_refusal(url)
    except Unresolved:
        return
    if reason is not None:
        message = f"{path} {PRIVATE_REFUSED} ({reason})"
        raise Invalid([Issue(path=path, message=message, code="private_address")])


@dataclass(frozen=True)
class DeliveryQuery:
    """A page of an endpoint's deliveries: before this delivery id, at most `limit`."""

    endpoint_id: str
    before: int | None
    limit: int


async def create(ctx: Context, body: WebhookEndpointCreate) -> WebhookEndpoint:
    """A new endpoint, on the unit of work's transaction."""
    await check_outbound_url(ctx.settings, body.url, "url")
    async with ctx.transaction() as conn:
        row = await webhooks.create_endpoint(
            conn, ctx.account_id, body.url, body.secret, body.event_types, body.description
        )
    return endpoint_view(row)


async def update(ctx: Context, endpoint_id: str, body: WebhookEndpointPatch) -> WebhookEndpoint:
    """Change the fields sent, on the unit of work's transaction."""
    fields = body.model_dump(exclude_unset=True)
    if "url" in fields:
        await check_outbound_url(ctx.settings, fields["url"], "url")
    async with ctx.transaction() as conn:
        row = await webhooks.update_endpoint(conn, ctx.account_id, endpoint_id, fields)
    return endpoint_view(row)


async def get(ctx: Context, endpoint_id: str) -> WebhookEndpoint:
    """One endpoint."""
    async with ctx.connect() as conn:
        return endpoint_view(await webhooks.get_endpoint(conn, ctx.account_id, endpoint_id))


async def list_all(ctx: Context, page: PageRequest) -> list[WebhookEndpoint]:
    """The account's endpoints."""
    async with ctx.connect() as conn:
        rows = await webhooks.list_endpoints(conn, ctx.account_id, page.after, page.limit)
    return [endpoint_view(r) for r in rows]


async def delete(ctx: Context, endpoint_id: str) -> WebhookEndpoint:
    """Stop an endpoint; its pending deliveries are dropped."""
    async with ctx.transaction() as conn:
        return endpoint_view(await webhooks.delete_endpoint(conn, ctx.account_id, endpoint_id))


async def deliveries(ctx: Context, query: DeliveryQuery) -> DeliveryPage:
    """The endpoint's deliveries, newest first."""
    async with ctx.connect() as conn:
        await webhooks.get_endpoint(conn, ctx.account_id, query.endpoint_id)
        rows = await webhooks.list_deliveries(conn, query.endpoint_id, query.before, query.limit)
    return DeliveryPage(
        data=[delivery_view(r) for r in rows],
        next_cursor=str(rows[-1].id) if len(rows) == query.limit else None,
    )


def endpoint_view(row: EndpointRecord) -> WebhookEndpoint:
    """An endpoint as shown (never its secret)."""
    return WebhookEndpoint(
        id=row.id,
        account_id=row.account_id,
        url=row.url,
        event_types=row.event_types,
        description=row.description,
        created_at=row.created_at,
        updated_at=row.updated_at,
        deleted_at=row.deleted_at,
    )


def delivery_view(row: DeliveryRecord) -> WebhookDelivery:
    """One delivery, with when it is tried next while it is pending."""
    return WebhookDelivery(
        id=str(row.id),
        event_id=row.event_id,
        export_id=row.export_id,
        destination_id=row.destination_id,
        seq=row.seq,
        type=row.event_type,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
        last_error=row.last_error,
        last_status_code=row.last_status_code,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )
