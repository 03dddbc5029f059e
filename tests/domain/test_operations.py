"""Grouping stuck exports by destination and error class (domain/operations.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.operations import (
    Stuck,
    amendment_key,
    classify,
    group,
    members_of,
    step_destination,
)

T0 = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def _failed(export_id: str, step: str, error_type: str | None, minutes: int, **kw: str) -> Stuck:
    return Stuck(
        export_id=export_id,
        broker_id=kw.get("broker_id", "br_1"),
        warehouse_id=kw.get("warehouse_id", "wh_1"),
        since=T0 + timedelta(minutes=minutes),
        step=step,
        error_type=error_type,
        message=f"{step} failed at {minutes}",
    )


def _waiting(export_id: str, destination: str, state: str, minutes: int) -> Stuck:
    return Stuck(
        export_id=export_id,
        broker_id="br_1",
        warehouse_id="wh_1",
        since=T0 + timedelta(minutes=minutes),
        waiting_for=destination,
        destination_state=state,
    )


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ("send", "broker:br_1"),
        ("amendment", "broker:br_1"),
        ("resend", "broker:br_1"),
        ("submission", "broker:br_1"),
        ("acknowledge", "broker:br_1"),
        ("notify", "warehouse:wh_1"),
        ("package", "local:package"),
        ("artifacts", "local:artifacts"),
    ],
)
def test_each_step_goes_to_its_destination(step: str, expected: str) -> None:
    assert step_destination(step, "br_1", "wh_1") == expected


def test_classes_of_a_failure_and_of_a_wait() -> None:
    assert classify(_failed("e1", "send", "Transient", 0)) == ("broker:br_1", "Transient")
    assert classify(_failed("e2", "package", None, 0)) == ("local:package", "Unknown")
    waiting = _waiting("e3", "warehouse:wh_1", "PAUSED", 0)
    assert classify(waiting) == ("warehouse:wh_1", "WAITING_PAUSED")


def test_groups_are_largest_first_with_oldest_export_and_newest_message() -> None:
    stuck = [
        _failed("e1", "send", "Transient", 5),
        _failed("e2", "send", "Transient", 1),
        _failed("e3", "send", "BrokerRejected", 0),
        _failed("e4", "send", "Transient", 3, broker_id="br_2"),
        _waiting("e5", "broker:br_1", "OPEN", 2),
        _failed("e6", "notify", "InvalidAddress", 4),
        _failed("e7", "send", "Transient", 9),
    ]
    groups = group(stuck, ids_per_group=2)
    assert [(g.group, g.count) for g in groups] == [
        ("broker:br_1|Transient", 3),
        ("broker:br_1|BrokerRejected", 1),
        ("broker:br_1|WAITING_OPEN", 1),
        ("broker:br_2|Transient", 1),
        ("warehouse:wh_1|InvalidAddress", 1),
    ]
    first = groups[0]
    assert (first.oldest_export_id, first.oldest_since) == ("e2", T0 + timedelta(minutes=1))
    assert first.export_ids == ("e2", "e1")  # oldest first, at most ids_per_group
    assert first.sample_message == "send failed at 9"
    assert groups[2].sample_message is None  # a wait without a failure says nothing


def test_members_of_a_group_oldest_first_within_the_limit() -> None:
    stuck = [_failed(f"e{i}", "notify", "Transient", 10 - i) for i in range(5)]
    stuck.append(_failed("x", "send", "Transient", 0))
    assert members_of(stuck, "warehouse:wh_1|Transient", 3) == ["e4", "e3", "e2"]
    assert members_of(stuck, "warehouse:wh_9|Transient", 3) == []


def test_amendment_key() -> None:
    assert amendment_key("bsub_1", 2) == "bsub_1:A2"
