"""Roles and account scope (CONTRACT §2) across the routes of this service."""

import inspect
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.support.tenants import Tenant

WAREHOUSE = {"name": "Hub", "address": {"line1": "1 Dock", "city": "Riga", "country": "LV"}}
BROKER = {"name": "B", "transport": {"type": "email", "recipientEmail": "b@example.com"}}
KEY = {"name": "k", "roles": ["reviewer"]}


def write_body(path: str, tenant: Tenant) -> dict:
    return {
        "/api/products/sync": {"accountId": tenant.account_id, "items": [{"externalId": "S"}]},
        "/api/orders/sync": {
            "accountId": tenant.account_id,
            "items": [
                {
                    "externalId": "O",
                    "destinationCountry": "US",
                    "items": [{"productId": "prod_x", "quantity": 1}],
                }
            ],
        },
        "/api/warehouses": {**WAREHOUSE, "accountId": tenant.account_id},
        "/api/brokers": {**BROKER, "accountId": tenant.account_id},
        "/api/keys": {**KEY, "accountId": tenant.account_id},
    }[path]


SYNC = ("/api/products/sync", "/api/orders/sync")
ADMIN = ("/api/warehouses", "/api/brokers", "/api/keys")


@pytest.mark.parametrize(("path", "role"), [(p, r) for p in SYNC for r in ("reviewer", "admin")])
async def test_only_integration_syncs(
    http: httpx.AsyncClient, tenant: Tenant, path: str, role: str
) -> None:
    r = await http.post(path, json=write_body(path, tenant), headers=tenant.auth(role))
    assert r.status_code == 403
    assert r.json() == {
        "errorCode": "INSUFFICIENT_ROLE",
        "message": "This action needs the integration role.",
        "details": {"requiredRole": "integration", "acceptedRoles": ["integration"]},
    }


@pytest.mark.parametrize(
    ("path", "role"), [(p, r) for p in ADMIN for r in ("integration", "reviewer")]
)
async def test_only_admin_manages_reference_data(
    http: httpx.AsyncClient, pool, tenant: Tenant, path: str, role: str
) -> None:
    r = await http.post(path, json=write_body(path, tenant), headers=tenant.auth(role))
    assert r.status_code == 403
    assert r.json()["errorCode"] == "INSUFFICIENT_ROLE"
    assert r.json()["details"]["requiredRole"] == "admin"
    r = await http.get(path, headers=tenant.auth(role))
    assert r.status_code == 403
    async with pool.acquire() as conn:
        counts = await conn.fetchrow(
            """SELECT (SELECT count(*) FROM warehouses WHERE account_id = $1) AS w,
                      (SELECT count(*) FROM brokers WHERE account_id = $1) AS b,
                      (SELECT count(*) FROM api_keys WHERE account_id = $1) AS k""",
            tenant.account_id,
        )
    assert tuple(counts) == (0, 0, 4)


@pytest.mark.parametrize("path", ADMIN)
async def test_admin_and_all_roles_manage_reference_data(
    http: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    for role in ("admin", "all"):
        r = await http.post(path, json=write_body(path, tenant), headers=tenant.auth(role))
        assert r.status_code == 201, r.text
        assert (await http.get(path, headers=tenant.auth(role))).status_code == 200


@pytest.mark.parametrize("role", ["integration", "reviewer", "admin"])
async def test_every_role_reads_orders_and_products(
    http: httpx.AsyncClient, tenant: Tenant, role: str
) -> None:
    for path in ("/api/orders", "/api/products"):
        r = await http.get(path, headers=tenant.auth(role))
        assert r.status_code == 200
        assert r.json() == {"data": [], "nextCursor": None}


@pytest.mark.parametrize("path", SYNC + ADMIN)
async def test_body_account_of_another_account_is_out_of_scope(
    http: httpx.AsyncClient, pool, tenant: Tenant, other_tenant: Tenant, path: str
) -> None:
    for account_id in (other_tenant.account_id, "acc_doesnotexist"):
        body = {**write_body(path, tenant), "accountId": account_id}
        r = await http.post(path, json=body, headers=tenant.auth("all"))
        assert r.status_code == 403
        assert r.json() == {
            "errorCode": "INVALID_ACCOUNT_SCOPE",
            "message": "accountId does not match the API key's account.",
            "field": "accountId",
        }
    async with pool.acquire() as conn:
        written = await conn.fetchval(
            """SELECT (SELECT count(*) FROM products WHERE account_id = $1)
                    + (SELECT count(*) FROM warehouses WHERE account_id = $1)
                    + (SELECT count(*) FROM brokers WHERE account_id = $1)""",
            other_tenant.account_id,
        )
    assert written == 0


async def test_sync_requires_account_id(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/products/sync", json={"items": [{"externalId": "S"}]}, headers=tenant.auth()
    )
    assert r.status_code == 400
    assert r.json()["details"]["issues"][0] == {
        "path": "accountId",
        "message": "Field required",
        "code": "required",
    }


def _api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from _api_routes(route.original_router.routes)


def _calls(dependant: Any) -> Iterator[Any]:
    for sub in dependant.dependencies:
        yield sub.call
        yield from _calls(sub)


async def test_the_callers_dependencies_run_on_the_event_loop(app: Any) -> None:
    # FastAPI runs a plain `def` dependency in a worker thread: two thread hand-overs per request
    # for the role check and the context or unit of work built from it
    routes = list(_api_routes(app.routes))
    checked = 0
    for route in routes:
        for call in _calls(route.dependant):
            if getattr(call, "__module__", None) == "api.deps" and call.__name__ in (
                "check",
                "build",
            ):
                assert inspect.iscoroutinefunction(call), (route.path, call.__qualname__)
                checked += 1
    plan = next(r for r in routes if r.path == "/api/exports/plan")
    assert all(
        inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)
        for call in _calls(plan.dependant)
    )
    assert checked > 50
