"""Cursor pagination: the cursor is opaque to clients.

Lists ordered by id use the page's last id. Lists in creation order (exports, whose ids may be
derived from an idempotency key and so say nothing about time) use the last row's
(`created_at`, id), base64url-encoded: keyset pagination, so rows inserted while a client pages
never shift, repeat or hide the rows that were there when it started.
"""

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from api.errors import ErrorIssue, validation_error

T = TypeVar("T")

Cursor = Annotated[str | None, Query(min_length=1, max_length=64, description="opaque cursor")]
TimeCursor = Annotated[
    str | None,
    Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$", description="opaque cursor"),
]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the cursor of the next page (null at the end)."""

    data: list[T]
    nextCursor: str | None


def page_of(items: list[T], limit: int, id_of: str = "id") -> Page[T]:
    """Wrap a page fetched with `limit` rows."""
    last = getattr(items[-1], id_of) if len(items) == limit else None
    return Page[T](data=items, nextCursor=last)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_cursor(created_at: datetime, row_id: str) -> str:
    """The cursor after a row of a creation-ordered list."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    raw = f"{micros}.{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_time_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """(`created_at`, id) of a `time_cursor`; 400 VALIDATION_ERROR when it is not one."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, row_id = raw.split(".", 1)
        created_at = _EPOCH + timedelta(microseconds=int(micros))
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        created_at, row_id = _EPOCH, ""
    if not row_id or not row_id.isprintable():
        issue = ErrorIssue(path="cursor", message="not a cursor this list gave", code="invalid")
        raise validation_error([issue])
    return created_at, row_id
