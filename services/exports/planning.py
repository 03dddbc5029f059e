"""Plan, dry-run and re-plan an export (CONTRACT §9.1)."""

import asyncio
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain import status as machine
from domain.planning.document import plan_document
from domain.planning.planner import plan as run_planner
from domain.rulepack.model import pack_for
from domain.wire import rfc3339
from services.context import Context, Intent
from services.errors import Conflict, Unavailable
from services.exports import guards, review_work
from services.exports.views import as_plan, plan_view
from services.models.exports import Plan, PlanRequest, ReplanRequest
from services.temporal import WorkflowClosed, bounded
from store import exports
from store.db import Pool
from store.ids import derived_id, new_id
from store.records import ExportRecord
from store.review_escalation import escalation_chain
from store.snapshots import load_snapshot, screening_list_for
from workflows.export import ExportWorkflow
from workflows.messages import ExportInput, ReplanInput


@dataclass(frozen=True)
class NewPlan:
    """What a plan asks for."""

    warehouse_id: str
    broker_id: str
    destination_country: str
    order_ids: list[str]


@dataclass(frozen=True)
class PlanChange:
    """What a plan or re-plan asks for; on a re-plan, unset fields keep their value."""

    warehouse_id: str | None = None
    broker_id: str | None = None
    destination_country: str | None = None
    order_ids: list[str] | None = None


@dataclass(frozen=True)
class Planned:
    """A plan document; `created` when this request started the export."""

    document: Plan
    created: bool = False


async def _dry_run(ctx: Context, change: NewPlan) -> Planned:
    """The plan the request would make, computed without persisting anything."""
    async with ctx.connect() as conn:
        snapshot = await load_snapshot(
            conn,
            ctx.account_id,
            change.warehouse_id,
            change.broker_id,
            change.destination_country,
            change.order_ids,
        )
        screening = await screening_list_for(conn, snapshot)
    now = datetime.now(UTC)
    outcome = run_planner(snapshot, pack_for(now.date()), now.date(), screening)
    return Planned(as_plan(plan_document(None, None, outcome, rfc3339(now))))


async def plan(ctx: Context, body: PlanRequest) -> Planned:
    """POST /plan: a dry run, a new export, or (with `batchId`) a re-plan of that export."""
    change = NewPlan(
        warehouse_id=body.warehouse_id,
        broker_id=body.broker_id,
        destination_country=body.destination_country,
        order_ids=body.order_ids,
    )
    batch_id, dry = body.batch_id, body.dry_run
    await guards.check_references(ctx, change.warehouse_id, change.broker_id)
    if dry:
        return await _dry_run(ctx, change)
    if batch_id is not None:
        export = await guards.load(ctx, batch_id)
        guards.check(machine.refuse_before_execution("re-plan", export.status), export)
        return await _replan(ctx, export, PlanChange(**vars(change)))
    return await _start(ctx, change)


async def _start(ctx: Context, change: NewPlan) -> Planned:
    """Start the export's workflow, which plans and persists (update-with-start)."""
    settings = ctx.settings
    export_id = _export_id(ctx.intent)
    client = await ctx.temporal.client()
    async with ctx.connect() as conn:  # the database's clock, which stamps created_at
        started = await exports.database_now(conn)
        chain = await escalation_chain(conn, ctx.account_id)
    operation = WithStartWorkflowOperation(
        ExportWorkflow.run,
        ExportInput(
            export_id=export_id,
            account_id=ctx.account_id,
            warehouse_id=change.warehouse_id,
            broker_id=change.broker_id,
            destination_country=change.destination_country,
            order_ids=change.order_ids,
            actor=ctx.actor,
            plan_ttl_seconds=settings.plan_ttl_seconds,
            ack_window_seconds=settings.ack_window_seconds,
            retry_budget_seconds=settings.retry_budget_seconds,
            review_deadline_seconds=settings.review_deadline_seconds,
            review_two_keys_above_usd=settings.review_two_keys_above_usd,
            review_escalate_after_seconds=chain.escalate_after_seconds if chain else None,
        ),
        id=f"export-{export_id}",
        task_queue=settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        # a plan abandoned after a 503 is terminated: the same request may start it afresh
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    created = True
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
        created = False  # the key's export finished long ago: answer its plan
    except Unavailable:
        with suppress(BaseException):  # the start's own future holds the same failure
            async with asyncio.timeout(0.1):
                await operation.workflow_handle()
        await abandon(ctx.pool, client, export_id, started)
        raise
    # the plan as stored, read alone: the answer needs none of the row's other columns
    async with ctx.connect() as conn:
        document = await exports.get_plan(conn, ctx.account_id, export_id)
    return Planned(as_plan(document), created)


async def replan(ctx: Context, export_id: str, body: ReplanRequest) -> Planned:
    """Plan the export again (changed inputs, or the current data) until execution starts."""
    change = PlanChange(
        warehouse_id=body.warehouse_id,
        broker_id=body.broker_id,
        destination_country=body.destination_country,
        order_ids=body.order_ids,
    )
    export = await guards.load(ctx, export_id)
    guards.check(machine.refuse_before_execution("re-plan", export.status), export)
    await guards.check_references(
        ctx,
        change.warehouse_id or export.warehouse_id,
        change.broker_id or export.broker_id,
    )
    return await _replan(ctx, export, change)


async def _replan(ctx: Context, export: ExportRecord, change: PlanChange) -> Planned:
    export_id = export.id
    client = await ctx.temporal.client()
    handle = client.get_workflow_handle_for(ExportWorkflow.run, export.workflow_id)
    message = ReplanInput(
        order_ids=change.order_ids,
        warehouse_id=change.warehouse_id,
        broker_id=change.broker_id,
        destination_country=change.destination_country,
        actor=ctx.actor,
    )
    try:
        await bounded(
            handle.execute_update(ExportWorkflow.replan, message, id=ctx.message_id("replan")),
            ctx.settings.temporal_call_timeout_seconds,
        )
    except WorkflowClosed as exc:
        raise await guards.explained(ctx, export_id, guards.closed()) from exc
    except Conflict as exc:
        raise await guards.explained(ctx, export_id, exc) from exc
    fresh = await guards.load(ctx, export_id)
    # a new plan answers the changes a reviewer asked for: the export goes back to them
    await review_work.plan_arrived(ctx, fresh)
    return Planned(plan_view(fresh))


def _export_id(intent: Intent) -> str:
    """A new id; with an idempotency key, the same id for the same key and request."""
    if intent.key is None:
        return new_id("exp")
    return derived_id("exp", intent.account_id, intent.key, intent.digest.hex())


async def abandon(
    pool: Pool, client: Client, export_id: str, started: datetime | None = None
) -> None:
    """The client was told 503: stop the workflow so no export it never saw appears later.

    An export that existed before this request began (the same key and request, sent again
    after its idempotency record expired) is someone's live export: it is left alone.
    """
    with suppress(Exception):  # best effort: see docs/decisions.md, "Known gaps"
        async with pool.acquire() as conn:
            if started is not None and await exports.created_before(conn, export_id, started):
                return
        async with asyncio.timeout(5):
            await client.get_workflow_handle(f"export-{export_id}").terminate(
                reason="plan request answered 503"
            )
        async with pool.acquire() as conn:
            await exports.abandon(conn, export_id)
