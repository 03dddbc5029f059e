"""API keys over HTTP (CONTRACT §2, §6): the secret is shown once, stored only as a hash."""

import hashlib
import re

import httpx

from tests.support.tenants import Tenant

KEY_FORMAT = re.compile(r"^eg_live_[0-9A-Za-z]{32}$")


async def create(http: httpx.AsyncClient, tenant: Tenant, **body: object) -> httpx.Response:
    payload = {"name": "ci", "roles": ["integration"], **body}
    return await http.post("/api/keys", json=payload, headers=tenant.auth("admin"))


async def test_create_shows_the_key_once_and_stores_its_hash(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    r = await create(http, tenant, roles=["reviewer", "integration", "reviewer"])
    assert r.status_code == 201, r.text
    body = r.json()
    assert KEY_FORMAT.match(body["key"])
    assert body["id"].startswith("key_")
    assert body["accountId"] == tenant.account_id
    assert body["roles"] == ["integration", "reviewer"]
    assert body["prefix"] == body["key"][:12]
    assert body["revokedAt"] is None
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM api_keys WHERE id = $1", body["id"])
        stored = await conn.fetch(
            "SELECT response_body FROM idempotency_keys WHERE account_id = $1", tenant.account_id
        )
    assert row["key_hash"] == hashlib.sha256(body["key"].encode()).digest()
    assert body["key"] not in str(dict(row))
    assert stored == []


async def test_new_key_authenticates_with_its_roles(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    secret = (await create(http, tenant, roles=["reviewer"])).json()["key"]
    headers = {"authorization": f"Bearer {secret}"}
    r = await http.get("/api/orders", headers=headers)
    assert r.status_code == 200
    r = await http.post(
        "/api/orders/sync", json={"accountId": tenant.account_id, "items": []}, headers=headers
    )
    assert r.status_code == 403
    assert r.json()["errorCode"] == "INSUFFICIENT_ROLE"


async def test_list_never_shows_secret_or_hash(http: httpx.AsyncClient, tenant: Tenant) -> None:
    secret = (await create(http, tenant)).json()["key"]
    r = await http.get("/api/keys", headers=tenant.auth("admin"))
    assert r.status_code == 200
    keys = r.json()["data"]
    # the tenant's four fixture keys and the new one
    assert len(keys) == 5
    assert r.json()["nextCursor"] is None
    for key in keys:
        assert set(key) == {
            "id",
            "accountId",
            "name",
            "label",
            "prefix",
            "roles",
            "createdAt",
            "revokedAt",
        }
    assert secret not in r.text
    assert hashlib.sha256(secret.encode()).hexdigest() not in r.text
    r = await http.get("/api/keys", params={"limit": 2}, headers=tenant.auth("admin"))
    assert len(r.json()["data"]) == 2
    assert r.json()["nextCursor"] == r.json()["data"][1]["id"]


async def test_revoked_key_gets_401(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = (await create(http, tenant)).json()
    headers = {"authorization": f"Bearer {created['key']}"}
    assert (await http.get("/api/orders", headers=headers)).status_code == 200
    r = await http.delete(f"/api/keys/{created['id']}", headers=tenant.auth("admin"))
    assert r.status_code == 200
    revoked = r.json()
    assert revoked["id"] == created["id"]
    assert revoked["revokedAt"] is not None
    assert "key" not in revoked
    r = await http.get("/api/orders", headers=headers)
    assert r.status_code == 401
    assert r.json() == {"errorCode": "INVALID_API_KEY", "message": "Invalid API key."}
    again = await http.delete(f"/api/keys/{created['id']}", headers=tenant.auth("admin"))
    assert again.status_code == 200
    assert again.json() == revoked


async def test_replayed_create_does_not_show_the_key_again(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    headers = {**tenant.auth("admin"), "idempotency-key": "key-create-1"}
    payload = {"name": "ci", "roles": ["admin"]}
    first = await http.post("/api/keys", json=payload, headers=headers)
    again = await http.post("/api/keys", json=payload, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == {**first.json(), "key": None}
    async with pool.acquire() as conn:
        stored = await conn.fetchval(
            "SELECT response_body FROM idempotency_keys WHERE account_id = $1 AND key = $2",
            tenant.account_id,
            "key-create-1",
        )
        count = await conn.fetchval(
            "SELECT count(*) FROM api_keys WHERE account_id = $1 AND name = 'ci'",
            tenant.account_id,
        )
    assert first.json()["key"].encode() not in stored
    assert count == 1


async def test_roles_are_validated(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await create(http, tenant, roles=[])
    assert r.status_code == 400
    assert r.json()["details"]["issues"][0]["code"] == "too_small"
    r = await create(http, tenant, roles=["root"])
    assert r.status_code == 400
    assert r.json()["field"] == "roles.0"


async def test_another_accounts_key_is_not_found(
    http: httpx.AsyncClient, pool, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = (await create(http, other_tenant)).json()
    r = await http.delete(f"/api/keys/{theirs['id']}", headers=tenant.auth("admin"))
    assert r.status_code == 404
    assert r.json()["details"] == {"resource": "apiKey"}
    r = await http.get("/api/orders", headers={"authorization": f"Bearer {theirs['key']}"})
    assert r.status_code == 200
    r = await http.get("/api/keys", headers=tenant.auth("admin"))
    assert theirs["id"] not in {k["id"] for k in r.json()["data"]}


async def test_create_for_another_account_is_out_of_scope(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await create(http, tenant, accountId=other_tenant.account_id)
    assert r.status_code == 403
    assert (r.json()["errorCode"], r.json()["field"]) == ("INVALID_ACCOUNT_SCOPE", "accountId")


async def test_only_admins_manage_keys(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for role in ("integration", "reviewer"):
        r = await http.post(
            "/api/keys", json={"name": "x", "roles": ["admin"]}, headers=tenant.auth(role)
        )
        assert r.status_code == 403
        assert r.json()["details"]["requiredRole"] == "admin"
        assert (await http.get("/api/keys", headers=tenant.auth(role))).status_code == 403


# ---- labels: who a key stands for -----------------------------------------------------------


async def test_a_key_carries_its_label_in_the_answer_and_the_list(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await create(http, tenant, name="reviewer-2", roles=["reviewer"], label="Dana Diaz")
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["name"], created["label"]) == ("reviewer-2", "Dana Diaz")
    r = await http.get("/api/keys", headers=tenant.auth("admin"))
    listed = {k["id"]: k for k in r.json()["data"]}
    assert listed[created["id"]]["label"] == "Dana Diaz"
    # the fixture keys were made without a label: theirs is their name
    assert all(k["label"] == k["name"] for k in listed.values() if k["id"] != created["id"])


async def test_without_a_label_the_label_is_the_name(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await create(http, tenant, name="Integration bot")
    assert r.status_code == 201, r.text
    assert r.json()["label"] == "Integration bot"


async def test_a_label_is_validated(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for bad in ("", "x" * 201, "Dana\nDiaz", "tab\there", "nul\u0000", "c1\u0085"):
        r = await create(http, tenant, label=bad)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["errorCode"] == "VALIDATION_ERROR"
        assert r.json()["details"]["issues"][0]["path"] == "label"
    r = await create(http, tenant, label=None)
    assert r.status_code == 201, r.text
    r = await create(http, tenant, name="k", label="Zoë Ångström (QA) – \u65e5\u672c")
    assert r.status_code == 201, r.text
    assert r.json()["label"] == "Zoë Ångström (QA) – 日本"
