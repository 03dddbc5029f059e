"""Outermost layer of every request: request id, body size, media type, last-resort errors,
and what operators see of it (the access log line, the request metrics, the log context).

A pure ASGI middleware so that it sees every request before routing and every exception that
nothing else handled, and can answer in the contract's body with `x-request-id` in all cases.
Who the caller is, and its rate, is not its business: routes declare that (api/deps.py).
"""

import logging
import re
import time
import uuid
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import ApiError, ErrorIssue, error_response, service_unavailable, validation_error
from api.failures import unavailable_dependency
from observability.logs import bound
from observability.metrics import HTTP_DURATION, HTTP_REQUESTS
from store.errors import is_unstorable_text

log = logging.getLogger("entrygo.api")
access = logging.getLogger("entrygo.access")

_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")
_WRITE_METHODS = {"POST", "PUT", "PATCH"}
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
CONSOLE_PREFIX = "/console/"


class BodyTooLarge(Exception):
    """The request body grew past the limit while it was read."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit


# an answer to a broker request carries its documents (each up to 5 MB, base64 in JSON): its
# route takes a larger body than the rest (Settings.answer_body_limit_bytes)
_ANSWER_PATH = re.compile(r"^(/api|/console)/exports/[^/]+/broker-requests/[^/]+/answer$")


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/exports/{export_id}`), or `unmatched`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _export_of(scope: Scope) -> dict[str, str]:
    export_id = (scope.get("path_params") or {}).get("export_id")
    return {"export_id": export_id} if isinstance(export_id, str) else {}


class Gateway:
    """Wraps the FastAPI app; see the module docstring."""

    def __init__(self, app: ASGIApp, *, body_limit: int, answer_limit: int | None = None) -> None:
        self.app = app
        self.body_limit = body_limit
        self.answer_limit = max(answer_limit or body_limit, body_limit)

    def limit_for(self, path: str) -> int:
        """The body limit of a path: larger for an answer with its documents."""
        return self.answer_limit if _ANSWER_PATH.match(path) else self.body_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent_id = headers.get("x-request-id")
        request_id = sent_id if sent_id and _REQUEST_ID.match(sent_id) else uuid.uuid4().hex
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = False
        status = 500
        began = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                raw = list(message.get("headers", []))
                raw.append((b"x-request-id", request_id.encode()))
                message["headers"] = raw
            await send(message)

        with bound(request_id=request_id) as context:
            try:
                self._check_body(scope["method"], headers, scope["path"])
                receive_body = receive
                if scope["method"] in _WRITE_METHODS and "content-length" not in headers:
                    receive_body = await self._buffered(receive, self.limit_for(scope["path"]))
                await self.app(scope, receive_body, send_with_id)
            except Exception as exc:  # the last resort: everything becomes the contract's body
                if started:
                    log.exception("error after the response started request_id=%s", request_id)
                else:
                    answer = self._translate(exc, request_id)
                    await error_response(answer)(scope, receive, send_with_id)
            finally:
                self._observe(scope, status, time.perf_counter() - began, context)

    @staticmethod
    def _observe(scope: Scope, status: int, seconds: float, context: dict[str, Any]) -> None:
        """The request's metrics and its access log line, by route template (never the raw
        path: ids would make every export a series of its own)."""
        route = route_template(scope)
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"  # bounded labels
        HTTP_REQUESTS.labels(route, method, str(status)).inc()
        HTTP_DURATION.labels(route, method).observe(seconds)
        access.info(
            "%s %s %d %.1fms",
            method,
            route,
            status,
            seconds * 1000,
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(seconds * 1000, 2),
                **({} if context.get("export_id") else _export_of(scope)),
            },
        )

    async def _buffered(self, receive: Receive, limit: int) -> Receive:
        """Read a body sent without Content-Length up to the limit, then hand it on whole."""
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit)
            chunks.append(chunk)
            more = message.get("more_body", False)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        return replay

    def _check_body(self, method: str, headers: Headers, path: str) -> None:
        length = headers.get("content-length")
        limit = self.limit_for(path)
        if length is not None and length.isdigit() and int(length) > limit:
            raise BodyTooLarge(limit)
        # the console's forms post urlencoded bodies; the console checks their media type itself
        if method in _WRITE_METHODS and not path.startswith(CONSOLE_PREFIX):
            has_body = (length is not None and length != "0") or "transfer-encoding" in headers
            content_type = headers.get("content-type")
            if (has_body or content_type) and not _is_json(content_type or ""):
                raise ApiError(
                    415,
                    "UNSUPPORTED_MEDIA_TYPE",
                    "Send the body as application/json.",
                    details={"contentType": content_type},
                )

    @staticmethod
    def _translate(exc: Exception, request_id: str) -> ApiError:
        if isinstance(exc, ApiError):
            return exc
        if is_unstorable_text(exc):  # whatever field carried the NUL, the client sent it
            return validation_error(
                [
                    ErrorIssue(
                        path="",
                        message="text must not contain NUL (U+0000) characters",
                        code="invalid_string",
                    )
                ]
            )
        if isinstance(exc, BodyTooLarge):
            mib = exc.limit / (1024 * 1024)
            return ApiError(
                413, "PAYLOAD_TOO_LARGE", f"Request body exceeds the {mib:g} MiB limit."
            )
        dependency = unavailable_dependency(exc)
        if dependency is not None:
            log.warning("%s unavailable request_id=%s: %r", dependency, request_id, exc)
            return service_unavailable(dependency)
        log.exception("unexpected error request_id=%s", request_id)
        return ApiError(
            500,
            "INTERNAL_ERROR",
            "An unexpected error occurred.",
            details={"requestId": request_id},
        )
