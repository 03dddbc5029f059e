"""Decisions on an export: approve, reject, cancel, retry, re-plan, broker outcome."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Integration, Reviewer, RuntimeDep
from api.idempotency import begin_workflow_write
from api.openapi import error_responses
from api.schemas.exports import (
    ApproveRequest,
    BrokerOutcomeRequest,
    CancelRequest,
    ExportView,
    Plan,
    RejectRequest,
    ReplanRequest,
    RetryRequest,
)
from services.exports import decisions, execution, planning

router = APIRouter(prefix="/api/exports", tags=["review"])

VIEW = {"model": ExportView, "description": "accepted; the export has not moved yet"}
DECISION = {202: VIEW, **error_responses(403, 409)}


@router.post("/{export_id}/approve", response_model=ExportView, responses=error_responses(403, 409))
async def approve_export(
    request: Request, export_id: str, body: ApproveRequest, principal: Reviewer, rt: RuntimeDep
) -> Response:
    """Approve the current plan (its planHash must match); execution follows if requested."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        decided = await decisions.approve(rt, write.intent, export_id, body.planHash, body.comment)
        return await write.respond(200 if decided.done else 202, decided.view)


@router.post("/{export_id}/reject", response_model=ExportView, responses=DECISION)
async def reject_export(
    request: Request, export_id: str, body: RejectRequest, principal: Reviewer, rt: RuntimeDep
) -> Response:
    """Reject the export before execution → REJECTED."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        decided = await decisions.reject(rt, write.intent, export_id, body.reason)
        return await write.respond(200 if decided.done else 202, decided.view)


@router.post("/{export_id}/cancel", response_model=ExportView, responses=DECISION)
async def cancel_export(
    request: Request,
    export_id: str,
    principal: Reviewer,
    rt: RuntimeDep,
    body: CancelRequest | None = None,
) -> Response:
    """Cancel the export before execution → CANCELLED."""
    body = body or CancelRequest()
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        decided = await decisions.cancel(rt, write.intent, export_id, body.reason)
        return await write.respond(200 if decided.done else 202, decided.view)


@router.post("/{export_id}/retry", response_model=ExportView, responses=DECISION)
async def retry_export(
    request: Request,
    export_id: str,
    principal: Reviewer,
    rt: RuntimeDep,
    body: RetryRequest | None = None,
) -> Response:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    async with begin_workflow_write(request, principal, body or RetryRequest()) as write:
        if write.replayed:
            return write.replayed
        decided = await decisions.retry(rt, write.intent, export_id)
        return await write.respond(200 if decided.done else 202, decided.view)


@router.post("/{export_id}/broker-outcome", response_model=ExportView, responses=DECISION)
async def record_broker_outcome(
    request: Request,
    export_id: str,
    body: BrokerOutcomeRequest,
    principal: Reviewer,
    rt: RuntimeDep,
) -> Response:
    """Record the broker's answer for brokers that answer by email."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        outcome = execution.Outcome(
            status=body.status, entry_number=body.entryNumber, reason=body.reason
        )
        recorded = await execution.record_outcome(rt, write.intent, export_id, outcome)
        return await write.respond(200 if recorded.finished else 202, recorded.view)


@router.post("/{export_id}/replan", response_model=Plan, responses=error_responses(403, 409))
async def replan_export(
    request: Request, export_id: str, body: ReplanRequest, principal: Integration, rt: RuntimeDep
) -> Response:
    """Plan again (with changed inputs, or the current data) until execution starts."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        change = planning.PlanChange(
            warehouse_id=body.warehouseId,
            broker_id=body.brokerId,
            destination_country=body.destinationCountry,
            order_ids=body.orderIds,
        )
        planned = await planning.replan(rt, write.intent, export_id, change)
        return await write.respond(200, planned.document)
