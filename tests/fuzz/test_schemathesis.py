"""Schemathesis against the app's own OpenAPI document: every operation, positive and negative data,
then the stateful phase that follows the document's links (sync → plan → execute → package →
artifact).

Every check schemathesis has runs on every response (no 5xx; status, content type, headers and
body as declared; schema-valid data accepted and invalid data refused; `Allow` on 405s; auth not
ignored; deleted things stay gone), except `max_response_time` (no wall clock in tests), plus the
contract's own: every error is the one flat body (CONTRACT §3) with `x-request-id`. The only
schema-valid requests the server may refuse are those schemathesis.toml names, for the issue
codes it names. `ENTRYGO_FUZZ_EXAMPLES` bounds the examples per operation (`make fuzz`: 200).
"""

import asyncio
import copy
import json
import os
import re
import time
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks, max_response_time
from schemathesis.core import NotSet
from schemathesis.core.failures import Failure
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from config.settings import Settings
from domain.countries import is_alpha2
from signing import SIGNATURE_HEADER, sign
from tests.support.fuzz_stack import CALLBACK_SECRET, SEEDED, TALLY, ThreadStack
from tests.support.tenants import GOOD_PRODUCT

EXAMPLES = int(os.environ.get("ENTRYGO_FUZZ_EXAMPLES", "15"))
DOCUMENT_URL = "/docs/api/openapi"
# Health and readiness answer their own body with 503 (CONTRACT §5), not the error body.
HEALTH_PATHS = {"/api/system/health", "/api/system/ready"}
# Path parameter -> the kind of seeded object that may stand in for a generated value.
PATH_KINDS = {
    "product_id": "product",
    "order_id": "order",
    "export_id": "export",
    "warehouse_id": "warehouse",
    "broker_id": "broker",
    "package_id": "package",
    "artifact_id": "artifact",
    "key_id": "key",
}
BODY_KINDS = {
    "warehouseId": "warehouse",
    "brokerId": "broker",
    "batchId": "export",
    "productId": "product",
    "submissionId": "submission",
}
CALLBACKS = "/api/brokers/{broker_id}/callbacks"
# CONTRACT §3: each errorCode has exactly one status.
ERROR_STATUS = {
    "INVALID_REQUEST": 400,
    "VALIDATION_ERROR": 400,
    "IDEMPOTENCY_KEY_INVALID": 400,
    "INVALID_API_KEY": 401,
    "INVALID_SIGNATURE": 401,
    "INVALID_ACCOUNT_SCOPE": 403,
    "INSUFFICIENT_ROLE": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "IDEMPOTENCY_CONFLICT": 409,
    "IDEMPOTENCY_IN_PROGRESS": 409,
    "EXPORT_BLOCKED": 409,
    "INVALID_EXPORT_STATE": 409,
    "PLAN_HASH_MISMATCH": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500,
    "SERVICE_UNAVAILABLE": 503,
}
# Known bug (api/idempotency.py `_json_bytes`, default=str): write answers render datetimes
# as "2026-01-02 03:04:05.123+00:00", not RFC 3339; see test_writes_answer_rfc3339_timestamps.
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
# Known bug (api/routes/exports.py list_export_events: `after` has no upper bound).
INT4_MAX = 2**31 - 1
NEEDS_RETRY_AFTER = {"IDEMPOTENCY_IN_PROGRESS", "RATE_LIMITED", "SERVICE_UNAVAILABLE"}

COUNTRY_KEYS = {"destinationCountry", "countryOfOrigin", "country"}
PLAN_HASH = re.compile(r"sha256:[0-9a-f]{64}")


def served_document() -> dict[str, Any]:
    """The document exactly as the app serves it at /docs/api/openapi (no database needed)."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Settings(database_url=None)))
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.get(DOCUMENT_URL)

    response = asyncio.run(fetch())
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


DOCUMENT = served_document()
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token
# a copy: building the state machine adds inferred links to the schema's own dict
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES,
)


def _seeded(kind: str) -> st.SearchStrategy[str]:
    return st.sampled_from(SEEDED.ids.get(kind) or ["missing"])


def _plain_id(value: Any) -> bool:
    """A value every id field accepts (so swapping it for a seeded id keeps the case's validity)."""
    return isinstance(value, str) and 3 <= len(value) <= 64 and "\x00" not in value


def _realistic(value: Any) -> st.SearchStrategy[Any]:
    """`value` with known keys replaced by the seeded account's ids (recursively). Only values that
    are valid where they stand are replaced, so a case meant to be refused stays invalid."""
    if isinstance(value, list):
        return st.tuples(*(_realistic(v) for v in value)).map(list)
    if not isinstance(value, dict):
        return st.just(value)
    parts: dict[str, st.SearchStrategy[Any]] = {}
    for key, item in value.items():
        if key == "accountId" and _plain_id(item):
            parts[key] = st.just(SEEDED.account_id)
        elif key in BODY_KINDS and _plain_id(item):
            parts[key] = _seeded(BODY_KINDS[key])
        elif key == "orderIds" and isinstance(item, list) and item and all(map(_plain_id, item)):
            parts[key] = st.lists(_seeded("order"), min_size=1, max_size=3)
        elif key in COUNTRY_KEYS and isinstance(item, str) and is_alpha2(item):
            parts[key] = st.sampled_from(["US", "SE", "CN", "DE"])
        elif key == "planHash" and isinstance(item, str) and PLAN_HASH.fullmatch(item):
            parts[key] = st.sampled_from(SEEDED.plan_hashes or [item])
        else:
            parts[key] = _realistic(item)
    return st.fixed_dictionaries(parts)


@schema.hook
def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
    """Half the bodies name the seeded account's objects, so they get past the lookups."""
    return st.one_of(st.just(body), _realistic(body))


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: Any) -> st.SearchStrategy[Any]:
    """Half the path ids are ids of the seeded account's objects."""
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    real = {
        name: _seeded(PATH_KINDS[name])
        if name in PATH_KINDS and _plain_id(value)
        else st.just(value)
        for name, value in path_parameters.items()
    }
    return st.one_of(st.just(path_parameters), st.fixed_dictionaries(real))


def contract_error_body(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every response has x-request-id; every 4xx/5xx is the flat error body as JSON."""
    assert response.headers.get("x-request-id"), "x-request-id header missing"
    if response.status_code < 400:
        return None
    if case.operation.path in HEALTH_PATHS and response.status_code == 503:
        return None  # checked against the Health schema by response_schema_conformance
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0].strip() == "application/json", content_type
    body = response.json()
    assert isinstance(body, dict), body
    assert set(body) <= {"errorCode", "message", "field", "details"}, body
    assert isinstance(body.get("errorCode"), str), body
    assert body["errorCode"].isupper(), body
    assert isinstance(body.get("message"), str), body
    assert isinstance(body.get("field", ""), str), body
    assert isinstance(body.get("details", {}), dict), body
    code = body["errorCode"]
    assert ERROR_STATUS.get(code) == response.status_code, f"{code} with {response.status_code}"
    if code in NEEDS_RETRY_AFTER:
        assert response.headers.get("retry-after"), f"{code} without Retry-After"
    if code == "METHOD_NOT_ALLOWED":
        assert response.headers.get("allow"), "405 without Allow"
    return None


def case_bytes(body: Any) -> bytes:
    """The bytes a generated body goes out as (what the callback signature has to cover)."""
    if isinstance(body, bytes):
        return body
    if isinstance(body, NotSet):
        return b""
    return json.dumps(body).encode()


# schemathesis.toml: the answers of these operations that no schema can declare (CONTRACT §8)
SCHEMA_BLIND_ISSUES = {"duplicate", "unknown_product"}
SCHEMA_BLIND_PATHS = {"/api/orders/sync", "/api/products/sync"}


def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' own check, minus the two cross-field refusals of the sync operations."""
    try:
        return positive_data_acceptance(ctx, response, case)  # type: ignore[no-any-return]
    except Failure:
        if case.operation.path in SCHEMA_BLIND_PATHS and response.status_code == 400:
            issues = response.json().get("details", {}).get("issues", [])
            if issues and {i["code"] for i in issues} <= SCHEMA_BLIND_ISSUES:
                return None
        raise


load_all_checks()
ALL_CHECKS = [
    check
    for check in CHECKS.get_all()
    if check not in (positive_data_acceptance, max_response_time)
]
EXTRA_CHECKS = [contract_error_body, positive_data_accepted]


def test_every_check_schemathesis_has_runs() -> None:
    names = {c.__name__ for c in ALL_CHECKS} | {"positive_data_acceptance"}
    assert names == set(CHECKS.get_all_names()) - {"max_response_time"}
    for name in ("negative_data_rejection", "unsupported_method", "allow_header_conformance"):
        assert name in names


def test_document_is_what_the_running_app_serves(fuzz_stack: ThreadStack) -> None:
    served = httpx.get(fuzz_stack.url + DOCUMENT_URL, timeout=30).json()
    assert served == DOCUMENT
    operations = list(schema.get_all_operations())
    assert all(o.ok() for o in operations)  # every operation is valid, so every one is fuzzed
    assert len(operations) == sum(len(item) for item in served["paths"].values())


def test_writes_answer_rfc3339_timestamps(fuzz_stack: ThreadStack) -> None:
    executed = SEEDED.ids["export"][-1]
    headers = {"authorization": f"Bearer {SEEDED.key}"}
    read = httpx.get(f"{fuzz_stack.url}/api/exports/{executed}", headers=headers, timeout=60)
    assert RFC3339.fullmatch(read.json()["createdAt"]), read.json()["createdAt"]
    again = httpx.post(
        f"{fuzz_stack.url}/api/exports/execute",
        json={"accountId": SEEDED.account_id, "batchId": executed},
        headers=headers,
        timeout=60,
    )
    assert again.status_code == 200, again.text
    view = again.json()
    stamps = [view["createdAt"], view["updatedAt"], *(e["occurredAt"] for e in view["events"])]
    assert all(RFC3339.fullmatch(s) for s in stamps), stamps


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/keys?cursor=%00", None),
        ("GET", "/api/orders?externalId=a%00", None),
        ("GET", "/api/orders/ord_%00", None),
        ("GET", "/api/exports/exp_%00/events", None),
        ("POST", "/api/products/sync", {"items": [{"externalId": "a\x00", "description": "x"}]}),
        (
            "POST",
            "/api/warehouses",
            {"name": "a\x00", "address": {"line1": "x", "city": "y", "country": "SE"}},
        ),
        ("POST", "/api/exports/execute", {"batchId": "exp_\x00"}),
    ],
    ids=[
        "cursor",
        "externalId-filter",
        "path-id",
        "export-path-id",
        "product",
        "warehouse",
        "batchId",
    ],
)
def test_nul_character_is_a_client_error(
    fuzz_stack: ThreadStack, method: str, path: str, body: dict[str, Any] | None
) -> None:
    if body is not None and path != "/api/warehouses":
        body = {"accountId": SEEDED.account_id, **body}
    r = httpx.request(
        method,
        fuzz_stack.url + path,
        json=body,
        headers={"authorization": f"Bearer {SEEDED.key}"},
        timeout=60,
    )
    assert r.status_code in (400, 404), r.text
    assert r.json()["errorCode"] in ("VALIDATION_ERROR", "NOT_FOUND"), r.text


def test_events_after_beyond_int4_is_a_client_error(fuzz_stack: ThreadStack) -> None:
    export_id = SEEDED.ids["export"][0]
    r = httpx.get(
        f"{fuzz_stack.url}/api/exports/{export_id}/events",
        params={"after": INT4_MAX + 1},
        headers={"authorization": f"Bearer {SEEDED.key}"},
        timeout=60,
    )
    assert r.status_code == 400, r.text
    assert r.json()["errorCode"] == "VALIDATION_ERROR"


KEY_PLACEHOLDER = "Bearer seeded-key"
SIGNATURE_PLACEHOLDER = "seeded-signature"


@schema.auth(refresh_interval=None)
class SeededCredentials:
    """Credentials as schemathesis auth (not as extra headers), so that a case generated without
    them, to see them refused, goes out without them. Some cases are generated while tests are
    collected, before the account exists: they carry placeholders that `with_credentials` fills."""

    def get(self, case: Any, context: Any) -> str:
        return f"Bearer {SEEDED.key}" if SEEDED.key else KEY_PLACEHOLDER

    def set(self, case: Any, data: str, context: Any) -> None:
        name = SIGNATURE_HEADER if case.operation.path == CALLBACKS else "Authorization"
        value = SIGNATURE_PLACEHOLDER if name == SIGNATURE_HEADER else data
        case.headers = {**(case.headers or {}), name: value}
        with_credentials(case)


def with_credentials(case: Any) -> None:
    """The seeded account's key; for broker callbacks, a valid signature of the body."""
    headers = case.headers or {}
    if not SEEDED.key:
        return  # generated while tests are collected: filled in when the case is sent
    if headers.get("Authorization") == KEY_PLACEHOLDER:
        headers["Authorization"] = f"Bearer {SEEDED.key}"
    if headers.get(SIGNATURE_HEADER) == SIGNATURE_PLACEHOLDER:
        headers[SIGNATURE_HEADER] = sign(CALLBACK_SECRET, case_bytes(case.body), int(time.time()))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
def test_operation(case: Any, fuzz_stack: ThreadStack) -> None:
    extra: dict[str, Any] = {}
    if case.operation.path == CALLBACKS:
        # a broker that has a secret (SeededCredentials signs): the body itself gets checked
        case.path_parameters = {**case.path_parameters, "broker_id": SEEDED.callback_broker_id}
        extra["data"] = case_bytes(case.body)
    with_credentials(case)
    if not all(HEADER_NAME.match(name) for name in case.headers or {}):
        # not HTTP at all: the HTTP server refuses such bytes before any application sees them
        # ("Invalid HTTP request received.", text/plain), so there is no answer of ours to check
        return
    response = case.call(base_url=fuzz_stack.url, timeout=60, **extra)
    mode = case.meta.generation.mode.value if case.meta is not None else "explicit"
    TALLY.add(case.operation.label, mode, response.status_code)
    case.validate_response(
        response,
        checks=ALL_CHECKS,
        additional_checks=EXTRA_CHECKS,
        transport_kwargs={"base_url": fuzz_stack.url, "timeout": 60},
    )


class LinkedCalls(schema.as_state_machine()):  # type: ignore[misc]
    """The stateful phase: scenarios that follow the OpenAPI links with the seeded account's key."""

    url = ""

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.url, "timeout": 60}

    def before_call(self, case: Any) -> None:
        # a client knows its own account, warehouse, broker and products (the guide's env vars);
        # the links supply the rest: order ids, export ids, package and artifact ids
        body = case.body if isinstance(case.body, dict) else None
        if body is not None and "accountId" in body:
            body["accountId"] = SEEDED.account_id
        if body is not None and case.operation.path == "/api/exports/plan":
            body["warehouseId"] = SEEDED.ids["warehouse"][0]
            body["brokerId"] = SEEDED.ids["broker"][0]
        if body is not None and case.operation.path == "/api/orders/sync":
            for order in body.get("items") or []:
                for line in order.get("items") or [] if isinstance(order, dict) else []:
                    if isinstance(line, dict):
                        line["productId"] = SEEDED.ids["product"][0]
        with_credentials(case)

    def after_call(self, response: Any, case: Any) -> None:
        super().after_call(response, case)
        TALLY.add(case.operation.label, "stateful", response.status_code)
        LINKED_STEPS.add(case.operation.label)

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        case.validate_response(
            response,
            checks=ALL_CHECKS,
            additional_checks=EXTRA_CHECKS,
            transport_kwargs={"base_url": self.url, "timeout": 60},
            recorder=self.recorder,
        )


LINKED_STEPS: set[str] = set()


def test_stateful_scenarios(fuzz_stack: ThreadStack) -> None:
    LinkedCalls.url = fuzz_stack.url
    LinkedCalls.run(
        settings=settings(
            max_examples=max(EXAMPLES, 20),
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            print_blob=True,
        )
    )
    assert len(LINKED_STEPS) >= 10, LINKED_STEPS  # the scenarios went through many operations


def follow(link: dict[str, Any], answer: Any, known: dict[str, Any]) -> tuple[str, Any]:
    """A link's target path and body from the answer it starts at (`$response.body#/...` only),
    with the fields a client knows by itself (`known`) added to the body."""

    def value(expression: Any) -> Any:
        if isinstance(expression, list):
            return [value(e) for e in expression]
        if isinstance(expression, dict):
            return {k: value(v) for k, v in expression.items()}
        prefix = "$response.body#"
        assert isinstance(expression, str)
        assert expression.startswith(prefix), expression
        found = answer
        for part in expression[len(prefix) :].strip("/").split("/"):
            found = found[int(part)] if isinstance(found, list) else found[part]
        return found

    return {k: value(v) for k, v in link.get("parameters", {}).items()}, (
        {**known, **value(link["requestBody"])} if "requestBody" in link else None
    )


def accepted_by(path: str, method: str, known: dict[str, Any]) -> dict[str, Any]:
    """The fields of `known` that the operation's request body has."""
    content = DOCUMENT["paths"][path][method].get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    properties = DOCUMENT["components"]["schemas"][ref.split("/")[-1]]["properties"] if ref else {}
    return {k: v for k, v in known.items() if k in properties}


def test_links_lead_from_sync_to_the_artifact(fuzz_stack: ThreadStack) -> None:
    """Walk the document's links as a generated client would: each one must land on a 2xx."""
    by_id = {
        op["operationId"]: (path, method)
        for path, item in DOCUMENT["paths"].items()
        for method, op in item.items()
    }
    headers = {"authorization": f"Bearer {SEEDED.key}"}
    walked = []
    with httpx.Client(base_url=fuzz_stack.url, headers=headers, timeout=60) as http:
        # its own warehouse, broker and product: the fuzzer may have changed the seeded ones
        warehouse = http.post(
            "/api/warehouses",
            json={"name": "Links", "address": {"line1": "1 Quay", "city": "Oslo", "country": "NO"}},
        )
        broker = http.post(
            "/api/brokers",
            json={
                "name": "Links broker",
                "transport": {"type": "email", "recipientEmail": "links@broker.example"},
            },
        )
        product = http.post(
            "/api/products/sync",
            json={
                "accountId": SEEDED.account_id,
                "items": [{**GOOD_PRODUCT, "externalId": "LINKS"}],
            },
        )
        assert warehouse.status_code == broker.status_code == 201, (warehouse.text, broker.text)
        assert product.status_code == 200, product.text
        known = {
            "accountId": SEEDED.account_id,
            "warehouseId": warehouse.json()["id"],
            "brokerId": broker.json()["id"],
        }
        order = {
            "externalId": f"links-{time.time_ns()}",
            "destinationCountry": "US",
            "destinationRegion": "CA",
            "destinationPostalCode": "94107",
            "items": [{"productId": product.json()["data"][0]["id"], "quantity": 1}],
        }
        path, method = "/api/orders/sync", "post"
        r = http.post(path, json={"accountId": SEEDED.account_id, "items": [order]})
        chain = ["PlanExport", "ExecuteExport", "GetCustomsPackage", "GetArtifactContent"]
        side = {"PlanExport": ["GetOrder"], "ExecuteExport": ["InspectExport", "ListExportEvents"]}
        for name in chain:
            assert r.is_success, r.text
            links = DOCUMENT["paths"][path][method]["responses"][str(r.status_code)]["links"]
            answer = r.json()
            for extra in side.get(name, []):
                params, _ = follow(links[extra], answer, known)
                target_path, target_method = by_id[links[extra]["operationId"]]
                got = http.request(target_method.upper(), target_path.format(**params))
                assert got.is_success, (extra, got.text)
                walked.append(extra)
            path, method = by_id[links[name]["operationId"]]
            params, body = follow(links[name], answer, accepted_by(path, method, known))
            r = http.request(method.upper(), path.format(**params), json=body)
            walked.append(name)
        assert r.is_success, r.text
    assert walked == [
        "GetOrder", "PlanExport", "InspectExport", "ListExportEvents", "ExecuteExport",
        "GetCustomsPackage", "GetArtifactContent",
    ]  # fmt: skip


def test_cases_got_past_authentication_and_lookups() -> None:
    """Runs after the cases above: they must have reached the application, not only its gate."""
    if TALLY.total == 0:
        pytest.skip("no schemathesis case ran in this session")
    statuses = TALLY.statuses
    assert statuses[401] < TALLY.total / 4, statuses  # cases sent without a key on purpose
    reached = [op for op, counts in TALLY.operations.items() if any(200 <= s < 300 for s in counts)]
    assert len(reached) >= len(TALLY.operations) * 3 // 4, sorted(
        set(TALLY.operations) - set(reached)
    )
