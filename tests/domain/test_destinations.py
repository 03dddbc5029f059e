"""The circuit breaker of a destination, as pure decisions (domain/destinations.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.destinations import (
    Breaker,
    BreakerSettings,
    DestinationKind,
    DestinationState,
    admit,
    backoff,
    choose_probe,
    destination_id,
    on_failure,
    on_success,
    parse_destination_id,
    pause,
    resume,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
S = BreakerSettings()


def failed(b: Breaker, times: int, every_s: float = 1.0, start: datetime = T0) -> Breaker:
    for n in range(times):
        b = on_failure(b, start + timedelta(seconds=n * every_s), S).breaker
    return b


def test_five_transient_failures_within_a_minute_open_it() -> None:
    four = failed(Breaker(), 4)
    assert four.state == DestinationState.CLOSED
    assert admit(four, "exp_1").admitted
    change = on_failure(four, T0 + timedelta(seconds=4), S)
    assert change.event == "DESTINATION_OPENED"
    assert change.breaker.state == DestinationState.OPEN
    assert change.breaker.next_probe_at == T0 + timedelta(seconds=4 + 30)
    assert not admit(change.breaker, "exp_1").admitted


def test_failures_spread_beyond_the_window_do_not_open_it() -> None:
    b = failed(Breaker(), 10, every_s=16)  # never five within 60 s
    assert b.state == DestinationState.CLOSED
    assert len(b.failures) <= S.threshold


def test_a_success_clears_the_count() -> None:
    b = on_success(failed(Breaker(), 4), T0 + timedelta(seconds=5)).breaker
    b = failed(b, 4, start=T0 + timedelta(seconds=6))
    assert b.state == DestinationState.CLOSED


def test_the_backoff_doubles_to_its_cap() -> None:
    assert [backoff(n, S).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        600,
        600,
    ]


def test_one_probe_after_the_backoff_then_closed_or_open_longer() -> None:
    opened = failed(Breaker(), 5)
    at = opened.next_probe_at
    assert at is not None
    assert choose_probe(opened, "exp_p", at - timedelta(seconds=1), S) is None
    probing = choose_probe(opened, "exp_p", at, S)
    assert probing is not None
    b = probing.breaker
    assert b.state == DestinationState.HALF_OPEN
    assert admit(b, "exp_p").probe
    assert not admit(b, "exp_other").admitted
    # the probe fails: open again, for twice as long
    reopened = on_failure(b, at + timedelta(seconds=1), S).breaker
    assert reopened.state == DestinationState.OPEN
    assert reopened.next_probe_at == at + timedelta(seconds=1 + 60)
    # the next probe succeeds: closed, with a clean slate
    again = choose_probe(reopened, "exp_q", at + timedelta(seconds=61), S)
    assert again is not None
    closed = on_success(again.breaker, at + timedelta(seconds=62))
    assert closed.event == "DESTINATION_CLOSED"
    assert closed.breaker == Breaker(
        state=DestinationState.CLOSED, since=at + timedelta(seconds=62)
    )


def test_a_probe_never_heard_of_lapses_and_another_is_chosen() -> None:
    b = failed(Breaker(), 5)
    assert b.next_probe_at is not None
    probing = choose_probe(b, "exp_p", b.next_probe_at, S)
    assert probing is not None
    late = probing.breaker.probe_until
    assert late is not None
    assert choose_probe(probing.breaker, "exp_q", late - timedelta(seconds=1), S) is None
    second = choose_probe(probing.breaker, "exp_q", late, S)
    assert second is not None
    assert second.breaker.probe_export_id == "exp_q"


def test_pause_holds_everything_and_resume_closes() -> None:
    paused = pause(Breaker(), "broker maintenance", "key_ops", T0)
    assert paused.event == "DESTINATION_PAUSED"
    assert paused.breaker.state == DestinationState.PAUSED
    assert paused.breaker.paused_reason == "broker maintenance"
    assert not admit(paused.breaker, "exp_1").admitted
    # failures and successes while paused change nothing but the count
    assert on_failure(paused.breaker, T0, S).breaker.state == DestinationState.PAUSED
    assert pause(paused.breaker, "again", "key_x", T0).event is None
    resumed = resume(paused.breaker, T0 + timedelta(minutes=5))
    assert resumed.event == "DESTINATION_RESUMED"
    assert admit(resumed.breaker, "exp_1").admitted
    assert resume(resumed.breaker, T0).event is None


def test_resuming_an_open_breaker_releases_at_once() -> None:
    opened = failed(Breaker(), 5)
    change = resume(opened, T0 + timedelta(seconds=10))
    assert change.event == "DESTINATION_RESUMED"
    assert change.breaker == Breaker(
        state=DestinationState.CLOSED, since=T0 + timedelta(seconds=10)
    )


def test_pausing_an_open_breaker_then_resuming_closes_it() -> None:
    opened = failed(Breaker(), 5)
    resumed = resume(pause(opened, "r", "k", T0).breaker, T0).breaker
    assert resumed.state == DestinationState.CLOSED
    assert resumed.failures == ()


def test_destination_ids() -> None:
    ident = destination_id(DestinationKind.WAREHOUSE, "wh_1")
    assert ident == "warehouse:wh_1"
    assert parse_destination_id(ident) == (DestinationKind.WAREHOUSE, "wh_1")
    for bad in ("warehouse", "ship:wh_1", "broker:"):
        with pytest.raises(ValueError, match=r"not a destination id|is not a valid"):
            parse_destination_id(bad)
