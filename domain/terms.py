"""Whole-word term matching on free text (descriptions, manufacturer addresses)."""

import re
from collections.abc import Iterable
from functools import lru_cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@lru_cache(maxsize=64)
def _pattern(terms: tuple[str, ...]) -> re.Pattern[str]:
    # longest first so "spare parts" wins over "parts"; no word character may touch a match,
    # so "part" does not match "apartment" while "1:1" still matches on its own
    alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.UNICODE)


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def words(text: str) -> list[str]:
    """The case-folded words of `text` (letters and digits; punctuation separates)."""
    return _WORD.findall(text.casefold())


def first_term(text: str, terms: tuple[str, ...]) -> str | None:
    """The first of `terms` (already case-folded) found as whole words in `text`, if any."""
    if not terms:
        return None
    found = _pattern(terms).search(_fold(text))
    return found.group(0) if found else None


def only_terms(text: str, terms: tuple[str, ...], filler: Iterable[str]) -> bool:
    """True when `text` holds nothing but `terms`, filler words and numbers."""
    rest = _pattern(terms).sub(" ", _fold(text)) if terms else _fold(text)
    skip = set(filler)
    return all(word in skip or word.isdigit() for word in words(rest))
