"""Broker submissions (one per export) and warehouse notifications (one per export)."""

from typing import Any

from store.db import Connection, Queries
from store.ids import new_id
from store.records import (
    BrokerRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
    WarehouseRecord,
)


async def prepare_submission(
    conn: Connection, export: ExportRecord, broker: BrokerRecord, package: PackageRecord
) -> SubmissionRecord:
    """Create the export's submission once; later calls return the existing one."""
    transport = broker.transport_type
    await conn.execute(
        """INSERT INTO broker_submissions (id, account_id, export_id, broker_id, customs_package_id,
                                           submission_type, status, recipient_email, recipient_url,
                                           subject)
           VALUES ($1, $2, $3, $4, $5, $6, 'PREPARED', $7, $8, $9)
           ON CONFLICT (export_id) DO NOTHING""",
        new_id("bsub"),
        export.account_id,
        export.id,
        broker.id,
        package.id,
        transport,
        broker.recipient_email if transport == "email" else None,
        broker.webhook_url if transport == "webhook" else None,
        f"Customs entry package {package.package_number} (export {export.id})",
    )
    row = await conn.fetchrow("SELECT * FROM broker_submissions WHERE export_id = $1", export.id)
    assert row is not None
    return SubmissionRecord.from_row(row)


async def count_submission_attempt(conn: Connection, submission_id: str) -> int:
    """Count one delivery attempt of a broker submission; returns the new count."""
    value: int = await conn.fetchval(
        "UPDATE broker_submissions SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        submission_id,
    )
    return value


async def count_notification_attempt(conn: Connection, notification_id: str) -> int:
    """Count one delivery attempt of a warehouse notification; returns the new count."""
    value: int = await conn.fetchval(
        "UPDATE notifications SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        notification_id,
    )
    return value


async def record_submission_error(
    conn: Connection, submission_id: str, message: str, *, final: bool
) -> None:
    """Remember the last failure (FAILED when it will not be retried)."""
    await conn.execute(
        """UPDATE broker_submissions SET error_message = $2, updated_at = now(),
               status = CASE WHEN $3 THEN 'FAILED' ELSE status END
           WHERE id = $1""",
        submission_id,
        message,
        final,
    )


async def mark_sent(
    conn: Connection, submission_id: str, message_id: str | None, reference: str | None
) -> SubmissionRecord:
    """The submission went out."""
    row = await conn.fetchrow(
        """UPDATE broker_submissions SET
               status = CASE WHEN status IN ('PREPARED', 'FAILED') THEN 'SENT' ELSE status END,
               sent_at = coalesce(sent_at, now()), message_id = coalesce($2, message_id),
               broker_reference = coalesce(broker_reference, $3), error_message = NULL,
               updated_at = now()
           WHERE id = $1 RETURNING *""",
        submission_id,
        message_id,
        reference,
    )
    assert row is not None
    return SubmissionRecord.from_row(row)


async def ensure_notification(
    conn: Connection, export: ExportRecord, warehouse: WarehouseRecord
) -> NotificationRecord:
    """Create the export's warehouse notification once."""
    url = warehouse.notification_url
    await conn.execute(
        """INSERT INTO notifications (id, account_id, export_id, channel, recipient, status)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (export_id) DO NOTHING""",
        new_id("ntf"),
        export.account_id,
        export.id,
        "webhook" if url else "record",
        url,
        "PENDING" if url else "RECORDED",
    )
    row = await conn.fetchrow("SELECT * FROM notifications WHERE export_id = $1", export.id)
    assert row is not None
    return NotificationRecord.from_row(row)


async def readdress_notification(
    conn: Connection, notification_id: str, warehouse: WarehouseRecord
) -> NotificationRecord:
    """Point an undelivered notification at the warehouse's current URL (none: RECORDED)."""
    url = warehouse.notification_url
    row = await conn.fetchrow(
        """UPDATE notifications SET recipient = $2,
               channel = CASE WHEN $2::text IS NULL THEN 'record' ELSE 'webhook' END,
               status = CASE WHEN $2::text IS NULL THEN 'RECORDED' ELSE 'PENDING' END
           WHERE id = $1 RETURNING *""",
        notification_id,
        url,
    )
    assert row is not None
    return NotificationRecord.from_row(row)


async def readdress_submission(
    conn: Connection, submission_id: str, broker: BrokerRecord
) -> SubmissionRecord:
    """Point an unsent submission at the broker's current transport and address."""
    transport = broker.transport_type
    row = await conn.fetchrow(
        """UPDATE broker_submissions SET submission_type = $2, recipient_email = $3,
               recipient_url = $4, updated_at = now()
           WHERE id = $1 RETURNING *""",
        submission_id,
        transport,
        broker.recipient_email if transport == "email" else None,
        broker.webhook_url if transport == "webhook" else None,
    )
    assert row is not None
    return SubmissionRecord.from_row(row)


async def record_notification(
    conn: Connection,
    notification_id: str,
    *,
    delivered: bool,
    error: str | None,
    final: bool = False,
) -> None:
    """Outcome of one delivery attempt."""
    await conn.execute(
        """UPDATE notifications SET
               status = CASE WHEN $2 THEN 'DELIVERED' WHEN $4 THEN 'FAILED' ELSE status END,
               delivered_at = CASE WHEN $2 THEN now() ELSE delivered_at END,
               last_error = $3
           WHERE id = $1""",
        notification_id,
        delivered,
        error,
        final,
    )


async def fail_prepared_submission(conn: Connection, export_id: str, at: Any) -> None:
    """The send step failed for good: the prepared submission shows it."""
    await conn.execute(
        """UPDATE broker_submissions SET status = 'FAILED', updated_at = $2
           WHERE export_id = $1 AND status = 'PREPARED'""",
        export_id,
        at,
    )


async def record_outcome(
    conn: Connection,
    export_id: str,
    *,
    status: str,
    entry_number: str | None,
    broker_reference: str | None,
    reason: str | None,
    at: Any,
) -> None:
    """The broker's answer on the submission; an accepted or rejected one stays so."""
    await conn.execute(
        """UPDATE broker_submissions SET
               status = CASE WHEN status IN ('ACCEPTED', 'REJECTED') THEN status ELSE $2 END,
               entry_number = coalesce($3, entry_number),
               broker_reference = coalesce($4, broker_reference),
               error_message = coalesce($5, error_message),
               updated_at = $6
           WHERE export_id = $1""",
        export_id,
        status,
        entry_number,
        broker_reference,
        reason,
        at,
    )


async def submission_of_broker(conn: Queries, submission_id: str, broker_id: str) -> str | None:
    """The export of a submission made to this broker (None: no such submission)."""
    export_id: str | None = await conn.fetchval(
        "SELECT export_id FROM broker_submissions WHERE id = $1 AND broker_id = $2",
        submission_id,
        broker_id,
    )
    return export_id
