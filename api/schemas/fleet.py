"""The fleet control routes' request and response models: the use cases' own (services/)."""

from services.models.fleet import (
    CancelOperation,
    DestinationDetail,
    DestinationList,
    DestinationView,
    FailureGroups,
    OperationResult,
    PauseRequest,
    ResumeRequest,
    RetryOperation,
)

__all__ = [
    "CancelOperation",
    "DestinationDetail",
    "DestinationList",
    "DestinationView",
    "FailureGroups",
    "OperationResult",
    "PauseRequest",
    "ResumeRequest",
    "RetryOperation",
]
