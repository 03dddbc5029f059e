"""Review work shared between people (docs/console.md "A shared queue"): claim, release and
assign an export's review, comments, changes requested. Each writes its row and its export
event on one transaction (the unit of work's)."""

from fastapi import APIRouter

from api.deps import ReviewerWrite
from api.idempotency import Sent
from api.openapi import error_responses
from api.schemas.review_work import (
    AssignRequest,
    ChangesRequest,
    ClaimRequest,
    CommentRequest,
    Event,
    ReleaseRequest,
    ReviewWork,
)
from services.exports import review_work

router = APIRouter(prefix="/api/exports", tags=["review"])

HELD = error_responses(403, 409)


@router.post("/{export_id}/claim", response_model=ReviewWork, responses=HELD)
async def claim_export(
    export_id: str, write: ReviewerWrite, body: ClaimRequest | None = None
) -> Sent[ReviewWork]:
    """Take the export's review: 409 REVIEW_HELD while someone else holds it (REVIEW_CLAIMED)."""
    sent = body or ClaimRequest()
    return await write.in_transaction(
        sent, lambda ctx: review_work.claim_review(ctx, export_id, sent)
    )


@router.post("/{export_id}/release", response_model=ReviewWork, responses=HELD)
async def release_export(
    export_id: str, write: ReviewerWrite, body: ReleaseRequest | None = None
) -> Sent[ReviewWork]:
    """Let the export's review go: its holder, or a lead (admin role) (REVIEW_RELEASED)."""
    sent = body or ReleaseRequest()
    return await write.in_transaction(
        sent, lambda ctx: review_work.release_review(ctx, export_id, sent)
    )


@router.post("/{export_id}/assign", response_model=ReviewWork, responses=HELD)
async def assign_export(
    export_id: str, body: AssignRequest, write: ReviewerWrite
) -> Sent[ReviewWork]:
    """Give the export's review to a reviewer of the account; to another than the caller needs
    a lead (admin role) (REVIEW_ASSIGNED)."""
    return await write.in_transaction(
        body, lambda ctx: review_work.assign_review(ctx, export_id, body)
    )


@router.post(
    "/{export_id}/comments", response_model=Event, status_code=201, responses=error_responses(403)
)
async def add_export_comment(
    export_id: str, body: CommentRequest, write: ReviewerWrite
) -> Sent[Event]:
    """A comment on the export, in its timeline (COMMENT_ADDED); answers the event."""
    return await write.in_transaction(
        body, lambda ctx: review_work.add_comment(ctx, export_id, body)
    )


@router.post(
    "/{export_id}/request-changes", response_model=Event, responses=error_responses(403, 409)
)
async def request_export_changes(
    export_id: str, body: ChangesRequest, write: ReviewerWrite
) -> Sent[Event]:
    """Ask for changes to the current plan by reason code (CHANGES_REQUESTED, which the
    integrator's webhooks and feed deliver); a new plan goes back to the reviewer who asked."""
    return await write.in_transaction(
        body, lambda ctx: review_work.request_changes(ctx, export_id, body)
    )
