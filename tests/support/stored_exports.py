"""A planned export stored with its references, for the store's tests: a fresh account with a
webhook warehouse and an email broker, and a real plan under the hash `ph-1`."""

from typing import Any

from domain.approval import Approval
from domain.planning.document import plan_document
from domain.status import ApprovalState, ExportStatus
from store import reference
from store.accounts import create_account
from store.exports import lock_export, save_plan
from store.records import ExportRecord
from tests.support.planning_builders import run, snapshot

ADDRESS = {"line1": "1 Dock", "city": "Riga", "country": "LV"}


async def export_with_references(conn: Any, export_id: str) -> ExportRecord:
    """The export, stored and locked in the caller's transaction."""
    account_id = await create_account(conn, "store-execution")
    warehouse = await reference.create_warehouse(
        conn,
        account_id,
        {"name": "Hub", "address": ADDRESS, "notificationUrl": "https://w.example/hook"},
    )
    broker = await reference.create_broker(
        conn,
        account_id,
        {"name": "B", "transport": {"type": "email", "recipientEmail": "in@b.example"}},
    )
    # a real plan under the hash the package rows of the tests name
    outcome = run(snapshot()).model_copy(update={"plan_hash": "ph-1"})
    plan = plan_document(export_id, ExportStatus.PLANNED, outcome, "2026-11-26T00:00:00Z")
    await save_plan(
        conn,
        export_id=export_id,
        account_id=account_id,
        warehouse_id=warehouse.id,
        broker_id=broker.id,
        destination="US",
        order_ids=[],
        plan=plan,
        approval=Approval(state=ApprovalState.NOT_REQUIRED),
    )
    export = await lock_export(conn, export_id)
    assert export is not None
    return export
