"""Customs packages and their artifacts: one package per (export, planHash), artifacts per type."""

from datetime import datetime
from typing import Any

from store.db import Connection, Queries, one
from store.ids import new_id
from store.records import ArtifactFile, PackageRecord


async def find_package(conn: Queries, export_id: str, plan_hash: str) -> PackageRecord | None:
    """The package of this plan, if it exists."""
    row = await conn.fetchrow(
        "SELECT * FROM customs_packages WHERE export_id = $1 AND plan_hash = $2",
        export_id,
        plan_hash,
    )
    return PackageRecord.from_row(row) if row is not None else None


async def create_package(
    conn: Connection, account_id: str, export_id: str, plan_hash: str, year: int
) -> PackageRecord:
    """Insert the package with the next human-facing number (EG-<year>-<000001>)."""
    number = await conn.fetchval("SELECT nextval('customs_package_numbers')")
    row = await conn.fetchrow(
        """INSERT INTO customs_packages (id, account_id, export_id, plan_hash, package_number, state)
           VALUES ($1, $2, $3, $4, $5, 'GENERATING') RETURNING *""",
        new_id("cp"),
        account_id,
        export_id,
        plan_hash,
        f"EG-{year}-{number:06d}",
    )
    package = PackageRecord.from_row(one(row))
    await conn.execute(
        "UPDATE exports SET customs_package_id = $2, updated_at = now() WHERE id = $1",
        export_id,
        package.id,
    )
    return package


async def set_package_state(conn: Connection, package_id: str, state: str) -> None:
    """Move the package's state."""
    await conn.execute(
        "UPDATE customs_packages SET state = $2, updated_at = now() WHERE id = $1",
        package_id,
        state,
    )


async def insert_artifact(
    conn: Connection,
    *,
    account_id: str,
    package_id: str,
    artifact_type: str,
    filename: str,
    content_type: str,
    content: bytes,
    sha256: str,
    generated_at: datetime,
) -> bool:
    """Store an artifact once per (package, type); True when this call stored it."""
    result: str = await conn.execute(
        """INSERT INTO artifacts (id, account_id, customs_package_id, artifact_type, filename,
                                  content_type, size_bytes, sha256, content, generated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (customs_package_id, artifact_type) DO NOTHING""",
        new_id("art"),
        account_id,
        package_id,
        artifact_type,
        filename,
        content_type,
        len(content),
        sha256,
        content,
        generated_at,
    )
    return result.endswith(" 1")


async def artifact_contents(
    conn: Queries, package_id: str, types: list[str]
) -> dict[str, ArtifactFile]:
    """{artifact_type: artifact with content} for the given types."""
    rows = await conn.fetch(
        """SELECT id, artifact_type, filename, content_type, sha256, content FROM artifacts
           WHERE customs_package_id = $1 AND artifact_type = any($2::text[])""",
        package_id,
        types,
    )
    return {r["artifact_type"]: ArtifactFile.from_row(r) for r in rows}


async def get_package(conn: Queries, package_id: str) -> PackageRecord | None:
    """One customs package by id."""
    row = await conn.fetchrow("SELECT * FROM customs_packages WHERE id = $1", package_id)
    return PackageRecord.from_row(row) if row is not None else None


async def set_export_package_state(conn: Connection, export_id: str, state: str, at: Any) -> None:
    """The state of the export's package, from the broker's answer."""
    await conn.execute(
        "UPDATE customs_packages SET state = $2, updated_at = $3 WHERE export_id = $1",
        export_id,
        state,
        at,
    )
