"""Pure helpers of the documents: number formats, flag scope, Latin-1 folding, PDF word wrap."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from fpdf import FPDF

from domain.documents.formatting import format_instant, format_kg, format_usd
from domain.documents.invoice import flag_applies
from domain.documents.models import PackageFlag
from domain.documents.pdf_table import BODY_SIZE, FONT, FontMeasure, wrap
from domain.documents.pdf_text import is_lossless, to_latin1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.5", "12.50"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0", "0.00"),
        ("1E+2", "100.00"),
        ("1234567.891", "1234567.89"),
    ],
)
def test_format_usd_always_has_two_decimals(value: str, expected: str) -> None:
    assert format_usd(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [("0.35", "0.350"), ("2", "2.000"), ("0.0005", "0.001")]
)
def test_format_kg_has_gram_precision(value: str, expected: str) -> None:
    assert format_kg(Decimal(value)) == expected


def test_format_instant_is_utc_with_seconds() -> None:
    tokyo = datetime(2026, 11, 26, 19, 0, 0, 123, tzinfo=timezone(timedelta(hours=9)))

    assert format_instant(tokyo) == "2026-11-26T10:00:00Z"
    assert format_instant(datetime(2026, 11, 26, 10, 0, tzinfo=UTC)) == "2026-11-26T10:00:00Z"


@pytest.mark.parametrize(
    ("order_ids", "product_ids", "order_id", "product_id", "applies"),
    [
        ([], [], "ord_1", "prod_1", True),
        (["ord_1"], [], "ord_1", "prod_9", True),
        (["ord_1"], [], "ord_2", "prod_1", False),
        ([], ["prod_1"], "ord_7", "prod_1", True),
        (["ord_1"], ["prod_1"], "ord_1", "prod_2", False),
        (["ord_1"], ["prod_1"], "ord_1", "prod_1", True),
    ],
)
def test_flag_applies_when_the_line_matches_every_id_list_named(
    order_ids: list[str], product_ids: list[str], order_id: str, product_id: str, applies: bool
) -> None:
    flag = PackageFlag(code="X", message="x", orderIds=order_ids, productIds=product_ids)

    assert flag_applies(flag, order_id, product_id) is applies


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Café – 東京", "Café - ??"),
        ("e\u0301te\u0301", "été"),
        ("\ufb01ne \uff21", "fine A"),
        ("ő Ş ł Œ", "o S l OE"),
        ("“quoted” ‘single’ … €5 ™", "\"quoted\" 'single' ... EUR5 (TM)"),
        ("a\tb\r\nc\u2028d\x00e", "a b\nc\nd e"),
        ("soft\xadhyphen zero\u200bwidth", "softhyphen zerowidth"),
        ("½ ü ß ©", "½ ü ß ©"),
        ("\u0301x 😀", "x ?"),
    ],
)
def test_to_latin1_folds_deterministically(text: str, expected: str) -> None:
    folded = to_latin1(text)

    assert folded == expected
    folded.encode("latin-1")


def test_is_lossless_only_for_text_shown_unchanged() -> None:
    assert is_lossless("Crème brûlée, 250 g\n(2 pcs)")
    assert is_lossless("line\r\nbreak")
    assert not is_lossless("東京")
    assert not is_lossless("a\tb")


@pytest.fixture
def measure() -> FontMeasure:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font(FONT, "", BODY_SIZE)
    return FontMeasure(pdf, "")


def test_wrap_keeps_every_line_within_the_width(measure: FontMeasure) -> None:
    text = "Ceramic mug with a very long description that needs several lines " * 5

    lines = wrap(text, 30, measure)

    assert len(lines) > 5
    assert all(measure(line) <= 30 for line in lines)
    assert " ".join(lines).split() == text.split()


def test_wrap_breaks_words_wider_than_a_line_by_character(measure: FontMeasure) -> None:
    lines = wrap("SKU-" + "X" * 80, 20, measure)

    assert "".join(lines) == "SKU-" + "X" * 80
    assert all(measure(line) <= 20 for line in lines)


def test_wrap_keeps_newlines_and_blank_lines(measure: FontMeasure) -> None:
    assert wrap("a\n\nb", 50, measure) == ["a", "", "b"]
    assert wrap("", 50, measure) == [""]
