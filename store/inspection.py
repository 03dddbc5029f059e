"""What inspect reads of an export, in one statement: the projection row and, beside it, what
execution produced, the event log's tail, the broker's amendments, the destination it waits for,
who holds its review and the last change requested (CONTRACT §9.4).

Inspect is the call clients poll most; one round trip instead of one per table. The parts come
back as anonymous records (asyncpg decodes them to tuples in the order selected, with their
types), listed in the field order of the record each becomes; a `jsonb` inside a record is cast
to `json`, whose codec (store/pool.py) reads it like the column's.
"""

from dataclasses import dataclass
from datetime import datetime

from domain.destinations import DestinationState
from domain.review_work import ChangeRequest, ReviewHolder
from store.amendments import AmendmentRecord
from store.db import Queries, Row
from store.errors import NotFound
from store.records import (
    ArtifactRecord,
    EventRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)

EVENTS = 100  # the latest events inspect shows


@dataclass(frozen=True, slots=True)
class DestinationNow:
    """The breaker's state of a destination the export waits for, as it is now."""

    state: DestinationState
    since: datetime | None


@dataclass(frozen=True, slots=True)
class Inspected:
    """The export's projection row, and what inspect shows beside it."""

    export: ExportRecord
    package: PackageRecord | None
    artifacts: list[ArtifactRecord]
    submission: SubmissionRecord | None
    notifications: list[NotificationRecord]
    events: list[EventRecord]
    amendments: list[AmendmentRecord]
    destination: DestinationNow | None
    holder: ReviewHolder | None
    changes_requested: ChangeRequest | None


# The newest package (and its artifacts), the submission, the notifications, the latest events
# in seq order, the amendments, the breaker of the destination waited for (only when one is),
# the review's holder and the newest change request; each sub-select reads by an index led by
# the export's id (migration 017 for amendments and change requests). $4 names the destination
# when the caller loaded the export before (else the row's own).
_INSPECT = """
SELECT x.*,
       (p.id, p.account_id, p.export_id, p.plan_hash, p.package_number, p.state, p.created_at)
           AS part_package,
       ARRAY(SELECT (a.id, a.customs_package_id, a.artifact_type, a.filename, a.content_type,
                     a.size_bytes, a.sha256, a.generated_at)
             FROM artifacts a WHERE a.customs_package_id = p.id ORDER BY a.id) AS part_artifacts,
       (SELECT (s.id, s.export_id, s.broker_id, s.customs_package_id, s.submission_type,
                s.status, s.recipient_email, s.recipient_url, s.subject, s.message_id, s.sent_at,
                s.error_message, s.attempts, s.broker_reference, s.entry_number, s.created_at,
                s.updated_at)
        FROM broker_submissions s WHERE s.export_id = x.id) AS part_submission,
       ARRAY(SELECT (n.id, n.channel, n.recipient, n.status, n.attempts, n.last_error,
                     n.created_at, n.delivered_at)
             FROM notifications n WHERE n.export_id = x.id ORDER BY n.id) AS part_notifications,
       ARRAY(SELECT (e.id, e.seq, e.type, e.occurred_at, e.actor, e.data)
             FROM (SELECT e.id, e.seq, e.type, e.occurred_at, e.actor, e.data::json AS data
                   FROM export_events e WHERE e.export_id = x.id
                   ORDER BY e.seq DESC LIMIT $3) e
             ORDER BY e.seq) AS part_events,
       ARRAY(SELECT (m.submission_id, m.number, m.export_id, m.customs_package_id, m.plan_hash,
                     m.request_id, m.status, m.attempts, m.sent_at)
             FROM submission_amendments m
             WHERE m.export_id = x.id AND x.broker_side IS NOT NULL
             ORDER BY m.number) AS part_amendments,
       (SELECT (d.state, d.since) FROM destinations d
        WHERE d.id = coalesce($4, x.waiting_for ->> 'destination') AND d.account_id = x.account_id)
           AS part_destination,
       (SELECT (h.holder, h.holder_label, h.since, h.assigned_by, h.assigned_by_label)
        FROM review_holders h WHERE h.export_id = x.id) AS part_holder,
       (SELECT (c.requested_by, c.requested_by_label, c.plan_hash, c.reason_codes, c.comment,
                c.requested_at, c.answered_plan_hash, c.answered_at)
        FROM review_change_requests c WHERE c.export_id = x.id ORDER BY c.id DESC LIMIT 1)
           AS part_change_request
FROM exports x
LEFT JOIN LATERAL (SELECT * FROM customs_packages p WHERE p.export_id = x.id
                   ORDER BY p.created_at DESC LIMIT 1) p ON true
WHERE x.id = $1 AND x.account_id = $2
"""


async def inspected(conn: Queries, account_id: str, export_id: str) -> Inspected:
    """The export of the account and everything inspect shows of it, in one round trip."""
    row = await conn.fetchrow(_INSPECT, export_id, account_id, EVENTS, None)
    if row is None:
        raise NotFound("export")
    return _inspected(row, ExportRecord.from_row(row))


async def beside(conn: Queries, export: ExportRecord) -> Inspected:
    """What inspect shows beside an export already loaded: its row read again is not used, and
    the destination read is the one the loaded export waits for."""
    waiting = export.waiting_for
    row = await conn.fetchrow(
        _INSPECT, export.id, export.account_id, EVENTS, waiting.destination if waiting else None
    )
    if row is None:
        raise NotFound("export")
    return _inspected(row, export)


def _inspected(row: Row, export: ExportRecord) -> Inspected:
    package = row["part_package"]
    submission = row["part_submission"]
    destination = row["part_destination"]
    holder = row["part_holder"]
    change = row["part_change_request"]
    return Inspected(
        export=export,
        # a LEFT JOIN without a match makes a record of NULLs, not a NULL
        package=PackageRecord(*package) if package[0] is not None else None,
        artifacts=[ArtifactRecord(*a) for a in row["part_artifacts"]],
        submission=SubmissionRecord(*submission) if submission is not None else None,
        notifications=[NotificationRecord(*n) for n in row["part_notifications"]],
        events=[EventRecord(*e) for e in row["part_events"]],
        amendments=[AmendmentRecord(*m) for m in row["part_amendments"]],
        destination=DestinationNow(DestinationState(destination[0]), destination[1])
        if destination is not None
        else None,
        holder=ReviewHolder(
            actor=holder[0],
            label=holder[1],
            since=holder[2],
            assigned_by=holder[3],
            assigned_by_label=holder[4],
        )
        if holder is not None
        else None,
        changes_requested=ChangeRequest(
            requested_by=change[0],
            label=change[1],
            plan_hash=change[2],
            reason_codes=list(change[3]),
            comment=change[4],
            requested_at=change[5],
            answered_plan_hash=change[6],
            answered_at=change[7],
        )
        if change is not None
        else None,
    )
