"""The review console's rows: its signing secret, sessions, review snapshots and the two queues."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.approval import PERSON_ACTOR_PREFIX
from store.db import Connection, Queries
from store.records import ExportRecord

SECRET_BYTES = 32


@dataclass(frozen=True)
class SessionRow:
    """A live console session with the key it stands for (revoked keys end their sessions), or
    with the person of the identity provider (`subject`; `key_id` and `key_name` are None)."""

    account_id: str
    account_name: str
    key_id: str | None
    key_name: str | None
    label: str | None
    roles: frozenset[str]
    csrf_token: str
    expires_at: datetime
    subject: str | None = None
    person_name: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class PersonSession:
    """What a person's new session holds: who, the console roles their groups map to
    (reviewer, lead, admin), and the provider's ID token (the hint of its sign-out)."""

    account_id: str
    subject: str
    name: str | None
    email: str | None
    roles: list[str]
    id_token: str


@dataclass(frozen=True)
class SnapshotRow:
    """What a reviewer saw of a plan: per order, its decision and reason codes."""

    key_id: str
    label: str | None
    plan_hash: str
    reason: str
    decisions: dict[str, Any]
    created_at: datetime


async def signing_secret(conn: Connection) -> bytes:
    """The console's signing secret, made once for every API process that shares the database."""
    await conn.execute(
        "INSERT INTO console_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        secrets.token_bytes(SECRET_BYTES),
    )
    return bytes(await conn.fetchval("SELECT secret FROM console_secret WHERE id = 1"))


async def create_session(
    conn: Connection,
    token_hash: bytes,
    account_id: str,
    key_id: str,
    csrf_token: str,
    lifetime_seconds: float,
) -> datetime:
    """Store a new session; returns when it expires (the database's clock)."""
    expires: datetime = await conn.fetchval(
        """INSERT INTO console_sessions (token_hash, account_id, key_id, csrf_token, expires_at)
           VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))
           RETURNING expires_at""",
        token_hash,
        account_id,
        key_id,
        csrf_token,
        float(lifetime_seconds),
    )
    return expires


async def create_person_session(
    conn: Connection,
    token_hash: bytes,
    person: PersonSession,
    csrf_token: str,
    lifetime_seconds: float,
) -> datetime:
    """Store a new session of a person; returns when it expires (the database's clock)."""
    expires: datetime = await conn.fetchval(
        """INSERT INTO console_sessions (token_hash, account_id, subject, person_name, email,
                                         roles, id_token, csrf_token, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9))
           RETURNING expires_at""",
        token_hash,
        person.account_id,
        person.subject,
        person.name,
        person.email,
        sorted(set(person.roles)),
        person.id_token,
        csrf_token,
        float(lifetime_seconds),
    )
    return expires


async def live_session(conn: Queries, token_hash: bytes) -> SessionRow | None:
    """The session when it exists, has not ended or expired, and its key (if it stands for one)
    is not revoked."""
    row = await conn.fetchrow(
        """SELECT s.account_id, a.name AS account_name, s.key_id, k.name AS key_name,
                  coalesce(k.roles, s.roles) AS roles, s.csrf_token, s.expires_at, k.label,
                  s.subject, s.person_name, s.email
           FROM console_sessions s
           LEFT JOIN api_keys k ON k.id = s.key_id
           JOIN accounts a ON a.id = s.account_id
           WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > now()
             AND (s.key_id IS NULL OR k.revoked_at IS NULL)""",
        token_hash,
    )
    if row is None:
        return None
    return SessionRow(
        account_id=row["account_id"],
        account_name=row["account_name"],
        key_id=row["key_id"],
        key_name=row["key_name"],
        label=row["label"] or row["key_name"],
        roles=frozenset(row["roles"]),
        csrf_token=row["csrf_token"],
        expires_at=row["expires_at"],
        subject=row["subject"],
        person_name=row["person_name"],
        email=row["email"],
    )


async def end_session(conn: Connection, token_hash: bytes) -> str | None:
    """End a session (ending it again changes nothing); returns a person's ID token."""
    id_token: str | None = await conn.fetchval(
        """UPDATE console_sessions SET ended_at = now()
           WHERE token_hash = $1 AND ended_at IS NULL RETURNING id_token""",
        token_hash,
    )
    return id_token


async def purge_sessions(conn: Connection) -> int:
    """Delete sessions that ended or expired more than a day ago."""
    done = await conn.execute(
        """DELETE FROM console_sessions
           WHERE coalesce(ended_at, expires_at) < now() - interval '1 day'"""
    )
    return int(done.split()[-1])


async def add_snapshot(
    conn: Connection,
    export_id: str,
    key_id: str,
    label: str | None,
    plan_hash: str,
    reason: str,
    decisions: dict[str, Any],
) -> None:
    """Record what a reviewer saw of the plan (skipped when the last one of the key is the same
    plan for the same reason)."""
    await conn.execute(
        """INSERT INTO review_snapshots (export_id, key_id, label, plan_hash, reason, decisions)
           SELECT $1, $2, $3, $4, $5, $6
           WHERE NOT EXISTS (
               SELECT 1 FROM review_snapshots
               WHERE export_id = $1 AND key_id = $2 AND plan_hash = $4 AND reason = $5)""",
        export_id,
        key_id,
        label,
        plan_hash,
        reason,
        decisions,
    )


async def last_snapshot_of_other_plan(
    conn: Queries, export_id: str, plan_hash: str
) -> SnapshotRow | None:
    """The newest snapshot of a plan other than `plan_hash`: the last review before a re-plan."""
    row = await conn.fetchrow(
        """SELECT key_id, label, plan_hash, reason, decisions, created_at
           FROM review_snapshots WHERE export_id = $1 AND plan_hash <> $2
           ORDER BY created_at DESC, id DESC LIMIT 1""",
        export_id,
        plan_hash,
    )
    if row is None:
        return None
    return SnapshotRow(
        key_id=row["key_id"],
        label=row["label"],
        plan_hash=row["plan_hash"],
        reason=row["reason"],
        decisions=dict(row["decisions"]),
        created_at=row["created_at"],
    )


async def exports_in(
    conn: Queries,
    account_id: str,
    statuses: list[str],
    *,
    readiness: str | None,
    warehouse_id: str | None,
    broker_id: str | None,
    limit: int,
) -> list[ExportRecord]:
    """Exports of the account in the given statuses, the one waiting longest first."""
    rows = await conn.fetch(
        """SELECT * FROM exports
           WHERE account_id = $1 AND status = any($2::text[])
             AND ($3::text IS NULL OR readiness_state = $3)
             AND ($4::text IS NULL OR warehouse_id = $4)
             AND ($5::text IS NULL OR broker_id = $5)
           ORDER BY created_at, id LIMIT $6""",
        account_id,
        statuses,
        readiness,
        warehouse_id,
        broker_id,
        limit,
    )
    return [ExportRecord.from_row(r) for r in rows]


async def last_rejected_sharing_orders(
    conn: Queries, account_id: str, export_id: str, order_ids: list[str]
) -> ExportRecord | None:
    """The newest rejected export of the account, other than `export_id`, that requested any of
    `order_ids`: the plan a resubmission follows."""
    row = await conn.fetchrow(
        """SELECT * FROM exports
           WHERE account_id = $1 AND id <> $2 AND status = 'REJECTED' AND order_ids && $3::text[]
           ORDER BY updated_at DESC, id DESC LIMIT 1""",
        account_id,
        export_id,
        order_ids,
    )
    return ExportRecord.from_row(row) if row is not None else None


@dataclass(frozen=True)
class AccountNames:
    """What people call the account's warehouses, brokers and keys (and people), by id."""

    warehouses: dict[str, str]
    brokers: dict[str, str]
    keys: dict[str, str]


async def account_names(conn: Connection, account_id: str) -> AccountNames:
    """The names of the account's warehouses and brokers, its keys' labels (else names) and
    the labels of the people who signed in (by their actor, `oidc:<subject>`)."""
    warehouses = await conn.fetch(
        "SELECT id, name FROM warehouses WHERE account_id = $1", account_id
    )
    brokers = await conn.fetch("SELECT id, name FROM brokers WHERE account_id = $1", account_id)
    keys = await conn.fetch(
        """SELECT id, coalesce(label, name) AS name FROM api_keys WHERE account_id = $1
           UNION ALL
           SELECT $2 || subject, label FROM console_people WHERE account_id = $1""",
        account_id,
        PERSON_ACTOR_PREFIX,
    )
    return AccountNames(
        warehouses={r["id"]: r["name"] for r in warehouses},
        brokers={r["id"]: r["name"] for r in brokers},
        keys={r["id"]: r["name"] for r in keys},
    )
