"""ISO 3166-1 alpha-2 membership, from pycountry (cached: planning asks thousands of times)."""

from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import AfterValidator, Field


@lru_cache(maxsize=1)
def _alpha2_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


def is_alpha2(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-2 code (upper case)."""
    return code in _alpha2_codes()


def _checked(code: str) -> str:
    if not is_alpha2(code):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code")
    return code


# A country a client sends: the schema lists every code, so clients refuse what we refuse.
Alpha2 = Annotated[
    str,
    Field(min_length=2, max_length=2, json_schema_extra={"enum": sorted(_alpha2_codes())}),
    AfterValidator(_checked),
]
