"""Idempotent writes (CONTRACT §4): every outcome of the unit of work in `api/idempotency.py`."""

import asyncio
import json
from typing import Any

import asyncpg
import httpx
import pytest

from store.idempotency import purge_expired
from store.products import upsert_products
from tests.support.tenants import Tenant


async def product_id(pool: asyncpg.Pool, tenant: Tenant, sku: str = "SKU-1") -> str:
    async with pool.acquire() as conn:
        (row,) = await upsert_products(
            conn, tenant.account_id, [{"externalId": sku, "unitValueUsd": 5}]
        )
    return row.id


def orders_body(tenant: Tenant, product: str, count: int = 1, lines: int = 1, **extra: Any) -> dict:
    return {
        "accountId": tenant.account_id,
        "items": [
            {
                "externalId": f"O-{n}",
                "destinationCountry": "US",
                "items": [{"productId": product, "quantity": 1 + k} for k in range(lines)],
                "metadata": {"n": n, "tags": ["a", "b"]},
            }
            for n in range(count)
        ],
        **extra,
    }


async def post(
    http: httpx.AsyncClient, tenant: Tenant, body: Any, key: str | bytes | None = None
) -> httpx.Response:
    headers: dict[str, Any] = {**tenant.auth("integration")}
    if key is not None:
        headers["idempotency-key"] = key
    if isinstance(body, bytes):
        headers["content-type"] = "application/json"
        return await http.post("/api/orders/sync", content=body, headers=headers)
    return await http.post("/api/orders/sync", json=body, headers=headers)


async def stored_keys(pool: asyncpg.Pool, tenant: Tenant) -> list[str]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT key FROM idempotency_keys WHERE account_id = $1 ORDER BY key", tenant.account_id
        )
    return [r["key"] for r in rows]


def assert_replay(first: httpx.Response, again: httpx.Response) -> None:
    assert "idempotent-replayed" not in first.headers
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["content-type"] == "application/json"


async def test_replay_answers_the_first_response(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = orders_body(tenant, await product_id(pool, tenant), count=2)
    first = await post(http, tenant, body, "k-1")
    assert first.status_code == 200
    # change the order behind the key's back: a replay still answers what was first sent
    async with pool.acquire() as conn:
        await conn.execute("UPDATE orders SET version = 7 WHERE account_id = $1", tenant.account_id)
    again = await post(http, tenant, body, "k-1")
    assert_replay(first, again)
    assert [o["version"] for o in again.json()["data"]] == [1, 1]


async def test_header_wins_over_body_key(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    body = orders_body(tenant, await product_id(pool, tenant))
    first = await post(http, tenant, {**body, "idempotencyKey": "body-key"}, "header-key")
    assert first.status_code == 200
    assert await stored_keys(pool, tenant) == ["header-key"]
    # the same header with another body key is the same request: replayed
    again = await post(http, tenant, {**body, "idempotencyKey": "another"}, "header-key")
    assert_replay(first, again)
    # the body key alone was never used
    fresh = await post(http, tenant, {**body, "idempotencyKey": "body-key"})
    assert fresh.status_code == 200
    assert "idempotent-replayed" not in fresh.headers
    assert await stored_keys(pool, tenant) == ["body-key", "header-key"]


async def test_body_key_alone(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    body = orders_body(tenant, await product_id(pool, tenant), idempotencyKey="only-body")
    first = await post(http, tenant, body)
    again = await post(http, tenant, body)
    assert_replay(first, again)
    # and the header with the same value names the same key
    by_header = await post(
        http, tenant, {k: v for k, v in body.items() if k != "idempotencyKey"}, "only-body"
    )
    assert_replay(first, by_header)


async def test_fingerprint_ignores_key_order_and_whitespace(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = orders_body(tenant, await product_id(pool, tenant))
    first = await post(http, tenant, json.dumps(body).encode(), "k-canon")

    def reordered(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reordered(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reordered(v) for v in value]
        return value

    raw = json.dumps(reordered(body), indent=4).encode()
    assert raw != json.dumps(body).encode()
    assert_replay(first, await post(http, tenant, raw, "k-canon"))


async def test_changed_payload_conflicts(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    body = orders_body(tenant, await product_id(pool, tenant))
    assert (await post(http, tenant, body, "k-conflict")).status_code == 200
    changed = json.loads(json.dumps(body))
    changed["items"][0]["items"][0]["quantity"] = 2
    r = await post(http, tenant, changed, "k-conflict")
    assert r.status_code == 409
    assert r.json() == {
        "errorCode": "IDEMPOTENCY_CONFLICT",
        "message": "This idempotency key was used with a different request.",
        "field": "idempotencyKey",
    }
    async with pool.acquire() as conn:
        quantity = await conn.fetchval(
            """SELECT l.quantity FROM order_lines l JOIN orders o ON o.id = l.order_id
               WHERE o.account_id = $1""",
            tenant.account_id,
        )
    assert quantity == 1


async def test_same_key_on_another_route_conflicts(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    r = await http.post(
        "/api/products/sync",
        json={"accountId": tenant.account_id, "items": [{"externalId": "S"}]},
        headers={**tenant.auth(), "idempotency-key": "k-route"},
    )
    assert r.status_code == 200
    body = orders_body(tenant, r.json()["data"][0]["id"])
    r = await post(http, tenant, body, "k-route")
    assert (r.status_code, r.json()["errorCode"]) == (409, "IDEMPOTENCY_CONFLICT")


async def test_keys_are_scoped_to_the_account(
    http: httpx.AsyncClient, pool, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await post(http, tenant, orders_body(tenant, await product_id(pool, tenant)), "shared")
    theirs = await post(
        http,
        other_tenant,
        orders_body(other_tenant, await product_id(pool, other_tenant)),
        "shared",
    )
    assert (mine.status_code, theirs.status_code) == (200, 200)
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["data"][0]["accountId"] == other_tenant.account_id


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "clé".encode(), "with space", "tab\there"],
    ids=["empty", "256-chars", "non-ascii", "space", "control"],
)
async def test_invalid_header_key(
    http: httpx.AsyncClient, pool, tenant: Tenant, key: str | bytes
) -> None:
    body = orders_body(tenant, await product_id(pool, tenant))
    r = await post(http, tenant, body, key)
    assert r.status_code == 400
    assert r.json() == {
        "errorCode": "IDEMPOTENCY_KEY_INVALID",
        "message": "Idempotency key must be 1-255 visible ASCII characters.",
        "field": "idempotencyKey",
    }
    assert await stored_keys(pool, tenant) == []


@pytest.mark.parametrize("key", ["", "x" * 256, "clé", "a b"])
async def test_invalid_body_key(http: httpx.AsyncClient, pool, tenant: Tenant, key: str) -> None:
    body = orders_body(tenant, await product_id(pool, tenant), idempotencyKey=key)
    r = await post(http, tenant, body)
    assert (r.status_code, r.json()["errorCode"]) == (400, "IDEMPOTENCY_KEY_INVALID")
    # the header wins, but an invalid key in the body is refused beside a valid header too
    r = await post(http, tenant, body, "a-valid-header-key")
    assert (r.status_code, r.json()["errorCode"]) == (400, "IDEMPOTENCY_KEY_INVALID")
    assert await stored_keys(pool, tenant) == []


async def test_longest_valid_key(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    key = "~!" + "K" * 253
    body = orders_body(tenant, await product_id(pool, tenant))
    first = await post(http, tenant, body, key)
    assert first.status_code == 200
    assert_replay(first, await post(http, tenant, body, key))


async def test_an_error_is_not_stored(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    bad = orders_body(tenant, "prod_missing")
    r = await post(http, tenant, bad, "k-fixable")
    assert r.status_code == 400
    assert await stored_keys(pool, tenant) == []
    again = await post(http, tenant, bad, "k-fixable")
    assert again.status_code == 400
    assert "idempotent-replayed" not in again.headers
    fixed = await post(
        http, tenant, orders_body(tenant, await product_id(pool, tenant)), "k-fixable"
    )
    assert fixed.status_code == 200
    assert "idempotent-replayed" not in fixed.headers
    assert await stored_keys(pool, tenant) == ["k-fixable"]


async def test_expired_record_no_longer_replays_and_is_purged(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = orders_body(tenant, await product_id(pool, tenant))
    first = await post(http, tenant, body, "k-old")
    assert first.status_code == 200
    async with pool.acquire() as conn:
        expires = await conn.fetchval(
            "SELECT expires_at - created_at FROM idempotency_keys WHERE account_id = $1",
            tenant.account_id,
        )
    assert expires.total_seconds() == 24 * 3600

    async def expire() -> None:
        async with pool.acquire() as conn:
            await conn.execute(
                """UPDATE idempotency_keys SET expires_at = now() - interval '1 second'
                   WHERE account_id = $1 AND key = 'k-old'""",
                tenant.account_id,
            )

    await expire()
    # a different payload under the expired key is a new request, not a conflict
    changed = orders_body(tenant, await product_id(pool, tenant), count=2)
    r = await post(http, tenant, changed, "k-old")
    assert r.status_code == 200
    assert "idempotent-replayed" not in r.headers
    assert len(r.json()["data"]) == 2
    assert_replay(r, await post(http, tenant, changed, "k-old"))

    await expire()
    assert await purge_expired(pool) >= 1
    assert await stored_keys(pool, tenant) == []


async def test_concurrent_duplicates_write_once(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = orders_body(tenant, await product_id(pool, tenant), count=40, lines=25)
    answers = await asyncio.gather(*(post(http, tenant, body, "k-race") for _ in range(20)))

    originals = [
        r for r in answers if r.status_code == 200 and "idempotent-replayed" not in r.headers
    ]
    assert len(originals) == 1
    (original,) = originals
    in_progress = 0
    for r in answers:
        if r is original:
            continue
        if r.status_code == 200:
            assert_replay(original, r)
        else:
            assert r.status_code == 409
            assert r.json()["errorCode"] == "IDEMPOTENCY_IN_PROGRESS"
            assert r.headers["retry-after"] == "1"
            in_progress += 1
    assert in_progress >= 1  # the requests did overlap
    async with pool.acquire() as conn:
        versions = await conn.fetch(
            "SELECT version FROM orders WHERE account_id = $1", tenant.account_id
        )
    assert [v["version"] for v in versions] == [1] * 40


async def test_concurrent_creates_insert_one_row(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = {
        "name": "Hub",
        "address": {"line1": "1 Dock", "city": "Riga", "country": "LV"},
        "idempotencyKey": "k-wh-race",
    }
    answers = await asyncio.gather(
        *(http.post("/api/warehouses", json=body, headers=tenant.auth("admin")) for _ in range(20))
    )
    assert sorted({r.status_code for r in answers}) in ([201], [201, 409])
    created = {r.json()["id"] for r in answers if r.status_code == 201}
    assert len(created) == 1
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM warehouses WHERE account_id = $1", tenant.account_id
        )
    assert count == 1
