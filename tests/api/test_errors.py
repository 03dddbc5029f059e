"""Every error of CONTRACT §3 that the foundation produces, with its exact status and body."""

import json

import httpx
import pytest

from tests.support.tenants import Tenant


def body_of(response: httpx.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers.get("x-request-id")
    return response.json()


async def test_malformed_json_is_invalid_request(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/orders/sync",
        content=b'{"accountId": "x", ',
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 400
    assert body_of(r) == {
        "errorCode": "INVALID_REQUEST",
        "message": "Request body must be valid JSON.",
    }


async def test_validation_error_has_issues_with_dotted_paths(
    http: httpx.AsyncClient, tenant: Tenant
) -> None:
    payload = {
        "accountId": tenant.account_id,
        "items": [
            {
                "externalId": "A",
                "destinationCountry": "US",
                "items": [{"productId": "p", "quantity": 1}],
            },
            {
                "externalId": "B",
                "destinationCountry": "US",
                "items": [{"productId": "p", "quantity": 0}],
            },
        ],
    }
    r = await http.post("/api/orders/sync", json=payload, headers=tenant.auth())
    assert r.status_code == 400
    body = body_of(r)
    assert body["errorCode"] == "VALIDATION_ERROR"
    assert body["message"] == "Request validation failed."
    assert body["field"] == "items.1.items.0.quantity"
    assert body["details"]["issues"] == [
        {
            "path": "items.1.items.0.quantity",
            "message": "Input should be greater than or equal to 1",
            "code": "too_small",
        }
    ]


async def test_empty_list_is_too_small(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/orders/sync",
        json={"accountId": tenant.account_id, "items": []},
        headers=tenant.auth(),
    )
    assert r.status_code == 400
    issue = body_of(r)["details"]["issues"][0]
    assert (issue["path"], issue["code"]) == ("items", "too_small")


async def test_unknown_route_is_not_found(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.get("/api/nothing-here", headers=tenant.auth())
    assert r.status_code == 404
    assert body_of(r) == {
        "errorCode": "NOT_FOUND",
        "message": "route not found.",
        "details": {"resource": "route"},
    }


async def test_wrong_method_keeps_allow(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.delete("/api/orders/sync", headers=tenant.auth())
    assert r.status_code == 405
    assert r.headers["allow"] == "POST"
    assert body_of(r) == {
        "errorCode": "METHOD_NOT_ALLOWED",
        "message": "Method not allowed on this route.",
        "details": {"allow": ["POST"]},
    }


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/api/brokers", "GET, POST"),
        ("DELETE", "/api/brokers/br_x", "GET, PATCH"),
        ("PUT", "/api/keys", "GET, POST"),
        ("OPTIONS", "/api/warehouses/wh_x", "GET, PATCH"),
        ("PUT", "/api/exports/plan", "POST"),  # the literal path, not /api/exports/{export_id}
        ("DELETE", "/api/exports/exp_x", "GET"),
        ("POST", "/api/system/live", "GET"),
    ],
)
async def test_allow_lists_every_method_of_the_path(
    http: httpx.AsyncClient, tenant: Tenant, method: str, path: str, allow: str
) -> None:
    r = await http.request(method, path, headers=tenant.auth("admin"))
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    assert body_of(r)["details"] == {"allow": allow.split(", ")}


async def test_body_over_limit(http: httpx.AsyncClient, tenant: Tenant) -> None:
    big = json.dumps({"accountId": tenant.account_id, "pad": "x" * (5 * 1024 * 1024)})
    r = await http.post(
        "/api/orders/sync",
        content=big,
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert body_of(r) == {
        "errorCode": "PAYLOAD_TOO_LARGE",
        "message": "Request body exceeds the 5 MiB limit.",
    }


async def test_body_over_limit_without_length(http: httpx.AsyncClient, tenant: Tenant) -> None:
    async def chunks():
        for _ in range(6):
            yield b"x" * (1024 * 1024)

    r = await http.post(
        "/api/orders/sync",
        content=chunks(),
        headers={**tenant.auth(), "content-type": "application/json"},
    )
    assert r.status_code == 413
    assert body_of(r)["errorCode"] == "PAYLOAD_TOO_LARGE"


async def test_wrong_content_type(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/orders/sync",
        content=b"accountId=x",
        headers={**tenant.auth(), "content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 415
    assert body_of(r) == {
        "errorCode": "UNSUPPORTED_MEDIA_TYPE",
        "message": "Send the body as application/json.",
        "details": {"contentType": "application/x-www-form-urlencoded"},
    }


async def test_missing_key(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/orders")
    assert r.status_code == 401
    assert body_of(r) == {"errorCode": "INVALID_API_KEY", "message": "Missing API key."}


async def test_unknown_key(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/orders", headers={"authorization": "Bearer eg_live_" + "x" * 32})
    assert r.status_code == 401
    assert body_of(r) == {"errorCode": "INVALID_API_KEY", "message": "Invalid API key."}


async def test_not_bearer(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.get("/api/orders", headers={"authorization": "Basic " + tenant.keys["all"]})
    assert r.status_code == 401
    assert body_of(r)["errorCode"] == "INVALID_API_KEY"


async def test_revoked_key_is_refused(http: httpx.AsyncClient, pool, tenant: Tenant) -> None:
    from store.accounts import create_key, revoke_key

    async with pool.acquire() as conn:
        key, secret = await create_key(conn, tenant.account_id, "short-lived", ["integration"])
    headers = {"authorization": f"Bearer {secret}"}
    assert (await http.get("/api/orders", headers=headers)).status_code == 200
    async with pool.acquire() as conn:
        await revoke_key(conn, key.id)
    r = await http.get("/api/orders", headers=headers)
    assert r.status_code == 401
    assert body_of(r) == {"errorCode": "INVALID_API_KEY", "message": "Invalid API key."}


async def test_insufficient_role(http: httpx.AsyncClient, tenant: Tenant) -> None:
    r = await http.post(
        "/api/orders/sync",
        json={"accountId": tenant.account_id, "items": []},
        headers=tenant.auth("reviewer"),
    )
    assert r.status_code == 403
    body = body_of(r)
    assert body["errorCode"] == "INSUFFICIENT_ROLE"
    assert body["details"]["requiredRole"] == "integration"


async def test_foreign_account_scope(
    http: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await http.post(
        "/api/products/sync",
        json={"accountId": other_tenant.account_id, "items": [{"externalId": "S"}]},
        headers=tenant.auth(),
    )
    assert r.status_code == 403
    assert body_of(r) == {
        "errorCode": "INVALID_ACCOUNT_SCOPE",
        "message": "accountId does not match the API key's account.",
        "field": "accountId",
    }


async def test_unexpected_exception_is_internal_error_without_trace(
    app, http, tenant, caplog
) -> None:
    @app.get("/api/test-only/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("secret internals")

    r = await http.get(
        "/api/test-only/boom", headers={**tenant.auth(), "x-request-id": "req-boom-1"}
    )
    assert r.status_code == 500
    assert r.headers["x-request-id"] == "req-boom-1"
    assert body_of(r) == {
        "errorCode": "INTERNAL_ERROR",
        "message": "An unexpected error occurred.",
        "details": {"requestId": "req-boom-1"},
    }
    assert "secret internals" not in r.text
    assert any("req-boom-1" in rec.getMessage() for rec in caplog.records)


async def test_request_id_is_echoed_or_made(http: httpx.AsyncClient) -> None:
    r = await http.get("/api/system/live", headers={"x-request-id": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await http.get("/api/system/live")
    assert len(r.headers["x-request-id"]) == 32
