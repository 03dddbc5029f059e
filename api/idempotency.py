"""Idempotent writes (CONTRACT §4), one mechanism for every writing POST.

Every write runs in one transaction that also claims its idempotency key. A transaction-scoped
advisory lock on (account, key) tells a concurrent duplicate that the first is still running
(409 IDEMPOTENCY_IN_PROGRESS) without making it wait; the stored response is written in the same
transaction as the business rows, so a key is either unused or tied to a committed success.
"""

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.errors import ApiError
from domain.canonical import canonical_json
from domain.wire import wire_value
from services.context import Intent
from store import idempotency
from store.accounts import Principal
from store.idempotency import ClaimState

MAX_KEY_LENGTH = 255


def resolve_key(request: Request, body: BaseModel | None) -> str | None:
    """The header `Idempotency-Key` wins over the body's `idempotencyKey`; validated."""
    key = request.headers.get("idempotency-key")
    if key is None and body is not None:
        key = getattr(body, "idempotencyKey", None)
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise ApiError(
            400,
            "IDEMPOTENCY_KEY_INVALID",
            "Idempotency key must be 1-255 visible ASCII characters.",
            field="idempotencyKey",
        )
    return key


def fingerprint(request: Request, body: BaseModel | None) -> bytes:
    """SHA-256 of method, route template, path parameters and the validated body (sans key)."""
    route = request.scope.get("route")
    payload = body.model_dump(mode="json", exclude={"idempotencyKey"}) if body else None
    material = {
        "method": request.method,
        "route": getattr(route, "path", request.url.path),
        "params": dict(request.path_params),
        "body": payload,
    }
    return hashlib.sha256(canonical_json(material)).digest()


def _json_bytes(payload: Any) -> bytes:
    if isinstance(payload, BaseModel):
        return payload.model_dump_json().encode()
    return json.dumps(payload, separators=(",", ":"), default=wire_value).encode()


@dataclass
class Write:
    """One write request; `replayed` is set when a stored response answers it.

    Held mode (`begin_write`): `conn` is the request's open transaction. Lease mode
    (`begin_workflow_write`): no transaction stays open; `connect()` lends a pooled connection.
    """

    pool: Any
    principal: Principal
    key: str | None
    conn: Any = None
    digest: bytes = b""
    replayed: Response | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        """The held transaction's connection, or a pooled one for the block."""
        if self.conn is not None:
            yield self.conn
            return
        async with self.pool.acquire() as conn:
            yield conn

    @property
    def intent(self) -> Intent:
        """The request as the services see it: the caller, its key and the request's digest."""
        return Intent(self.principal, self.key, self.digest)

    async def respond(self, status: int, payload: Any, *, replay: Any = None) -> Response:
        """The response; with a key and a 2xx status it is stored for replays.

        `replay` is stored instead of `payload` when the answer holds something that must be
        shown once only (a new API key's secret).
        """
        body = _json_bytes(payload)
        stored = body if replay is None else _json_bytes(replay)
        if self.key is not None and 200 <= status < 300:
            async with self.connect() as conn:
                await idempotency.store_answer(
                    conn, self.principal.account_id, self.key, status, stored
                )
        return Response(body, status, headers=self.headers, media_type="application/json")


def _replay(status: int, body: bytes) -> Response:
    return Response(
        body, status, headers={"Idempotent-Replayed": "true"}, media_type="application/json"
    )


@asynccontextmanager
async def begin_write(
    request: Request, principal: Principal, body: BaseModel | None
) -> AsyncIterator[Write]:
    """Open the request's transaction and claim its idempotency key (if it has one)."""
    key = resolve_key(request, body)
    pool: Any = request.app.state.pool
    ttl = timedelta(hours=request.app.state.settings.idempotency_ttl_hours)
    async with pool.acquire() as conn, conn.transaction():
        write = Write(pool, principal, key, conn=conn)
        if key is not None:
            write.replayed = await _claim(
                conn, principal.account_id, key, fingerprint(request, body), ttl, lease=None
            )
        yield write


@asynccontextmanager
async def begin_workflow_write(
    request: Request, principal: Principal, body: BaseModel | None
) -> AsyncIterator[Write]:
    """Claim the key with a lease in a short transaction and hold no connection meanwhile.

    For writes whose work happens in Temporal (plan, execute, approve, …): the workflow and
    update ids derived from the key make the work itself idempotent, so the key only has to
    say "in progress" (the lease) and, once it succeeded, replay the answer. A failed request
    releases its claim; a crashed one lets it lapse with the lease.
    """
    key = resolve_key(request, body)
    pool: Any = request.app.state.pool
    settings = request.app.state.settings
    write = Write(pool, principal, key, digest=fingerprint(request, body))
    if key is None:
        yield write
        return
    ttl = timedelta(hours=settings.idempotency_ttl_hours)
    lease = timedelta(
        seconds=settings.temporal_call_timeout_seconds * 2 + settings.execute_wait_seconds + 30
    )
    async with pool.acquire() as conn, conn.transaction():
        write.replayed = await _claim(
            conn, principal.account_id, key, write.digest, ttl, lease=lease
        )
    if write.replayed is not None:
        yield write
        return
    try:
        yield write
    except BaseException:
        # Release the claim so a fixed request may reuse the key. Best effort: when the database
        # is what failed, this fails too, and the lease lapses by itself; the original error is
        # the one the client must see.
        with suppress(Exception):
            async with pool.acquire() as conn:
                await idempotency.release(conn, principal.account_id, key)
        raise


async def _claim(
    conn: Any,
    account_id: str,
    key: str,
    digest: bytes,
    ttl: timedelta,
    *,
    lease: timedelta | None,
) -> Response | None:
    """Claim the key; the stored answer when this request was answered before."""
    claimed = await idempotency.claim(conn, account_id, key, digest, ttl, lease=lease)
    if claimed.state is ClaimState.IN_PROGRESS:
        raise ApiError(
            409,
            "IDEMPOTENCY_IN_PROGRESS",
            "A request with this idempotency key is still being processed.",
            headers={"Retry-After": "1"},
        )
    if claimed.state is ClaimState.CONFLICT:
        raise ApiError(
            409,
            "IDEMPOTENCY_CONFLICT",
            "This idempotency key was used with a different request.",
            field="idempotencyKey",
        )
    if claimed.answer is not None:
        return _replay(*claimed.answer)
    return None
