"""Warehouses and brokers: rows in, models out; every query is scoped to the account."""

from typing import Any

import asyncpg

from domain.reference import Address, Broker, EmailTransportView, Warehouse, WebhookTransport
from store.errors import NotFound
from store.ids import new_id


def warehouse_from_row(row: asyncpg.Record) -> Warehouse:
    """Row → model."""
    return Warehouse(
        id=row["id"],
        name=row["name"],
        address=Address.model_validate(row["address"]),
        shipmentMode=row["shipment_mode"],
        notificationUrl=row["notification_url"],
        hasNotificationSecret=row["notification_secret"] is not None,
        createdAt=row["created_at"],
        updatedAt=row["updated_at"],
    )


def broker_from_row(row: asyncpg.Record) -> Broker:
    """Row → model."""
    transport: EmailTransportView | WebhookTransport
    if row["transport_type"] == "email":
        transport = EmailTransportView(type="email", recipientEmail=row["recipient_email"])
    else:
        transport = WebhookTransport(type="webhook", url=row["webhook_url"])
    return Broker(
        id=row["id"],
        name=row["name"],
        filerCode=row["filer_code"],
        transport=transport,
        classifiesGoods=row["classifies_goods"],
        supportedDestinations=list(row["supported_destinations"]),
        customsBond=row["customs_bond"],
        createdAt=row["created_at"],
        updatedAt=row["updated_at"],
    )


_WAREHOUSE_COLUMNS = {
    "name": "name",
    "address": "address",
    "shipmentMode": "shipment_mode",
    "notificationUrl": "notification_url",
    "notificationSecret": "notification_secret",
}

_BROKER_COLUMNS = {
    "name": "name",
    "filerCode": "filer_code",
    "classifiesGoods": "classifies_goods",
    "supportedDestinations": "supported_destinations",
    "customsBond": "customs_bond",
    "transport_type": "transport_type",
    "recipient_email": "recipient_email",
    "webhook_url": "webhook_url",
    "webhook_secret": "webhook_secret",
}


def broker_columns(fields: dict[str, Any]) -> dict[str, Any]:
    """Flatten a broker's `transport` into its columns (other transport's columns cleared)."""
    out = {k: v for k, v in fields.items() if k != "transport"}
    transport = fields.get("transport")
    if transport is not None:
        out["transport_type"] = transport["type"]
        out["recipient_email"] = transport.get("recipientEmail")
        out["webhook_url"] = transport.get("url")
        out["webhook_secret"] = transport.get("secret")
    return out


async def create_warehouse(conn: Any, account_id: str, fields: dict[str, Any]) -> Warehouse:
    """Insert a warehouse."""
    row = await conn.fetchrow(
        """INSERT INTO warehouses (id, account_id, name, address, shipment_mode,
                                   notification_url, notification_secret)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
        new_id("wh"),
        account_id,
        fields["name"],
        fields["address"],
        fields.get("shipmentMode") or "PARCEL_DTC",
        fields.get("notificationUrl"),
        fields.get("notificationSecret"),
    )
    return warehouse_from_row(row)


async def create_broker(conn: Any, account_id: str, fields: dict[str, Any]) -> Broker:
    """Insert a broker."""
    cols = broker_columns(fields)
    row = await conn.fetchrow(
        """INSERT INTO brokers (id, account_id, name, filer_code, transport_type, recipient_email,
                                webhook_url, webhook_secret, classifies_goods,
                                supported_destinations, customs_bond)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *""",
        new_id("br"),
        account_id,
        cols["name"],
        cols.get("filerCode"),
        cols["transport_type"],
        cols.get("recipient_email"),
        cols.get("webhook_url"),
        cols.get("webhook_secret"),
        bool(cols.get("classifiesGoods", False)),
        cols.get("supportedDestinations") or ["US"],
        cols.get("customsBond"),
    )
    return broker_from_row(row)


async def _patch(
    conn: Any,
    table: str,
    columns: dict[str, str],
    row_id: str,
    account_id: str,
    values: dict[str, Any],
) -> Any:
    sets = [f"{columns[k]} = ${i + 3}" for i, k in enumerate(values)]
    sets.append("updated_at = now()")
    return await conn.fetchrow(
        f"UPDATE {table} SET {', '.join(sets)} WHERE id = $1 AND account_id = $2 RETURNING *",
        row_id,
        account_id,
        *values.values(),
    )


async def patch_warehouse(
    conn: Any, account_id: str, warehouse_id: str, fields: dict[str, Any]
) -> Warehouse:
    """Change the given fields of a warehouse."""
    row = await _patch(conn, "warehouses", _WAREHOUSE_COLUMNS, warehouse_id, account_id, fields)
    if row is None:
        raise NotFound("warehouse")
    return warehouse_from_row(row)


async def patch_broker(
    conn: Any, account_id: str, broker_id: str, fields: dict[str, Any]
) -> Broker:
    """Change the given fields of a broker (a new transport replaces the old one whole)."""
    row = await _patch(
        conn, "brokers", _BROKER_COLUMNS, broker_id, account_id, broker_columns(fields)
    )
    if row is None:
        raise NotFound("broker")
    return broker_from_row(row)


async def get_warehouse_row(conn: Any, account_id: str, warehouse_id: str) -> Any:
    """The raw row (with secret) or None."""
    return await conn.fetchrow(
        "SELECT * FROM warehouses WHERE id = $1 AND account_id = $2", warehouse_id, account_id
    )


async def get_broker_row(conn: Any, account_id: str, broker_id: str) -> Any:
    """The raw row (with secret) or None."""
    return await conn.fetchrow(
        "SELECT * FROM brokers WHERE id = $1 AND account_id = $2", broker_id, account_id
    )


async def get_warehouse(conn: Any, account_id: str, warehouse_id: str) -> Warehouse:
    """One warehouse of the account."""
    row = await get_warehouse_row(conn, account_id, warehouse_id)
    if row is None:
        raise NotFound("warehouse")
    return warehouse_from_row(row)


async def get_broker(conn: Any, account_id: str, broker_id: str) -> Broker:
    """One broker of the account."""
    row = await get_broker_row(conn, account_id, broker_id)
    if row is None:
        raise NotFound("broker")
    return broker_from_row(row)


_PAGE = """SELECT * FROM {table} WHERE account_id = $1 AND ($2::text IS NULL OR id > $2)
           ORDER BY id LIMIT $3"""


async def list_warehouses(
    conn: Any, account_id: str, *, after: str | None = None, limit: int | None = None
) -> list[Warehouse]:
    """The account's warehouses, oldest first; a page after `after` when `limit` is given."""
    rows = await conn.fetch(_PAGE.format(table="warehouses"), account_id, after, limit)
    return [warehouse_from_row(r) for r in rows]


async def list_brokers(
    conn: Any, account_id: str, *, after: str | None = None, limit: int | None = None
) -> list[Broker]:
    """The account's brokers, oldest first; a page after `after` when `limit` is given."""
    rows = await conn.fetch(_PAGE.format(table="brokers"), account_id, after, limit)
    return [broker_from_row(r) for r in rows]
