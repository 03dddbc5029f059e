"""Reads of what execution produced: package, artifacts, submission, notification."""

from typing import Any

import asyncpg

from store.errors import NotFound


async def package_of_export(conn: Any, export_id: str) -> asyncpg.Record | None:
    """The export's newest customs package, if any."""
    return await conn.fetchrow(
        "SELECT * FROM customs_packages WHERE export_id = $1 ORDER BY created_at DESC LIMIT 1",
        export_id,
    )


async def get_package(conn: Any, account_id: str, package_id: str) -> asyncpg.Record:
    """A package of the account."""
    row = await conn.fetchrow(
        "SELECT * FROM customs_packages WHERE id = $1 AND account_id = $2", package_id, account_id
    )
    if row is None:
        raise NotFound("customsPackage")
    return row


async def artifacts_of(conn: Any, package_id: str) -> list[asyncpg.Record]:
    """Artifact metadata (not content) of a package, in generation order."""
    return list(
        await conn.fetch(
            """SELECT id, customs_package_id, artifact_type, filename, content_type, size_bytes,
                      sha256, generated_at
               FROM artifacts WHERE customs_package_id = $1 ORDER BY id""",
            package_id,
        )
    )


async def get_artifact(conn: Any, account_id: str, artifact_id: str) -> asyncpg.Record:
    """An artifact with its content."""
    row = await conn.fetchrow(
        "SELECT * FROM artifacts WHERE id = $1 AND account_id = $2", artifact_id, account_id
    )
    if row is None:
        raise NotFound("artifact")
    return row


async def submission_of(conn: Any, export_id: str) -> asyncpg.Record | None:
    """The export's broker submission."""
    return await conn.fetchrow("SELECT * FROM broker_submissions WHERE export_id = $1", export_id)


async def notifications_of(conn: Any, export_id: str) -> list[asyncpg.Record]:
    """The export's warehouse notifications."""
    return list(
        await conn.fetch("SELECT * FROM notifications WHERE export_id = $1 ORDER BY id", export_id)
    )
