"""An order's content as synced: lines resolved against product values, the order's value, and
the content hash that tells the upsert whether anything changed."""

import hashlib
import json
from decimal import Decimal

from domain.catalog import OrderIn, OrderLine
from domain.money import round_usd


def resolve_lines(order: OrderIn, product_values: dict[str, Decimal | None]) -> list[OrderLine]:
    """Lines with the unit value defaulted from the product and the line value computed."""
    lines = []
    for item in order.items:
        unit = (
            item.unit_value_usd
            if item.unit_value_usd is not None
            else product_values[item.product_id]
        )
        lines.append(
            OrderLine(
                product_id=item.product_id,
                quantity=item.quantity,
                unit_value_usd=unit,
                line_value_usd=None if unit is None else round_usd(unit * item.quantity),
            )
        )
    return lines


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")  # 12.5 and 12.50 are one


def content_hash(order: OrderIn, lines: list[OrderLine]) -> bytes:
    """SHA-256 of the order's content with its resolved lines, metadata aside.

    Metadata is compared as jsonb in the upsert instead (equal whatever the key order), which
    leaves a fixed shape here that pydantic renders deterministically and fast.
    """
    head = order.model_dump_json(exclude={"items", "metadata"})
    tail = json.dumps([[ln.product_id, ln.quantity, _amount(ln.unit_value_usd)] for ln in lines])
    return hashlib.sha256(f"{head}\n{tail}".encode()).digest()


def order_value(lines: list[OrderLine]) -> Decimal:
    """The order's value: the sum of its line values (unknown values count as zero)."""
    return round_usd(sum((ln.line_value_usd or Decimal(0) for ln in lines), Decimal(0)))
