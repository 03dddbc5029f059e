"""Warehouses and brokers: rows in, models out; every query is scoped to the account."""

from typing import Any

from domain.reference import (
    Address,
    Broker,
    BrokerSla,
    CustomsBond,
    EmailTransportView,
    Warehouse,
    WebhookTransport,
)
from store.db import Connection, Queries, Row, one
from store.errors import NotFound
from store.ids import new_id
from store.records import BrokerRecord, WarehouseRecord


def warehouse_model(record: WarehouseRecord) -> Warehouse:
    """Record → the contract's model (the secret only as `hasNotificationSecret`)."""
    return Warehouse(
        id=record.id,
        name=record.name,
        address=Address.model_validate(record.address),
        shipment_mode=record.shipment_mode,
        notification_url=record.notification_url,
        has_notification_secret=record.notification_secret is not None,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def broker_model(record: BrokerRecord) -> Broker:
    """Record → the contract's model (the webhook secret left out)."""
    transport: EmailTransportView | WebhookTransport
    if record.transport_type == "email":
        assert record.recipient_email is not None  # an email transport is stored with its address
        transport = EmailTransportView(type="email", recipient_email=record.recipient_email)
    else:
        assert record.webhook_url is not None  # a webhook transport is stored with its URL
        transport = WebhookTransport(type="webhook", url=record.webhook_url)
    return Broker(
        id=record.id,
        name=record.name,
        filer_code=record.filer_code,
        transport=transport,
        classifies_goods=record.classifies_goods,
        supported_destinations=list(record.supported_destinations),
        customs_bond=(
            None if record.customs_bond is None else CustomsBond.model_validate(record.customs_bond)
        ),
        reports_release=record.reports_release,
        sla=BrokerSla.model_validate(record.sla) if record.sla else BrokerSla(),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


def _warehouse(row: Row | None) -> WarehouseRecord | None:
    return WarehouseRecord.from_row(row) if row is not None else None


def _broker(row: Row | None) -> BrokerRecord | None:
    return BrokerRecord.from_row(row) if row is not None else None


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


async def create_warehouse(conn: Connection, account_id: str, fields: dict[str, Any]) -> Warehouse:
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
    return warehouse_model(WarehouseRecord.from_row(one(row)))


async def create_broker(conn: Connection, account_id: str, fields: dict[str, Any]) -> Broker:
    """Insert a broker."""
    cols = broker_columns(fields)
    row = await conn.fetchrow(
        """INSERT INTO brokers (id, account_id, name, filer_code, transport_type, recipient_email,
                                webhook_url, webhook_secret, classifies_goods,
                                supported_destinations, customs_bond, reports_release, sla)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *""",
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
        bool(cols.get("reportsRelease", False)),
        cols.get("sla"),
    )
    return broker_model(BrokerRecord.from_row(one(row)))


# PATCH writes a column only when its field was sent (`$3` lists them); the SQL is fixed text
_PATCH_WAREHOUSE = """
UPDATE warehouses SET
    name = CASE WHEN 'name' = any($3::text[]) THEN $4::text ELSE name END,
    address = CASE WHEN 'address' = any($3::text[]) THEN $5::jsonb ELSE address END,
    shipment_mode = CASE WHEN 'shipmentMode' = any($3::text[]) THEN $6::text
                         ELSE shipment_mode END,
    notification_url = CASE WHEN 'notificationUrl' = any($3::text[]) THEN $7::text
                            ELSE notification_url END,
    notification_secret = CASE WHEN 'notificationSecret' = any($3::text[]) THEN $8::text
                               ELSE notification_secret END,
    updated_at = now()
WHERE id = $1 AND account_id = $2 RETURNING *"""

_PATCH_BROKER = """
UPDATE brokers SET
    name = CASE WHEN 'name' = any($3::text[]) THEN $4::text ELSE name END,
    filer_code = CASE WHEN 'filerCode' = any($3::text[]) THEN $5::text ELSE filer_code END,
    classifies_goods = CASE WHEN 'classifiesGoods' = any($3::text[]) THEN $6::boolean
                            ELSE classifies_goods END,
    supported_destinations = CASE WHEN 'supportedDestinations' = any($3::text[])
                                  THEN $7::text[] ELSE supported_destinations END,
    customs_bond = CASE WHEN 'customsBond' = any($3::text[]) THEN $8::jsonb
                        ELSE customs_bond END,
    transport_type = CASE WHEN 'transport' = any($3::text[]) THEN $9::text
                          ELSE transport_type END,
    recipient_email = CASE WHEN 'transport' = any($3::text[]) THEN $10::text
                           ELSE recipient_email END,
    webhook_url = CASE WHEN 'transport' = any($3::text[]) THEN $11::text ELSE webhook_url END,
    webhook_secret = CASE WHEN 'transport' = any($3::text[]) THEN $12::text
                          ELSE webhook_secret END,
    reports_release = CASE WHEN 'reportsRelease' = any($3::text[]) THEN $13::boolean
                           ELSE reports_release END,
    sla = CASE WHEN 'sla' = any($3::text[]) THEN $14::jsonb ELSE sla END,
    updated_at = now()
WHERE id = $1 AND account_id = $2 RETURNING *"""


async def patch_warehouse(
    conn: Connection, account_id: str, warehouse_id: str, fields: dict[str, Any]
) -> Warehouse:
    """Change the given fields of a warehouse."""
    row = await conn.fetchrow(
        _PATCH_WAREHOUSE,
        warehouse_id,
        account_id,
        list(fields),
        fields.get("name"),
        fields.get("address"),
        fields.get("shipmentMode"),
        fields.get("notificationUrl"),
        fields.get("notificationSecret"),
    )
    if row is None:
        raise NotFound("warehouse")
    return warehouse_model(WarehouseRecord.from_row(row))


async def patch_broker(
    conn: Connection, account_id: str, broker_id: str, fields: dict[str, Any]
) -> Broker:
    """Change the given fields of a broker (a new transport replaces the old one whole)."""
    cols = broker_columns(fields)
    row = await conn.fetchrow(
        _PATCH_BROKER,
        broker_id,
        account_id,
        list(fields),
        cols.get("name"),
        cols.get("filerCode"),
        cols.get("classifiesGoods"),
        cols.get("supportedDestinations"),
        cols.get("customsBond"),
        cols.get("transport_type"),
        cols.get("recipient_email"),
        cols.get("webhook_url"),
        cols.get("webhook_secret"),
        cols.get("reportsRelease"),
        cols.get("sla"),
    )
    if row is None:
        raise NotFound("broker")
    return broker_model(BrokerRecord.from_row(row))


async def get_warehouse_row(
    conn: Queries, account_id: str, warehouse_id: str
) -> WarehouseRecord | None:
    """The account's warehouse with its secret, or None."""
    return _warehouse(
        await conn.fetchrow(
            "SELECT * FROM warehouses WHERE id = $1 AND account_id = $2", warehouse_id, account_id
        )
    )


async def get_broker_row(conn: Queries, account_id: str, broker_id: str) -> BrokerRecord | None:
    """The account's broker with its secret, or None."""
    return _broker(
        await conn.fetchrow(
            "SELECT * FROM brokers WHERE id = $1 AND account_id = $2", broker_id, account_id
        )
    )


async def references_in_account(
    conn: Queries, account_id: str, warehouse_id: str, broker_id: str
) -> tuple[bool, bool]:
    """Whether the warehouse and the broker are the account's, in one round trip."""
    row = await conn.fetchrow(
        """SELECT EXISTS (SELECT 1 FROM warehouses WHERE id = $2 AND account_id = $1) AS warehouse,
                  EXISTS (SELECT 1 FROM brokers WHERE id = $3 AND account_id = $1) AS broker""",
        account_id,
        warehouse_id,
        broker_id,
    )
    assert row is not None
    return bool(row["warehouse"]), bool(row["broker"])


async def get_warehouse(conn: Queries, account_id: str, warehouse_id: str) -> Warehouse:
    """One warehouse of the account."""
    record = await get_warehouse_row(conn, account_id, warehouse_id)
    if record is None:
        raise NotFound("warehouse")
    return warehouse_model(record)


async def get_broker(conn: Queries, account_id: str, broker_id: str) -> Broker:
    """One broker of the account."""
    record = await get_broker_row(conn, account_id, broker_id)
    if record is None:
        raise NotFound("broker")
    return broker_model(record)


async def list_warehouses(
    conn: Queries, account_id: str, *, after: str | None = None, limit: int | None = None
) -> list[Warehouse]:
    """The account's warehouses, oldest first; a page after `after` when `limit` is given."""
    rows = await conn.fetch(
        """SELECT * FROM warehouses WHERE account_id = $1 AND ($2::text IS NULL OR id > $2)
           ORDER BY id LIMIT $3""",
        account_id,
        after,
        limit,
    )
    return [warehouse_model(WarehouseRecord.from_row(r)) for r in rows]


async def list_brokers(
    conn: Queries, account_id: str, *, after: str | None = None, limit: int | None = None
) -> list[Broker]:
    """The account's brokers, oldest first; a page after `after` when `limit` is given."""
    rows = await conn.fetch(
        """SELECT * FROM brokers WHERE account_id = $1 AND ($2::text IS NULL OR id > $2)
           ORDER BY id LIMIT $3""",
        account_id,
        after,
        limit,
    )
    return [broker_model(BrokerRecord.from_row(r)) for r in rows]


async def get_broker_by_id(conn: Queries, broker_id: str) -> BrokerRecord | None:
    """A broker with its secret, for the worker (None: no such broker)."""
    return _broker(await conn.fetchrow("SELECT * FROM brokers WHERE id = $1", broker_id))


async def get_warehouse_by_id(conn: Queries, warehouse_id: str) -> WarehouseRecord | None:
    """A warehouse with its secret, for the worker (None: no such warehouse)."""
    return _warehouse(await conn.fetchrow("SELECT * FROM warehouses WHERE id = $1", warehouse_id))


async def broker_callback_secret(conn: Queries, broker_id: str) -> str | None:
    """The secret a broker signs its callbacks with (None: unknown broker, or none set)."""
    secret: str | None = await conn.fetchval(
        "SELECT webhook_secret FROM brokers WHERE id = $1", broker_id
    )
    return secret
