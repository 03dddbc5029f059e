"""Customs: the package of a plan (created once) and its artifacts (rendered once per type)."""

import asyncio

from temporalio import activity

from activities.errors import plan_outdated
from activities.heartbeat import heartbeating
from domain.activities import ActivityName
from domain.documents.assembly import package_data
from domain.documents.render import render_artifacts
from domain.planning.plan_hash import data_plan_hash
from store import packages
from store.db import Pool
from store.exports import (
    NewEvent,
    append_events,
    database_now,
    get_export_by_id,
    hold_export,
    lock_export,
)
from store.package_data import load_package_source
from store.records import PackageRecord
from store.snapshots import export_snapshot
from workflows.messages import PackageResult, StepInput


class CustomsActivities:
    """Package and artifact steps of execution."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool

    @activity.defn(name=ActivityName.CREATE_CUSTOMS_PACKAGE)
    async def create_customs_package(self, inp: StepInput) -> PackageResult:
        """Create the package for (export, planHash), or reuse the one a previous attempt made."""
        async with heartbeating():
            return await self._create_customs_package(inp)

    async def _create_customs_package(self, inp: StepInput) -> PackageResult:
        async with self.pool.acquire() as conn, conn.transaction():
            export = await lock_export(conn, inp.export_id)
            assert export is not None
            found = await packages.find_package(conn, inp.export_id, inp.plan_hash)
            if found is not None:
                await append_events(
                    conn,
                    inp.export_id,
                    [
                        NewEvent(
                            "CUSTOMS_PACKAGE_REUSED",
                            f"{inp.plan_hash}:CUSTOMS_PACKAGE_REUSED",
                            "system",
                            _package_data(found),
                        )
                    ],
                    await database_now(conn),
                )
                return PackageResult(
                    customs_package_id=found.id, package_number=found.package_number, reused=True
                )
            if data_plan_hash(await export_snapshot(conn, export), export.plan) != inp.plan_hash:
                raise plan_outdated(
                    "Orders or products changed since the plan was made: the package would not "
                    "match the plan. Restore the data and retry, or plan a new export."
                )
            year = int(export.plan.planned_at[:4])
            row = await packages.create_package(
                conn, export.account_id, inp.export_id, inp.plan_hash, year
            )
            await append_events(
                conn,
                inp.export_id,
                [
                    NewEvent(
                        "CUSTOMS_PACKAGE_GENERATED",
                        f"{inp.plan_hash}:CUSTOMS_PACKAGE_GENERATED",
                        "system",
                        _package_data(row),
                    )
                ],
                row.created_at,
            )
            return PackageResult(
                customs_package_id=row.id, package_number=row.package_number, reused=False
            )

    @activity.defn(name=ActivityName.GENERATE_ARTIFACTS)
    async def generate_artifacts(self, inp: StepInput) -> list[str]:
        """Render the package's documents and store each once; returns their types."""
        async with heartbeating():
            return await self._generate_artifacts(inp)

    async def _generate_artifacts(self, inp: StepInput) -> list[str]:
        async with self.pool.acquire() as conn:
            export = await get_export_by_id(conn, inp.export_id)
            package = await packages.find_package(conn, inp.export_id, inp.plan_hash)
            assert export is not None
            assert package is not None
            source = await load_package_source(
                conn, export.warehouse_id, export.broker_id, export.plan.included_order_ids
            )
        data = package_data(
            export.plan,
            source,
            export_id=export.id,
            destination_country=export.destination_country,
            package_number=package.package_number,
            package_id=package.id,
        )
        # rendering a large PDF takes seconds of CPU: keep the worker's event loop free
        rendered = await asyncio.to_thread(render_artifacts, data)
        async with self.pool.acquire() as conn, conn.transaction():
            await hold_export(conn, inp.export_id)
            now = await database_now(conn)
            events = []
            for art in rendered:
                await packages.insert_artifact(
                    conn,
                    account_id=export.account_id,
                    package_id=package.id,
                    artifact_type=art.artifact_type,
                    filename=art.filename,
                    content_type=art.content_type,
                    content=art.content,
                    sha256=art.sha256,
                    generated_at=now,
                )
                events.append(
                    NewEvent(
                        "CUSTOMS_ARTIFACT_GENERATED",
                        f"{package.id}:{art.artifact_type}",
                        "system",
                        {
                            "artifact_type": art.artifact_type,
                            "sha256": art.sha256,
                            "sizeBytes": art.size_bytes,
                        },
                    )
                )
            if package.state == "GENERATING":
                await packages.set_package_state(conn, package.id, "READY")
            await append_events(conn, inp.export_id, events, now)
        return [a.artifact_type for a in rendered]


def _package_data(package: PackageRecord) -> dict[str, str]:
    return {
        "customsPackageId": package.id,
        "packageNumber": package.package_number,
        "planHash": package.plan_hash,
    }
