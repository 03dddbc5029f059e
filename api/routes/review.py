"""Review and operations on an export: approve, reject, cancel, retry, re-plan, broker outcome."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import Integration, PoolDep, Reviewer, SettingsDep, TemporalDep
from api.errors import ApiError
from api.idempotency import Write, begin_workflow_write
from api.openapi import error_responses
from api.routes.exports import (
    check_references,
    refusal_error,
    refuse_outdated,
    replan_workflow,
    wait_for_status,
    with_details,
)
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
from api.temporal_calls import WorkflowClosed, bounded, run_update
from api.views import inspect_view
from domain import status as machine
from store import exports
from workflows.export import ExportWorkflow
from workflows.messages import ApproveInput, BrokerOutcome, DecisionInput, ReplanInput, RetryInput

router = APIRouter(prefix="/api/exports", tags=["review"])

VIEW = {"model": ExportView, "description": "accepted; the export has not moved yet"}


async def _closed(write: Write, row: Any) -> ApiError:
    closed = ApiError(409, "INVALID_EXPORT_STATE", "The export is closed.")
    return await with_details(write, row["id"], closed)


async def _view(write: Write, row: Any, temporal: TemporalDep, status: int = 200) -> Response:
    client = await temporal.client_or_none()
    async with write.connect() as conn:
        fresh = await exports.get_export_row(conn, write.principal.account_id, row["id"])
        view = await inspect_view(conn, fresh, client)
    return await write.respond(status, view)


@router.post("/{export_id}/approve", response_model=ExportView, responses=error_responses(403, 409))
async def approve_export(
    request: Request,
    export_id: str,
    body: ApproveRequest,
    principal: Reviewer,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Approve the current plan (its planHash must match); execution follows if requested."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        async with write.connect() as conn:
            row = await exports.get_export_row(conn, principal.account_id, export_id)
        refusal = machine.refuse_approve(
            row["status"],
            row["readiness_state"],
            row["approval"]["state"],
            row["plan_hash"],
            body.planHash,
        )
        if refusal is not None:
            error = refusal_error(refusal, row)
            if refusal.code == "PLAN_HASH_MISMATCH":
                error.details = {"currentPlanHash": row["plan_hash"]}
            raise error
        async with write.connect() as conn:
            await refuse_outdated(conn, row)
        handle = (await temporal.client()).get_workflow_handle_for(
            ExportWorkflow.run, row["workflow_id"]
        )
        try:
            approval = await run_update(
                handle,
                ExportWorkflow.approve,
                ApproveInput(
                    planHash=body.planHash, reviewer=principal.key_id, comment=body.comment
                ),
                update_id=write.message_id("approve"),
                accept_within=settings.temporal_call_timeout_seconds,
                result_within=settings.temporal_call_timeout_seconds,
            )
        except WorkflowClosed as exc:
            raise await _closed(write, row) from exc
        except ApiError as exc:
            if exc.code == "PLAN_HASH_MISMATCH":
                async with write.connect() as conn:
                    current = await exports.get_export_row(conn, principal.account_id, export_id)
                exc.details = {"currentPlanHash": current["plan_hash"]}
            await with_details(write, export_id, exc)
            raise
        return await _view(write, row, temporal, 200 if approval is not None else 202)


async def _signal(
    request: Request,
    export_id: str,
    body: Any,
    principal: Any,
    temporal: TemporalDep,
    settings: Any,
    pool: Any,
    action: str,
) -> Response:
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        async with write.connect() as conn:
            row = await exports.get_export_row(conn, principal.account_id, export_id)
        refusal = {
            "reject": lambda: machine.refuse_before_execution("reject", row["status"]),
            "cancel": lambda: machine.refuse_before_execution("cancel", row["status"]),
            "retry": lambda: machine.refuse_retry(row["status"]),
            "broker_outcome": lambda: machine.refuse_broker_outcome(row["status"]),
        }[action]()
        if refusal is not None:
            raise refusal_error(refusal, row)
        handle = (await temporal.client()).get_workflow_handle_for(
            ExportWorkflow.run, row["workflow_id"]
        )
        payload: Any
        if action in ("reject", "cancel"):
            payload = DecisionInput(actor=principal.key_id, reason=getattr(body, "reason", None))
        elif action == "retry":
            payload = RetryInput(actor=principal.key_id)
        else:
            payload = BrokerOutcome(
                status=body.status,
                entryNumber=body.entryNumber,
                reason=body.reason,
                actor=principal.key_id,
            )
        try:
            await bounded(handle.signal(action, payload), settings.temporal_call_timeout_seconds)
        except WorkflowClosed as exc:
            raise await _closed(write, row) from exc
        moved = await wait_for_status(
            pool,
            principal.account_id,
            export_id,
            row["status"],
            settings.temporal_call_timeout_seconds,
        )
        return await _view(write, row, temporal, 200 if moved["status"] != row["status"] else 202)


@router.post(
    "/{export_id}/reject",
    response_model=ExportView,
    responses={202: VIEW, **error_responses(403, 409)},
)
async def reject_export(
    request: Request,
    export_id: str,
    body: RejectRequest,
    principal: Reviewer,
    temporal: TemporalDep,
    settings: SettingsDep,
    pool: PoolDep,
) -> Response:
    """Reject the export before execution → REJECTED."""
    return await _signal(request, export_id, body, principal, temporal, settings, pool, "reject")


@router.post(
    "/{export_id}/cancel",
    response_model=ExportView,
    responses={202: VIEW, **error_responses(403, 409)},
)
async def cancel_export(
    request: Request,
    export_id: str,
    principal: Reviewer,
    temporal: TemporalDep,
    settings: SettingsDep,
    pool: PoolDep,
    body: CancelRequest | None = None,
) -> Response:
    """Cancel the export before execution → CANCELLED."""
    return await _signal(
        request, export_id, body or CancelRequest(), principal, temporal, settings, pool, "cancel"
    )


@router.post(
    "/{export_id}/retry",
    response_model=ExportView,
    responses={202: VIEW, **error_responses(403, 409)},
)
async def retry_export(
    request: Request,
    export_id: str,
    principal: Reviewer,
    temporal: TemporalDep,
    settings: SettingsDep,
    pool: PoolDep,
    body: RetryRequest | None = None,
) -> Response:
    """Resume the failed step of an export in ATTENTION_REQUIRED."""
    return await _signal(
        request, export_id, body or RetryRequest(), principal, temporal, settings, pool, "retry"
    )


@router.post(
    "/{export_id}/broker-outcome",
    response_model=ExportView,
    responses={202: VIEW, **error_responses(403, 409)},
)
async def record_broker_outcome(
    request: Request,
    export_id: str,
    body: BrokerOutcomeRequest,
    principal: Reviewer,
    temporal: TemporalDep,
    settings: SettingsDep,
    pool: PoolDep,
) -> Response:
    """Record the broker's answer for brokers that answer by email."""
    return await _signal(
        request, export_id, body, principal, temporal, settings, pool, "broker_outcome"
    )


@router.post("/{export_id}/replan", response_model=Plan, responses=error_responses(403, 409))
async def replan_export(
    request: Request,
    export_id: str,
    body: ReplanRequest,
    principal: Integration,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Plan again (with changed inputs, or the current data) until execution starts."""
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        async with write.connect() as conn:
            row = await exports.get_export_row(conn, principal.account_id, export_id)
        refusal = machine.refuse_before_execution("re-plan", row["status"])
        if refusal is not None:
            raise refusal_error(refusal, row)
        async with write.connect() as conn:
            await check_references(
                conn,
                principal,
                body.warehouseId or row["warehouse_id"],
                body.brokerId or row["broker_id"],
            )
        change = ReplanInput(**body.model_dump(exclude={"idempotencyKey"}), actor=principal.key_id)
        await replan_workflow(write, row, change, temporal, settings)
        async with write.connect() as conn:
            fresh = await exports.get_export_row(conn, principal.account_id, export_id)
        return await write.respond(200, {**fresh["plan"], "status": fresh["status"]})
