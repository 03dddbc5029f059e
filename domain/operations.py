"""The operator's view of what is stuck (docs/fleet-control.md): exports that need a person
(ATTENTION_REQUIRED) or wait for a destination, grouped by where their side effect goes and why
it does not go through, so that one decision (retry, cancel) can be taken for a whole group.

A group's id is `<destination>|<error class>`: `broker:br_1|Transient`,
`warehouse:wh_1|InvalidAddress`, `local:package|Unknown`, `broker:br_1|WAITING_PAUSED`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

# the steps whose side effect goes to the export's broker (`acknowledge`: the broker stayed
# silent; its retry resends to the broker), and to its warehouse
BROKER_STEPS = frozenset({"submission", "send", "amendment", "resend", "acknowledge"})
WAREHOUSE_STEPS = frozenset({"notify"})
UNKNOWN_CLASS = "Unknown"
WAITING_PREFIX = "WAITING_"
GROUP_SEPARATOR = "|"
IDS_PER_GROUP = 100


@dataclass(frozen=True)
class Stuck:
    """An export in ATTENTION_REQUIRED (`step` set) or waiting for a destination
    (`waiting_for` set), as much of it as grouping needs; `since` is when it got stuck."""

    export_id: str
    broker_id: str
    warehouse_id: str
    since: datetime
    step: str | None = None
    error_type: str | None = None
    message: str | None = None
    waiting_for: str | None = None
    destination_state: str | None = None


@dataclass(frozen=True)
class Group:
    """Stuck exports with the same destination and error class; `export_ids` oldest first."""

    group: str
    destination: str
    error_class: str
    count: int
    oldest_export_id: str
    oldest_since: datetime
    sample_message: str | None
    export_ids: tuple[str, ...]


def step_destination(step: str, broker_id: str, warehouse_id: str) -> str:
    """Where the side effect of a failed step goes: the broker, the warehouse, or nowhere
    outside (`local:<step>`: the package, the artifacts)."""
    if step in BROKER_STEPS:
        return f"broker:{broker_id}"
    if step in WAREHOUSE_STEPS:
        return f"warehouse:{warehouse_id}"
    return f"local:{step}"


def group_id(destination: str, error_class: str) -> str:
    """The stable id of a group."""
    return f"{destination}{GROUP_SEPARATOR}{error_class}"


def is_waiting(stuck: Stuck) -> bool:
    """Whether the export merely waits for its destination (no step failed for good)."""
    return stuck.step is None and stuck.waiting_for is not None


def classify(stuck: Stuck) -> tuple[str, str]:
    """The (destination, error class) of a stuck export: a failed step says where and why;
    a waiting export waits for its destination in the state that destination is in."""
    if stuck.step is not None:
        destination = step_destination(stuck.step, stuck.broker_id, stuck.warehouse_id)
        return destination, stuck.error_type or UNKNOWN_CLASS
    assert stuck.waiting_for is not None  # a stuck export either failed a step or waits
    return stuck.waiting_for, f"{WAITING_PREFIX}{stuck.destination_state or UNKNOWN_CLASS}"


def group_of(stuck: Stuck) -> str:
    """The id of the group the export is in."""
    return group_id(*classify(stuck))


def group(stuck: Iterable[Stuck], ids_per_group: int = IDS_PER_GROUP) -> list[Group]:
    """The groups, largest first (then the one stuck longest); in each, the oldest export, the
    newest message and the first `ids_per_group` export ids, oldest first."""
    members: dict[tuple[str, str], list[Stuck]] = {}
    for item in stuck:
        members.setdefault(classify(item), []).append(item)
    groups = []
    for (destination, error_class), items in members.items():
        items.sort(key=lambda s: (s.since, s.export_id))
        with_message = [s for s in items if s.message]
        groups.append(
            Group(
                group=group_id(destination, error_class),
                destination=destination,
                error_class=error_class,
                count=len(items),
                oldest_export_id=items[0].export_id,
                oldest_since=items[0].since,
                sample_message=with_message[-1].message if with_message else None,
                export_ids=tuple(s.export_id for s in items[:ids_per_group]),
            )
        )
    groups.sort(key=lambda g: (-g.count, g.oldest_since, g.group))
    return groups


def members_of(stuck: Iterable[Stuck], wanted: str, limit: int) -> list[str]:
    """The ids of the exports in group `wanted`, oldest first, at most `limit`."""
    items = sorted(
        (s for s in stuck if group_of(s) == wanted), key=lambda s: (s.since, s.export_id)
    )
    return [s.export_id for s in items[:limit]]


def amendment_key(submission_id: str, number: int) -> str:
    """The idempotency key the broker sees for amendment `number` of a submission."""
    return f"{submission_id}:A{number}"


__all__ = [
    "BROKER_STEPS",
    "IDS_PER_GROUP",
    "UNKNOWN_CLASS",
    "WAITING_PREFIX",
    "WAREHOUSE_STEPS",
    "Group",
    "Stuck",
    "amendment_key",
    "classify",
    "group",
    "group_id",
    "group_of",
    "is_waiting",
    "members_of",
    "step_destination",
]
