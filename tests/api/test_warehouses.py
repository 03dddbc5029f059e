"""Warehouses over HTTP (CONTRACT §6): create, list, get, patch; secrets never shown."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from config.settings import Settings
from tests.support.strict_app import NON_PUBLIC_HOSTS, PUBLIC_LITERAL, strict_client
from tests.support.tenants import Tenant

SECRET = "whsec-0123456789abcdef"
WAREHOUSE = {
    "name": "EU hub",
    "address": {"line1": "Hamnvagen 1", "city": "Goteborg", "postalCode": "41764", "country": "SE"},
    "notificationUrl": "https://wms.example.com/hooks/entrygo",
    "notificationSecret": SECRET,
}


async def create(http: httpx.AsyncClient, tenant: Tenant, **changes: object) -> dict:
    r = await http.post(
        "/api/warehouses", json={**WAREHOUSE, **changes}, headers=tenant.auth("admin")
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_returns_the_warehouse_without_its_secret(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    body = await create(http, tenant, accountId=tenant.account_id)
    assert body["id"].startswith("wh_")
    assert body["name"] == "EU hub"
    assert body["address"] == {
        "line1": "Hamnvagen 1",
        "line2": None,
        "city": "Goteborg",
        "region": None,
        "postalCode": "41764",
        "country": "SE",
    }
    assert body["shipmentMode"] == "PARCEL_DTC"
    assert body["notificationUrl"] == "https://wms.example.com/hooks/entrygo"
    assert body["hasNotificationSecret"] is True
    assert "notificationSecret" not in body
    assert SECRET not in str(body)


async def test_get_and_list_never_show_the_secret(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    r = await http.get(f"/api/warehouses/{created['id']}", headers=tenant.auth("admin"))
    assert r.status_code == 200
    assert r.json() == created
    r = await http.get("/api/warehouses", headers=tenant.auth("admin"))
    assert r.status_code == 200
    assert r.json() == {"data": [created], "nextCursor": None}
    assert SECRET not in r.text


async def test_list_pages_with_a_cursor(http: httpx.AsyncClient, tenant: Tenant) -> None:
    ids = [(await create(http, tenant, name=f"W{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await http.get("/api/warehouses", params=params, headers=tenant.auth("admin"))
        assert r.status_code == 200
        page = r.json()
        seen += [w["id"] for w in page["data"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == sorted(ids)
    assert pages == 3


async def test_shipment_mode_and_country_are_validated(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await http.post(
        "/api/warehouses",
        json={
            **WAREHOUSE,
            "shipmentMode": "SHIP",
            "address": {**WAREHOUSE["address"], "country": "XX"},
        },
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400
    paths = {i["path"] for i in r.json()["details"]["issues"]}
    assert paths == {"shipmentMode", "address.country"}


async def test_unknown_field_is_refused(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/warehouses", json={**WAREHOUSE, "colour": "red"}, headers=tenant.auth("admin")
    )
    assert r.status_code == 400
    assert r.json()["details"]["issues"][0] == {
        "path": "colour",
        "message": "Extra inputs are not permitted",
        "code": "unrecognized_keys",
    }


async def test_notification_secret_is_optional(http: httpx.AsyncClient, tenant: Tenant) -> None:
    body = {k: v for k, v in WAREHOUSE.items() if k != "notificationSecret"}
    r = await http.post("/api/warehouses", json=body, headers=tenant.auth("admin"))
    assert r.status_code == 201
    assert (r.json()["notificationUrl"], r.json()["hasNotificationSecret"]) == (
        WAREHOUSE["notificationUrl"],
        False,
    )


async def test_patch_changes_only_the_fields_sent(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    created = await create(http, tenant)
    r = await http.patch(
        f"/api/warehouses/{created['id']}",
        json={"shipmentMode": "BULK_TO_US_WAREHOUSE", "notificationSecret": "a-new-secret-0000001"},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["shipmentMode"] == "BULK_TO_US_WAREHOUSE"
    assert {k: v for k, v in patched.items() if k not in ("shipmentMode", "updatedAt")} == {
        k: v for k, v in created.items() if k not in ("shipmentMode", "updatedAt")
    }
    assert "a-new-secret" not in r.text
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT notification_secret FROM warehouses WHERE id = $1", created["id"]
        )
    assert stored == "a-new-secret-0000001"


async def test_patch_null_clears_an_optional_field(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    r = await http.patch(
        f"/api/warehouses/{created['id']}",
        json={"notificationUrl": None, "notificationSecret": None},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 200
    assert (r.json()["notificationUrl"], r.json()["hasNotificationSecret"]) == (None, False)


async def test_patch_refuses_null_for_a_required_field(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await create(http, tenant)
    r = await http.patch(
        f"/api/warehouses/{created['id']}", json={"name": None}, headers=tenant.auth("admin")
    )
    assert r.status_code == 400
    assert r.json()["field"] == "name"


async def test_patch_needs_a_field(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    r = await http.patch(f"/api/warehouses/{created['id']}", json={}, headers=tenant.auth("admin"))
    assert r.status_code == 400
    assert r.json()["errorCode"] == "VALIDATION_ERROR"
    assert "field" not in r.json()
    assert r.json()["details"]["issues"][0]["path"] == ""


async def test_create_is_idempotent(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    headers = {**tenant.auth("admin"), "idempotency-key": "wh-create-1"}
    first = await http.post("/api/warehouses", json=WAREHOUSE, headers=headers)
    again = await http.post("/api/warehouses", json=WAREHOUSE, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT count(*) FROM warehouses WHERE account_id = $1", tenant.account_id
        )
    assert count == 1


async def test_another_accounts_warehouse_is_not_found(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await create(http, other_tenant)
    r = await http.get(f"/api/warehouses/{theirs['id']}", headers=tenant.auth("admin"))
    assert r.status_code == 404
    assert r.json() == {
        "errorCode": "NOT_FOUND",
        "message": "warehouse not found.",
        "details": {"resource": "warehouse"},
    }
    r = await http.patch(
        f"/api/warehouses/{theirs['id']}", json={"name": "mine"}, headers=tenant.auth("admin")
    )
    assert r.status_code == 404
    assert r.json()["details"] == {"resource": "warehouse"}
    r = await http.get("/api/warehouses", headers=tenant.auth("admin"))
    assert r.json()["data"] == []


async def test_create_for_another_account_is_out_of_scope(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await http.post(
        "/api/warehouses",
        json={**WAREHOUSE, "accountId": other_tenant.account_id},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 403
    assert (r.json()["errorCode"], r.json()["field"]) == ("INVALID_ACCOUNT_SCOPE", "accountId")


async def test_only_admins_manage_warehouses(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for role in ("integration", "reviewer"):
        r = await http.post("/api/warehouses", json=WAREHOUSE, headers=tenant.auth(role))
        assert r.status_code == 403
        assert r.json()["errorCode"] == "INSUFFICIENT_ROLE"
        assert r.json()["details"]["requiredRole"] == "admin"
        r = await http.get("/api/warehouses", headers=tenant.auth(role))
        assert r.status_code == 403


@pytest_asyncio.fixture(scope="module")
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the outbound address policy on."""
    async with strict_client(settings) as client:
        yield client


async def _warehouse_count(pool, tenant: Tenant) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM warehouses WHERE account_id = $1", tenant.account_id
            )
        )


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
async def test_notification_url_to_a_non_public_address_is_refused(
    strict: httpx.AsyncClient, pool, tenant: Tenant, host: str
) -> None:
    r = await strict.post(
        "/api/warehouses",
        json={**WAREHOUSE, "notificationUrl": f"http://{host}/latest/meta-data"},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert (body["errorCode"], body["field"]) == ("VALIDATION_ERROR", "notificationUrl")
    (issue,) = body["details"]["issues"]
    assert (issue["path"], issue["code"]) == ("notificationUrl", "private_address")
    assert host.strip("[]") in issue["message"]
    assert await _warehouse_count(pool, tenant) == 0


async def test_patching_the_notification_url_is_policed(
    strict: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await strict.post("/api/warehouses", json=WAREHOUSE, headers=tenant.auth("admin"))
    assert r.status_code == 201, r.text
    created = r.json()
    url = f"/api/warehouses/{created['id']}"
    r = await strict.patch(
        url, json={"notificationUrl": "http://10.0.0.5:8080/wms"}, headers=tenant.auth("admin")
    )
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "notificationUrl"
    assert "10.0.0.5" in r.json()["details"]["issues"][0]["message"]
    r = await strict.get(url, headers=tenant.auth("admin"))
    assert r.json() == created
    # clearing the URL, or another field, is not held up by the policy
    r = await strict.patch(url, json={"notificationUrl": None}, headers=tenant.auth("admin"))
    assert (r.status_code, r.json()["notificationUrl"]) == (200, None)
    public = f"https://{PUBLIC_LITERAL}/hooks"
    r = await strict.patch(url, json={"notificationUrl": public}, headers=tenant.auth("admin"))
    assert (r.status_code, r.json()["notificationUrl"]) == (200, public)


async def test_loopback_notification_url_is_accepted_when_allowed(
    http: httpx.AsyncClient, settings: Settings, tenant: Tenant
) -> None:
    assert settings.allow_private_urls
    body = await create(http, tenant, notificationUrl="http://127.0.0.1:9/wms")
    assert body["notificationUrl"] == "http://127.0.0.1:9/wms"


async def test_an_ipv6_literal_is_refused_by_its_form(
    strict: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    r = await strict.post(
        "/api/warehouses",
        json={**WAREHOUSE, "notificationUrl": "http://[::1]/wms"},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400, r.text
    assert (r.json()["errorCode"], r.json()["field"]) == ("VALIDATION_ERROR", "notificationUrl")
    assert await _warehouse_count(pool, tenant) == 0
