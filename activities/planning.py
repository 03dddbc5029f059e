"""Planning: load the snapshot, run the pure planner, persist the plan and its events."""

from typing import Any

from temporalio import activity

from config.settings import Settings
from domain.planning.document import plan_document
from domain.planning.planner import plan
from domain.review_policy import approvals_required
from domain.rulepack.model import pack_for
from domain.status import status_after_planning
from domain.wire import rfc3339
from store.exports import NewEvent, append_events, lock_export, save_plan
from store.pool import Pool
from store.snapshots import load_snapshot
from workflows.messages import PlanExportInput, PlanSummary, plan_approval


class PlanningActivities:
    """The planning step of the export workflow; the review policy's threshold is the one the
    export was started with, else this worker's setting."""

    def __init__(self, pool: Pool, settings: Settings | None = None) -> None:
        self.pool = pool
        self.threshold_usd = (settings or Settings()).review_two_keys_above_usd

    @activity.defn(name="plan_export")
    async def plan_export(self, inp: PlanExportInput) -> PlanSummary:
        """Plan (or re-plan) the export and persist it; a retried first plan returns the stored one."""
        async with self.pool.acquire() as conn, conn.transaction():
            existing = await lock_export(conn, inp.exportId)
            if existing is not None and not inp.replan:
                return _summary(existing.plan, existing.approval)
            snapshot = await load_snapshot(
                conn,
                inp.accountId,
                inp.warehouseId,
                inp.brokerId,
                inp.destinationCountry,
                inp.orderIds,
            )
            outcome = plan(snapshot, pack_for(inp.planDate.date()), inp.planDate.date())
            status = status_after_planning(outcome.readinessState)
            document = plan_document(inp.exportId, status, outcome, rfc3339(inp.planDate))
            threshold = inp.reviewTwoKeysAboveUsd
            required, reasons = approvals_required(
                document, self.threshold_usd if threshold is None else threshold
            )
            summary = _summary(document).model_copy(
                update={"approvalsRequired": required, "fourEyesReasons": reasons}
            )
            await save_plan(
                conn,
                export_id=inp.exportId,
                account_id=inp.accountId,
                warehouse_id=inp.warehouseId,
                broker_id=inp.brokerId,
                destination=inp.destinationCountry,
                order_ids=inp.orderIds,
                plan=document,
                approval=plan_approval(summary, inp.reviewDeadlineSeconds).model_dump(mode="json"),
            )
            data: dict[str, Any] = {
                "planHash": outcome.planHash,
                "readinessState": outcome.readinessState,
            }
            if required >= 2:
                data["approvalsRequired"] = required
                data["fourEyesReasons"] = reasons
            if inp.replan:
                previous = existing.plan_hash if existing is not None else None
                events = [
                    NewEvent(
                        "EXPORT_REPLANNED",
                        f"{inp.dedupeKey}:EXPORT_REPLANNED",
                        inp.actor,
                        {**data, "previousPlanHash": previous},
                    )
                ]
            else:
                events = [
                    NewEvent("EXPORT_PLANNED", f"{inp.dedupeKey}:EXPORT_PLANNED", inp.actor, data),
                    NewEvent(
                        "EXPORT_BATCH_CREATED",
                        f"{inp.dedupeKey}:EXPORT_BATCH_CREATED",
                        inp.actor,
                        {"orderIds": outcome.included_order_ids},
                    ),
                ]
            await append_events(conn, inp.exportId, events, inp.planDate)
            return summary


def _summary(document: dict[str, Any], approval: dict[str, Any] | None = None) -> PlanSummary:
    """The workflow's summary of a stored plan (with its stored review policy, if any)."""
    policy = (approval or {}).get("policy") or {}
    return PlanSummary(
        exportId=document["exportId"],
        planHash=document["planHash"],
        readinessState=document["readinessState"],
        status=document["status"],
        plannedAt=document["plannedAt"],
        approvalsRequired=(approval or {}).get("approvalsRequired") or 1,
        fourEyesReasons=policy.get("reasons") or [],
    )
