"""Failure injection for the sandbox broker: outages, slow answers, rejections, silence, and the
default version 2 scenario (none: the broker speaks version 1)."""

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sandbox.scenarios import DEFAULT_HOLD_S, UnknownScenarioError, check_scenario

RejectMode = Literal["sync", "async"]

FAULT_KEYS = frozenset(
    {
        "failNext",
        "failForSeconds",
        "delaySeconds",
        "reject",
        "rejectReason",
        "silent",
        "scenario",
        "holdSeconds",
    }
)
DEFAULT_REJECT_REASON = "Rejected by the sandbox broker (reject mode)"


class FaultRequestError(ValueError):
    """A `POST /_sandbox/faults` body the sandbox does not understand."""


def _number(payload: Mapping[str, Any], key: str) -> float:
    value = payload[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FaultRequestError(f"{key} must be a number")
    if value < 0:
        raise FaultRequestError(f"{key} must not be negative")
    return float(value)


@dataclass
class Faults:
    """The faults currently switched on; every key of the control API maps to one field."""

    clock: Callable[[], float] = time.monotonic
    fail_next: int = 0
    fail_until: float = 0.0
    delay_s: float = 0.0
    reject: RejectMode | None = None
    reject_reason: str = DEFAULT_REJECT_REASON
    silent: bool = False
    scenario: str | None = None
    hold_s: float = DEFAULT_HOLD_S
    failures_injected: int = 0

    def update(self, payload: Mapping[str, Any]) -> None:
        """Apply a control request; keys not given keep their current value."""
        unknown = set(payload) - FAULT_KEYS
        if unknown:
            raise FaultRequestError(f"unknown fault keys: {', '.join(sorted(unknown))}")
        if "reject" in payload and payload["reject"] not in ("sync", "async", None, False):
            raise FaultRequestError('reject must be "sync", "async" or null')
        if "rejectReason" in payload and not isinstance(payload["rejectReason"], str):
            raise FaultRequestError("rejectReason must be a string")
        if "silent" in payload and not isinstance(payload["silent"], bool):
            raise FaultRequestError("silent must be true or false")
        if payload.get("scenario") is not None:
            if not isinstance(payload["scenario"], str):
                raise FaultRequestError("scenario must be a string or null")
            try:
                check_scenario(payload["scenario"])
            except UnknownScenarioError as exc:
                raise FaultRequestError(str(exc)) from exc
        # Validate everything before changing anything, so a bad request changes nothing.
        numbers = {
            key: _number(payload, key)
            for key in ("failNext", "failForSeconds", "delaySeconds", "holdSeconds")
            if key in payload
        }
        if "failNext" in numbers:
            if not numbers["failNext"].is_integer():
                raise FaultRequestError("failNext must be a whole number")
            self.fail_next = int(numbers["failNext"])
        if "failForSeconds" in numbers:
            self.fail_until = self.clock() + numbers["failForSeconds"]
        if "delaySeconds" in numbers:
            self.delay_s = numbers["delaySeconds"]
        if "reject" in payload:
            self.reject = payload["reject"] or None
        if "rejectReason" in payload:
            self.reject_reason = payload["rejectReason"]
        if "silent" in payload:
            self.silent = payload["silent"]
        if "scenario" in payload:
            self.scenario = payload["scenario"]
        if "holdSeconds" in numbers:
            self.hold_s = numbers["holdSeconds"]

    def take_failure(self) -> bool:
        """Whether this submission call must fail with 503 (consumes one `failNext`)."""
        if self.fail_next > 0:
            self.fail_next -= 1
        elif self.clock() >= self.fail_until:
            return False
        self.failures_injected += 1
        return True

    def snapshot(self) -> dict[str, Any]:
        """The control API's view of the faults."""
        return {
            "failNext": self.fail_next,
            "failForSeconds": round(max(0.0, self.fail_until - self.clock()), 3),
            "delaySeconds": self.delay_s,
            "reject": self.reject,
            "rejectReason": self.reject_reason,
            "silent": self.silent,
            "scenario": self.scenario,
            "holdSeconds": self.hold_s,
        }
