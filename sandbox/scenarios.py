"""Version 2 broker scenarios (docs/broker-protocol.md): which callbacks a submission gets.

A scenario turns one received delivery (the first send or an amendment) into steps: callbacks
numbered with the submission's next sequence numbers, in the order they are sent, and pauses.
"""

from dataclasses import dataclass, field
from typing import Any

ACCEPT = "accept"
INFO_REQUEST = "info_request"
HOLD_THEN_RELEASE = "hold_then_release"
REJECT_CORRECTABLE = "reject_correctable"
REJECT_FINAL = "reject_final"
SILENT = "silent"
DUPLICATE_OUT_OF_ORDER = "duplicate_out_of_order"
SCENARIOS = frozenset(
    {
        ACCEPT,
        INFO_REQUEST,
        HOLD_THEN_RELEASE,
        REJECT_CORRECTABLE,
        REJECT_FINAL,
        SILENT,
        DUPLICATE_OUT_OF_ORDER,
    }
)

DEFAULT_HOLD_S = 3.0
INFO_DUE_S = 2 * 24 * 3600
INFO_PATH = "lines[0].manufacturer.address"
INFO_REASON = "street address of line 1's manufacturer is missing"
INFO_MESSAGE = "Please send the street address of the manufacturer of line 1."
HOLD_ID = "hold-1"
HOLD_AGENCY = "CBP"
HOLD_REASON = "exam"
REJECT_PATH = "lines[0].hsCode"
REJECT_FIELD_REASON = "HTS code not valid for the goods described"
REJECT_CORRECTABLE_REASON = "HTS classification of line 1 needs correction"
REJECT_FINAL_REASON = "Rejected by the sandbox broker (reject_final); not correctable"


class UnknownScenarioError(ValueError):
    """A scenario name the sandbox broker does not know."""


def check_scenario(name: str) -> str:
    """`name` when it is a known scenario; raise `UnknownScenarioError` otherwise."""
    if name not in SCENARIOS:
        known = ", ".join(sorted(SCENARIOS))
        raise UnknownScenarioError(f"unknown scenario {name!r} (known: {known})")
    return name


@dataclass(frozen=True)
class Send:
    """One callback to send: its sequence, type and the fields beside the envelope."""

    sequence: int
    type: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Pause:
    """Wait this long before the next step."""

    seconds: float


Step = Send | Pause


@dataclass(frozen=True)
class Receipt:
    """What a scenario knows about the delivery it answers."""

    amendment: int
    broker_reference: str
    entry_number: str
    entry_type: str
    lacks_manufacturer_street: bool
    next_request: int
    hold_s: float
    due_by: str


class _Numbering:
    """Hands out the submission's sequence numbers in the true order of events."""

    def __init__(self, first: int) -> None:
        self.next = first

    def send(self, kind: str, fields: dict[str, Any] | None = None) -> Send:
        step = Send(self.next, kind, fields or {})
        self.next += 1
        return step


def _acknowledged(numbers: _Numbering, receipt: Receipt) -> Send:
    fields: dict[str, Any] = {"brokerReference": receipt.broker_reference}
    if receipt.amendment:
        fields["amendment"] = receipt.amendment
    return numbers.send("ACKNOWLEDGED", fields)


def _filed(numbers: _Numbering, receipt: Receipt) -> Send:
    fields = {"entryNumber": receipt.entry_number, "entryType": receipt.entry_type}
    return numbers.send("ENTRY_FILED", fields)


def _filed_and_released(numbers: _Numbering, receipt: Receipt) -> list[Step]:
    return [_filed(numbers, receipt), numbers.send("RELEASED")]


def _info_requested(numbers: _Numbering, receipt: Receipt) -> Send:
    return numbers.send(
        "INFO_REQUESTED",
        {
            "requestId": f"req-{receipt.next_request}",
            "fields": [{"path": INFO_PATH, "reason": INFO_REASON}],
            "documents": [],
            "message": INFO_MESSAGE,
            "dueBy": receipt.due_by,
        },
    )


def _rejected(numbers: _Numbering, *, correctable: bool) -> Send:
    if correctable:
        fields = [{"path": REJECT_PATH, "reason": REJECT_FIELD_REASON}]
        reason = REJECT_CORRECTABLE_REASON
    else:
        fields = []
        reason = REJECT_FINAL_REASON
    return numbers.send(
        "REJECTED", {"reason": reason, "fields": fields, "correctable": correctable}
    )


def _first_send(scenario: str, numbers: _Numbering, receipt: Receipt) -> list[Step]:
    ack = _acknowledged(numbers, receipt)
    if scenario == INFO_REQUEST:
        return [ack, _info_requested(numbers, receipt)]
    if scenario in (REJECT_CORRECTABLE, REJECT_FINAL):
        return [ack, _rejected(numbers, correctable=scenario == REJECT_CORRECTABLE)]
    if scenario == HOLD_THEN_RELEASE:
        filed = _filed(numbers, receipt)
        hold = numbers.send(
            "HOLD", {"holdId": HOLD_ID, "agency": HOLD_AGENCY, "reason": HOLD_REASON}
        )
        lifted = numbers.send("HOLD_RELEASED", {"holdId": HOLD_ID})
        return [ack, filed, hold, Pause(receipt.hold_s), lifted, numbers.send("RELEASED")]
    if scenario == DUPLICATE_OUT_OF_ORDER:
        filed = _filed(numbers, receipt)
        released = numbers.send("RELEASED")
        return [ack, ack, released, released, filed, filed]
    return [ack, *_filed_and_released(numbers, receipt)]


def _amendment(scenario: str, numbers: _Numbering, receipt: Receipt) -> list[Step]:
    ack = _acknowledged(numbers, receipt)
    if scenario == INFO_REQUEST:
        if receipt.lacks_manufacturer_street:
            return [ack, _info_requested(numbers, receipt)]
        return [ack, *_filed_and_released(numbers, receipt)]
    if scenario == REJECT_CORRECTABLE:
        return [ack, *_filed_and_released(numbers, receipt)]
    return [ack]


def plan(scenario: str, receipt: Receipt, first_sequence: int) -> tuple[list[Step], int]:
    """The steps answering one delivery, and the submission's next sequence number after them."""
    if scenario == SILENT:
        return [], first_sequence
    numbers = _Numbering(first_sequence)
    if receipt.amendment == 0:
        steps = _first_send(scenario, numbers, receipt)
    else:
        steps = _amendment(scenario, numbers, receipt)
    return steps, numbers.next
