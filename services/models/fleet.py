"""Inputs and views of fleet control (docs/fleet-control.md): the destinations of an account and
their breakers, pausing and resuming one, the groups of stuck exports and the bulk retry and
cancel."""

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from domain.destinations import DestinationKind, DestinationState
from domain.status import ExportStatus
from domain.wire import WireInput, WireModel

# an operator's reason, shown beside the destination and in its events: one line of text
PauseReason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        pattern=r"^[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f][^\x00-\x1f\x7f]*$",
    ),
]
ExportId = Annotated[str, Field(min_length=1, max_length=64)]
# `<destination>|<error class>`, as GET /api/operations/failures names a group
GroupId = Annotated[str, Field(min_length=3, max_length=300, pattern=r"^[^|]+\|[^|]+$")]
CancelReason = Annotated[str, Field(min_length=1, max_length=2000)]
MAX_SELECTION = 500
T = TypeVar("T")


class _Body(WireInput):
    """A request body: the wire's names only, nothing else."""


class PauseRequest(_Body):
    """`POST /api/brokers/{id}/pause` (and warehouses, webhook endpoints)."""

    reason: PauseReason
    idempotency_key: str | None = None


class ResumeRequest(_Body):
    """`POST /api/brokers/{id}/resume` (and warehouses, webhook endpoints)."""

    idempotency_key: str | None = None


class DestinationFailure(WireModel):
    """A recent failure of a send to the destination."""

    at: datetime
    export_id: str | None
    error_class: str
    message: str
    transient: bool


class DestinationView(WireModel):
    """A destination and its breaker (CLOSED, with nothing else, before any send failed)."""

    destination_id: str
    kind: DestinationKind
    ref_id: str
    name: str
    state: DestinationState
    since: datetime | None
    next_probe_at: datetime | None
    paused_reason: str | None
    paused_by: str | None
    last_error: str | None
    recent_failures: list[DestinationFailure]
    waiting_exports: int


class DestinationEvent(WireModel):
    """What happened to the destination: opened, closed, paused, resumed."""

    id: str
    type: str
    occurred_at: datetime
    actor: str
    data: dict[str, Any]


class DestinationDetail(DestinationView):
    """`GET /api/destinations/{destinationId}`: the destination and its recent events, oldest
    first."""

    events: list[DestinationEvent]


class DestinationList(WireModel):
    """`GET /api/destinations`: every destination of the account, by kind and id."""

    data: list[DestinationView]


class ExportRef(WireModel):
    """An export and since when it is stuck."""

    export_id: str
    since: datetime


class FailureGroup(WireModel):
    """Stuck exports with one destination and one error class."""

    group: str
    destination: str
    error_class: str
    count: int
    oldest: ExportRef
    sample_message: str | None
    export_ids: list[str]


class FailureGroups(WireModel):
    """`GET /api/operations/failures`: the groups, largest first."""

    data: list[FailureGroup]


def _unique(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


def _not_null(value: T) -> T:
    if value is None:
        raise ValueError("may not be null")
    return value


_CHOICES = ("exportIds", "group")


def _selection_schema(schema: dict[str, Any]) -> None:
    # what the validators enforce: exactly one of the two, never null (their None default only
    # marks "not sent", so it is not part of the schema)
    schema["oneOf"] = [{"required": [name]} for name in _CHOICES]
    for name in _CHOICES:
        prop = schema["properties"][name]
        prop.pop("default", None)
        kept = [branch for branch in prop.pop("anyOf") if branch != {"type": "null"}]
        prop.update(kept[0])


class _Selection(_Body):
    """Which exports: `exportIds` or a `group` of `GET /api/operations/failures`, exactly one."""

    model_config = ConfigDict(json_schema_extra=_selection_schema)

    export_ids: Annotated[list[ExportId], Field(min_length=1, max_length=MAX_SELECTION)] | None = (
        None
    )
    group: GroupId | None = None
    idempotency_key: str | None = None

    _present = field_validator("export_ids", "group", mode="before")(_not_null)
    _ids = field_validator("export_ids")(_unique)

    @model_validator(mode="after")
    def _exactly_one(self) -> "_Selection":
        if (self.export_ids is None) == (self.group is None):
            raise ValueError("send exactly one of exportIds and group")
        return self


class RetryOperation(_Selection):
    """`POST /api/operations/retry`: `dryRun` lists what would be sent again, changing
    nothing."""

    dry_run: StrictBool = False


class CancelOperation(_Selection):
    """`POST /api/operations/cancel`."""

    reason: CancelReason | None = None


Outcome = Literal["retried", "cancelled", "would_retry", "waiting", "refused", "failed"]


class ExportOutcome(WireModel):
    """What the operation did to one export (`refused`: its state or account did not allow it,
    `errorCode` says why; `failed`: a dependency did not answer, try again; `waiting`: it waits
    for its destination and goes on when that does). A dry run's `would_retry` names the step
    sent again, the idempotency key the receiver sees, and which attempt it will be."""

    export_id: str
    outcome: Outcome
    status: ExportStatus | None = None
    error_code: str | None = None
    message: str | None = None
    destination: str | None = None
    step: str | None = None
    idempotency_key: str | None = None
    attempt: int | None = None


class OperationResult(WireModel):
    """The answer of a bulk retry or cancel: each export's outcome, in the order selected, and
    how many had each outcome."""

    action: Literal["retry", "cancel"]
    dry_run: bool
    group: str | None
    counts: dict[str, int]
    results: list[ExportOutcome]
