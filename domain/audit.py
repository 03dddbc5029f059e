"""The audit trail of review decisions: which export events are decisions, and the rule pack a
decision's plan was made with (pure)."""

from datetime import date

from domain.rulepack.model import RulePackNotFoundError, pack_for

# export events that record what a person decided or did in a review: approvals, rejections,
# requests for changes, comments, claims, releases and assignments
DECISION_TYPES: tuple[str, ...] = (
    "EXPORT_APPROVED",
    "EXPORT_REJECTED",
    "CHANGES_REQUESTED",
    "COMMENT_ADDED",
    "REVIEW_CLAIMED",
    "REVIEW_RELEASED",
    "REVIEW_ASSIGNED",
)
# the events that record a plan (its planHash and, by their time, its plan date)
PLANNING_TYPES: tuple[str, ...] = ("EXPORT_PLANNED", "EXPORT_REPLANNED")


def decision_ruleset(
    plan_hash: str | None,
    current_plan_hash: str,
    current_ruleset: str,
    planned_on: date | None,
) -> str | None:
    """The rule pack of the plan a decision was about: the current plan's own when it is that
    plan, else the pack that was effective on the earlier plan's date (a plan is made with the
    pack `pack_for` picks for its day); None when neither is known."""
    if plan_hash is not None and plan_hash == current_plan_hash:
        return current_ruleset
    if planned_on is None:
        return None
    try:
        return pack_for(planned_on).version
    except RulePackNotFoundError:
        return None
