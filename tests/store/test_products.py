"""store.products: upsert by externalId, version on change, account-scoped reads."""

import asyncpg
import pytest

from store.accounts import create_account
from store.errors import NotFound
from store.products import get_product, list_products, product_values, upsert_products


async def account(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return await create_account(conn, "store-products")


async def test_version_rises_only_on_change(pool: asyncpg.Pool) -> None:
    account_id = await account(pool)
    async with pool.acquire() as conn:
        (created,) = await upsert_products(
            conn, account_id, [{"externalId": "S", "hsCode": "1234.56"}]
        )
        (same,) = await upsert_products(
            conn, account_id, [{"externalId": "S", "hsCode": "1234.56"}]
        )
        (changed,) = await upsert_products(
            conn, account_id, [{"externalId": "S", "hsCode": "1234.57"}]
        )
    assert same == created
    assert (changed.id, changed.version, changed.created_at) == (created.id, 2, created.created_at)
    assert changed.updated_at > created.updated_at


async def test_returns_request_order(pool: asyncpg.Pool) -> None:
    account_id = await account(pool)
    async with pool.acquire() as conn:
        rows = await upsert_products(conn, account_id, [{"externalId": x} for x in "QAZ"])
    assert [r.external_id for r in rows] == ["Q", "A", "Z"]


async def test_reads_are_scoped_to_the_account(pool: asyncpg.Pool) -> None:
    mine, theirs = await account(pool), await account(pool)
    async with pool.acquire() as conn:
        (a,) = await upsert_products(conn, mine, [{"externalId": "S", "unitValueUsd": 3}])
        (b,) = await upsert_products(conn, theirs, [{"externalId": "S"}])
        assert await product_values(conn, mine, [a.id, b.id, "prod_x"]) == {a.id: a.unit_value_usd}
        assert await get_product(conn, mine, a.id) == a
        with pytest.raises(NotFound):
            await get_product(conn, mine, b.id)
        assert await list_products(conn, mine, "S", None, 10) == [a]


async def test_list_pages_by_id(pool: asyncpg.Pool) -> None:
    account_id = await account(pool)
    async with pool.acquire() as conn:
        rows = await upsert_products(conn, account_id, [{"externalId": f"S{i}"} for i in range(5)])
        ids = sorted(r.id for r in rows)
        first = await list_products(conn, account_id, None, None, 2)
        rest = await list_products(conn, account_id, None, first[-1].id, 10)
    assert [r.id for r in first + rest] == ids
