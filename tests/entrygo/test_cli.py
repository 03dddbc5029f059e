"""The `entrygo` admin commands against the test database (CONTRACT §6: same operations as HTTP)."""

import json

import httpx
import pytest

from tests.support.cli_runner import cli, output
from tests.support.tenants import Tenant

WAREHOUSE = {
    "name": "CLI hub",
    "address": {"line1": "1 Dock", "city": "Riga", "country": "LV"},
    "notificationUrl": "https://wms.example.com/hook",
    "notificationSecret": "cli-secret-0123456789",
}
BROKER = {
    "name": "CLI broker",
    "classifiesGoods": True,
    "transport": {
        "type": "webhook",
        "url": "https://b.example/hook",
        "secret": "brk-secret-0123456789",
    },
}


@pytest.fixture(autouse=True)
def cli_database(monkeypatch: pytest.MonkeyPatch, database_url: str) -> None:
    monkeypatch.delenv("ENTRYGO_DATABASE_URL", raising=False)
    monkeypatch.delenv("ENTRYGO_ALLOW_PRIVATE_URLS", raising=False)  # production's policy
    monkeypatch.setenv("DATABASE_URL", database_url)


async def test_account_and_key_work_over_http(http: httpx.AsyncClient) -> None:
    account = output(await cli("accounts", "create", "CLI merchant"))
    assert account["id"].startswith("acc_")
    key = output(await cli("keys", "create", "--account", account["id"], "--roles", "admin"))
    assert key["roles"] == ["admin"]
    headers = {"authorization": f"Bearer {key['key']}"}
    r = await http.get("/api/keys", headers=headers)
    assert r.status_code == 200
    assert [k["id"] for k in r.json()["data"]] == [key["id"]]

    listed = await cli("keys", "list", "--account", account["id"])
    assert [k["id"] for k in output(listed)] == [key["id"]]
    assert key["key"] not in listed.stdout

    revoked = output(await cli("keys", "revoke", key["id"]))
    assert revoked["id"] == key["id"]
    assert revoked["revokedAt"] is not None
    assert (await http.get("/api/keys", headers=headers)).status_code == 401


async def test_keys_create_refuses_unknown_roles(tenant: Tenant) -> None:
    result = await cli("keys", "create", "--account", tenant.account_id, "--roles", "root")
    assert result.exit_code == 2
    assert "roles must be among" in result.output


async def test_warehouses_create_and_list(http: httpx.AsyncClient, tenant: Tenant) -> None:
    result = await cli(
        "warehouses", "create", "--account", tenant.account_id, "--json", json.dumps(WAREHOUSE)
    )
    created = output(result)
    assert created["id"].startswith("wh_")
    assert (created["shipmentMode"], created["hasNotificationSecret"]) == ("PARCEL_DTC", True)
    assert WAREHOUSE["notificationSecret"] not in result.stdout

    r = await http.get(f"/api/warehouses/{created['id']}", headers=tenant.auth("admin"))
    assert r.json() == created
    assert output(await cli("warehouses", "list", "--account", tenant.account_id)) == [created]


async def test_brokers_create_and_list(http: httpx.AsyncClient, tenant: Tenant) -> None:
    result = await cli(
        "brokers", "create", "--account", tenant.account_id, "--json", json.dumps(BROKER)
    )
    created = output(result)
    assert created["transport"] == {"type": "webhook", "url": "https://b.example/hook"}
    assert created["classifiesGoods"] is True
    assert "brk-secret" not in result.stdout
    r = await http.get("/api/brokers", headers=tenant.auth("admin"))
    assert r.json()["data"] == [created]
    listed = await cli("brokers", "list", "--account", tenant.account_id)
    assert output(listed) == [created]
    assert "brk-secret" not in listed.stdout


async def test_create_validates_like_the_api(pool, tenant: Tenant) -> None:
    bad = {**WAREHOUSE, "address": {**WAREHOUSE["address"], "country": "XX"}}
    result = await cli(
        "warehouses", "create", "--account", tenant.account_id, "--json", json.dumps(bad)
    )
    assert result.exit_code == 2
    assert "address.country" in result.output
    result = await cli("brokers", "create", "--account", tenant.account_id, "--json", "{not json")
    assert result.exit_code == 2
    # the address policy of the API: no cloud metadata address, no loopback
    metadata = {**WAREHOUSE, "notificationUrl": "http://169.254.169.254/latest/meta-data"}
    result = await cli(
        "warehouses", "create", "--account", tenant.account_id, "--json", json.dumps(metadata)
    )
    assert result.exit_code == 2
    assert "notificationUrl" in result.output
    loopback = {**BROKER, "transport": {**BROKER["transport"], "url": "http://127.0.0.1:9/hook"}}
    result = await cli(
        "brokers", "create", "--account", tenant.account_id, "--json", json.dumps(loopback)
    )
    assert result.exit_code == 2
    assert "transport.url" in result.output
    async with pool.acquire() as conn:
        count = await conn.fetchval(
            "SELECT (SELECT count(*) FROM warehouses WHERE account_id = $1)"
            " + (SELECT count(*) FROM brokers WHERE account_id = $1)",
            tenant.account_id,
        )
    assert count == 0


async def test_unknown_account_is_refused() -> None:
    for command in ("warehouses", "brokers"):
        result = await cli(command, "list", "--account", "acc_missing")
        assert result.exit_code == 2
        assert "no account acc_missing" in result.output


def test_the_dev_stack_names_what_planning_does_with_each_demo_product() -> None:
    from entrygo.dev import product_line
    from entrygo.seed import demo_products

    assert len(demo_products()) == 5
    line = product_line(["p1", "p2", "p3", "p4", "p5"])
    assert line == "p1, p2, p3 (READY), p4 (toy: REVIEW), p5 (saffron: BLOCKED)"
    assert product_line(["p1", "p2"]) == "p1, p2"  # demo data seeded by an older version
