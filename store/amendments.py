"""Amendments of a broker submission (numbered 1, 2, … without gaps) and the broker's terms the
broker loop reads (reports release, deadlines)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.db import Connection, Queries, Row


@dataclass(frozen=True)
class AmendmentRecord:
    """One amendment of a submission."""

    submission_id: str
    number: int
    export_id: str
    customs_package_id: str
    plan_hash: str
    request_id: str | None
    status: str
    attempts: int
    sent_at: datetime | None


def _record(row: Row) -> AmendmentRecord:
    return AmendmentRecord(
        submission_id=row["submission_id"],
        number=row["number"],
        export_id=row["export_id"],
        customs_package_id=row["customs_package_id"],
        plan_hash=row["plan_hash"],
        request_id=row["request_id"],
        status=row["status"],
        attempts=row["attempts"],
        sent_at=row["sent_at"],
    )


async def prepare_amendment(
    conn: Connection,
    *,
    submission_id: str,
    number: int,
    export_id: str,
    package_id: str,
    plan_hash: str,
    request_id: str | None,
) -> AmendmentRecord:
    """Create amendment `number` once (a retried step finds the one it made); a number that
    skips one is refused, so the numbers stay gapless."""
    previous = await conn.fetchval(
        "SELECT coalesce(max(number), 0) FROM submission_amendments WHERE submission_id = $1",
        submission_id,
    )
    if number > previous + 1:
        raise ValueError(f"amendment {number} would skip {previous + 1}")
    await conn.execute(
        """INSERT INTO submission_amendments (submission_id, number, export_id,
                                              customs_package_id, plan_hash, request_id)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (submission_id, number) DO NOTHING""",
        submission_id,
        number,
        export_id,
        package_id,
        plan_hash,
        request_id,
    )
    row = await conn.fetchrow(
        "SELECT * FROM submission_amendments WHERE submission_id = $1 AND number = $2",
        submission_id,
        number,
    )
    assert row is not None
    return _record(row)


async def count_amendment_attempt(conn: Connection, submission_id: str, number: int) -> None:
    """One more delivery attempt of the amendment."""
    await conn.execute(
        """UPDATE submission_amendments SET attempts = attempts + 1
           WHERE submission_id = $1 AND number = $2""",
        submission_id,
        number,
    )


async def mark_amendment_sent(
    conn: Connection, submission_id: str, number: int, error: str | None = None
) -> AmendmentRecord:
    """The amendment went out (or, with `error`, failed for good)."""
    row = await conn.fetchrow(
        """UPDATE submission_amendments SET
               status = CASE WHEN $3::text IS NULL THEN 'SENT' ELSE 'FAILED' END,
               sent_at = CASE WHEN $3::text IS NULL THEN coalesce(sent_at, now()) ELSE sent_at END,
               last_error = $3
           WHERE submission_id = $1 AND number = $2 RETURNING *""",
        submission_id,
        number,
        error,
    )
    assert row is not None
    return _record(row)


async def amendments_of(conn: Queries, export_id: str) -> list[AmendmentRecord]:
    """The export's amendments, in number order."""
    rows = await conn.fetch(
        "SELECT * FROM submission_amendments WHERE export_id = $1 ORDER BY number", export_id
    )
    return [_record(r) for r in rows]


async def broker_terms(conn: Queries, broker_id: str) -> tuple[bool, dict[str, Any] | None]:
    """Whether the broker reports release, and its `sla` as set (None: the defaults)."""
    row = await conn.fetchrow("SELECT reports_release, sla FROM brokers WHERE id = $1", broker_id)
    assert row is not None
    return bool(row["reports_release"]), row["sla"]


async def save_answer_document(
    conn: Connection,
    *,
    export_id: str,
    request_id: str,
    sha256: str,
    filename: str,
    content_type: str,
    content: bytes,
) -> None:
    """Keep a document attached to an answer (the same document twice is kept once)."""
    await conn.execute(
        """INSERT INTO broker_answer_documents (export_id, request_id, sha256, filename,
                                                content_type, size, content)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
        export_id,
        request_id,
        sha256,
        filename,
        content_type,
        len(content),
        content,
    )
