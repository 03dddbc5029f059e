"""What reviewers saw: a snapshot of the plan per review (a page view or a decision), and what
changed in the plan since the last review of an earlier plan."""

from dataclasses import dataclass
from datetime import datetime

from domain.planning.changes import PlanChanges, order_decisions, plan_changes
from services.context import Context
from store import console
from store.records import ExportRecord


@dataclass(frozen=True)
class SinceReview:
    """The changes from the plan last reviewed to the current one."""

    reviewed_plan_hash: str
    reviewed_by: str
    reviewed_at: datetime
    reason: str
    changes: PlanChanges


async def record_review(ctx: Context, export: ExportRecord, reason: str) -> None:
    """Remember the plan as the caller saw it (`viewed`, `approved`, `rejected`)."""
    async with ctx.connect() as conn:
        await console.add_snapshot(
            conn,
            export.id,
            ctx.actor,
            ctx.label,
            export.plan_hash,
            reason,
            order_decisions(export.plan),
        )


async def changes_since_review(ctx: Context, export: ExportRecord) -> SinceReview | None:
    """How the current plan differs from the last reviewed one: an earlier plan of this export
    that a reviewer saw, or else the plan of the newest rejected export that asked for any of the
    same orders (a resubmission). None when there is neither."""
    async with ctx.connect() as conn:
        last = await console.last_snapshot_of_other_plan(conn, export.id, export.plan_hash)
        rejected = None
        if last is None:
            rejected = await console.last_rejected_sharing_orders(
                conn, export.account_id, export.id, export.order_ids
            )
    current = order_decisions(export.plan)
    if last is not None:
        return SinceReview(
            reviewed_plan_hash=last.plan_hash,
            reviewed_by=last.label or last.key_id,
            reviewed_at=last.created_at,
            reason=last.reason,
            changes=plan_changes(last.decisions, current),
        )
    if rejected is not None:
        return SinceReview(
            reviewed_plan_hash=rejected.plan_hash,
            reviewed_by=rejected.approval.reviewer or "a reviewer",
            reviewed_at=rejected.updated_at,
            reason=f"rejected in {rejected.id}",
            changes=plan_changes(order_decisions(rejected.plan), current),
        )
    return None
