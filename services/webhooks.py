"""Webhook endpoints of an account: where its export events are pushed (issue 13)."""

import asyncio
import socket
from typing import Any
from urllib.parse import urlsplit

from domain.addresses import fixed_addresses, non_public
from services.context import Runtime
from services.errors import Invalid, Issue
from store import webhooks
from store.webhooks import DeliveryRecord, EndpointRecord

PRIVATE_REFUSED = (
    "url must reach a public address: loopback, private, link-local, multicast and unspecified "
    "addresses are refused"
)


async def check_url(rt: Runtime, url: str) -> None:
    """Invalid when the URL has no usable host, or (unless ENTRYGO_ALLOW_PRIVATE_URLS) its host
    is or resolves to an address that is not public. A name that does not resolve now is
    accepted: it is resolved and checked again before every delivery."""
    try:
        host = (urlsplit(url).hostname or "").lower()
        usable = bool(host) and bool(host.encode("idna"))
    except (ValueError, UnicodeError):  # UnicodeError is a ValueError; both are named
        host, usable = "", False
    if not usable:
        raise Invalid([Issue(path="url", message="url has no valid host", code="invalid_host")])
    if rt.settings.allow_private_urls:
        return
    addresses = fixed_addresses(host)
    if addresses is None:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except socket.gaierror:
            return
        addresses = [str(info[4][0]) for info in infos]
    if non_public(addresses):
        raise Invalid([Issue(path="url", message=PRIVATE_REFUSED, code="private_address")])


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
