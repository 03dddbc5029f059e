"""Inputs and views of review work shared between people (docs/console.md "A shared queue"):
claim, release and assign an export under review, comments, changes requested, and decisions
on many exports at once."""

from typing import Annotated, Literal

from pydantic import Field, field_validator

from domain.review_work import ReviewHolder
from domain.wire import WireInput, WireModel

Id = Annotated[str, Field(min_length=1, max_length=64)]
ReasonCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Z][A-Z0-9_.-]*$")]
CommentText = Annotated[str, Field(min_length=1, max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
# the most exports one bulk decision takes (the queue shows at most this many)
MAX_BULK = 500


def _said(value: str | None) -> str | None:
    """Text as said, without the blanks around it; blank only is nothing said."""
    if value is None:
        return None
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


class ClaimRequest(WireInput):
    """`POST /api/exports/{id}/claim`: the caller takes the export's review."""

    idempotency_key: str | None = None


class ReleaseRequest(WireInput):
    """`POST /api/exports/{id}/release`: nobody holds the export's review any more."""

    idempotency_key: str | None = None


class AssignRequest(WireInput):
    """`POST /api/exports/{id}/assign`: `assignee` (a reviewer's key id) holds the review; to
    another than the caller needs a lead (the admin role)."""

    assignee: Id
    idempotency_key: str | None = None


class CommentRequest(WireInput):
    """`POST /api/exports/{id}/comments`."""

    text: CommentText
    idempotency_key: str | None = None

    _text = field_validator("text")(_said)


class ChangesRequest(WireInput):
    """`POST /api/exports/{id}/request-changes`: what must change in the plan, by reason code,
    and a comment for the integrator."""

    reason_codes: Annotated[list[ReasonCode], Field(min_length=1, max_length=50)]
    comment: CommentText | None = None
    idempotency_key: str | None = None

    _comment = field_validator("comment")(_said)

    @field_validator("reason_codes")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ReviewWork(WireModel):
    """Who holds the export's review now (null: nobody)."""

    export_id: str
    holder: ReviewHolder | None


class BulkItem(WireInput):
    """One export of a bulk decision, bound to the planHash the reviewer saw."""

    export_id: Id
    plan_hash: Annotated[str, Field(max_length=100)]


class BulkDecision(WireInput):
    """Approve or reject many exports at once; each is decided on its own, as if one by one."""

    action: Literal["approve", "reject"]
    items: Annotated[list[BulkItem], Field(min_length=1, max_length=MAX_BULK)]
    reason: Reason | None = None
    comment: Annotated[str, Field(max_length=2000)] | None = None
    idempotency_key: str | None = None


BulkOutcomeKind = Literal[
    "approved", "partially_approved", "rejected", "pending", "skipped", "refused"
]


class BulkOutcome(WireModel):
    """What came of one export of a bulk decision: `skipped` when its plan changed since it was
    shown, `refused` when the decision does not apply (its code and message), `pending` when
    the workflow had not finished taking it within the bound."""

    export_id: str
    outcome: BulkOutcomeKind
    status: str | None = None
    approval_state: str | None = None
    code: str | None = None
    message: str


class BulkResult(WireModel):
    """A bulk decision's outcome, one per export in the order asked."""

    action: Literal["approve", "reject"]
    results: list[BulkOutcome]

    def of(self, *kinds: str) -> list[BulkOutcome]:
        """The outcomes of these kinds."""
        return [r for r in self.results if r.outcome in kinds]
