"""The broker loop end to end, one scenario of docs/broker-protocol.md at a time, and the
monotonic machine's promise: callbacks delivered in any order, repeated or not, end in the side
in-order delivery gives."""

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.broker_loop import (
    BrokerCallback,
    BrokerSide,
    RequestAnswer,
    amendment_sent,
    answer,
    export_status,
    from_v1,
    next_amendment,
    receive,
)
from domain.status import ExportStatus

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
S = ExportStatus


def cb(sequence: int, type_: str, **wire: Any) -> BrokerCallback:
    """A version 2 callback from its wire form, `sequence` minutes after T0."""
    occurred = (T0 + timedelta(minutes=sequence)).isoformat()
    body = {"submissionId": "sub_1", "sequence": sequence, "type": type_, "occurredAt": occurred}
    return BrokerCallback.model_validate({**body, **wire})


ACK = {"brokerReference": "BR-1"}
FILED = {"entryNumber": "ABC-1234567-8", "entryType": "01"}
INFO = {
    "requestId": "req-1",
    "fields": [{"path": "products[0].manufacturer.address", "reason": "street missing"}],
    "documents": [{"type": "INVOICE", "reason": "signed copy"}],
    "dueBy": "2026-12-09T10:00:00Z",
}
HOLD = {"holdId": "h-1", "agency": "CBP", "reason": "exam"}
REPLY = RequestAnswer(message="corrected", answered_at=T0 + timedelta(hours=1), actor="key_1")


class Loop:
    """One export's broker side, with the status after each step."""

    def __init__(self, *, reports_release: bool) -> None:
        self.side = BrokerSide()
        self.reports_release = reports_release
        self.statuses: list[ExportStatus] = []

    def send(self, callback: BrokerCallback, result: str = "applied") -> None:
        received = receive(self.side, callback, reports_release=self.reports_release)
        assert received.result == result, received.reason
        self.side = received.side
        self.statuses.append(export_status(self.side, reports_release=self.reports_release))

    def amend(self, request_id: str) -> int:
        """Answer the request and send the amendment; its number."""
        self.side = answer(self.side, request_id, REPLY)
        number = next_amendment(self.side)
        self.side = amendment_sent(self.side)
        self.statuses.append(export_status(self.side, reports_release=self.reports_release))
        return number


def test_accepted_by_a_broker_that_does_not_report_release() -> None:
    loop = Loop(reports_release=False)
    loop.send(cb(1, "ACKNOWLEDGED", **ACK))
    loop.send(cb(2, "ENTRY_FILED", **FILED))
    loop.send(cb(3, "ACCEPTED"))
    loop.send(cb(4, "RELEASED"), result="conflict")
    assert loop.statuses == [S.EXECUTED, S.EXECUTED, S.COMPLETED, S.COMPLETED]
    assert (loop.side.broker_reference, loop.side.entry_number) == ("BR-1", "ABC-1234567-8")


def test_an_info_request_answered_by_an_amendment_then_released() -> None:
    loop = Loop(reports_release=True)
    loop.send(cb(1, "ACKNOWLEDGED", **ACK))
    loop.send(cb(2, "INFO_REQUESTED", **INFO))
    assert loop.amend("req-1") == 1
    loop.send(cb(3, "ACKNOWLEDGED", amendment=1))
    loop.send(cb(4, "ENTRY_FILED", **FILED))
    loop.send(cb(5, "ACCEPTED"))
    loop.send(cb(6, "RELEASED"))
    assert loop.statuses == [
        S.EXECUTED,
        S.BROKER_ACTION_REQUIRED,
        S.EXECUTED,
        S.EXECUTED,
        S.EXECUTED,
        S.EXECUTED,
        S.COMPLETED,
    ]
    [request] = loop.side.requests
    assert (request.status, request.answer) == ("ANSWERED", REPLY)
    assert (loop.side.amendments, loop.side.outcome) == (1, "RELEASED")
    assert loop.side.accepted_at == T0 + timedelta(minutes=5)
    assert loop.side.acknowledged_at == T0 + timedelta(minutes=3)


def test_a_hold_then_its_release() -> None:
    loop = Loop(reports_release=True)
    loop.send(cb(1, "ACKNOWLEDGED"))
    loop.send(cb(2, "ENTRY_FILED", **FILED))
    loop.send(cb(3, "HOLD", **HOLD))
    loop.send(cb(4, "HOLD_RELEASED", holdId="h-1"))
    loop.send(cb(5, "RELEASED"))
    assert loop.statuses == [S.EXECUTED, S.EXECUTED, S.CUSTOMS_HOLD, S.EXECUTED, S.COMPLETED]
    assert loop.side.holds[0].released_at == T0 + timedelta(minutes=4)


def test_a_correctable_rejection_then_accepted() -> None:
    loop = Loop(reports_release=False)
    loop.send(cb(1, "ACKNOWLEDGED"))
    fields = [{"path": "products[0].hsCode", "reason": "not a heading"}]
    loop.send(cb(2, "REJECTED", reason="bad HS code", correctable=True, fields=fields))
    assert loop.amend("rejection-2") == 1
    loop.send(cb(3, "ACKNOWLEDGED", amendment=1))
    loop.send(cb(4, "ACCEPTED", entryNumber="ABC-7"))
    assert loop.statuses == [
        S.EXECUTED,
        S.BROKER_ACTION_REQUIRED,
        S.EXECUTED,
        S.EXECUTED,
        S.COMPLETED,
    ]
    assert (loop.side.outcome, loop.side.entry_number) == ("ACCEPTED", "ABC-7")
    assert [r.status for r in loop.side.requests] == ["ANSWERED"]


def test_a_final_rejection() -> None:
    loop = Loop(reports_release=False)
    loop.send(cb(1, "ACKNOWLEDGED"))
    loop.send(cb(2, "REJECTED", reason="not our lane", correctable=False))
    loop.send(cb(3, "ACKNOWLEDGED", amendment=1), result="conflict")
    assert loop.statuses == [S.EXECUTED, S.BROKER_REJECTED, S.BROKER_REJECTED]
    assert (loop.side.outcome_reason, loop.side.applied_through) == ("not our lane", 2)


def test_refused() -> None:
    loop = Loop(reports_release=True)
    loop.send(cb(1, "ACKNOWLEDGED"))
    loop.send(cb(2, "ENTRY_FILED", **FILED))
    loop.send(cb(3, "HOLD", **HOLD))
    loop.send(cb(4, "REFUSED", reason="seized"))
    loop.send(cb(5, "HOLD_RELEASED", holdId="h-1"), result="conflict")
    assert loop.statuses == [
        S.EXECUTED,
        S.EXECUTED,
        S.CUSTOMS_HOLD,
        S.CUSTOMS_REFUSED,
        S.CUSTOMS_REFUSED,
    ]


def test_a_broker_of_version_1() -> None:
    loop = Loop(reports_release=False)
    loop.send(from_v1("ACKNOWLEDGED", None, "BR-1", None, T0, "sub_1"))
    loop.send(from_v1("ACKNOWLEDGED", None, "BR-1", None, T0, "sub_1"), result="duplicate")
    loop.send(from_v1("ACCEPTED", "ABC-1", None, None, T0, "sub_1"))
    loop.send(from_v1("REJECTED", None, None, "late", T0, "sub_1"), result="conflict")
    assert loop.statuses == [S.EXECUTED, S.EXECUTED, S.COMPLETED, S.COMPLETED]
    assert (loop.side.applied_through, loop.side.seen_v1) == (0, ["ACKNOWLEDGED", "ACCEPTED"])


# sequenced scenarios, each in order; the last two run on past their final callback
SCENARIOS: list[list[BrokerCallback]] = [
    [cb(1, "ACKNOWLEDGED", **ACK), cb(2, "ENTRY_FILED", **FILED), cb(3, "ACCEPTED")],
    [
        cb(1, "ACKNOWLEDGED", **ACK),
        cb(2, "INFO_REQUESTED", **INFO),
        cb(3, "REQUEST_WITHDRAWN", requestId="req-1"),
        cb(4, "ENTRY_FILED", **FILED),
        cb(5, "HOLD", **HOLD),
        cb(6, "HOLD_RELEASED", holdId="h-1"),
        cb(7, "ACCEPTED"),
        cb(8, "RELEASED"),
    ],
    [
        cb(1, "ACKNOWLEDGED"),
        cb(2, "REJECTED", reason="bad", correctable=True),
        cb(3, "ACKNOWLEDGED", amendment=1),
        cb(4, "ENTRY_FILED", **FILED),
        cb(5, "HOLD", **HOLD),
        cb(6, "REFUSED", reason="seized"),
    ],
    [
        cb(1, "ACKNOWLEDGED"),
        cb(2, "ENTRY_FILED", **FILED),
        cb(3, "RELEASED"),
        cb(4, "HOLD", **HOLD),
        cb(5, "HOLD_RELEASED", holdId="h-1"),
    ],
    [
        cb(1, "ACKNOWLEDGED"),
        cb(2, "REJECTED", reason="no", correctable=False),
        cb(3, "ACKNOWLEDGED", amendment=1),
    ],
]


def deliver(
    callbacks: list[BrokerCallback], *, reports_release: bool
) -> tuple[BrokerSide, list[BrokerCallback], list[str]]:
    """The side after each callback in turn, stored as JSON between them as the workflow does;
    every callback applied, in the order applied; and each result."""
    side, applied, results = BrokerSide(), [], list[str]()
    for callback in callbacks:
        received = receive(side, callback, reports_release=reports_release)
        side = BrokerSide.model_validate(received.side.model_dump(mode="json"))
        applied += received.applied
        results.append(received.result)
    return side, applied, results


@settings(max_examples=200, deadline=None)
@given(data=st.data(), scenario=st.sampled_from(SCENARIOS), reports_release=st.booleans())
def test_any_order_with_repeats_ends_as_in_order_delivery(
    data: st.DataObject, scenario: list[BrokerCallback], reports_release: bool
) -> None:
    order = list(data.draw(st.permutations(scenario)))
    for repeat in data.draw(st.lists(st.sampled_from(scenario), max_size=len(scenario))):
        order.insert(data.draw(st.integers(0, len(order))), repeat)
    expected, expected_applied, _ = deliver(scenario, reports_release=reports_release)
    side, applied, results = deliver(order, reports_release=reports_release)
    assert side == expected
    assert applied == expected_applied
    assert side.pending == []
    assert "buffered" not in results[-1:]
