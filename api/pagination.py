"""Cursor pagination: the cursor is opaque to clients.

Lists ordered by id use the page's last id. Lists in creation order (exports, whose ids may be
derived from an idempotency key and so say nothing about time) use the last row's
`<created_at in µs since 1970>.<id>`: keyset pagination, so rows inserted while a client pages
never shift, repeat or hide the rows that were there when it started. Its pattern is declared,
and every value of that pattern is a cursor the list can continue from.
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Generic, TypeVar

from fastapi import Query

from domain.wire import WireModel

T = TypeVar("T")

Cursor = Annotated[str | None, Query(min_length=1, max_length=64, description="opaque cursor")]
TimeCursor = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        pattern=r"^[0-9]{1,16}\.[a-z]{2,4}_[0-9A-HJKMNP-TV-Z]{26}$",
        description="opaque cursor",
    ),
]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]


class Page(WireModel, Generic[T]):
    """One page of a list, with the cursor of the next page (null at the end)."""

    data: list[T]
    next_cursor: str | None


def page_of(items: list[T], limit: int, id_of: str = "id") -> Page[T]:
    """Wrap a page fetched with `limit` rows."""
    last = getattr(items[-1], id_of) if len(items) == limit else None
    return Page[T](data=items, next_cursor=last)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def time_cursor(created_at: datetime, row_id: str) -> str:
    """The cursor after a row of a creation-ordered list."""
    micros = (created_at - _EPOCH) // timedelta(microseconds=1)
    return f"{micros}.{row_id}"


def read_time_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """(`created_at`, id) of a cursor that matched `TimeCursor`'s pattern."""
    if cursor is None:
        return None
    micros, row_id = cursor.split(".", 1)
    return _EPOCH + timedelta(microseconds=int(micros)), row_id
