"""The read models of an export in the contract's shape: inspect (§9.4), package (§10), events
(§12), the list summary."""

from typing import Any

from store.records import (
    ArtifactRecord,
    EventRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)


def artifact_view(row: ArtifactRecord) -> dict[str, Any]:
    """An artifact's metadata with its download URL."""
    return {
        "id": row.id,
        "artifact_type": row.artifact_type,
        "filename": row.filename,
        "contentType": row.content_type,
        "sizeBytes": row.size_bytes,
        "sha256": row.sha256,
        "generated_at": row.generated_at,
        "downloadUrl": f"/api/artifacts/{row.id}/content",
    }


def package_view(row: PackageRecord, artifacts: list[ArtifactRecord]) -> dict[str, Any]:
    """A customs package (§10)."""
    return {
        "id": row.id,
        "exportBatchId": row.export_id,
        "packageNumber": row.package_number,
        "state": row.state,
        "planHash": row.plan_hash,
        "createdAt": row.created_at,
        "artifacts": [artifact_view(a) for a in artifacts],
    }


def event_view(row: EventRecord) -> dict[str, Any]:
    """An event (§12)."""
    return {
        "id": row.id,
        "seq": row.seq,
        "type": row.type,
        "occurredAt": row.occurred_at,
        "actor": row.actor,
        "data": row.data,
    }


def submission_view(row: SubmissionRecord | None) -> dict[str, Any] | None:
    """The broker submission (§9.4)."""
    if row is None:
        return None
    return {
        "id": row.id,
        "submission_type": row.submission_type,
        "status": row.status,
        "recipient_email": row.recipient_email,
        "recipientUrl": row.recipient_url,
        "subject": row.subject,
        "sent_at": row.sent_at,
        "error_message": row.error_message,
        "attempts": row.attempts,
        "brokerReference": row.broker_reference,
        "entryNumber": row.entry_number,
        "updatedAt": row.updated_at,
    }


def notification_view(row: NotificationRecord) -> dict[str, Any]:
    """A warehouse notification (§9.4)."""
    return {
        "id": row.id,
        "channel": row.channel,
        "recipient": row.recipient,
        "status": row.status,
        "attempts": row.attempts,
        "lastError": row.last_error,
        "createdAt": row.created_at,
        "deliveredAt": row.delivered_at,
    }


def summary_view(row: ExportRecord) -> dict[str, Any]:
    """An export in a list."""
    return {
        "exportId": row.id,
        "batchId": row.id,
        "status": row.status,
        "readinessState": row.readiness_state,
        "planHash": row.plan_hash,
        "warehouseId": row.warehouse_id,
        "brokerId": row.broker_id,
        "destinationCountry": row.destination_country,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }


def plan_view(row: ExportRecord) -> dict[str, Any]:
    """The stored plan with the export's current status."""
    return {**row.plan, "status": row.status}


def export_view(
    row: ExportRecord,
    *,
    package: PackageRecord | None,
    artifacts: list[ArtifactRecord],
    submission: SubmissionRecord | None,
    notifications: list[NotificationRecord],
    events: list[EventRecord],
    workflow: dict[str, Any],
    live: dict[str, Any] | None,
) -> dict[str, Any]:
    """Inspect: the projection and what execution produced, with the live part (approval,
    attention) from the workflow's `state` query when it answered."""
    return {
        "exportId": row.id,
        "batchId": row.id,
        "accountId": row.account_id,
        "warehouseId": row.warehouse_id,
        "brokerId": row.broker_id,
        "destinationCountry": row.destination_country,
        "status": row.status,
        "readinessState": row.readiness_state,
        "planHash": row.plan_hash,
        "plan": plan_view(row),
        "approval": live["approval"] if live else row.approval,
        "attention": live["attention"] if live else row.attention,
        "customs_package_id": package.id if package else None,
        "customsPackage": package_view(package, artifacts) if package else None,
        "artifacts": [artifact_view(a) for a in artifacts],
        "notifications": [notification_view(n) for n in notifications],
        "brokerSubmission": submission_view(submission),
        "events": [event_view(e) for e in events],
        "workflow": workflow,
        "createdAt": row.created_at,
        "updatedAt": row.updated_at,
    }
