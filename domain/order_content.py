"""An order's content as synced: lines resolved against product values, the order's value, and
the content hash that tells the upsert whether anything changed."""

import hashlib
import json
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from domain.catalog import OrderIn, OrderLine, OrderLineIn
from domain.money import round_usd


def resolve_lines(order: OrderIn, product_values: dict[str, Decimal | None]) -> list[OrderLine]:
    """Lines with the unit value defaulted from the product and the line value computed."""
    return [_resolve_line(item, product_values) for item in order.items]


def _resolve_line(item: OrderLineIn, product_values: dict[str, Decimal | None]) -> OrderLine:
    unit = (
        item.unit_value_usd if item.unit_value_usd is not None else product_values[item.product_id]
    )
    return OrderLine(
        product_id=item.product_id,
        quantity=item.quantity,
        unit_value_usd=unit,
        line_value_usd=None if unit is None else round_usd(unit * item.quantity),
    )


class ResolvedOrder(NamedTuple):
    """An order's content as synced: its resolved lines, its value and its content hash."""

    lines: list[OrderLine]
    value: Decimal
    content_hash: bytes


class LineResolver:
    """Resolves the orders of one sync against the same product values.

    Lines repeat across the orders of a sync (a product, a quantity, no price of their own): a
    line sent as an earlier one was resolves to that same line, validated and written out for
    the content hash once.
    """

    def __init__(self, product_values: dict[str, Decimal | None]) -> None:
        self.product_values = product_values
        # keyed by the unit value as sent, in its own notation: 0 and -0 hash differently; each
        # line with its part of the content hash and what it adds to the order's value
        self._lines: dict[tuple[str, int, str | None], tuple[OrderLine, str, Decimal]] = {}

    def resolve(self, order: OrderIn) -> ResolvedOrder:
        """The order's lines, value and content hash, as `resolve_lines`, `order_value` and
        `content_hash` give them."""
        lines = []
        parts = []
        total = Decimal(0)  # `order_value`'s sum, added in the same order
        for item in order.items:
            sent = item.unit_value_usd
            key = (item.product_id, item.quantity, None if sent is None else str(sent))
            known = self._lines.get(key)
            if known is None:
                line = _resolve_line(item, self.product_values)
                known = self._lines[key] = (
                    line,
                    _line_part(line),
                    line.line_value_usd or Decimal(0),
                )
            lines.append(known[0])
            parts.append(known[1])
            total += known[2]
        return ResolvedOrder(lines, round_usd(total), _digest(order, parts))


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
    return _digest(order, [_line_part(ln) for ln in lines])


def _line_part(line: OrderLine) -> str:
    # a line as `json.dumps([productId, quantity, unit amount as text])` writes it
    return f"[{_json_text(line.product_id)}, {line.quantity}, {_json_amount(line.unit_value_usd)}]"


def _digest(order: OrderIn, line_parts: list[str]) -> bytes:
    # the bytes `order.model_dump_json(exclude={"items", "metadata"})` gives, without its
    # per-call wrapping (a sync hashes up to a thousand orders per request), then the lines as
    # `json.dumps` writes their list
    head = OrderIn.__pydantic_serializer__.to_json(order, exclude=_HEAD_EXCLUDE, by_alias=True)
    return hashlib.sha256(b"%s\n[%s]" % (head, ", ".join(line_parts).encode())).digest()


def order_value(lines: list[OrderLine]) -> Decimal:
    """The order's value: the sum of its line values (unknown values count as zero)."""
    return round_usd(sum((ln.line_value_usd or Decimal(0) for ln in lines), Decimal(0)))
