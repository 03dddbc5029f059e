"""store.packages and store.submissions: the worker's repositories hand out typed records."""

from datetime import UTC, datetime

import asyncpg

from store import execution, packages, reference, submissions
from store.records import (
    ArtifactFile,
    BrokerRecord,
    NotificationRecord,
    PackageRecord,
    SubmissionRecord,
    WarehouseRecord,
)
from tests.support.stored_exports import export_with_references

SECRET = "w" * 20


async def test_package_and_artifacts_are_records(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        export = await export_with_references(conn, "exp_store_records_pkg")
        assert await packages.find_package(conn, export.id, "ph-1") is None
        created = await packages.create_package(conn, export.account_id, export.id, "ph-1", 2026)
        assert isinstance(created, PackageRecord)
        assert (created.export_id, created.plan_hash, created.state) == (
            export.id,
            "ph-1",
            "GENERATING",
        )
        assert created.package_number.startswith("EG-2026-")
        assert await packages.find_package(conn, export.id, "ph-1") == created
        assert await packages.get_package(conn, created.id) == created
        assert await packages.get_package(conn, "cp_missing") is None
        await packages.insert_artifact(
            conn,
            account_id=export.account_id,
            package_id=created.id,
            artifact_type="cci_json",
            filename="cci.json",
            content_type="application/json",
            content=b"{}",
            sha256="0" * 64,
            generated_at=datetime.now(UTC),
        )
        files = await packages.artifact_contents(conn, created.id, ["cci_json", "cci_pdf"])
    assert list(files) == ["cci_json"]
    assert isinstance(files["cci_json"], ArtifactFile)
    assert (files["cci_json"].filename, files["cci_json"].content) == ("cci.json", b"{}")


async def test_submission_and_notification_are_records(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        export = await export_with_references(conn, "exp_store_records_sub")
        broker = await reference.get_broker_by_id(conn, export.broker_id)
        warehouse = await reference.get_warehouse_by_id(conn, export.warehouse_id)
        assert isinstance(broker, BrokerRecord)
        assert isinstance(warehouse, WarehouseRecord)
        assert await reference.get_broker_by_id(conn, "br_missing") is None
        package = await packages.create_package(conn, export.account_id, export.id, "ph-1", 2026)

        assert await execution.submission_of(conn, export.id) is None
        sub = await submissions.prepare_submission(conn, export, broker, package)
        assert isinstance(sub, SubmissionRecord)
        assert (sub.submission_type, sub.status, sub.recipient_email, sub.recipient_url) == (
            "email",
            "PREPARED",
            "in@b.example",
            None,
        )
        assert sub.subject == f"Customs entry package {package.package_number} (export {export.id})"
        assert await submissions.prepare_submission(conn, export, broker, package) == sub
        assert await execution.submission_of(conn, export.id) == sub
        await reference.patch_broker(
            conn,
            export.account_id,
            broker.id,
            {"transport": {"type": "webhook", "url": "https://b.example/in", "secret": SECRET}},
        )
        moved = await reference.get_broker_by_id(conn, broker.id)
        assert moved is not None
        assert moved.webhook_secret == SECRET
        assert SECRET not in repr(moved)
        readdressed = await submissions.readdress_submission(conn, sub.id, moved)
        assert (readdressed.submission_type, readdressed.recipient_url) == (
            "webhook",
            "https://b.example/in",
        )
        sent = await submissions.mark_sent(conn, sub.id, "<m@x>", "REF-1")
        assert (sent.status, sent.message_id, sent.broker_reference) == ("SENT", "<m@x>", "REF-1")
        assert sent.sent_at is not None

        note = await submissions.ensure_notification(conn, export, warehouse)
        assert isinstance(note, NotificationRecord)
        assert (note.channel, note.recipient, note.status) == (
            "webhook",
            "https://w.example/hook",
            "PENDING",
        )
        assert await submissions.ensure_notification(conn, export, warehouse) == note
        await reference.patch_warehouse(
            conn, export.account_id, warehouse.id, {"notificationUrl": None}
        )
        unaddressed = await reference.get_warehouse_by_id(conn, warehouse.id)
        assert unaddressed is not None
        recorded = await submissions.readdress_notification(conn, note.id, unaddressed)
    assert (recorded.channel, recorded.recipient, recorded.status) == ("record", None, "RECORDED")
