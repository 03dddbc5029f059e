"""Bodies take the contract's names only: a field spelled by its Python name (snake_case where
the wire says camelCase) is an unknown field, refused with 400 and nothing written."""

import httpx
import pytest

from tests.support.tenants import Tenant

ORDER = {
    "externalId": "W-1",
    "destinationCountry": "US",
    "items": [{"productId": "p", "quantity": 1}],
}


@pytest.mark.parametrize(
    ("path", "spelled", "field"),
    [
        ("/api/orders/sync", {"account_id": None, "items": [ORDER]}, "account_id"),
        (
            "/api/orders/sync",
            {"accountId": None, "items": [{**ORDER, "external_id": "W-2"}]},
            "items.0.external_id",
        ),
        (
            "/api/products/sync",
            {"accountId": None, "items": [{"external_id": "P-1"}]},
            "items.0.external_id",
        ),
    ],
)
async def test_a_python_name_in_a_body_is_an_unknown_field(
    http: httpx.AsyncClient, tenant: Tenant, path: str, spelled: dict, field: str
) -> None:
    body = {
        k: tenant.account_id if k in ("accountId", "account_id") else v for k, v in spelled.items()
    }
    r = await http.post(path, json=body, headers=tenant.auth())
    assert r.status_code == 400, r.text
    answer = r.json()
    assert answer["errorCode"] == "VALIDATION_ERROR"
    assert field in {issue["path"] for issue in answer["details"]["issues"]}
    listed = await http.get(path.removesuffix("/sync"), headers=tenant.auth())
    assert listed.status_code == 200
    assert listed.json()["data"] == []


async def test_the_wire_names_are_taken(http: httpx.AsyncClient, tenant: Tenant) -> None:
    # the same body with the contract's names is accepted: the refusal above is about the name
    r = await http.post(
        "/api/products/sync",
        json={"accountId": tenant.account_id, "items": [{"externalId": "P-1"}]},
        headers=tenant.auth(),
    )
    assert r.status_code == 200, r.text
    assert r.json()["data"][0]["externalId"] == "P-1"
