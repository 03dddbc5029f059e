"""The plan as the contract shows it (§9.1): the planner's outcome under the export's name."""

from typing import Any

from domain.planning.models import PlanOutcome


def plan_document(
    export_id: str | None, status: str | None, outcome: PlanOutcome, planned_at: str
) -> dict[str, Any]:
    """The plan document; a dry run has no export id and no status."""
    return {
        "exportId": export_id,
        "batchId": export_id,
        "status": status,
        **outcome.model_dump(mode="json"),
        "plannedAt": planned_at,
    }
