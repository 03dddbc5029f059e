"""The review decision of an export's current plan, and the attention an export asks for: as
the workflow holds them, the ledger writes them and the store reads them back (camelCase JSON
by alias, so stored rows and recorded histories keep their names)."""

from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from domain.status import ApprovalState
from domain.wire import WireModel

# A person signed in to the console with OpenID Connect acts as `oidc:<subject>`: the same actor
# at every sign-in, so that four eyes means two people. Their label is `Name <email>`.
PERSON_ACTOR_PREFIX = "oidc:"


def person_actor(subject: str) -> str:
    """The actor a person of the identity provider acts as."""
    return f"{PERSON_ACTOR_PREFIX}{subject}"


def person_label(subject: str, name: str | None, email: str | None) -> str:
    """How a person is shown: `Name <email>`, else the one known, else the subject."""
    if name and email:
        return f"{name} <{email}>"
    return name or email or subject


def _name_and_email(label: str, subject: str) -> tuple[str | None, str | None]:
    """The name and e-mail a `person_label` carries."""
    if label.endswith(">") and " <" in label:
        name, _, email = label[:-1].rpartition(" <")
        return name, email
    if label == subject:
        return None, None
    return (None, label) if "@" in label and " " not in label else (label, None)


def _with_person(data: Any) -> Any:
    """A decision by a person names its subject, name and e-mail; the workflow records the actor
    and its label, from which they are read (decisions by a key carry none)."""
    if not isinstance(data, dict) or data.get("subject") is not None:
        return data
    actor = data.get("key_id", data.get("keyId"))
    if not isinstance(actor, str) or not actor.startswith(PERSON_ACTOR_PREFIX):
        return data
    subject = actor.removeprefix(PERSON_ACTOR_PREFIX)
    name, email = _name_and_email(str(data.get("label") or subject), subject)
    return {**data, "subject": subject, "name": name, "email": email}


def _absent_when_none(value: object) -> bool:
    return value is None


class Approver(WireModel):
    """One approval of the current plan: the key (or the person), who it stands for, when, and
    the comment; a person's approval also names the provider's subject, the name and e-mail."""

    key_id: str
    label: str | None = None
    at: datetime
    comment: str | None = None
    subject: str | None = Field(default=None, exclude_if=_absent_when_none)
    name: str | None = Field(default=None, exclude_if=_absent_when_none)
    email: str | None = Field(default=None, exclude_if=_absent_when_none)

    @model_validator(mode="before")
    @classmethod
    def _person(cls, data: Any) -> Any:
        return _with_person(data)


class Rejecter(WireModel):
    """The rejection of the plan (by a key or a person, as an approval)."""

    key_id: str
    label: str | None = None
    at: datetime
    reason: str | None = None
    subject: str | None = Field(default=None, exclude_if=_absent_when_none)
    name: str | None = Field(default=None, exclude_if=_absent_when_none)
    email: str | None = Field(default=None, exclude_if=_absent_when_none)

    @model_validator(mode="before")
    @classmethod
    def _person(cls, data: Any) -> Any:
        return _with_person(data)


class ReviewPolicy(WireModel):
    """What the review of the current plan asks: four eyes and why, and by when."""

    four_eyes: bool = False
    reasons: list[str] = Field(default_factory=list)
    review_deadline: datetime | None = None
    overdue: bool = False
    # the review outlasted the escalation chain's second deadline: it is in the leads' queue
    escalated: bool = False


class EscalationChain(WireModel):
    """An account's review escalation: at the review deadline the assignee and the leads are
    told (e-mail and the review webhook); `escalate_after_seconds` later the review moves to the
    leads' queue."""

    lead_emails: list[str] = Field(default_factory=list)
    escalate_after_seconds: float


class Approval(WireModel):
    """The review decision of the current plan. `reviewer`, `comment`, `decided_at` and `label`
    are those of the latest decision; `approved_by` holds every approval (four eyes: two
    different keys), `rejected_by` the rejection. `approvals_required` and `policy` are None in
    workflows started before the review policy."""

    state: ApprovalState
    reviewer: str | None = None
    comment: str | None = None
    decided_at: datetime | None = None
    plan_hash: str | None = None
    label: str | None = None
    approvals_required: int | None = None
    approved_by: list[Approver] = Field(default_factory=list)
    rejected_by: Rejecter | None = None
    policy: ReviewPolicy | None = None


class Attention(WireModel):
    """Why an export needs a person."""

    step: str
    error_type: str | None = None
    error: str
    at: datetime
