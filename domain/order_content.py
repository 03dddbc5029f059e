"""An order's content as synced: lines resolved against product values, the order's value, and
the content hash that tells the upsert whether anything changed."""

import hashlib
import json
from decimal import Decimal
from functools import lru_cache

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


@lru_cache(maxsize=4096)
def _json_text(value: str) -> str:
    # the few products of a sync's many lines are written out once each
    return json.dumps(value)


def _json_amount(value: Decimal | None) -> str:
    # 12.5 and 12.50 are one; plain notation needs no escaping; -0 and 0 differ, so no cache
    return "null" if value is None else f'"{format(value.normalize(), "f")}"'


_HEAD_EXCLUDE = {"items", "metadata"}


def content_hash(order: OrderIn, lines: list[OrderLine]) -> bytes:
    """SHA-256 of the order's content with its resolved lines, metadata aside.

    Metadata is compared as jsonb in the upsert instead (equal whatever the key order), which
    leaves a fixed shape here that pydantic renders deterministically and fast.
    """
    # the bytes `order.model_dump_json(exclude={"items", "metadata"})` gives, without its
    # per-call wrapping (a sync hashes up to a thousand orders per request)
    head = OrderIn.__pydantic_serializer__.to_json(order, exclude=_HEAD_EXCLUDE, by_alias=True)
    # and the bytes of `json.dumps([[productId, quantity, unit amount as text], ...])`
    tail = ", ".join(
        [
            f"[{_json_text(ln.product_id)}, {ln.quantity}, {_json_amount(ln.unit_value_usd)}]"
            for ln in lines
        ]
    )
    return hashlib.sha256(b"%s\n[%s]" % (head, tail.encode())).digest()


def order_value(lines: list[OrderLine]) -> Decimal:
    """The order's value: the sum of its line values (unknown values count as zero)."""
    return round_usd(sum((ln.line_value_usd or Decimal(0) for ln in lines), Decimal(0)))
