"""The plan as the contract shows it (§9.1): the planner's outcome under the export's name.

`PlanDocument` is the one value a plan travels as, from the planning activity through the
store, the workflow's summary and the review policy to the views. Its JSON is the plan as
written to the store and answered: the export's name first, then the outcome's fields, then
`plannedAt`; the head is a base class so that the field order follows from the class order
alone. (The column is jsonb, which keeps the values, not the key order.)
"""

from pydantic import ConfigDict

from domain.planning.models import PlanOutcome
from domain.status import ExportStatus
from domain.wire import WireModel


class _DocumentHead(WireModel):
    model_config = ConfigDict(frozen=True)
    # a dry run has no export id and no status
    export_id: str | None
    batch_id: str | None
    status: ExportStatus | None


class PlanDocument(PlanOutcome, _DocumentHead):
    """A plan: the outcome, which export it belongs to, its status when planned, and when."""

    # RFC 3339 as written when planned (kept as text, so the plan's JSON never depends on how a
    # datetime is rendered)
    planned_at: str


def plan_document(
    export_id: str | None, status: ExportStatus | None, outcome: PlanOutcome, planned_at: str
) -> PlanDocument:
    """The plan document; a dry run has no export id and no status."""
    return PlanDocument(
        export_id=export_id,
        batch_id=export_id,
        status=status,
        planned_at=planned_at,
        # the outcome's own fields only (it may itself be a document, re-planned or re-read)
        **{name: getattr(outcome, name) for name in PlanOutcome.model_fields},
    )
