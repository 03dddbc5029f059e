"""The OpenAPI document: every route declares the contract's error body for its error statuses."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import ErrorBody

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
        schema["components"]["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "description": "eg_live_… API key"}
        }
        schema["security"] = [{"bearer": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = build  # type: ignore[method-assign]
