"""Requests with safe retries: every write carries an Idempotency-Key (generated when the caller
gives none), and only what is safe to repeat with the same key is repeated: network failures,
429 (after `Retry-After`), 503, and 409 IDEMPOTENCY_IN_PROGRESS. Nothing else."""

import asyncio
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from entrygo_client.errors import EntryGoError

DEFAULT_BASE_URL = "http://localhost:3000/api"
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
MAX_RETRY_AFTER = 60.0
USER_AGENT = "entrygo-client-python/0.1.0"

# Failures of the connection, never of the request itself: a connect error, a read or write
# error, a timeout, or a connection the server closed without an answer.
RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class Retry:
    """How often and how long to wait: up to `max_retries` retries after the first try, with
    capped exponential backoff and jitter (`base` * 2**n, at most `cap` seconds)."""

    max_retries: int = 5
    base: float = 0.25
    cap: float = 8.0

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds before retry number `retry` (0-based); the server's `Retry-After` wins."""
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER)
        ceiling = min(self.cap, self.base * 2**retry)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311  (jitter, not a secret)


@dataclass(frozen=True)
class Call:
    """One request as the client will send it (again, on a retry)."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    raw: bool = False  # the bytes, not JSON


def settings(api_key: str | None, base_url: str | None) -> tuple[str | None, str]:
    """The key and base URL: given, else ENTRYGO_API_KEY / ENTRYGO_BASE_URL, else the default."""
    key = api_key if api_key is not None else os.environ.get("ENTRYGO_API_KEY")
    url = base_url or os.environ.get("ENTRYGO_BASE_URL") or DEFAULT_BASE_URL
    return key, url.rstrip("/")


def new_key() -> str:
    """A fresh idempotency key for a write whose caller gave none."""
    return f"sdk-{uuid.uuid4()}"


def prepare(call: Call, api_key: str | None, key: str | None) -> dict[str, str]:
    """The headers of the call: auth, and an idempotency key on every write (the same one on
    every retry of the call, since the headers are built once)."""
    headers = {"accept": "application/json", "user-agent": USER_AGENT}
    if api_key:
        headers["authorization"] = f"Bearer {api_key}"
    if call.method in WRITES:
        headers["idempotency-key"] = key or new_key()
    return headers


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (HTTP dates are not used by the API)."""
    value = response.headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_of(response: httpx.Response) -> EntryGoError:
    """The contract's error body `{errorCode, message, field?, details?}` as an exception (any
    other body as its message, `error_code` "HTTP_<status>")."""
    request_id = response.headers.get("x-request-id")
    body = _body(response)
    if isinstance(body, dict) and "errorCode" in body:
        field = body.get("field")
        return EntryGoError(
            str(body.get("message") or body["errorCode"]),
            status=response.status_code,
            error_code=str(body["errorCode"]),
            field=str(field) if field is not None else None,
            details=body.get("details"),
            request_id=request_id,
        )
    return EntryGoError(
        response.text[:500] or response.reason_phrase,
        status=response.status_code,
        error_code=f"HTTP_{response.status_code}",
        request_id=request_id,
    )


def retryable(response: httpx.Response) -> bool:
    """429, 503 and 409 IDEMPOTENCY_IN_PROGRESS; nothing else."""
    if response.status_code in (429, 503):
        return True
    if response.status_code == 409:
        body = _body(response)
        return isinstance(body, dict) and body.get("errorCode") == "IDEMPOTENCY_IN_PROGRESS"
    return False


def result(response: httpx.Response, raw: bool) -> Any:
    """The body of a success (bytes for raw calls, None for an empty body)."""
    if raw:
        return response.content
    if not response.content:
        return None
    return response.json()


def network_error(exc: Exception, attempts: int) -> EntryGoError:
    """The failure after the last retry of a network error."""
    return EntryGoError(
        f"{type(exc).__name__}: {exc or 'connection failed'} (after {attempts} attempts)",
        error_code="NETWORK_ERROR",
    )


class SyncSender:
    """Send a call with retries over an httpx.Client."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        api_key: str | None,
        retry: Retry,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.http, self.base_url, self.api_key, self.retry = http, base_url, api_key, retry
        self.sleep: Callable[[float], None] = sleep if sleep is not None else time.sleep

    def send(self, call: Call, key: str | None = None) -> Any:
        headers = prepare(call, self.api_key, key)
        retries = max(self.retry.max_retries, 0)
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                response = self.http.request(
                    call.method,
                    self.base_url + call.path,
                    json=call.json,
                    params=call.params,
                    headers=headers,
                )
            except RETRYABLE_EXCEPTIONS as exc:
                if last:
                    raise network_error(exc, attempt + 1) from exc
                self.sleep(self.retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:  # a bad URL and the like: repeating cannot help
                raise network_error(exc, attempt + 1) from exc
            if response.is_success:
                return result(response, call.raw)
            if last or not retryable(response):
                raise error_of(response)
            self.sleep(self.retry.delay(attempt, retry_after(response)))
        raise AssertionError("unreachable")  # pragma: no cover


class AsyncSender:
    """Send a call with retries over an httpx.AsyncClient."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        api_key: str | None,
        retry: Retry,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.http, self.base_url, self.api_key, self.retry = http, base_url, api_key, retry
        self.sleep: Callable[[float], Awaitable[None]] = (
            sleep if sleep is not None else asyncio.sleep
        )

    async def send(self, call: Call, key: str | None = None) -> Any:
        headers = prepare(call, self.api_key, key)
        retries = max(self.retry.max_retries, 0)
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                response = await self.http.request(
                    call.method,
                    self.base_url + call.path,
                    json=call.json,
                    params=call.params,
                    headers=headers,
                )
            except RETRYABLE_EXCEPTIONS as exc:
                if last:
                    raise network_error(exc, attempt + 1) from exc
                await self.sleep(self.retry.delay(attempt))
                continue
            except httpx.HTTPError as exc:
                raise network_error(exc, attempt + 1) from exc
            if response.is_success:
                return result(response, call.raw)
            if last or not retryable(response):
                raise error_of(response)
            await self.sleep(self.retry.delay(attempt, retry_after(response)))
        raise AssertionError("unreachable")  # pragma: no cover
