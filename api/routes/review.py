"""Decisions on an export: approve, reject, cancel, retry, re-plan, broker outcome."""

from fastapi import APIRouter

from api.deps import IntegrationWrite, ReviewerWrite
from api.idempotency import Answer, Sent
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


def decided(answer: decisions.Decided) -> Answer[ExportView]:
    """202 while the workflow is still taking the decision."""
    return Answer(answer.view, 200 if answer.done else 202)


def recorded(answer: execution.Executed) -> Answer[ExportView]:
    """202 while the export has not moved yet."""
    return Answer(answer.view, 200 if answer.finished else 202)


@router.post("/{export_id}/approve", response_model=ExportView, responses=error_responses(403, 409))
async def approve_export(
    export_id: str, body: ApproveRequest, write: ReviewerWrite
) -> Sent[ExportView]:
    """Approve the current plan (its planHash must match); execution follows if requested."""
    return await write.with_lease(
        body, lambda ctx: decisions.approve(ctx, export_id, body), decided
    )


@router.post("/{export_id}/reject", response_model=ExportView, responses=DECISION)
async def reject_export(
    export_id: str, body: RejectRequest, write: ReviewerWrite
) -> Sent[ExportView]:
    """Reject the export before execution → REJECTED."""
    return await write.with_lease(body, lambda ctx: decisions.reject(ctx, export_id, body), decided)


@router.post("/{export_id}/cancel", response_model=ExportView, responses=DECISION)
async def cancel_export(
    export_id: str, write: ReviewerWrite, body: CancelRequest | None = None
) -> Sent[ExportView]:
    """Cancel the export before execution → CANCELLED."""
    sent = body or CancelRequest()
    return await write.with_lease(sent, lambda ctx: decisions.cancel(ctx, export_id, sent), decided)


@router.post("/{export_id}/retry", response_model=ExportView, responses=DECISION)
async def retry_export(
    export_id: str, write: ReviewerWrite, body: RetryRequest | None = None
) -> Sent[ExportView]:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    sent = body or RetryRequest()
    return await write.with_lease(sent, lambda ctx: decisions.retry(ctx, export_id, sent), decided)


@router.post("/{export_id}/broker-outcome", response_model=ExportView, responses=DECISION)
async def record_broker_outcome(
    export_id: str, body: BrokerOutcomeRequest, write: ReviewerWrite
) -> Sent[ExportView]:
    """Record the broker's answer for brokers that answer by email."""
    return await write.with_lease(
        body, lambda ctx: execution.record_outcome(ctx, export_id, body), recorded
    )


@router.post("/{export_id}/replan", response_model=Plan, responses=error_responses(403, 409))
async def replan_export(export_id: str, body: ReplanRequest, write: IntegrationWrite) -> Sent[Plan]:
    """Plan again (with changed inputs, or the current data) until execution starts."""
    return await write.with_lease(body, lambda ctx: planning.replan(ctx, export_id, body), _plan)


def _plan(answer: planning.Planned) -> Answer[Plan]:
    return Answer(answer.document, 200)
