"""The read models: inspect (§9.4), customs package (§10), events (§12)."""

import asyncio
from typing import Any

import asyncpg
from temporalio.client import Client

from store import execution, exports


def artifact_view(row: asyncpg.Record) -> dict[str, Any]:
    """An artifact's metadata with its download URL."""
    return {
        "id": row["id"],
        "artifact_type": row["artifact_type"],
        "filename": row["filename"],
        "contentType": row["content_type"],
        "sizeBytes": row["size_bytes"],
        "sha256": row["sha256"],
        "generated_at": row["generated_at"],
        "downloadUrl": f"/api/artifacts/{row['id']}/content",
    }


def package_view(row: asyncpg.Record, artifacts: list[asyncpg.Record]) -> dict[str, Any]:
    """A customs package (§10)."""
    return {
        "id": row["id"],
        "exportBatchId": row["export_id"],
        "packageNumber": row["package_number"],
        "state": row["state"],
        "planHash": row["plan_hash"],
        "createdAt": row["created_at"],
        "artifacts": [artifact_view(a) for a in artifacts],
    }


def event_view(row: asyncpg.Record) -> dict[str, Any]:
    """An event (§12)."""
    return {
        "id": row["id"],
        "seq": row["seq"],
        "type": row["type"],
        "occurredAt": row["occurred_at"],
        "actor": row["actor"],
        "data": row["data"],
    }


def submission_view(row: asyncpg.Record | None) -> dict[str, Any] | None:
    """The broker submission (§9.4)."""
    if row is None:
        return None
    return {
        "id": row["id"],
        "submission_type": row["submission_type"],
        "status": row["status"],
        "recipient_email": row["recipient_email"],
        "recipientUrl": row["recipient_url"],
        "subject": row["subject"],
        "sent_at": row["sent_at"],
        "error_message": row["error_message"],
        "attempts": row["attempts"],
        "brokerReference": row["broker_reference"],
        "entryNumber": row["entry_number"],
        "updatedAt": row["updated_at"],
    }


def notification_view(row: asyncpg.Record) -> dict[str, Any]:
    """A warehouse notification (§9.4)."""
    return {
        "id": row["id"],
        "channel": row["channel"],
        "recipient": row["recipient"],
        "status": row["status"],
        "attempts": row["attempts"],
        "lastError": row["last_error"],
        "createdAt": row["created_at"],
        "deliveredAt": row["delivered_at"],
    }


def summary_view(row: asyncpg.Record) -> dict[str, Any]:
    """An export in a list."""
    return {
        "exportId": row["id"],
        "batchId": row["id"],
        "status": row["status"],
        "readinessState": row["readiness_state"],
        "planHash": row["plan_hash"],
        "warehouseId": row["warehouse_id"],
        "brokerId": row["broker_id"],
        "destinationCountry": row["destination_country"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


async def workflow_info(client: Client | None, workflow_id: str, seconds: float) -> dict[str, Any]:
    """Whether the workflow runs and what its activities are retrying (null when unreachable)."""
    info: dict[str, Any] = {"id": workflow_id, "running": None, "pendingActivities": []}
    if client is None:
        return info
    try:
        async with asyncio.timeout(seconds):
            desc = await client.get_workflow_handle(workflow_id).describe()
    except Exception:  # Temporal unreachable or slow: inspect answers from the database alone
        return info
    info["running"] = desc.status is not None and desc.status.name == "RUNNING"
    for pending in desc.raw_description.pending_activities:
        entry: dict[str, Any] = {
            "name": pending.activity_type.name,
            "attempt": pending.attempt,
            "state": _pending_state(pending.state),
        }
        if pending.HasField("last_failure"):
            entry["lastFailure"] = pending.last_failure.message
        if pending.HasField("next_attempt_schedule_time"):
            entry["nextAttemptAt"] = (
                pending.next_attempt_schedule_time.ToDatetime().isoformat() + "Z"
            )
        info["pendingActivities"].append(entry)
    return info


def _pending_state(state: int) -> str:
    return {
        1: "SCHEDULED",
        2: "STARTED",
        3: "CANCEL_REQUESTED",
        4: "PAUSED",
        5: "PAUSE_REQUESTED",
    }.get(state, "UNKNOWN")


async def inspect_view(
    conn: Any, row: asyncpg.Record, client: Client | None, seconds: float = 1.5
) -> dict[str, Any]:
    """The canonical read model of an export."""
    package = await execution.package_of_export(conn, row["id"])
    artifacts = await execution.artifacts_of(conn, package["id"]) if package else []
    submission = await execution.submission_of(conn, row["id"])
    notifications = await execution.notifications_of(conn, row["id"])
    events = await exports.latest_events(conn, row["id"])
    workflow = await workflow_info(client, row["workflow_id"], seconds)
    plan = dict(row["plan"])
    plan["status"] = row["status"]
    return {
        "exportId": row["id"],
        "batchId": row["id"],
        "accountId": row["account_id"],
        "warehouseId": row["warehouse_id"],
        "brokerId": row["broker_id"],
        "destinationCountry": row["destination_country"],
        "status": row["status"],
        "readinessState": row["readiness_state"],
        "planHash": row["plan_hash"],
        "plan": plan,
        "approval": row["approval"],
        "attention": row["attention"],
        "customs_package_id": package["id"] if package else None,
        "customsPackage": package_view(package, artifacts) if package else None,
        "artifacts": [artifact_view(a) for a in artifacts],
        "notifications": [notification_view(n) for n in notifications],
        "brokerSubmission": submission_view(submission),
        "events": [event_view(e) for e in events],
        "workflow": workflow,
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }
