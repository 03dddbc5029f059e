"""Products: bulk upsert by externalId within the account; version rises only on a real change."""

import json
from decimal import Decimal
from typing import Any

from domain.canonical import sha256_of
from domain.catalog import Product, ProductIn, product_content
from store.db import Connection, Queries, Row
from store.errors import NotFound
from store.ids import new_id


def product_from_row(row: Row) -> Product:
    """Row → model."""
    return Product(
        id=row["id"],
        external_id=row["external_id"],
        description=row["description"],
        hs_code=row["hs_code"],
        country_of_origin=row["country_of_origin"],
        unit_value_usd=row["unit_value_usd"],
        weight_kg=row["weight_kg"],
        manufacturer=row["manufacturer"],
        attributes=row["attributes"] or {},
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_UPSERT = """
INSERT INTO products AS p (id, account_id, external_id, description, hs_code, country_of_origin,
                           unit_value_usd, weight_kg, manufacturer, attributes, content_hash)
SELECT i.id, $1, i.external_id, i.description, i.hs_code, i.country_of_origin, i.unit_value_usd,
       i.weight_kg, i.manufacturer::jsonb, i.attributes::jsonb, i.content_hash
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::numeric[],
            $8::numeric[], $9::text[], $10::text[], $11::bytea[])
     AS i(id, external_id, description, hs_code, country_of_origin, unit_value_usd, weight_kg,
          manufacturer, attributes, content_hash)
ON CONFLICT (account_id, external_id) DO UPDATE SET
    description = EXCLUDED.description, hs_code = EXCLUDED.hs_code,
    country_of_origin = EXCLUDED.country_of_origin, unit_value_usd = EXCLUDED.unit_value_usd,
    weight_kg = EXCLUDED.weight_kg, manufacturer = EXCLUDED.manufacturer,
    attributes = EXCLUDED.attributes, content_hash = EXCLUDED.content_hash,
    version = p.version + 1, updated_at = now()
WHERE p.content_hash <> EXCLUDED.content_hash
RETURNING p.*
"""


def _json_or_none(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


async def upsert_products(
    conn: Connection, account_id: str, items: list[ProductIn] | list[dict[str, Any]]
) -> list[Product]:
    """Insert or update the items (unique externalIds); returns them in request order."""
    models = [i if isinstance(i, ProductIn) else ProductIn.model_validate(i) for i in items]
    dumped = [product_content(m) for m in models]
    written = await conn.fetch(
        _UPSERT,
        account_id,
        [new_id("prod") for _ in models],
        [m.external_id for m in models],
        [m.description for m in models],
        [m.hs_code for m in models],
        [m.country_of_origin for m in models],
        [m.unit_value_usd for m in models],
        [m.weight_kg for m in models],
        [_json_or_none(d["manufacturer"]) for d in dumped],
        [json.dumps(m.attributes or {}, separators=(",", ":")) for m in models],
        [sha256_of(d) for d in dumped],
    )
    # the rows the statement inserted or changed came back; only unchanged ones are read
    by_external = {r["external_id"]: product_from_row(r) for r in written}
    unchanged = [m.external_id for m in models if m.external_id not in by_external]
    if unchanged:
        rows = await conn.fetch(
            "SELECT * FROM products WHERE account_id = $1 AND external_id = any($2::text[])",
            account_id,
            unchanged,
        )
        by_external.update((r["external_id"], product_from_row(r)) for r in rows)
    return [by_external[m.external_id] for m in models]


async def get_product(conn: Queries, account_id: str, product_id: str) -> Product:
    """One product of the account."""
    row = await conn.fetchrow(
        "SELECT * FROM products WHERE id = $1 AND account_id = $2", product_id, account_id
    )
    if row is None:
        raise NotFound("product")
    return product_from_row(row)


async def list_products(
    conn: Queries, account_id: str, external_id: str | None, after: str | None, limit: int
) -> list[Product]:
    """A page of products ordered by id, optionally filtered by externalId."""
    rows = await conn.fetch(
        """SELECT * FROM products WHERE account_id = $1
             AND ($2::text IS NULL OR external_id = $2) AND ($3::text IS NULL OR id > $3)
           ORDER BY id LIMIT $4""",
        account_id,
        external_id,
        after,
        limit,
    )
    return [product_from_row(r) for r in rows]


async def product_values(
    conn: Queries, account_id: str, product_ids: list[str]
) -> dict[str, Decimal | None]:
    """{productId: unitValueUsd} for the ids that exist in the account."""
    rows = await conn.fetch(
        "SELECT id, unit_value_usd FROM products WHERE account_id = $1 AND id = any($2::text[])",
        account_id,
        product_ids,
    )
    return {r["id"]: r["unit_value_usd"] for r in rows}
