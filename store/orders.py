"""Orders: bulk upsert by externalId; lines replaced only when the order's content changed."""

import json
from decimal import Decimal
from typing import Any

from domain.catalog import Order, OrderIn, OrderLine
from domain.order_content import content_hash, order_value, resolve_lines
from store.db import Connection, Queries, Row
from store.errors import NotFound
from store.ids import new_id

_UPSERT = """
INSERT INTO orders AS o (id, account_id, external_id, destination_country, destination_region,
                         destination_postal_code, consignee, metadata, order_value_usd,
                         content_hash)
SELECT i.id, $1, i.external_id, i.country, i.region, i.postal, i.consignee::jsonb,
       i.metadata::jsonb, i.value, i.content_hash
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
            $9::text[]::numeric[], $10::bytea[])
     AS i(id, external_id, country, region, postal, consignee, metadata, value, content_hash)
ON CONFLICT (account_id, external_id) DO UPDATE SET
    destination_country = EXCLUDED.destination_country,
    destination_region = EXCLUDED.destination_region,
    destination_postal_code = EXCLUDED.destination_postal_code,
    consignee = EXCLUDED.consignee, metadata = EXCLUDED.metadata,
    order_value_usd = EXCLUDED.order_value_usd, content_hash = EXCLUDED.content_hash,
    version = o.version + 1, updated_at = now()
WHERE o.content_hash <> EXCLUDED.content_hash OR o.metadata IS DISTINCT FROM EXCLUDED.metadata
RETURNING o.*
"""

_INSERT_LINES = """
INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_value_usd, line_value_usd)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[]::numeric[],
                     $6::text[]::numeric[])
"""


def _text(value: Decimal | None) -> str | None:
    # amounts travel as text: exact, and far cheaper for asyncpg than its binary numeric codec
    return None if value is None else str(value)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


async def upsert_orders(
    conn: Connection,
    account_id: str,
    orders: list[OrderIn],
    product_values: dict[str, Decimal | None],
) -> list[Order]:
    """Upsert orders whose products were checked to be the account's; returns request order."""
    resolved = [resolve_lines(o, product_values) for o in orders]
    values = [order_value(lines) for lines in resolved]
    changed = await conn.fetch(
        _UPSERT,
        account_id,
        [new_id("ord") for _ in orders],
        [o.external_id for o in orders],
        [o.destination_country for o in orders],
        [o.destination_region for o in orders],
        [o.destination_postal_code for o in orders],
        [o.consignee.model_dump_json() if o.consignee else None for o in orders],
        [_dumps(o.metadata) for o in orders],
        [_text(v) for v in values],
        [content_hash(o, lines) for o, lines in zip(orders, resolved, strict=True)],
    )
    by_external = {r["external_id"]: r for r in changed}
    if changed:
        await _replace_lines(conn, orders, resolved, {x: r["id"] for x, r in by_external.items()})
    unchanged = [o.external_id for o in orders if o.external_id not in by_external]
    if unchanged:
        rows = await conn.fetch(
            "SELECT * FROM orders WHERE account_id = $1 AND external_id = any($2::text[])",
            account_id,
            unchanged,
        )
        by_external.update((r["external_id"], r) for r in rows)
    return [
        order_from_row(by_external[o.external_id], lines)
        for o, lines in zip(orders, resolved, strict=True)
    ]


async def _replace_lines(
    conn: Connection, orders: list[OrderIn], resolved: list[list[OrderLine]], ids: dict[str, str]
) -> None:
    await conn.execute(
        "DELETE FROM order_lines WHERE order_id = any($1::text[])", list(ids.values())
    )
    rows = [
        (ids[order.external_id], n, line)
        for order, lines in zip(orders, resolved, strict=True)
        if order.external_id in ids
        for n, line in enumerate(lines, start=1)
    ]
    await conn.execute(
        _INSERT_LINES,
        [order_id for order_id, _, _ in rows],
        [n for _, n, _ in rows],
        [line.product_id for _, _, line in rows],
        [line.quantity for _, _, line in rows],
        [_text(line.unit_value_usd) for _, _, line in rows],
        [_text(line.line_value_usd) for _, _, line in rows],
    )


def order_from_row(row: Row, lines: list[OrderLine]) -> Order:
    """Row and its lines → model."""
    return Order(
        id=row["id"],
        external_id=row["external_id"],
        account_id=row["account_id"],
        destination_country=row["destination_country"],
        destination_region=row["destination_region"],
        destination_postal_code=row["destination_postal_code"],
        consignee=row["consignee"],
        items=lines,
        order_value_usd=row["order_value_usd"],
        metadata=row["metadata"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def _lines_of(conn: Queries, order_ids: list[str]) -> dict[str, list[OrderLine]]:
    rows = await conn.fetch(
        "SELECT * FROM order_lines WHERE order_id = any($1::text[]) ORDER BY order_id, line_no",
        order_ids,
    )
    out: dict[str, list[OrderLine]] = {i: [] for i in order_ids}
    for r in rows:
        out[r["order_id"]].append(
            OrderLine(
                product_id=r["product_id"],
                quantity=r["quantity"],
                unit_value_usd=r["unit_value_usd"],
                line_value_usd=r["line_value_usd"],
            )
        )
    return out


async def get_order(conn: Connection, account_id: str, order_id: str) -> Order:
    """One order of the account with its lines."""
    row = await conn.fetchrow(
        "SELECT * FROM orders WHERE id = $1 AND account_id = $2", order_id, account_id
    )
    if row is None:
        raise NotFound("order")
    return order_from_row(row, (await _lines_of(conn, [order_id]))[order_id])


async def list_orders(
    conn: Connection, account_id: str, external_id: str | None, after: str | None, limit: int
) -> list[Order]:
    """A page of orders ordered by id, optionally filtered by externalId."""
    rows = await conn.fetch(
        """SELECT * FROM orders WHERE account_id = $1
             AND ($2::text IS NULL OR external_id = $2) AND ($3::text IS NULL OR id > $3)
           ORDER BY id LIMIT $4""",
        account_id,
        external_id,
        after,
        limit,
    )
    lines = await _lines_of(conn, [r["id"] for r in rows])
    return [order_from_row(r, lines[r["id"]]) for r in rows]
