"""Planning snapshots: everything one planning run reads, loaded in four queries."""

from typing import Any

from domain.planning.models import (
    BrokerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    PlanningSnapshot,
    ProductSnapshot,
    WarehouseSnapshot,
)
from store.errors import NotFound
from store.records import ExportRecord
from store.reference import get_broker_row, get_warehouse_row


async def load_snapshot(
    conn: Any,
    account_id: str,
    warehouse_id: str,
    broker_id: str,
    destination: str,
    order_ids: list[str],
) -> PlanningSnapshot:
    """The snapshot for a plan; order ids not synced in the account are simply absent."""
    warehouse = await get_warehouse_row(conn, account_id, warehouse_id)
    if warehouse is None:
        raise NotFound("warehouse")
    broker = await get_broker_row(conn, account_id, broker_id)
    if broker is None:
        raise NotFound("broker")
    order_rows = await conn.fetch(
        "SELECT * FROM orders WHERE account_id = $1 AND id = any($2::text[])",
        account_id,
        sorted(set(order_ids)),
    )
    line_rows = await conn.fetch(
        "SELECT * FROM order_lines WHERE order_id = any($1::text[]) ORDER BY order_id, line_no",
        [r["id"] for r in order_rows],
    )
    product_rows = await conn.fetch(
        "SELECT * FROM products WHERE account_id = $1 AND id = any($2::text[])",
        account_id,
        sorted({r["product_id"] for r in line_rows}),
    )
    lines: dict[str, list[LineSnapshot]] = {r["id"]: [] for r in order_rows}
    for r in line_rows:
        lines[r["order_id"]].append(
            LineSnapshot(
                productId=r["product_id"], quantity=r["quantity"], unitValueUsd=r["unit_value_usd"]
            )
        )
    return PlanningSnapshot(
        destinationCountry=destination,
        warehouse=WarehouseSnapshot(
            id=warehouse.id,
            country=warehouse.address["country"],
            shipmentMode=warehouse.shipment_mode,
        ),
        broker=BrokerSnapshot(
            id=broker.id,
            transportType=broker.transport_type,
            recipientEmail=broker.recipient_email,
            url=broker.webhook_url,
            classifiesGoods=broker.classifies_goods,
            supportedDestinations=list(broker.supported_destinations),
            hasCustomsBond=broker.customs_bond is not None,
        ),
        requestedOrderIds=list(order_ids),
        orders={
            r["id"]: OrderSnapshot(
                id=r["id"],
                externalId=r["external_id"],
                destinationCountry=r["destination_country"],
                destinationRegion=r["destination_region"],
                destinationPostalCode=r["destination_postal_code"],
                consignee=r["consignee"],
                items=lines[r["id"]],
            )
            for r in order_rows
        },
        products={
            r["id"]: ProductSnapshot(
                id=r["id"],
                externalId=r["external_id"],
                description=r["description"],
                hsCode=r["hs_code"],
                countryOfOrigin=r["country_of_origin"],
                unitValueUsd=r["unit_value_usd"],
                weightKg=r["weight_kg"],
                manufacturer=r["manufacturer"],
                attributes=r["attributes"] or {},
            )
            for r in product_rows
        },
    )


async def export_snapshot(conn: Any, export: ExportRecord) -> PlanningSnapshot:
    """The snapshot of an export's inputs as they are now."""
    return await load_snapshot(
        conn,
        export.account_id,
        export.warehouse_id,
        export.broker_id,
        export.destination_country,
        list(export.order_ids),
    )
