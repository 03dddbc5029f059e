"""Whole-word term matching."""

import pytest

from domain.terms import first_term, only_terms, words

VAGUE = ("gift", "parts", "spare parts", "items")
FILLER = ("and", "of")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("REPLICA  watch", "replica"),
        ("1:1 copy", "1:1"),
        ("AAA   Quality shoes", "aaa quality"),
        ("replicable design", None),
        ("a 11:1 gear ratio", None),
    ],
)
def test_first_term(text: str, expected: str | None) -> None:
    assert first_term(text, ("replica", "1:1", "aaa quality")) == expected


def test_first_term_of_no_terms_is_none() -> None:
    assert first_term("anything", ()) is None


@pytest.mark.parametrize(
    ("text", "vague"),
    [
        ("Gift", True),
        ("Spare parts and items, 12", True),
        ("Gift of parts", True),
        ("Bicycle parts", False),
        ("Apartment items", False),  # "part" inside a word is not a term
    ],
)
def test_only_terms(text: str, vague: bool) -> None:
    assert only_terms(text, VAGUE, FILLER) is vague


def test_words_split_on_punctuation_and_fold_case() -> None:
    assert words("5 Main St., APT-2") == ["5", "main", "st", "apt", "2"]
