"""store.orders: upsert by externalId, content hash, lines replaced only on change."""

from decimal import Decimal

import asyncpg
import pytest

from domain.catalog import OrderIn
from domain.order_content import LineResolver, content_hash, order_value, resolve_lines
from store.accounts import create_account
from store.errors import NotFound
from store.orders import get_order, upsert_orders
from store.products import product_values, upsert_products


def order_in(external_id: str, *lines: tuple[str, int], **fields: object) -> OrderIn:
    return OrderIn.model_validate(
        {
            "externalId": external_id,
            "destinationCountry": "US",
            "items": [{"productId": p, "quantity": q} for p, q in lines],
            **fields,
        }
    )


async def setup(pool: asyncpg.Pool, **prices: float | None) -> tuple[str, dict[str, str]]:
    async with pool.acquire() as conn:
        account_id = await create_account(conn, "store-orders")
        rows = await upsert_products(
            conn, account_id, [{"externalId": k, "unitValueUsd": v} for k, v in prices.items()]
        )
    return account_id, {r.external_id: r.id for r in rows}


async def upsert(pool: asyncpg.Pool, account_id: str, orders: list[OrderIn]) -> list:
    wanted = sorted({ln.product_id for o in orders for ln in o.items})
    async with pool.acquire() as conn, conn.transaction():
        known = await product_values(conn, account_id, wanted)
        return await upsert_orders(conn, account_id, orders, known)


def test_resolve_lines_defaults_and_computes() -> None:
    o = OrderIn.model_validate(
        {
            "externalId": "O",
            "destinationCountry": "US",
            "items": [
                {"productId": "a", "quantity": 3},
                {"productId": "b", "quantity": 2, "unitValueUsd": "0.35"},
                {"productId": "c", "quantity": 1},
            ],
        }
    )
    lines = resolve_lines(o, {"a": Decimal("19.99"), "b": Decimal(100), "c": None})
    assert [(ln.unit_value_usd, ln.line_value_usd) for ln in lines] == [
        (Decimal("19.99"), Decimal("59.97")),
        (Decimal("0.35"), Decimal("0.70")),
        (None, None),
    ]


def test_content_hash_follows_content_only() -> None:
    values = {"p": Decimal("12.5")}
    base = order_in("O", ("p", 1), consignee={"name": "A", "address": "B"})
    digest = content_hash(base, resolve_lines(base, values))
    same = order_in("O", ("p", 1), consignee={"address": "B", "name": "A"}, metadata={"x": 1})
    assert content_hash(same, resolve_lines(same, {"p": Decimal("12.50")})) == digest
    for other in (
        order_in("O", ("p", 2), consignee={"name": "A", "address": "B"}),
        order_in("O", ("p", 1)),
        order_in("O", ("p", 1), ("p", 1), consignee={"name": "A", "address": "B"}),
        order_in("O", ("p", 1), consignee={"name": "A", "address": "B"}, destinationRegion="NY"),
    ):
        assert content_hash(other, resolve_lines(other, values)) != digest
    assert content_hash(base, resolve_lines(base, {"p": Decimal(13)})) != digest


def test_line_resolver_gives_what_the_functions_give() -> None:
    values = {"a": Decimal("19.99"), "b": Decimal(100), "c": None}
    orders = [
        order_in("O-1", ("a", 3), ("b", 1), ("c", 2)),
        order_in("O-2", ("a", 3), ("c", 2), ("a", 1)),
        # a unit value as sent is its own line, in its own notation (0 and -0 hash differently)
        *[
            OrderIn.model_validate(
                {
                    "externalId": f"P-{n}",
                    "destinationCountry": "US",
                    "items": [{"productId": "a", "quantity": 1, "unitValueUsd": unit}],
                }
            )
            for n, unit in enumerate(["0", "-0", "0.00", "12.5", "12.50", 12.5, "19.99"])
        ],
    ]
    resolver = LineResolver(values)
    for o in orders:
        lines = resolve_lines(o, values)
        resolved = resolver.resolve(o)
        assert resolved.lines == lines
        assert [ln.unit_value_usd.as_tuple() for ln in resolved.lines if ln.unit_value_usd] == [
            ln.unit_value_usd.as_tuple() for ln in lines if ln.unit_value_usd
        ]
        assert resolved.value == order_value(lines)
        assert resolved.content_hash == content_hash(o, lines)
    zero, minus_zero = (resolver.resolve(o).content_hash for o in orders[2:4])
    assert zero != minus_zero


async def test_metadata_changes_version_whatever_its_key_order(pool: asyncpg.Pool) -> None:
    account_id, p = await setup(pool, A=10)
    meta = {"a": 1, "b": {"c": [1, 2], "d": None}}
    (first,) = await upsert(pool, account_id, [order_in("O", (p["A"], 1), metadata=meta)])
    reordered = {"b": {"d": None, "c": [1, 2]}, "a": 1.0}
    (same,) = await upsert(pool, account_id, [order_in("O", (p["A"], 1), metadata=reordered)])
    assert same == first
    (changed,) = await upsert(pool, account_id, [order_in("O", (p["A"], 1), metadata={"a": 2})])
    assert (changed.version, changed.metadata) == (2, {"a": 2})
    (cleared,) = await upsert(pool, account_id, [order_in("O", (p["A"], 1))])
    assert (cleared.version, cleared.metadata) == (3, None)


async def test_unchanged_changed_and_new_in_one_batch(pool: asyncpg.Pool) -> None:
    account_id, p = await setup(pool, A=10, B=20)
    first = await upsert(
        pool, account_id, [order_in("KEEP", (p["A"], 1)), order_in("EDIT", (p["A"], 1))]
    )
    second = await upsert(
        pool,
        account_id,
        [
            order_in("NEW", (p["B"], 2)),
            order_in("EDIT", (p["B"], 3)),
            order_in("KEEP", (p["A"], 1)),
        ],
    )
    assert [o.external_id for o in second] == ["NEW", "EDIT", "KEEP"]
    new, edit, keep = second
    assert (new.version, edit.version, keep.version) == (1, 2, 1)
    assert keep == first[0]
    assert edit.id == first[1].id
    assert edit.order_value_usd == Decimal(60)
    assert edit.updated_at > first[1].updated_at
    async with pool.acquire() as conn:
        stored = await get_order(conn, account_id, edit.id)
        lines = await conn.fetch(
            "SELECT order_id, line_no, quantity FROM order_lines WHERE order_id = any($1::text[])"
            " ORDER BY order_id, line_no",
            [o.id for o in second],
        )
    assert stored == edit
    assert sorted((r["order_id"], r["line_no"], r["quantity"]) for r in lines) == sorted(
        [(new.id, 1, 2), (edit.id, 1, 3), (keep.id, 1, 1)]
    )


async def test_lines_are_numbered_in_request_order(pool: asyncpg.Pool) -> None:
    account_id, p = await setup(pool, A=1, B=2, C=3)
    (o,) = await upsert(pool, account_id, [order_in("O", (p["C"], 1), (p["A"], 2), (p["B"], 3))])
    async with pool.acquire() as conn:
        stored = await get_order(conn, account_id, o.id)
    assert [(ln.product_id, ln.quantity) for ln in stored.items] == [
        (p["C"], 1),
        (p["A"], 2),
        (p["B"], 3),
    ]


async def test_get_order_of_another_account_is_not_found(pool: asyncpg.Pool) -> None:
    account_id, p = await setup(pool, A=1)
    (o,) = await upsert(pool, account_id, [order_in("O", (p["A"], 1))])
    async with pool.acquire() as conn:
        other = await create_account(conn, "someone else")
        with pytest.raises(NotFound) as raised:
            await get_order(conn, other, o.id)
    assert raised.value.resource == "order"
