"""Reads of what execution produced: package, artifacts, submission, notification."""

from typing import Any

from store.db import Queries
from store.errors import NotFound
from store.records import (
    ArtifactContent,
    ArtifactRecord,
    ExportRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
)


async def package_of_export(conn: Queries, export_id: str) -> PackageRecord | None:
    """The export's newest customs package, if any."""
    row = await conn.fetchrow(
        "SELECT * FROM customs_packages WHERE export_id = $1 ORDER BY created_at DESC LIMIT 1",
        export_id,
    )
    return PackageRecord.from_row(row) if row is not None else None


async def get_package(conn: Queries, account_id: str, package_id: str) -> PackageRecord:
    """A package of the account."""
    row = await conn.fetchrow(
        "SELECT * FROM customs_packages WHERE id = $1 AND account_id = $2", package_id, account_id
    )
    if row is None:
        raise NotFound("customsPackage")
    return PackageRecord.from_row(row)


async def artifacts_of(conn: Queries, package_id: str) -> list[ArtifactRecord]:
    """Artifact metadata (not content) of a package, in generation order."""
    rows = await conn.fetch(
        """SELECT id, customs_package_id, artifact_type, filename, content_type, size_bytes,
                  sha256, generated_at
           FROM artifacts WHERE customs_package_id = $1 ORDER BY id""",
        package_id,
    )
    return [ArtifactRecord.from_row(row) for row in rows]


async def get_artifact(conn: Queries, account_id: str, artifact_id: str) -> ArtifactContent:
    """An artifact with its content."""
    row = await conn.fetchrow(
        """SELECT id, filename, content_type, sha256, content FROM artifacts
           WHERE id = $1 AND account_id = $2""",
        artifact_id,
        account_id,
    )
    if row is None:
        raise NotFound("artifact")
    return ArtifactContent.from_row(row)


async def submission_of(conn: Queries, export_id: str) -> SubmissionRecord | None:
    """The export's broker submission."""
    row = await conn.fetchrow("SELECT * FROM broker_submissions WHERE export_id = $1", export_id)
    return SubmissionRecord.from_row(row) if row is not None else None


async def notifications_of(conn: Queries, export_id: str) -> list[NotificationRecord]:
    """The export's warehouse notifications."""
    rows = await conn.fetch(
        "SELECT * FROM notifications WHERE export_id = $1 ORDER BY id", export_id
    )
    return [NotificationRecord.from_row(row) for row in rows]


async def order_summaries(conn: Queries, export: ExportRecord) -> list[dict[str, Any]]:
    """The export's included orders as a broker sees them: ids, entry type, the account's
    metadata (in the plan's order)."""
    included = list(export.plan.included_order_ids)
    rows = await conn.fetch(
        "SELECT id, external_id, metadata FROM orders WHERE id = any($1::text[])", included
    )
    by_id = {r["id"]: r for r in rows}
    hints = export.plan.strategy_hint.entry_type_hints
    return [
        {
            "orderId": order_id,
            "externalId": by_id[order_id]["external_id"],
            "entryType": hints.get(order_id),
            "metadata": by_id[order_id]["metadata"] or {},
        }
        for order_id in included
        if order_id in by_id
    ]
