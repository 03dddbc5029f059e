"""The review work routes' request and response models: the use cases' own (services/)."""

from services.models.exports import Event
from services.models.review_work import (
    AssignRequest,
    ChangesRequest,
    ClaimRequest,
    CommentRequest,
    ReleaseRequest,
    ReviewWork,
)

__all__ = [
    "AssignRequest",
    "ChangesRequest",
    "ClaimRequest",
    "CommentRequest",
    "Event",
    "ReleaseRequest",
    "ReviewWork",
]
