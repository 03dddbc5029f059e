"""The only place activities build the failures they report (types: `domain/failures.py`)."""

from temporalio.exceptions import ApplicationError

from domain.destinations import Breaker
from domain.failures import RETRYABLE, ActivityFailure


def failure(kind: ActivityFailure, message: str) -> ApplicationError:
    """An ApplicationError of this kind, retryable exactly as `domain/failures.py` says."""
    return ApplicationError(message, type=kind.value, non_retryable=kind not in RETRYABLE)


def broker_rejected(reason: str) -> ApplicationError:
    """The broker refused the submission."""
    return failure(ActivityFailure.BROKER_REJECTED, f"Broker rejected the submission: {reason}")


def invalid_address(reason: str) -> ApplicationError:
    """The recipient cannot be reached at this address."""
    return failure(ActivityFailure.INVALID_ADDRESS, f"Invalid recipient: {reason}")


def invalid_configuration(reason: str) -> ApplicationError:
    """Our configuration is wrong; a person has to fix it."""
    return failure(ActivityFailure.INVALID_CONFIGURATION, reason)


def plan_outdated(reason: str) -> ApplicationError:
    """The data moved since the plan; the package would not match it."""
    return failure(ActivityFailure.PLAN_OUTDATED, reason)


def transient(reason: str) -> ApplicationError:
    """A failure worth retrying (the policy's backoff applies)."""
    return failure(ActivityFailure.TRANSIENT, reason)


def destination_unavailable(destination: str, b: Breaker) -> ApplicationError:
    """The destination holds sends (open or paused): nothing was sent; the details say which
    destination, its state and since when."""
    since = b.since.isoformat() if b.since is not None else None
    return ApplicationError(
        f"Destination {destination} is {b.state.value}: the send waits for it",
        {"destination": destination, "state": b.state.value, "since": since},
        type=ActivityFailure.DESTINATION_UNAVAILABLE.value,
        non_retryable=True,
    )


def unexpected(exc: Exception) -> ApplicationError:
    """An unexpected error as a failure the breaker counts (retried like a transient one)."""
    return ApplicationError(f"{type(exc).__name__}: {exc}", type=type(exc).__name__)
