"""Canonical JSON: one byte string per logical value (sorted keys, no spaces, UTF-8)."""

import hashlib
import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # normalize() makes 12.5 and 12.50 one value; format keeps it out of exponent notation
        return format(value.normalize(), "f")
    raise TypeError(f"not canonical-JSON serialisable: {type(value).__name__}")


def canonical_json(value: Any) -> bytes:
    """Serialize deterministically."""
    # check_circular off: every value is a tree (JSON read, or built by our code; a cycle would
    # still end in an error, RecursionError instead of ValueError), and the check costs a tenth
    # of a plan's hash input
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_default,
        check_circular=False,
    ).encode("utf-8")


def sha256_of(value: Any) -> bytes:
    """SHA-256 digest of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value)).digest()
