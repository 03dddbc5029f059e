"""Decisions on many exports at once (the queue's **Approve selected** and **Reject selected**):
each export is decided on its own by the same use case as one by one
(`services/exports/decisions.py`: the same refusals, four eyes per export, the same events),
bound to the planHash the reviewer saw; a plan that changed since is skipped and said so."""

import asyncio
from dataclasses import replace

from domain.status import ApprovalState, ExportStatus
from services.context import Context
from services.errors import Invalid, Issue, ServiceError
from services.exports import decisions, guards, reviews
from services.models.exports import ApproveRequest, RejectRequest
from services.models.review_work import (
    BulkDecision,
    BulkItem,
    BulkOutcome,
    BulkOutcomeKind,
    BulkResult,
)
from store.errors import NotFound

# exports decided at the same time: each is a workflow update and a few short reads
CONCURRENCY = 8
CHANGED = "PLAN_HASH_MISMATCH"
# the orders or products changed since the plan was made (services/exports/guards.py)
OUTDATED = "PLAN_OUTDATED"
SKIPPED = "The plan changed after the page was shown: review the new plan."


async def decide_many(ctx: Context, body: BulkDecision) -> BulkResult:
    """Approve or reject each export of `body.items` (a reject needs `reason`); the outcome of
    each, in the order asked. Under an idempotency key, each export's workflow update derives
    from the key and the export, so the same request decides each export once."""
    if body.action == "reject" and not (body.reason or "").strip():
        raise Invalid([Issue("reason", "A rejection needs a reason.", "required")])
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: BulkItem) -> BulkOutcome:
        async with gate:
            return await _decide_one(_for_export(ctx, item.export_id), body, item)

    return BulkResult(
        action=body.action, results=list(await asyncio.gather(*(one(i) for i in body.items)))
    )


def _for_export(ctx: Context, export_id: str) -> Context:
    """The request's context for one of its exports: its own idempotency key (hence update id)."""
    key = ctx.intent.key
    intent = replace(ctx.intent, key=f"{key}:{export_id}" if key is not None else None)
    return replace(ctx, intent=intent, conn=None)


async def _decide_one(ctx: Context, body: BulkDecision, item: BulkItem) -> BulkOutcome:
    export_id = item.export_id
    try:
        export = await guards.load(ctx, export_id)
    except NotFound:
        return BulkOutcome(
            export_id=export_id,
            outcome="refused",
            code="NOT_FOUND",
            message="Your account has no such export.",
        )
    if export.plan_hash != item.plan_hash:
        return BulkOutcome(
            export_id=export_id,
            outcome="skipped",
            status=export.status,
            approval_state=export.approval.state,
            code=CHANGED,
            message=SKIPPED,
        )
    try:
        if body.action == "approve":
            await reviews.record_review(ctx, export, "approved")
            # the planHash is compared, not validated: another one is the service's mismatch
            approval = ApproveRequest.model_construct(
                plan_hash=item.plan_hash, comment=body.comment
            )
            decided = await decisions.approve(ctx, export_id, approval)
        else:
            await reviews.record_review(ctx, export, "rejected")
            rejection = RejectRequest(reason=(body.reason or "").strip()[:2000])
            decided = await decisions.reject(ctx, export_id, rejection)
    except ServiceError as exc:
        outdated = (exc.details or {}).get("reason") == OUTDATED
        return BulkOutcome(
            export_id=export_id,
            outcome="skipped" if exc.code == CHANGED or outdated else "refused",
            status=export.status,
            approval_state=export.approval.state,
            code=OUTDATED if outdated else exc.code,
            message=SKIPPED if exc.code == CHANGED else exc.message,
        )
    view = decided.view
    state = str(view.approval.get("state") or "")
    return BulkOutcome(
        export_id=export_id,
        outcome=_outcome(body, state, view.status, done=decided.done),
        status=view.status,
        approval_state=state or None,
        message=_said(body, state, done=decided.done),
    )


def _outcome(
    body: BulkDecision, state: str, status: ExportStatus, *, done: bool
) -> BulkOutcomeKind:
    if not done:
        return "pending"
    if body.action == "reject":
        return "rejected" if status == ExportStatus.REJECTED else "pending"
    if state == ApprovalState.PARTIALLY_APPROVED:
        return "partially_approved"
    return "approved" if state == ApprovalState.APPROVED else "pending"


def _said(body: BulkDecision, state: str, *, done: bool) -> str:
    if not done:
        return "Sent; the workflow is still taking it."
    if body.action == "reject":
        return "Rejected."
    if state == ApprovalState.PARTIALLY_APPROVED:
        return "Approved by you; four eyes: a second reviewer must approve too."
    return "Approved."
