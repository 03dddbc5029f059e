"""The read models of an export in the contract's shape: inspect (§9.4), package (§10), events
(§12), the list summary; built from the store's records, answered as they are by the routes.

The records hold what our own code wrote, already typed by the store (rows of typed columns,
the JSON documents validated into their models there), so the views are built without
validating them again (`model_construct`): inspect, the call clients poll most, builds one
event view per event of the log's tail on every call."""

from domain.approval import Approval, Attention
from domain.destinations import WaitingFor
from domain.planning.document import PlanDocument
from domain.review_work import ChangeRequest, ReviewHolder
from domain.status import ExportStatus
from services.models.broker import BrokerView
from services.models.exports import (
    ArtifactOut,
    BrokerSubmission,
    CustomsPackageOut,
    Event,
    ExportSummary,
    ExportView,
    JsonObject,
    Notification,
    Plan,
    WorkflowInfo,
)
from store.records import (
    ArtifactRecord,
    EventRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)


def artifact_view(row: ArtifactRecord) -> ArtifactOut:
    """An artifact's metadata with its download URL."""
    return ArtifactOut.model_construct(
        id=row.id,
        artifact_type=row.artifact_type,
        filename=row.filename,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        sha256=row.sha256,
        generated_at=row.generated_at,
        download_url=f"/api/artifacts/{row.id}/content",
    )


def package_view(row: PackageRecord, artifacts: list[ArtifactRecord]) -> CustomsPackageOut:
    """A customs package (§10)."""
    return _package(row, [artifact_view(a) for a in artifacts])


def _package(row: PackageRecord, artifacts: list[ArtifactOut]) -> CustomsPackageOut:
    return CustomsPackageOut.model_construct(
        id=row.id,
        export_batch_id=row.export_id,
        package_number=row.package_number,
        state=row.state,
        plan_hash=row.plan_hash,
        created_at=row.created_at,
        artifacts=artifacts,
    )


def event_view(row: EventRecord) -> Event:
    """An event (§12)."""
    return Event.model_construct(
        id=row.id,
        seq=row.seq,
        type=row.type,
        occurred_at=row.occurred_at,
        actor=row.actor,
        data=row.data,
    )


def submission_view(row: SubmissionRecord | None) -> BrokerSubmission | None:
    """The broker submission (§9.4)."""
    if row is None:
        return None
    return BrokerSubmission.model_construct(
        id=row.id,
        submission_type=row.submission_type,
        status=row.status,
        recipient_email=row.recipient_email,
        recipient_url=row.recipient_url,
        subject=row.subject,
        sent_at=row.sent_at,
        error_message=row.error_message,
        attempts=row.attempts,
        broker_reference=row.broker_reference,
        entry_number=row.entry_number,
        updated_at=row.updated_at,
    )


def notification_view(row: NotificationRecord) -> Notification:
    """A warehouse notification (§9.4)."""
    return Notification.model_construct(
        id=row.id,
        channel=row.channel,
        recipient=row.recipient,
        status=row.status,
        attempts=row.attempts,
        last_error=row.last_error,
        created_at=row.created_at,
        delivered_at=row.delivered_at,
    )


def summary_view(row: ExportRecord) -> ExportSummary:
    """An export in a list."""
    return ExportSummary(
        export_id=row.id,
        batch_id=row.id,
        status=row.status,
        readiness_state=row.readiness_state,
        plan_hash=row.plan_hash,
        warehouse_id=row.warehouse_id,
        broker_id=row.broker_id,
        destination_country=row.destination_country,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def plan_view(row: ExportRecord) -> Plan:
    """The stored plan with the export's current status."""
    return as_plan(row.plan, status=row.status)


def as_plan(document: PlanDocument, *, status: ExportStatus | None = None) -> Plan:
    """The plan document as the routes answer it; with `status`, the export's current one."""
    fields = dict(document)
    if status is not None:
        fields["status"] = status
    return Plan.model_construct(document.model_fields_set, **fields)


def approval_document(approval: Approval) -> JsonObject:
    """The approval as the projection stores it; one without a review policy and without a
    decision (before the review policy existed) is the state alone, as it was stored then."""
    if approval.approvals_required is None and approval.reviewer is None:
        return {"state": approval.state.value}
    return approval.model_dump(mode="json")


def attention_document(attention: Attention | None) -> JsonObject | None:
    """Why the export needs a person, as the projection stores it."""
    return attention.model_dump(mode="json") if attention else None


def export_view(
    row: ExportRecord,
    *,
    package: PackageRecord | None,
    artifacts: list[ArtifactRecord],
    submission: SubmissionRecord | None,
    notifications: list[NotificationRecord],
    events: list[EventRecord],
    workflow: WorkflowInfo,
    approval: JsonObject | None = None,
    attention: JsonObject | None = None,
    live: bool = False,
    broker: BrokerView | None = None,
    waiting_for: WaitingFor | None = None,
    holder: ReviewHolder | None = None,
    changes_requested: ChangeRequest | None = None,
) -> ExportView:
    """Inspect: the projection and what execution produced, with the live part (approval,
    attention) from the workflow's `state` query when it answered (`live`)."""
    artifact_views = [artifact_view(a) for a in artifacts]
    return ExportView.model_construct(
        export_id=row.id,
        batch_id=row.id,
        account_id=row.account_id,
        warehouse_id=row.warehouse_id,
        broker_id=row.broker_id,
        destination_country=row.destination_country,
        status=row.status,
        readiness_state=row.readiness_state,
        plan_hash=row.plan_hash,
        plan=plan_view(row),
        approval=approval if live and approval is not None else approval_document(row.approval),
        attention=attention if live else attention_document(row.attention),
        customs_package_id=package.id if package else None,
        customs_package=_package(package, artifact_views) if package else None,
        artifacts=artifact_views,
        notifications=[notification_view(n) for n in notifications],
        broker_submission=submission_view(submission),
        events=[event_view(e) for e in events],
        workflow=workflow,
        created_at=row.created_at,
        updated_at=row.updated_at,
        broker=broker,
        waiting_for=waiting_for or row.waiting_for,
        holder=holder,
        changes_requested=changes_requested,
    )
