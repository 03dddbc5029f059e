"""Orders sync and reads over HTTP (CONTRACT §8)."""

from typing import Any

import asyncpg
import httpx

from store.products import upsert_products
from tests.support.tenants import Tenant, make_tenant


async def products_of(pool: asyncpg.Pool, tenant: Tenant, **values: Any) -> dict[str, str]:
    """Products SKU -> id; keyword values are unit values (None: unknown value)."""
    async with pool.acquire() as conn:
        rows = await upsert_products(
            conn,
            tenant.account_id,
            [{"externalId": sku, "unitValueUsd": value} for sku, value in values.items()],
        )
    return {p.external_id: p.id for p in rows}


def order(external_id: str, *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"externalId": external_id, "destinationCountry": "US", "items": list(lines), **fields}


def line(product_id: str, quantity: int = 1, **fields: Any) -> dict[str, Any]:
    return {"productId": product_id, "quantity": quantity, **fields}


async def sync(
    http: httpx.AsyncClient, tenant: Tenant, orders: list[dict[str, Any]]
) -> httpx.Response:
    return await http.post(
        "/api/orders/sync",
        json={"accountId": tenant.account_id, "items": orders},
        headers=tenant.auth("integration"),
    )


async def counts(pool: asyncpg.Pool, tenant: Tenant) -> tuple[int, int]:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM orders WHERE account_id = $1) AS orders,
                      (SELECT count(*) FROM order_lines l JOIN orders o ON o.id = l.order_id
                        WHERE o.account_id = $1) AS lines""",
            tenant.account_id,
        )
    return row["orders"], row["lines"]


def issues(r: httpx.Response) -> list[tuple[str, str]]:
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION_ERROR"
    return [(i["path"], i["code"]) for i in r.json()["details"]["issues"]]


async def test_create_resolves_values_from_products(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, MUG=18.5, SCARF=40)
    consignee = {"name": "Ada Buyer", "address": "1 Main St, New York"}
    r = await sync(
        http,
        tenant,
        [
            order(
                "O-1",
                line(p["MUG"], 3),
                line(p["SCARF"], 2, unitValueUsd=35.25),
                destinationRegion="NY",
                destinationPostalCode="10001",
                consignee=consignee,
            )
        ],
    )
    assert r.status_code == 200, r.text
    (body,) = r.json()["data"]
    assert body["id"].startswith("ord_")
    assert body == {
        "id": body["id"],
        "externalId": "O-1",
        "accountId": tenant.account_id,
        "destinationCountry": "US",
        "destinationRegion": "NY",
        "destinationPostalCode": "10001",
        "consignee": consignee,
        "items": [
            {"productId": p["MUG"], "quantity": 3, "unitValueUsd": 18.5, "lineValueUsd": 55.5},
            {"productId": p["SCARF"], "quantity": 2, "unitValueUsd": 35.25, "lineValueUsd": 70.5},
        ],
        "orderValueUsd": 126,
        "metadata": None,
        "version": 1,
        "createdAt": body["createdAt"],
        "updatedAt": body["createdAt"],
    }
    r = await http.get(f"/api/orders/{body['id']}", headers=tenant.auth("reviewer"))
    assert r.status_code == 200
    assert r.json() == body


async def test_line_without_any_value_counts_nothing(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, FREE=None, PAID=10)
    r = await sync(http, tenant, [order("O-1", line(p["FREE"], 2), line(p["PAID"], 1))])
    body = r.json()["data"][0]
    assert body["items"][0] == {
        "productId": p["FREE"],
        "quantity": 2,
        "unitValueUsd": None,
        "lineValueUsd": None,
    }
    assert body["orderValueUsd"] == 10


async def test_update_replaces_lines_and_recomputes_value(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10, B=20, C=30)
    first = (
        await sync(http, tenant, [order("O-1", line(p["A"]), line(p["B"]), line(p["C"], 2))])
    ).json()["data"][0]
    assert (first["orderValueUsd"], first["version"]) == (90, 1)
    assert await counts(pool, tenant) == (1, 3)

    r = await sync(http, tenant, [order("O-1", line(p["B"], 5))])
    second = r.json()["data"][0]
    assert second["id"] == first["id"]
    assert second["version"] == 2
    assert second["items"] == [
        {"productId": p["B"], "quantity": 5, "unitValueUsd": 20, "lineValueUsd": 100}
    ]
    assert second["orderValueUsd"] == 100
    assert second["createdAt"] == first["createdAt"]
    assert await counts(pool, tenant) == (1, 1)
    r = await http.get(f"/api/orders/{first['id']}", headers=tenant.auth())
    assert r.json() == second


async def test_identical_resync_keeps_version_and_updated_at(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10)
    o = order("O-1", line(p["A"], 2), metadata={"b": 1, "a": [1, 2]})
    first = (await sync(http, tenant, [o])).json()["data"][0]
    # same content with the metadata keys in another order
    again = (await sync(http, tenant, [{**o, "metadata": {"a": [1, 2], "b": 1}}])).json()
    assert again["data"][0] == first
    changed = (await sync(http, tenant, [{**o, "metadata": {"a": [1, 2], "b": 2}}])).json()
    assert changed["data"][0]["version"] == 2


async def test_product_value_change_is_a_content_change(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10)
    first = (await sync(http, tenant, [order("O-1", line(p["A"], 2))])).json()["data"][0]
    await products_of(pool, tenant, A=12)
    again = (await sync(http, tenant, [order("O-1", line(p["A"], 2))])).json()["data"][0]
    assert (again["version"], again["orderValueUsd"]) == (first["version"] + 1, 24)


async def test_metadata_is_kept_as_sent(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    p = await products_of(pool, tenant, A=10)
    metadata = {
        "channel": "shopify",
        "tags": ["gift", "näringsliv", "🎁"],
        "nested": {"deep": {"n": 1.25, "none": None, "flag": False}},
        "count": 3,
    }
    created = (await sync(http, tenant, [order("O-1", line(p["A"]), metadata=metadata)])).json()
    assert created["data"][0]["metadata"] == metadata
    r = await http.get(f"/api/orders/{created['data'][0]['id']}", headers=tenant.auth())
    assert r.json()["metadata"] == metadata


async def test_response_is_in_request_order(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    p = await products_of(pool, tenant, A=10)
    await sync(http, tenant, [order("M", line(p["A"]))])
    names = ["Z", "A", "M", "B"]
    r = await sync(http, tenant, [order(n, line(p["A"])) for n in names])
    assert [o["externalId"] for o in r.json()["data"]] == names
    assert [o["version"] for o in r.json()["data"]] == [1, 1, 1, 1]


async def test_unknown_product_rejects_the_whole_request(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10)
    await sync(http, tenant, [order("EXISTING", line(p["A"]))])
    before = await counts(pool, tenant)
    r = await sync(
        http,
        tenant,
        [
            order("NEW-VALID", line(p["A"], 4)),
            order("NEW-BAD", line("prod_doesnotexist"), line(p["A"])),
            order("EXISTING", line(p["A"], 9)),
        ],
    )
    assert issues(r) == [("items.1.items.0.productId", "unknown_product")]
    assert r.json()["field"] == "items.1.items.0.productId"
    assert await counts(pool, tenant) == before
    r = await http.get("/api/orders", params={"externalId": "NEW-VALID"}, headers=tenant.auth())
    assert r.json()["data"] == []
    r = await http.get("/api/orders", params={"externalId": "EXISTING"}, headers=tenant.auth())
    assert r.json()["data"][0]["items"][0]["quantity"] == 1


async def test_product_of_another_account_is_unknown(
    http: httpx.AsyncClient, pool, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = await products_of(pool, tenant, A=10)
    theirs = await products_of(pool, other_tenant, A=10)
    before = await counts(pool, tenant)
    r = await sync(
        http,
        tenant,
        [order("O-1", line(mine["A"])), order("O-2", line(mine["A"]), line(theirs["A"]))],
    )
    assert issues(r) == [("items.1.items.1.productId", "unknown_product")]
    assert await counts(pool, tenant) == before


async def test_every_unknown_product_is_reported(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    r = await sync(
        http, tenant, [order("O-1", line("prod_x"), line("prod_y")), order("O-2", line("prod_x"))]
    )
    assert issues(r) == [
        ("items.0.items.0.productId", "unknown_product"),
        ("items.0.items.1.productId", "unknown_product"),
        ("items.1.items.0.productId", "unknown_product"),
    ]


async def test_limits(http: httpx.AsyncClient, pool) -> None:
    tenant = await make_tenant(pool, "limits")
    p = await products_of(pool, tenant, A=1)
    r = await sync(http, tenant, [order("O-1", *[line(p["A"])] * 501)])
    assert issues(r) == [("items.0.items", "too_big")]
    r = await sync(http, tenant, [order(f"O-{i}", line(p["A"])) for i in range(1001)])
    assert issues(r) == [("items", "too_big")]
    assert await counts(pool, tenant) == (0, 0)
    r = await sync(http, tenant, [order("O-1", *[line(p["A"])] * 500)])
    assert r.status_code == 200
    assert r.json()["data"][0]["orderValueUsd"] == 500
    r = await sync(http, tenant, [order("O-2")])
    assert issues(r) == [("items.0.items", "too_small")]


async def test_order_fields_are_validated(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    p = await products_of(pool, tenant, A=1)
    cases = [
        (order("O", line(p["A"]), destinationCountry="USA"), "items.0.destinationCountry"),
        (order("O", line(p["A"]), destinationCountry="XX"), "items.0.destinationCountry"),
        (order("O", line(p["A"], 0)), "items.0.items.0.quantity"),
        (order("O", {"productId": p["A"], "quantity": 1.5}), "items.0.items.0.quantity"),
        (order("O", {"productId": p["A"], "quantity": "2"}), "items.0.items.0.quantity"),
        (order("O", line(p["A"], unitValueUsd=-1)), "items.0.items.0.unitValueUsd"),
        (order("O", line(p["A"]), metadata=[1]), "items.0.metadata"),
        (order("O", line(p["A"]), consignee={"name": "x"}), "items.0.consignee.address"),
        ({"destinationCountry": "US", "items": [line(p["A"])]}, "items.0.externalId"),
    ]
    for body, path in cases:
        r = await sync(http, tenant, [body])
        assert [i[0] for i in issues(r)] == [path], body
    assert await counts(pool, tenant) == (0, 0)


async def test_duplicate_external_id_is_refused(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=1)
    r = await sync(http, tenant, [order("O", line(p["A"])), order("O", line(p["A"], 2))])
    assert issues(r) == [("items.1.externalId", "duplicate")]
    assert await counts(pool, tenant) == (0, 0)


async def test_reads_are_scoped_to_the_account(
    http: httpx.AsyncClient, pool, tenant: Tenant, other_tenant: Tenant
) -> None:
    p = await products_of(pool, other_tenant, A=1)
    theirs = (await sync(http, other_tenant, [order("O-1", line(p["A"]))])).json()["data"][0]
    r = await http.get(f"/api/orders/{theirs['id']}", headers=tenant.auth())
    assert r.status_code == 404
    assert r.json()["details"] == {"resource": "order"}
    r = await http.get("/api/orders", params={"externalId": "O-1"}, headers=tenant.auth())
    assert r.json() == {"data": [], "nextCursor": None}


async def test_list_pages_with_lines(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    p = await products_of(pool, tenant, A=1, B=2)
    created = (
        await sync(
            http, tenant, [order(f"O-{i}", line(p["A"]), line(p["B"], i + 1)) for i in range(5)]
        )
    ).json()["data"]
    seen: list[dict[str, Any]] = []
    r = await http.get("/api/orders", params={"limit": 2}, headers=tenant.auth())
    while True:
        assert r.status_code == 200
        seen += r.json()["data"]
        cursor = r.json()["nextCursor"]
        if cursor is None:
            break
        r = await http.get(
            "/api/orders", params={"limit": 2, "cursor": cursor}, headers=tenant.auth()
        )
    assert seen == sorted(created, key=lambda o: o["id"])
    r = await http.get("/api/orders", params={"externalId": "O-3"}, headers=tenant.auth())
    assert r.json()["data"] == [created[3]]


async def test_text_the_database_cannot_store_writes_nothing(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10)
    await sync(http, tenant, [order("EXISTING", line(p["A"]))])
    before = await counts(pool, tenant)
    for bad in (
        order("NEW-\u0000", line(p["A"])),
        order("NEW", line(p["A"]), metadata={"note": "a\u0000b"}),
        order("NEW", line(p["A"]), consignee={"name": "A\u0000", "address": "B"}),
        order("NEW", line(p["A"]), destinationRegion="N\u0000Y"),
    ):
        r = await sync(http, tenant, [order("EXISTING", line(p["A"], 2)), bad])
        assert issues(r) == [("", "invalid_string")], bad
        assert await counts(pool, tenant) == before


async def test_a_thousand_orders_with_shared_lines_answer_as_read_back(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    p = await products_of(pool, tenant, A=10, B="2.50", FREE=None)
    orders = [
        order(
            f"O-{n:04d}",
            line(p["A"], 1 + n % 3),
            line(p["B"], 2, unitValueUsd="1.5" if n % 2 else "1.50"),
            line(p["FREE"]),
            metadata={"n": n, "channel": "web"},
            consignee={"name": f"Buyer {n}", "address": "Main St"},
        )
        for n in range(1000)
    ]
    r = await sync(http, tenant, orders)
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [o["externalId"] for o in data] == [o["externalId"] for o in orders]
    assert await counts(pool, tenant) == (1000, 3000)
    for answered in (data[0], data[1], data[999]):
        stored = await http.get(f"/api/orders/{answered['id']}", headers=tenant.auth())
        assert stored.json() == answered
