"""Exports: plan, execute, inspect, list, events (CONTRACT §9.1–§9.4)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import AnyRole, Integration, RuntimeDep, check_account_scope
from api.idempotency import begin_workflow_write
from api.openapi import error_responses
from api.pagination import Limit, TimeCursor, read_time_cursor, time_cursor
from api.schemas.exports import EventPage, ExecuteRequest, ExportPage, ExportView, Plan, PlanRequest
from services.exports import execution, planning, reading

router = APIRouter(prefix="/api/exports", tags=["exports"])

StatusFilter = Annotated[str | None, Query(pattern=r"^[A-Z_]{3,32}$")]


@router.post(
    "/plan",
    response_model=Plan,
    status_code=201,
    responses={
        200: {"model": Plan, "description": "dry run, re-plan or replay"},
        **error_responses(403, 409),
    },
)
async def plan_export(
    request: Request, body: PlanRequest, principal: Integration, rt: RuntimeDep
) -> Response:
    """Plan an export (or re-plan `batchId`); `dryRun` computes without persisting anything."""
    check_account_scope(principal, body.accountId)
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        planned = await planning.plan(
            rt,
            write.intent,
            planning.NewPlan(
                warehouse_id=body.warehouseId,
                broker_id=body.brokerId,
                destination_country=body.destinationCountry,
                order_ids=body.orderIds,
            ),
            batch_id=body.batchId,
            dry=body.dryRun,
        )
        return await write.respond(201 if planned.created else 200, planned.document)


@router.post(
    "/execute",
    response_model=ExportView,
    responses={
        202: {"model": ExportView, "description": "accepted; not finished yet"},
        **error_responses(403, 409),
    },
)
async def execute_export(
    request: Request, body: ExecuteRequest, principal: Integration, rt: RuntimeDep
) -> Response:
    """Execute the batch: customs package, artifacts, broker submission, warehouse notification."""
    check_account_scope(principal, body.accountId)
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        executed = await execution.execute(rt, write.intent, body.batchId)
        return await write.respond(200 if executed.finished else 202, executed.view)


@router.get("/{export_id}", response_model=ExportView, responses=error_responses(403))
async def inspect_export(export_id: str, principal: AnyRole, rt: RuntimeDep) -> Response:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow."""
    view = await reading.inspect(rt, principal.account_id, export_id)
    return Response(
        ExportView.model_validate(view).model_dump_json(), media_type="application/json"
    )


@router.get("", response_model=ExportPage, responses=error_responses(403))
async def list_exports(
    principal: AnyRole,
    rt: RuntimeDep,
    status: StatusFilter = None,
    readinessState: StatusFilter = None,
    cursor: TimeCursor = None,
    limit: Limit = 50,
) -> ExportPage:
    """Exports of the account in creation order (oldest first), filtered by status and readiness."""
    page = await reading.list_exports(
        rt,
        principal.account_id,
        status=status,
        readiness=readinessState,
        after=read_time_cursor(cursor),
        limit=limit,
    )
    last = page.last
    return ExportPage.model_validate(
        {"data": page.data, "nextCursor": time_cursor(last.created_at, last.id) if last else None}
    )


@router.get("/{export_id}/events", response_model=EventPage, responses=error_responses(403))
async def list_export_events(
    export_id: str,
    principal: AnyRole,
    rt: RuntimeDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    """Events after `after` (a seq), in order."""
    page = await reading.list_events(rt, principal.account_id, export_id, after=after, limit=limit)
    return EventPage.model_validate({"data": page.data, "nextAfter": page.next_after})
