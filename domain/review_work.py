"""Review work shared between people, as pure decisions: who holds an export under review (one
holder per export), who may claim, release or assign it, the changes a reviewer asked for, and
the cluster of plans a reviewer can decide together (docs/console.md "A shared queue")."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from domain.planning.models import PlanOutcome
from domain.wire import WireModel

# a lead may assign an export to anyone and release another's hold: a key with the admin role,
# or a person of a lead group (the console role `lead`, services/sessions.py)
LEAD_ROLES = frozenset({"admin", "lead"})
# the event types of review work (the export's timeline, the feed and webhooks carry them)
REVIEW_CLAIMED = "REVIEW_CLAIMED"
REVIEW_RELEASED = "REVIEW_RELEASED"
REVIEW_ASSIGNED = "REVIEW_ASSIGNED"
COMMENT_ADDED = "COMMENT_ADDED"
CHANGES_REQUESTED = "CHANGES_REQUESTED"


class ReviewHolder(WireModel):
    """Who holds an export under review: the person's actor (a key id) and label, since when,
    and who assigned it to them (None: they claimed it)."""

    actor: str
    label: str | None = None
    since: datetime
    assigned_by: str | None = None
    assigned_by_label: str | None = None


class ChangeRequest(WireModel):
    """A reviewer asked for changes to a plan (its planHash): why, by reason codes and a comment.
    `answered_plan_hash` is the next plan, once one arrived (the export went back to them)."""

    requested_by: str
    label: str | None = None
    plan_hash: str
    reason_codes: list[str] = Field(default_factory=list)
    comment: str | None = None
    requested_at: datetime
    answered_plan_hash: str | None = None
    answered_at: datetime | None = None


class Refused(StrEnum):
    """Why a change of holder does not apply."""

    HELD = "HELD"  # someone else holds it
    NEEDS_LEAD = "NEEDS_LEAD"  # only a lead acts on another person's hold or assigns to another


@dataclass(frozen=True)
class HolderRefusal:
    """A refused change of holder and what to tell the person."""

    why: Refused
    message: str


def is_lead(roles: Iterable[str]) -> bool:
    """A lead may assign to anyone and release anyone's hold."""
    return bool(LEAD_ROLES.intersection(roles))


def _who(holder: ReviewHolder) -> str:
    return holder.label or holder.actor


def refuse_claim(holder: ReviewHolder | None, actor: str) -> HolderRefusal | None:
    """A claim takes an export nobody holds (claiming one's own again changes nothing)."""
    if holder is None or holder.actor == actor:
        return None
    return HolderRefusal(
        Refused.HELD,
        f"{_who(holder)} holds this export. Ask them to release it, or a lead to assign it.",
    )


def refuse_release(holder: ReviewHolder | None, actor: str, lead: bool) -> HolderRefusal | None:
    """The holder releases their own hold; a lead releases anyone's."""
    if holder is None or holder.actor == actor or lead:
        return None
    return HolderRefusal(
        Refused.NEEDS_LEAD,
        f"{_who(holder)} holds this export; only they or a lead can release it.",
    )


def refuse_assign(
    holder: ReviewHolder | None, actor: str, assignee: str, lead: bool
) -> HolderRefusal | None:
    """A lead assigns to anyone, over any hold; anyone else only to themselves, which is a
    claim."""
    if lead:
        return None
    if assignee != actor:
        return HolderRefusal(
            Refused.NEEDS_LEAD, "Assigning an export to someone else needs a lead."
        )
    return refuse_claim(holder, actor)


def plan_codes(plan: PlanOutcome) -> list[str]:
    """Every code a plan carries: its decisions' reason codes, its flags and its messages."""
    codes = {c for d in plan.decisions for c in d.reason_codes}
    codes.update(f.code for f in plan.flags)
    codes.update(m.code for m in plan.validation_messages)
    return sorted(codes)


def cluster_of(plan: PlanOutcome) -> str:
    """The plans a reviewer may decide together: the same codes under the same rule pack."""
    return f"{plan.ruleset_version}|{','.join(plan_codes(plan))}"
