"""The contract's error body, produced in one place for every layer.

ApiError                    raised by the HTTP layer; carries status and errorCode
services.errors.*       ->  their status by kind (SERVICE_STATUS below), the code they carry
RequestValidationError  ->  400 INVALID_REQUEST (bad JSON) or 400 VALIDATION_ERROR
HTTPException (routing) ->  404 NOT_FOUND, 405 METHOD_NOT_ALLOWED (keeps Allow)
store.errors.NotFound   ->  404 NOT_FOUND with details.resource
database / Temporal down -> 503 SERVICE_UNAVAILABLE (api/middleware.py)
anything else           ->  500 INTERNAL_ERROR (api/middleware.py)
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from domain.wire import WireModel
from services.errors import (
    BadSignature,
    Conflict,
    Invalid,
    NeedsRole,
    OutOfScope,
    ServiceError,
    Unavailable,
)
from store.errors import NotFound

# pydantic's error types renamed to the names the public docs use (Zod's vocabulary).
_ISSUE_CODES = {
    "too_short": "too_small",
    "string_too_short": "too_small",
    "string_too_long": "too_big",
    "greater_than": "too_small",
    "greater_than_equal": "too_small",
    "too_long": "too_big",
    "less_than": "too_big",
    "less_than_equal": "too_big",
    "missing": "required",
    "extra_forbidden": "unrecognized_keys",
}


class ErrorIssue(BaseModel):
    """One validation problem at a dotted path."""

    path: str
    message: str
    code: str


class ErrorBody(WireModel):
    """The one error body of the contract (§3)."""

    error_code: str
    message: str
    field: str | None = None
    details: dict[str, Any] | None = None


class ApiError(Exception):
    """An error answered with the contract's body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details) if details is not None else None
        self.headers = dict(headers or {})


def validation_error(issues: Sequence[ErrorIssue]) -> ApiError:
    """400 VALIDATION_ERROR for the given issues (field = the first issue's path, if any)."""
    return ApiError(
        400,
        "VALIDATION_ERROR",
        "Request validation failed.",
        field=(issues[0].path or None) if issues else None,
        details={"issues": [i.model_dump() for i in issues]},
    )


def not_found(resource: str) -> ApiError:
    """404 NOT_FOUND for an object the caller cannot see."""
    return ApiError(404, "NOT_FOUND", f"{resource} not found.", details={"resource": resource})


def service_unavailable(dependency: str) -> ApiError:
    """503 with Retry-After when a dependency is unreachable."""
    return ApiError(
        503,
        "SERVICE_UNAVAILABLE",
        f"The {dependency} is unreachable; retry later.",
        details={"dependency": dependency},
        headers={"Retry-After": "2"},
    )


SERVICE_STATUS: dict[type[ServiceError], int] = {
    Invalid: 400,
    BadSignature: 401,
    OutOfScope: 403,
    NeedsRole: 403,
    Conflict: 409,
    Unavailable: 503,
}


def from_service_error(exc: ServiceError) -> ApiError:
    """The contract's answer to a service error."""
    if isinstance(exc, Invalid):
        return validation_error(
            [ErrorIssue(path=i.path, message=i.message, code=i.code) for i in exc.issues]
        )
    if isinstance(exc, Unavailable):
        return service_unavailable(exc.dependency)
    status = next((s for kind, s in SERVICE_STATUS.items() if isinstance(exc, kind)), 500)
    return ApiError(status, exc.code, exc.message, field=exc.field, details=exc.details)


def error_response(exc: ApiError) -> JSONResponse:
    """Render an ApiError."""
    body: dict[str, Any] = {"errorCode": exc.code, "message": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    if exc.details is not None:
        body["details"] = exc.details
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


def dotted(loc: Iterable[Any]) -> str:
    """('body', 'items', 0, 'productId') -> 'items.0.productId'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)


def issues_from_pydantic(errors: Sequence[Mapping[str, Any]]) -> list[ErrorIssue]:
    """Translate pydantic errors into the contract's issues."""
    return [
        ErrorIssue(
            path=dotted(e.get("loc", ())),
            message=str(e.get("msg", "invalid")),
            code=_ISSUE_CODES.get(str(e.get("type")), str(e.get("type", "invalid"))),
        )
        for e in errors
    ]


async def _on_api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _on_service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(from_service_error(exc))


async def _on_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(ApiError(400, "INVALID_REQUEST", "Request body must be valid JSON."))
    return error_response(validation_error(issues_from_pydantic(errors)))


def allowed_methods(request: Request, fallback: str) -> str:
    """Every method the path serves, as the OpenAPI document declares them (RFC 9110 `Allow`);
    Starlette's own header names only the first matching route's methods."""
    path = request.url.path
    matching = [
        (template.count("{"), item)
        for template, item in request.app.openapi().get("paths", {}).items()
        if re.fullmatch(re.sub(r"\{[^/{}]+\}", "[^/]+", template), path)
    ]
    # the most literal template is the path's own (/api/exports/plan, not /api/exports/{id})
    fewest = min((params for params, _ in matching), default=0)
    methods = {m.upper() for params, item in matching if params == fewest for m in item}
    return ", ".join(sorted(methods)) if methods else fallback


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return error_response(not_found("route"))
    if exc.status_code == 405:
        allow = allowed_methods(request, (exc.headers or {}).get("Allow", ""))
        return error_response(
            ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                "Method not allowed on this route.",
                details={"allow": [m.strip() for m in allow.split(",") if m.strip()]},
                headers={"Allow": allow},
            )
        )
    return error_response(ApiError(exc.status_code, "INVALID_REQUEST", str(exc.detail)))


async def _on_not_found(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFound)
    return error_response(not_found(exc.resource))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers above."""
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(NotFound, _on_not_found)
