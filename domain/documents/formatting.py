"""How numbers, instants and JSON look in every document."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain.money import round_kg, round_usd


def _unsigned_zero(value: Decimal) -> Decimal:
    # Decimal keeps the sign of zero; "-0.00" on an invoice would only confuse.
    return abs(value) if value.is_zero() else value


def format_usd(value: Decimal) -> str:
    """Money with exactly two decimals, half up (`12.5` → `"12.50"`)."""
    return f"{_unsigned_zero(round_usd(value)):.2f}"


def format_kg(value: Decimal) -> str:
    """Weight with exactly three decimals (grams)."""
    return f"{_unsigned_zero(round_kg(value)):.3f}"


def format_instant(value: datetime) -> str:
    """An instant as UTC ISO 8601 with seconds (`2026-11-26T10:00:00Z`)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def canonical_json(document: Any) -> bytes:
    """Sorted keys, two-space indent, UTF-8 without escapes, one trailing newline."""
    text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return (text + "\n").encode("utf-8")
