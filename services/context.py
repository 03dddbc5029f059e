"""What every use case is given: one `Context` (the process's resources, who asks under which
key, and the unit of work's connection when it holds one)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from config.settings import Settings
from services.event_signals import EventSignals
from services.temporal import TemporalGate
from store.accounts import Principal
from store.db import Connection, Pool


@dataclass(frozen=True)
class Runtime:
    """The process's resources: the database pool, the Temporal gate, the settings, and (in the
    API process) the signals of committed events its streams wait on."""

    pool: Pool
    temporal: TemporalGate
    settings: Settings
    signals: EventSignals | None = None


@dataclass(frozen=True)
class Intent:
    """One request to change something: the caller, and its idempotency key with the digest of
    the request, from which workflow and update ids are derived (same key and request, same
    id: Temporal then does the work once)."""

    principal: Principal
    key: str | None = None
    digest: bytes = b""

    @property
    def account_id(self) -> str:
        return self.principal.account_id

    @property
    def actor(self) -> str:
        return self.principal.key_id

    @property
    def label(self) -> str | None:
        """Who the key stands for (a person's or a system's name)."""
        return self.principal.label

    def message_id(self, kind: str) -> str | None:
        """A Temporal update id for this request: same key and request → same id."""
        if self.key is None:
            return None
        return f"{kind}-{self.key}-{self.digest.hex()[:16]}"


@dataclass(frozen=True)
class Context:
    """The first argument of every use case: `async def create_broker(ctx, cmd) -> Broker`.

    `conn` is the unit of work's open transaction when the caller holds one (a write whose rows
    and stored answer commit together); without it, a use case borrows pooled connections.
    """

    runtime: Runtime
    intent: Intent
    conn: Connection | None = None

    @property
    def account_id(self) -> str:
        return self.intent.account_id

    @property
    def actor(self) -> str:
        return self.intent.actor

    @property
    def label(self) -> str | None:
        return self.intent.label

    @property
    def principal(self) -> Principal:
        return self.intent.principal

    @property
    def pool(self) -> Pool:
        return self.runtime.pool

    @property
    def settings(self) -> Settings:
        return self.runtime.settings

    @property
    def temporal(self) -> TemporalGate:
        return self.runtime.temporal

    def message_id(self, kind: str) -> str | None:
        return self.intent.message_id(kind)

    def holding(self, conn: Connection) -> "Context":
        """The same call on an open transaction."""
        return replace(self, conn=conn)

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        """The held transaction's connection, or a pooled one for the block."""
        if self.conn is not None:
            yield self.conn
            return
        async with self.runtime.pool.acquire() as conn:
            yield conn

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """The held transaction, or a pooled connection in a transaction of its own."""
        if self.conn is not None:
            yield self.conn
            return
        async with self.runtime.pool.acquire() as conn, conn.transaction():
            yield conn
