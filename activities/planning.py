"""Planning: load the snapshot, run the pure planner, persist the plan and its events."""

from typing import Any

from temporalio import activity

from config.settings import Settings
from domain.activities import ActivityName
from domain.planning.document import PlanDocument, plan_document
from domain.planning.planner import plan
from domain.review_policy import approvals_required
from domain.rulepack.model import pack_for
from domain.status import status_after_planning
from domain.wire import rfc3339
from store.db import Pool
from store.exports import NewEvent, append_events, lock_export, save_plan
from store.snapshots import load_snapshot, screening_list_for
from workflows.messages import Approval, PlanExportInput, PlanSummary, plan_approval


class PlanningActivities:
    """The planning step of the export workflow; the review policy's threshold is the one the
    export was started with, else this worker's setting."""

    def __init__(self, pool: Pool, settings: Settings | None = None) -> None:
        self.pool = pool
        self.threshold_usd = (settings or Settings()).review_two_keys_above_usd

    @activity.defn(name=ActivityName.PLAN_EXPORT)
    async def plan_export(self, inp: PlanExportInput) -> PlanSummary:
        """Plan (or re-plan) the export and persist it; a retried first plan returns the stored one."""
        async with self.pool.acquire() as conn, conn.transaction():
            existing = await lock_export(conn, inp.export_id)
            if existing is not None and not inp.replan:
                return _summary(existing.plan, existing.approval)
            snapshot = await load_snapshot(
                conn,
                inp.account_id,
                inp.warehouse_id,
                inp.broker_id,
                inp.destination_country,
                inp.order_ids,
            )
            screening = await screening_list_for(conn, snapshot)
            outcome = plan(
                snapshot, pack_for(inp.plan_date.date()), inp.plan_date.date(), screening
            )
            status = status_after_planning(outcome.readiness_state)
            document = plan_document(inp.export_id, status, outcome, rfc3339(inp.plan_date))
            threshold = inp.review_two_keys_above_usd
            required, reasons = approvals_required(
                document, self.threshold_usd if threshold is None else threshold
            )
            summary = PlanSummary.of(document, required, reasons)
            await save_plan(
                conn,
                export_id=inp.export_id,
                account_id=inp.account_id,
                warehouse_id=inp.warehouse_id,
                broker_id=inp.broker_id,
                destination=inp.destination_country,
                order_ids=inp.order_ids,
                plan=document,
                approval=plan_approval(summary, inp.review_deadline_seconds),
            )
            data: dict[str, Any] = {
                "planHash": outcome.plan_hash,
                "readinessState": outcome.readiness_state,
            }
            if required >= 2:
                data["approvalsRequired"] = required
                data["fourEyesReasons"] = reasons
            if inp.replan:
                previous = existing.plan_hash if existing is not None else None
                events = [
                    NewEvent(
                        "EXPORT_REPLANNED",
                        f"{inp.dedupe_key}:EXPORT_REPLANNED",
                        inp.actor,
                        {**data, "previousPlanHash": previous},
                    )
                ]
            else:
                events = [
                    NewEvent("EXPORT_PLANNED", f"{inp.dedupe_key}:EXPORT_PLANNED", inp.actor, data),
                    NewEvent(
                        "EXPORT_BATCH_CREATED",
                        f"{inp.dedupe_key}:EXPORT_BATCH_CREATED",
                        inp.actor,
                        {"orderIds": outcome.included_order_ids},
                    ),
                ]
            await append_events(conn, inp.export_id, events, inp.plan_date)
            return summary


def _summary(plan: PlanDocument, approval: Approval) -> PlanSummary:
    """The workflow's summary of a stored plan (with its stored review policy, if any)."""
    reasons = approval.policy.reasons if approval.policy else []
    return PlanSummary.of(plan, approval.approvals_required or 1, reasons)
