"""What a list use case is asked for: one page after a cursor."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PageRequest:
    """A page of a list: after this id, at most `limit` rows."""

    after: str | None
    limit: int

    @staticmethod
    def bounds(page: "PageRequest | None") -> tuple[str | None, int | None]:
        """(after, limit) for the store; no page is every row (the operator's CLI lists all)."""
        return (page.after, page.limit) if page is not None else (None, None)
