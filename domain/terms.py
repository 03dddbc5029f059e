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


_PARENTHESISED = re.compile(r"[(（][^)）]*[)）]")


@lru_cache(maxsize=8)
def _legal_forms(forms: tuple[str, ...]) -> re.Pattern[str]:
    # longest first, so a longer form goes before a shorter one it contains
    alternatives = sorted((" ".join(words(f)) for f in forms), key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, alternatives))})(?!\w)")


def name_key(name: str, legal_forms: tuple[str, ...]) -> str:
    """A company name as lists are matched (S-011): lower-case words without the legal form
    (`legal_forms`: "co", "ltd", …) and without a parenthesised place, so "Hoshine Silicon
    Industry (Shanshan) Co., Ltd" and "HOSHINE SILICON INDUSTRY CO LTD" meet."""
    text = " ".join(words(_PARENTHESISED.sub(" ", name)))
    if legal_forms:
        text = _legal_forms(legal_forms).sub(" ", text)
    return " ".join(text.split())
