"""Signed callbacks from the sandbox broker to EntryGo, retried with a short backoff."""

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from sandbox.state import CallbackRecord
from signing import SIGNATURE_HEADER, sign

DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_S = 0.05
# no wait between two attempts is longer than this
MAX_BACKOFF_S = 5.0
# a broker run as a process (`python -m sandbox.broker`) keeps trying for about half a minute,
# so a callback outlives a short outage of EntryGo (its database down, a restart)
PROCESS_ATTEMPTS = 12
REQUEST_TIMEOUT_S = 5.0
# A broker gives up at once on answers that say the message itself is wrong.
_RETRYABLE_4XX = frozenset({408, 425, 429})


def occurred_at(clock: Callable[[], float]) -> str:
    """RFC 3339 UTC timestamp of `clock()` with millisecond precision."""
    moment = datetime.fromtimestamp(clock(), tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def encode_body(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class CallbackSender:
    """Posts callback bodies signed with the callback secret; one HTTP client per sender."""

    def __init__(
        self,
        secret: str,
        *,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff_s: float = DEFAULT_BACKOFF_S,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._attempts = max(1, attempts)
        self._backoff_s = backoff_s
        self._transport = transport
        self._clock = clock
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        # Created on first use so it binds to the loop that serves the app.
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=REQUEST_TIMEOUT_S,
                trust_env=False,  # callbacks go to loopback; never through a proxy
            )
        return self._client

    async def _post_once(self, url: str, payload: bytes) -> tuple[str | None, bool]:
        """Post once; return the error met (None on success) and whether to try again."""
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, payload, int(self._clock())),
        }
        try:
            response = await self._http().post(url, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}", True
        if response.is_success:
            return None, False
        status = response.status_code
        return f"HTTP {status}", status >= 500 or status in _RETRYABLE_4XX

    async def deliver(self, url: str, body: dict[str, Any], record: CallbackRecord) -> bool:
        """Deliver `body` to `url`, updating `record`; re-signed on every attempt."""
        payload = encode_body(body)
        for attempt in range(self._attempts):
            if attempt:
                await asyncio.sleep(min(self._backoff_s * 2 ** (attempt - 1), MAX_BACKOFF_S))
            record.attempts += 1
            error, retryable = await self._post_once(url, payload)
            record.last_error = error
            if error is None:
                record.delivered = True
                return True
            if not retryable:
                return False
        return False

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
