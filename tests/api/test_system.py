"""System endpoints and the OpenAPI document."""

import httpx

from tests.support.tenants import Tenant


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


async def test_openapi_declares_who_may_call_what(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/docs/api/openapi")).json()
    paths = doc["paths"]
    # each operation says it: the key from the route's dependency, no document-wide default
    assert "security" not in doc
    assert paths["/api/exports/plan"]["post"]["security"] == [{"bearer": []}]
    assert paths["/api/system/health"]["get"]["security"] == [{}, {"bearer": []}]
    assert "security" not in paths["/api/system/live"]["get"]
    assert "security" not in paths["/api/system/ready"]["get"]
    callbacks = paths["/api/brokers/{broker_id}/callbacks"]["post"]
    assert callbacks["security"] == [{"brokerSignature": []}]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "eg_live_… API key",
    }
    scheme = schemes["brokerSignature"]
    assert (scheme["in"], scheme["name"]) == ("header", "EntryGo-Signature")


async def test_openapi_declares_what_the_server_enforces(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/docs/api/openapi")).json()
    schemas = doc["components"]["schemas"]
    country = schemas["OrderIn"]["properties"]["destinationCountry"]
    assert "US" in country["enum"]
    assert "00" not in country["enum"]
    assert "EU" not in country["enum"]
    key = schemas["PlanRequest"]["properties"]["idempotencyKey"]["anyOf"][0]
    assert (key["minLength"], key["maxLength"], key["pattern"]) == (1, 255, "^[!-~]+$")
    plan = doc["paths"]["/api/exports/plan"]["post"]
    header = next(p for p in plan["parameters"] if p["name"] == "Idempotency-Key")
    assert header["schema"] == key
    assert schemas["OrderIn"]["properties"]["externalId"]["pattern"] == "^[^\\x00]*$"
    assert schemas["WarehousePatch"]["minProperties"] == 1
    assert "anyOf" not in schemas["WarehousePatch"]["properties"]["name"]  # never null


async def test_openapi_links_creation_to_reading(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/docs/api/openapi")).json()["paths"]
    links = {
        (path, method, name): link["operationId"]
        for path, item in paths.items()
        for method, op in item.items()
        for response in op["responses"].values()
        for name, link in response.get("links", {}).items()
    }
    ops = {
        op["operationId"]: (method, path)
        for path, item in paths.items()
        for method, op in item.items()
    }
    assert ops[links["/api/products/sync", "post", "GetProduct"]] == (
        "get",
        "/api/products/{product_id}",
    )
    assert ops[links["/api/orders/sync", "post", "PlanExport"]] == ("post", "/api/exports/plan")
    assert ops[links["/api/exports/plan", "post", "InspectExport"]] == (
        "get",
        "/api/exports/{export_id}",
    )
    assert ops[links["/api/exports/execute", "post", "GetCustomsPackage"]] == (
        "get",
        "/api/customs-packages/{package_id}",
    )
    assert ops[links["/api/customs-packages/{package_id}", "get", "GetArtifactContent"]] == (
        "get",
        "/api/artifacts/{artifact_id}/content",
    )
