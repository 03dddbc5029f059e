"""The failures activities report to the workflow (ApplicationError types; nothing else is matched).

BrokerRejected        the broker refused the document: retrying the same bytes cannot help
InvalidAddress        the recipient (email or URL) does not exist or refuses us for good
InvalidConfiguration  our side is misconfigured (missing secret, wrong signature secret)
anything else         transient: the activity's retry policy tries again
"""

from temporalio.exceptions import ApplicationError


def broker_rejected(reason: str) -> ApplicationError:
    """The broker refused the submission."""
    return ApplicationError(
        f"Broker rejected the submission: {reason}", type="BrokerRejected", non_retryable=True
    )


def invalid_address(reason: str) -> ApplicationError:
    """The recipient cannot be reached at this address."""
    return ApplicationError(
        f"Invalid recipient: {reason}", type="InvalidAddress", non_retryable=True
    )


def invalid_configuration(reason: str) -> ApplicationError:
    """Our configuration is wrong; a person has to fix it."""
    return ApplicationError(reason, type="InvalidConfiguration", non_retryable=True)


def transient(reason: str) -> ApplicationError:
    """A failure worth retrying (the policy's backoff applies)."""
    return ApplicationError(reason, type="Transient")
