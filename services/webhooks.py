"""Webhook endpoints of an account: where its export events are pushed (issue 13)."""

from typing import Any

from config.settings import Settings
from domain.addresses import url_host
from services.context import Runtime
from services.errors import Invalid, Issue
from store import webhooks
from store.resolver import Unresolved, outbound_refusal
from store.webhooks import DeliveryRecord, EndpointRecord

PRIVATE_REFUSED = (
    "must reach a public address: loopback, private, link-local, multicast, reserved and "
    "unspecified addresses are refused"
)


async def check_url(rt: Runtime, url: str, path: str = "url") -> None:
    """Invalid (an issue at `path`) when the URL may not be called: see `check_outbound_url`."""
    await check_outbound_url(rt.settings, url, path)


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


async def create(conn: Any, rt: Runtime, account_id: str, fields: dict[str, Any]) -> EndpointRecord:
    """A new endpoint, on the request's transaction."""
    await check_url(rt, fields["url"])
    return await webhooks.create_endpoint(
        conn,
        account_id,
        fields["url"],
        fields["secret"],
        fields.get("eventTypes"),
        fields.get("description"),
    )


async def update(
    conn: Any, rt: Runtime, account_id: str, endpoint_id: str, fields: dict[str, Any]
) -> EndpointRecord:
    """Change the fields sent, on the request's transaction."""
    if "url" in fields:
        await check_url(rt, fields["url"])
    return await webhooks.update_endpoint(conn, account_id, endpoint_id, fields)


async def get(rt: Runtime, account_id: str, endpoint_id: str) -> EndpointRecord:
    """One endpoint."""
    async with rt.pool.acquire() as conn:
        return await webhooks.get_endpoint(conn, account_id, endpoint_id)


async def list_all(
    rt: Runtime, account_id: str, after: str | None, limit: int
) -> list[EndpointRecord]:
    """The account's endpoints."""
    async with rt.pool.acquire() as conn:
        return await webhooks.list_endpoints(conn, account_id, after, limit)


async def delete(rt: Runtime, account_id: str, endpoint_id: str) -> EndpointRecord:
    """Stop an endpoint; its pending deliveries are dropped."""
    async with rt.pool.acquire() as conn, conn.transaction():
        return await webhooks.delete_endpoint(conn, account_id, endpoint_id)


async def deliveries(
    rt: Runtime, account_id: str, endpoint_id: str, before: int | None, limit: int
) -> list[DeliveryRecord]:
    """The endpoint's deliveries, newest first."""
    async with rt.pool.acquire() as conn:
        await webhooks.get_endpoint(conn, account_id, endpoint_id)
        return await webhooks.list_deliveries(conn, endpoint_id, before, limit)


def endpoint_view(row: EndpointRecord) -> dict[str, Any]:
    """An endpoint as shown (never its secret)."""
    return {
        "id": row.id,
        "accountId": row.account_id,
        "url": row.url,
        "eventTypes": row.event_types,
        "description": row.description,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
        "deletedAt": row.deleted_at,
    }


def delivery_view(row: DeliveryRecord) -> dict[str, Any]:
    """One delivery, with when it is tried next while it is pending."""
    return {
        "id": str(row.id),
        "eventId": row.event_id,
        "exportId": row.export_id,
        "seq": row.seq,
        "type": row.event_type,
        "status": row.status,
        "attempts": row.attempts,
        "nextAttemptAt": row.next_attempt_at if row.status == "PENDING" else None,
        "lastError": row.last_error,
        "lastStatusCode": row.last_status_code,
        "createdAt": row.created_at,
        "deliveredAt": row.delivered_at,
    }
