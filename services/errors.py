"""The errors a service raises: what went wrong in the contract's vocabulary, without HTTP.

`api/errors.py` is the one place that maps each kind to a status and the contract's body:

Conflict        the export's state does not allow it (EXPORT_BLOCKED, INVALID_EXPORT_STATE,
                PLAN_HASH_MISMATCH), or another person holds its review (REVIEW_HELD) -> 409
OutOfScope      a reference outside the key's account (INVALID_ACCOUNT_SCOPE) -> 403
NeedsRole       the key's roles allow the route but not this use of it (INSUFFICIENT_ROLE) -> 403
Invalid         input that validates but does not make sense (VALIDATION_ERROR) -> 400
BadSignature    a callback signature missing, wrong or too old (INVALID_SIGNATURE) -> 401
Unavailable     a dependency is unreachable (SERVICE_UNAVAILABLE)         -> 503
store.errors.NotFound stays as it is                                      -> 404
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One problem with the input, at a dotted path."""

    path: str
    message: str
    code: str


class ServiceError(Exception):
    """Base of the service errors; `code` is the contract's errorCode."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = dict(details) if details is not None else None


class Conflict(ServiceError):
    """The export's state does not allow the action."""


class OutOfScope(ServiceError):
    """A referenced object is not the caller's account's."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__("INVALID_ACCOUNT_SCOPE", message, field=field)


class NeedsRole(ServiceError):
    """The route is the key's, this use of it is not: another person's review work needs a
    lead's role."""

    def __init__(self, message: str, *, role: str) -> None:
        super().__init__(
            "INSUFFICIENT_ROLE",
            message,
            details={"requiredRole": role, "acceptedRoles": [role]},
        )


class Invalid(ServiceError):
    """The input is well-formed but refers to what does not exist or cannot be."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__("VALIDATION_ERROR", "Request validation failed.")
        self.issues = list(issues)


class BadSignature(ServiceError):
    """A callback whose signature does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            "INVALID_SIGNATURE",
            "Callback signature missing, wrong or too old.",
            details={"reason": reason},
        )


class Unavailable(ServiceError):
    """A dependency (the database, the workflow engine) is unreachable."""

    def __init__(self, dependency: str) -> None:
        super().__init__(
            "SERVICE_UNAVAILABLE",
            f"The {dependency} is unreachable; retry later.",
            details={"dependency": dependency},
        )
        self.dependency = dependency
