"""ISO 3166-1 alpha-2 membership, from pycountry (cached: planning asks thousands of times)."""

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def _alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def is_alpha2(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in _alpha2_codes()
