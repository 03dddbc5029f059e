"""Inputs and results of the destination workflow and of an export waiting for a destination
(docs/fleet-control.md); snake_case attributes, the wire's names by alias."""

from domain.destinations import DestinationState
from domain.wire import WireModel

# the workflow id of a destination's workflow, and the signal that wakes it
DESTINATION_WORKFLOW_PREFIX = "destination-"
POKE_SIGNAL = "poke"
# the export workflow's signal: the destination lets this export's send go (released or probe)
READY_SIGNAL = "destination_ready"


def destination_workflow_id(destination: str) -> str:
    return f"{DESTINATION_WORKFLOW_PREFIX}{destination}"


class DestinationInput(WireModel):
    """What (re)starts a destination's workflow: the destination and the release cursor."""

    destination: str
    cursor_since: str | None = None
    cursor_export: str | None = None


class WatchInput(WireModel):
    """`watch_destination`: start the destination's workflow if it is not running, and poke it."""

    destination: str


class TurnInput(WireModel):
    """`destination_turn`: one step of the destination's workflow."""

    destination: str
    cursor_since: str | None = None
    cursor_export: str | None = None


class Turn(WireModel):
    """What one turn decided: the export workflows to signal (released, or the one probe), the
    new cursor, how long to wait before the next turn, and whether nothing waits any more."""

    state: DestinationState
    signal: list[str]
    cursor_since: str | None = None
    cursor_export: str | None = None
    wait_seconds: float
    done: bool = False
