"""`entrygo bootstrap`: the first start of a new installation, safe to run on every start.

1. Migrate the database (`store.migrate`, under its advisory lock).
2. Create the Temporal namespace (`settings.temporal_namespace`) when it is missing.
3. When the installation has no account yet, create one and an admin key; the key's secret is
   returned to be printed this once (only its hash is stored). Later runs create nothing.

Any number of processes may run it at once (an init container per pod): the account step holds
a transaction-scoped advisory lock, so only one of them creates the first account.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from google.protobuf.duration_pb2 import Duration
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, RegisterNamespaceRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from config.settings import Settings
from config.temporal import connect_temporal
from store.accounts import ApiKey, create_account, create_key, first_account_locked
from store.db import Connection
from store.migrate import migrate
from store.pool import create_pool

T = TypeVar("T")

DEFAULT_ACCOUNT_NAME = "default"
KEY_NAME = "bootstrap admin"
KEY_LABEL = "bootstrap admin"
KEY_ROLES = ["admin"]
DEFAULT_RETENTION = timedelta(days=7)
# the services may start while PostgreSQL and Temporal are still coming up
CONNECT_ATTEMPTS = 60
CONNECT_DELAY_SECONDS = 1.0


class BootstrapError(Exception):
    """The installation cannot be bootstrapped as configured (nothing was changed)."""


@dataclass(frozen=True)
class FirstAccount:
    """The account and admin key this run created; `secret` is shown once."""

    account_id: str
    account_name: str
    key: ApiKey
    secret: str


@dataclass(frozen=True)
class Outcome:
    """What a run did."""

    migrations: list[str] = field(default_factory=list)
    namespace: str = ""
    namespace_created: bool = False
    retention: timedelta = DEFAULT_RETENTION
    created: FirstAccount | None = None
    existing_account_id: str | None = None  # set when an account was already there


async def _retry(connect: Callable[[], Awaitable[T]], attempts: int, delay: float) -> T:
    last: Exception | None = None
    for attempt in range(attempts):
        try:
            return await connect()
        except Exception as exc:  # refused, DNS, "starting up": all mean "not yet"
            last = exc
            if attempt + 1 < attempts:
                await asyncio.sleep(delay)
    assert last is not None
    raise last


async def ensure_namespace(client: Client, namespace: str, retention: timedelta) -> bool:
    """Register `namespace` unless it exists; True when this call registered it."""
    service = client.workflow_service
    try:
        await service.describe_namespace(DescribeNamespaceRequest(namespace=namespace))
        return False
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
    period = Duration()
    period.FromTimedelta(retention)
    try:
        await service.register_namespace(
            RegisterNamespaceRequest(
                namespace=namespace,
                description="EntryGo exports",
                workflow_execution_retention_period=period,
            )
        )
    except RPCError as err:
        if err.status == RPCStatusCode.ALREADY_EXISTS:  # another bootstrap was quicker
            return False
        raise
    return True


async def ensure_first_account(
    conn: Connection, account_name: str
) -> tuple[FirstAccount | None, str]:
    """Create the first account and its admin key when there is no account; returns what was
    created (None when an account existed) and the first account's id."""
    async with conn.transaction():
        existing = await first_account_locked(conn)
        if existing is not None:
            return None, existing
        account_id = await create_account(conn, account_name)
        key, secret = await create_key(conn, account_id, KEY_NAME, KEY_ROLES, label=KEY_LABEL)
    return FirstAccount(account_id, account_name, key, secret), account_id


async def bootstrap(
    settings: Settings,
    *,
    account_name: str = DEFAULT_ACCOUNT_NAME,
    retention: timedelta = DEFAULT_RETENTION,
    attempts: int = CONNECT_ATTEMPTS,
    delay: float = CONNECT_DELAY_SECONDS,
) -> Outcome:
    """Migrate, create the namespace if missing, create the first account if there is none."""
    if not settings.database_url:
        raise BootstrapError("DATABASE_URL (or ENTRYGO_DATABASE_URL) is not set")
    if not settings.temporal_address:
        raise BootstrapError("TEMPORAL_ADDRESS (or ENTRYGO_TEMPORAL_ADDRESS) is not set")
    if not account_name.strip():
        raise BootstrapError("the account name is empty")
    url = settings.database_url

    pool = await _retry(lambda: create_pool(url, min_size=1, max_size=1), attempts, delay)
    try:
        async with pool.acquire() as conn:
            applied = await migrate(conn)
        # before the account: when Temporal is unreachable the run fails having created nothing
        # a later run would not create again
        client = await connect_temporal(settings, attempts=attempts, delay=delay)
        created_ns = await ensure_namespace(client, settings.temporal_namespace, retention)
        async with pool.acquire() as conn:
            created, first_id = await ensure_first_account(conn, account_name.strip())
    finally:
        await pool.close()
    return Outcome(
        migrations=applied,
        namespace=settings.temporal_namespace,
        namespace_created=created_ns,
        retention=retention,
        created=created,
        existing_account_id=None if created else first_id,
    )


def report(outcome: Outcome) -> list[str]:
    """The lines `entrygo bootstrap` prints (the key only when this run created it)."""
    lines = [
        f"migrations: applied {len(outcome.migrations)} ({', '.join(outcome.migrations)})"
        if outcome.migrations
        else "migrations: up to date",
        f"temporal namespace {outcome.namespace}: created (retention {outcome.retention.days} days)"
        if outcome.namespace_created
        else f"temporal namespace {outcome.namespace}: exists",
    ]
    if outcome.created is None:
        lines.append(
            f"account: the installation already has an account ({outcome.existing_account_id}); "
            "nothing created, no key shown. More keys: entrygo keys create --account "
            f"{outcome.existing_account_id} --roles admin"
        )
        return lines
    first = outcome.created
    lines += [
        f"account: created {first.account_id} ({first.account_name})",
        f"admin key {first.key.id} ({first.key.label}), shown this once, store it now:",
        f"key: {first.secret}",
    ]
    return lines


__all__ = [
    "DEFAULT_ACCOUNT_NAME",
    "DEFAULT_RETENTION",
    "BootstrapError",
    "FirstAccount",
    "Outcome",
    "bootstrap",
    "ensure_first_account",
    "ensure_namespace",
    "report",
]
