"""Orders: bulk upsert by externalId; lines replaced only when the order's content changed."""

import asyncio
import json
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from domain.catalog import ConsigneeIn, Order, OrderIn, OrderLine
from domain.order_content import LineResolver, ResolvedOrder
from store.db import Connection, Queries, Row
from store.errors import NotFound
from store.ids import new_ids

# The orders travel as one JSON array of rows (one encoding in Python's C encoder, one parse on
# the server), each [id, externalId, country, region, postalCode, consignee, metadata, value,
# content hash in hex]; a JSON null is SQL NULL. The consignee and metadata are parsed as jsonb
# from the same text they would be on their own.
# Returns what only the database knows of the orders it inserted or changed (the rest of an
# answer is what was sent, as stored); jsonb may reorder the keys of metadata, so that is read
# back too.
_UPSERT = """
INSERT INTO orders AS o (id, account_id, external_id, destination_country, destination_region,
                         destination_postal_code, consignee, metadata, order_value_usd,
                         content_hash)
SELECT r.v->>0, $1, r.v->>1, r.v->>2, r.v->>3, r.v->>4, nullif(r.v->5, 'null'),
       nullif(r.v->6, 'null'), (r.v->>7)::numeric, decode(r.v->>8, 'hex')
FROM jsonb_array_elements($2::text::jsonb) AS r(v)
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


# what `json.dumps(value, separators=(",", ":"))` writes, without a new encoder per call
_COMPACT = json.JSONEncoder(separators=(",", ":"))


async def upsert_orders(
    conn: Connection,
    account_id: str,
    orders: list[OrderIn],
    product_values: dict[str, Decimal | None],
) -> list[Order]:
    """Upsert orders whose products were checked to be the account's; returns request order."""
    resolver = LineResolver(product_values)
    resolved = [resolver.resolve(o) for o in orders]
    # written and answered alike (the answer validates its own copy)
    consignees = [_consignee(o.consignee) for o in orders]
    payload = [
        [
            order_id,
            o.external_id,
            o.destination_country,
            o.destination_region,
            o.destination_postal_code,
            consignee,
            o.metadata,
            _text(content.value),
            content.content_hash.hex(),
        ]
        for order_id, o, content, consignee in zip(
            new_ids("ord", len(orders)), orders, resolved, consignees, strict=True
        )
    ]
    written = await conn.fetch(_UPSERT, account_id, _COMPACT.encode(payload))
    by_external = {r["external_id"]: r for r in written}
    if len(by_external) < len(orders):
        rows = await conn.fetch(
            _UNCHANGED,
            account_id,
            [o.external_id for o in orders if o.external_id not in by_external],
        )
        by_external.update((r["external_id"], r) for r in rows)
    # the answer is built while the server writes the lines (the connection's one statement):
    # the task sends them before this coroutine goes on
    lines = (
        asyncio.ensure_future(_replace_lines(conn, orders, resolved, written)) if written else None
    )
    if lines is not None:
        await asyncio.sleep(0)
    try:
        return _ORDERS.validate_python(
            [
                _answer(account_id, o, content, consignee, by_external[o.external_id])
                for o, content, consignee in zip(orders, resolved, consignees, strict=True)
            ]
        )
    finally:
        if lines is not None:
            await lines


def _answer(
    account_id: str,
    order: OrderIn,
    content: ResolvedOrder,
    consignee: dict[str, str] | None,
    row: Row,
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
        "consignee": consignee,
        "items": content.lines,
        "order_value_usd": content.value,
        "metadata": row["metadata"],
        "version": row["version"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


async def _replace_lines(
    conn: Connection, orders: list[OrderIn], resolved: list[ResolvedOrder], written: list[Row]
) -> None:
    """The lines of the orders the upsert inserted or changed, in place of their old ones."""
    # an order the statement inserted (version 1) has no lines yet: only updated ones lose theirs
    updated = [r["id"] for r in written if r["version"] > 1]
    if updated:
        await conn.execute("DELETE FROM order_lines WHERE order_id = any($1::text[])", updated)
    ids = {r["external_id"]: _quoted(r["id"]) for r in written}
    columns: tuple[list[str | None], ...] = ([], [], [], [], [], [])
    order_ids, numbers, products, quantities, units, values = columns
    # a line repeated across orders is one object (LineResolver): written out once
    elements: dict[int, tuple[str, str, str | None, str | None]] = {}
    for order, content in zip(orders, resolved, strict=True):
        order_id = ids.get(order.external_id)
        if order_id is None:
            continue
        for number, line in enumerate(content.lines, start=1):
            known = elements.get(id(line))
            if known is None:
                known = elements[id(line)] = (
                    _quoted(line.product_id),
                    str(line.quantity),
                    _text(line.unit_value_usd),
                    _text(line.line_value_usd),
                )
            order_ids.append(order_id)
            numbers.append(str(number))
            products.append(known[0])
            quantities.append(known[1])
            units.append(known[2])
            values.append(known[3])
    await conn.execute(_INSERT_LINES, *[_array(column) for column in columns])


def _consignee(consignee: ConsigneeIn | None) -> dict[str, str] | None:
    # what `model_dump()` gives, without its per-call wrapping
    return None if consignee is None else {"name": consignee.name, "address": consignee.address}


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
