"""The idempotency fingerprint from pydantic's serializer (api/canonical_body.py): the same bytes
as `canonical_json` over the body's dump, for every body, since they are compared with the
fingerprints already stored and derive a keyed plan's export id."""

import hashlib
import json
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from api.canonical_body import canonical_body
from api.idempotency import fingerprint
from domain.canonical import canonical_json
from domain.catalog import OrderSyncRequest, ProductSyncRequest
from services.models.exports import PlanRequest

ROUTE = "/api/orders/sync"


def request(path: str = ROUTE, params: dict[str, str] | None = None) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "path_params": params or {},
            "route": SimpleNamespace(path=path),
            "headers": [],
            "query_string": b"",
        }
    )


def old_fingerprint(req: Request, body: BaseModel) -> bytes:
    """The fingerprint as it was first written: the dump, encoded by `canonical_json`."""
    material = {
        "method": req.method,
        "route": req.scope["route"].path,
        "params": dict(req.path_params),
        "body": body.model_dump(mode="json", exclude={"idempotency_key"}),
    }
    return hashlib.sha256(canonical_json(material)).digest()


# text of every kind: control characters, quotes, backslashes, non-ASCII, astral planes and
# lone surrogates (which JSON's \ud800 escapes can carry)
TEXT = st.text(st.characters(codec=None) | st.sampled_from("\ud800\udfff"), min_size=1, max_size=12)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.sampled_from([1e-07, 1e16, 1e22, -0.0, 5e-324, 0.1, 1e-05, 123456789.0])
    | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
AMOUNTS = st.none() | st.sampled_from(
    [0, 3, 12.5, 12.50, 1e2, "12.50", "1E+2", "0.00", 0.1, 99.99, "7", -0.0, 1.005, "abc"]
)


def line() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"productId": TEXT, "quantity": st.sampled_from([1, 2, 3.0, 1_000_000, 7])},
        optional={"unitValueUsd": AMOUNTS},
    )


def order() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "externalId": TEXT,
            "destinationCountry": st.sampled_from(["US", "SE", "JP"]),
            "items": st.lists(line(), min_size=1, max_size=3),
        },
        optional={
            "destinationRegion": st.none() | TEXT,
            "destinationPostalCode": st.none() | TEXT,
            "consignee": st.none() | st.fixed_dictionaries({"name": TEXT, "address": TEXT}),
            "metadata": st.none() | st.dictionaries(TEXT, JSON_VALUES, max_size=4),
        },
    )


def product() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"externalId": TEXT},
        optional={
            "description": st.none() | TEXT,
            "hsCode": st.none() | st.sampled_from(["6117.10.6010", "6117 10"]),
            "countryOfOrigin": st.none() | st.sampled_from(["SE", "CN"]),
            "unitValueUsd": AMOUNTS,
            "weightKg": AMOUNTS,
            "manufacturer": st.none()
            | st.fixed_dictionaries(
                {"name": TEXT, "address": TEXT, "city": TEXT, "country": st.just("SE")},
                optional={"region": st.none() | TEXT},
            ),
            "attributes": st.none() | st.dictionaries(TEXT, JSON_VALUES, max_size=4),
        },
    )


def parsed(model: type[BaseModel], body: dict[str, Any]) -> BaseModel | None:
    """The body as the route gets it: JSON text, `json.loads`, then validation."""
    try:
        return model.model_validate(json.loads(json.dumps(body)))
    except ValidationError:
        return None


def outcome(compute: Any) -> Any:
    try:
        return compute()
    except Exception as exc:  # the same failure, if the old path failed
        return type(exc)


def check_same(body: BaseModel | None) -> None:
    if body is None:
        return
    req = request()
    assert outcome(lambda: fingerprint(req, body)) == outcome(lambda: old_fingerprint(req, body))
    fast = canonical_body(body, {"idempotency_key"})
    if fast is not None:
        assert fast == canonical_json(body.model_dump(mode="json", exclude={"idempotency_key"}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(order(), min_size=1, max_size=4),
    st.none() | st.sampled_from(["k-1", "ключ"]),
)
def test_order_sync_bodies_keep_their_fingerprint(items: list[Any], key: str | None) -> None:
    body: dict[str, Any] = {"accountId": "acc_1", "items": items}
    if key is not None:
        body["idempotencyKey"] = key
    check_same(parsed(OrderSyncRequest, body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(product(), min_size=1, max_size=4))
def test_product_sync_bodies_keep_their_fingerprint(items: list[Any]) -> None:
    check_same(parsed(ProductSyncRequest, {"accountId": "acc_1", "items": items}))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.fixed_dictionaries(
        {
            "accountId": TEXT,
            "warehouseId": TEXT,
            "brokerId": TEXT,
            "orderIds": st.lists(TEXT, min_size=1, max_size=5),
        },
        optional={
            "destinationCountry": st.sampled_from(["US", "CA"]),
            "batchId": st.none() | st.text(min_size=3, max_size=12),
            "dryRun": st.booleans(),
            "idempotencyKey": st.none() | TEXT,
        },
    )
)
def test_plan_bodies_keep_their_fingerprint(body: dict[str, Any]) -> None:
    # a keyed plan's export id derives from this fingerprint
    check_same(parsed(PlanRequest, body))


def sync_body(metadata: Any) -> OrderSyncRequest:
    return OrderSyncRequest.model_validate(
        {
            "accountId": "acc_1",
            "idempotencyKey": "k",
            "items": [
                {
                    "externalId": 'Å-1 "quoted" \\ \u2028 \x01 😀',
                    "destinationCountry": "US",
                    "destinationRegion": None,
                    "consignee": {"name": "Zoë", "address": "1 Main St"},
                    "items": [{"productId": "prd_1", "quantity": 3.0, "unitValueUsd": 12.50}],
                    "metadata": metadata,
                }
            ],
        }
    )


def test_an_order_sync_takes_the_fast_path() -> None:
    body = sync_body({"z": [1, 2.5, None, True], "a": {"y": "ü", "b": 10**30}})
    fast = canonical_body(body, {"idempotency_key"})
    assert fast is not None
    assert fast == canonical_json(body.model_dump(mode="json", exclude={"idempotency_key"}))


@pytest.mark.parametrize("odd", [1e-07, float("nan"), float("inf"), {"k": 1e-05}])
def test_a_float_pydantic_writes_otherwise_takes_the_old_path(odd: Any) -> None:
    body = sync_body({"x": odd})
    assert canonical_body(body, {"idempotency_key"}) is None
    assert fingerprint(request(), body) == old_fingerprint(request(), body)


def test_the_fingerprint_of_a_known_body_is_unchanged() -> None:
    # computed with the fingerprint as first written (the dump encoded by canonical_json)
    body = sync_body({"channel": "web", "n": 7, "nested": {"b": [1.5, "é"], "a": None}})
    assert fingerprint(request(), body).hex() == (
        "0b19798b14f910a04f6e0556d7457608826ef083c501cd962167a3d73a891726"
    )


def test_a_lone_surrogate_fails_as_it_did() -> None:
    # JSON's "\ud800" reaches free-form metadata as is; UTF-8 cannot encode it
    body = sync_body({"x": "\ud800"})
    assert canonical_body(body, {"idempotency_key"}) is None
    with pytest.raises(UnicodeEncodeError):
        old_fingerprint(request(), body)
    with pytest.raises(UnicodeEncodeError):
        fingerprint(request(), body)


def test_every_character_is_written_as_canonical_json_writes_it() -> None:
    # escaping is per character: every code point (lone surrogates aside, see above), in a
    # typed text field and in free-form metadata, in chunks a field takes
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 255):
        chunk = "".join(points[start : start + 255])
        body = sync_body({chunk: chunk})
        body.items[0].external_id = chunk
        fast = canonical_body(body, {"idempotency_key"})
        assert fast is not None
        assert fast == canonical_json(body.model_dump(mode="json", exclude={"idempotency_key"}))
