"""System endpoints and the OpenAPI document."""

import httpx

from tests.conftest import Tenant


async def test_health_without_key(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/system/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["protocolVersion"] == "EntryGo Export Protocol v1"
    assert body["checks"] == {"database": "ok", "temporal": "ok"}
    assert "account" not in body


async def test_health_with_key_names_the_account(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.get("/api/system/health", headers=tenant.auth("reviewer"))
    assert r.status_code == 200
    assert r.json()["account"] == {"id": tenant.account_id, "name": "tenant"}


async def test_health_with_bad_key_is_401(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/system/health", headers={"authorization": "Bearer nope"})
    assert r.status_code == 401
    assert r.json()["errorCode"] == "INVALID_API_KEY"


async def test_live_and_ready(http: httpx.AsyncClient) -> None:
    assert (await http.get("/api/system/live")).json() == {"status": "ok"}
    assert (await http.get("/api/system/ready")).status_code == 200


async def test_openapi_declares_the_error_body_on_every_route(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/docs/api/openapi")).json()
    assert doc["openapi"].startswith("3.1")
    operations = [(path, op) for path, item in doc["paths"].items() for op in item.values()]
    assert len(operations) >= 5
    for path, op in operations:
        assert "422" not in op["responses"]
        statuses = ["400", "401", "404", "500"]
        if path not in ("/api/system/health", "/api/system/ready"):  # 503 there is the Health body
            statuses.append("503")
        for status in statuses:
            ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorBody")


async def test_interactive_docs(http: httpx.AsyncClient) -> None:
    r = await http.get("/docs/api")
    assert r.status_code == 200
    assert "swagger" in r.text.lower()
