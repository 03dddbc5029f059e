"""Brokers over HTTP (CONTRACT §6): create, list, get, patch; the webhook secret is write-only."""

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from config.settings import Settings
from tests.support.strict_app import NON_PUBLIC_HOSTS, PUBLIC_LITERAL, strict_client
from tests.support.tenants import Tenant

SECRET = "brsec-0123456789abcdef"
EMAIL_BROKER = {
    "name": "Harbor Customs",
    "filerCode": "HC1",
    "transport": {"type": "email", "recipientEmail": "entries@harbor.example"},
}
WEBHOOK = {"type": "webhook", "url": "https://broker.example.com/entrygo", "secret": SECRET}


async def create(http: httpx.AsyncClient, tenant: Tenant, **changes: object) -> dict:
    r = await http.post(
        "/api/brokers", json={**EMAIL_BROKER, **changes}, headers=tenant.auth("admin")
    )
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_email_broker_with_defaults(http: httpx.AsyncClient, tenant: Tenant) -> None:
    body = await create(http, tenant)
    assert body["id"].startswith("br_")
    assert body["transport"] == {"type": "email", "recipientEmail": "entries@harbor.example"}
    assert body["classifiesGoods"] is False
    assert body["supportedDestinations"] == ["US"]
    assert body["filerCode"] == "HC1"


async def test_webhook_secret_is_never_returned(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    body = await create(http, tenant, transport=WEBHOOK, classifiesGoods=True)
    assert body["transport"] == {"type": "webhook", "url": "https://broker.example.com/entrygo"}
    assert body["classifiesGoods"] is True
    for r in (
        await http.get(f"/api/brokers/{body['id']}", headers=tenant.auth("admin")),
        await http.get("/api/brokers", headers=tenant.auth("admin")),
    ):
        assert r.status_code == 200
        assert SECRET not in r.text
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT webhook_secret FROM brokers WHERE id = $1", body["id"])
    assert stored == SECRET


async def test_get_and_list(http: httpx.AsyncClient, tenant: Tenant) -> None:
    made = [await create(http, tenant), await create(http, tenant, name="2", transport=WEBHOOK)]
    r = await http.get(f"/api/brokers/{made[1]['id']}", headers=tenant.auth("admin"))
    assert r.json() == made[1]
    first, second = sorted(made, key=lambda b: b["id"])
    r = await http.get("/api/brokers", headers=tenant.auth("admin"))
    assert r.json() == {"data": [first, second], "nextCursor": None}
    r = await http.get("/api/brokers", params={"limit": 1}, headers=tenant.auth("admin"))
    assert r.json() == {"data": [first], "nextCursor": first["id"]}
    r = await http.get(
        "/api/brokers", params={"limit": 1, "cursor": first["id"]}, headers=tenant.auth("admin")
    )
    assert r.json()["data"] == [second]


async def test_transport_is_validated_by_its_type(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "transport": {"type": "webhook", "url": "https://b.example"}},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400
    issue = r.json()["details"]["issues"][0]
    assert (issue["path"], issue["code"]) == ("transport.webhook.secret", "required")
    r = await http.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "transport": {"type": "fax", "number": "1"}},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400
    assert r.json()["field"] == "transport"


async def test_supported_destinations_are_country_codes(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await http.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "supportedDestinations": ["US", "USA"]},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400
    assert r.json()["field"] == "supportedDestinations.1"  # the offending entry


async def test_patch_transport_replaces_the_whole_transport(
    http: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    created = await create(http, tenant, transport=WEBHOOK)
    r = await http.patch(
        f"/api/brokers/{created['id']}",
        json={"transport": {"type": "email", "recipientEmail": "new@harbor.example"}},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["transport"] == {"type": "email", "recipientEmail": "new@harbor.example"}
    assert r.json()["name"] == created["name"]
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM brokers WHERE id = $1", created["id"])
    assert (row["transport_type"], row["webhook_url"], row["webhook_secret"]) == (
        "email",
        None,
        None,
    )


async def test_patch_partial_fields(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    r = await http.patch(
        f"/api/brokers/{created['id']}",
        json={"classifiesGoods": True, "filerCode": None},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["classifiesGoods"], body["filerCode"]) == (True, None)
    assert body["transport"] == created["transport"]


async def test_patch_validation(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    url = f"/api/brokers/{created['id']}"
    for body, field in (
        ({}, None),
        ({"transport": None}, "transport"),
        ({"classifiesGoods": None}, "classifiesGoods"),
        ({"reportsRelease": None}, "reportsRelease"),
        ({"transport": {"type": "email"}}, "transport.email.recipientEmail"),
        ({"secret": "x" * 20}, "secret"),
    ):
        r = await http.patch(url, json=body, headers=tenant.auth("admin"))
        assert r.status_code == 400, body
        assert r.json()["errorCode"] == "VALIDATION_ERROR"
        assert r.json().get("field") == field
    r = await http.get(url, headers=tenant.auth("admin"))
    assert r.json() == created


async def test_another_accounts_broker_is_not_found(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await create(http, other_tenant)
    r = await http.get(f"/api/brokers/{theirs['id']}", headers=tenant.auth("admin"))
    assert r.status_code == 404
    assert r.json()["details"] == {"resource": "broker"}
    r = await http.patch(
        f"/api/brokers/{theirs['id']}", json={"name": "mine"}, headers=tenant.auth("admin")
    )
    assert r.status_code == 404
    r = await http.get(f"/api/brokers/{theirs['id']}", headers=other_tenant.auth("admin"))
    assert r.json()["name"] == EMAIL_BROKER["name"]


async def test_only_admins_manage_brokers(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await create(http, tenant)
    for role in ("integration", "reviewer"):
        r = await http.patch(
            f"/api/brokers/{created['id']}", json={"name": "x"}, headers=tenant.auth(role)
        )
        assert r.status_code == 403
        assert r.json()["errorCode"] == "INSUFFICIENT_ROLE"
        r = await http.get(f"/api/brokers/{created['id']}", headers=tenant.auth(role))
        assert r.status_code == 403


async def test_customs_bond_is_optional_and_kept(http: httpx.AsyncClient, tenant: Tenant) -> None:
    plain = await create(http, tenant)
    assert plain["customsBond"] is None
    bond = {"type": "CONTINUOUS", "suretyCode": "457"}
    bonded = await create(http, tenant, customsBond=bond)
    assert bonded["customsBond"] == bond
    r = await http.get(f"/api/brokers/{bonded['id']}", headers=tenant.auth("admin"))
    assert r.json()["customsBond"] == bond
    r = await http.patch(
        f"/api/brokers/{bonded['id']}",
        json={"customsBond": {"type": "SINGLE_TRANSACTION"}},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["customsBond"] == {"type": "SINGLE_TRANSACTION", "suretyCode": None}
    r = await http.patch(
        f"/api/brokers/{bonded['id']}", json={"customsBond": None}, headers=tenant.auth("admin")
    )
    assert r.json()["customsBond"] is None


async def test_customs_bond_is_validated(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for bond, field in (
        ({"type": "ANNUAL"}, "customsBond.type"),
        ({"type": "CONTINUOUS", "suretyCode": "45"}, "customsBond.suretyCode"),
        ({"type": "CONTINUOUS", "extra": 1}, "customsBond.extra"),
    ):
        r = await http.post(
            "/api/brokers", json={**EMAIL_BROKER, "customsBond": bond}, headers=tenant.auth("admin")
        )
        assert r.status_code == 400, r.text
        assert r.json()["field"] == field


@pytest_asyncio.fixture(scope="module")
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the outbound address policy on."""
    async with strict_client(settings) as client:
        yield client


async def _broker_count(pool, tenant: Tenant) -> int:
    async with pool.acquire() as conn:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM brokers WHERE account_id = $1", tenant.account_id
            )
        )


@pytest.mark.parametrize("host", NON_PUBLIC_HOSTS)
async def test_webhook_transport_to_a_non_public_address_is_refused(
    strict: httpx.AsyncClient, pool, tenant: Tenant, host: str
) -> None:
    url = f"http://{host}:8080/entrygo"
    r = await strict.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "transport": {**WEBHOOK, "url": url}},
        headers={**tenant.auth("admin"), "idempotency-key": f"br-{host}"},
    )
    assert r.status_code == 400, r.text
    body = r.json()
    assert (body["errorCode"], body["field"]) == ("VALIDATION_ERROR", "transport.url")
    (issue,) = body["details"]["issues"]
    assert (issue["path"], issue["code"]) == ("transport.url", "private_address")
    assert host.strip("[]") in issue["message"]
    assert await _broker_count(pool, tenant) == 0
    # nothing was kept under the key either: the corrected request succeeds with it
    r = await strict.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "transport": WEBHOOK},
        headers={**tenant.auth("admin"), "idempotency-key": f"br-{host}"},
    )
    assert r.status_code == 201, r.text


async def test_patching_the_transport_to_a_non_public_address_is_refused(
    strict: httpx.AsyncClient, tenant: Tenant
) -> None:
    r = await strict.post("/api/brokers", json=EMAIL_BROKER, headers=tenant.auth("admin"))
    assert r.status_code == 201, r.text
    created = r.json()
    url = f"/api/brokers/{created['id']}"
    metadata = {
        "type": "webhook",
        "url": "http://169.254.169.254/latest/meta-data",
        "secret": SECRET,
    }
    r = await strict.patch(url, json={"transport": metadata}, headers=tenant.auth("admin"))
    assert r.status_code == 400, r.text
    assert r.json()["field"] == "transport.url"
    assert "169.254.169.254" in r.json()["details"]["issues"][0]["message"]
    r = await strict.get(url, headers=tenant.auth("admin"))
    assert r.json() == created
    # a field other than the transport is not held up by the policy
    r = await strict.patch(url, json={"name": "Renamed"}, headers=tenant.auth("admin"))
    assert r.status_code == 200, r.text


async def test_webhook_transport_to_a_public_literal_is_accepted(
    strict: httpx.AsyncClient, tenant: Tenant
) -> None:
    transport = {**WEBHOOK, "url": f"https://{PUBLIC_LITERAL}/entrygo"}
    r = await strict.post(
        "/api/brokers", json={**EMAIL_BROKER, "transport": transport}, headers=tenant.auth("admin")
    )
    assert r.status_code == 201, r.text
    assert r.json()["transport"]["url"] == transport["url"]


async def test_loopback_is_accepted_when_private_urls_are_allowed(
    http: httpx.AsyncClient, settings: Settings, tenant: Tenant
) -> None:
    assert settings.allow_private_urls
    body = await create(http, tenant, transport={**WEBHOOK, "url": "http://127.0.0.1:9/in"})
    assert body["transport"]["url"] == "http://127.0.0.1:9/in"


async def test_an_ipv6_literal_is_refused_by_its_form(
    strict: httpx.AsyncClient, pool, tenant: Tenant
) -> None:
    r = await strict.post(
        "/api/brokers",
        json={**EMAIL_BROKER, "transport": {**WEBHOOK, "url": "http://[::1]:8080/entrygo"}},
        headers=tenant.auth("admin"),
    )
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION_ERROR"
    # the schema names the union's branch: transport.webhook.url
    assert r.json()["field"] in ("transport.url", "transport.webhook.url")
    assert await _broker_count(pool, tenant) == 0
