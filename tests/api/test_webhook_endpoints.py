"""Webhook endpoints over HTTP: create, read, change, delete, deliveries; every bad input has
the contract's answer and writes nothing; the feed's cursor is validated."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.tenants import Tenant

SECRET = "endpoint-secret-0123456789"


async def create(http: httpx.AsyncClient, tenant: Tenant, **body: Any) -> httpx.Response:
    return await http.post(
        "/api/webhook-endpoints",
        headers=tenant.auth("admin"),
        json={"url": "http://127.0.0.1:9/hooks", "secret": SECRET, **body},
    )


async def test_an_endpoint_is_created_read_changed_and_deleted(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await create(http, tenant, eventTypes=["EXPORT_EXECUTED", "EXPORT_EXECUTED"])
    assert r.status_code == 201, r.text
    endpoint = r.json()
    assert "secret" not in endpoint
    assert endpoint["deletedAt"] is None
    assert endpoint["eventTypes"] == ["EXPORT_EXECUTED"]
    path = f"/api/webhook-endpoints/{endpoint['id']}"
    assert (await http.get(path, headers=tenant.auth("admin"))).json() == endpoint
    r = await http.patch(path, headers=tenant.auth("admin"), json={"eventTypes": None})
    assert r.status_code == 200, r.text
    assert r.json()["eventTypes"] is None
    listed = (await http.get("/api/webhook-endpoints", headers=tenant.auth("admin"))).json()
    assert endpoint["id"] in [e["id"] for e in listed["data"]]
    r = await http.get(f"{path}/deliveries", headers=tenant.auth("admin"))
    assert r.status_code == 200
    assert r.json() == {"data": [], "nextCursor": None}
    deleted = await http.delete(path, headers=tenant.auth("admin"))
    assert deleted.status_code == 200
    assert deleted.json()["deletedAt"] is not None
    again = await http.delete(path, headers=tenant.auth("admin"))  # changes nothing
    assert again.json() == deleted.json()
    assert (await http.get(path, headers=tenant.auth("admin"))).status_code == 404
    r = await http.patch(path, headers=tenant.auth("admin"), json={"description": "x"})
    assert r.status_code == 404
    listed = (await http.get("/api/webhook-endpoints", headers=tenant.auth("admin"))).json()
    assert endpoint["id"] not in [e["id"] for e in listed["data"]]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "ftp://example.com/x"},
        {"url": "http://\u0096\u00fa[d/x"},  # no host a request could be sent to
        {"url": "http://\u0096x/x"},  # a host IDNA cannot encode
        {"url": ""},
        {"secret": "short"},
        {"eventTypes": []},
        {"eventTypes": ["lower-case"]},
        {"unknown": 1},
        {"description": "tab\tinside"},
    ],
)
async def test_bad_bodies_are_refused_and_nothing_is_written(
    http: httpx.AsyncClient, tenant: Tenant, pool: asyncpg.Pool, body: dict[str, Any]
) -> None:
    async with pool.acquire() as conn:
        before = await conn.fetchval("SELECT count(*) FROM webhook_endpoints")
    r = await create(http, tenant, **body)
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION_ERROR"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM webhook_endpoints") == before


async def test_roles_and_accounts_are_kept_apart(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await create(http, tenant)
    path = f"/api/webhook-endpoints/{r.json()['id']}"
    for role in ("integration", "reviewer"):
        assert (await http.get(path, headers=tenant.auth(role))).status_code == 403
    assert (await http.get(path, headers=other_tenant.auth("admin"))).status_code == 404
    r = await http.get(f"{path}/deliveries", headers=other_tenant.auth("admin"))
    assert r.status_code == 404
    r = await http.patch(path, headers=other_tenant.auth("admin"), json={"description": "x"})
    assert r.status_code == 404


async def test_a_patch_must_change_something_and_never_nulls_the_url(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    path = f"/api/webhook-endpoints/{(await create(http, tenant)).json()['id']}"
    for body in ({}, {"url": None}, {"secret": None}):
        r = await http.patch(path, headers=tenant.auth("admin"), json=body)
        assert r.status_code == 400, (body, r.text)


@pytest.mark.parametrize(
    "after", ["x", "1.2", "1.exp_x.y", "1.exp_x.1.2", "31937400044242832677.exp_x.1"]
)
async def test_the_feed_refuses_what_is_not_its_cursor(
    http: httpx.AsyncClient, tenant: Tenant, after: str
) -> None:
    r = await http.get(f"/api/events?after={after}", headers=tenant.auth())
    assert r.status_code == 400
    assert r.json()["errorCode"] == "VALIDATION_ERROR"


async def test_an_empty_feed_keeps_the_cursor(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.get("/api/events", headers=tenant.auth())
    assert r.status_code == 200
    assert r.json() == {"data": [], "nextCursor": None}
    r = await http.get("/api/events?after=1.exp_x.3", headers=tenant.auth())
    assert r.json() == {"data": [], "nextCursor": "1.exp_x.3"}
    r = await http.get("/api/events?after=019.z.902485960", headers=tenant.auth())
    assert r.json() == {"data": [], "nextCursor": "19.z.902485960"}
