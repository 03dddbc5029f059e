"""How values without a JSON type go on the wire: RFC 3339 UTC times, money as numbers."""

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from domain.money import to_number


def rfc3339(value: datetime) -> str:
    """`2026-11-26T23:31:23.877105Z` (naive times are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def wire_value(value: Any) -> Any:
    """`json.dumps(default=...)` for datetimes, dates and Decimals."""
    if isinstance(value, datetime):
        return rfc3339(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return to_number(value)
    raise TypeError(f"{type(value).__name__} has no JSON form")
