"""Idempotent writes (CONTRACT §4): the unit of work every writing route runs through.

Every write runs in one transaction that also claims its idempotency key. A transaction-scoped
advisory lock on (account, key) tells a concurrent duplicate that the first is still running
(409 IDEMPOTENCY_IN_PROGRESS) without making it wait; the stored response is written in the same
transaction as the business rows, so a key is either unused or tied to a committed success.
"""

import hashlib
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar, overload

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.canonical_body import canonical_body
from api.errors import ApiError
from domain.canonical import canonical_json
from services.context import Context, Intent, Runtime
from store import idempotency
from store.accounts import Principal
from store.db import Connection
from store.idempotency import ClaimState

MAX_KEY_LENGTH = 255


def _key_field(body: BaseModel) -> str:
    """The attribute that holds the body's `idempotencyKey` (a snake_case attribute of a model
    with wire names by alias, or the wire name itself)."""
    for name, info in type(body).model_fields.items():
        if (info.alias or name) == "idempotencyKey":
            return name
    return "idempotencyKey"


def resolve_key(request: Request, body: BaseModel | None) -> str | None:
    """The header `Idempotency-Key` wins over the body's `idempotencyKey`; each one sent is
    validated, so an invalid key is refused whichever of the two carries it."""
    header = request.headers.get("idempotency-key")
    in_body = getattr(body, _key_field(body), None) if body is not None else None
    for key in (header, in_body):
        if key is not None and not _valid_key(key):
            raise ApiError(
                400,
                "IDEMPOTENCY_KEY_INVALID",
                "Idempotency key must be 1-255 visible ASCII characters.",
                field="idempotencyKey",
            )
    return header if header is not None else in_body


def _valid_key(key: str) -> bool:
    return bool(key) and len(key) <= MAX_KEY_LENGTH and all(0x21 <= ord(c) <= 0x7E for c in key)


def fingerprint(request: Request, body: BaseModel | None) -> bytes:
    """SHA-256 of method, route template, path parameters and the validated body (sans key)."""
    route = request.scope.get("route")
    request_part = {
        "method": request.method,
        "route": getattr(route, "path", request.url.path),
        "params": dict(request.path_params),
    }
    exclude = {_key_field(body)} if body else set()
    written = canonical_body(body, exclude) if body else None
    if written is None:
        payload = body.model_dump(mode="json", exclude=exclude) if body else None
        return hashlib.sha256(canonical_json({**request_part, "body": payload})).digest()
    # the same bytes: "body" sorts before the request's keys
    return hashlib.sha256(b'{"body":%s,%s' % (written, canonical_json(request_part)[1:])).digest()


M = TypeVar("M", bound=BaseModel)
Body_co = TypeVar("Body_co", bound=BaseModel, covariant=True)
R = TypeVar("R")


def _json_bytes(payload: BaseModel) -> bytes:
    # what FastAPI sends for the route's response_model: the model's JSON by alias, the bytes
    # `model_dump_json(by_alias=True)` gives without its round trip through str (a sync's answer
    # is some 650 kB)
    return payload.__pydantic_serializer__.to_json(payload, by_alias=True)


class Sent(Response, Generic[Body_co]):
    """A write's answer as it goes out: the JSON bytes of `model`, serialised once (a stored
    answer is these same bytes, so a replay sends what the first answer sent). `model` is the
    answer itself, for callers in this process (the console's forms)."""

    media_type = "application/json"

    def __init__(self, model: Body_co, content: bytes, status: int) -> None:
        super().__init__(content, status)
        self.model = model


class Replayed(Exception):
    """A stored answer answers this request: raised past the route (it answers, like an error
    does, before the route's result), sent as the stored bytes by `install_replay_handler`."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__("replayed")
        self.status = status
        self.body = body


async def _on_replayed(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replayed)
    return Response(
        exc.body,
        exc.status,
        headers={"Idempotent-Replayed": "true"},
        media_type="application/json",
    )


def install_replay_handler(app: FastAPI) -> None:
    """Answer `Replayed` with the stored bytes."""
    app.add_exception_handler(Replayed, _on_replayed)


@dataclass(frozen=True)
class Answer(Generic[M]):
    """What a write answers when it is more than the route's model at the route's status: a
    status that depends on the outcome, or (`replay`) what a replay answers instead (a new API
    key's secret is shown once)."""

    body: M
    status: int | None = None
    replay: BaseModel | None = None


class UnitOfWork:
    """The one place a write runs: its transaction, its idempotency claim, the replay of a
    stored answer and the storing of a new one. A route validates, then hands its use case to
    `in_transaction` or `with_lease` and returns the answer it gets back, serialised once.

    `in_transaction`: one transaction holds the business rows, the claim and the stored answer,
    so a key is either unused or tied to a committed success. `with_lease`: for writes whose
    work happens in Temporal (plan, execute, approve, …): the workflow and update ids derived
    from the key make the work itself idempotent, so the key is claimed with a lease in a short
    transaction ("in progress"), no connection is held meanwhile, and the answer is stored once
    it succeeded; a failed request releases its claim, a crashed one lets it lapse.
    """

    def __init__(self, request: Request, runtime: Runtime, principal: Principal) -> None:
        self.request = request
        self.runtime = runtime
        self.principal = principal

    def _sent(self, answer: Answer[Any]) -> Sent[BaseModel]:
        """The answer serialised once, at the status the outcome or the route gives."""
        route = self.request.scope.get("route")
        status = answer.status or getattr(route, "status_code", None) or 200
        return Sent(answer.body, _json_bytes(answer.body), status)

    @overload
    async def in_transaction(
        self, body: BaseModel | None, call: Callable[[Context], Awaitable[M]]
    ) -> Sent[M]: ...

    @overload
    async def in_transaction(
        self,
        body: BaseModel | None,
        call: Callable[[Context], Awaitable[R]],
        answer: Callable[[R], Answer[M]],
    ) -> Sent[M]: ...

    async def in_transaction(
        self,
        body: BaseModel | None,
        call: Callable[[Context], Awaitable[Any]],
        answer: Callable[[Any], Answer[Any]] | None = None,
    ) -> Sent[BaseModel]:
        """Run `call` on the request's transaction, which also claims the key."""
        key = resolve_key(self.request, body)
        ttl = timedelta(hours=self.runtime.settings.idempotency_ttl_hours)
        intent = Intent(self.principal, key)
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            if key is not None:
                await _claim(
                    conn, self.principal.account_id, key, fingerprint(self.request, body), ttl,
                    lease=None,
                )  # fmt: skip
            result = await call(Context(self.runtime, intent, conn))
            done: Answer[BaseModel] = answer(result) if answer is not None else Answer(result)
            sent = self._sent(done)
            await self._store(conn, key, sent, done)
        return sent

    @overload
    async def with_lease(
        self, body: BaseModel | None, call: Callable[[Context], Awaitable[M]]
    ) -> Sent[M]: ...

    @overload
    async def with_lease(
        self,
        body: BaseModel | None,
        call: Callable[[Context], Awaitable[R]],
        answer: Callable[[R], Answer[M]],
    ) -> Sent[M]: ...

    async def with_lease(
        self,
        body: BaseModel | None,
        call: Callable[[Context], Awaitable[Any]],
        answer: Callable[[Any], Answer[Any]] | None = None,
    ) -> Sent[BaseModel]:
        """Claim the key with a lease, run `call` holding no connection, store its answer."""
        key = resolve_key(self.request, body)
        settings = self.runtime.settings
        pool = self.runtime.pool
        intent = Intent(self.principal, key, fingerprint(self.request, body))
        account_id = self.principal.account_id
        if key is not None:
            ttl = timedelta(hours=settings.idempotency_ttl_hours)
            lease = timedelta(
                seconds=settings.temporal_call_timeout_seconds * 2
                + settings.execute_wait_seconds
                + 30
            )
            async with pool.acquire() as conn, conn.transaction():
                await _claim(conn, account_id, key, intent.digest, ttl, lease=lease)
        try:
            result = await call(Context(self.runtime, intent))
            done: Answer[BaseModel] = answer(result) if answer is not None else Answer(result)
            sent = self._sent(done)
            async with pool.acquire() as conn:
                await self._store(conn, key, sent, done)
        except BaseException:
            if key is not None:
                # Release the claim so a fixed request may reuse the key. Best effort: when the
                # database is what failed, this fails too, and the lease lapses by itself; the
                # original error is the one the client must see.
                with suppress(Exception):
                    async with pool.acquire() as conn:
                        await idempotency.release(conn, account_id, key)
            raise
        return sent

    async def _store(
        self, conn: Connection, key: str | None, sent: Sent[BaseModel], done: Answer[Any]
    ) -> None:
        """With a key and a 2xx status, the answer is stored for replays: the bytes sent, or
        what a replay answers instead."""
        status = sent.status_code
        if key is None or not 200 <= status < 300:
            return
        stored = bytes(sent.body) if done.replay is None else _json_bytes(done.replay)
        await idempotency.store_answer(conn, self.principal.account_id, key, status, stored)


async def _claim(
    conn: Connection,
    account_id: str,
    key: str,
    digest: bytes,
    ttl: timedelta,
    *,
    lease: timedelta | None,
) -> None:
    """Claim the key; `Replayed` when this request was answered before."""
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
        raise Replayed(*claimed.answer)
