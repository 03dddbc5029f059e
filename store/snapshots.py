"""Planning snapshots: everything one planning run reads, loaded in four queries."""

from domain.planning.models import (
    BrokerSnapshot,
    LineSnapshot,
    OrderSnapshot,
    PlanningSnapshot,
    ProductSnapshot,
    WarehouseSnapshot,
)
from domain.screening.lists import ScreeningList
from store.db import Connection
from store.errors import NotFound
from store.records import ExportRecord
from store.reference import get_broker_row, get_warehouse_row
from store.screening import current_version, load_list


async def load_snapshot(
    conn: Connection,
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
                product_id=r["product_id"],
                quantity=r["quantity"],
                unit_value_usd=r["unit_value_usd"],
            )
        )
    return PlanningSnapshot(
        destination_country=destination,
        warehouse=WarehouseSnapshot(
            id=warehouse.id,
            country=warehouse.address["country"],
            shipment_mode=warehouse.shipment_mode,
        ),
        broker=BrokerSnapshot(
            id=broker.id,
            transport_type=broker.transport_type,
            recipient_email=broker.recipient_email,
            url=broker.webhook_url,
            classifies_goods=broker.classifies_goods,
            supported_destinations=list(broker.supported_destinations),
            has_customs_bond=broker.customs_bond is not None,
        ),
        requested_order_ids=list(order_ids),
        screening_list_version=await current_version(conn),
        orders={
            r["id"]: OrderSnapshot(
                id=r["id"],
                external_id=r["external_id"],
                destination_country=r["destination_country"],
                destination_region=r["destination_region"],
                destination_postal_code=r["destination_postal_code"],
                consignee=r["consignee"],
                items=lines[r["id"]],
            )
            for r in order_rows
        },
        products={
            r["id"]: ProductSnapshot(
                id=r["id"],
                external_id=r["external_id"],
                description=r["description"],
                hs_code=r["hs_code"],
                country_of_origin=r["country_of_origin"],
                unit_value_usd=r["unit_value_usd"],
                weight_kg=r["weight_kg"],
                manufacturer=r["manufacturer"],
                attributes=r["attributes"] or {},
            )
            for r in product_rows
        },
    )


async def export_snapshot(conn: Connection, export: ExportRecord) -> PlanningSnapshot:
    """The snapshot of an export's inputs as they are now."""
    return await load_snapshot(
        conn,
        export.account_id,
        export.warehouse_id,
        export.broker_id,
        export.destination_country,
        list(export.order_ids),
    )


async def screening_list_for(conn: Connection, snapshot: PlanningSnapshot) -> ScreeningList | None:
    """The restricted-party list the snapshot names, loaded for matching (None if none is)."""
    version = snapshot.screening_list_version
    return None if version is None else await load_list(conn, version)
