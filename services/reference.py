"""Reference data of an account: warehouses and brokers (CONTRACT §6).

Both are the same use cases over two record kinds: create, patch, get, list. Writes run on the
unit of work's transaction (`ctx.conn`), which also holds the idempotency key. The URLs we will
POST to (a warehouse's `notificationUrl`, a broker's webhook `transport.url`) must reach public
addresses, as webhook endpoints' do (`services.webhooks.check_outbound_url`): checked here
before anything is written, and again after DNS before each send (activities/).
"""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from config.settings import Settings
from domain.reference import Broker, Warehouse, WebhookTransportIn
from services.context import Context
from services.models.reference import BrokerCreate, BrokerPatch, WarehouseCreate, WarehousePatch
from services.pages import PageRequest
from services.webhooks import check_outbound_url
from store import reference
from store.db import Connection

T = TypeVar("T")
# what every writer of a warehouse or a broker sends the store: the body's wire fields, without
# the account (the caller's) and the idempotency key (the unit of work's)
_NOT_STORED = {"account_id", "idempotency_key"}


async def check_outbound_urls(settings: Settings, body: BaseModel) -> None:
    """Invalid when a URL of a warehouse or broker body may not be called
    (`check_outbound_url`): the check every writer applies before writing (the CLI as well)."""
    sent = body.model_fields_set
    url = getattr(body, "notification_url", None)
    if "notification_url" in sent and url is not None:
        await check_outbound_url(settings, url, "notificationUrl")
    transport = getattr(body, "transport", None)
    if "transport" in sent and isinstance(transport, WebhookTransportIn):
        await check_outbound_url(settings, transport.url, "transport.url")


async def _write(
    ctx: Context,
    body: BaseModel,
    fields: dict[str, Any],
    store: Callable[[Connection, dict[str, Any]], Awaitable[T]],
) -> T:
    await check_outbound_urls(ctx.settings, body)
    async with ctx.transaction() as conn:
        return await store(conn, fields)


async def create_warehouse(ctx: Context, body: WarehouseCreate) -> Warehouse:
    """A new warehouse."""
    return await _write(
        ctx,
        body,
        body.model_dump(mode="json", exclude=_NOT_STORED),
        lambda c, f: reference.create_warehouse(c, ctx.account_id, f),
    )


async def patch_warehouse(ctx: Context, warehouse_id: str, body: WarehousePatch) -> Warehouse:
    """Change the fields sent; None clears an optional field."""
    return await _write(
        ctx,
        body,
        body.model_dump(mode="json", exclude_unset=True),
        lambda c, f: reference.patch_warehouse(c, ctx.account_id, warehouse_id, f),
    )


async def get_warehouse(ctx: Context, warehouse_id: str) -> Warehouse:
    """One warehouse."""
    async with ctx.connect() as conn:
        return await reference.get_warehouse(conn, ctx.account_id, warehouse_id)


async def list_warehouses(ctx: Context, page: PageRequest | None) -> list[Warehouse]:
    """The account's warehouses, oldest first."""
    async with ctx.connect() as conn:
        after, limit = PageRequest.bounds(page)
        return await reference.list_warehouses(conn, ctx.account_id, after=after, limit=limit)


async def create_broker(ctx: Context, body: BrokerCreate) -> Broker:
    """A new broker."""
    return await _write(
        ctx,
        body,
        body.model_dump(mode="json", exclude=_NOT_STORED),
        lambda c, f: reference.create_broker(c, ctx.account_id, f),
    )


async def patch_broker(ctx: Context, broker_id: str, body: BrokerPatch) -> Broker:
    """Change the fields sent; a transport replaces the whole transport."""
    return await _write(
        ctx,
        body,
        body.model_dump(mode="json", exclude_unset=True),
        lambda c, f: reference.patch_broker(c, ctx.account_id, broker_id, f),
    )


async def get_broker(ctx: Context, broker_id: str) -> Broker:
    """One broker."""
    async with ctx.connect() as conn:
        return await reference.get_broker(conn, ctx.account_id, broker_id)


async def list_brokers(ctx: Context, page: PageRequest | None) -> list[Broker]:
    """The account's brokers, oldest first."""
    async with ctx.connect() as conn:
        after, limit = PageRequest.bounds(page)
        return await reference.list_brokers(conn, ctx.account_id, after=after, limit=limit)
