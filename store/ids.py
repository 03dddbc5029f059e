"""Opaque, type-prefixed, time-sortable ids (`exp_01J...`): 48-bit ms time + 80 random bits."""

import hashlib
import os
import secrets
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: sorts like the number

PREFIXES = frozenset(
    {"acc", "key", "wh", "br", "prod", "ord", "exp", "cp", "art", "ntf", "bsub", "evt", "whe"}
    | {"dev"}  # a destination's events (docs/fleet-control.md)
)


# every pair of digits, so that encoding takes ten bits a step (a sync mints an id per row)
_PAIRS = [high + low for high in _ALPHABET for low in _ALPHABET]


def _encode(value: int, length: int) -> str:
    """The low `5 * length` bits of `value` as `length` digits, most significant first."""
    chars = []
    for _ in range(length >> 1):
        chars.append(_PAIRS[value & 1023])
        value >>= 10
    if length & 1:
        chars.append(_ALPHABET[value & 31])
    return "".join(reversed(chars))


def new_id(prefix: str, *, now_ms: int | None = None) -> str:
    """Mint an id with the given type prefix."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{_encode(ms, 10)}{_encode(secrets.randbits(80), 16)}"


# a random byte → a random digit: its low five bits (256 values cover each digit eight times)
_DIGIT_OF_BYTE = bytes(ord(_ALPHABET[b & 31]) for b in range(256))


def new_ids(prefix: str, count: int) -> list[str]:
    """Mint `count` ids of one type at once, as `new_id` would one by one (one clock reading and
    one read of random bytes for all; a sync mints an id per row), in ascending order: rows
    written in that order go to the right-hand end of their indexes, page after page, instead of
    all over the millisecond's range."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    head = f"{prefix}_{_encode(int(time.time() * 1000), 10)}"
    # the 80 random bits of an id are its 16 random digits, drawn a byte each
    digits = os.urandom(16 * count).translate(_DIGIT_OF_BYTE).decode()
    return sorted([head + digits[i : i + 16] for i in range(0, 16 * count, 16)])


def has_prefix(value: str, prefix: str) -> bool:
    """True when `value` looks like an id of the given type."""
    return value.startswith(prefix + "_") and len(value) == len(prefix) + 27


def derived_id(prefix: str, *parts: str) -> str:
    """A stable id of the given type for a business key (same parts → same id)."""
    if prefix not in PREFIXES:
        raise ValueError(f"unknown id prefix {prefix!r}")
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()
    return f"{prefix}_{_encode(int.from_bytes(digest[:17], 'big') >> 6, 26)}"
