"""Cursor pagination: the cursor is opaque to clients (it is the last id of the page)."""

from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

Cursor = Annotated[str | None, Query(min_length=1, max_length=64, description="opaque cursor")]
Limit = Annotated[int, Query(ge=1, le=200, description="page size")]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the cursor of the next page (null at the end)."""

    data: list[T]
    nextCursor: str | None


def page_of(items: list[T], limit: int, id_of: str = "id") -> Page[T]:
    """Wrap a page fetched with `limit` rows."""
    last = getattr(items[-1], id_of) if len(items) == limit else None
    return Page[T](data=items, nextCursor=last)
