"""Exports: plan, execute, inspect, list, events (CONTRACT §9.1–§9.4)."""

import asyncio
from contextlib import suppress
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from temporalio.client import WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import AnyRole, Integration, PoolDep, SettingsDep, TemporalDep, check_account_scope
from api.errors import ApiError
from api.idempotency import Write, begin_workflow_write
from api.openapi import error_responses
from api.pagination import Limit, TimeCursor, read_time_cursor, time_cursor
from api.schemas.exports import EventPage, ExecuteRequest, ExportPage, ExportView, Plan, PlanRequest
from api.temporal_calls import WorkflowClosed, bounded, run_update
from api.views import event_view, inspect_view, summary_view
from config.settings import Settings
from domain import status as machine
from domain.planning.planner import plan as run_planner
from domain.rulepack.model import pack_for
from domain.wire import rfc3339
from store import exports
from store.accounts import Principal
from store.ids import derived_id, new_id
from store.reference import get_broker_row, get_warehouse_row
from store.snapshots import data_plan_hash, load_snapshot
from workflows.export import ExportWorkflow
from workflows.messages import ExecutionRequest, ExportInput, ReplanInput

router = APIRouter(prefix="/api/exports", tags=["exports"])

StatusFilter = Annotated[str | None, Query(pattern=r"^[A-Z_]{3,32}$")]


async def check_references(
    conn: Any, principal: Principal, warehouse_id: str, broker_id: str
) -> None:
    """403 INVALID_ACCOUNT_SCOPE for a warehouse or broker outside the key's account."""
    if await get_warehouse_row(conn, principal.account_id, warehouse_id) is None:
        raise ApiError(
            403,
            "INVALID_ACCOUNT_SCOPE",
            "warehouseId is not a warehouse of this account.",
            field="warehouseId",
        )
    if await get_broker_row(conn, principal.account_id, broker_id) is None:
        raise ApiError(
            403,
            "INVALID_ACCOUNT_SCOPE",
            "brokerId is not a broker of this account.",
            field="brokerId",
        )


async def refuse_outdated(conn: Any, row: Any) -> None:
    """409 when the orders or products changed since planning: what would be executed (or
    approved) is no longer what was planned; the client re-plans first."""
    if row["status"] not in machine.UNDECIDED:
        return
    current = await data_plan_hash(conn, row)
    if current != row["plan_hash"]:
        raise ApiError(
            409,
            "INVALID_EXPORT_STATE",
            "Orders or products changed since this plan was made; re-plan first.",
            details={
                "status": row["status"],
                "reason": "PLAN_OUTDATED",
                "planHash": row["plan_hash"],
                "dataPlanHash": current,
            },
        )


def refusal_error(refusal: machine.Refusal, row: Any) -> ApiError:
    """The 409 for an action the export's status does not allow."""
    details: dict[str, Any] = {"status": row["status"]}
    if refusal.code == "EXPORT_BLOCKED":
        details = {
            "readinessState": row["readiness_state"],
            "validationMessages": row["plan"].get("validationMessages", []),
        }
    return ApiError(409, refusal.code, refusal.message, details=details)


async def with_details(write: Write, export_id: str, exc: ApiError) -> ApiError:
    """Give a 409 the workflow raised (a race the database check could not see) the contract's
    details, from the export as it is now; returns the same error."""
    if exc.status == 409 and exc.details is None and exc.code != "PLAN_HASH_MISMATCH":
        async with write.connect() as conn:
            row = await exports.get_export_row(conn, write.principal.account_id, export_id)
        exc.details = refusal_error(machine.Refusal(exc.code, exc.message), row).details
    return exc


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
    request: Request,
    body: PlanRequest,
    principal: Integration,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Plan an export (or re-plan `batchId`); `dryRun` computes without persisting anything."""
    check_account_scope(principal, body.accountId)
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        async with write.connect() as conn:
            await check_references(conn, principal, body.warehouseId, body.brokerId)
            if body.dryRun:
                plan = await _dry_run(conn, principal.account_id, body)
        if body.dryRun:
            return await write.respond(200, plan)
        if body.batchId is not None:
            return await _replan(write, body, temporal, settings)
        return await _start(write, request, body, temporal, settings)


async def _dry_run(conn: Any, account_id: str, body: PlanRequest) -> dict[str, Any]:
    snapshot = await load_snapshot(
        conn, account_id, body.warehouseId, body.brokerId, body.destinationCountry, body.orderIds
    )
    now = datetime.now(UTC)
    outcome = run_planner(snapshot, pack_for(now.date()), now.date())
    return {
        "exportId": None,
        "batchId": None,
        "status": None,
        **outcome.model_dump(mode="json"),
        "plannedAt": rfc3339(now),
    }


def export_id_for(write: Write, request: Request, body: PlanRequest) -> str:
    """A new id; with an idempotency key, the same id for the same key and request."""
    if write.key is None:
        return new_id("exp")
    return derived_id("exp", write.principal.account_id, write.key, write.digest.hex())


async def _start(
    write: Write, request: Request, body: PlanRequest, temporal: TemporalDep, settings: Settings
) -> Response:
    principal = write.principal
    export_id = export_id_for(write, request, body)
    client = await temporal.client()
    async with write.connect() as conn:  # the database's clock, which stamps created_at
        started = await conn.fetchval("SELECT clock_timestamp()")
    operation = WithStartWorkflowOperation(
        ExportWorkflow.run,
        ExportInput(
            exportId=export_id,
            accountId=principal.account_id,
            warehouseId=body.warehouseId,
            brokerId=body.brokerId,
            destinationCountry=body.destinationCountry,
            orderIds=body.orderIds,
            actor=principal.key_id,
            planTtlSeconds=settings.plan_ttl_seconds,
            ackWindowSeconds=settings.ack_window_seconds,
            retryBudgetSeconds=settings.retry_budget_seconds,
        ),
        id=f"export-{export_id}",
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # a plan abandoned after a 503 is terminated: the same request may start it afresh
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    status = 201
    try:
        await bounded(
            client.execute_update_with_start_workflow(
                ExportWorkflow.get_plan, start_workflow_operation=operation
            ),
            settings.temporal_call_timeout_seconds,
        )
    except WorkflowAlreadyStartedError:
        with suppress(WorkflowAlreadyStartedError):
            await operation.workflow_handle()
        status = 200  # the key's export finished long ago: answer its plan
    except ApiError as exc:
        if exc.code == "SERVICE_UNAVAILABLE":
            with suppress(BaseException):  # the start's own future holds the same failure
                async with asyncio.timeout(0.1):
                    await operation.workflow_handle()
            await abandon_plan(client, export_id, write, started)
        raise
    async with write.connect() as conn:
        row = await exports.get_export_row(conn, principal.account_id, export_id)
    return await write.respond(status, row["plan"])


async def abandon_plan(
    client: Any, export_id: str, write: Write, started: datetime | None = None
) -> None:
    """The client was told 503: stop the workflow so no export it never saw appears later.

    An export that existed before this request began (the same key and request, sent again
    after its idempotency record expired) is someone's live export: it is left alone.
    """
    with suppress(Exception):  # best effort: see docs/decisions.md, "Known gaps"
        async with write.connect() as conn:
            existing = await conn.fetchrow(
                "SELECT created_at FROM exports WHERE id = $1", export_id
            )
        if existing is not None and started is not None and existing["created_at"] < started:
            return
        async with asyncio.timeout(5):
            await client.get_workflow_handle(f"export-{export_id}").terminate(
                reason="plan request answered 503"
            )
        async with write.connect() as conn:
            await exports.abandon(conn, export_id)


async def _replan(
    write: Write, body: PlanRequest, temporal: TemporalDep, settings: Settings
) -> Response:
    assert body.batchId is not None
    async with write.connect() as conn:
        row = await exports.get_export_row(conn, write.principal.account_id, body.batchId)
    refusal = machine.refuse_before_execution("re-plan", row["status"])
    if refusal is not None:
        raise refusal_error(refusal, row)
    change = ReplanInput(
        orderIds=body.orderIds,
        warehouseId=body.warehouseId,
        brokerId=body.brokerId,
        destinationCountry=body.destinationCountry,
        actor=write.principal.key_id,
    )
    await replan_workflow(write, row, change, temporal, settings)
    async with write.connect() as conn:
        fresh = await exports.get_export_row(conn, write.principal.account_id, body.batchId)
    return await write.respond(200, {**fresh["plan"], "status": fresh["status"]})


async def replan_workflow(
    write: Write, row: Any, change: ReplanInput, temporal: TemporalDep, settings: Settings
) -> None:
    """Send the `replan` update (its id derived from the idempotency key when there is one)."""
    client = await temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, row["workflow_id"])
    try:
        await bounded(
            handle.execute_update(ExportWorkflow.replan, change, id=write.message_id("replan")),
            settings.temporal_call_timeout_seconds,
        )
    except WorkflowClosed as exc:
        raise await with_details(
            write, row["id"], ApiError(409, "INVALID_EXPORT_STATE", "The export is closed.")
        ) from exc
    except ApiError as exc:
        await with_details(write, row["id"], exc)
        raise


@router.post(
    "/execute",
    response_model=ExportView,
    responses={
        202: {"model": ExportView, "description": "accepted; not finished yet"},
        **error_responses(403, 409),
    },
)
async def execute_export(
    request: Request,
    body: ExecuteRequest,
    principal: Integration,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> Response:
    """Execute the batch: customs package, artifacts, broker submission, warehouse notification."""
    check_account_scope(principal, body.accountId)
    async with begin_workflow_write(request, principal, body) as write:
        if write.replayed:
            return write.replayed
        async with write.connect() as conn:
            row = await exports.get_export_row(conn, principal.account_id, body.batchId)
            refusal = machine.refuse_execute(row["status"], row["readiness_state"])
            if refusal is not None:
                raise refusal_error(refusal, row)
            await refuse_outdated(conn, row)
        client = await temporal.client()
        handle = client.get_workflow_handle_for(ExportWorkflow.run, row["workflow_id"])
        wait = settings.execute_wait_seconds
        awaiting = False
        try:
            answer = await run_update(
                handle,
                ExportWorkflow.request_execution,
                ExecutionRequest(actor=principal.key_id, waitSeconds=wait),
                update_id=write.message_id("execute"),
                accept_within=settings.temporal_call_timeout_seconds,
                result_within=wait + 5,
            )
            awaiting = answer is not None and answer.awaitingApproval
        except WorkflowClosed:
            pass  # finished long ago: answer the view as it stands
        except ApiError as exc:
            await with_details(write, body.batchId, exc)
            raise
        async with write.connect() as conn:
            fresh = await exports.get_export_row(conn, principal.account_id, body.batchId)
            view = await inspect_view(conn, fresh, client)
        done = view["customs_package_id"] is not None and len(view["artifacts"]) > 0
        return await write.respond(200 if done and not awaiting else 202, view)


@router.get("/{export_id}", response_model=ExportView, responses=error_responses(403))
async def inspect_export(
    export_id: str, principal: AnyRole, pool: PoolDep, temporal: TemporalDep
) -> Response:
    """The export as it stands: plan, approval, package, artifacts, submission, events, workflow."""
    client = await temporal.client_or_none()
    async with pool.acquire() as conn:
        row = await exports.get_export_row(conn, principal.account_id, export_id)
        view = await inspect_view(conn, row, client)
    return Response(
        ExportView.model_validate(view).model_dump_json(), media_type="application/json"
    )


@router.get("", response_model=ExportPage, responses=error_responses(403))
async def list_exports(
    principal: AnyRole,
    pool: PoolDep,
    status: StatusFilter = None,
    readinessState: StatusFilter = None,
    cursor: TimeCursor = None,
    limit: Limit = 50,
) -> ExportPage:
    """Exports of the account in creation order (oldest first), filtered by status and readiness."""
    after = read_time_cursor(cursor)
    async with pool.acquire() as conn:
        rows = await exports.list_export_rows(
            conn, principal.account_id, status, readinessState, after, limit
        )
    last = rows[-1] if len(rows) == limit else None
    return ExportPage.model_validate(
        {
            "data": [summary_view(r) for r in rows],
            "nextCursor": time_cursor(last["created_at"], last["id"]) if last else None,
        }
    )


@router.get("/{export_id}/events", response_model=EventPage, responses=error_responses(403))
async def list_export_events(
    export_id: str,
    principal: AnyRole,
    pool: PoolDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EventPage:
    """Events after `after` (a seq), in order."""
    async with pool.acquire() as conn:
        await exports.get_export_row(conn, principal.account_id, export_id)
        rows = await exports.list_events(conn, export_id, after, limit)
    return EventPage.model_validate(
        {
            "data": [event_view(r) for r in rows],
            "nextAfter": rows[-1]["seq"] if len(rows) == limit else None,
        }
    )


async def wait_for_status(
    pool: Any, account_id: str, export_id: str, before: str, seconds: float
) -> Any:
    """Poll the projection until the status moves away from `before` (bounded); the last row."""
    loops = max(1, int(seconds / 0.05))
    row = None
    for _ in range(loops):
        async with pool.acquire() as conn:
            row = await exports.get_export_row(conn, account_id, export_id)
        if row["status"] != before:
            return row
        await asyncio.sleep(0.05)
    return row
