"""What an evidence pack reads besides the export's own rows, and the installation's signing
keys (migration 014)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.db import Connection, Queries
from store.records import EventRecord, PackageRecord


@dataclass(frozen=True)
class InstallationKey:
    """An installation key: its id (the JWK thumbprint), raw public and private keys."""

    id: str
    public_key: bytes
    private_key: bytes = field(repr=False)
    created_at: datetime


@dataclass(frozen=True)
class StoredArtifact:
    """An artifact of one of the export's packages, with its bytes."""

    id: str
    customs_package_id: str
    artifact_type: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    generated_at: datetime
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class ReviewSnapshot:
    """What a reviewer saw of a plan (review_snapshots): per order, its decision and codes."""

    key_id: str
    label: str | None
    plan_hash: str
    reason: str
    decisions: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class AnswerDocument:
    """A document attached to an answer to a broker request."""

    request_id: str
    sha256: str
    filename: str
    content_type: str
    size: int
    created_at: datetime
    content: bytes = field(repr=False)


@dataclass(frozen=True)
class AmendmentAttempts:
    """An amendment's sending: status, attempts, the last error."""

    number: int
    plan_hash: str
    customs_package_id: str
    request_id: str | None
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class SendFailure:
    """A failed send to one of the export's destinations, as the breaker recorded it."""

    destination_id: str
    at: datetime
    error_class: str
    message: str
    transient: bool


@dataclass(frozen=True)
class DeliveryAttempts:
    """A webhook delivery of one of the export's events to an endpoint of the account."""

    endpoint_id: str
    event_type: str
    seq: int
    status: str
    attempts: int
    last_error: str | None
    last_status_code: int | None
    created_at: datetime
    delivered_at: datetime | None


async def current_key(conn: Queries, purpose: str) -> InstallationKey | None:
    """The key of `purpose` that is not retired, if one was made."""
    row = await conn.fetchrow(
        """SELECT id, public_key, private_key, created_at FROM installation_keys
           WHERE purpose = $1 AND retired_at IS NULL""",
        purpose,
    )
    if row is None:
        return None
    return InstallationKey(
        id=row["id"],
        public_key=bytes(row["public_key"]),
        private_key=bytes(row["private_key"]),
        created_at=row["created_at"],
    )


async def add_key(
    conn: Connection, purpose: str, key_id: str, public_key: bytes, private_key: bytes
) -> None:
    """Keep a new current key of `purpose`, unless another process kept one first."""
    await conn.execute(
        """INSERT INTO installation_keys (id, purpose, algorithm, public_key, private_key)
           VALUES ($1, $2, 'Ed25519', $3, $4) ON CONFLICT DO NOTHING""",
        key_id,
        purpose,
        public_key,
        private_key,
    )


async def packages_of(conn: Queries, export_id: str) -> list[PackageRecord]:
    """Every customs package of the export, oldest first."""
    rows = await conn.fetch(
        "SELECT * FROM customs_packages WHERE export_id = $1 ORDER BY created_at, id", export_id
    )
    return [PackageRecord.from_row(row) for row in rows]


async def artifacts_of_packages(conn: Queries, package_ids: list[str]) -> list[StoredArtifact]:
    """The artifacts of these packages with their bytes, by package and type."""
    rows = await conn.fetch(
        """SELECT id, customs_package_id, artifact_type, filename, content_type, size_bytes,
                  sha256, generated_at, content
           FROM artifacts WHERE customs_package_id = any($1::text[])
           ORDER BY customs_package_id, artifact_type""",
        package_ids,
    )
    return [StoredArtifact(**{**dict(row), "content": bytes(row["content"])}) for row in rows]


async def events_of_types(conn: Queries, export_id: str, types: list[str]) -> list[EventRecord]:
    """The export's events of these types, in seq order."""
    rows = await conn.fetch(
        """SELECT * FROM export_events WHERE export_id = $1 AND type = any($2::text[])
           ORDER BY seq""",
        export_id,
        types,
    )
    return [EventRecord.from_row(row) for row in rows]


async def review_snapshots(conn: Queries, export_id: str) -> list[ReviewSnapshot]:
    """Every plan a reviewer saw or decided on, oldest first."""
    rows = await conn.fetch(
        """SELECT key_id, label, plan_hash, reason, decisions, created_at FROM review_snapshots
           WHERE export_id = $1 ORDER BY created_at, id""",
        export_id,
    )
    return [
        ReviewSnapshot(
            key_id=r["key_id"],
            label=r["label"],
            plan_hash=r["plan_hash"],
            reason=r["reason"],
            decisions=dict(r["decisions"]),
            created_at=r["created_at"],
        )
        for r in rows
    ]


async def answer_documents(conn: Queries, export_id: str) -> list[AnswerDocument]:
    """The documents attached to the export's answers to broker requests."""
    rows = await conn.fetch(
        """SELECT request_id, sha256, filename, content_type, size, created_at, content
           FROM broker_answer_documents WHERE export_id = $1 ORDER BY created_at, sha256""",
        export_id,
    )
    return [AnswerDocument(**{**dict(row), "content": bytes(row["content"])}) for row in rows]


async def amendment_attempts(conn: Queries, export_id: str) -> list[AmendmentAttempts]:
    """The export's amendments with their attempts and last error."""
    rows = await conn.fetch(
        """SELECT number, plan_hash, customs_package_id, request_id, status, attempts,
                  last_error, sent_at
           FROM submission_amendments WHERE export_id = $1 ORDER BY number""",
        export_id,
    )
    return [AmendmentAttempts(**dict(row)) for row in rows]


async def send_failures(
    conn: Queries, export_id: str, destination_ids: list[str]
) -> list[SendFailure]:
    """The failures of the export's sends its destinations still keep (the newest few each)."""
    rows = await conn.fetch(
        """SELECT destination_id, at, error_class, message, transient FROM destination_failures
           WHERE destination_id = any($2::text[]) AND export_id = $1 ORDER BY at, id""",
        export_id,
        destination_ids,
    )
    return [SendFailure(**dict(row)) for row in rows]


async def deliveries_of(conn: Queries, export_id: str) -> list[DeliveryAttempts]:
    """The webhook deliveries of the export's events to the account's endpoints."""
    rows = await conn.fetch(
        """SELECT endpoint_id, event_type, seq, status, attempts, last_error, last_status_code,
                  created_at, delivered_at
           FROM webhook_deliveries WHERE export_id = $1 ORDER BY seq, endpoint_id""",
        export_id,
    )
    return [DeliveryAttempts(**dict(row)) for row in rows]
