"""The JSON parts of an evidence pack, shaped from what the store holds (no IO here)."""

import itertools
from dataclasses import dataclass

from domain.evidence.pack import DOCUMENT_DIR, ArtifactEntry, ArtifactsEvidence, artifact_part
from domain.planning.changes import OrderDecisions, order_decisions, plan_changes
from domain.wire import rfc3339
from services.models.evidence import (
    AmendmentEntry,
    AttemptsEvidence,
    AuditDecision,
    BrokerEntry,
    BrokerEvidence,
    ChangedOrder,
    DeliveryEntry,
    DocumentEntry,
    EventEntry,
    NotificationEntry,
    PlanDiff,
    PlanEvent,
    ReviewsEvidence,
    SendFailureEntry,
    SnapshotView,
    SubmissionEntry,
)
from store.evidence import (
    AmendmentAttempts,
    AnswerDocument,
    DeliveryAttempts,
    ReviewSnapshot,
    SendFailure,
    StoredArtifact,
)
from store.records import (
    BrokerRecord,
    EventRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)

# the export events that say a step failed, waited or was retried
ATTEMPT_EVENTS = [
    "ATTENTION_REQUIRED",
    "RETRY_REQUESTED",
    "BROKER_SUBMISSION_FAILED",
    "WAITING_FOR_DESTINATION",
    "BROKER_CALLBACK_REFUSED",
]
BROKER_EVENT_PREFIX = "BROKER_"
COVERED = [
    "the broker submission: its status, attempts counted and last error",
    "each amendment of the submission: its status, attempts counted and last error",
    "the warehouse notification: its status, attempts counted and last error",
    "failed sends to the export's broker and warehouse as their breakers recorded them",
    "webhook deliveries of the export's events to the account's endpoints: attempts, last "
    "error and status code",
    "the export events of failures, waits and retries (" + ", ".join(ATTEMPT_EVENTS) + ")",
]
NOT_COVERED = [
    "one row per activity attempt: Temporal's workflow history holds each attempt (for its "
    "retention period), the store counts attempts of sends only",
    "attempts of the planning, customs package and ledger steps, which leave no row when retried",
    "failed sends older than the newest few a destination keeps",
    "attempts of the console's sign-in and of API requests refused before reaching an export",
]


@dataclass(frozen=True)
class ArtifactFile:
    """An artifact's part in the pack and its bytes."""

    part: str
    content_type: str
    content: bytes


def event_entry(event: EventRecord) -> EventEntry:
    """An export event for a part."""
    return EventEntry(
        seq=event.seq,
        type=event.type,
        occurred_at=event.occurred_at,
        actor=event.actor,
        data=event.data,
    )


def artifacts_part(
    export: ExportRecord, packages: list[PackageRecord], stored: list[StoredArtifact]
) -> tuple[ArtifactsEvidence, list[ArtifactFile]]:
    """`artifacts.json` and the artifacts' parts: the current package's (the plan's, else the
    newest) as `artifacts/<type>`, earlier packages' under their package number."""
    current = next((p for p in packages if p.plan_hash == export.plan_hash), None)
    current = current or (packages[-1] if packages else None)
    by_id = {p.id: p for p in packages}
    entries, files = [], []
    for artifact in stored:
        package = by_id[artifact.customs_package_id]
        part = artifact_part(package.package_number, artifact.artifact_type, package is current)
        entries.append(
            ArtifactEntry(
                part=part,
                artifact_id=artifact.id,
                artifact_type=artifact.artifact_type,
                filename=artifact.filename,
                content_type=artifact.content_type,
                size_bytes=artifact.size_bytes,
                sha256=artifact.sha256,
                generated_at=rfc3339(artifact.generated_at),
                package_id=package.id,
                package_number=package.package_number,
                plan_hash=package.plan_hash,
            )
        )
        files.append(ArtifactFile(part, artifact.content_type, artifact.content))
    return ArtifactsEvidence(export_id=export.id, artifacts=entries), files


def _diffs(snapshots: list[ReviewSnapshot], export: ExportRecord) -> list[PlanDiff]:
    """The differences between successive plans reviewers saw (and the current plan)."""
    plans: dict[str, OrderDecisions] = {}
    for snapshot in snapshots:
        plans.setdefault(snapshot.plan_hash, snapshot.decisions)
    plans.setdefault(export.plan_hash, order_decisions(export.plan))
    ordered = list(plans.items())
    out = []
    for (before_hash, before), (after_hash, after) in itertools.pairwise(ordered):
        changes = plan_changes(before, after)
        out.append(
            PlanDiff(
                from_plan_hash=before_hash,
                to_plan_hash=after_hash,
                orders_added=changes.orders_added,
                orders_removed=changes.orders_removed,
                changed=[
                    ChangedOrder(
                        order_id=c.order_id,
                        before=c.before,
                        after=c.after,
                        codes_added=c.codes_added,
                        codes_removed=c.codes_removed,
                    )
                    for c in changes.changed
                ],
                codes_appeared=changes.codes_appeared,
                codes_gone=changes.codes_gone,
            )
        )
    return out


def reviews_part(
    export: ExportRecord,
    decisions: list[AuditDecision],
    planning: list[EventRecord],
    snapshots: list[ReviewSnapshot],
) -> ReviewsEvidence:
    """`reviews.json`."""
    return ReviewsEvidence(
        export_id=export.id,
        approval=export.approval,
        decisions=decisions,
        plans=[
            PlanEvent(
                type=e.type,
                occurred_at=e.occurred_at,
                actor=e.actor,
                plan_hash=e.data.get("planHash"),
                previous_plan_hash=e.data.get("previousPlanHash"),
            )
            for e in planning
        ],
        snapshots=[
            SnapshotView(
                key_id=s.key_id,
                label=s.label,
                plan_hash=s.plan_hash,
                reason=s.reason,
                created_at=s.created_at,
                decisions=s.decisions,
            )
            for s in snapshots
        ],
        diffs=_diffs(snapshots, export),
    )


def submission_entry(row: SubmissionRecord | None) -> SubmissionEntry | None:
    """The submission for a part."""
    return None if row is None else SubmissionEntry.model_validate(row, from_attributes=True)


def amendment_entry(row: AmendmentAttempts) -> AmendmentEntry:
    """An amendment for a part."""
    return AmendmentEntry.model_validate(row, from_attributes=True)


def document_part(document: AnswerDocument) -> str:
    """The part an answer document's bytes go in (named by its digest: one part per content)."""
    return f"{DOCUMENT_DIR}{document.sha256}"


def broker_part(
    broker: BrokerRecord | None,
    submission: SubmissionRecord | None,
    amendments: list[AmendmentAttempts],
    export: ExportRecord,
    documents: list[AnswerDocument],
    events: list[EventRecord],
) -> BrokerEvidence:
    """`broker.json`."""
    return BrokerEvidence(
        broker=None if broker is None else BrokerEntry.model_validate(broker, from_attributes=True),
        submission=submission_entry(submission),
        amendments=[amendment_entry(a) for a in amendments],
        side=export.broker_side,
        documents=[
            DocumentEntry(
                part=document_part(d),
                request_id=d.request_id,
                sha256=d.sha256,
                filename=d.filename,
                content_type=d.content_type,
                size=d.size,
                created_at=d.created_at,
            )
            for d in documents
        ],
        events=[event_entry(e) for e in events if e.type.startswith(BROKER_EVENT_PREFIX)],
    )


def attempts_part(
    submission: SubmissionRecord | None,
    notifications: list[NotificationRecord],
    amendments: list[AmendmentAttempts],
    failures: list[SendFailure],
    deliveries: list[DeliveryAttempts],
    events: list[EventRecord],
) -> AttemptsEvidence:
    """`attempts.json`."""
    return AttemptsEvidence(
        covered=COVERED,
        not_covered=NOT_COVERED,
        submission=submission_entry(submission),
        notification=(
            NotificationEntry.model_validate(notifications[0], from_attributes=True)
            if notifications
            else None
        ),
        amendments=[amendment_entry(a) for a in amendments],
        send_failures=[SendFailureEntry.model_validate(f, from_attributes=True) for f in failures],
        webhook_deliveries=[
            DeliveryEntry.model_validate(d, from_attributes=True) for d in deliveries
        ],
        events=[event_entry(e) for e in events if e.type in ATTEMPT_EVENTS],
    )
