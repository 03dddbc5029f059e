"""Review work shared between people (docs/console.md "A shared queue"): claim, release and
assign an export's review, comments, and changes requested of a plan.

Each change is a row (store/review_work.py) and an export event appended in the same
transaction, under the export's row lock, so it is in the timeline, the account feed and the
webhooks like every other event: REVIEW_CLAIMED, REVIEW_RELEASED, REVIEW_ASSIGNED,
COMMENT_ADDED, CHANGES_REQUESTED, each with the planHash it was about. A new plan answers a
change request: the export goes back to the reviewer who asked (`plan_arrived`, called after
every re-plan)."""

from typing import Any

from domain import review_work as work
from domain import status as machine
from domain.planning.changes import order_decisions
from domain.review_work import ChangeRequest, HolderRefusal, Refused, ReviewHolder
from services.context import Context
from services.errors import Conflict, Invalid, Issue, NeedsRole
from services.exports import guards
from services.exports.views import event_view
from services.models.exports import Event
from services.models.review_work import (
    AssignRequest,
    ChangesRequest,
    ClaimRequest,
    CommentRequest,
    ReleaseRequest,
    ReviewWork,
)
from store import console, exports, review_work
from store.db import Connection
from store.errors import NotFound
from store.exports import NewEvent
from store.ids import new_id
from store.records import ExportRecord

LEAD_ROLE = "admin"


async def _locked(ctx: Context, conn: Connection, export_id: str) -> ExportRecord:
    """The export of the caller's account, its row locked for this transaction."""
    export = await exports.lock_export(conn, export_id)
    if export is None or export.account_id != ctx.account_id:
        raise NotFound("export")
    return export


async def _append(
    ctx: Context, conn: Connection, export_id: str, kind: str, data: dict[str, Any]
) -> Event:
    """Append one event by the caller; the event as written."""
    said = {k: v for k, v in data.items() if v is not None}
    event = NewEvent(kind, f"{kind}:{new_id('evt')}", ctx.actor, {**said, "label": ctx.label})
    await exports.append_events(conn, export_id, [event], await exports.database_now(conn))
    [written] = await exports.latest_events(conn, export_id, 1)
    return event_view(written)


def _check(refusal: HolderRefusal | None, holder: ReviewHolder | None) -> None:
    if refusal is None:
        return
    if refusal.why is Refused.NEEDS_LEAD:
        raise NeedsRole(refusal.message, role=LEAD_ROLE)
    details = holder.model_dump(mode="json") if holder is not None else None
    raise Conflict("REVIEW_HELD", refusal.message, details={"holder": details})


def _open_for_work(export: ExportRecord, action: str) -> None:
    """A final export's review is over: nobody claims or is assigned it."""
    if export.status in machine.FINAL:
        raise Conflict(
            "INVALID_EXPORT_STATE",
            f"Cannot {action} an export in status {export.status}.",
            details={"status": export.status},
        )


async def _hold(
    ctx: Context, conn: Connection, export: ExportRecord, holder: ReviewHolder, kind: str
) -> ReviewWork:
    """`holder` holds the export from now, and the event says who gave it to whom."""
    previous = await review_work.holder_of(conn, export.id)
    await review_work.set_holder(conn, ctx.account_id, export.id, holder)
    data = {
        "to": holder.actor,
        "toLabel": holder.label,
        "from": previous.actor if previous is not None else None,
        "fromLabel": previous.label if previous is not None else None,
        "planHash": export.plan_hash,
    }
    await _append(ctx, conn, export.id, kind, data)
    return ReviewWork(export_id=export.id, holder=holder)


async def claim_review(ctx: Context, export_id: str, body: ClaimRequest) -> ReviewWork:
    """Take the export's review; refused (409 REVIEW_HELD) while someone else holds it.
    Claiming one's own again changes nothing."""
    async with ctx.transaction() as conn:
        export = await _locked(ctx, conn, export_id)
        holder = await review_work.holder_of(conn, export_id)
        _check(work.refuse_claim(holder, ctx.actor), holder)
        if holder is not None:
            return ReviewWork(export_id=export_id, holder=holder)
        _open_for_work(export, "claim")
        mine = ReviewHolder(
            actor=ctx.actor, label=ctx.label, since=await exports.database_now(conn)
        )
        return await _hold(ctx, conn, export, mine, work.REVIEW_CLAIMED)


async def release_review(ctx: Context, export_id: str, body: ReleaseRequest) -> ReviewWork:
    """Nobody holds the export's review any more: its holder, or a lead, lets it go. Releasing
    an export nobody holds changes nothing."""
    async with ctx.transaction() as conn:
        export = await _locked(ctx, conn, export_id)
        holder = await review_work.holder_of(conn, export_id)
        lead = work.is_lead(ctx.principal.roles)
        _check(work.refuse_release(holder, ctx.actor, lead), holder)
        if holder is None:
            return ReviewWork(export_id=export_id, holder=None)
        await review_work.clear_holder(conn, export_id)
        data = {"from": holder.actor, "fromLabel": holder.label, "planHash": export.plan_hash}
        await _append(ctx, conn, export.id, work.REVIEW_RELEASED, data)
        return ReviewWork(export_id=export_id, holder=None)


async def assign_review(ctx: Context, export_id: str, body: AssignRequest) -> ReviewWork:
    """`assignee` (a reviewer of the account) holds the export's review. A lead assigns anyone,
    over any hold; anyone else only themselves, and only when nobody else holds it."""
    async with ctx.transaction() as conn:
        export = await _locked(ctx, conn, export_id)
        holder = await review_work.holder_of(conn, export_id)
        lead = work.is_lead(ctx.principal.roles)
        _check(work.refuse_assign(holder, ctx.actor, body.assignee, lead), holder)
        if holder is not None and holder.actor == body.assignee:
            return ReviewWork(export_id=export_id, holder=holder)
        _open_for_work(export, "assign")
        people = {r.actor: r.label for r in await review_work.reviewers(conn, ctx.account_id)}
        if body.assignee not in people:
            raise Invalid(
                [
                    Issue(
                        "assignee",
                        "assignee is not a reviewer of this account (a key with the reviewer "
                        "role that is not revoked).",
                        "invalid",
                    )
                ]
            )
        mine = body.assignee == ctx.actor
        given = ReviewHolder(
            actor=body.assignee,
            label=people[body.assignee],
            since=await exports.database_now(conn),
            assigned_by=None if mine else ctx.actor,
            assigned_by_label=None if mine else ctx.label,
        )
        return await _hold(ctx, conn, export, given, work.REVIEW_ASSIGNED)


async def add_comment(ctx: Context, export_id: str, body: CommentRequest) -> Event:
    """A comment on the export, an event in its timeline (COMMENT_ADDED)."""
    async with ctx.transaction() as conn:
        export = await _locked(ctx, conn, export_id)
        data = {"text": body.text, "by": ctx.actor, "planHash": export.plan_hash}
        return await _append(ctx, conn, export.id, work.COMMENT_ADDED, data)


async def request_changes(ctx: Context, export_id: str, body: ChangesRequest) -> Event:
    """Ask for changes to the current plan (CHANGES_REQUESTED, with the reason codes, who and
    the planHash: the integrator hears of it by its webhooks and the feed). The plan the
    reviewer saw is remembered, so when a new plan arrives the export goes back to them and
    its page shows what changed."""
    async with ctx.transaction() as conn:
        export = await _locked(ctx, conn, export_id)
        guards.check(machine.refuse_before_execution("request changes to", export.status), export)
        now = await exports.database_now(conn)
        asked = ChangeRequest(
            requested_by=ctx.actor,
            label=ctx.label,
            plan_hash=export.plan_hash,
            reason_codes=body.reason_codes,
            comment=body.comment,
            requested_at=now,
        )
        await review_work.add_change_request(conn, export.id, asked)
        await console.add_snapshot(
            conn,
            export.id,
            ctx.actor,
            ctx.label,
            export.plan_hash,
            "changes requested",
            order_decisions(export.plan),
        )
        data = {
            "reasonCodes": body.reason_codes,
            "comment": body.comment,
            "by": ctx.actor,
            "planHash": export.plan_hash,
        }
        return await _append(ctx, conn, export.id, work.CHANGES_REQUESTED, data)


async def plan_arrived(ctx: Context, export: ExportRecord) -> None:
    """After a re-plan: a plan other than the one changes were requested of answers the request,
    and the export goes back to the reviewer who asked (REVIEW_ASSIGNED, reason
    CHANGES_REQUESTED). Nothing happens while no request is open or the plan did not change."""
    async with ctx.transaction() as conn:
        locked = await _locked(ctx, conn, export.id)
        asked = await review_work.open_change_request(conn, locked.id)
        if asked is None or asked.plan_hash == locked.plan_hash:
            return
        now = await exports.database_now(conn)
        await review_work.answer_change_requests(conn, locked.id, locked.plan_hash, now)
        back = ReviewHolder(
            actor=asked.requested_by,
            label=asked.label,
            since=now,
            assigned_by=ctx.actor,
            assigned_by_label=ctx.label,
        )
        previous = await review_work.holder_of(conn, locked.id)
        await review_work.set_holder(conn, ctx.account_id, locked.id, back)
        data = {
            "to": back.actor,
            "toLabel": back.label,
            "from": previous.actor if previous is not None else None,
            "fromLabel": previous.label if previous is not None else None,
            "reason": work.CHANGES_REQUESTED,
            "requestedPlanHash": asked.plan_hash,
            "planHash": locked.plan_hash,
        }
        await _append(ctx, conn, locked.id, work.REVIEW_ASSIGNED, data)
