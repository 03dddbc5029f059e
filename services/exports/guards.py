"""Checks every export use case shares: the export in the account, its references, whether its
state allows the action, whether its data still matches the plan."""

from typing import Any

from domain import status as machine
from domain.planning.plan_hash import data_plan_hash
from services.context import Context
from services.errors import Conflict, OutOfScope
from store import exports
from store.records import ExportRecord
from store.reference import references_in_account
from store.snapshots import export_snapshot


async def load(ctx: Context, export_id: str) -> ExportRecord:
    """The export of the caller's account (NotFound otherwise)."""
    async with ctx.connect() as conn:
        return await exports.get_export(conn, ctx.account_id, export_id)


async def check_references(ctx: Context, warehouse_id: str, broker_id: str) -> None:
    """OutOfScope for a warehouse or broker outside the caller's account."""
    async with ctx.connect() as conn:
        warehouse, broker = await references_in_account(
            conn, ctx.account_id, warehouse_id, broker_id
        )
    if not warehouse:
        raise OutOfScope("warehouseId is not a warehouse of this account.", field="warehouseId")
    if not broker:
        raise OutOfScope("brokerId is not a broker of this account.", field="brokerId")


def refused(refusal: machine.Refusal, export: ExportRecord) -> Conflict:
    """The conflict for an action the export's status does not allow, with the contract's
    details (for a blocked plan, why it is blocked)."""
    details: dict[str, Any] = {"status": export.status}
    if refusal.code == "EXPORT_BLOCKED":
        details = {
            "readinessState": export.readiness_state,
            "validationMessages": [
                m.model_dump(mode="json") for m in export.plan.validation_messages
            ],
        }
    elif refusal.code == "PLAN_HASH_MISMATCH":
        details = {"currentPlanHash": export.plan_hash}
    elif refusal == machine.ALREADY_APPROVED_BY_KEY:
        details = {
            "status": export.status,
            "reason": "ALREADY_APPROVED_BY_THIS_KEY",
            "approvalState": export.approval.state,
            "approvalsRequired": export.approval.approvals_required,
            "approvedBy": [a.model_dump(mode="json") for a in export.approval.approved_by],
        }
    return Conflict(refusal.code, refusal.message, details=details)


def check(refusal: machine.Refusal | None, export: ExportRecord) -> None:
    """Raise the conflict when the domain refused the action."""
    if refusal is not None:
        raise refused(refusal, export)


async def refuse_outdated(ctx: Context, export: ExportRecord) -> None:
    """Conflict when the orders or products changed since planning: what would be executed (or
    approved) is no longer what was planned; the client re-plans first."""
    if export.status not in machine.UNDECIDED:
        return
    async with ctx.connect() as conn:
        current = data_plan_hash(await export_snapshot(conn, export), export.plan)
    if current != export.plan_hash:
        raise Conflict(
            "INVALID_EXPORT_STATE",
            "Orders or products changed since this plan was made; re-plan first.",
            details={
                "status": export.status,
                "reason": "PLAN_OUTDATED",
                "planHash": export.plan_hash,
                "dataPlanHash": current,
            },
        )


async def explained(ctx: Context, export_id: str, exc: Conflict) -> Conflict:
    """Give a conflict the workflow raised (a race the projection could not see) the contract's
    details, from the export as it is now; returns the same error."""
    if exc.details is None:
        export = await load(ctx, export_id)
        exc.details = refused(machine.Refusal(exc.code, exc.message), export).details
    return exc


def closed() -> Conflict:
    """The workflow has finished: no message applies any more."""
    return Conflict("INVALID_EXPORT_STATE", "The export is closed.")
