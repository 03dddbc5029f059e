"""store.inspection: the one statement inspect runs reads each part as the repository of its
table does (the same records, field by field), for an export with every part and one with none."""

from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.destinations import DestinationKind, DestinationState
from domain.review_work import ChangeRequest, ReviewHolder
from store import (
    amendments,
    destinations,
    execution,
    exports,
    inspection,
    packages,
    reference,
    review_work,
    submissions,
)
from store.errors import NotFound
from store.exports import NewEvent
from tests.support.stored_exports import export_with_references

AT = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def test_every_part_is_the_record_its_repository_reads(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        export = await export_with_references(conn, "exp_store_inspection_full")
        account = export.account_id
        broker = await reference.get_broker_by_id(conn, export.broker_id)
        warehouse = await reference.get_warehouse_by_id(conn, export.warehouse_id)
        assert broker is not None
        assert warehouse is not None
        package = await packages.create_package(conn, account, export.id, "ph-1", 2026)
        for kind in ("cci_pdf", "cci_json"):
            await packages.insert_artifact(
                conn,
                account_id=account,
                package_id=package.id,
                artifact_type=kind,
                filename=f"{kind}.bin",
                content_type="application/octet-stream",
                content=b"x",
                sha256="0" * 64,
                generated_at=AT,
            )
        sub = await submissions.prepare_submission(conn, export, broker, package)
        await submissions.ensure_notification(conn, export, warehouse)
        await exports.append_events(
            conn,
            export.id,
            [NewEvent(f"TEST_{n}", f"test-{n}", "test", {"n": n, "at": [n]}) for n in range(3)],
            AT,
        )
        await amendments.prepare_amendment(
            conn,
            submission_id=sub.id,
            number=1,
            export_id=export.id,
            package_id=package.id,
            plan_hash="ph-1",
            request_id="req-1",
        )
        await exports.save_broker_side(conn, export.id, {"appliedThrough": 2})
        await review_work.set_holder(
            conn,
            account,
            export.id,
            ReviewHolder(actor="key_a", label="A", since=AT, assigned_by="key_b"),
        )
        await review_work.add_change_request(
            conn,
            export.id,
            ChangeRequest(
                requested_by="key_a", plan_hash="ph-1", reason_codes=["R1", "R2"], requested_at=AT
            ),
        )
        destination = await destinations.lock(conn, account, DestinationKind.BROKER, broker.id)
        await destinations.save_waiting_for(
            conn,
            export.id,
            {"destination": destination.id, "state": "OPEN", "waitingSince": AT.isoformat()},
        )

        found = await inspection.inspected(conn, account, export.id)
        assert found.export == await exports.get_export(conn, account, export.id)
        assert found.package == await execution.package_of_export(conn, export.id)
        assert found.package is not None
        assert found.artifacts == await execution.artifacts_of(conn, package.id)
        assert len(found.artifacts) == 2
        assert found.submission == await execution.submission_of(conn, export.id)
        assert found.submission is not None
        assert found.notifications == await execution.notifications_of(conn, export.id)
        assert len(found.notifications) == 1
        assert found.events == await exports.latest_events(conn, export.id)
        assert [e.type for e in found.events] == ["TEST_0", "TEST_1", "TEST_2"]
        assert found.amendments == await amendments.amendments_of(conn, export.id)
        assert len(found.amendments) == 1
        assert found.holder == await review_work.holder_of(conn, export.id)
        assert found.holder is not None
        assert found.changes_requested == await review_work.last_change_request(conn, export.id)
        assert found.changes_requested is not None
        assert found.changes_requested.reason_codes == ["R1", "R2"]
        assert found.destination == inspection.DestinationNow(
            destination.breaker.state, destination.breaker.since
        )
        assert found.destination.state is DestinationState.CLOSED
        # the export loaded before (without its broker side and wait) is kept, the parts are read
        assert export != found.export
        assert await inspection.beside(conn, export) == replace(found, export=export)


async def test_an_export_with_no_parts_and_one_of_another_account(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        export = await export_with_references(conn, "exp_store_inspection_bare")
        found = await inspection.inspected(conn, export.account_id, export.id)
        assert found == inspection.Inspected(
            found.export,
            package=None,
            artifacts=[],
            submission=None,
            notifications=[],
            events=[],
            amendments=[],
            destination=None,
            holder=None,
            changes_requested=None,
        )
        with pytest.raises(NotFound):
            await inspection.inspected(conn, "acc_other", export.id)
