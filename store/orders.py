"""Orders: bulk upsert by externalId; lines replaced only when the order's content changed."""

import json
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from domain.catalog import Order, OrderIn, OrderLine
from domain.order_content import content_hash, order_value, resolve_lines
from store.db import Connection, Queries, Row
from store.errors import NotFound
from store.ids import new_id

# Returns what only the database knows of the orders it inserted or changed (the rest of an
# answer is what was sent, as stored); jsonb may reorder the keys of metadata, so that is read
# back too.
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
RETURNING o.id, o.external_id, o.metadata, o.version, o.created_at, o.updated_at
"""

# the orders a sync left as they were: their content is the one sent (the digests are equal)
_UNCHANGED = """
SELECT id, external_id, metadata, version, created_at, updated_at
FROM orders WHERE account_id = $1 AND external_id = any($2::text[])
"""

# Lines travel as array literals (text the server parses): a sync writes thousands of them, and
# the server reads a literal far faster than asyncpg encodes an array element by element.
_INSERT_LINES = """
INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_value_usd, line_value_usd)
SELECT * FROM unnest($1::text::text[], $2::text::int[], $3::text::text[], $4::text::int[],
                     $5::text::numeric[], $6::text::numeric[])
"""

# One validation of the whole answer in pydantic's core, instead of one call per order
_ORDERS: TypeAdapter[list[Order]] = TypeAdapter(list[Order])


def _text(value: Decimal | None) -> str | None:
    # amounts travel as text: exact, and far cheaper for asyncpg than its binary numeric codec
    return None if value is None else str(value)


# what `json.dumps(value, separators=(",", ":"))` writes, without a new encoder per order
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _dumps(value: Any) -> str | None:
    return None if value is None else _COMPACT.encode(value)


async def upsert_orders(
    conn: Connection,
    account_id: str,
    orders: list[OrderIn],
    product_values: dict[str, Decimal | None],
) -> list[Order]:
    """Upsert orders whose products were checked to be the account's; returns request order."""
    resolved = [resolve_lines(o, product_values) for o in orders]
    values = [order_value(lines) for lines in resolved]
    written = await conn.fetch(
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
    by_external = {r["external_id"]: r for r in written}
    if written:
        await _replace_lines(conn, orders, resolved, by_external)
    if len(by_external) < len(orders):
        rows = await conn.fetch(
            _UNCHANGED,
            account_id,
            [o.external_id for o in orders if o.external_id not in by_external],
        )
        by_external.update((r["external_id"], r) for r in rows)
    return _ORDERS.validate_python(
        [
            _answer(account_id, o, lines, value, by_external[o.external_id])
            for o, lines, value in zip(orders, resolved, values, strict=True)
        ]
    )


def _answer(
    account_id: str, order: OrderIn, lines: list[OrderLine], value: Decimal, row: Row
) -> dict[str, Any]:
    """An upserted order as `get_order` would read it back, from what was sent and its row."""
    return {
        "id": row["id"],
        "external_id": order.external_id,
        "account_id": account_id,
        "destination_country": order.destination_country,
        "destination_region": order.destination_region,
        "destination_postal_code": order.destination_postal_code,
        # the keys of a consignee are stored in the order jsonb keeps them in (name, address)
        "consignee": order.consignee.model_dump() if order.consignee else None,
        "items": lines,
        "order_value_usd": value,
        "metadata": row["metadata"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def _replace_lines(
    conn: Connection,
    orders: list[OrderIn],
    resolved: list[list[OrderLine]],
    written: dict[str, Row],
) -> None:
    # an order the statement inserted (version 1) has no lines yet: only updated ones lose theirs
    updated = [r["id"] for r in written.values() if r["version"] > 1]
    if updated:
        await conn.execute("DELETE FROM order_lines WHERE order_id = any($1::text[])", updated)
    ids = {external_id: _quoted(row["id"]) for external_id, row in written.items()}
    products = {pid: _quoted(pid) for pid in {ln.product_id for lines in resolved for ln in lines}}
    rows = [
        (ids[order.external_id], str(n), line)
        for order, lines in zip(orders, resolved, strict=True)
        if order.external_id in ids
        for n, line in enumerate(lines, start=1)
    ]
    await conn.execute(
        _INSERT_LINES,
        _array([order_id for order_id, _, _ in rows]),
        _array([n for _, n, _ in rows]),
        _array([products[line.product_id] for _, _, line in rows]),
        _array([str(line.quantity) for _, _, line in rows]),
        _array([_text(line.unit_value_usd) for _, _, line in rows]),
        _array([_text(line.line_value_usd) for _, _, line in rows]),
    )


def _quoted(value: str) -> str:
    """A text element of an array literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _array(elements: list[str | None]) -> str:
    """An array literal of elements written out (quoted text, or numbers); None is NULL."""
    return "{" + ",".join(["NULL" if e is None else e for e in elements]) + "}"


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
