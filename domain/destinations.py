"""Destinations and their circuit breaker, as pure decisions (docs/fleet-control.md).

A destination is where a side effect goes: a broker (its webhook URL or its mailbox), a
warehouse's notification URL, a webhook endpoint. Its state:

CLOSED     healthy: sends go out
OPEN       failing: sends are held until the backoff ends and one probe is let through
HALF_OPEN  one send (the probe) is in flight; everything else still waits
PAUSED     an operator holds every send, with a reason

Consecutive transient failures (from any export) open it: `threshold` within `window_s`. A
permanent failure (a refusal, an invalid address) says nothing about the destination's health
and is not counted. The backoff before a probe grows from `backoff_initial_s`, doubling with
each failed probe, to `backoff_max_s`. A probe's success closes the breaker; waiting exports are
then released at `release_per_second`.
"""

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from domain.wire import WireModel


class DestinationKind(StrEnum):
    BROKER = "broker"
    WAREHOUSE = "warehouse"
    WEBHOOK = "webhook"


class DestinationState(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"
    HALF_OPEN = "HALF_OPEN"
    PAUSED = "PAUSED"


@dataclass(frozen=True)
class BreakerSettings:
    """The breaker's defaults (docs/fleet-control.md says why these)."""

    threshold: int = 5
    window_s: float = 60.0
    backoff_initial_s: float = 30.0
    backoff_max_s: float = 600.0
    release_per_second: int = 5
    # a probe not heard of in this long is given up and the breaker reopens
    probe_timeout_s: float = 120.0


def destination_id(kind: DestinationKind, ref_id: str) -> str:
    """The destination's id: its kind and the id of what it belongs to."""
    return f"{kind.value}:{ref_id}"


def parse_destination_id(value: str) -> tuple[DestinationKind, str]:
    """The kind and the owner's id of a destination id; ValueError for anything else."""
    kind, sep, ref = value.partition(":")
    if not sep or not ref:
        raise ValueError(f"not a destination id: {value!r}")
    return DestinationKind(kind), ref


@dataclass(frozen=True)
class Breaker:
    """One destination's breaker as stored."""

    state: DestinationState = DestinationState.CLOSED
    since: datetime | None = None
    # the transient failures since the last success, newest last (at most `threshold` kept)
    failures: tuple[datetime, ...] = field(default_factory=tuple)
    opened_times: int = 0  # opens since the last close: the backoff grows with it
    next_probe_at: datetime | None = None
    probe_export_id: str | None = None
    probe_until: datetime | None = None
    paused_reason: str | None = None
    paused_by: str | None = None


@dataclass(frozen=True)
class Change:
    """A breaker after a decision, and the destination event it writes (if any)."""

    breaker: Breaker
    event: str | None = None


def backoff(opened_times: int, settings: BreakerSettings) -> timedelta:
    """The wait before the probe after the `opened_times`-th open in a row."""
    seconds = settings.backoff_initial_s * 2 ** max(opened_times - 1, 0)
    return timedelta(seconds=min(seconds, settings.backoff_max_s))


def _open(b: Breaker, now: datetime, settings: BreakerSettings) -> Breaker:
    opened = b.opened_times + 1
    return replace(
        b,
        state=DestinationState.OPEN,
        since=now if b.state != DestinationState.HALF_OPEN else b.since,
        opened_times=opened,
        next_probe_at=now + backoff(opened, settings),
        probe_export_id=None,
        probe_until=None,
    )


def on_failure(b: Breaker, now: datetime, settings: BreakerSettings) -> Change:
    """A transient failure of a send to the destination."""
    if b.state == DestinationState.PAUSED:
        return Change(b)
    if b.state == DestinationState.HALF_OPEN:
        return Change(_open(b, now, settings))  # the probe failed: open again, longer
    recent = tuple(t for t in b.failures if now - t <= timedelta(seconds=settings.window_s))
    failures = (*recent, now)[-settings.threshold :]
    if b.state == DestinationState.CLOSED and len(failures) >= settings.threshold:
        return Change(_open(replace(b, failures=failures), now, settings), "DESTINATION_OPENED")
    return Change(replace(b, failures=failures))


def on_success(b: Breaker, now: datetime) -> Change:
    """A send went through: the destination is healthy again."""
    if b.state == DestinationState.PAUSED:
        return Change(replace(b, failures=()))
    closed = Breaker(state=DestinationState.CLOSED, since=now)
    if b.state == DestinationState.CLOSED:
        return Change(replace(b, failures=()) if b.failures else b)
    return Change(closed, "DESTINATION_CLOSED")


@dataclass(frozen=True)
class Admission:
    """Whether a send may go now (`probe`: it is the one send that tests an open breaker)."""

    admitted: bool
    probe: bool = False


def admit(b: Breaker, export_id: str) -> Admission:
    """May this export's send go now? Only when closed, or as the chosen probe."""
    if b.state == DestinationState.CLOSED:
        return Admission(True)
    if b.state == DestinationState.HALF_OPEN and b.probe_export_id == export_id:
        return Admission(True, probe=True)
    return Admission(False)


def choose_probe(
    b: Breaker, export_id: str, now: datetime, settings: BreakerSettings
) -> Change | None:
    """Let `export_id`'s next send probe an open breaker whose backoff is over (or whose last
    probe was never heard of); None when no probe is due."""
    due = (
        b.state == DestinationState.OPEN and b.next_probe_at is not None and now >= b.next_probe_at
    )
    lapsed = (
        b.state == DestinationState.HALF_OPEN and b.probe_until is not None and now >= b.probe_until
    )
    if not (due or lapsed):
        return None
    return Change(
        replace(
            b,
            state=DestinationState.HALF_OPEN,
            probe_export_id=export_id,
            probe_until=now + timedelta(seconds=settings.probe_timeout_s),
        )
    )


def pause(b: Breaker, reason: str, actor: str, now: datetime) -> Change:
    """An operator holds every send; pausing a paused destination changes nothing."""
    if b.state == DestinationState.PAUSED:
        return Change(b)
    paused = replace(
        b,
        state=DestinationState.PAUSED,
        since=now,
        paused_reason=reason,
        paused_by=actor,
        probe_export_id=None,
        probe_until=None,
    )
    return Change(paused, "DESTINATION_PAUSED")


def resume(b: Breaker, now: datetime) -> Change:
    """An operator lets sends go again: closed, with a clean slate (the next failures count
    anew). Resuming an open breaker is the operator saying the destination is back: the waiting
    exports go now rather than at the next probe. Resuming a closed one changes nothing."""
    if b.state == DestinationState.CLOSED:
        return Change(b)
    return Change(Breaker(state=DestinationState.CLOSED, since=now), "DESTINATION_RESUMED")


class WaitingFor(WireModel):
    """What an export waits for (inspect's `waitingFor`): the destination, its state and since
    when it is in it, and since when the export waits."""

    destination: str
    state: DestinationState
    since: datetime | None = None
    waiting_since: datetime


def releases(b: Breaker) -> bool:
    """Whether exports waiting on the destination may be released now."""
    return b.state == DestinationState.CLOSED


__all__ = [
    "Admission",
    "Breaker",
    "BreakerSettings",
    "Change",
    "DestinationKind",
    "DestinationState",
    "WaitingFor",
    "admit",
    "backoff",
    "choose_probe",
    "destination_id",
    "on_failure",
    "on_success",
    "parse_destination_id",
    "pause",
    "releases",
    "resume",
]
