"""The broker loop's callbacks and state machine, one rule at a time (docs/broker-protocol.md):
the fields each type needs, what each type changes, duplicates, early arrivals, conflicts after
a final state, answers and amendments, and the side's JSON form."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.broker_loop import (
    EVENT_OF,
    BrokerCallback,
    BrokerSide,
    CallbackType,
    RequestAnswer,
    RequestNotOpen,
    amendment_sent,
    answer,
    export_status,
    from_v1,
    is_final,
    next_amendment,
    open_holds,
    open_requests,
    receive,
)
from domain.broker_loop.callbacks import CALLBACK_TYPES, REQUIRED
from domain.status import ExportStatus

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SHA = "a" * 64
# what each type needs on the wire, as a broker would send it
NEEDS: dict[str, dict[str, Any]] = {
    "INFO_REQUESTED": {
        "requestId": "req-1",
        "fields": [{"path": "products[0].manufacturer.address", "reason": "street missing"}],
        "documents": [{"type": "INVOICE", "reason": "signed copy"}],
        "message": "Please complete the address.",
        "dueBy": "2026-12-09T10:00:00Z",
    },
    "REQUEST_WITHDRAWN": {"requestId": "req-1"},
    "ENTRY_FILED": {"entryNumber": "ABC-1234567-8", "entryType": "01"},
    "HOLD": {"holdId": "h-1", "agency": "FDA", "reason": "exam"},
    "HOLD_RELEASED": {"holdId": "h-1"},
    "REFUSED": {"reason": "seized"},
    "REJECTED": {"reason": "bad HS code", "correctable": False},
}


def callback(sequence: int | None, type_: str, **wire: Any) -> BrokerCallback:
    """A callback from its wire form; occurredAt is T0 plus `sequence` minutes."""
    body = {
        "submissionId": "sub_1",
        "sequence": sequence,
        "type": type_,
        "occurredAt": (T0 + timedelta(minutes=sequence or 0)).isoformat(),
        **NEEDS.get(type_, {}),
        **wire,
    }
    return BrokerCallback.model_validate(body)


def feed(*callbacks: BrokerCallback, reports_release: bool = False) -> BrokerSide:
    """The side after receiving each callback in turn."""
    side = BrokerSide()
    for cb in callbacks:
        side = receive(side, cb, reports_release=reports_release).side
    return side


def acked() -> BrokerSide:
    return feed(callback(1, "ACKNOWLEDGED", brokerReference="BR-9"))


# callbacks


@pytest.mark.parametrize(
    ("type_", "attribute"),
    [(t, attribute) for t, attributes in REQUIRED.items() for attribute in attributes],
)
def test_a_v2_callback_without_a_required_field_is_refused(
    type_: CallbackType, attribute: str
) -> None:
    wire = BrokerCallback.model_fields[attribute].alias
    assert wire is not None
    with pytest.raises(ValidationError, match=f"{type_} needs {wire}"):
        callback(1, type_, **{wire: None})


def test_the_required_fields_are_those_of_the_protocol_table() -> None:
    assert {t: REQUIRED[t] for t in CALLBACK_TYPES if REQUIRED[t]} == {
        "INFO_REQUESTED": ("request_id", "due_by"),
        "REQUEST_WITHDRAWN": ("request_id",),
        "ENTRY_FILED": ("entry_number", "entry_type"),
        "HOLD": ("hold_id", "agency", "reason"),
        "HOLD_RELEASED": ("hold_id",),
        "REFUSED": ("reason",),
        "REJECTED": ("reason", "correctable"),
    }


def test_an_info_request_asks_for_something() -> None:
    with pytest.raises(ValidationError, match="at least one of fields, documents and message"):
        callback(1, "INFO_REQUESTED", fields=[], documents=[], message=None)
    only_a_document = callback(1, "INFO_REQUESTED", fields=[], message=None)
    assert [d.type for d in only_a_document.documents] == ["INVOICE"]


def test_every_type_with_its_fields_is_taken() -> None:
    taken = [callback(1, t) for t in CALLBACK_TYPES]
    assert [cb.type for cb in taken] == list(CALLBACK_TYPES)


@pytest.mark.parametrize("sequence", [0, -1])
def test_a_sequence_starts_at_one(sequence: int) -> None:
    with pytest.raises(ValidationError, match="sequence"):
        callback(sequence, "ACKNOWLEDGED")


def test_a_callback_without_sequence_is_one_of_the_three_statuses_of_version_1() -> None:
    with pytest.raises(ValidationError, match="HOLD needs a sequence"):
        callback(None, "HOLD")
    # version 1 asked no reason of a rejection
    assert callback(None, "REJECTED", reason=None).reason is None


def test_a_callback_speaks_camel_case_on_the_wire() -> None:
    cb = callback(3, "HOLD")
    dumped = cb.model_dump(mode="json")
    assert dumped["holdId"] == "h-1"
    assert dumped["occurredAt"] == "2026-12-07T10:03:00Z"
    assert BrokerCallback.model_validate(dumped) == cb


def test_from_v1() -> None:
    accepted = from_v1("ACCEPTED", "ABC-1", None, None, T0, "sub_1")
    assert (accepted.sequence, accepted.type, accepted.entry_number) == (None, "ACCEPTED", "ABC-1")
    assert accepted.correctable is None
    rejected = from_v1("REJECTED", None, "BR-1", "bad data", T0, "sub_1")
    assert (rejected.correctable, rejected.reason, rejected.broker_reference) == (
        False,
        "bad data",
        "BR-1",
    )
    assert from_v1("ACKNOWLEDGED", None, "BR-1", None, T0, "sub_2").submission_id == "sub_2"


def test_every_type_has_its_event() -> None:
    assert set(EVENT_OF) == set(CALLBACK_TYPES)
    assert EVENT_OF["HOLD"] == "CUSTOMS_HOLD"
    assert EVENT_OF["RELEASED"] == "CUSTOMS_RELEASED"
    assert len(set(EVENT_OF.values())) == len(CALLBACK_TYPES)


# applying each type


def test_a_fresh_side_is_executed_and_not_final() -> None:
    side = BrokerSide()
    assert export_status(side, reports_release=False) == ExportStatus.EXECUTED
    assert not is_final(side, reports_release=False)


def test_acknowledged() -> None:
    side = acked()
    assert (side.acknowledged_at, side.broker_reference, side.applied_through) == (
        T0 + timedelta(minutes=1),
        "BR-9",
        1,
    )
    # an amendment's acknowledgement without a reference keeps the reference
    side = receive(side, callback(2, "ACKNOWLEDGED", amendment=1), reports_release=False).side
    assert (side.acknowledged_at, side.broker_reference) == (T0 + timedelta(minutes=2), "BR-9")
    assert export_status(side, reports_release=False) == ExportStatus.EXECUTED


def test_info_requested_opens_a_request() -> None:
    received = receive(acked(), callback(2, "INFO_REQUESTED"), reports_release=False)
    assert received.result == "applied"
    [request] = open_requests(received.side)
    assert (request.request_id, request.kind, request.status) == ("req-1", "INFO", "OPEN")
    assert request.fields[0].path == "products[0].manufacturer.address"
    assert request.documents[0].type == "INVOICE"
    assert request.message == "Please complete the address."
    assert request.received_at == T0 + timedelta(minutes=2)
    assert request.due_by == datetime(2026, 12, 9, 10, tzinfo=UTC)
    assert export_status(received.side, reports_release=False) == (
        ExportStatus.BROKER_ACTION_REQUIRED
    )


def test_the_same_request_twice_is_one_request() -> None:
    side = feed(
        callback(1, "INFO_REQUESTED"),
        callback(2, "INFO_REQUESTED", message="again", fields=[]),
    )
    assert side.applied_through == 2
    assert [(r.request_id, r.message) for r in side.requests] == [
        ("req-1", "Please complete the address.")
    ]


def test_request_withdrawn() -> None:
    side = feed(callback(1, "INFO_REQUESTED"), callback(2, "REQUEST_WITHDRAWN"))
    assert [r.status for r in side.requests] == ["WITHDRAWN"]
    assert open_requests(side) == []
    assert export_status(side, reports_release=False) == ExportStatus.EXECUTED
    unknown = receive(
        side, callback(3, "REQUEST_WITHDRAWN", requestId="req-9"), reports_release=False
    )
    assert unknown.result == "applied"
    assert unknown.side.requests == side.requests


def test_an_answered_request_stays_answered_when_withdrawn() -> None:
    side = feed(callback(1, "INFO_REQUESTED"))
    side = answer(side, "req-1", RequestAnswer(message="done", answered_at=T0, actor="key_1"))
    side = receive(side, callback(2, "REQUEST_WITHDRAWN"), reports_release=False).side
    assert [r.status for r in side.requests] == ["ANSWERED"]


def test_entry_filed() -> None:
    side = feed(callback(1, "ENTRY_FILED"))
    assert (side.entry_number, side.entry_type) == ("ABC-1234567-8", "01")
    assert export_status(side, reports_release=False) == ExportStatus.EXECUTED


def test_hold_and_its_release() -> None:
    side = feed(callback(1, "HOLD"), callback(2, "HOLD", reason="another reason"))
    [hold] = open_holds(side)
    assert (hold.hold_id, hold.agency, hold.reason) == ("h-1", "FDA", "exam")
    assert hold.opened_at == T0 + timedelta(minutes=1)
    assert export_status(side, reports_release=True) == ExportStatus.CUSTOMS_HOLD
    side = feed(callback(1, "HOLD"), callback(2, "HOLD_RELEASED", holdId="h-9"))
    assert len(open_holds(side)) == 1
    side = feed(callback(1, "HOLD"), callback(2, "HOLD_RELEASED"), callback(3, "HOLD_RELEASED"))
    assert open_holds(side) == []
    assert side.holds[0].released_at == T0 + timedelta(minutes=2)
    assert export_status(side, reports_release=True) == ExportStatus.EXECUTED


def test_an_open_request_wins_over_an_open_hold() -> None:
    side = feed(callback(1, "HOLD"), callback(2, "INFO_REQUESTED"))
    assert export_status(side, reports_release=True) == ExportStatus.BROKER_ACTION_REQUIRED


@pytest.mark.parametrize("reports_release", [False, True])
def test_released_completes(reports_release: bool) -> None:
    side = feed(callback(1, "RELEASED"), reports_release=reports_release)
    assert side.outcome == "RELEASED"
    assert is_final(side, reports_release=reports_release)
    assert export_status(side, reports_release=reports_release) == ExportStatus.COMPLETED


def test_accepted_completes_only_for_a_broker_that_does_not_report_release() -> None:
    side = feed(callback(1, "ACCEPTED", entryNumber="ABC-2"))
    assert (side.outcome, side.accepted_at, side.entry_number) == (
        "ACCEPTED",
        T0 + timedelta(minutes=1),
        "ABC-2",
    )
    assert is_final(side, reports_release=False)
    assert export_status(side, reports_release=False) == ExportStatus.COMPLETED
    assert not is_final(side, reports_release=True)
    assert export_status(side, reports_release=True) == ExportStatus.EXECUTED


def test_refused_is_final() -> None:
    side = feed(callback(1, "HOLD"), callback(2, "REFUSED"), reports_release=True)
    assert (side.outcome, side.outcome_reason) == ("REFUSED", "seized")
    assert is_final(side, reports_release=True)
    assert export_status(side, reports_release=True) == ExportStatus.CUSTOMS_REFUSED


def test_a_rejection_not_correctable_is_final() -> None:
    side = feed(callback(1, "REJECTED"))
    assert (side.outcome, side.outcome_reason) == ("REJECTED", "bad HS code")
    assert side.requests == []
    assert export_status(side, reports_release=False) == ExportStatus.BROKER_REJECTED


def test_a_correctable_rejection_opens_a_rejection_request() -> None:
    fields = [{"path": "products[0].hsCode", "reason": "not a heading"}]
    side = feed(
        callback(1, "ACKNOWLEDGED"), callback(2, "REJECTED", correctable=True, fields=fields)
    )
    assert side.outcome is None
    [request] = open_requests(side)
    assert (request.request_id, request.kind, request.message, request.due_by) == (
        "rejection-2",
        "REJECTION",
        "bad HS code",
        None,
    )
    assert [f.path for f in request.fields] == ["products[0].hsCode"]
    assert export_status(side, reports_release=False) == ExportStatus.BROKER_ACTION_REQUIRED


def test_a_correctable_rejection_without_sequence_is_numbered() -> None:
    side = feed(callback(None, "REJECTED", correctable=True))
    assert [r.request_id for r in side.requests] == ["rejection-1"]


def test_last_callback_at_is_the_latest_occurrence() -> None:
    late = callback(1, "ACKNOWLEDGED", occurredAt="2026-12-08T00:00:00Z")
    side = feed(late, callback(2, "ENTRY_FILED"))
    assert side.last_callback_at == datetime(2026, 12, 8, tzinfo=UTC)


# duplicates, early arrivals, conflicts


def test_a_v2_duplicate_changes_nothing() -> None:
    side = feed(callback(1, "ACKNOWLEDGED"), callback(2, "INFO_REQUESTED"))
    again = receive(side, callback(2, "HOLD"), reports_release=False)
    assert (again.result, again.applied, again.side) == ("duplicate", [], side)
    assert again.reason == "sequence 2 was received already"
    buffered = receive(side, callback(5, "ENTRY_FILED"), reports_release=False).side
    twice = receive(buffered, callback(5, "HOLD"), reports_release=False)
    assert (twice.result, twice.side) == ("duplicate", buffered)
    assert [cb.type for cb in twice.side.pending] == ["ENTRY_FILED"]


def test_a_v1_duplicate_changes_nothing() -> None:
    side = feed(from_v1("ACKNOWLEDGED", None, "BR-1", None, T0, "sub_1"))
    assert side.seen_v1 == ["ACKNOWLEDGED"]
    later = from_v1("ACKNOWLEDGED", None, "BR-2", None, T0 + timedelta(hours=1), "sub_1")
    again = receive(side, later, reports_release=False)
    assert (again.result, again.side) == ("duplicate", side)
    assert again.side.broker_reference == "BR-1"


def test_released_before_entry_filed_is_buffered_then_applied_in_order() -> None:
    side = acked()
    early = receive(side, callback(3, "RELEASED"), reports_release=True)
    assert (early.result, early.applied) == ("buffered", [])
    assert early.side.outcome is None
    assert [cb.sequence for cb in early.side.pending] == [3]
    assert early.side.applied_through == 1
    filed = receive(early.side, callback(2, "ENTRY_FILED"), reports_release=True)
    assert filed.result == "applied"
    assert [(cb.sequence, cb.type) for cb in filed.applied] == [(2, "ENTRY_FILED"), (3, "RELEASED")]
    assert (filed.side.applied_through, filed.side.pending) == (3, [])
    assert (filed.side.entry_number, filed.side.outcome) == ("ABC-1234567-8", "RELEASED")


def test_the_buffer_is_kept_in_sequence_order_and_drains_only_what_follows() -> None:
    side = acked()
    for sequence, type_ in [(5, "RELEASED"), (3, "HOLD"), (2, "ENTRY_FILED")]:
        side = receive(side, callback(sequence, type_), reports_release=True).side
    assert side.applied_through == 3
    assert [cb.sequence for cb in side.pending] == [5]
    assert open_holds(side) != []
    side = receive(side, callback(4, "HOLD_RELEASED"), reports_release=True).side
    assert (side.applied_through, side.pending, side.outcome) == (5, [], "RELEASED")


@pytest.mark.parametrize(
    ("final", "reports_release"),
    [("RELEASED", True), ("REFUSED", False), ("REJECTED", False), ("ACCEPTED", False)],
)
def test_anything_after_a_final_state_is_a_conflict(final: str, reports_release: bool) -> None:
    side = feed(callback(1, "ACKNOWLEDGED"), callback(2, final), reports_release=reports_release)
    for late in (callback(3, "HOLD"), callback(7, "ACKNOWLEDGED")):
        refused = receive(side, late, reports_release=reports_release)
        assert (refused.result, refused.side, refused.applied) == ("conflict", side, [])
        assert refused.reason is not None
        assert f"contradicts the final outcome {final}" in refused.reason
    # a repeat of what was applied is still a duplicate
    repeat = receive(side, callback(2, final), reports_release=reports_release)
    assert repeat.result == "duplicate"


def test_after_accepted_a_broker_that_reports_release_goes_on() -> None:
    side = feed(callback(1, "ACCEPTED"), reports_release=True)
    held = receive(side, callback(2, "HOLD"), reports_release=True)
    assert held.result == "applied"
    assert export_status(held.side, reports_release=True) == ExportStatus.CUSTOMS_HOLD
    side = feed(callback(1, "ACCEPTED"), reports_release=False)
    assert receive(side, callback(2, "HOLD"), reports_release=False).result == "conflict"


def test_a_v1_callback_after_a_final_state_is_a_conflict() -> None:
    side = feed(from_v1("ACCEPTED", "ABC-1", None, None, T0, "sub_1"))
    late = receive(side, from_v1("REJECTED", None, None, "no", T0, "sub_1"), reports_release=False)
    assert (late.result, late.side) == ("conflict", side)
    repeat = receive(
        side, from_v1("ACCEPTED", None, None, None, T0, "sub_1"), reports_release=False
    )
    assert repeat.result == "duplicate"


def test_buffered_callbacks_are_dropped_when_the_side_turns_final() -> None:
    side = acked()
    for early in (callback(3, "HOLD"), callback(5, "ENTRY_FILED")):
        side = receive(side, early, reports_release=True).side
    released = receive(side, callback(2, "RELEASED"), reports_release=True)
    assert released.result == "applied"
    assert [cb.sequence for cb in released.applied] == [2]
    assert [cb.sequence for cb in released.dropped] == [3, 5]
    assert released.reason is not None
    assert "HOLD (sequence 3) contradicts the final outcome RELEASED" in released.reason
    assert (released.side.pending, released.side.holds, released.side.applied_through) == (
        [],
        [],
        2,
    )
    assert receive(released.side, callback(3, "HOLD"), reports_release=True).result == "conflict"


# answers and amendments


def test_answering_a_request() -> None:
    side = feed(callback(1, "INFO_REQUESTED"))
    reply = RequestAnswer(message="fixed", documents=[SHA], answered_at=T0, actor="key_1")
    answered = answer(side, "req-1", reply)
    assert [(r.status, r.answer) for r in answered.requests] == [("ANSWERED", reply)]
    assert side.requests[0].status == "OPEN"
    assert export_status(answered, reports_release=False) == ExportStatus.EXECUTED
    with pytest.raises(RequestNotOpen, match="ANSWERED"):
        answer(answered, "req-1", reply)
    with pytest.raises(RequestNotOpen, match="unknown"):
        answer(side, "req-9", reply)
    withdrawn = feed(callback(1, "INFO_REQUESTED"), callback(2, "REQUEST_WITHDRAWN"))
    with pytest.raises(RequestNotOpen, match="WITHDRAWN"):
        answer(withdrawn, "req-1", reply)


def test_an_answer_names_documents_by_sha256() -> None:
    with pytest.raises(ValidationError):
        RequestAnswer(documents=["invoice.pdf"], answered_at=T0, actor="key_1")


def test_amendments_count_up() -> None:
    side = BrokerSide()
    assert next_amendment(side) == 1
    sent = amendment_sent(side)
    assert (side.amendments, sent.amendments, next_amendment(sent)) == (0, 1, 2)


def test_the_side_is_frozen() -> None:
    side = BrokerSide()
    with pytest.raises(ValidationError):
        side.amendments = 3


# the form the workflow stores


def test_the_side_survives_json() -> None:
    side = feed(
        callback(1, "ACKNOWLEDGED", brokerReference="BR-9"),
        callback(2, "INFO_REQUESTED"),
        callback(3, "ENTRY_FILED"),
        callback(4, "HOLD"),
        callback(5, "REJECTED", correctable=True),
        callback(7, "RELEASED"),
        reports_release=True,
    )
    side = answer(
        side, "req-1", RequestAnswer(message="x", documents=[SHA], answered_at=T0, actor="k")
    )
    side = amendment_sent(side)
    assert [len(side.pending), len(side.requests), len(side.holds)] == [1, 2, 1]
    dumped = side.model_dump(mode="json")
    assert dumped["appliedThrough"] == 5
    assert dumped["requests"][0]["answer"]["answeredAt"] == "2026-12-07T10:00:00Z"
    assert BrokerSide.model_validate(dumped) == side
    v1 = feed(from_v1("REJECTED", None, None, "no", T0, "sub_1"))
    assert BrokerSide.model_validate(v1.model_dump(mode="json")) == v1
