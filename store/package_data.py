"""Read the rows a customs package's documents are assembled from (domain/documents/assembly)."""

from domain.documents.sources import (
    BrokerSource,
    LineSource,
    OrderSource,
    PackageSource,
    WarehouseSource,
)
from store.db import Connection, one

_LINES = """
SELECT l.order_id, l.product_id, p.external_id AS sku, p.description, l.quantity,
       l.unit_value_usd, l.line_value_usd, p.hs_code, p.country_of_origin, p.weight_kg,
       p.manufacturer
FROM order_lines l JOIN products p ON p.id = l.product_id
WHERE l.order_id = any($1::text[]) ORDER BY l.order_id, l.line_no
"""


async def load_package_source(
    conn: Connection, warehouse_id: str, broker_id: str, order_ids: list[str]
) -> PackageSource:
    """The warehouse, broker, orders and lines as they are now."""
    warehouse = await conn.fetchrow(
        "SELECT name, address FROM warehouses WHERE id = $1", warehouse_id
    )
    broker = await conn.fetchrow(
        "SELECT name, recipient_email, webhook_url, filer_code FROM brokers WHERE id = $1",
        broker_id,
    )
    orders = await conn.fetch(
        """SELECT id, external_id, consignee, destination_country, destination_region,
                  destination_postal_code
           FROM orders WHERE id = any($1::text[])""",
        order_ids,
    )
    lines = await conn.fetch(_LINES, order_ids)
    return PackageSource(
        warehouse=WarehouseSource(**dict(one(warehouse))),
        broker=BrokerSource(**dict(one(broker))),
        orders={r["id"]: OrderSource(**dict(r)) for r in orders},
        lines=[LineSource(**dict(r)) for r in lines],
    )
