"""Money and weight types: Decimal inside, a JSON number on the wire."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer

CENT = Decimal("0.01")
GRAM = Decimal("0.001")


def to_number(value: Decimal) -> float | int:
    """Render a Decimal as a JSON number without a trailing `.0` for whole values."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


Usd = Annotated[Decimal, PlainSerializer(to_number, return_type=float | int, when_used="json")]
Kg = Annotated[Decimal, PlainSerializer(to_number, return_type=float | int, when_used="json")]


def round_usd(value: Decimal) -> Decimal:
    """Round to cents, half up (the way invoices are totalled)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_kg(value: Decimal) -> Decimal:
    """Round to grams."""
    return value.quantize(GRAM, rounding=ROUND_HALF_UP)
