"""Exports: plan, execute, inspect, list, events (CONTRACT §9.1–§9.4)."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import AnyRoleCall, IntegrationWrite, check_account_scope
from api.idempotency import Answer, Sent
from api.openapi import error_responses
from api.pagination import Limit, TimeCursor, read_time_cursor, time_cursor
from api.schemas.exports import EventPage, ExecuteRequest, ExportPage, ExportView, Plan, PlanRequest
from services.exports import execution, planning, reading
from services.exports.reading import EventQuery, ExportQuery

router = APIRouter(prefix="/api/exports", tags=["exports"])

StatusFilter = Annotated[str | None, Query(pattern=r"^[A-Z_]{3,32}$")]


def planned(answer: planning.Planned) -> Answer[Plan]:
    """201 when the request started the export; 200 for a dry run, a re-plan or the key's
    export planned long ago."""
    return Answer(answer.document, 201 if answer.created else 200)


def executed(answer: execution.Executed) -> Answer[ExportView]:
    """202 while the package and artifacts are still being made (or an approval is awaited)."""
    return Answer(answer.view, 200 if answer.finished else 202)


@router.post(
    "/plan",
    response_model=Plan,
    status_code=201,
    responses={
        200: {"model": Plan, "description": "dry run, re-plan or replay"},
        **error_responses(403, 409),
    },
)
async def plan_export(body: PlanRequest, write: IntegrationWrite) -> Sent[Plan]:
    """Plan an export (or re-plan `batchId`); `dryRun` computes without persisting anything."""
    check_account_scope(write.principal, body.account_id)
    return await write.with_lease(body, lambda ctx: planning.plan(ctx, body), planned)


@router.post(
    "/execute",
    response_model=ExportView,
    responses={
        202: {"model": ExportView, "description": "accepted; not finished yet"},
        **error_responses(403, 409),
    },
)
async def execute_export(body: ExecuteRequest, write: IntegrationWrite) -> Sent[ExportView]:
    """Execute the batch: customs package, artifacts, broker submission, warehouse notification."""
    check_account_scope(write.principal, body.account_id)
    return await write.with_lease(body, lambda ctx: execution.execute(ctx, body), executed)


@router.get("/{export_id}", response_model=ExportView, responses=error_responses(403))
async def inspect_export(export_id: str, ctx: AnyRoleCall, live: bool = False) -> ExportView:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow;
    with `live=true` the workflow is also asked its state (bounded; `workflow.live` says if it
    answered)."""
    return await reading.inspect(ctx, export_id, live=live)


@router.get("", response_model=ExportPage, responses=error_responses(403))
async def list_exports(
    ctx: AnyRoleCall,
    status: StatusFilter = None,
    readinessState: StatusFilter = None,
    cursor: TimeCursor = None,
    limit: Limit = 50,
) -> ExportPage:
    """Exports of the account in creation order (oldest first), filtered by status and readiness."""
    query = ExportQuery(status, readinessState, read_time_cursor(cursor), limit)
    page = await reading.list_exports(ctx, query)
    last = page.last
    return ExportPage(
        data=page.data, next_cursor=time_cursor(last.created_at, last.id) if last else None
    )


@router.get("/{export_id}/events", response_model=EventPage, responses=error_responses(403))
async def list_export_events(
    export_id: str,
    ctx: AnyRoleCall,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    """Events after `after` (a seq), in order."""
    return await reading.list_events(ctx, EventQuery(export_id, after, limit))
