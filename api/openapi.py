"""The OpenAPI document: every route declares the contract's error body for its error statuses."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.deps import BEARER_SCHEME
from api.errors import ErrorBody
from api.openapi_links import add_links
from signing import SIGNATURE_HEADER

_DESCRIPTIONS = {
    400: "Invalid JSON (INVALID_REQUEST) or validation failed (VALIDATION_ERROR, "
    "IDEMPOTENCY_KEY_INVALID).",
    401: "Missing, unknown or revoked key (INVALID_API_KEY).",
    403: "INVALID_ACCOUNT_SCOPE or INSUFFICIENT_ROLE.",
    404: "NOT_FOUND: unknown route or object.",
    405: "METHOD_NOT_ALLOWED.",
    409: "A conflict with the current state or an idempotency key.",
    413: "PAYLOAD_TOO_LARGE: the body is over 5 MiB.",
    415: "UNSUPPORTED_MEDIA_TYPE: send application/json.",
    429: "RATE_LIMITED: slow down; see Retry-After.",
    500: "INTERNAL_ERROR: never a stack trace; details.requestId.",
    503: "SERVICE_UNAVAILABLE: a dependency is unreachable; see Retry-After.",
}

COMMON = (400, 401, 404, 405, 413, 415, 429, 500, 503)

# Who may call what (CONTRACT §4, §5) follows from each route's dependencies: a route that needs
# a key depends on api.deps.BEARER, which declares the `bearer` scheme on its operation; a route
# without one declares nothing. Two things no dependency says are added here: health's key is
# optional (either no requirement or the key), and a broker callback is signed, which the route
# checks over the raw body, instead of keyed.
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "/api/system/health": [{}, {BEARER_SCHEME: []}],
    "/api/brokers/{broker_id}/callbacks": [{"brokerSignature": []}],
}
SECURITY_SCHEMES = {
    "brokerSignature": {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": "t=<unix seconds>,v1=<hex HMAC-SHA256 of '<t>.<body>' with the broker's secret>",
    },
}
# What api/idempotency.py enforces on the header and on the body field (CONTRACT §4).
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the write safe to retry; wins over the body's idempotencyKey.",
    "schema": IDEMPOTENCY_KEY_SCHEMA,
}

# What GET /api/artifacts/{id}/content really answers: each artifact's own media type (§10).
ARTIFACT_CONTENT = ("/api/artifacts/{artifact_id}/content", "get")
ARTIFACT_MEDIA_TYPES: dict[str, dict[str, Any]] = {
    "text/html": {"schema": {"type": "string"}},
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for a route that can answer these error statuses."""
    return {s: {"model": ErrorBody, "description": _DESCRIPTIONS[s]} for s in (*COMMON, *statuses)}


def install_openapi(app: FastAPI) -> None:
    """Replace FastAPI's default 422 entries (we never answer 422) and cache the document."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path_item in schema.get("paths", {}).values():
            for operation in path_item.values():
                responses = operation.get("responses", {})
                responses.pop("422", None)
        path, method = ARTIFACT_CONTENT
        content = schema.get("paths", {}).get(path, {}).get(method, {}).get("responses", {})
        if "200" in content:
            content["200"]["content"] = ARTIFACT_MEDIA_TYPES
        components = schema.get("components", {}).get("schemas", {})
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        schema["components"].setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
        for path, security in SECURITY.items():
            for operation in schema["paths"][path].values():
                operation["security"] = security
        _declare_idempotency(schema["paths"], components)
        _declare_no_nul(schema)
        add_links(schema["paths"])
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]


def _declare_idempotency(paths: dict[str, Any], components: dict[str, Any]) -> None:
    """Declare the key's constraints on every body that has one, and the header beside it."""
    for name, component in components.items():
        properties = component.get("properties", {})
        if "idempotencyKey" in properties:
            properties["idempotencyKey"] = {
                "anyOf": [IDEMPOTENCY_KEY_SCHEMA, {"type": "null"}],
                "title": "Idempotencykey",
            }
            for path_item in paths.values():
                for operation in path_item.values():
                    ref = (
                        operation.get("requestBody", {})
                        .get("content", {})
                        .get("application/json", {})
                        .get("schema", {})
                        .get("$ref", "")
                    )
                    if ref == f"#/components/schemas/{name}":
                        operation.setdefault("parameters", []).append(IDEMPOTENCY_HEADER)


NO_NUL = "^[^\\x00]*$"
_REF = "#/components/schemas/"


def _declare_no_nul(schema: dict[str, Any]) -> None:
    """Every text a client sends refuses U+0000 (PostgreSQL cannot store it): say so on every
    string of parameters and request bodies. Answers may echo it (an error names the field)."""
    components = schema.get("components", {}).get("schemas", {})
    sent: list[Any] = []
    for path_item in schema["paths"].values():
        for operation in path_item.values():
            sent += [p.get("schema", {}) for p in operation.get("parameters", [])]
            sent += [
                c.get("schema", {})
                for c in operation.get("requestBody", {}).get("content", {}).values()
            ]
    seen: set[str] = set()
    while sent:
        node = sent.pop()
        if isinstance(node, list):
            sent += node
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(_REF) and ref[len(_REF) :] not in seen:
                seen.add(ref[len(_REF) :])
                sent.append(components[ref[len(_REF) :]])
            if node.get("type") == "string" and not node.keys() & {
                "pattern",
                "enum",
                "format",
                "const",
            }:
                node["pattern"] = NO_NUL
            sent += [v for v in node.values() if isinstance(v, dict | list)]
