"""The failures an activity reports to the workflow, each type with its retryability.

Pure names, so the workflow (which may import only pure code) and the activities share them:

BrokerRejected        the broker refused the document: retrying the same bytes cannot help
InvalidAddress        the recipient (email or URL) does not exist or refuses us for good
InvalidConfiguration  our side is misconfigured (missing secret, wrong signature secret)
PlanOutdated          orders or products changed since the plan: the package would not match it
DestinationUnavailable the destination's breaker is open or it is paused: the send was not made;
                      the workflow waits for the destination (docs/fleet-control.md)
Transient             worth retrying: the activity's retry policy backs off and tries again
anything else         an unexpected error: retried like Transient
"""

from enum import StrEnum


class ActivityFailure(StrEnum):
    """The `type` of an ApplicationError an activity raises."""

    BROKER_REJECTED = "BrokerRejected"
    INVALID_ADDRESS = "InvalidAddress"
    INVALID_CONFIGURATION = "InvalidConfiguration"
    PLAN_OUTDATED = "PlanOutdated"
    DESTINATION_UNAVAILABLE = "DestinationUnavailable"
    TRANSIENT = "Transient"


RETRYABLE: frozenset[ActivityFailure] = frozenset({ActivityFailure.TRANSIENT})
# what the workflow's retry policies never retry
NON_RETRYABLE: tuple[str, ...] = tuple(f.value for f in ActivityFailure if f not in RETRYABLE)
